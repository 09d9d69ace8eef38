"""Compositions both frontends share (layers and losses), written once with core operations.

Because `nn.CrossEntropyLoss` and `tf.nn.sparse_softmax_cross_entropy_with_logits` +
`reduce_mean` both call `cross_entropy_with_labels` here, they run the very same primitives in
the very same order, which is what bitwise parity between the styles needs.
"""

from __future__ import annotations

import numpy as np

from . import ops
from .primitives.attention import sdpa
from .primitives.randomness import dropout_mask_like
from .primitives.rnn import lstm_output, lstm_state

REDUCTIONS = ("mean", "sum", "none")


def _reduce(per, reduction: str, op: str):
    if reduction == "mean":
        return ops.mean(per)
    if reduction == "sum":
        return ops.sum(per)
    if reduction == "none":
        return per
    raise ValueError(f"{op}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def linear(x, weight, bias=None, layout: str = "out_in"):
    """x @ W.T + b for PyTorch's (out, in) weights, or x @ W + b for TF's (in, out) kernels."""
    if layout not in ("out_in", "in_out"):
        raise ValueError(f"linear: layout must be 'out_in' or 'in_out', got {layout!r}")
    flat = _rows_shape(x, weight, bias, layout)
    if flat is not None:
        # (..., in) as one (rows, in) matrix: the weight gradient is then one product over all
        # rows, not a batch of per-entry products summed afterwards (and the bias gradient one
        # column sum)
        y = linear(ops.reshape(x, (-1, x.shape[-1])), weight, bias, layout)
        return ops.reshape(y, flat)
    if layout == "out_in":
        y = ops.matmul(x, weight, transpose_b=True)
    else:
        y = ops.matmul(x, weight)
    return y if bias is None else ops.add(y, bias)


def _rows_shape(x, weight, bias, layout: str):
    """The output shape (-1 for one unknown dim) when linear's input of rank > 2 can run as a
    (rows, in) matrix; None when it runs as it is (rank <= 2, unknown rank or dims, a batched
    weight)."""
    from .primitives.registry import is_unknown_rank

    if is_unknown_rank(x.shape) or is_unknown_rank(weight.shape):
        return None
    if len(x.shape) <= 2 or len(weight.shape) != 2 or not x.shape[-1]:
        return None
    if bias is not None and (is_unknown_rank(bias.shape) or len(bias.shape) > 1):
        return None
    out = weight.shape[0] if layout == "out_in" else weight.shape[1]
    shape = tuple(-1 if d is None else d for d in x.shape[:-1]) + (-1 if out is None else out,)
    return shape if shape.count(-1) <= 1 else None


def mse(pred, target, reduction: str = "mean"):
    """Mean squared error: reduce((pred - target) ** 2)."""
    return _reduce(ops.square(ops.sub(pred, target)), reduction, "mse_loss")


def l1(pred, target, reduction: str = "mean"):
    """Mean absolute error: reduce(|pred - target|)."""
    return _reduce(ops.abs(ops.sub(pred, target)), reduction, "l1_loss")


def cross_entropy_with_labels(logits, labels, reduction: str = "none"):
    """Softmax cross-entropy against integer class labels: -log_softmax(logits)[label]."""
    per = ops.neg(ops.pick(ops.log_softmax(logits, -1), labels))
    return _reduce(per, reduction, "cross_entropy")


def nll_with_labels(log_probs, labels, reduction: str = "none"):
    """Negative log-likelihood of integer labels given log-probabilities."""
    return _reduce(ops.neg(ops.pick(log_probs, labels)), reduction, "nll_loss")


def cross_entropy_with_probs(logits, probs, reduction: str = "none"):
    """Softmax cross-entropy against a distribution (one-hot or soft labels) on the last axis."""
    per = ops.neg(ops.sum(ops.mul(probs, ops.log_softmax(logits, -1)), -1))
    return _reduce(per, reduction, "cross_entropy")


def binary_cross_entropy(p, target, reduction: str = "mean"):
    """-(t log p + (1 - t) log(1 - p)), logs clamped at -100 as PyTorch does."""
    one = ops.scalar(1, p)
    floor = ops.scalar(-100, p)
    log_p = ops.maximum(ops.log(p), floor)
    log_q = ops.maximum(ops.log(ops.sub(one, p)), floor)
    per = ops.neg(ops.add(ops.mul(target, log_p), ops.mul(ops.sub(one, target), log_q)))
    return _reduce(per, reduction, "binary_cross_entropy")


def sigmoid_cross_entropy_with_logits(
    logits, target, reduction: str = "none", weight=None, pos_weight=None
):
    """max(z, 0) - z t + log(1 + exp(-|z|)): stable for any logit (TF's formula).

    max(z, 0) and -|z| are selects on z >= 0, so at z == 0 the gradient is the sum of both
    branches' one-sided slopes, sigmoid(0) - t = 0.5 - t, as in torch and TF (a tie rule on
    max and a zero slope of |z| at 0 would give 1 - t). With `pos_weight` p the positive term
    is scaled: (1 - t) z + (1 + (p - 1) t) (log(1 + exp(-|z|)) + max(-z, 0)), torch's form;
    `weight` scales each element's loss before the reduction.
    """
    zero = ops.scalar(0, logits)
    one = ops.scalar(1, logits)
    nonneg = ops.greater_equal(logits, zero)
    neg_abs = ops.where(nonneg, ops.neg(logits), logits)
    softplus_neg_abs = ops.log(ops.add(one, ops.exp(neg_abs)))
    if pos_weight is None:
        relu = ops.where(nonneg, logits, zero)
        per = ops.add(ops.sub(relu, ops.mul(logits, target)), softplus_neg_abs)
    else:
        relu_neg = ops.where(nonneg, zero, ops.neg(logits))
        log_weight = ops.add(one, ops.mul(ops.sub(pos_weight, one), target))
        per = ops.add(
            ops.mul(ops.sub(one, target), logits),
            ops.mul(log_weight, ops.add(softplus_neg_abs, relu_neg)),
        )
    if weight is not None:
        per = ops.mul(per, weight)
    return _reduce(per, reduction, "binary_cross_entropy_with_logits")


def l2_loss(x):
    """sum(x ** 2) / 2 (TF's l2_loss)."""
    return ops.div(ops.sum(ops.square(x)), ops.scalar(2, x))


def dropout(x, p: float, training: bool = True):
    """Zero each entry with probability p and scale the rest by 1 / (1 - p)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return ops.mul(x, ops.scalar(0, x))
    return ops.mul(x, dropout_mask_like(x, 1.0 - p))


def one_hot(labels: np.ndarray, depth: int, dtype=np.float32) -> np.ndarray:
    """Integer labels to one-hot rows (a data helper, not differentiable)."""
    labels = np.asarray(labels)
    out = np.zeros(labels.shape + (depth,), dtype=dtype)
    np.put_along_axis(out, labels[..., None].astype(np.int64), 1, -1)
    return out


def _bound(value, like):
    """A clamp bound: Python numbers become 0-d constants of like's dtype; values pass through."""
    if isinstance(value, (int, float, np.integer, np.floating)):
        return ops.scalar(value, like)
    return value


def clamp(x, lo=None, hi=None, hi_first: bool = False):
    """min(max(x, lo), hi); the gradient passes where lo <= x <= hi (ties included, as both do).

    The order decides the value when lo > hi: PyTorch's clamp bounds by lo first (every element
    becomes hi); TF's clip_by_value bounds by hi first (`hi_first`: every element becomes lo).
    """
    if lo is None and hi is None:
        raise ValueError("clamp: at least one of the bounds (min, max) must be given")
    if hi_first and hi is not None:
        x = ops.minimum(x, _bound(hi, x))
    if lo is not None:
        x = ops.maximum(x, _bound(lo, x))
    if hi is not None and not hi_first:
        x = ops.minimum(x, _bound(hi, x))
    return x


def norm(x, p=2, axes=None, keepdims: bool = False):
    """The p-norm over `axes` (None = all): p = 2 (or 'fro'), 1, inf, -inf, 0 or any number."""
    if p in (2, 2.0, "fro"):
        return _root_at_zero(ops.sum(ops.square(x), axes, keepdims), 2.0)
    if p in (1, 1.0):
        return ops.sum(ops.abs(x), axes, keepdims)
    if p == float("inf"):
        return ops.max(ops.abs(x), axes, keepdims)
    if p == float("-inf"):
        return ops.min(ops.abs(x), axes, keepdims)
    if p in (0, 0.0):
        nonzero = ops.cast(ops.not_equal(x, ops.scalar(0, x)), x.dtype)
        return ops.sum(nonzero, axes, keepdims)
    if isinstance(p, str):
        raise ValueError(f"norm: unsupported order p={p!r}; use 2, 'fro', 1, inf, -inf or a number")
    powered = ops.sum(ops.pow(ops.abs(x), ops.scalar(p, x)), axes, keepdims)
    if p < 0:
        # (sum |x|^p)^(1/p): a zero entry makes the sum inf and the norm 0; an empty axis has
        # no value (as the max of an empty set)
        _refuse_empty("norm", x, axes, p)
        return ops.pow(powered, ops.scalar(1.0 / p, x))
    return _root_at_zero(powered, float(p))


def _refuse_empty(op: str, x, axes, p) -> None:
    """A ValueError when a reduced axis of `x` is known to be empty (no identity for order p)."""
    shape = tuple(x.shape)
    ax = range(len(shape)) if axes is None else axes if isinstance(axes, (tuple, list)) else [axes]
    if any(shape[int(a)] == 0 for a in ax):
        raise ValueError(
            f"{op}: cannot compute the {p} norm over an empty dimension (shape {shape}): the "
            "operation has no identity"
        )


def _root_at_zero(s, p: float):
    """s ** (1 / p) whose gradient at s == 0 is 0 (the norm's minimal subgradient at the origin,
    PyTorch's rule; the plain formula gives inf * 0 = NaN there)."""
    zero = ops.scalar(0, s)
    at0 = ops.equal(s, zero)
    safe = ops.where(at0, ops.scalar(1, s), s)
    root = ops.sqrt(safe) if p == 2.0 else ops.pow(safe, ops.scalar(1.0 / p, s))
    return ops.where(at0, zero, root)


def var(x, axes=None, correction: int = 1, keepdims: bool = False):
    """Variance over `axes` with `correction` (1 = unbiased as torch.var, 0 = as tf moments)."""
    from .primitives.rules import normalize_axes

    ax = normalize_axes("var", axes, len(x.shape))
    centered = ops.sub(x, ops.mean(x, ax, keepdims=True))
    total = ops.sum(ops.square(centered), ax, keepdims)
    count = ops.count_like(x, ax)
    if correction:
        # as torch: the divisor is max(N - correction, 0), so too few elements give NaN (0 / 0)
        # or inf, never a negative count's -0
        count = ops.maximum(ops.sub(count, ops.scalar(correction, x)), ops.scalar(0, x))
    return ops.div(total, count)


def std(x, axes=None, correction: int = 1, keepdims: bool = False):
    """Standard deviation: sqrt(var(x))."""
    return ops.sqrt(var(x, axes, correction, keepdims))


def leaky_relu(x, negative_slope: float = 0.01):
    """x where x > 0 else negative_slope * x (the gradient at 0 takes the slope, as both do)."""
    zero = ops.scalar(0, x)
    return ops.where(ops.greater(x, zero), x, ops.mul(x, ops.scalar(negative_slope, x)))


# ---- convolution layers and normalisation (shared by nn.Conv2d / tf.nn.conv2d + bias_add,
# nn.BatchNorm / tf.nn.batch_normalization, nn.LayerNorm / keras LayerNormalization) ----------


def _channel_shape(ndim: int, axis: int) -> tuple:
    """(1, ..., -1, ..., 1): a per-channel vector reshaped to broadcast along `axis`."""
    return tuple(-1 if i == axis % ndim else 1 for i in range(ndim))


def conv2d(
    x,
    weight,
    bias=None,
    stride=1,
    padding=0,
    dilation=1,
    data_format: str = "NCHW",
    filter_format: str = "OIHW",
):
    """conv2d (see ops.conv2d) plus a per-output-channel bias, added as a broadcast reshape.

    The bias is reshaped to (1, O, 1, 1) or (1, 1, 1, O), so its gradient is one reduction over
    (n, h, w) in both layouts, which gives the same bits.
    """
    y = ops.conv2d(x, weight, stride, padding, dilation, data_format, filter_format)
    if bias is None:
        return y
    axis = 1 if data_format == "NCHW" else 3
    return ops.add(y, ops.reshape(bias, _channel_shape(4, axis)))


def moments(x, axes, keepdims: bool = False):
    """(mean, variance) over `axes`; the variance is biased (divides by the count), as TF's.

    The variance is mean((x - stop_gradient(mean)) ** 2), TF's formula: the gradient through
    the mean would be a sum of deviations, which is zero.
    """
    from .primitives.rules import normalize_axes

    ax = normalize_axes("moments", axes, len(x.shape))
    mean = ops.mean(x, ax, keepdims=True)
    var = ops.mean(ops.square(ops.sub(x, ops.stop_gradient(mean))), ax, keepdims=True)
    if keepdims:
        return mean, var
    return ops.squeeze(mean, ax), ops.squeeze(var, ax)


def _per_channel(v, x, axis: int):
    """A statistic or affine parameter as an array broadcasting against x along `axis`."""
    if v is None or len(v.shape) == len(x.shape):
        return v
    return ops.reshape(v, _channel_shape(len(x.shape), axis))


def _normalize(x, mean, var, scale, offset, eps: float):
    """x * a + b, a = scale / sqrt(var + eps), b = offset - mean * a (both anchors' CPU form)."""
    a = ops.div(ops.scalar(1, x), ops.sqrt(ops.add(var, ops.scalar(eps, x))))
    if scale is not None:
        a = ops.mul(a, scale)
    b = ops.neg(ops.mul(mean, a)) if offset is None else ops.sub(offset, ops.mul(mean, a))
    return ops.add(ops.mul(x, a), b)


def batch_norm(x, scale, offset, mean, var, eps: float = 1e-5, axis: int = 1, fused=False):
    """Inference batch norm with given statistics; per-channel vectors lie along `axis`.

    scale/offset may be None; mean, var, scale and offset are (C,) vectors or arrays already
    shaped to broadcast against x. With `fused` and four (C,) vectors it is one primitive
    (batch_norm_infer, same bits); eager programs ask for it, graph programs keep the composed
    ops for their fusion and BatchNorm-folding passes.
    """
    vectors = (mean, var, scale, offset)
    if fused and all(v is not None and len(v.shape) == 1 for v in vectors):
        from .primitives.batchnorm_infer import batch_norm_infer

        return batch_norm_infer(x, mean, var, scale, offset, axis % len(x.shape), eps)
    return _normalize(
        x,
        _per_channel(mean, x, axis),
        _per_channel(var, x, axis),
        _per_channel(scale, x, axis),
        _per_channel(offset, x, axis),
        eps,
    )


def batch_norm_train(x, scale, offset, eps: float = 1e-5, axes=(0, 2, 3)):
    """Training batch norm: normalise with the batch's statistics over `axes`.

    Returns (y, batch_mean, batch_var) with (C,) statistics, the variance biased (as both
    anchors normalise with); a frontend derives running averages (and PyTorch's unbiased
    running variance) from them. Two kernels (primitives/batchnorm): the per-channel statistics
    and the normalisation; their sums run in a fixed (n, h, w) order, so NCHW and NHWC give the
    same bits. scale and offset are (C,) vectors, arrays shaped to broadcast against x, or None.
    """
    from .primitives.batchnorm import batch_norm_apply, batch_norm_stats
    from .primitives.rules import normalize_axes

    ax = normalize_axes("batch_norm", axes, len(x.shape))
    kept = [i for i in range(len(x.shape)) if i not in ax]
    if len(kept) != 1:
        raise ValueError(
            f"batch_norm: axes {tuple(axes)} must leave exactly one channel axis of a "
            f"rank-{len(x.shape)} input, got {len(kept)}"
        )
    axis = kept[0]
    st = batch_norm_stats(x, axis, eps)
    y = batch_norm_apply(x, st, _channel_vector(scale, x, 1), _channel_vector(offset, x, 0), axis)
    return y, ops.getitem(st, 0), ops.getitem(st, 1)


def _channel_vector(v, x, default: float):
    """A per-channel parameter as a (C,) vector (or a 0-d constant when None)."""
    if v is None:
        return ops.scalar(default, x)
    if len(v.shape) > 1:
        return ops.reshape(v, (-1,))
    return v


def layer_norm(x, scale=None, offset=None, eps: float = 1e-5, axes=(-1,)):
    """(x - mean) / sqrt(var + eps) over `axes`, then * scale + offset (each may be None).

    Over trailing axes with scale/offset shaped as those axes (or None) and a float32/float64
    x, this is the one fused primitive (primitives.layernorm) forward and backward; other
    layouts (leading axes, broadcast parameters, other dtypes) compose it from primitives.
    """
    from .primitives.layernorm import layer_norm_fused

    naxes = _fused_layer_norm_axes(x, scale, offset, axes)
    if naxes:
        return layer_norm_fused(x, scale, offset, eps, naxes)
    mean, var = moments(x, axes, keepdims=True)
    y = ops.div(ops.sub(x, mean), ops.sqrt(ops.add(var, ops.scalar(eps, x))))
    if scale is not None:
        y = ops.mul(y, scale)
    if offset is not None:
        y = ops.add(y, offset)
    return y


def _fused_layer_norm_axes(x, scale, offset, axes) -> int:
    """How many trailing axes the fused layer norm takes (0 when this call must compose it)."""
    from .primitives.layernorm import DTYPES
    from .primitives.rules import normalize_axes

    nd = len(x.shape)
    ax = normalize_axes("layer_norm", axes, nd)
    k = len(ax)
    if not k or ax != tuple(range(nd - k, nd)) or np.dtype(x.dtype) not in DTYPES:
        return 0
    tail = tuple(x.shape[nd - k :])
    for v in (scale, offset):
        if v is not None and (
            tuple(v.shape) != tail or None in tail or np.dtype(v.dtype) != np.dtype(x.dtype)
        ):
            return 0
    return k


# ---- recurrent cells (nn.LSTM / nn.GRU / nn.RNN and tf.nn.rnn_cell.*) -------------------------
#
# Two weight conventions, one arithmetic. "torch": separate input and hidden weights of shape
# (G*H, in) and (G*H, H) with two bias vectors, gates = (x W_ih^T + b_ih) + (h W_hh^T + b_hh),
# LSTM gate order (i, f, g, o), GRU (r, z, n). "tf": one kernel of shape (in + H, G*H) on
# concat([x, h]) plus one bias, LSTM gate order (i, j, f, o) with a forget bias added before the
# sigmoid, TF's GRU (reset applied before the candidate matmul). After the gate pre-activations
# the LSTM update is the same for both, so a cell written once per convention gives identical
# bits in either frontend.

RNN_LAYOUTS = ("torch", "tf")


def _check_layout(op: str, layout: str) -> None:
    if layout not in RNN_LAYOUTS:
        raise ValueError(f"{op}: layout must be one of {RNN_LAYOUTS}, got {layout!r}")


def chunk_last(x, n: int) -> list:
    """Split the last axis of x into n equal parts (gate blocks)."""
    size = x.shape[-1]
    if size is None or size % n:
        raise ValueError(f"chunk_last: the last axis of {tuple(x.shape)} must split into {n} parts")
    k = size // n
    return [ops.getitem(x, (Ellipsis, slice(j * k, (j + 1) * k))) for j in range(n)]


def _tf_gates(x, h, kernel, bias):
    y = ops.matmul(ops.concat([x, h], -1), kernel)
    return y if bias is None else ops.add(y, bias)


def _torch_gates(x, h, w_ih, w_hh, b_ih, b_hh):
    return ops.add(linear(x, w_ih, b_ih), linear(h, w_hh, b_hh))


def lstm_cell(x, h, c, params, layout: str = "torch", forget_bias: float = 0.0):
    """One LSTM step -> (h', c'): c' = f*c + i*g, h' = o*tanh(c') with sigmoid i, f, o, tanh g.

    params: (w_ih, w_hh, b_ih, b_hh) for layout "torch" (biases may be None), (kernel, bias) for
    "tf". `forget_bias` is added to the forget gate's pre-activation (TF's cells use 1.0).
    """
    _check_layout("lstm_cell", layout)
    gates = _torch_gates(x, h, *params) if layout == "torch" else _tf_gates(x, h, *params)
    if gates.shape[-1] is not None and gates.shape[-1] % 4:
        raise ValueError(
            f"lstm_cell: the gates' last axis of {tuple(gates.shape)} must split into 4 parts"
        )
    # the elementwise rest of the step as two fused primitives (see primitives.rnn)
    c_new = lstm_state(gates, c, forget_bias, layout)
    h_new = lstm_output(gates, c_new, layout)
    return h_new, c_new


def gru_cell(x, h, params, layout: str = "torch"):
    """One GRU step -> h'.

    "torch": r, z = sigmoid(x W_i{r,z} + b_i + h W_h{r,z} + b_h), n = tanh(x W_in + b_in + r *
    (h W_hn + b_hn)), h' = (1 - z) * n + z * h; params (w_ih, w_hh, b_ih, b_hh).
    "tf" (TF's GRUCell): r, u = sigmoid(concat([x, h]) K_g + b_g), c = tanh(concat([x, r * h])
    K_c + b_c), h' = u * h + (1 - u) * c; params (gate_kernel, gate_bias, cand_kernel, cand_bias).
    """
    _check_layout("gru_cell", layout)
    one = ops.scalar(1, h)
    if layout == "torch":
        w_ih, w_hh, b_ih, b_hh = params
        i_r, i_z, i_n = chunk_last(linear(x, w_ih, b_ih), 3)
        h_r, h_z, h_n = chunk_last(linear(h, w_hh, b_hh), 3)
        r = ops.sigmoid(ops.add(i_r, h_r))
        z = ops.sigmoid(ops.add(i_z, h_z))
        n = ops.tanh(ops.add(i_n, ops.mul(r, h_n)))
        return ops.add(ops.mul(ops.sub(one, z), n), ops.mul(z, h))
    gate_k, gate_b, cand_k, cand_b = params
    r, u = chunk_last(ops.sigmoid(_tf_gates(x, h, gate_k, gate_b)), 2)
    cand = ops.tanh(_tf_gates(x, ops.mul(r, h), cand_k, cand_b))
    return ops.add(ops.mul(u, h), ops.mul(ops.sub(one, u), cand))


def rnn_tanh_cell(x, h, params, layout: str = "torch", nonlinearity: str = "tanh"):
    """One Elman RNN step -> h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh) (or TF's kernel form)."""
    _check_layout("rnn_cell", layout)
    pre = _torch_gates(x, h, *params) if layout == "torch" else _tf_gates(x, h, *params)
    if nonlinearity == "tanh":
        return ops.tanh(pre)
    if nonlinearity == "relu":
        return ops.relu(pre)
    raise ValueError(f"rnn_cell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")


def rnn_unroll(step, x, state, reverse: bool = False):
    """Run step(x_t, state) -> (out_t, state) over axis 0 of time-major x (static length).

    Returns (outputs stacked on axis 0, final state). Both frontends unroll through here, so
    their recurrent layers create the same nodes in the same order.
    """
    steps = x.shape[0]
    if steps is None:
        raise ValueError(
            f"rnn: the time dimension of the input {tuple(x.shape)} must be known to unroll it"
        )
    outs: list = [None] * steps
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    for t in order:
        outs[t], state = step(ops.getitem(x, (t,)), state)
    return ops.stack(outs, 0), state


# ---- attention (nn.MultiheadAttention and its graph-style twin) -------------------------------


def additive_mask(mask, like):
    """A bool mask (True = masked out) as 0 / -inf in like's dtype; float masks pass through."""
    if np.dtype(mask.dtype) == np.bool_:
        return ops.where(mask, ops.scalar(-np.inf, like), ops.scalar(0, like))
    return mask


def scaled_dot_product_attention(
    q,
    k,
    v,
    mask=None,
    scale: float | None = None,
    dropout_p: float = 0.0,
    training: bool = True,
    need_weights: bool = True,
    causal: bool = False,
):
    """softmax((q * scale) k^T + mask) v over the last two axes -> (output, weights or None).

    q (..., L, d), k (..., S, d), v (..., S, dv); `mask` is additive (broadcasting to
    (..., L, S)) or bool with True = masked out; `causal` adds PyTorch's top-left causal mask;
    scale defaults to 1 / sqrt(d). When the weights are not wanted (and dropout_p < 1), this is
    the fused `sdpa` primitive (the same bits, no (..., L, S) scores kept), dropout included.
    """
    dropping = bool(dropout_p) and training
    if not need_weights and _fusable(q, k, v) and (not dropping or dropout_p < 1.0):
        # the fused kernel draws its dropout mask as `dropout` below would: the same bits
        return sdpa(q, k, v, mask, scale, causal, dropout_p if dropping else 0.0), None
    d = q.shape[-1]
    # an empty feature dim: 1 / sqrt(0) is inf, as PyTorch's (the scores are empty sums: 0)
    s = (1.0 / float(np.sqrt(d)) if d else float("inf")) if scale is None else float(scale)
    scores = ops.matmul(ops.mul(q, ops.scalar(s, q)), k, transpose_b=True)
    if causal:
        length, source = q.shape[-2], k.shape[-2]
        mask = np.triu(np.full((length, source), -np.inf, np.dtype(q.dtype)), 1)
    if mask is not None:
        scores = ops.add(scores, additive_mask(mask, scores))
    weights = ops.softmax(scores, -1)
    dropped = dropout(weights, dropout_p, training) if dropout_p else weights
    return ops.matmul(dropped, v), weights


def _fusable(q, k, v) -> bool:
    """Whether q, k, v have the same batch axes (the fused primitive does not broadcast them)."""
    shapes = [tuple(t.shape) for t in (q, k, v)]
    return (
        len({len(s) for s in shapes}) == 1
        and len(shapes[0]) >= 2
        and (shapes[0][:-2] == shapes[1][:-2] == shapes[2][:-2])
    )


def _heads(x, n_heads: int):
    """(N, L, E) -> (N, heads, L, E / heads)."""
    length, e = x.shape[1], x.shape[2]
    return ops.transpose(ops.reshape(x, (-1, length, n_heads, e // n_heads)), (0, 2, 1, 3))


def multi_head_attention(
    query,
    key,
    value,
    num_heads: int,
    in_proj_weight,
    in_proj_bias,
    out_proj_weight,
    out_proj_bias,
    attn_mask=None,
    key_padding_mask=None,
    need_weights: bool = True,
    average_attn_weights: bool = True,
    dropout_p: float = 0.0,
    training: bool = True,
    batch_first: bool = True,
):
    """Multi-head attention with PyTorch's parameter layout -> (output, weights or None).

    in_proj_weight (3E, E) holds W_q, W_k, W_v as row blocks (in_proj_bias (3E,) likewise);
    out_proj_weight (E, E) is (out, in). Inputs are (N, L, E) when batch_first, else (L, N, E).
    attn_mask is (L, S) or (N * heads, L, S), additive or bool (True = masked out);
    key_padding_mask is (N, S), bool (True = padding) or additive. Weights come back averaged
    over heads (N, L, S) or per head (N, heads, L, S). Sequence lengths must be static.
    """
    self_attention = query is key and key is value
    if not batch_first:
        query, key, value = (ops.transpose(t, (1, 0, 2)) for t in (query, key, value))
    e = query.shape[-1]
    if e is None or e % num_heads:
        raise ValueError(
            f"multi_head_attention: embed_dim {e} must be divisible by num_heads {num_heads}"
        )
    if self_attention:
        # One (rows, 3E) product instead of three (rows, E) ones: each of q, k, v is the same
        # chain over E either way; the input's gradient becomes one product over 3E.
        qkv = linear(query, in_proj_weight, in_proj_bias)
        cols = [(slice(None), slice(None), slice(j * e, (j + 1) * e)) for j in range(3)]
        q, k, v = (_heads(ops.getitem(qkv, c), num_heads) for c in cols)
    else:
        rows = [(slice(j * e, (j + 1) * e),) for j in range(3)]
        w = [ops.getitem(in_proj_weight, r) for r in rows]
        b = [ops.getitem(in_proj_bias, r) for r in rows] if in_proj_bias is not None else [None] * 3
        q, k, v = (
            _heads(linear(t, wi, bi), num_heads)
            for t, wi, bi in zip((query, key, value), w, b, strict=True)
        )
    length, src = q.shape[2], k.shape[2]
    mask = None
    if attn_mask is not None:
        mask = additive_mask(attn_mask, q)
        if len(mask.shape) == 3:
            mask = ops.reshape(mask, (-1, num_heads, length, src))
    if key_padding_mask is not None:
        pad = ops.reshape(additive_mask(key_padding_mask, q), (-1, 1, 1, src))
        mask = pad if mask is None else ops.add(mask, pad)
    out, weights = scaled_dot_product_attention(
        q, k, v, mask, dropout_p=dropout_p, training=training, need_weights=need_weights
    )
    out = ops.reshape(ops.transpose(out, (0, 2, 1, 3)), (-1, length, e))
    out = linear(out, out_proj_weight, out_proj_bias)
    if not batch_first:
        out = ops.transpose(out, (1, 0, 2))
    if not need_weights:
        return out, None
    return out, (ops.mean(weights, 1) if average_attn_weights else weights)
