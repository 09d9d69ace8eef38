"""TF1 ops that run Python at run time: `tf.py_func`, `tf.Print`, `tf.Assert` (queues, queue
runners and `tf.train.Coordinator` live in queues.py and queue_runner.py)."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from ...core.primitives.registry import AVal
from . import dtypes as tfd
from .control_flow_more import _loop_node
from .errors import InvalidArgumentError
from .graph import get_default_graph, graph_of
from .math_ops import _tensor
from .shapes import TensorShape


def _unknown() -> TensorShape:
    return TensorShape(None)


def py_func(
    func: Any,
    inp: Any,
    Tout: Any,
    stateful: bool = True,
    name: str | None = None,  # noqa: N803
) -> Any:
    """Call `func` on the inputs' numpy values when run; outputs of dtypes Tout (shapes unknown
    until run, as in TF). No gradient flows through it."""
    single = not isinstance(Tout, (list, tuple))
    touts = [tfd.as_dtype(t) for t in ([Tout] if single else Tout)]
    xs = [_tensor(x) for x in inp]
    g = graph_of(xs) if xs else get_default_graph()

    def run(state: Any, *arrays: Any) -> list:
        out = func(*arrays)
        outs = [out] if single else list(out)
        if len(outs) != len(touts):
            raise InvalidArgumentError(
                None, None, f"py_func: {func} returned {len(outs)} values, Tout has {len(touts)}"
            )
        done = []
        for v, t in zip(outs, touts, strict=True):
            a = np.asarray(v)
            if a.dtype != t.np_dtype:
                raise InvalidArgumentError(
                    None, None,
                    f"py_func: {func} returned {a.dtype} where Tout says {t.name}; cast it",
                )  # fmt: skip
            done.append(a)
        return done

    avals = [AVal(_unknown(), t.np_dtype) for t in touts]
    with g.name_scope(name or "PyFunc"):
        outs = _loop_node(g, "py_func", xs, run, avals)
    return outs[0] if single else outs


def Print(  # noqa: N802 - TF's name
    input_: Any, data: Any, message: str | None = None, first_n: Any = None,
    summarize: Any = None, name: str | None = None,
) -> Any:  # fmt: skip
    """input_ itself; printing `message` and the values of `data` to stderr each time it runs."""
    from .array_ops import identity
    from .control_flow import group

    x = _tensor(input_)
    items = [_tensor(d) for d in data]
    limit = 3 if summarize is None else int(summarize)
    count = [0]

    def run(state: Any, *arrays: Any) -> list:
        count[0] += 1
        if first_n is None or first_n < 0 or count[0] <= first_n:
            shown = []
            for a in arrays:
                flat = np.asarray(a).ravel()
                body = " ".join(str(v) for v in flat[:limit]) + ("..." if flat.size > limit else "")
                shown.append(f"[{body}]")
            print(f"{message or ''}{''.join(shown)}", file=sys.stderr)
        return [np.zeros((), np.bool_)]

    with x.graph.name_scope(name or "Print"):
        done = _loop_node(x.graph, "print", items, run, [AVal((), np.dtype(np.bool_))])
        with x.graph.control_dependencies([group(*done)]):
            return identity(x)


def Assert(  # noqa: N802 - TF's name
    condition: Any, data: Any, summarize: Any = None, name: str | None = None
) -> Any:
    """An op failing the run with InvalidArgumentError (showing `data`) when condition is false."""
    from .control_flow import group

    c = _tensor(condition)
    if not tfd.as_dtype(c.dtype).is_bool:
        raise TypeError(f"Assert: condition must be a bool tensor, got {c}")
    items = [_tensor(d) if not isinstance(d, str) else None for d in data]
    texts = [d if isinstance(d, str) else None for d in data]
    tensors = [t for t in items if t is not None]

    def run(state: Any, cond: Any, *arrays: Any) -> list:
        if not bool(np.all(cond)):
            it = iter(arrays)
            parts = [t if t is not None else str(np.asarray(next(it))) for t in texts]
            raise InvalidArgumentError(None, None, "assertion failed: " + " ".join(parts))
        return [np.zeros((), np.bool_)]

    with c.graph.name_scope(name or "Assert"):
        done = _loop_node(c.graph, "assert", [c, *tensors], run, [AVal((), np.dtype(np.bool_))])
        return group(*done)
