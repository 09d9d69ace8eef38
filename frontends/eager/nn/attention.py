"""Attention: nn.MultiheadAttention and F.scaled_dot_product_attention (see transformer.py).

The arithmetic is `core.functional.multi_head_attention` / `scaled_dot_product_attention`, the
compositions the graph frontend's `attention.multi_head_attention` calls too, with PyTorch's
parameter layout: `in_proj_weight` (3E, E) holding W_q, W_k, W_v as row blocks,
`in_proj_bias` (3E,) and `out_proj` an (E, E) Linear.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ....core import functional as CF
from ....core import init as core_init
from ....core import ops
from ..dtype import get_default_dtype, to_dtype
from ..tensor import Tensor
from .layers import Linear
from .module import Module
from .parameter import Parameter


def _np_dtype(dtype: Any) -> np.dtype:
    return (to_dtype(dtype) if dtype is not None else get_default_dtype()).np_dtype


def _mask_data(mask: Any) -> Any:
    """A mask as the core takes it: tensors stay tensors, anything else becomes an array."""
    if mask is None or isinstance(mask, Tensor):
        return mask
    return np.asarray(mask)


def causal_mask(size: int, dtype: Any = None) -> Tensor:
    """An additive (size, size) mask: 0 on and below the diagonal, -inf above it."""
    dt = _np_dtype(dtype)
    return Tensor._make(np.triu(np.full((size, size), -np.inf, dt), 1))


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Any = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """softmax(q k^T * scale + mask) v; a bool attn_mask marks the positions that take part."""
    if is_causal and attn_mask is not None:
        raise RuntimeError("scaled_dot_product_attention: give either attn_mask or is_causal")
    ranks = [t.dim() if isinstance(t, Tensor) else 0 for t in (query, key, value)]
    if min(ranks) < 2:
        raise RuntimeError(
            "scaled_dot_product_attention: Expected query, key, and value to all be at least 2 "
            f"dimensional, but got query.dim: {ranks[0]} key.dim: {ranks[1]} and value.dim: "
            f"{ranks[2]}"
        )
    mask = _mask_data(attn_mask)
    if mask is not None and np.dtype(mask.dtype) == np.bool_:
        # here True means "attend" (the opposite of nn.MultiheadAttention's bool masks)
        mask = ops.equal(mask, np.asarray(False))
    out, _ = CF.scaled_dot_product_attention(
        query, key, value, mask, scale, dropout_p, training=dropout_p > 0, need_weights=False,
        causal=is_causal,
    )  # fmt: skip
    return out


class MultiheadAttention(Module):
    """Multi-head attention as PyTorch's: forward(q, k, v, ...) -> (output, weights or None)."""

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if add_bias_kv or add_zero_attn:
            raise NotImplementedError("MultiheadAttention: add_bias_kv and add_zero_attn")
        if kdim not in (None, embed_dim) or vdim not in (None, embed_dim):
            raise NotImplementedError("MultiheadAttention: kdim and vdim must equal embed_dim")
        if embed_dim % num_heads:
            raise AssertionError(
                f"MultiheadAttention: embed_dim {embed_dim} must be divisible by num_heads "
                f"{num_heads}"
            )
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, float(dropout)
        self.batch_first, self.head_dim = batch_first, embed_dim // num_heads
        self.kdim = self.vdim = embed_dim
        dt = _np_dtype(dtype)
        self.in_proj_weight = Parameter(Tensor._make(np.zeros((3 * embed_dim, embed_dim), dt)))
        if bias:
            self.in_proj_bias = Parameter(Tensor._make(np.zeros(3 * embed_dim, dt)))
        else:
            self.register_parameter("in_proj_bias", None)
        # PyTorch draws out_proj's Linear init first, then the in_proj init below
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """Xavier-uniform in_proj_weight; zero in_proj_bias and out_proj.bias."""
        w = self.in_proj_weight
        w._data[...] = core_init.glorot_uniform(tuple(w.shape), "out_in", w._data.dtype)
        if self.in_proj_bias is not None:
            self.in_proj_bias._data[...] = 0
            self.out_proj.bias._data[...] = 0

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask: Any = None,
        need_weights: bool = True,
        attn_mask: Any = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple:
        """Attend `query` to `key`/`value`; masks: bool True (or -inf) = not attended."""
        if query.ndim != 3:
            raise NotImplementedError(
                f"MultiheadAttention: expected batched 3-D inputs, got shape {tuple(query.shape)}"
            )
        if query.shape[-1] != self.embed_dim:
            raise AssertionError(
                f"MultiheadAttention: was expecting embedding dimension of {self.embed_dim}, but "
                f"got {query.shape[-1]}"
            )
        if is_causal and attn_mask is None:
            attn_mask = causal_mask(query.shape[0 if not self.batch_first else 1])
        out, weights = CF.multi_head_attention(
            query, key, value, self.num_heads, self.in_proj_weight, self.in_proj_bias,
            self.out_proj.weight, self.out_proj.bias, _mask_data(attn_mask),
            _mask_data(key_padding_mask), need_weights, average_attn_weights, self.dropout,
            self.training, self.batch_first,
        )  # fmt: skip
        return out, weights

    def extra_repr(self) -> str:
        """Sizes."""
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"


# The Transformer modules live in transformer.py (imported here for the old import path).
from .transformer import (  # noqa: E402, F401
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
    generate_square_subsequent_mask,
)
