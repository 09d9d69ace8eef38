"""Gradient attribution methods: saliency, input x gradient, integrated gradients, SmoothGrad."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import ops
from .approximation import step_sizes_and_alphas
from .backend import (
    Backend,
    as_tuple,
    check_baseline,
    expand_extra,
    per_example_sum,
    rest_shape,
    shape_of,
    target_grads,
    target_values,
)


def saliency(
    be: Backend,
    inputs: Sequence[Any],
    target: Any = None,
    extra: Sequence[Any] = (),
    abs: bool = True,
) -> tuple:
    """Gradients of the target with respect to each input (their absolute values by default)."""
    grads = target_grads(be, tuple(be.leaf(x) for x in inputs), extra, target)
    return tuple(ops.abs(g) for g in grads) if abs else tuple(grads)


def input_x_gradient(
    be: Backend, inputs: Sequence[Any], target: Any = None, extra: Sequence[Any] = ()
) -> tuple:
    """Each input times the gradient of the target with respect to it."""
    grads = target_grads(be, tuple(be.leaf(x) for x in inputs), extra, target)
    return tuple(ops.mul(x, g) for x, g in zip(inputs, grads, strict=True))


def baselines_for(be: Backend, inputs: Sequence[Any], baselines: Any) -> tuple:
    """One checked baseline per input (zeros when None)."""
    if baselines is None:
        baselines = 0.0
    if not isinstance(baselines, (tuple, list)):
        baselines = (baselines,) * len(inputs)
    if len(baselines) != len(inputs):
        raise ValueError(
            f"{be.name}: {len(baselines)} baselines for {len(inputs)} inputs; give one per input"
        )
    return tuple(check_baseline(be.name, x, b, i) for i, (x, b) in
                 enumerate(zip(inputs, baselines, strict=True)))  # fmt: skip


def path_gradients(be: Backend, inputs, baselines, target, extra, sizes, alphas) -> list:
    """Sum over path points of step size x gradient at baseline + alpha (input - baseline).

    The points of all steps form one batch (step-major), so the model runs once forward and
    once backward for the whole chunk of steps.
    """
    n = len(alphas)
    leaves = []
    for x, b in zip(inputs, baselines, strict=True):
        d = ops.sub(x, b)
        points = [ops.add(b, ops.mul(be.scalar(a, x), d)) for a in alphas]
        leaves.append(be.leaf(ops.concat(points, axis=0) if n > 1 else points[0]))
    grads = target_grads(be, leaves, expand_extra(extra, n), target, repeat=n)
    totals = []
    for x, g in zip(inputs, grads, strict=True):
        rest = rest_shape(be.name, x)
        weights = np.asarray(sizes, dtype=_dt(g)).reshape(n, 1)
        weighted = ops.mul(ops.reshape(g, (n, -1)), weights)
        totals.append(ops.reshape(ops.sum(weighted, axes=(0,)), (-1,) + rest))
    return totals


def _dt(x: Any) -> np.dtype:
    dt = x.dtype
    return np.dtype(getattr(dt, "as_numpy_dtype", dt))


def integrated_gradients(
    be: Backend,
    inputs: Sequence[Any],
    baselines: Any = None,
    target: Any = None,
    extra: Sequence[Any] = (),
    n_steps: int = 50,
    method: str = "gausslegendre",
    internal_batch_size: int | None = None,
    multiply_by_inputs: bool = True,
    return_convergence_delta: bool = False,
    batch: int | None = None,
) -> Any:
    """Integrated gradients: (x - baseline) times the path integral of the target's gradient."""
    inputs = tuple(inputs)
    bases = baselines_for(be, inputs, baselines)
    sizes, alphas = step_sizes_and_alphas(method, n_steps)
    chunk = n_steps
    if internal_batch_size is not None:
        if batch is None:
            raise ValueError(f"{be.name}: internal_batch_size needs a known batch size")
        if internal_batch_size < batch:
            raise ValueError(
                f"{be.name}: internal_batch_size {internal_batch_size} is smaller than the batch "
                f"of {batch} examples; it must hold at least one path step of every example"
            )
        chunk = max(1, internal_batch_size // batch)
    totals = None
    for s in range(0, n_steps, chunk):
        part = path_gradients(be, inputs, bases, target, extra, sizes[s:s + chunk],
                              alphas[s:s + chunk])  # fmt: skip
        totals = part if totals is None else [ops.add(t, p) for t, p in
                                              zip(totals, part, strict=True)]  # fmt: skip
    if multiply_by_inputs:
        attrs = tuple(ops.mul(t, ops.sub(x, b)) for t, x, b in zip(totals, inputs, bases,
                                                                   strict=True))  # fmt: skip
    else:
        attrs = tuple(totals)
    if not return_convergence_delta:
        return attrs
    return attrs, convergence_delta(be, attrs, inputs, bases, target, extra)


def convergence_delta(be: Backend, attrs, inputs, baselines, target, extra) -> Any:
    """Per example: sum of attributions minus (f(input) - f(baseline)) at the target."""
    end = target_values(be, tuple(inputs), extra, target)
    start = target_values(be, tuple(baselines), extra, target)
    total = None
    for a in attrs:
        s = per_example_sum(a)
        total = s if total is None else ops.add(total, s)
    return ops.sub(total, ops.sub(end, start))


NT_TYPES = ("smoothgrad", "smoothgrad_sq", "vargrad")


def repeat_interleave(x: Any, times: int) -> Any:
    """Each example repeated `times` times in a row along the batch."""
    if times == 1:
        return x
    rest = tuple(int(d) for d in x.shape[1:])
    e = ops.reshape(x, (-1, 1) + rest)
    return ops.reshape(ops.concat([e] * times, axis=1), (-1,) + rest)


def expand_target(target: Any, times: int) -> Any:
    """A per-example target repeated for each of `times` consecutive copies of an example."""
    if target is None or isinstance(target, (int, np.integer, tuple)):
        return target
    arr = np.asarray(getattr(target, "_data", target))
    return arr if arr.ndim == 0 else np.repeat(arr, times, axis=0)


def _is_array(b: Any) -> bool:
    return not isinstance(b, (int, float, np.number)) and len(getattr(b, "shape", ())) > 0


def _like_rows(x: Any) -> Any:
    """A (rows,) value of `x`'s batch, to shape draws of one number per row."""
    return ops.reshape(per_example_sum(x), (-1,))


def draw_rows(be: Backend, name: str, inputs: Sequence[Any], baselines: Sequence[Any]) -> tuple:
    """For each row of the (expanded) inputs, one row of each baseline drawn uniformly.

    Each baseline tensor is a distribution of rows shaped like one example; every input draws
    its own row indices from the shared stream (numbers stay numbers).
    """
    out = []
    like = _like_rows(inputs[0])
    for i, (x, b) in enumerate(zip(inputs, baselines, strict=True)):
        if not _is_array(b):
            out.append(b)
            continue
        if tuple(shape_of(b)[1:]) != tuple(shape_of(x)[1:]):
            raise ValueError(
                f"{name}: baseline {i} must be rows shaped like one example "
                f"{tuple(shape_of(x)[1:])} to draw baselines from, got shape {shape_of(b)}"
            )
        nrows = int(shape_of(b)[0])
        u = be.random("uniform", like, np.dtype(np.float64), 0.0, float(nrows))
        pick = ops.minimum(ops.cast(u, np.int64), np.asarray(nrows - 1, np.int64))
        out.append(ops.gather(b, pick, axis=0))
    return tuple(out)


def expand_baselines(inputs: Sequence[Any], baselines: Sequence[Any], times: int) -> tuple:
    """Per-example baselines repeated for each of `times` consecutive copies of an example."""
    return tuple(
        repeat_interleave(b, times)
        if _is_array(b) and shape_of(b)[0] == shape_of(x)[0] and (shape_of(b)[0] or 0) > 1
        else b
        for x, b in zip(inputs, baselines, strict=True)
    )


def noise_tunnel(
    be: Backend,
    method: Callable[..., Any],
    inputs: Sequence[Any],
    nt_type: str = "smoothgrad",
    nt_samples: int = 5,
    stdevs: float | Sequence[float] = 1.0,
    target: Any = None,
    extra: Sequence[Any] = (),
    baselines: Any = None,
    draw_baseline_from_distrib: bool = False,
    return_convergence_delta: bool = False,
    batch_size: int | None = None,
) -> Any:
    """Aggregate a method's attributions over noisy copies of the inputs (SmoothGrad and kin).

    Every example is repeated `nt_samples` times in a row with Gaussian noise of std `stdevs`
    drawn from the shared stream; `method(noisy_inputs, target, extra, baselines)` runs once on
    the whole expanded batch. Baselines (a tuple, one per input, or None) are repeated with
    their examples, or with `draw_baseline_from_distrib` one row is drawn per noisy example.
    With `return_convergence_delta` the method returns (attributions, delta) and the delta of
    every noisy example is returned after the aggregated attributions. `batch_size` limits
    the copies of each example in one run (chunks of samples, drawn chunk after chunk).
    """
    if nt_type not in NT_TYPES:
        raise ValueError(f"{be.name}: nt_type must be one of {NT_TYPES}, got {nt_type!r}")
    if not isinstance(nt_samples, (int, np.integer)) or nt_samples < 1:
        raise ValueError(f"{be.name}: nt_samples must be an int >= 1, got {nt_samples!r}")
    if batch_size is not None and (not isinstance(batch_size, (int, np.integer)) or batch_size < 1):
        raise ValueError(
            f"{be.name}: nt_samples_batch_size must be an int >= 1, got {batch_size!r}"
        )
    inputs = tuple(inputs)
    stds = as_tuple(be.name, "stdevs", stdevs, len(inputs))
    given = None
    if baselines is not None:
        given = as_tuple(be.name, "baselines", baselines, len(inputs))
    elif draw_baseline_from_distrib:
        raise ValueError(f"{be.name}: draw_baseline_from_distrib needs baselines to draw from")
    chunk = nt_samples if batch_size is None else min(nt_samples, int(batch_size))
    sums, sums_sq, deltas = None, None, []
    for start in range(0, nt_samples, chunk):
        n = min(chunk, nt_samples - start)
        noisy = []
        for x, sd in zip(inputs, stds, strict=True):
            rep = repeat_interleave(x, n)
            noisy.append(ops.add(rep, be.random("normal", rep, _dt(x), 0.0, float(sd))))
        ext = tuple(repeat_interleave(a, n) if len(getattr(a, "shape", ())) else a
                    for a in extra)  # fmt: skip
        bases = None
        if given is not None:
            bases = (draw_rows(be, be.name, noisy, given) if draw_baseline_from_distrib
                     else expand_baselines(inputs, given, n))  # fmt: skip
        res = method(tuple(noisy), expand_target(target, n), ext, bases)
        attrs, delta = res if return_convergence_delta else (res, None)
        deltas.append(delta)
        part, part_sq = [], []
        for a in attrs:  # shaped like the inputs, or like a layer for layer methods
            grouped = ops.reshape(a, (-1, n) + rest_shape(be.name, a))
            part.append(ops.sum(grouped, axes=(1,)))
            if nt_type != "smoothgrad":
                part_sq.append(ops.sum(ops.mul(grouped, grouped), axes=(1,)))
        if sums is None:
            sums, sums_sq = part, part_sq
        else:
            sums = [ops.add(t, p) for t, p in zip(sums, part, strict=True)]
            sums_sq = [ops.add(t, p) for t, p in zip(sums_sq, part_sq, strict=True)]
    out = []
    for i, total in enumerate(sums):
        k = be.scalar(nt_samples, total)
        mean = ops.div(total, k)
        if nt_type == "smoothgrad":
            out.append(mean)
            continue
        mean_sq = ops.div(sums_sq[i], k)
        out.append(mean_sq if nt_type == "smoothgrad_sq" else ops.sub(mean_sq, ops.mul(mean, mean)))
    if not return_convergence_delta:
        return tuple(out)
    return tuple(out), deltas[0] if len(deltas) == 1 else ops.concat(deltas, axis=0)


def gradient_shap(
    be: Backend,
    inputs: Sequence[Any],
    baselines: Sequence[Any],
    n_samples: int = 5,
    stdevs: float | Sequence[float] = 0.0,
    target: Any = None,
    extra: Sequence[Any] = (),
    multiply_by_inputs: bool = True,
    return_convergence_delta: bool = False,
) -> Any:
    """Expected gradients: a random baseline row and a random point on the path per sample.

    For each of `n_samples` noisy copies of every example: a row of each baseline drawn
    uniformly, alpha ~ U[0, 1), and gradient(baseline + alpha (noisy - baseline)) times
    (noisy - baseline); the result is their mean. The convergence delta (one per noisy copy) is
    sum(attribution) - (f(noisy) - f(baseline)).
    """
    inputs = tuple(inputs)
    if not isinstance(baselines, (tuple, list)):
        baselines = (baselines,)
    if len(baselines) != len(inputs):
        raise ValueError(f"{be.name}: {len(baselines)} baselines for {len(inputs)} inputs")
    for i, (x, b) in enumerate(zip(inputs, baselines, strict=True)):
        if not _is_array(b) or tuple(b.shape[1:]) != tuple(x.shape[1:]):
            raise ValueError(
                f"{be.name}: baseline {i} must be a tensor of rows shaped like one example "
                f"{tuple(x.shape[1:])}, got {getattr(b, 'shape', b)}"
            )

    def _one(noisy, tgt, ext, bases):
        alpha = be.random("uniform", _like_rows(noisy[0]), _dt(noisy[0]), 0.0, 1.0)
        leaves, diffs = [], []
        for x, base in zip(noisy, bases, strict=True):
            rest = tuple(int(d) for d in x.shape[1:])
            a = ops.reshape(alpha, (-1,) + (1,) * len(rest))
            d = ops.sub(x, base)
            leaves.append(be.leaf(ops.add(base, ops.mul(a, d))))
            diffs.append(d)
        grads = target_grads(be, leaves, ext, tgt)
        if multiply_by_inputs:
            grads = tuple(ops.mul(g, d) for g, d in zip(grads, diffs, strict=True))
        if not return_convergence_delta:
            return tuple(grads)
        return tuple(grads), convergence_delta(be, grads, noisy, bases, tgt, ext)

    return noise_tunnel(be, _one, inputs, "smoothgrad", n_samples, stdevs, target, extra,
                        tuple(baselines), True, return_convergence_delta)  # fmt: skip
