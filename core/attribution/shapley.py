"""Shapley value sampling: feature groups added to the baseline in random orders.

For each of `n_samples` random orders of the feature groups, the input starts at the baseline and
takes the groups one at a time; each group's attribution is the mean change of the target output
when it is added. The orders are drawn from the shared stream when the attribution is built.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import ops
from ..random import default_generator
from .backend import Backend, check_baseline, expand_extra, rest_shape, target_values
from .gradient import _dt
from .perturbation import _feature_masks


def shapley_value_sampling(
    be: Backend,
    inputs: Sequence[Any],
    baselines: Any = None,
    target: Any = None,
    extra: Sequence[Any] = (),
    feature_mask: Any = None,
    n_samples: int = 25,
    perturbations_per_eval: int = 1,
) -> tuple:
    """Sampled Shapley values of each feature group (every element by default), per input."""
    if not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise ValueError(f"{be.name}: n_samples must be an int >= 1, got {n_samples!r}")
    if not isinstance(perturbations_per_eval, (int, np.integer)) or perturbations_per_eval < 1:
        raise ValueError(
            f"{be.name}: perturbations_per_eval must be an int >= 1, got {perturbations_per_eval!r}"
        )
    inputs = tuple(inputs)
    if baselines is None:
        baselines = 0.0
    if not isinstance(baselines, (tuple, list)):
        baselines = (baselines,) * len(inputs)
    if feature_mask is None or not isinstance(feature_mask, (tuple, list)):
        feature_mask = (feature_mask,) * len(inputs)
    if len(baselines) != len(inputs) or len(feature_mask) != len(inputs):
        raise ValueError(f"{be.name}: give one baseline and one feature mask per input")
    bases = [check_baseline(be.name, x, b, i) for i, (x, b) in
             enumerate(zip(inputs, baselines, strict=True))]  # fmt: skip
    masks = [_feature_masks(be.name, x, m) for x, m in zip(inputs, feature_mask, strict=True)]
    # features of all inputs share one numbering: (input index, group index)
    feats = [(i, k) for i, m in enumerate(masks) for k in range(m.shape[0])]
    nf = len(feats)
    orders = [default_generator.permutation(nf) for _ in range(n_samples)]
    # the 0/1 "taken" state of every input after each step of every order: (states, 1|B, *rest)
    states = [[] for _ in inputs]
    for order in orders:
        taken = [np.zeros(m.shape[1:], np.float32) for m in masks]
        for i in range(len(inputs)):
            states[i].append(taken[i].copy())
        for f in order:
            i, k = feats[f]
            taken[i] = np.maximum(taken[i], masks[i][k])
            for j in range(len(inputs)):
                states[j].append(taken[j].copy())
    per_order = nf + 1
    outs = []
    total = n_samples * per_order
    for s in range(0, total, perturbations_per_eval):
        n = min(perturbations_per_eval, total - s)
        batch_in = []
        for x, b, st in zip(inputs, bases, states, strict=True):
            dt = _dt(x)
            chunk = np.stack(st[s : s + n]).astype(dt)
            diff = ops.sub(ops.expand_dims(x, 0), ops.expand_dims(b, 0))
            point = ops.add(ops.expand_dims(b, 0), ops.mul(diff, chunk))
            batch_in.append(ops.reshape(point, (-1,) + rest_shape(be.name, x)))
        vals = target_values(be, batch_in, expand_extra(extra, n), target, repeat=n)
        outs.append(ops.reshape(vals, (n, -1)))
    allv = ops.concat(outs, axis=0) if len(outs) > 1 else outs[0]
    # step gains, shape (n_samples, nf, batch): output after a step minus before it
    grid = ops.reshape(allv, (n_samples, per_order, -1))
    gains = ops.sub(ops.getitem(grid, (slice(None), slice(1, None))),
                    ops.getitem(grid, (slice(None), slice(0, nf))))  # fmt: skip
    # credit each step's gain to the feature taken at that step
    where = np.zeros((n_samples, nf, nf), np.float64)
    for r, order in enumerate(orders):
        where[r, np.arange(nf), order] = 1.0
    attrs = []
    for i, (x, m) in enumerate(zip(inputs, masks, strict=True)):
        dt = _dt(x)
        rest = rest_shape(be.name, x)
        cols = [f for f in range(nf) if feats[f][0] == i]
        sel = where[:, :, cols].astype(dt)  # (n_samples, step, this input's features)
        # per feature and example: sum over orders of the gain of the step that took it
        g = ops.reshape(ops.transpose(gains, (2, 0, 1)), (-1, n_samples * nf))
        per_feat = ops.matmul(g, sel.reshape(n_samples * nf, len(cols)))  # (batch, features)
        per_feat = ops.div(per_feat, np.asarray(n_samples, dt))
        fm = m.astype(dt).reshape(m.shape[0], m.shape[1], -1)  # (features, 1|B, P)
        if fm.shape[1] == 1:
            spread = ops.matmul(per_feat, fm[:, 0])
        else:
            spread = ops.sum(ops.mul(ops.expand_dims(ops.transpose(per_feat, (1, 0)), 2), fm),
                             axes=(0,))  # fmt: skip
        attrs.append(ops.reshape(spread, (-1,) + rest))
    return tuple(attrs)
