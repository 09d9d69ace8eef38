"""The encoder-decoder Transformer of "Attention is all you need", written once for both styles.

Every function takes its parameters as a mapping from PyTorch's state_dict names (relative to
the layer: ``self_attn.in_proj_weight``, ``linear1.weight``, ``norm1.bias``, ...) to values
(eager tensors or graph variables), so the eager `nn.Transformer*` modules and the graph
style's `transformer` run the very same primitives in the very same order, and a torch
state_dict maps one to one. Layouts, masks and options are PyTorch's (`nn.Transformer`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import functional as CF
from . import ops
from .primitives.special import erf

ACTIVATIONS = ("relu", "gelu")


@dataclass(frozen=True)
class Config:
    """The options every layer of one model shares."""

    nhead: int
    activation: Any = "relu"  # "relu", "gelu" or a callable on values
    eps: float = 1e-5
    dropout: float = 0.0
    training: bool = False
    batch_first: bool = False
    norm_first: bool = False


def gelu(x):
    """x * Phi(x) with erf (PyTorch's default gelu), as the eager F.gelu composes it."""
    half = ops.mul(x, ops.scalar(0.5, x))
    return ops.mul(half, ops.add(ops.scalar(1.0, x), erf(ops.div(x, ops.scalar(math.sqrt(2), x)))))


def activation_fn(activation: Any) -> Callable:
    """The activation by name (relu, gelu) or the callable itself."""
    if activation == "relu":
        return ops.relu
    if activation == "gelu":
        return gelu
    if callable(activation):
        return activation
    raise ValueError(
        f"Transformer: activation must be one of {ACTIVATIONS} or a callable, got {activation!r}"
    )


def _drop(x, cfg: Config):
    return CF.dropout(x, cfg.dropout, True) if cfg.dropout and cfg.training else x


def _norm(x, p: Mapping, name: str, cfg: Config):
    return CF.layer_norm(x, p.get(f"{name}.weight"), p.get(f"{name}.bias"), cfg.eps, (-1,))


def _linear(x, p: Mapping, name: str):
    return CF.linear(x, p[f"{name}.weight"], p.get(f"{name}.bias"))


def attention_block(q, kv, p: Mapping, name: str, cfg: Config, mask=None, pad=None):
    """Multi-head attention `name` (self_attn / multihead_attn) of q over kv, then dropout."""
    out, _ = CF.multi_head_attention(
        q, kv, kv, cfg.nhead, p[f"{name}.in_proj_weight"], p.get(f"{name}.in_proj_bias"),
        p[f"{name}.out_proj.weight"], p.get(f"{name}.out_proj.bias"), mask, pad, False, True,
        cfg.dropout, cfg.training, cfg.batch_first,
    )  # fmt: skip
    return out


def feed_forward(x, p: Mapping, cfg: Config):
    """linear2(dropout(activation(linear1(x))))."""
    act = activation_fn(cfg.activation)
    return _linear(_drop(act(_linear(x, p, "linear1")), cfg), p, "linear2")


def encoder_layer(x, p: Mapping, cfg: Config, mask=None, pad=None):
    """x + SA(x), then x + FF(x), each normalised after (or before, with norm_first)."""
    if cfg.norm_first:
        x = ops.add(x, _drop(_sa(x, p, cfg, mask, pad, True), cfg))
        return ops.add(x, _drop(feed_forward(_norm(x, p, "norm2", cfg), p, cfg), cfg))
    x = _norm(ops.add(x, _drop(_sa(x, p, cfg, mask, pad, False), cfg)), p, "norm1", cfg)
    return _norm(ops.add(x, _drop(feed_forward(x, p, cfg), cfg)), p, "norm2", cfg)


def _sa(x, p: Mapping, cfg: Config, mask, pad, norm_first: bool):
    y = _norm(x, p, "norm1", cfg) if norm_first else x
    return attention_block(y, y, p, "self_attn", cfg, mask, pad)


def decoder_layer(x, memory, p: Mapping, cfg: Config, tgt_mask=None, memory_mask=None,
                  tgt_pad=None, memory_pad=None):  # fmt: skip
    """Self-attention, attention over the encoder's memory, feed-forward; residuals and norms."""
    if cfg.norm_first:
        x = ops.add(x, _drop(_sa(x, p, cfg, tgt_mask, tgt_pad, True), cfg))
        y = _norm(x, p, "norm2", cfg)
        x = ops.add(
            x,
            _drop(
                attention_block(y, memory, p, "multihead_attn", cfg, memory_mask, memory_pad), cfg
            ),  # fmt: skip
        )
        return ops.add(x, _drop(feed_forward(_norm(x, p, "norm3", cfg), p, cfg), cfg))
    x = _norm(ops.add(x, _drop(_sa(x, p, cfg, tgt_mask, tgt_pad, False), cfg)), p, "norm1", cfg)
    cross = attention_block(x, memory, p, "multihead_attn", cfg, memory_mask, memory_pad)
    x = _norm(ops.add(x, _drop(cross, cfg)), p, "norm2", cfg)
    return _norm(ops.add(x, _drop(feed_forward(x, p, cfg), cfg)), p, "norm3", cfg)


def under(p: Mapping, prefix: str) -> dict:
    """The entries of p under `prefix.` with the prefix taken off."""
    n = len(prefix) + 1
    return {k[n:]: v for k, v in p.items() if k.startswith(prefix + ".")}


def encoder(x, p: Mapping, cfg: Config, num_layers: int, mask=None, pad=None):
    """`layers.{i}` in turn, then `norm` when p has one."""
    for i in range(num_layers):
        x = encoder_layer(x, under(p, f"layers.{i}"), cfg, mask, pad)
    return _norm(x, p, "norm", cfg) if "norm.weight" in p else x


def decoder(x, memory, p: Mapping, cfg: Config, num_layers: int, tgt_mask=None,
            memory_mask=None, tgt_pad=None, memory_pad=None):  # fmt: skip
    """`layers.{i}` in turn over the memory, then `norm` when p has one."""
    for i in range(num_layers):
        x = decoder_layer(x, memory, under(p, f"layers.{i}"), cfg, tgt_mask, memory_mask,
                          tgt_pad, memory_pad)  # fmt: skip
    return _norm(x, p, "norm", cfg) if "norm.weight" in p else x


def transformer(src, tgt, p: Mapping, cfg: Config, num_encoder_layers: int,
                num_decoder_layers: int, src_mask=None, tgt_mask=None, memory_mask=None,
                src_pad=None, tgt_pad=None, memory_pad=None):  # fmt: skip
    """nn.Transformer's forward: encode src, decode tgt over the memory."""
    memory = encoder(src, under(p, "encoder"), cfg, num_encoder_layers, src_mask, src_pad)
    return decoder(tgt, memory, under(p, "decoder"), cfg, num_decoder_layers, tgt_mask,
                   memory_mask, tgt_pad, memory_pad)  # fmt: skip
