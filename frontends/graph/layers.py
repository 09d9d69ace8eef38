"""`tf.layers`: dense, dropout and flatten, building variables with `get_variable`.

A dense layer keeps TF's (in, out) kernel, Glorot-uniform initialised through `core/init.py`
with a zero bias, and computes `core.functional.linear(x, kernel, bias, layout="in_out")`.
`kernel_layout="out_in"` stores the kernel the PyTorch way instead, so the graph program and an
eager `nn.Linear(..., init="glorot_uniform")` start from, and compute, the same numbers.
"""

from __future__ import annotations

import math
from typing import Any

from ...core import functional as F
from ...core import ops
from ...core.ir import Value
from . import dtypes as tfd
from . import init_ops
from .math_ops import _tensor, known_rank
from .nn import dropout as nn_dropout
from .tensor import Tensor
from .variable_scope import get_variable, variable_scope

_LAYOUTS = ("in_out", "out_in")


class Layer:
    """Base of the layer objects: built on first call, then reusing its variables."""

    def __init__(
        self, name: str | None = None, trainable: bool = True, dtype: Any = None, **_: Any
    ) -> None:
        self.name = name
        self.trainable = trainable
        self.dtype = dtype
        self.built = False
        self._variables: list = []

    @property
    def variables(self) -> list:
        """The layer's variables."""
        return list(self._variables)

    weights = variables

    @property
    def trainable_variables(self) -> list:
        """The layer's trainable variables."""
        return [v for v in self._variables if v.trainable]

    trainable_weights = trainable_variables

    def apply(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        """Same as calling the layer."""
        return self(inputs, *args, **kwargs)


class Dense(Layer):
    """y = activation(x @ kernel + bias), with the kernel made on the first call."""

    def __init__(
        self,
        units: int,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = None,
        bias_initializer: Any = None,
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        trainable: bool = True,
        name: str | None = None,
        kernel_layout: str = "in_out",
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, trainable=trainable, **kwargs)
        if kernel_layout not in _LAYOUTS:
            raise ValueError(
                f"Dense: kernel_layout must be one of {_LAYOUTS}, got {kernel_layout!r}"
            )
        self.units = int(units)
        self.activation = activation
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel_layout = kernel_layout
        self.kernel = None
        self.bias = None
        self._scope = None

    def build(self, in_dim: int, dtype: tfd.DType) -> None:
        """Make the kernel (and bias)."""
        shape = (in_dim, self.units) if self.kernel_layout == "in_out" else (self.units, in_dim)
        kinit = self.kernel_initializer or init_ops.GlorotUniform(layout=self.kernel_layout)
        self.kernel = get_variable(
            "kernel",
            shape,
            dtype=dtype,
            initializer=kinit,
            regularizer=self.kernel_regularizer,
            trainable=self.trainable,
        )
        self._variables.append(self.kernel)
        if self.use_bias:
            binit = self.bias_initializer or init_ops.Zeros()
            self.bias = get_variable(
                "bias",
                (self.units,),
                dtype=dtype,
                initializer=binit,
                regularizer=self.bias_regularizer,
                trainable=self.trainable,
            )
            self._variables.append(self.bias)
        self.built = True

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Tensor:
        x = _tensor(inputs)
        known_rank("dense", x)
        in_dim = x.shape[-1]
        if in_dim is None:
            raise ValueError(
                f"The last dimension of the inputs to `Dense` should be defined. Found `None` "
                f"in {x}."
            )
        if not tfd.as_dtype(x.dtype).is_floating:
            raise TypeError(f"dense: inputs must be float32 or float64, got {x}")
        scope_arg = self._scope if self._scope is not None else self.name
        with variable_scope(scope_arg, default_name="dense") as scope:
            if not self.built:
                self._scope = scope
                self.build(int(in_dim), x.dtype)
            else:
                want = self.kernel.shape[0 if self.kernel_layout == "in_out" else 1]
                if want != in_dim:
                    raise ValueError(f"dense: this layer expects {want} input features, got {x}")
            kernel, bias = self.kernel, self.bias
            type_name = "BiasAdd" if bias is not None else "MatMul"
            y = x.graph.build_op(
                type_name, None, lambda: F.linear(x, kernel, bias, layout=self.kernel_layout)
            )
            if self.activation is not None:
                y = self.activation(y)
        return y


def dense(
    inputs: Any,
    units: int,
    activation: Any = None,
    use_bias: bool = True,
    kernel_initializer: Any = None,
    bias_initializer: Any = None,
    kernel_regularizer: Any = None,
    bias_regularizer: Any = None,
    activity_regularizer: Any = None,
    kernel_constraint: Any = None,
    bias_constraint: Any = None,
    trainable: bool = True,
    name: str | None = None,
    reuse: Any = None,
    kernel_layout: str = "in_out",
) -> Tensor:
    """A fully connected layer: activation(inputs @ kernel + bias).

    `kernel_layout="out_in"` stores the kernel as PyTorch's (out, in) weight (see the module
    notes); `reuse=True` shares the variables of an earlier layer of the same `name`.
    """
    layer = Dense(
        units,
        activation,
        use_bias,
        kernel_initializer,
        bias_initializer,
        kernel_regularizer,
        bias_regularizer,
        trainable=trainable,
        name=name,
        kernel_layout=kernel_layout,
    )
    if reuse:
        with variable_scope(name or "dense", reuse=reuse) as scope:
            layer._scope = scope
            return layer(inputs)
    return layer(inputs)


class Dropout(Layer):
    """Dropout as a layer: `training` (a bool or a bool tensor) says whether to drop."""

    def __init__(
        self,
        rate: float = 0.5,
        noise_shape: Any = None,
        seed: Any = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        self.rate = rate
        self.noise_shape = noise_shape

    def __call__(self, inputs: Any, training: Any = False) -> Tensor:
        return dropout(inputs, self.rate, self.noise_shape, training=training, name=self.name)


def dropout(
    inputs: Any,
    rate: float = 0.5,
    noise_shape: Any = None,
    seed: Any = None,
    training: Any = False,
    name: str | None = None,
) -> Tensor:
    """Dropout applied only when `training` is true (False by default, as in TF)."""
    x = _tensor(inputs)
    if isinstance(training, Value):
        if not tfd.as_dtype(training.dtype).is_bool:
            raise TypeError(f"dropout: training must be a bool or a bool tensor, got {training}")
        from .control_flow_more import scalar_pred  # an unshaped placeholder keeps static shapes

        training = scalar_pred(training, "dropout")
        with x.graph.name_scope(name or "dropout"):
            dropped = nn_dropout(x, rate=rate, noise_shape=noise_shape)
            return x.graph.build_op("Select", None, lambda: ops.where(training, dropped, x))
    if not training:
        return x
    return nn_dropout(x, rate=rate, noise_shape=noise_shape, name=name)


def _pair(v: Any) -> tuple:
    return (int(v), int(v)) if isinstance(v, int) else tuple(int(a) for a in v)


def _data_format(data_format: str) -> str:
    formats = {"channels_last": "NHWC", "channels_first": "NCHW"}
    if data_format not in formats:
        raise ValueError(
            f"data_format must be channels_last or channels_first, got {data_format!r}"
        )
    return formats[data_format]


def conv2d(
    inputs: Any,
    filters: int,
    kernel_size: Any,
    strides: Any = (1, 1),
    padding: str = "valid",
    data_format: str = "channels_last",
    dilation_rate: Any = (1, 1),
    activation: Any = None,
    use_bias: bool = True,
    kernel_initializer: Any = None,
    bias_initializer: Any = None,
    kernel_regularizer: Any = None,
    bias_regularizer: Any = None,
    activity_regularizer: Any = None,
    kernel_constraint: Any = None,
    bias_constraint: Any = None,
    trainable: bool = True,
    name: str | None = None,
    reuse: Any = None,
) -> Tensor:
    """A 2-D convolution layer: HWIO kernel (Glorot uniform), zero bias, then `activation`."""
    x = _tensor(inputs)
    known_rank("conv2d", x)
    fmt = _data_format(data_format)
    if len(x.shape) != 4:
        raise ValueError(f"conv2d: inputs must be 4-D ({fmt}), got {x}")
    cin = x.shape[3] if fmt == "NHWC" else x.shape[1]
    if cin is None:
        raise ValueError(f"conv2d: the channel dimension of the inputs must be known, got {x}")
    kh, kw = _pair(kernel_size)
    with variable_scope(name, default_name="conv2d", reuse=reuse):
        kernel = get_variable(
            "kernel",
            (kh, kw, int(cin), int(filters)),
            dtype=x.dtype,
            initializer=kernel_initializer or init_ops.GlorotUniform(),
            regularizer=kernel_regularizer,
            trainable=trainable,
        )
        bias = None
        if use_bias:
            bias = get_variable(
                "bias",
                (int(filters),),
                dtype=x.dtype,
                initializer=bias_initializer or init_ops.Zeros(),
                regularizer=bias_regularizer,
                trainable=trainable,
            )
        st, dl, pad = _pair(strides), _pair(dilation_rate), padding.upper()
        y = x.graph.build_op(
            "BiasAdd" if bias is not None else "Conv2D",
            None,
            lambda: F.conv2d(x, kernel, bias, st, pad, dl, data_format=fmt, filter_format="HWIO"),
        )
        if activation is not None:
            y = activation(y)
    return y


def _pooling(kind: str, inputs, pool_size, strides, padding, data_format, name) -> Tensor:
    x = _tensor(inputs)
    known_rank(kind, x)
    fmt = _data_format(data_format)
    k, st, pad = _pair(pool_size), _pair(strides), padding.upper()
    if kind == "max":
        return x.graph.build_op(
            "MaxPool",
            name,
            lambda: ops.max_pool2d(x, k, st, pad, data_format=fmt),
            default="max_pooling2d",
        )
    return x.graph.build_op(
        "AvgPool",
        name,
        lambda: ops.avg_pool2d(x, k, st, pad, data_format=fmt, count_include_pad=False),
        default="average_pooling2d",
    )


def max_pooling2d(
    inputs: Any,
    pool_size: Any,
    strides: Any,
    padding: str = "valid",
    data_format: str = "channels_last",
    name: str | None = None,
) -> Tensor:
    """Window maxima."""
    return _pooling("max", inputs, pool_size, strides, padding, data_format, name)


def average_pooling2d(
    inputs: Any,
    pool_size: Any,
    strides: Any,
    padding: str = "valid",
    data_format: str = "channels_last",
    name: str | None = None,
) -> Tensor:
    """Window means over the real (unpadded) elements."""
    return _pooling("avg", inputs, pool_size, strides, padding, data_format, name)


class Flatten(Layer):
    """Flatten all axes after the first."""

    def __call__(self, inputs: Any) -> Tensor:
        return flatten(inputs, name=self.name)


def flatten(inputs: Any, name: str | None = None, data_format: str = "channels_last") -> Tensor:
    """Reshape to (batch, everything else)."""
    x = _tensor(inputs)
    known_rank("flatten", x)
    rest = x.shape[1:]
    if any(d is None for d in rest):
        raise ValueError(f"flatten: the dims after the first must be known, got {x.shape}")
    n = math.prod(rest)
    return x.graph.build_op("Reshape", name, lambda: ops.reshape(x, (-1, n)), default="flatten")


__all__ = [
    "Dense",
    "Dropout",
    "Flatten",
    "Layer",
    "average_pooling2d",
    "conv2d",
    "dense",
    "dropout",
    "flatten",
    "max_pooling2d",
]
