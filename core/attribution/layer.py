"""Layer attribution methods: Grad-CAM, layer integrated gradients, neuron gradient."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import ops
from .approximation import step_sizes_and_alphas
from .backend import LayerBackend, expand_extra, select_target, shape_of, tile_batch
from .gradient import _dt


def grad_cam_from(
    acts: Any, grads: Any, relu_attributions: bool = False, attr_dim_summation: bool = True
) -> Any:
    """Grad-CAM from a layer's activations and gradients: channel weights are mean gradients."""
    nd = len(shape_of(acts))
    weights = ops.mean(grads, axes=tuple(range(2, nd)), keepdims=True) if nd > 2 else grads
    cam = ops.mul(weights, acts)
    if attr_dim_summation:
        cam = ops.sum(cam, axes=(1,), keepdims=True)
    return ops.relu(cam) if relu_attributions else cam


def grad_cam(
    be: LayerBackend,
    inputs: Sequence[Any],
    layer: Any,
    target: Any = None,
    extra: Sequence[Any] = (),
    relu_attributions: bool = False,
    attr_dim_summation: bool = True,
) -> Any:
    """Grad-CAM at `layer`: activations weighted by their mean gradient, summed over channels."""
    out, acts = be.forward_layer(tuple(inputs), extra, layer)
    (g,) = be.grad(ops.sum(select_target(be.name, out, target)), (acts,))
    return grad_cam_from(be.value(acts), g, relu_attributions, attr_dim_summation)


def layer_gradients(be: LayerBackend, inputs, layer, target, extra) -> tuple:
    """(activations, gradients of the target) at `layer`."""
    out, acts = be.forward_layer(tuple(inputs), extra, layer)
    (g,) = be.grad(ops.sum(select_target(be.name, out, target)), (acts,))
    return be.value(acts), g


def steps_per_chunk(
    name: str, n: int, internal_batch_size: int | None, batch: int | None, least: int = 1
) -> int:
    """How many path steps of every example one model run holds (all `n` when no limit)."""
    if internal_batch_size is None:
        return n
    if batch is None:
        raise ValueError(f"{name}: internal_batch_size needs a known batch size")
    if internal_batch_size < least * batch:
        raise ValueError(
            f"{name}: internal_batch_size {internal_batch_size} is smaller than {least} x the "
            f"batch of {batch} examples; it must hold {least} path step(s) of every example"
        )
    return max(least, internal_batch_size // batch)


def layer_integrated_gradients(
    be: LayerBackend,
    inputs: Sequence[Any],
    layer: Any,
    baselines: Sequence[Any],
    target: Any = None,
    extra: Sequence[Any] = (),
    n_steps: int = 50,
    method: str = "gausslegendre",
    multiply_by_inputs: bool = True,
    return_convergence_delta: bool = False,
    internal_batch_size: int | None = None,
    batch: int | None = None,
) -> Any:
    """Integrated gradients of the layer's output along the path from its baseline activations.

    The path points of a chunk of steps form one batch (all steps unless internal_batch_size
    limits the rows of one run).
    """
    inputs, baselines = tuple(inputs), tuple(baselines)
    _, act_x = be.forward_layer(inputs, extra, layer)
    _, act_b = be.forward_layer(baselines, extra, layer)
    act_x, act_b = be.value(act_x), be.value(act_b)
    sizes, alphas = step_sizes_and_alphas(method, n_steps)
    chunk = steps_per_chunk(be.name, len(alphas), internal_batch_size, batch)
    d = ops.sub(act_x, act_b)
    rest = shape_of(act_x)[1:]
    total = None
    for s in range(0, len(alphas), chunk):
        part_a, part_s = alphas[s : s + chunk], sizes[s : s + chunk]
        n = len(part_a)
        pts = [ops.add(act_b, ops.mul(be.scalar(a, act_x), d)) for a in part_a]
        points = ops.concat(pts, axis=0) if n > 1 else pts[0]
        expanded = tuple(tile_batch(x, n) for x in inputs)
        out, leaf = be.forward_layer(expanded, expand_extra(extra, n), layer, replace=points)
        (g,) = be.grad(ops.sum(select_target(be.name, out, target, repeat=n)), (leaf,))
        weights = np.asarray(part_s, dtype=_dt(g)).reshape(n, 1)
        part = ops.reshape(ops.sum(ops.mul(ops.reshape(g, (n, -1)), weights), axes=(0,)),
                           (-1,) + rest)  # fmt: skip
        total = part if total is None else ops.add(total, part)
    attr = ops.mul(total, d) if multiply_by_inputs else total
    if not return_convergence_delta:
        return attr
    return attr, _delta(be, attr, inputs, baselines, target, extra)


def _delta(be: LayerBackend, attr, inputs, baselines, target, extra) -> Any:
    """Per example: sum of the attributions minus (f(input) - f(baseline)) at the target."""
    from .backend import per_example_sum, target_values

    end = target_values(be, inputs, extra, target)
    start = target_values(be, baselines, extra, target)
    return ops.sub(per_example_sum(attr), ops.sub(end, start))


def neuron_gradient(
    be: LayerBackend,
    inputs: Sequence[Any],
    layer: Any,
    neuron_selector: Any,
    extra: Sequence[Any] = (),
) -> tuple:
    """Gradient of one neuron of the layer's output (summed over the batch) w.r.t. each input."""
    leaves = tuple(be.leaf(x) for x in inputs)
    _, acts = be.forward_layer(leaves, extra, layer)
    if isinstance(neuron_selector, (int, np.integer)):
        neuron_selector = (int(neuron_selector),)
    rest = shape_of(acts)[1:]
    if len(neuron_selector) != len(rest) or any(
        not -d <= i < d for i, d in zip(neuron_selector, rest, strict=True)
    ):
        raise IndexError(
            f"{be.name}: neuron_selector {neuron_selector} does not index the layer's output "
            f"of shape {shape_of(acts)}"
        )
    neuron = ops.getitem(acts, (slice(None),) + tuple(int(i) for i in neuron_selector))
    return be.grad(ops.sum(neuron), leaves)


def layer_conductance(
    be: LayerBackend,
    inputs: Sequence[Any],
    layer: Any,
    baselines: Sequence[Any],
    target: Any = None,
    extra: Sequence[Any] = (),
    n_steps: int = 50,
    method: str = "gausslegendre",
    internal_batch_size: int | None = None,
    batch: int | None = None,
    return_convergence_delta: bool = False,
) -> Any:
    """Conductance of the layer's neurons: gradient times the change of the neuron along the
    input path, summed over n_steps + 1 path points (all points in one batch, or chunks of
    internal_batch_size rows that overlap by one point)."""
    inputs, baselines = tuple(inputs), tuple(baselines)
    _, alphas = step_sizes_and_alphas(method, n_steps + 1)
    total_n = len(alphas)
    chunk = steps_per_chunk(be.name, total_n, internal_batch_size, batch, least=2)
    total = None
    s = 0
    while s < total_n - 1:
        part = alphas[s : s + chunk]
        n = len(part)
        points = []
        for x, b in zip(inputs, baselines, strict=True):
            d = ops.sub(x, b)
            points.append(ops.concat([ops.add(b, ops.mul(be.scalar(a, x), d)) for a in part], 0))
        leaves = tuple(be.leaf(p) for p in points)
        out, acts = be.forward_layer(leaves, expand_extra(extra, n), layer)
        (g,) = be.grad(ops.sum(select_target(be.name, out, target, repeat=n)), (acts,))
        rest = shape_of(acts)[1:]
        a = ops.reshape(be.value(acts), (n, -1) + rest)
        g = ops.reshape(g, (n, -1) + rest)
        diffs = ops.sub(ops.getitem(a, (slice(1, None),)), ops.getitem(a, (slice(0, n - 1),)))
        piece = ops.sum(ops.mul(diffs, ops.getitem(g, (slice(0, n - 1),))), axes=(0,))
        total = piece if total is None else ops.add(total, piece)
        s += n - 1
    if not return_convergence_delta:
        return total
    return total, _delta(be, total, inputs, baselines, target, extra)


def upsample_nearest(x: Any, size: tuple) -> Any:
    """(N, C, h, w, ...) resized to `size` over the trailing dims by nearest neighbour."""
    nd = len(shape_of(x))
    for k, out in enumerate(size):
        axis = nd - len(size) + k
        src = int(shape_of(x)[axis])
        if src != out:
            idx = np.floor(np.arange(out) * (src / out)).astype(np.int64)
            x = ops.gather(x, np.minimum(idx, src - 1), axis=axis)
    return x


def upsample_linear(x: Any, size: tuple) -> Any:
    """(N, C, ...) resized to `size` over the trailing dims by (bi/tri)linear interpolation, as
    torch's interpolate with align_corners=False (one dim after another)."""
    nd = len(shape_of(x))
    dt = np.dtype(getattr(x.dtype, "as_numpy_dtype", x.dtype))
    for k, out in enumerate(size):
        axis = nd - len(size) + k
        src = int(shape_of(x)[axis])
        if src == out:
            continue
        pos = np.maximum((np.arange(out) + 0.5) * (src / out) - 0.5, 0.0)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, src - 1)
        w = (pos - lo).astype(dt).reshape((-1,) + (1,) * (nd - axis - 1))
        x = ops.add(ops.mul(ops.gather(x, lo, axis=axis), (1 - w).astype(dt)),
                    ops.mul(ops.gather(x, hi, axis=axis), w))  # fmt: skip
    return x


def resize_area(x: Any, size: tuple) -> Any:
    """(N, C, ...) resized to `size` over the trailing dims by averaging the input cells each
    output cell covers (torch's "area" mode: adaptive average pooling), one dim after another."""
    nd = len(shape_of(x))
    dt = np.dtype(getattr(x.dtype, "as_numpy_dtype", x.dtype))
    for k, out in enumerate(size):
        axis = nd - len(size) + k
        src = int(shape_of(x)[axis])
        if src == out:
            continue
        weights = np.zeros((src, out), dt)
        for i in range(out):
            lo, hi = (i * src) // out, -(-((i + 1) * src) // out)
            weights[lo:hi, i] = 1.0 / (hi - lo)
        perm = tuple(d for d in range(nd) if d != axis) + (axis,)
        back = tuple(int(np.argsort(perm)[d]) for d in range(nd))
        x = ops.transpose(ops.matmul(ops.transpose(x, perm), weights), back)
    return x


INTERPOLATE_MODES = {"nearest": upsample_nearest, "linear": upsample_linear,
                     "bilinear": upsample_linear, "trilinear": upsample_linear,
                     "area": resize_area}  # fmt: skip


def upsample(name: str, x: Any, size: tuple, mode: str) -> Any:
    """`x` resized to `size` over its trailing dims by `mode` (Captum's interpolate modes)."""
    if mode not in INTERPOLATE_MODES:
        raise ValueError(
            f"{name}: interpolate_mode must be one of {sorted(INTERPOLATE_MODES)}, got {mode!r}"
        )
    return INTERPOLATE_MODES[mode](x, size)
