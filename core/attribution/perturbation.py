"""Perturbation attribution methods: occlusion and feature ablation.

Every perturbation of a chunk is stacked into one batch, so the model runs once per chunk of
`perturbations_per_eval` perturbations; the output drop at the target, spread over the
perturbed elements, is the attribution.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import ops
from .backend import Backend, check_baseline, expand_extra, rest_shape, target_values
from .gradient import _dt


def _window_masks(name: str, rest: tuple, window: tuple, strides: tuple) -> np.ndarray:
    """One 0/1 mask per window position, shape (windows, *rest); the first dim moves fastest."""
    if len(window) != len(rest) or len(strides) != len(rest):
        raise ValueError(
            f"{name}: sliding_window_shapes {window} and strides {strides} must have one entry "
            f"per non-batch dim of the input {rest}"
        )
    room = np.subtract(rest, window)
    if (room < 0).any():
        raise ValueError(f"{name}: sliding window {window} exceeds the input dims {rest}")
    if any(s < 1 or (r > 0 and s > w) for s, r, w in zip(strides, room, window, strict=True)):
        raise ValueError(
            f"{name}: strides {strides} must be >= 1 and no larger than the window {window}"
        )
    counts = [int(np.ceil(r / s)) + 1 for r, s in zip(room, strides, strict=True)]
    masks = np.zeros((int(np.prod(counts)),) + tuple(rest), np.float32)
    for k in range(masks.shape[0]):
        rem, index = k, []
        for c, s, w in zip(counts, strides, window, strict=True):
            start = (rem % c) * s
            rem //= c
            index.append(slice(start, start + w))
        masks[(k,) + tuple(index)] = 1.0
    return masks


def _feature_masks(name: str, x: Any, mask: Any) -> np.ndarray:
    """One 0/1 mask per feature id of an integer feature mask, shape (features, 1 or B, *rest)."""
    rest = rest_shape(name, x)
    if mask is None:
        size = int(np.prod(rest))
        return np.eye(size, dtype=np.float32).reshape((size, 1) + rest)
    m = np.asarray(getattr(mask, "_data", mask))
    if m.dtype.kind not in "iub":
        raise ValueError(f"{name}: feature_mask must hold integer feature ids, got {m.dtype}")
    if m.shape == rest:
        m = m.reshape((1,) + rest)
    if m.ndim != len(rest) + 1 or m.shape[1:] != rest or m.shape[0] not in (1, x.shape[0]):
        raise ValueError(
            f"{name}: feature_mask of shape {m.shape} does not fit the input of shape "
            f"{tuple(x.shape)}; give one example's shape {rest} or the input's shape"
        )
    ids = np.unique(m)
    return np.stack([(m == i).astype(np.float32) for i in ids])


def ablate(
    be: Backend,
    inputs: Sequence[Any],
    baselines: Any,
    target: Any,
    extra: Sequence[Any],
    masks: Sequence[np.ndarray],
    perturbations_per_eval: int = 1,
    normalize: bool = False,
) -> tuple:
    """Attribution of each input from the output drop when masked parts take the baseline.

    `masks[i]` holds one 0/1 mask per perturbation of input i, shape (n, 1 or batch, *rest).
    """
    if not isinstance(perturbations_per_eval, (int, np.integer)) or perturbations_per_eval < 1:
        raise ValueError(
            f"{be.name}: perturbations_per_eval must be an int >= 1, got {perturbations_per_eval!r}"
        )
    inputs = tuple(inputs)
    if baselines is None:
        baselines = 0.0
    if not isinstance(baselines, (tuple, list)):
        baselines = (baselines,) * len(inputs)
    if len(baselines) != len(inputs):
        raise ValueError(f"{be.name}: {len(baselines)} baselines for {len(inputs)} inputs")
    bases = [check_baseline(be.name, x, b, i) for i, (x, b) in
             enumerate(zip(inputs, baselines, strict=True))]  # fmt: skip
    initial = ops.reshape(target_values(be, inputs, extra, target), (1, -1))
    attrs = []
    for i, (x, b, m) in enumerate(zip(inputs, bases, masks, strict=True)):
        dt = _dt(x)
        rest = rest_shape(be.name, x)
        m = m.astype(dt)
        xe, be_ = ops.expand_dims(x, 0), ops.expand_dims(b, 0)
        total = None
        for s in range(0, m.shape[0], perturbations_per_eval):
            chunk = m[s : s + perturbations_per_eval]
            k = chunk.shape[0]
            keep = (1 - chunk).astype(dt)
            ablated = ops.add(ops.mul(xe, keep), ops.mul(be_, chunk))
            batch_in = list(inputs)
            batch_in[i] = ops.reshape(ablated, (-1,) + rest)
            for j, other in enumerate(inputs):
                if j != i and k > 1:
                    batch_in[j] = ops.concat([other] * k, axis=0)
            out = target_values(be, batch_in, expand_extra(extra, k), target, repeat=k)
            diff = ops.sub(initial, ops.reshape(out, (k, -1)))
            spread = ops.mul(ops.reshape(diff, (k, -1) + (1,) * len(rest)), chunk)
            part = ops.sum(spread, axes=(0,))
            total = part if total is None else ops.add(total, part)
        if normalize:
            counts = m.sum(axis=0)
            total = ops.div(total, np.where(counts > 0, counts, 1).astype(dt))
        attrs.append(total)
    return tuple(attrs)


def occlusion(
    be: Backend,
    inputs: Sequence[Any],
    sliding_window_shapes: Any,
    strides: Any = None,
    baselines: Any = None,
    target: Any = None,
    extra: Sequence[Any] = (),
    perturbations_per_eval: int = 1,
) -> tuple:
    """Slide a window of baseline values over each input; average the output drops it causes.

    `sliding_window_shapes` and `strides` hold one entry per input (a stride is an int or a
    tuple per dim; None means 1 everywhere).
    """
    inputs = tuple(inputs)
    windows = tuple(sliding_window_shapes)
    strides = (1,) * len(inputs) if strides is None else tuple(strides)
    if len(windows) != len(inputs) or len(strides) != len(inputs):
        raise ValueError(
            f"{be.name}: {len(windows)} sliding windows and {len(strides)} strides for "
            f"{len(inputs)} inputs; give one per input"
        )
    masks = []
    for x, w, s in zip(inputs, windows, strides, strict=True):
        rest = rest_shape(be.name, x)
        s = (s,) * len(rest) if isinstance(s, (int, np.integer)) else tuple(s)
        masks.append(_window_masks(be.name, rest, tuple(w), s)[:, None])
    return ablate(be, inputs, baselines, target, extra, masks, perturbations_per_eval, True)


def feature_ablation(
    be: Backend,
    inputs: Sequence[Any],
    baselines: Any = None,
    target: Any = None,
    extra: Sequence[Any] = (),
    feature_mask: Any = None,
    perturbations_per_eval: int = 1,
) -> tuple:
    """Replace each feature group (every element by default) by its baseline; the output drop."""
    inputs = tuple(inputs)
    if feature_mask is None or not isinstance(feature_mask, (tuple, list)):
        feature_mask = (feature_mask,) * len(inputs)
    if len(feature_mask) != len(inputs):
        raise ValueError(f"{be.name}: {len(feature_mask)} feature masks for {len(inputs)} inputs")
    masks = [_feature_masks(be.name, x, m) for x, m in zip(inputs, feature_mask, strict=True)]
    return ablate(be, inputs, baselines, target, extra, masks, perturbations_per_eval)
