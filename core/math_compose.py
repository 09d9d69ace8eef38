"""Rounding, running sums/products, products and top-k, written once with core operations.

Both frontends can call these (they take arrays or symbolic values alike), so a program using
them in either style runs the same primitives in the same order. Rounding is the core's
floor / ceil / round primitives (float inputs only here, as TF requires).
Running sums and products accumulate left to right, one element at a time, as a sequential
scan does; their gradients follow from the core rules of the steps.
"""

from __future__ import annotations

import numpy as np

from . import ops


def _require_float(op: str, x) -> np.dtype:
    dt = np.dtype(x.dtype)
    if dt.kind != "f":
        raise TypeError(
            f"{op}: expects a float tensor, got dtype {dt.name}; cast it first (integers are "
            "already whole)"
        )
    return dt


def floor(x):
    """The largest integer not above x (NaN and infinities pass through)."""
    _require_float("floor", x)
    return ops.floor(x)


def ceil(x):
    """The smallest integer not below x."""
    _require_float("ceil", x)
    return ops.ceil(x)


def round_half_even(x):
    """The nearest integer, halves to the even neighbour (banker's rounding, as TF and torch)."""
    _require_float("round", x)
    return ops.round(x)


def _axis(op: str, x, axis: int) -> int:
    nd = len(x.shape)
    if nd == 0:  # as TF: a scan needs an axis to run along
        raise ValueError(f"{op}: the input must be at least rank 1, got a scalar (rank 0)")
    if not -nd <= int(axis) < max(nd, 1):
        raise ValueError(f"{op}: axis {axis} is out of range for a tensor of rank {nd}")
    return int(axis) % nd


def _slice_at(x, axis: int, i: int):
    return ops.getitem(x, (slice(None),) * axis + (i,))


def _length(op: str, x, axis: int) -> int:
    n = x.shape[axis]
    if n is None:
        raise ValueError(
            f"{op}: the length of axis {axis} of {x} must be known when the graph is built; "
            "give the placeholder a fixed size along it"
        )
    return int(n)


def scan_op(op: str, step, x, axis: int = 0, exclusive: bool = False, reverse: bool = False):
    """Running `step` (add or mul) along `axis`, optionally exclusive and/or from the end."""
    ax = _axis(op, x, axis)
    n = _length(op, x, ax)
    order = list(range(n))[::-1] if reverse else list(range(n))
    unit = ops.scalar(0 if step is ops.add else 1, x)
    outs: dict[int, object] = {}
    acc = None
    for i in order:
        item = _slice_at(x, ax, i)
        if exclusive:
            outs[i] = ops.add(ops.mul(item, ops.scalar(0, x)), unit) if acc is None else acc
            acc = item if acc is None else step(acc, item)
        else:
            acc = item if acc is None else step(acc, item)
            outs[i] = acc
    if n == 0:
        return x
    return ops.stack([outs[i] for i in range(n)], ax)


def cumsum(x, axis: int = 0, exclusive: bool = False, reverse: bool = False):
    """Running sum along `axis`."""
    return scan_op("cumsum", ops.add, x, axis, exclusive, reverse)


def cumprod(x, axis: int = 0, exclusive: bool = False, reverse: bool = False):
    """Running product along `axis`."""
    return scan_op("cumprod", ops.mul, x, axis, exclusive, reverse)


def prod(x, axes=None, keepdims: bool = False):
    """Product over `axes` (None = all), multiplied left to right along each axis."""
    nd = len(x.shape)
    if axes is None:
        axes = tuple(range(nd))
    elif isinstance(axes, (int, np.integer)):
        axes = (int(axes),)
    named = [_axis("reduce_prod", x, a) for a in axes]
    if len(set(named)) != len(named):  # as TF: an axis named twice is refused
        raise ValueError(f"reduce_prod: axes {tuple(axes)} name an axis more than once")
    axes = sorted(named, reverse=True)
    out = x
    for ax in axes:  # highest axis first, so the lower axis numbers stay valid
        n = _length("reduce_prod", out, ax)
        if n == 0:
            acc = ops.add(ops.sum(out, (ax,), False), ops.scalar(1, x))
        else:
            acc = _slice_at(out, ax, 0)
            for i in range(1, n):
                acc = ops.mul(acc, _slice_at(out, ax, i))
        out = ops.expand_dims(acc, ax) if keepdims else acc
    return out


def top_k(x, k: int):
    """The k largest entries of the last axis, largest first (ties: lower index first), and
    their int32 indices; the values carry gradients back to the entries they came from."""
    if len(x.shape) == 0:
        raise ValueError("top_k: input must have rank >= 1")
    n = x.shape[-1]
    k = int(k)
    if k < 0 or (n is not None and k > n):
        raise ValueError(f"top_k: k = {k} must be in [0, {n}] (the last dimension of {x})")
    dt = np.dtype(x.dtype)
    low = -np.inf if dt.kind == "f" else np.iinfo(dt).min
    if n is None:
        raise ValueError(f"top_k: the last dimension of {x} must be known when the graph is built")
    positions = np.arange(n, dtype=np.int64)
    cur = ops.stop_gradient(x)
    # which entries are still to be taken: a taken entry is set to the lowest value, which a
    # genuine lowest value (-inf, the integer minimum) ties with, so once only those are left
    # the first entry still alive is taken (never a taken one twice)
    from .primitives.shaping import fill_like

    alive = fill_like(cur, 1, dt)
    values, indices = [], []
    for _ in range(k):
        best = ops.argmax(cur, -1)
        first_alive = ops.argmax(alive, -1)
        idx = ops.where(ops.greater(ops.pick(alive, best), ops.scalar(0, x)), best, first_alive)
        values.append(ops.pick(x, idx))
        indices.append(ops.cast(idx, np.int32))
        taken = ops.equal(ops.expand_dims(idx, -1), positions)
        cur = ops.where(taken, ops.scalar(low, x), cur)
        alive = ops.where(taken, ops.scalar(0, x), alive)
    if not values:
        empty = ops.getitem(x, (Ellipsis, slice(0, 0)))
        return empty, ops.cast(empty, np.int32)
    return ops.stack(values, -1), ops.stack(indices, -1)
