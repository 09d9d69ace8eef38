"""nn.Transformer and its parts as PyTorch's: encoder and decoder layers, stacks, the full model.

The module tree, parameter names and shapes are PyTorch's, so a torch state_dict loads as is;
each layer's arithmetic is `core.transformer` on its own parameters (the graph style's
`attention.transformer` runs the same functions, so the two styles agree bit for bit).
"""

from __future__ import annotations

import copy
from typing import Any

from ....core import init as core_init
from ....core import transformer as CT
from ..tensor import Tensor
from . import functional as F
from .attention import MultiheadAttention, _mask_data, causal_mask
from .containers import ModuleList
from .conv import LayerNorm
from .layers import Dropout, Linear
from .module import Module


def _activation_name(activation: Any) -> Any:
    """PyTorch's activation argument as core.transformer takes it (a name or a callable)."""
    if activation in ("relu", F.relu):
        return "relu"
    gelu = getattr(F, "gelu", None)
    if activation == "gelu" or (gelu is not None and activation is gelu):
        return "gelu"
    if isinstance(activation, str):
        raise RuntimeError(f"activation should be relu/gelu, not {activation}")
    if not callable(activation):
        raise TypeError(f"Transformer: activation must be a string or a callable, got {activation}")
    return activation


def _causal(mask: Any, is_causal: Any, x: Tensor, batch_first: bool) -> Any:
    """The mask to use: the given one, or a causal one when only the is_causal hint is given."""
    if mask is None and is_causal:
        return causal_mask(x.shape[1 if batch_first else 0], x.dtype.np_dtype)
    return _mask_data(mask)


class _Layer(Module):
    """Shared parts of the encoder and decoder layers."""

    def _build(self, d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
               batch_first, norm_first, bias, dtype, n_norms: int,
               cross: bool) -> None:  # fmt: skip
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, dtype=dtype
        )
        if cross:
            self.multihead_attn = MultiheadAttention(
                d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, dtype=dtype
            )
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        for k in range(1, n_norms + 1):
            setattr(
                self, f"norm{k}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
            )
        for k in range(1, n_norms + 1):
            setattr(self, f"dropout{k}", Dropout(dropout))
        self._activation = _activation_name(activation)
        # PyTorch keeps the activation function as an attribute
        self.activation = activation if callable(activation) else getattr(F, activation, None)

    def _config(self) -> CT.Config:
        return CT.Config(
            nhead=self.self_attn.num_heads,
            activation=self._activation,
            eps=self.norm1.eps,
            dropout=self.dropout.p,
            training=self.training,
            batch_first=self.self_attn.batch_first,
            norm_first=self.norm_first,
        )

    def _params(self) -> dict:
        return dict(self.named_parameters())

    def _check(self, x: Tensor, what: str) -> None:
        d = self.self_attn.embed_dim
        if x.ndim != 3 or x.shape[-1] != d:
            raise RuntimeError(
                f"{type(self).__name__}: {what} must be 3-D with {d} features (d_model), got "
                f"shape {tuple(x.shape)}"
            )


class TransformerEncoderLayer(_Layer):
    """Self-attention then a feed-forward block, each with a residual and a LayerNorm."""

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: Any = "relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self._build(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                    batch_first, norm_first, bias, dtype, 2, False)  # fmt: skip

    def forward(
        self,
        src: Tensor,
        src_mask: Any = None,
        src_key_padding_mask: Any = None,
        is_causal: bool = False,
    ) -> Tensor:
        """x + SA(x), then x + FF(x), normalised after (or before, with norm_first) each."""
        self._check(src, "src")
        mask = _causal(src_mask, is_causal, src, self.self_attn.batch_first)
        return CT.encoder_layer(
            src, self._params(), self._config(), mask, _mask_data(src_key_padding_mask)
        )


class TransformerDecoderLayer(_Layer):
    """Self-attention, attention over the encoder's memory and a feed-forward block."""

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: Any = "relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self._build(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                    batch_first, norm_first, bias, dtype, 3, True)  # fmt: skip

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        tgt_mask: Any = None,
        memory_mask: Any = None,
        tgt_key_padding_mask: Any = None,
        memory_key_padding_mask: Any = None,
        tgt_is_causal: bool = False,
        memory_is_causal: bool = False,
    ) -> Tensor:
        """The decoded target (same shape as tgt)."""
        self._check(tgt, "tgt")
        self._check(memory, "memory")
        bf = self.self_attn.batch_first
        return CT.decoder_layer(
            tgt, memory, self._params(), self._config(), _causal(tgt_mask, tgt_is_causal, tgt, bf),
            _mask_data(memory_mask), _mask_data(tgt_key_padding_mask),
            _mask_data(memory_key_padding_mask),
        )  # fmt: skip


class TransformerEncoder(Module):
    """A stack of `num_layers` copies of an encoder layer, optionally followed by a norm."""

    def __init__(
        self,
        encoder_layer: TransformerEncoderLayer,
        num_layers: int,
        norm: Module | None = None,
        enable_nested_tensor: bool = True,
        mask_check: bool = True,
    ) -> None:
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(
        self, src: Tensor, mask: Any = None, src_key_padding_mask: Any = None, is_causal=None
    ) -> Tensor:
        """Each layer in turn, then the norm."""
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                      is_causal=bool(is_causal))  # fmt: skip
        return self.norm(x) if self.norm is not None else x


class TransformerDecoder(Module):
    """A stack of `num_layers` copies of a decoder layer, optionally followed by a norm."""

    def __init__(
        self, decoder_layer: TransformerDecoderLayer, num_layers: int, norm: Module | None = None
    ) -> None:
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(decoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        tgt_mask: Any = None,
        memory_mask: Any = None,
        tgt_key_padding_mask: Any = None,
        memory_key_padding_mask: Any = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        """Each layer in turn over the memory, then the norm."""
        x = tgt
        for layer in self.layers:
            x = layer(x, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                      tgt_key_padding_mask=tgt_key_padding_mask,
                      memory_key_padding_mask=memory_key_padding_mask,
                      tgt_is_causal=bool(tgt_is_causal),
                      memory_is_causal=memory_is_causal)  # fmt: skip
        return self.norm(x) if self.norm is not None else x


def generate_square_subsequent_mask(sz: int, device: Any = None, dtype: Any = None) -> Tensor:
    """The causal mask of nn.Transformer: -inf above the diagonal, 0 elsewhere."""
    return causal_mask(sz, dtype)


class Transformer(Module):
    """The encoder-decoder Transformer: forward(src, tgt, masks...) -> decoded tgt."""

    generate_square_subsequent_mask = staticmethod(generate_square_subsequent_mask)

    def __init__(
        self,
        d_model: int = 512,
        nhead: int = 8,
        num_encoder_layers: int = 6,
        num_decoder_layers: int = 6,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: Any = "relu",
        custom_encoder: Any = None,
        custom_decoder: Any = None,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        opts = dict(dim_feedforward=dim_feedforward, dropout=dropout, activation=activation,
                    layer_norm_eps=layer_norm_eps, batch_first=batch_first,
                    norm_first=norm_first, bias=bias, dtype=dtype)  # fmt: skip
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            layer = TransformerEncoderLayer(d_model, nhead, **opts)
            norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
            self.encoder = TransformerEncoder(layer, num_encoder_layers, norm)
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            layer = TransformerDecoderLayer(d_model, nhead, **opts)
            norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
            self.decoder = TransformerDecoder(layer, num_decoder_layers, norm)
        self._reset_parameters()
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first

    def _reset_parameters(self) -> None:
        """Xavier-uniform every parameter of two or more dimensions (as PyTorch)."""
        for p in self.parameters():
            if p.ndim > 1:
                data = p._data
                data[...] = core_init.glorot_uniform(tuple(data.shape), "out_in", data.dtype)

    def forward(
        self,
        src: Tensor,
        tgt: Tensor,
        src_mask: Any = None,
        tgt_mask: Any = None,
        memory_mask: Any = None,
        src_key_padding_mask: Any = None,
        tgt_key_padding_mask: Any = None,
        memory_key_padding_mask: Any = None,
        src_is_causal: bool | None = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        """Encode src, then decode tgt attending to the encoded memory."""
        axis = 0 if self.batch_first else 1
        if src.ndim == 3 and tgt.ndim == 3 and src.shape[axis] != tgt.shape[axis]:
            raise RuntimeError(
                f"Transformer: the batch number of src and tgt must be equal, got "
                f"{tuple(src.shape)} and {tuple(tgt.shape)}"
            )
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise RuntimeError(
                f"Transformer: the number of features in src and tgt must be equal to d_model "
                f"{self.d_model}, got {src.shape[-1]} and {tgt.shape[-1]}"
            )
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)  # fmt: skip
        return self.decoder(
            tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
            tgt_key_padding_mask=tgt_key_padding_mask,
            memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=tgt_is_causal,
            memory_is_causal=memory_is_causal,
        )  # fmt: skip


__all__ = [
    "Transformer",
    "TransformerDecoder",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
    "generate_square_subsequent_mask",
]
