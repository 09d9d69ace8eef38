"""The Transformer in the graph style: the eager nn.Transformer's model on `core.transformer`.

`transformer(src, tgt, d_model, nhead, ...)` and `transformer_encoder(src, num_layers, ...)`
make their variables in their variable scope under PyTorch's state_dict names
(``<scope>/encoder.layers.0.self_attn.in_proj_weight``, ...; `transformer_variables` maps the
torch names to them, so a torch or eager state_dict loads one to one) and run the same
`core.transformer` functions as the eager modules: loaded with the same weights the two styles
compute the same bits. Options and masks are PyTorch's (bool True = masked out, or additive).
"""

from __future__ import annotations

from typing import Any

from ...core import transformer as CT
from . import dtypes as tfd
from . import init_ops
from .attention import _mask, causal_mask
from .math_ops import _tensor, known_rank
from .variable_scope import get_variable, variable_scope

_ATTN = ("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias")


def _layer_specs(d: int, ff: int, cross: bool, bias: bool) -> list:
    """(name, shape) of one layer's parameters in PyTorch's state_dict order."""
    attn = [
        (f"{{}}.{n}", s) for n, s in zip(_ATTN, [(3 * d, d), (3 * d,), (d, d), (d,)], strict=True)
    ]
    specs = [(n.format("self_attn"), s) for n, s in attn]
    if cross:
        specs += [(n.format("multihead_attn"), s) for n, s in attn]
    specs += [("linear1.weight", (ff, d)), ("linear1.bias", (ff,))]
    specs += [("linear2.weight", (d, ff)), ("linear2.bias", (d,))]
    for k in range(1, 4 if cross else 3):
        specs += [(f"norm{k}.weight", (d,)), (f"norm{k}.bias", (d,))]
    return [(n, s) for n, s in specs if bias or not (n.endswith("bias") or "_bias" in n)]


def _specs(d: int, ff: int, n_enc: int, n_dec: int | None, bias: bool) -> list:
    norm = [("norm.weight", (d,))] + ([("norm.bias", (d,))] if bias else [])
    if n_dec is None:  # an encoder stack alone
        out = []
        for i in range(n_enc):
            out += [(f"layers.{i}.{n}", s) for n, s in _layer_specs(d, ff, False, bias)]
        return out + norm
    out = [(f"encoder.{n}", s) for n, s in _specs(d, ff, n_enc, None, bias)]
    dec = []
    for i in range(n_dec):
        dec += [(f"layers.{i}.{n}", s) for n, s in _layer_specs(d, ff, True, bias)]
    return out + [(f"decoder.{n}", s) for n, s in dec + norm]


def _make(specs: list, dtype: Any) -> dict:
    glorot = init_ops.GlorotUniform(layout="out_in")
    p = {}
    for name, shape in specs:
        if len(shape) > 1:
            init = glorot
        elif name.split(".")[-2].startswith("norm") and name.endswith("weight"):
            init = init_ops.Ones()
        else:
            init = init_ops.Zeros()
        p[name] = get_variable(name, shape, dtype=dtype, initializer=init)
    return p


def _check(op: str, x: Any, d_model: int) -> Any:
    x = _tensor(x)
    known_rank(op, x)
    if len(x.shape) != 3 or x.shape[-1] != d_model:
        raise ValueError(f"{op}: inputs must be 3-D with d_model={d_model} features, got {x}")
    if not tfd.as_dtype(x.dtype).is_floating:
        raise TypeError(f"{op}: inputs must be float, got {x}")
    return x


def _config(nhead, activation, eps, dropout, training, batch_first, norm_first) -> CT.Config:
    CT.activation_fn(activation)  # a clear error for an unknown activation
    return CT.Config(int(nhead), activation, float(eps), float(dropout), bool(training),
                     bool(batch_first), bool(norm_first))  # fmt: skip


def transformer_variables(scope: str = "transformer") -> dict:
    """PyTorch state_dict name -> variable, for the model built in variable scope `scope`."""
    from .variables import global_variables

    prefix = scope.rstrip("/") + "/"
    out = {}
    for v in global_variables():
        name = v.name.split(":")[0]
        if name.startswith(prefix):
            out[name[len(prefix) :]] = v
    return out


def transformer(
    src: Any,
    tgt: Any,
    d_model: int = 512,
    nhead: int = 8,
    num_encoder_layers: int = 6,
    num_decoder_layers: int = 6,
    dim_feedforward: int = 2048,
    dropout: float = 0.0,
    activation: Any = "relu",
    layer_norm_eps: float = 1e-5,
    batch_first: bool = False,
    norm_first: bool = False,
    bias: bool = True,
    src_mask: Any = None,
    tgt_mask: Any = None,
    memory_mask: Any = None,
    src_key_padding_mask: Any = None,
    tgt_key_padding_mask: Any = None,
    memory_key_padding_mask: Any = None,
    tgt_is_causal: bool = False,
    training: bool = False,
    name: str | None = None,
    reuse: Any = None,
) -> Any:
    """nn.Transformer's forward as graph ops -> the decoded tgt (variables: see the module)."""
    s = _check("transformer", src, d_model)
    t = _check("transformer", tgt, d_model)
    if tgt_is_causal and tgt_mask is None:
        tgt_mask = causal_mask(t.shape[1 if batch_first else 0], t.dtype)
    masks = [_mask(m, s, w) for m, w in (
        (src_mask, "src_mask"), (tgt_mask, "tgt_mask"), (memory_mask, "memory_mask"),
        (src_key_padding_mask, "src_key_padding_mask"),
        (tgt_key_padding_mask, "tgt_key_padding_mask"),
        (memory_key_padding_mask, "memory_key_padding_mask"))]  # fmt: skip
    cfg = _config(nhead, activation, layer_norm_eps, dropout, training, batch_first, norm_first)
    with variable_scope(name, default_name="transformer", reuse=reuse):
        specs = _specs(d_model, dim_feedforward, num_encoder_layers, num_decoder_layers, bias)
        p = _make(specs, s.dtype)
        out = CT.transformer(s, t, p, cfg, num_encoder_layers, num_decoder_layers, *masks)
    return out


def transformer_encoder(
    src: Any,
    num_layers: int,
    d_model: int = 512,
    nhead: int = 8,
    dim_feedforward: int = 2048,
    dropout: float = 0.0,
    activation: Any = "relu",
    layer_norm_eps: float = 1e-5,
    batch_first: bool = False,
    norm_first: bool = False,
    bias: bool = True,
    norm: bool = False,
    mask: Any = None,
    src_key_padding_mask: Any = None,
    is_causal: bool = False,
    training: bool = False,
    name: str | None = None,
    reuse: Any = None,
) -> Any:
    """nn.TransformerEncoder(nn.TransformerEncoderLayer(...), num_layers[, norm]) as graph ops."""
    s = _check("transformer_encoder", src, d_model)
    if is_causal and mask is None:
        mask = causal_mask(s.shape[1 if batch_first else 0], s.dtype)
    m, pad = _mask(mask, s, "mask"), _mask(src_key_padding_mask, s, "src_key_padding_mask")
    cfg = _config(nhead, activation, layer_norm_eps, dropout, training, batch_first, norm_first)
    with variable_scope(name, default_name="transformer_encoder", reuse=reuse):
        specs = _specs(d_model, dim_feedforward, num_layers, None, bias)
        if not norm:
            specs = [(n, sh) for n, sh in specs if not n.startswith("norm.")]
        p = _make(specs, s.dtype)
        out = CT.encoder(s, p, cfg, num_layers, m, pad)
    return out


__all__ = ["transformer", "transformer_encoder", "transformer_variables"]
