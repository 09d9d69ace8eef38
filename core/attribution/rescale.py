"""DeepLift's rescale rule as a value with a custom gradient, for both styles.

For a nonlinearity y = f(x) run on a batch holding the inputs then the baselines (2n rows),
the rescale rule passes back g * (y - y_ref) / (x - x_ref) instead of g * f'(x) (where the inputs
differ by more than eps). The substitute below has y's value and that gradient, built only from
core operations: where(small, y, stop(y) + stop(m) * (x - stop(x))).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import ops


def rescaled(x: Any, y: Any, xv: Any, yv: Any, eps: float) -> Any:
    """`y` with the rescale multiplier as its gradient; `xv`, `yv` are plain values of x, y."""
    dt = np.dtype(getattr(yv.dtype, "as_numpy_dtype", yv.dtype))
    rest = tuple(int(d) for d in yv.shape[1:])
    x2 = ops.reshape(xv, (2, -1) + rest)
    y2 = ops.reshape(yv, (2, -1) + rest)
    dx = ops.sub(ops.getitem(x2, (0,)), ops.getitem(x2, (1,)))
    dy = ops.sub(ops.getitem(y2, (0,)), ops.getitem(y2, (1,)))
    dx = ops.concat([dx, dx], axis=0)
    dy = ops.concat([dy, dy], axis=0)
    small = ops.less(ops.abs(dx), np.asarray(eps, dt))
    m = ops.stop_gradient(ops.div(dy, ops.where(small, np.ones((), dt), dx)))
    path = ops.add(ops.stop_gradient(y), ops.mul(m, ops.sub(x, ops.stop_gradient(x))))
    return ops.where(small, y, path)


def deep_lift(
    be: Any,
    inputs: tuple,
    baselines: Any = None,
    target: Any = None,
    extra: tuple = (),
    eps: float = 1e-10,
    multiply_by_inputs: bool = True,
    return_convergence_delta: bool = False,
    custom: Any = None,
) -> Any:
    """DeepLift (rescale rule): the model runs once on inputs then baselines stacked.

    `custom(multipliers, inputs, baselines)`, when given, turns the multipliers (tuples, one per
    input) into the attributions in place of (input - baseline) * multiplier.

    `be.forward_rescaled(inputs, extra, eps)` runs the model with each nonlinearity replaced by
    `rescaled`.
    """
    from .backend import expand_extra, per_example_sum, select_target, target_values
    from .gradient import baselines_for

    inputs = tuple(inputs)
    bases = baselines_for(be, inputs, baselines)
    leaves = tuple(be.leaf(ops.concat([x, b], axis=0)) for x, b in zip(inputs, bases, strict=True))
    out = be.forward_rescaled(leaves, expand_extra(extra, 2), eps)
    grads = be.grad(ops.sum(select_target(be.name, out, target, repeat=2)), leaves)
    halves = []
    for g in grads:
        rest = tuple(int(d) for d in g.shape[1:])
        halves.append(ops.getitem(ops.reshape(g, (2, -1) + rest), (0,)))
    if custom is not None:
        attrs = tuple(custom(tuple(halves), inputs, bases))
    elif multiply_by_inputs:
        attrs = tuple(ops.mul(ops.sub(x, b), h) for x, b, h in zip(inputs, bases, halves,
                                                                   strict=True))  # fmt: skip
    else:
        attrs = tuple(halves)
    if not return_convergence_delta:
        return attrs
    end = target_values(be, inputs, extra, target)
    start = target_values(be, bases, extra, target)
    total = None
    for a in attrs:
        s = per_example_sum(a)
        total = s if total is None else ops.add(total, s)
    return attrs, ops.sub(total, ops.sub(end, start))
