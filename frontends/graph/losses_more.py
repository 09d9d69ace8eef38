"""More of `tf.losses` (hinge, Huber, cosine distance) and `tf.nn`'s weighted and Poisson
cross-entropies, plus `tf.pad` and `tf.reverse`, composed from core operations."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core import domain, ops
from .graph import GraphKeys
from .losses import Reduction, _finish, _pair, _weighted
from .math_ops import _tensor, known_rank
from .tensor import Tensor


def _s(v: float, x: Any) -> np.ndarray:
    return ops.scalar(v, x)


def hinge_loss(
    labels: Any, logits: Any, weights: Any = 1.0, scope: Any = None,
    loss_collection: Any = GraphKeys.LOSSES, reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Tensor:  # fmt: skip
    """max(0, 1 - (2 labels - 1) logits) with labels in {0, 1}."""
    g, y, z = _pair("hinge_loss", labels, logits)

    def build():
        signed = ops.sub(ops.mul(_s(2, y), y), _s(1, y))
        return _weighted(ops.relu(ops.sub(_s(1, z), ops.mul(signed, z))), weights, reduction)

    return _finish(g.build_op("HingeLoss", scope, build, default="hinge_loss"), loss_collection)


def huber_loss(
    labels: Any, predictions: Any, weights: Any = 1.0, delta: float = 1.0, scope: Any = None,
    loss_collection: Any = GraphKeys.LOSSES, reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Tensor:  # fmt: skip
    """0.5 e^2 for |e| <= delta, else delta (|e| - 0.5 delta); e = predictions - labels."""
    g, y, p = _pair("huber_loss", labels, predictions)

    def build():
        err = ops.abs(ops.sub(p, y))
        quad = ops.minimum(err, _s(delta, err))
        lin = ops.sub(err, quad)
        per = ops.add(ops.mul(_s(0.5, err), ops.mul(quad, quad)), ops.mul(_s(delta, err), lin))
        return _weighted(per, weights, reduction)

    return _finish(g.build_op("HuberLoss", scope, build, default="huber_loss"), loss_collection)


def cosine_distance(
    labels: Any, predictions: Any, axis: Any = None, weights: Any = 1.0, scope: Any = None,
    loss_collection: Any = GraphKeys.LOSSES, reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
    dim: Any = None,
) -> Tensor:  # fmt: skip
    """1 - sum(labels * predictions, axis) for unit-normalised inputs."""
    ax = axis if axis is not None else dim
    if ax is None:
        raise ValueError("cosine_distance: you must specify axis")
    g, y, p = _pair("cosine_distance", labels, predictions)

    def build():
        per = ops.sub(_s(1, p), ops.sum(ops.mul(y, p), (int(ax),), keepdims=True))
        return _weighted(per, weights, reduction)

    return _finish(
        g.build_op("CosineDistance", scope, build, default="cosine_distance_loss"), loss_collection
    )


def weighted_cross_entropy_with_logits(
    labels: Any = None, logits: Any = None, pos_weight: Any = None, name: str | None = None,
    targets: Any = None,
) -> Tensor:  # fmt: skip
    """(1 - z) x + (1 + (q - 1) z) log(1 + exp(-x)), computed stably (z labels, q pos_weight)."""
    y = labels if labels is not None else targets
    g, z, x = _pair("weighted_cross_entropy_with_logits", y, logits)
    q = float(pos_weight)

    def build():
        softplus_neg = ops.add(
            ops.log(ops.add(_s(1, x), ops.exp(ops.neg(ops.abs(x))))), ops.relu(ops.neg(x))
        )
        coef = ops.add(_s(1, x), ops.mul(_s(q - 1, x), z))
        return ops.add(ops.mul(ops.sub(_s(1, x), z), x), ops.mul(coef, softplus_neg))

    return g.build_op("WeightedCrossEntropyWithLogits", name, build, default="logistic_loss")


def log_poisson_loss(
    targets: Any, log_input: Any, compute_full_loss: bool = False, name: str | None = None
) -> Tensor:
    """exp(log_input) - targets * log_input (plus Stirling's term when compute_full_loss)."""
    g, t, c = _pair("log_poisson_loss", targets, log_input)

    def build():
        loss = ops.sub(ops.exp(c), ops.mul(t, c))
        if not compute_full_loss:
            return loss
        # t log t - t + 0.5 log(2 pi t), only where t > 1
        safe = ops.maximum(t, _s(1, t))
        stir = ops.add(
            ops.sub(ops.mul(safe, ops.log(safe)), safe),
            ops.mul(_s(0.5, t), ops.log(ops.mul(_s(2 * np.pi, t), safe))),
        )
        return ops.add(loss, ops.where(ops.greater(t, _s(1, t)), stir, ops.mul(t, _s(0, t))))

    return g.build_op("LogPoissonLoss", name, build, default="log_poisson_loss")


def pad(
    tensor: Any, paddings: Any, mode: str = "CONSTANT", name: str | None = None,
    constant_values: float = 0,
) -> Tensor:  # fmt: skip
    """Pad each axis by [before, after] (static paddings): CONSTANT, REFLECT or SYMMETRIC."""
    x = _tensor(tensor)
    known_rank("pad", x)
    try:
        pads = [(int(a), int(b)) for a, b in paddings]
    except TypeError as e:
        raise NotImplementedError(
            "pad: paddings must be static (a list of [before, after] ints)"
        ) from e
    if len(pads) != len(x.shape):
        raise ValueError(f"pad: paddings needs {len(x.shape)} [before, after] pairs, got {pads}")
    if any(a < 0 or b < 0 for a, b in pads):
        raise ValueError(f"pad: paddings must be non-negative, got {pads}")
    m = mode.upper()
    if m not in ("CONSTANT", "REFLECT", "SYMMETRIC"):
        raise ValueError(f"pad: mode must be CONSTANT, REFLECT or SYMMETRIC, got {mode!r}")

    def edge(v, axis: int, idx: slice):
        full = [slice(None)] * len(x.shape)
        full[axis] = idx
        return ops.getitem(v, tuple(full))

    def build():
        v = x
        for axis, (before, after) in enumerate(pads):
            if before == 0 and after == 0:
                continue
            parts = []
            if m == "CONSTANT":
                if before:
                    blk = ops.fill_like(edge(v, axis, slice(0, 1)), float(constant_values))
                    parts.append(blk if before == 1 else ops.concat([blk] * before, axis))
                parts.append(v)
                if after:
                    blk = ops.fill_like(edge(v, axis, slice(0, 1)), float(constant_values))
                    parts.append(blk if after == 1 else ops.concat([blk] * after, axis))
            else:
                off = 1 if m == "REFLECT" else 0
                n = x.shape[axis]
                if before:
                    parts.append(
                        edge(v, axis, slice(before - 1 + off, off - 1 if off else None, -1))
                    )
                parts.append(v)
                if after:
                    stop = n - 1 - off - after
                    parts.append(edge(v, axis, slice(n - 1 - off, stop if stop >= 0 else None, -1)))
            v = ops.concat(parts, axis)
        return ops.identity(v) if v is x else v

    return x.graph.build_op("Pad", name, build)


def reverse(tensor: Any, axis: Any, name: str | None = None) -> Tensor:
    """The tensor with the entries of each axis in `axis` in reverse order."""
    x = _tensor(tensor)
    known_rank("reverse", x)
    if isinstance(axis, (int, np.integer)) or (isinstance(axis, np.ndarray) and axis.ndim != 1):
        raise ValueError(
            f"reverse: axis must be a 1-D list of axes (as TF's ReverseV2), got {axis!r}; "
            f"write tf.reverse(x, [{axis}])"
        )
    axes = [
        domain.check_dim("reverse", int(a), len(x.shape), "axis")
        for a in (axis if isinstance(axis, (list, tuple)) else [axis])
    ]
    for i, a in enumerate(axes):
        if a in axes[:i]:  # reversing twice would undo it: TF refuses it
            raise ValueError(f"reverse: axis {a} specified more than once")
    idx = tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(len(x.shape)))
    return x.graph.build_op("ReverseV2", name, lambda: ops.getitem(x, idx))
