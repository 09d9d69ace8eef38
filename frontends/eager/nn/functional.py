"""``torch.nn.functional``: activations, linear, dropout and losses over core.functional.

Losses and layers call the `core.functional` compositions the graph frontend calls too, so a
loss computed in either style runs the same primitives in the same order.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ....core import domain, ops
from ....core import functional as CF
from ....core.primitives import guards as G
from .. import _convert as C
from .. import functions as _fn
from ..tensor import Tensor

softmax = _fn.softmax
log_softmax = _fn.log_softmax
sigmoid = _fn.sigmoid
tanh = _fn.tanh


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(input, 0)."""
    return input.relu_() if inplace else ops.relu(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """input where input > 0 else negative_slope * input."""
    return CF.leaky_relu(C.floating(input), negative_slope)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight.T + bias (PyTorch's (out, in) weight layout)."""
    if isinstance(weight, Tensor) and weight.dim() > 2:  # PyTorch transposes it with t()
        raise RuntimeError(
            f"linear: t() expects a tensor with <= 2 dimensions, but weight is {weight.dim()}D"
        )
    return CF.linear(input, weight, bias, layout="out_in")


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero entries with probability p and scale the rest by 1/(1-p) (only when training)."""
    return CF.dropout(input, float(p), training)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Integer class labels to int64 one-hot rows."""
    labels = C.as_tensor_operand(tensor)._data
    if labels.dtype.kind not in "iu":
        raise RuntimeError(
            f"one_hot is only applicable to index tensor, got {C.tensor_type()._make(labels).dtype}"
        )
    if num_classes <= 0 and not labels.size:
        raise RuntimeError(
            "one_hot: can not infer the number of classes from an empty tensor; pass num_classes"
        )
    if num_classes < 0:
        num_classes = int(labels.max()) + 1
    labels = G.class_values(labels, "one_hot", num_classes)  # the record's check
    return Tensor._make(CF.one_hot(labels, num_classes, np.int64))


# ---- losses -------------------------------------------------------------------------------------


def _reduction(size_average: Any, reduce: Any, reduction: str) -> str:
    if size_average is None and reduce is None:
        return reduction
    if reduce is False:
        return "none"
    return "sum" if size_average is False else "mean"


def _regression_pair(input: Tensor, target: Any):
    target = C.as_tensor_operand(target, like=input)
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.",
            UserWarning,
            stacklevel=4,
        )
    return C.pair(C.floating(input), target)


def mse_loss(
    input: Tensor,
    target: Any,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    weight: Any = None,
) -> Tensor:
    """Mean squared error (warns when the shapes differ, as PyTorch); with an element `weight`, the
    weighted sum, divided by the summed weights for 'mean'."""
    a, b = _regression_pair(input, target)
    red = _reduction(size_average, reduce, reduction)
    if weight is not None:
        from .weighted_losses import weighted_regression

        if any(isinstance(v, Tensor) and v._data.dtype == np.bool_ for v in (input, target)):
            # PyTorch's weighted path subtracts the operands as given (the `-` of bool refused)
            raise RuntimeError(
                "mse_loss: Subtraction, the `-` operator, with a bool tensor is "
                "not supported (with a weight); convert with .float() first"
            )
        return weighted_regression(CF.mse(a, b, "none"), input, weight, red, "mse_loss", True)
    return CF.mse(a, b, red)


def l1_loss(
    input: Tensor,
    target: Any,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    weight: Any = None,
) -> Tensor:
    """Mean absolute error (warns when the shapes differ, as PyTorch); with an element `weight`, the
    weighted sum, divided by the summed weights for 'mean'."""
    a, b = _regression_pair(input, target)
    red = _reduction(size_average, reduce, reduction)
    if weight is not None:
        from .weighted_losses import weighted_regression

        return weighted_regression(CF.l1(a, b, "none"), input, weight, red, "l1_loss", True)
    return CF.l1(a, b, red)


def _classes_last(x: Tensor) -> Tensor:
    """(N, C, d1, ...) -> (N, d1, ..., C): the core picks classes on the last axis."""
    if x.ndim <= 2:
        return x
    perm = (0,) + tuple(range(2, x.ndim)) + (1,)
    return ops.transpose(x, perm)


def _check_labels(input: Tensor, target: Tensor, op: str) -> None:
    n_classes = input.shape[1] if input.ndim >= 2 else input.shape[0]
    labels = target._data
    bad = labels[(labels < 0) | (labels >= n_classes)]
    if bad.size:
        raise IndexError(
            f"{op}: Target {int(bad.flat[0])} is out of bounds: class labels must be in "
            f"[0, {n_classes}) for an input of shape {tuple(input.shape)}"
        )


def _masked_mean(per: Tensor, target: Tensor, ignore_index: int, reduction: str) -> Tensor:
    """Zero the ignored rows; 'mean' divides by the number of rows kept (as PyTorch)."""
    keep = ops.not_equal(target, np.asarray(ignore_index, target._data.dtype))
    per = ops.where(keep, per, np.zeros((), per._data.dtype))
    if reduction == "none":
        return per
    total = ops.sum(per)
    if reduction == "sum":
        return total
    return ops.div(total, ops.sum(ops.cast(keep, per._data.dtype)))


def _label_loss(fn, input: Tensor, target: Tensor, reduction: str, ignore_index: int, op: str):
    _class_scores(input, op)
    if input._data.ndim == 1 and target._data.ndim == 0:
        # an unbatched call: class scores (C,) and one 0-d class index, as a batch of one
        out = _label_loss(fn, ops.reshape(input, (1, -1)), ops.reshape(target, (1,)),
                          reduction, ignore_index, op)  # fmt: skip
        return ops.reshape(out, ()) if reduction == "none" else out
    labels = target._data
    if labels.dtype.kind not in "iu":
        raise RuntimeError(
            f"{op}: expected class-index targets of an integer dtype (long), got {target.dtype}"
        )
    xs = input._data.shape
    if labels.shape != xs[:1] + xs[2:]:
        raise ValueError(
            f"{op}: expected target of shape {xs[:1] + xs[2:]} "
            f"for input of shape {xs}, got {labels.shape}"
        )
    if labels.size:
        # the everyday batch: every label a class and none the ignored index, told by the
        # labels' range alone (anything else takes the checks below, which name the problem)
        lo, hi = labels.min(), labels.max()
        n_classes = xs[1] if len(xs) >= 2 else xs[0]
        if 0 <= lo and hi < n_classes and (ignore_index is None or not lo <= ignore_index <= hi):
            return fn(_classes_last(input), target, reduction)
    ignored = ignore_index is not None and bool((target._data == ignore_index).any())
    if not ignored:
        _check_labels(input, target, op)
        return fn(_classes_last(input), target, reduction)
    safe = Tensor._make(np.where(target._data == ignore_index, 0, target._data))
    _check_labels(input, safe, op)
    per = fn(_classes_last(input), safe, "none")
    return _masked_mean(per, target, ignore_index, reduction)


def cross_entropy(
    input: Tensor,
    target: Any,
    weight: Any = None,
    size_average: Any = None,
    ignore_index: int = -100,
    reduce: Any = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy against class indices or class probabilities."""
    red = _reduction(size_average, reduce, reduction)
    x = C.floating(input)
    _class_scores(x, "cross_entropy")
    target = C.as_tensor_operand(target)
    if target._data.dtype.kind == "f":
        if tuple(target.shape) != tuple(x.shape):
            raise ValueError(
                f"cross_entropy: probability targets must have the input's shape "
                f"{tuple(x.shape)}, got {tuple(target.shape)}"
            )
        probs = C.to_dtype(target, x._data.dtype)
        if label_smoothing:
            probs = _smooth(probs, label_smoothing, x.shape[1] if x.ndim > 1 else x.shape[0])
        if weight is not None:
            from .weighted_losses import _class_weight

            cdim = 1 if x.ndim > 1 else 0
            w = _class_weight(weight, x.shape[cdim], x, "cross_entropy")
            w = w.reshape(*([-1] + [1] * (x.ndim - 2))) if x.ndim > 1 else w
            probs = probs * w
        return CF.cross_entropy_with_probs(_classes_last(x), _classes_last(probs), red)
    if weight is not None or (label_smoothing and x.ndim != 2):
        from .weighted_losses import weighted_label_loss

        lp = _fn.log_softmax(x, 1 if x.ndim > 1 else 0)
        return weighted_label_loss(
            lp, target, weight, red, ignore_index, label_smoothing, "cross_entropy"
        )
    if label_smoothing:
        if x.ndim != 2:
            raise NotImplementedError("cross_entropy: label_smoothing needs (N, C) inputs here")
        _check_labels(x, target, "cross_entropy")
        probs = Tensor._make(CF.one_hot(target._data, x.shape[1], x._data.dtype))
        return CF.cross_entropy_with_probs(x, _smooth(probs, label_smoothing, x.shape[1]), red)
    return _label_loss(CF.cross_entropy_with_labels, x, target, red, ignore_index, "cross_entropy")


def _class_scores(x: Tensor, op: str) -> None:
    """Class scores are (C,) or (N, C, ...): a 0-d input has no class dimension."""
    if x._data.ndim == 0:
        raise IndexError(
            f"{op}: input is 0-d (a single number); it needs class scores of shape (C,) or "
            "(N, C, ...), e.g. input.unsqueeze(0)"
        )


def _smooth(probs: Tensor, eps: float, n: int) -> Tensor:
    dt = probs._data.dtype
    return ops.add(ops.mul(probs, np.asarray(1.0 - eps, dt)), np.asarray(eps / n, dt))


def nll_loss(
    input: Tensor,
    target: Any,
    weight: Any = None,
    size_average: Any = None,
    ignore_index: int = -100,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of class indices given log-probabilities."""
    red = _reduction(size_average, reduce, reduction)
    if weight is not None:
        from .weighted_losses import weighted_label_loss

        return weighted_label_loss(C.floating(input), target, weight, red, ignore_index, 0.0,
                                   "nll_loss")  # fmt: skip
    return _label_loss(
        CF.nll_with_labels,
        C.floating(input),
        C.as_tensor_operand(target),
        red,
        ignore_index,
        "nll_loss",
    )


def _binary_pair(input: Tensor, target: Any, op: str):
    target = C.as_tensor_operand(target, like=input)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"{op}: Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}) is deprecated. Please ensure they have the same size."
        )
    x = C.floating(input)
    return x, C.to_dtype(target, x._data.dtype)


def binary_cross_entropy(
    input: Tensor,
    target: Any,
    weight: Any = None,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """-(t log p + (1 - t) log(1 - p)) for probabilities p (logs clamped at -100)."""
    p, t = _binary_pair(input, target, "binary_cross_entropy")
    p = G.unit_interval(p, "binary_cross_entropy")  # the record's check: p in [0, 1]
    if weight is not None:
        from .weighted_losses import weighted_bce

        return weighted_bce(p, t, weight, _reduction(size_average, reduce, reduction))
    return CF.binary_cross_entropy(p, t, _reduction(size_average, reduce, reduction))


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Any,
    weight: Any = None,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    pos_weight: Any = None,
) -> Tensor:
    """Sigmoid cross-entropy on logits, computed stably; `weight` scales each element and
    `pos_weight` the positive term (per class, broadcast over the last dim)."""
    z, t = _binary_pair(input, target, "binary_cross_entropy_with_logits")
    w = None if weight is None else C.pair(z, weight)[1]
    p = None if pos_weight is None else C.pair(z, pos_weight)[1]
    return CF.sigmoid_cross_entropy_with_logits(
        z, t, _reduction(size_average, reduce, reduction), weight=w, pos_weight=p
    )


# ---- convolution, pooling, normalisation ----------------------------------------------------


def _padding(padding: Any) -> Any:
    return padding.upper() if isinstance(padding, str) else padding


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """2-D convolution of (N, C, H, W) input with (O, C, kh, kw) filters, plus bias."""
    if groups != 1:
        from ....core import conv_more

        return conv_more.grouped_conv2d(
            input, weight, bias, stride, _padding(padding), dilation, groups
        )
    return CF.conv2d(input, weight, bias, stride, _padding(padding), dilation)


def _pool_args(op: str, dilation: Any, ceil_mode: bool, return_indices: bool = False) -> None:
    if dilation not in (1, (1, 1)) or return_indices:
        raise NotImplementedError(f"{op}: dilation and return_indices are not supported")


def _ceil_geometry(op: str, input: Tensor, kernel_size: Any, stride: Any, padding: Any):
    """(k, s, p) pairs and the ((top, bottom), (left, right)) padding of a ceil-mode pooling."""
    from ....core import adaptive_pool as AP
    from ....core.kernels import conv_geometry as geo

    if isinstance(padding, str) or len(input.shape) != 4:
        raise ValueError(f"{op}: ceil_mode needs a 4-D input and integer padding, got {padding!r}")
    k = geo.pair(kernel_size, "kernel_size", op)
    s = k if stride is None else geo.pair(stride, "stride", op)
    p = geo.pair(padding, "padding", op, minimum=0)
    extra = [AP.ceil_pads(n, kk, ss, pp)[1]
             for n, kk, ss, pp in zip(input.shape[2:], k, s, p, strict=True)]  # fmt: skip
    return k, s, p, ((p[0], p[0] + extra[0]), (p[1], p[1] + extra[1]))


def max_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor:
    """Window maxima over (N, C, H, W) input (stride defaults to the window)."""
    domain.nonempty_planes("max_pool2d", tuple(input.shape), 2)
    if return_indices or dilation not in (1, (1, 1), [1, 1]):
        from .functional_more2 import max_pool_with_indices

        return max_pool_with_indices(
            2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
        )
    stride = None if stride is None or stride == [] else stride
    if ceil_mode:
        k, s, _, pads = _ceil_geometry("max_pool2d", input, kernel_size, stride, padding)
        return ops.max_pool2d(input, k, s, pads)
    return ops.max_pool2d(input, kernel_size, stride, _padding(padding))


def avg_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Window means over (N, C, H, W) input (stride defaults to the window); with
    divisor_override, window sums divided by it."""
    domain.nonempty_planes("avg_pool2d", tuple(input.shape), 2)
    _pool_args("avg_pool2d", 1, ceil_mode)
    stride = None if stride is None or stride == [] else stride
    if divisor_override:
        if ceil_mode:
            raise NotImplementedError(
                "avg_pool2d: divisor_override with ceil_mode=True is not provided"
            )
        kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
        mean = ops.avg_pool2d(input, kernel_size, stride, _padding(padding), count_include_pad=True)
        return mean * (float(kh * kw) / float(divisor_override))
    if ceil_mode:
        from ....core import adaptive_pool as AP

        k, s, p, _ = _ceil_geometry("avg_pool2d", input, kernel_size, stride, padding)
        return AP.avg_pool2d_ceil(input, k, s, p, count_include_pad)
    return ops.avg_pool2d(
        input, kernel_size, stride, _padding(padding), count_include_pad=count_include_pad
    )


def layer_norm(
    input: Tensor,
    normalized_shape: Any,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the trailing `normalized_shape` dims, then scale and shift."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[-len(shape) :]) != shape:
        raise RuntimeError(
            f"layer_norm: expected input with trailing shape {list(shape)}, got {list(input.shape)}"
        )
    axes = tuple(range(-len(shape), 0))
    return CF.layer_norm(input, weight, bias, eps, axes)


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalisation over the channel dim 1; in training, updates the running stats."""
    c = input.shape[1] if input.ndim > 1 else None
    for arg, t in (("running_mean", running_mean), ("running_var", running_var),
                   ("weight", weight), ("bias", bias)):  # fmt: skip
        if t is not None and c is not None and t.numel() != c:
            raise RuntimeError(
                f"batch_norm: {arg} should contain {c} elements (one per channel of input "
                f"{tuple(input.shape)}), not {t.numel()}"
            )
    if not training:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm: running_mean and running_var are needed in eval mode")
        return CF.batch_norm(
            input, weight, bias, running_mean, running_var, eps, axis=1, fused=True
        )
    axes = (0,) + tuple(range(2, input.ndim))
    y, mean, var = CF.batch_norm_train(input, weight, bias, eps, axes)
    if running_mean is not None and running_var is not None:
        n = 1
        for a in axes:
            n *= input.shape[a]
        _update_running(running_mean, running_var, mean, var, momentum, n)
    return y


def _update_running(rm: Tensor, rv: Tensor, mean: Tensor, var: Tensor, m: float, n: int) -> None:
    """running = (1 - m) * running + m * batch, the variance made unbiased (as PyTorch)."""
    from ..grad_mode import no_grad

    # tensor operations, not array ones: a compiled function captures them, so a replay
    # computes the new statistics from the buffers' values of that call (array results would
    # be captured as constants, the statistics of the capturing call)
    with no_grad():
        dt = rm._data.dtype
        keep, take = Tensor._make(np.asarray(1.0 - m, dt)), Tensor._make(np.asarray(m, dt))
        unbiased = var.detach() * Tensor._make(np.asarray(n / max(n - 1, 1), dt))
        rm.copy_(take * mean.detach() + keep * rm)
        rv.copy_(take * unbiased + keep * rv)


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Any = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
) -> Tensor:
    """softmax(q k^T * scale + mask) v (see nn.attention; a bool mask marks attended slots)."""
    from .attention import scaled_dot_product_attention as sdpa

    return sdpa(query, key, value, attn_mask, dropout_p, is_causal, scale)


# A name this module does not provide raises NotImplementedError naming it (see missing.py).
from ..missing import module_getattr  # noqa: E402
from .activations_extra import embedding, hardswish, kl_div, prelu  # noqa: E402, F401
from .ctc import ctc_beam_decode, ctc_greedy_decode, ctc_loss  # noqa: E402, F401
from .functional_extra import *  # noqa: E402, F403  (more functions: see functional_extra.py)
from .functional_more2 import (  # noqa: E402, F401  (interpolate, unfold, unpooling, margin losses)
    hinge_embedding_loss,
    interpolate,
    max_pool3d,
    max_unpool1d,
    max_unpool2d,
    max_unpool3d,
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    poisson_nll_loss,
    soft_margin_loss,
    unfold,
    upsample,
)
from .layers_more2 import embedding_bag  # noqa: E402, F401
from .norm_layers import group_norm, instance_norm, normalize  # noqa: E402, F401
from .padding_layers import cosine_similarity, dropout2d, pad, pairwise_distance  # noqa: E402, F401

__getattr__ = module_getattr("torch.nn.functional", globals())
from .conv3d import conv3d  # noqa: E402, F401
from .grid_sampling import affine_grid, grid_sample  # noqa: E402, F401
from .pooling import (  # noqa: E402, F401  (adaptive pooling: see pooling.py)
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
)

globals().update(__import__(__package__ + ".more3_wiring", fromlist=["_"]).functions())
