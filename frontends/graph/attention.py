"""Attention and layer normalisation in the graph style, on the compositions the eager
`nn.MultiheadAttention` / `nn.LayerNorm` run.

`multi_head_attention(query, key, value, num_heads)` makes PyTorch-layout variables in its
variable scope (`in_proj_weight` (3E, E), `in_proj_bias`, `out_proj_weight` (E, E) as (out, in),
`out_proj_bias`) and calls `core.functional.multi_head_attention`; loaded with an eager module's
weights it computes the same bits. Inputs are batch-major [batch, length, E] by default (TF's
habit); sequence lengths must be known when the graph is built. `layer_norm` normalises over the
last axis with PyTorch's eps default (1e-5), `tf.contrib.layers.layer_norm` keeps TF's defaults.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...core import functional as F
from ...core.ir import Value
from . import dtypes as tfd
from . import init_ops
from .graph import graph_of
from .math_ops import _tensor, known_rank
from .variable_scope import get_variable, variable_scope


def _mask(mask: Any, like: Any, what: str) -> Any:
    if mask is None:
        return None
    m = mask if isinstance(mask, Value) else like.graph.constant(np.asarray(mask))
    if not (tfd.as_dtype(m.dtype).is_bool or m.dtype == like.dtype):
        raise TypeError(f"multi_head_attention: {what} must be bool or {like.dtype.name}, got {m}")
    return m


def causal_mask(size: int, dtype: Any = tfd.float32) -> np.ndarray:
    """An additive (size, size) mask: 0 on and below the diagonal, -inf above it."""
    return np.triu(np.full((size, size), -np.inf, tfd.as_dtype(dtype).np_dtype), 1)


def scaled_dot_product_attention(
    q: Any,
    k: Any,
    v: Any,
    mask: Any = None,
    scale: float | None = None,
    name: str | None = None,
    dropout: float = 0.0,
    training: bool = False,
    need_weights: bool = True,
    causal: bool = False,
) -> tuple:
    """softmax(q k^T * scale + mask) [dropout] v -> (output, weights or None); bool mask True =
    masked out. need_weights=False runs the fused kernel (dropout included: the same draws and
    bits as eager F.scaled_dot_product_attention from the same seed)."""
    q, k, v = _tensor(q), _tensor(k), _tensor(v)
    known_rank("scaled_dot_product_attention", q, k, v)
    m = _mask(mask, q, "mask")
    g = graph_of(q, k, v, m)
    with g.name_scope(name or "scaled_dot_product_attention"):
        return F.scaled_dot_product_attention(
            q, k, v, m, scale, float(dropout), bool(training), bool(need_weights), bool(causal)
        )


def multi_head_attention(
    query: Any,
    key: Any,
    value: Any,
    num_heads: int,
    attn_mask: Any = None,
    key_padding_mask: Any = None,
    need_weights: bool = True,
    average_attn_weights: bool = True,
    dropout: float = 0.0,
    training: bool = False,
    batch_first: bool = True,
    use_bias: bool = True,
    name: str | None = None,
    reuse: Any = None,
) -> tuple:
    """Multi-head attention -> (output, weights or None); masks: bool True (or -inf) = masked."""
    q, k, v = _tensor(query), _tensor(key), _tensor(value)
    known_rank("multi_head_attention", q, k, v)
    if len(q.shape) != 3:
        raise ValueError(f"multi_head_attention: inputs must be 3-D, got {q}")
    e = q.shape[-1]
    if e is None or e % int(num_heads):
        raise ValueError(
            f"multi_head_attention: the embedding size {e} must be known and divisible by "
            f"num_heads={num_heads}"
        )
    if not tfd.as_dtype(q.dtype).is_floating:
        raise TypeError(f"multi_head_attention: inputs must be float, got {q}")
    am = _mask(attn_mask, q, "attn_mask")
    kpm = _mask(key_padding_mask, q, "key_padding_mask")
    with variable_scope(name, default_name="multi_head_attention", reuse=reuse):
        glorot = init_ops.GlorotUniform(layout="out_in")
        dt = q.dtype
        w_in = get_variable("in_proj_weight", (3 * e, e), dtype=dt, initializer=glorot)
        w_out = get_variable("out_proj_weight", (e, e), dtype=dt, initializer=glorot)
        b_in = b_out = None
        if use_bias:
            b_in = get_variable("in_proj_bias", (3 * e,), dtype=dt, initializer=init_ops.Zeros())
            b_out = get_variable("out_proj_bias", (e,), dtype=dt, initializer=init_ops.Zeros())
        return F.multi_head_attention(
            q, k, v, int(num_heads), w_in, b_in, w_out, b_out, am, kpm, need_weights,
            average_attn_weights, float(dropout), bool(training), batch_first,
        )  # fmt: skip


def layer_norm(
    inputs: Any,
    epsilon: float = 1e-5,
    center: bool = True,
    scale: bool = True,
    begin_norm_axis: int = -1,
    name: str | None = None,
    reuse: Any = None,
    trainable: bool = True,
) -> Any:
    """Normalise over the axes from `begin_norm_axis` on; gamma/beta over those axes too."""
    x = _tensor(inputs)
    known_rank("layer_norm", x)
    nd = len(x.shape)
    begin = begin_norm_axis % nd
    shape = tuple(x.shape[begin:])
    if any(d is None for d in shape):
        raise ValueError(f"layer_norm: the normalised axes of {x} must be known")
    with variable_scope(name, default_name="LayerNorm", reuse=reuse):
        beta = gamma = None
        if center:
            beta = get_variable(
                "beta", shape, dtype=x.dtype, initializer=init_ops.Zeros(), trainable=trainable
            )
        if scale:
            gamma = get_variable(
                "gamma", shape, dtype=x.dtype, initializer=init_ops.Ones(), trainable=trainable
            )
        axes = tuple(range(begin - nd, 0))
        return x.graph.build_op(
            "LayerNorm", None, lambda: F.layer_norm(x, gamma, beta, float(epsilon), axes)
        )


def contrib_layer_norm(
    inputs: Any,
    center: bool = True,
    scale: bool = True,
    activation_fn: Any = None,
    reuse: Any = None,
    variables_collections: Any = None,
    outputs_collections: Any = None,
    trainable: bool = True,
    begin_norm_axis: int = 1,
    begin_params_axis: int = -1,
    scope: Any = None,
) -> Any:
    """`tf.contrib.layers.layer_norm` with TF's defaults: all but the batch axis, eps 1e-12."""
    x = _tensor(inputs)
    known_rank("layer_norm", x)
    if begin_params_axis % len(x.shape) != len(x.shape) - 1:
        raise NotImplementedError("layer_norm: only begin_params_axis=-1 is supported")
    nd = len(x.shape)
    begin = begin_norm_axis % nd
    c = x.shape[-1]
    with variable_scope(scope, default_name="LayerNorm", reuse=reuse):
        beta = (
            get_variable("beta", (c,), dtype=x.dtype, initializer=init_ops.Zeros())
            if center
            else None
        )
        gamma = (
            get_variable("gamma", (c,), dtype=x.dtype, initializer=init_ops.Ones())
            if scale
            else None
        )
        axes = tuple(range(begin - nd, 0))
        y = x.graph.build_op("LayerNorm", None, lambda: F.layer_norm(x, gamma, beta, 1e-12, axes))
    return activation_fn(y) if activation_fn is not None else y


def positional_encoding(length: int, depth: int, dtype: Any = tfd.float32) -> np.ndarray:
    """The sinusoidal position table of "Attention is all you need" (a constant array)."""
    pos = np.arange(length)[:, None]
    rate = np.exp(-math.log(10000.0) * (np.arange(0, depth, 2) / depth))
    table = np.zeros((length, depth))
    table[:, 0::2] = np.sin(pos * rate)
    table[:, 1::2] = np.cos(pos * rate)[:, : depth // 2]
    return table.astype(tfd.as_dtype(dtype).np_dtype)


from .transformer import (  # noqa: E402  (the whole Transformer: see transformer.py)
    transformer,
    transformer_encoder,
    transformer_variables,
)

__all__ = [
    "causal_mask",
    "contrib_layer_norm",
    "layer_norm",
    "multi_head_attention",
    "positional_encoding",
    "scaled_dot_product_attention",
    "transformer",
    "transformer_encoder",
    "transformer_variables",
]
