"""Inputs without a batch dimension, as torch takes them: `nn.Conv2d(3, 8, 3)(image)` on a
(C, H, W) image, `nn.TransformerEncoderLayer(...)(tokens)` on (L, E) tokens.

Each listed function (and the layers calling it) gets a batch of one added in front and taken
off the result; the attention and Transformer layers add theirs at their batch position.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

from ..tensor import Tensor

# functional names -> the rank of a batched input
BATCHED_RANK = {
    "conv1d": 3, "conv2d": 4, "conv3d": 5,
    "conv_transpose1d": 3, "conv_transpose2d": 4, "conv_transpose3d": 5,
    "max_pool1d": 3, "max_pool2d": 4, "max_pool3d": 5,
    "avg_pool1d": 3, "avg_pool2d": 4, "avg_pool3d": 5,
    "lp_pool1d": 3, "lp_pool2d": 4, "lp_pool3d": 5,
    "max_pool1d_with_indices": 3, "max_pool2d_with_indices": 4, "max_pool3d_with_indices": 5,
}  # fmt: skip


def _squeezed(out: Any) -> Any:
    if isinstance(out, Tensor):
        return out.squeeze(0)
    if isinstance(out, tuple):
        return (
            type(out)(*(_squeezed(o) for o in out))
            if hasattr(out, "_fields")
            else tuple(_squeezed(o) for o in out)
        )
    return out


def accepting_unbatched(fn: Callable, rank: int, name: str = "") -> Callable:
    """fn, also taking an input one rank short of `rank` (a single unbatched sample)."""
    op = name or fn.__name__

    @functools.wraps(fn)
    def wrapper(input: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002 - torch's name
        if isinstance(input, Tensor) and input.dim() == rank - 1:
            return _squeezed(fn(input.unsqueeze(0), *args, **kwargs))
        if isinstance(input, Tensor) and input.dim() < rank - 1:
            raise RuntimeError(
                f"{op}: expected a {rank - 1}-D (unbatched) or {rank}-D (batched) input, got "
                f"shape {tuple(input.shape)}"
            )
        return fn(input, *args, **kwargs)

    wrapper._unbatched = True
    return wrapper


def install_functional(namespace: str) -> None:
    """Wrap the listed functions of the functional module `namespace` (each once)."""
    mod = sys.modules[namespace]
    for name, rank in BATCHED_RANK.items():
        fn = mod.__dict__.get(name)
        if callable(fn) and not getattr(fn, "_unbatched", False):
            setattr(mod, name, accepting_unbatched(fn, rank, name))


def _batch_one(x: Any, axis: int) -> Any:
    return x.unsqueeze(axis) if isinstance(x, Tensor) else x


def _batch_first(layer: Any) -> bool:
    """The layer's batch_first (a Transformer layer keeps it on its attention)."""
    if hasattr(layer, "batch_first"):
        return bool(layer.batch_first)
    attn = getattr(layer, "self_attn", None)
    if attn is None:
        layers = getattr(layer, "layers", None)
        attn = getattr(layers[0], "self_attn", None) if layers else None
    if attn is None and hasattr(layer, "encoder"):
        return _batch_first(layer.encoder)
    return bool(getattr(attn, "batch_first", False))


SEQUENCE_NAMES = ("src", "tgt", "memory", "query", "key", "value")


def sequence_forward(cls: type, rank: int, sequences: int) -> None:
    """`cls.forward` also taking unbatched sequences (rank - 1 dims): a batch of one at the
    layer's batch position (0 if batch_first, else 1) for its first `sequences` positional
    arguments (and the same names given by keyword), and an unbatched key padding mask (S,)
    made a batch of one; attention masks are left as they are."""
    forward = cls.forward
    if getattr(forward, "_unbatched", False):
        return

    @functools.wraps(forward)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        first = args[0] if args else next((kwargs[n] for n in SEQUENCE_NAMES if n in kwargs), None)
        if not isinstance(first, Tensor) or first.dim() != rank - 1:
            return forward(self, *args, **kwargs)
        axis = 0 if _batch_first(self) else 1
        args = tuple(_batch_one(a, axis) if i < sequences else a for i, a in enumerate(args))
        for key in list(kwargs):
            value = kwargs[key]
            if key in SEQUENCE_NAMES:
                kwargs[key] = _batch_one(value, axis)
            elif (
                key.endswith("key_padding_mask") and isinstance(value, Tensor) and value.dim() == 1
            ):
                kwargs[key] = value.unsqueeze(0)
        out = forward(self, *args, **kwargs)
        if isinstance(out, tuple):  # attention: (output, weights)
            head = out[0].squeeze(axis)
            rest = tuple(o.squeeze(0) if isinstance(o, Tensor) else o for o in out[1:])
            return (head, *rest)
        return out.squeeze(axis)

    wrapper._unbatched = True
    cls.forward = wrapper


# layer classes -> the rank of a batched input
LAYER_RANK = {
    "Conv1d": 3, "Conv2d": 4, "Conv3d": 5,
    "ConvTranspose1d": 3, "ConvTranspose2d": 4, "ConvTranspose3d": 5,
    "MaxPool1d": 3, "MaxPool2d": 4, "MaxPool3d": 5,
    "AvgPool1d": 3, "AvgPool2d": 4, "AvgPool3d": 5,
    "LPPool1d": 3, "LPPool2d": 4, "LPPool3d": 5,
    "FractionalMaxPool2d": 4, "FractionalMaxPool3d": 5,
    "MaxUnpool1d": 3, "MaxUnpool2d": 4, "MaxUnpool3d": 5,
}  # fmt: skip


def install_layers(namespace: str) -> None:
    """Let the listed layer classes of the module `namespace` take unbatched inputs."""
    mod = sys.modules[namespace]
    for name, rank in LAYER_RANK.items():
        cls = mod.__dict__.get(name)
        if isinstance(cls, type) and not getattr(cls.forward, "_unbatched", False):
            forward = cls.forward

            def wrapped(
                self: Any, input: Any, *a: Any, _f: Any = forward, _r: int = rank, **k: Any
            ):
                if isinstance(input, Tensor) and input.dim() == _r - 1:
                    return _squeezed(_f(self, input.unsqueeze(0), *a, **k))
                return _f(self, input, *a, **k)

            functools.update_wrapper(wrapped, forward)
            wrapped._unbatched = True
            cls.forward = wrapped
