"""TF1 control flow: `tf.cond`, `tf.case`, `tf.while_loop`, `tf.map_fn`, `tf.scan`.

`cond` and `case` build both branches and select with `where`, so gradients flow through the
chosen branch (ops with side effects in a branch run either way). `map_fn` and `scan` over a
leading dimension known when the graph is built are unrolled, with gradients. `while_loop`
(and map_fn / scan over a leading dimension known only when run) build the body once on
placeholders and run it as a sub-plan of the core executor inside one node, in a loop, at run
time; their gradients run the body's gradient over the recorded iterations (while_grad.py) or
rows (map_grad.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core.executor import Plan
from ...core.ir import Value
from ...core.primitives import runtime_shapes as CP
from ...core.primitives.registry import AVal
from . import array_ops as A
from . import dtypes as tfd
from .control_flow import group
from .convert import convert_to_tensor
from .graph import get_default_graph, graph_of
from .shapes import TensorShape, is_unknown_rank
from .tensor import Operation, Tensor
from .while_grad import LoopRecord, history_of

# ---- nested structures -------------------------------------------------------------------------


def _flatten(s: Any) -> list:
    if hasattr(s, "_dg_flow"):  # a TensorArray travels as its buffer (tensor_array.py)
        return [s._dg_flow]
    if isinstance(s, dict):
        return [x for k in sorted(s) for x in _flatten(s[k])]
    if isinstance(s, (list, tuple)):
        return [x for v in s for x in _flatten(v)]
    return [s]


def _flatten_shapes(s: Any) -> list:
    """Shape invariants as a flat list: a TensorShape, or a list of dims, is one leaf."""
    if isinstance(s, dict):
        return [x for k in sorted(s) for x in _flatten_shapes(s[k])]
    if s is None or isinstance(s, TensorShape):
        return [s]
    if isinstance(s, (list, tuple)) and all(d is None or isinstance(d, int) for d in s):
        return [s]
    if isinstance(s, (list, tuple)):
        return [x for v in s for x in _flatten_shapes(v)]
    return [s]


def _pack(like: Any, flat: list) -> Any:
    it = iter(flat)

    def rec(s):
        if hasattr(s, "_dg_flow"):
            return s._dg_rebuild(next(it))
        if isinstance(s, dict):
            return {k: rec(s[k]) for k in sorted(s)}
        if isinstance(s, tuple) and hasattr(s, "_fields"):
            return type(s)(*[rec(v) for v in s])
        if isinstance(s, (list, tuple)):
            return type(s)(rec(v) for v in s)
        return next(it)

    return rec(like)


def _static_bool(pred: Any) -> Any:
    if isinstance(pred, (bool, np.bool_)):
        return bool(pred)
    if isinstance(pred, np.ndarray) and pred.shape == ():
        return bool(pred)
    return None


def scalar_pred(p: Value, op: str) -> Tensor:
    """A bool predicate of unknown static rank (e.g. tf.placeholder(tf.bool)) as rank 0, so
    selecting with it keeps the static shapes of the selected tensors, as TF's do."""
    if not is_unknown_rank(p.shape):
        return p
    return p.graph.build_op("Squeeze", None, lambda: CP.as_scalar(p, op))


def runtime_range(start: Any, limit: Any, delta: Any, dtype: Any, name: str | None) -> Tensor:
    """tf.range with bounds that are scalar tensors known only when run."""
    vals = [v if isinstance(v, Value) else convert_to_tensor(v) for v in (start, limit, delta)]
    g = graph_of(vals)
    if dtype is not None:
        dt = tfd.as_dtype(dtype)
    else:
        kinds = [tfd.as_dtype(v.dtype) for v in vals]
        dt = next((k for k in kinds if k.is_floating), kinds[0])
    npdt = dt.np_dtype

    def build():
        s, lim, d = (CP.as_scalar(v, "range") for v in vals)
        return CP.arange(s, lim, d, npdt)

    return g.build_op("Range", name, build)


# ---- cond / case ---------------------------------------------------------------------------------


def cond(
    pred: Any, true_fn: Any = None, false_fn: Any = None, strict: bool = False,
    name: str | None = None, fn1: Any = None, fn2: Any = None,
) -> Any:  # fmt: skip
    """true_fn() if pred else false_fn(); with a tensor pred both are built and selected."""
    true_fn = true_fn if true_fn is not None else fn1
    false_fn = false_fn if false_fn is not None else fn2
    if not callable(true_fn) or not callable(false_fn):
        raise TypeError("cond: true_fn and false_fn must be callables")
    known = _static_bool(pred)
    if known is not None:
        return true_fn() if known else false_fn()
    p = pred if isinstance(pred, Value) else convert_to_tensor(pred)
    if not tfd.as_dtype(p.dtype).is_bool or not (is_unknown_rank(p.shape) or len(p.shape) == 0):
        raise TypeError(f"cond: pred must be a scalar bool tensor, got {p}")
    g = p.graph
    with g.name_scope(name or "cond"):
        p = scalar_pred(p, "cond")
        with g.name_scope("true"):
            t = true_fn()
        with g.name_scope("false"):
            f = false_fn()
        ft, ff = _flatten(t), _flatten(f)
        if len(ft) != len(ff):
            raise ValueError(
                f"cond: true_fn and false_fn must return the same structure, got {t!r} and {f!r}"
            )
        out = []
        for a, b in zip(ft, ff, strict=True):
            if isinstance(a, Operation) or isinstance(b, Operation) or a is None or b is None:
                out.append(group([x for x in (a, b) if x is not None]))
                continue
            out.append(A.where(p, a, b, name="Merge"))
    return _pack(t, out)


def case(
    pred_fn_pairs: Any, default: Any = None, exclusive: bool = False, strict: bool = False,
    name: str = "case",
) -> Any:  # fmt: skip
    """The fn of the first true predicate (in order), else default() (else the last fn)."""
    pairs = list(pred_fn_pairs.items()) if isinstance(pred_fn_pairs, dict) else list(pred_fn_pairs)
    if not pairs:
        if default is None:
            raise ValueError("case: needs at least one (pred, fn) pair or a default")
        return default()
    for p, fn in pairs:
        if not callable(fn):
            raise TypeError(f"case: {fn!r} paired with {p!r} is not callable")
    if default is None:
        pairs, default = pairs[:-1], pairs[-1][1]
    result = default
    for p, fn in reversed(pairs):
        result = lambda p=p, fn=fn, rest=result: cond(p, fn, rest)  # noqa: E731
    g = get_default_graph()
    with g.name_scope(name):
        return result()


# ---- run-time loops: a body built on placeholders, run as a sub-plan -----------------------------


def _captured(g, outs: list, inner_phs: list) -> list:
    """Values the body reads from outside (not depending on the loop's placeholders)."""
    ph = {id(v.node) for v in inner_phs}
    depends: dict[int, bool] = {}
    order: list = []
    seen: set[int] = set()
    stack = [v.node for v in outs]
    while stack:  # every node the outputs need
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        order.append(n)
        stack.extend(i.node for i in n.inputs)
        stack.extend(n.control_inputs)
    for n in sorted(order, key=lambda n: n.index):
        depends[id(n)] = id(n) in ph or any(depends.get(id(i.node), False) for i in n.inputs)
    caps: list = []
    for n in order:
        if not depends[id(n)]:
            continue
        for i in n.inputs:
            if not depends[id(i.node)] and all(i is not c for c in caps):
                caps.append(i)
    for v in outs:
        if not depends[id(v.node)] and all(v is not c for c in caps):
            caps.append(v)
    return caps


class _SubPlan:
    """Outputs of a body, computed from fed placeholder and captured values by one plan."""

    def __init__(self, g, phs: list, outs: list) -> None:
        self.g, self.phs, self.outs = g, phs, outs
        self.caps = _captured(g, outs, phs)
        self._plan: Plan | None = None

    def __call__(self, state, ph_vals: list, cap_vals: list) -> list:
        if self._plan is None or self._plan.version != self.g.version:
            self._plan = Plan(self.g, self.outs, self.phs + self.caps)
        return self._plan.run(list(ph_vals) + list(cap_vals), state)


def _np_dtype(v: Value) -> np.dtype:
    return np.dtype(getattr(v.dtype, "np_dtype", v.dtype))


def _loop_node(g, name: str, inputs: list, run, out_avals: list) -> list:
    """One effect node running `run(state, *arrays) -> list of arrays`, and one node per
    output picking it (the loop runs once per session.run)."""
    packed = g.add_effect(
        lambda state, *arrays: (_box(run(state, *arrays)), {}),
        inputs, AVal((), np.dtype(np.bool_)), g.unique_name(name),
    )  # fmt: skip
    packed.node.attrs["type"] = "While"
    outs = []
    for k, aval in enumerate(out_avals):
        v = g.add_effect(
            lambda state, box, k=k: (box.items[k], {}),
            [packed],
            aval,
            g.unique_name(f"{name}/Exit"),
        )
        v.node.attrs["type"] = "Exit"
        outs.append(v)
    return outs


class _Box(np.ndarray):
    """A 0-d bool array carrying a loop's results to the nodes that pick them."""

    items: tuple = ()


class _Recorded(list):
    """A loop's results plus the loop variables entering each iteration (for its gradient)."""

    def __init__(self, vals: list, history: list, caps: tuple) -> None:
        super().__init__(vals)
        self.history, self.caps = history, caps


def _box(items: list) -> np.ndarray:
    box = np.zeros((), dtype=np.bool_).view(_Box)
    box.items = tuple(items)
    box.history = getattr(items, "history", None)
    box.caps = getattr(items, "caps", None)
    return box


def _placeholder_like(v: Value, shape: Any, name: str) -> Tensor:
    return A.placeholder(v.dtype, shape, name=name)


def while_loop(
    cond: Any, body: Any, loop_vars: Any, shape_invariants: Any = None,
    parallel_iterations: int = 10, back_prop: bool = True, swap_memory: bool = False,
    name: str | None = None, maximum_iterations: Any = None, return_same_structure: bool = False,
) -> Any:  # fmt: skip
    """Repeat `loop_vars = body(*loop_vars)` while `cond(*loop_vars)`; run at run time."""
    if not callable(cond) or not callable(body):
        raise TypeError("while_loop: cond and body must be callables")
    single = not isinstance(loop_vars, (list, tuple, dict))
    structure = [loop_vars] if single else loop_vars
    init = [x if isinstance(x, Value) else convert_to_tensor(x) for x in _flatten(structure)]
    g = graph_of(init)
    inv = _flatten_shapes(shape_invariants) if shape_invariants is not None else None
    with g.name_scope(name or "while"):
        phs = []
        for k, v in enumerate(init):
            shape = inv[k] if inv is not None else v.shape
            if isinstance(shape, TensorShape) and shape.unknown_rank:
                shape = None
            shape = None if shape is None else [None if d is None else d for d in shape]
            phs.append(_placeholder_like(v, shape, f"loop_var_{k}"))
        args = _pack(structure, phs)
        c = cond(*args) if not isinstance(args, dict) else cond(args)
        c = c if isinstance(c, Value) else convert_to_tensor(c)
        if not tfd.as_dtype(c.dtype).is_bool:
            raise TypeError(f"while_loop: cond must return a bool tensor, got {c}")
        b = body(*args) if not isinstance(args, dict) else body(args)
        b_flat = _flatten([b] if single or not isinstance(b, (list, tuple, dict)) else b)
        if len(b_flat) != len(init):
            raise ValueError(
                f"while_loop: body must return {len(init)} loop variables, got {len(b_flat)}"
            )
        b_flat = [x if isinstance(x, Value) else convert_to_tensor(x) for x in b_flat]
        for v, nb in zip(init, b_flat, strict=True):
            if nb.dtype != v.dtype:
                raise TypeError(f"while_loop: body changes the dtype of {v} to {nb.dtype}")
        test = _SubPlan(g, phs, [c])
        step = _SubPlan(g, phs, b_flat)
        limit = None
        extra: list = []
        if maximum_iterations is not None:
            limit = maximum_iterations
            if isinstance(limit, Value):
                extra = [limit]
        n_init, n_tc, n_sc = len(init), len(test.caps), len(step.caps)

        def run(state, *arrays):
            vals = list(arrays[:n_init])
            tc = arrays[n_init : n_init + n_tc]
            sc = arrays[n_init + n_tc : n_init + n_tc + n_sc]
            cap = int(arrays[-1]) if extra else (None if limit is None else int(limit))
            i = 0
            hist = [] if rec.record else None
            while (cap is None or i < cap) and bool(test(state, vals, tc)[0]):
                if hist is not None:
                    hist.append(history_of(vals))
                vals = [np.asarray(a) for a in step(state, vals, sc)]
                i += 1
            if hist is not None:
                return _Recorded(vals, hist, sc)
            return vals

        avals = [AVal(tuple(p.shape), _np_dtype(v)) for p, v in zip(phs, init, strict=True)]
        inputs = list(init) + list(test.caps) + list(step.caps) + extra
        rec = None
        outs = _loop_node(g, "while", inputs, run, avals)
        if back_prop:
            rec = LoopRecord(g, phs, b_flat, step, init, outs[0].node.inputs[0])
            for k, o in enumerate(outs):
                o.node.attrs["loop_exit"] = (rec, k)
        else:
            outs[0].node.inputs[0].node.attrs["no_backprop"] = True
    res = _pack(structure, outs)
    if single or (not return_same_structure and len(outs) == 1 and len(structure) == 1):
        return outs[0]  # TF1 hands back a lone loop variable unwrapped
    return res


# ---- map_fn / scan ---------------------------------------------------------------------


def map_fn(
    fn: Any, elems: Any, dtype: Any = None, parallel_iterations: Any = None,
    back_prop: bool = True, swap_memory: bool = False, infer_shape: bool = True,
    name: str | None = None,
) -> Any:  # fmt: skip
    """fn applied to each slice of `elems` along its first axis, results stacked."""
    flat = [x if isinstance(x, Value) else convert_to_tensor(x) for x in _flatten(elems)]
    g = graph_of(flat)
    n = flat[0].shape[0] if len(flat[0].shape) else None
    with g.name_scope(name or "map"):
        if n is not None:
            cols = [A.unstack(x, num=n) for x in flat]
            outs = [fn(_pack(elems, [c[i] for c in cols])) for i in range(n)]
            outs_flat = [_flatten(o) for o in outs]
            stacked = [A.stack([o[k] for o in outs_flat]) for k in range(len(outs_flat[0]))]
            return _pack(outs[0], stacked)
        phs = [A.placeholder(x.dtype, list(x.shape[1:]), name="elem") for x in flat]
        out = fn(_pack(elems, phs))
        out_flat = [o if isinstance(o, Value) else convert_to_tensor(o) for o in _flatten(out)]
        sub = _SubPlan(g, phs, out_flat)
        k = len(flat)

        def run(state, *arrays):
            xs, caps = arrays[:k], arrays[k:]
            rows = [sub(state, [x[i] for x in xs], caps) for i in range(len(xs[0]))]
            return [np.stack([np.asarray(r[j]) for r in rows]) for j in range(len(out_flat))]

        avals = [AVal((None, *tuple(o.shape)), _np_dtype(o)) for o in out_flat]
        res = _loop_node(g, "map", list(flat) + list(sub.caps), run, avals)
        if back_prop:
            from .map_grad import MapRecord

            rec = MapRecord(g, phs, out_flat, sub, flat)
            rec.results = list(res)
            for pos, o in enumerate(res):  # (not `k`: run() reads k)
                o.node.attrs["loop_exit"] = (rec, pos)
        else:
            res[0].node.inputs[0].node.attrs["no_backprop"] = True
    return _pack(out, res)


def scan(
    fn: Any, elems: Any, initializer: Any = None, parallel_iterations: int = 10,
    back_prop: bool = True, swap_memory: bool = False, infer_shape: bool = True,
    reverse: bool = False, name: str | None = None,
) -> Any:  # fmt: skip
    """acc = fn(acc, x) over the first axis of `elems` (reversed if `reverse`); all accs stacked."""
    flat = [x if isinstance(x, Value) else convert_to_tensor(x) for x in _flatten(elems)]
    g = graph_of(flat)
    n = flat[0].shape[0]
    if n is None:
        raise NotImplementedError(
            "scan: the first dimension of elems must be known when the graph is built; give the "
            "placeholder a fixed length, or use tf.while_loop"
        )
    with g.name_scope(name or "scan"):
        cols = [A.unstack(x, num=n) for x in flat]
        order = list(range(n))[::-1] if reverse else list(range(n))
        if initializer is None:
            acc = _pack(elems, [c[order[0]] for c in cols])
            results, order = [acc], order[1:]
        else:
            acc, results = initializer, []
        for i in order:
            acc = fn(acc, _pack(elems, [c[i] for c in cols]))
            results.append(acc)
        if reverse:
            results = results[::-1]
        flat_res = [_flatten(r) for r in results]
        stacked = [A.stack([r[k] for r in flat_res]) for k in range(len(flat_res[0]))]
    return _pack(results[0], stacked)
