"""``nn.EmbeddingBag`` / ``F.embedding_bag``, ``nn.ParameterDict``, ``nn.RNNBase`` (the base of
RNN / LSTM / GRU, for isinstance checks) and ``nn.modules`` (the namespace torch keeps its module
classes in)."""

from __future__ import annotations

import types
from collections.abc import Iterable
from typing import Any

import numpy as np

from ....core import ops
from ..tensor import Tensor
from . import init
from .module import Module
from .parameter import Parameter
from .rnn import _RNNBase as RNNBase


def embedding_bag(
    input: Any,
    weight: Tensor,
    offsets: Any = None,
    max_norm: Any = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Any = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """Sums, means or maxima of bags of embedding rows: a 2-D input is one bag per row; a 1-D
    input is cut into bags at `offsets`."""
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"embedding_bag: mode has to be one of sum, mean or max, got {mode!r}")
    if max_norm is not None:
        raise NotImplementedError("embedding_bag: max_norm is not supported")
    idx = input._data if isinstance(input, Tensor) else np.asarray(input)
    if idx.dtype.kind not in "iu":
        raise ValueError(f"embedding_bag: input must be integer indices, got {idx.dtype}")
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError("embedding_bag: offsets has to be None if input is 2D")
        n_bags, per = idx.shape
        flat = idx.reshape(-1)
        bag = np.repeat(np.arange(n_bags), per)
    elif idx.ndim == 1:
        if offsets is None:
            raise ValueError("embedding_bag: offsets has to be a 1D Tensor but got None")
        off = (offsets._data if isinstance(offsets, Tensor) else np.asarray(offsets)).astype(
            np.int64
        )
        if include_last_offset:
            off = off[:-1]
        n_bags = len(off)
        flat = idx
        ends = np.append(off[1:], len(idx))
        bag = np.repeat(np.arange(n_bags), np.maximum(ends - off, 0))
    else:
        raise ValueError(f"embedding_bag: input has to be 1D or 2D, got {idx.ndim}D")
    keep = np.ones(len(flat), bool) if padding_idx is None else flat != padding_idx
    flat, bag = flat[keep], bag[keep]
    rows = ops.gather(weight, flat.astype(np.int64), 0)  # (n, D)
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError(
                "embedding_bag: per_sample_weights is only supported for mode='sum'"
            )
        w = ops.reshape(per_sample_weights, (-1,))
        if not keep.all():
            w = ops.getitem(w, (np.nonzero(keep)[0],))
        rows = ops.mul(rows, ops.expand_dims(w, 1))
    dim = weight.shape[1]
    like = Tensor._make(np.zeros((n_bags, dim), weight._data.dtype))
    if mode in ("sum", "mean"):
        out = ops.getitem_grad(rows, like, (bag,))
        if mode == "mean":
            counts = np.bincount(bag, minlength=n_bags).astype(weight._data.dtype)
            out = ops.div(out, Tensor._make(np.maximum(counts, 1)[:, None]))
        return out
    parts = []
    for b in range(n_bags):
        sel = np.nonzero(bag == b)[0]
        if len(sel):
            parts.append(ops.max(ops.getitem(rows, (sel,)), axes=(0,)))
        else:
            parts.append(Tensor._make(np.zeros((dim,), weight._data.dtype)))
    return ops.stack(parts, 0)


class EmbeddingBag(Module):
    """Bags of embedding rows reduced by sum, mean or max (weights drawn from N(0, 1))."""

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        max_norm: Any = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        _weight: Any = None,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.mode, self.include_last_offset, self.padding_idx = (
            mode,
            include_last_offset,
            padding_idx,
        )
        self.max_norm = max_norm
        w = Parameter(Tensor._make(np.empty((num_embeddings, embedding_dim), np.float32)))
        if _weight is None:
            init.normal_(w)
            if padding_idx is not None:
                w._data[padding_idx] = 0
        else:
            w = Parameter(_weight)
        self.weight = w

    def forward(self, input: Any, offsets: Any = None, per_sample_weights: Any = None) -> Tensor:
        """The reduced bags."""
        return embedding_bag(
            input,
            self.weight,
            offsets,
            self.max_norm,
            mode=self.mode,
            per_sample_weights=per_sample_weights,
            include_last_offset=self.include_last_offset,
            padding_idx=self.padding_idx,
        )

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True, **kwargs: Any) -> Any:
        """An EmbeddingBag holding the given (N, D) weights."""
        bag = cls(embeddings.shape[0], embeddings.shape[1], _weight=embeddings.detach(), **kwargs)
        bag.weight.requires_grad_(not freeze)
        return bag


class ParameterDict(Module):
    """A dict of parameters registered on the module under their keys."""

    def __init__(self, parameters: Any = None) -> None:
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __setitem__(self, key: str, value: Any) -> None:
        p = value if isinstance(value, Parameter) or value is None else Parameter(value)
        self.register_parameter(key, p)

    def __getitem__(self, key: str) -> Any:
        return self._parameters[key]

    def __delitem__(self, key: str) -> None:
        del self._parameters[key]

    def __contains__(self, key: object) -> bool:
        return key in self._parameters

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters)

    def keys(self) -> Iterable[str]:
        """The keys, in insertion order."""
        return self._parameters.keys()

    def values(self) -> Iterable[Any]:
        """The parameters."""
        return self._parameters.values()

    def items(self) -> Iterable[tuple[str, Any]]:
        """(key, parameter) pairs."""
        return self._parameters.items()

    def get(self, key: str, default: Any = None) -> Any:
        """The parameter under key, or default."""
        return self._parameters.get(key, default)

    def pop(self, key: str) -> Any:
        """Remove and return the parameter under key."""
        return self._parameters.pop(key)

    def update(self, parameters: Any) -> None:
        """Add the (key, parameter) pairs of a mapping or an iterable."""
        pairs = parameters.items() if hasattr(parameters, "items") else parameters
        for k, v in pairs:
            self[k] = v


def _modules_namespace(nn: Any) -> types.ModuleType:
    """``torch.nn.modules`` and its submodules (``nn.modules.loss``, ``nn.modules.conv``, ...):
    views of the nn namespace, where the same classes live here."""
    mod = types.ModuleType("torch.nn.modules", "The nn module classes (see torch.nn).")

    def attr(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(nn, name)

    mod.__getattr__ = attr  # type: ignore[method-assign]
    for sub in (
        "module",
        "loss",
        "conv",
        "linear",
        "activation",
        "batchnorm",
        "container",
        "rnn",
        "pooling",
        "dropout",
        "normalization",
        "sparse",
        "padding",
        "flatten",
        "transformer",
        "upsampling",
        "pixelshuffle",
        "distance",
        "instancenorm",
        "adaptive",
        "fold",
        "channelshuffle",
        "utils",
    ):
        s = types.ModuleType(f"torch.nn.modules.{sub}", f"torch.nn.modules.{sub} (see torch.nn).")
        s.__getattr__ = attr  # type: ignore[method-assign]
        setattr(mod, sub, s)
    return mod


__all__ = ["EmbeddingBag", "ParameterDict", "RNNBase"]
