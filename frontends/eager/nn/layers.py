"""Layers: Linear (with the PyTorch or TF weight convention), activations, Flatten, Dropout."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ....core import functional as CF
from ....core import init as core_init
from ....core import ops
from .. import functions as _fn
from .. import shaping as _sh
from ..dtype import get_default_dtype, to_dtype
from ..tensor import Tensor
from . import functional as F
from .module import Module
from .parameter import Parameter

_LAYOUTS = ("out_in", "in_out")
_INITS = ("kaiming_uniform", "glorot_uniform")


class Linear(Module):
    """y = x W^T + b with W of shape (out, in), initialised as PyTorch does.

    Parity options (to match a TF dense layer): ``weight_layout="in_out"`` stores the kernel as
    (in, out) and computes x W + b; ``init="glorot_uniform"`` draws W with Glorot/Xavier
    uniform and starts b at zeros (TF's dense defaults). The default is PyTorch's: Kaiming
    uniform with a = sqrt(5) for W, then U(-1/sqrt(in), 1/sqrt(in)) for b, drawn in that order.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
        weight_layout: str = "out_in",
        init: str = "kaiming_uniform",
    ) -> None:
        super().__init__()
        if weight_layout not in _LAYOUTS:
            raise ValueError(
                f"Linear: weight_layout must be one of {_LAYOUTS}, got {weight_layout!r}"
            )
        if init not in _INITS:
            raise ValueError(f"Linear: init must be one of {_INITS}, got {init!r}")
        self.in_features = in_features
        self.out_features = out_features
        self.weight_layout = weight_layout
        self.init = init
        dt = (to_dtype(dtype) if dtype is not None else get_default_dtype()).np_dtype
        shape = (
            (out_features, in_features)
            if weight_layout == "out_in"
            else (in_features, out_features)
        )
        self.weight = Parameter(Tensor._make(np.zeros(shape, dt)))
        self.bias = Parameter(Tensor._make(np.zeros((out_features,), dt))) if bias else None
        if not bias:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh weights (and bias) from the shared random stream."""
        shape = tuple(self.weight.shape)
        dt = self.weight._data.dtype
        layout = self.weight_layout
        if self.init == "kaiming_uniform":
            w = core_init.kaiming_uniform(shape, a=math.sqrt(5), layout=layout, dtype=dt)
            b = (
                core_init.linear_bias(self.out_features, self.in_features, dt)
                if self.bias is not None
                else None
            )
        else:
            w = core_init.glorot_uniform(shape, layout=layout, dtype=dt)
            b = np.zeros((self.out_features,), dt) if self.bias is not None else None
        self.weight._data[...] = w
        _bump(self.weight)
        if b is not None:
            self.bias._data[...] = b
            _bump(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        """x W^T + b (or x W + b for the in_out layout)."""
        return CF.linear(input, self.weight, self.bias, layout=self.weight_layout)

    def extra_repr(self) -> str:
        """in/out features and bias (and the parity options when not the defaults)."""
        s = f"in_features={self.in_features}, out_features={self.out_features}"
        s += f", bias={self.bias is not None}"
        if self.weight_layout != "out_in":
            s += f", weight_layout={self.weight_layout!r}"
        if self.init != "kaiming_uniform":
            s += f", init={self.init!r}"
        return s


def _bump(t: Tensor) -> None:
    from ..inplace import bump

    bump(t)


class Identity(Module):
    """Returns its input."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Any) -> Any:
        """The input, unchanged."""
        return input


class ReLU(Module):
    """max(x, 0)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """max(x, 0)."""
        return F.relu(input, self.inplace)

    def extra_repr(self) -> str:
        """'inplace=True' when in place."""
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """x if x > 0 else negative_slope * x."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, input: Tensor) -> Tensor:
        """Leaky ReLU."""
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        """The slope."""
        return f"negative_slope={self.negative_slope}"


class Sigmoid(Module):
    """1 / (1 + exp(-x))."""

    def forward(self, input: Tensor) -> Tensor:
        """Logistic function."""
        return _fn.sigmoid(input)


class Tanh(Module):
    """Hyperbolic tangent."""

    def forward(self, input: Tensor) -> Tensor:
        """tanh(x)."""
        return _fn.tanh(input)


class Softmax(Module):
    """Softmax along `dim`."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        """Softmax along dim."""
        return _fn.softmax(input, self.dim)

    def extra_repr(self) -> str:
        """The dim."""
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log(softmax(x)) along `dim`."""

    def forward(self, input: Tensor) -> Tensor:
        """Log-softmax along dim."""
        return _fn.log_softmax(input, self.dim)


class Flatten(Module):
    """Merge dims start_dim..end_dim (by default all but the batch dim)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        """Flattened input."""
        return _sh.flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        """The dims."""
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """Zero entries with probability p while training (scaling the rest by 1/(1-p))."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Dropout when training, identity in eval mode."""
        return F.dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        """p and inplace."""
        return f"p={self.p}, inplace={self.inplace}"


from ....core.domain import as_op  # noqa: E402


class Embedding(Module):
    """A lookup table of `num_embeddings` vectors (weights drawn from N(0, 1); the padding_idx
    row zero), with torch's options (see embedding_more3.py)."""

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight: Tensor | None = None,
        _freeze: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        from .embedding_more3 import check_padding_idx

        # sparse=True: the gradient stays dense here; optim.SparseAdam updates its nonzero rows
        self.sparse = bool(sparse)
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = check_padding_idx(padding_idx, num_embeddings)
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        if _weight is not None:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(
                    f"Embedding: _weight of shape {tuple(_weight.shape)} does not match "
                    f"(num_embeddings, embedding_dim) = ({num_embeddings}, {embedding_dim})"
                )
            self.weight = Parameter(_weight, requires_grad=not _freeze)
            return
        dt = (to_dtype(dtype) if dtype is not None else get_default_dtype()).np_dtype
        from ....core.random import default_generator

        values = default_generator.normal((num_embeddings, embedding_dim), dt)
        if self.padding_idx is not None:
            values[self.padding_idx] = 0
        self.weight = Parameter(Tensor._make(values), requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        """N(0, 1) again (the padding row zero)."""
        from ....core.random import default_generator

        values = default_generator.normal(tuple(self.weight.shape), self.weight._data.dtype)
        if self.padding_idx is not None:
            values[self.padding_idx] = 0
        self.weight._data[...] = values

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Tensor,
        freeze: bool = True,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
    ) -> Embedding:
        """An Embedding whose table is `embeddings` (2-D), frozen unless freeze=False."""
        if embeddings.dim() != 2:
            raise ValueError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = (int(s) for s in embeddings.shape)
        return cls(
            rows, cols, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
            _weight=embeddings, _freeze=freeze,
        )  # fmt: skip

    def forward(self, input: Tensor) -> Tensor:
        """The rows of the table at the integer indices."""
        if self.padding_idx is None and self.max_norm is None and not self.scale_grad_by_freq:
            # the index tensor itself (not its array), so a compiled capture feeds it at each call
            idx = input if isinstance(input, Tensor) else np.asarray(input)
            # the gather record checks the indices (domain.gather_indices), named as embedding
            return as_op("embedding", ops.gather, self.weight, idx, 0)
        from .embedding_more3 import embedding

        return embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                         self.scale_grad_by_freq)  # fmt: skip

    def extra_repr(self) -> str:
        """Sizes."""
        extra = f", padding_idx={self.padding_idx}" if self.padding_idx is not None else ""
        if self.max_norm is not None:
            extra += f", max_norm={self.max_norm}"
        return f"{self.num_embeddings}, {self.embedding_dim}" + extra
