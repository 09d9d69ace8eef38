"""`tf.gradients`: the core's one reverse sweep run over the graph's nodes.

The nodes hold symbolic values, so the VJP rules (written with core ops) add gradient nodes to
the graph instead of computing numbers: the very rules, in the very order, that the eager
frontend runs on arrays.
"""

from __future__ import annotations

from typing import Any

from ...core import ops
from ...core.autodiff import reverse_sweep
from ...core.ir import Value
from . import convert
from .gradient_override import apply_overrides
from .graph import graph_of
from .tensor import Tensor
from .while_grad import sweep_nodes


def _as_list(x: Any) -> list:
    if x is None:
        return []
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _fresh_reads(g: Any, xs: list, last: int) -> dict:
    """For each variable in xs, its other read nodes (made inside control_dependencies): the
    gradient reaching them is the variable's too."""
    variables = {
        id(x): x for x in xs if x.node.kind == "variable" and x.node.params.get("key") is x
    }
    reads: dict = {}
    if not variables:
        return reads
    for node in g.nodes[: last + 1]:
        key = node.params.get("key") if node.kind == "variable" else None
        if key is not None and id(key) in variables and node.output is not key:
            reads.setdefault(id(key), []).append(node.output)
    return reads


def gradients(
    ys: Any,
    xs: Any,
    grad_ys: Any = None,
    name: str = "gradients",
    colocate_gradients_with_ops: bool = False,
    gate_gradients: bool = False,
    aggregation_method: Any = None,
    stop_gradients: Any = None,
    unconnected_gradients: str = "none",
) -> list:
    """d(sum of ys)/dx for each x: a list of tensors, None where x does not reach any y."""
    ys = [convert.convert_to_tensor(y) if not isinstance(y, Value) else y for y in _as_list(ys)]
    xs = _as_list(xs)
    if not ys:
        raise ValueError("gradients: ys must hold at least one tensor")
    for x in xs:
        if not isinstance(x, Value):
            raise TypeError(f"gradients: xs must be tensors or variables, got {x!r}")
    g = graph_of(ys, xs)
    grad_ys = _as_list(grad_ys)
    if grad_ys and len(grad_ys) != len(ys):
        raise ValueError(
            f"gradients: grad_ys has {len(grad_ys)} entries but ys has {len(ys)}; give one per y"
        )
    if unconnected_gradients not in ("none", "zero"):
        raise ValueError(
            f"unconnected_gradients must be 'none' or 'zero', got {unconnected_gradients!r}"
        )
    stops = {id(s) for s in _as_list(stop_gradients)}
    last = max(y.node.index for y in ys)
    # only op nodes carry gradients; a stop_gradients tensor's own node is left out, which
    # cuts the flow through it
    # (a while loop's outputs join as nodes whose VJP runs the loop backwards)
    nodes = apply_overrides(sweep_nodes(g.nodes[: last + 1], stops))
    with g.name_scope(name):
        seeds = []
        for i, y in enumerate(ys):
            gy = grad_ys[i] if grad_ys else None
            if gy is None:
                seed = ops.fill_like(y, 1)
            else:
                seed = gy if isinstance(gy, Value) else convert.operand(gy, y, g, "grad_ys")
                if seed.dtype != y.dtype:
                    raise TypeError(f"gradients: grad_ys[{i}] {seed} must have the dtype of {y}")
                if not seed.shape.is_compatible_with(y.shape):
                    raise ValueError(
                        f"gradients: grad_ys[{i}] has shape {seed.shape}, y has {y.shape}"
                    )
            seeds.append((y, seed))
        reads = _fresh_reads(g, xs, last)
        found = reverse_sweep(nodes, seeds, xs + [r for rs in reads.values() for r in rs])
        out: list[Tensor | None] = []
        for x in xs:
            gx = found.get(x)
            for r in reads.get(id(x), ()):  # a variable read again inside control_dependencies
                gr = found.get(r)
                if gr is not None:
                    gx = gr if gx is None else ops.add(gx, gr)
            if gx is None:
                _refuse_run_time_loops(ys, x)
            if gx is None and unconnected_gradients == "zero":
                gx = ops.fill_like(x, 0)
            out.append(gx)
    return out


def _ancestors(values: list) -> dict:
    """Every node the values depend on (through inputs), by id."""
    seen: dict = {}
    stack = [v.node for v in values]
    while stack:
        n = stack.pop()
        if id(n) not in seen:
            seen[id(n)] = n
            stack.extend(i.node for i in n.inputs)
    return seen


def _refuse_run_time_loops(ys: list, x: Value) -> None:
    """A gradient that would have to pass through a loop run at run time (tf.while_loop, or
    map_fn over a length unknown when built) is not provided: say so instead of None."""
    for n in _ancestors(ys).values():
        if n.kind == "op" or n.attrs.get("type") != "While" or "no_backprop" in n.attrs:
            continue
        if any("loop_exit" in c.attrs for c in _consumers(n)):
            continue
        if id(x.node) in _ancestors(list(n.inputs)):
            raise NotImplementedError(
                f"tf.gradients: the path from {x} to the ys passes through the loop "
                f"'{n.name}', which runs at run time and has no gradient in duograd; unroll it "
                "(a Python loop, or tf.map_fn / tf.scan over a length known when the graph is "
                "built), or stop the gradient before it"
            )


def _consumers(node: Any) -> list:
    """Nodes reading `node`'s output."""
    return [n for n in node.graph.nodes[node.index + 1 :] if any(i.node is node for i in n.inputs)]
