"""Lazy modules (``LazyLinear``, ``LazyConv*``, ``LazyConvTranspose*``, ``LazyBatchNorm*``,
``LazyInstanceNorm*``), ``UninitializedParameter`` / ``UninitializedBuffer``, ``nn.Buffer`` and
``nn.RNNCellBase``.

A lazy module holds uninitialised placeholders until its first call. That call reads the input
feature size, builds the module it becomes with the same options (so the same initialisation),
moves the new values into the placeholders (the same Parameter objects, so an optimizer made
earlier keeps working) and switches the module's class, as torch does.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ....core import init as core_init
from ..dtype import get_default_dtype
from ..formatting import format_tensor
from ..grad_mode import no_grad
from ..tensor import Tensor
from .module import Module
from .parameter import Parameter

_SHAPE_MSG = (
    "Can't access the shape of an uninitialized parameter or buffer. Call `forward` to "
    "initialize the parameters before accessing their attributes."
)


def _np_dt(dtype: Any) -> np.dtype:
    if dtype is None:
        return get_default_dtype().np_dtype
    from ..dtype import to_dtype

    return to_dtype(dtype).np_dtype


class _Uninitialized:
    cls_to_become: type = Tensor

    @property
    def shape(self) -> Any:
        """Not known until the module's first call."""
        raise RuntimeError(_SHAPE_MSG)

    def size(self, dim: Any = None) -> Any:
        """Not known until the module's first call."""
        raise RuntimeError(_SHAPE_MSG)

    def numel(self) -> int:
        """Not known until the module's first call."""
        raise RuntimeError(_SHAPE_MSG)

    def materialize(self, shape: Any, device: Any = None, dtype: Any = None) -> None:
        """Become a tensor of `shape` (uninitialised values), of the dtype given at creation."""
        dt = self._data.dtype if dtype is None else _np_dt(dtype)
        self._materialize_as(np.empty(tuple(shape), dt))

    def _materialize_as(self, arr: np.ndarray) -> None:
        self._data = arr
        self.__class__ = self.cls_to_become

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class UninitializedParameter(_Uninitialized, Parameter):
    """A parameter whose shape is not known yet (a lazy module fills it on its first call)."""

    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device: Any = None, dtype: Any = None):
        Parameter.__init__(self, Tensor._make(np.zeros((0,), _np_dt(dtype))), requires_grad)


class _MaterializedBuffer(Tensor):
    """What an UninitializedBuffer becomes once materialised (a plain tensor)."""


class UninitializedBuffer(_Uninitialized, Tensor):
    """A buffer whose shape is not known yet (a lazy module fills it on its first call)."""

    cls_to_become = _MaterializedBuffer

    def __init__(self, requires_grad: bool = False, device: Any = None, dtype: Any = None):
        self._init(np.zeros((0,), _np_dt(dtype)), False)


class Buffer(Tensor):
    """``self.name = nn.Buffer(t)`` registers t as a buffer (persistent unless told otherwise)."""

    def __init__(self, data: Any = None, *, persistent: bool = True) -> None:
        if data is None:
            arr = np.zeros((0,), get_default_dtype().np_dtype)
        else:
            arr = data._data if isinstance(data, Tensor) else np.asarray(data)
        rg = bool(data._rg) if isinstance(data, Tensor) else False
        self._init(arr, rg)
        self.persistent = persistent

    def __repr__(self) -> str:
        return "Buffer containing:\n" + format_tensor(self._data, [])


def _register_buffer_on_assign() -> None:
    """Teach Module.__setattr__ that an nn.Buffer value registers a buffer."""
    original = Module.__setattr__

    def __setattr__(self: Module, name: str, value: Any) -> None:
        if isinstance(value, Buffer):
            plain = Tensor._make(value._data, value._rg)
            self.register_buffer(name, plain, value.persistent)
            return
        original(self, name, value)

    Module.__setattr__ = __setattr__  # type: ignore[method-assign]


_register_buffer_on_assign()


def _materialize_from_state_dict_on_load() -> None:
    """Teach Module.load_state_dict that a placeholder of a lazy module (at any depth) takes the
    checkpoint's shape before the values are copied, as torch's lazy modules do."""
    original = Module.load_state_dict

    def load_state_dict(self: Module, state_dict: Any, strict: bool = True, assign: bool = False):
        for prefix, module in self.named_modules():
            pre = f"{prefix}." if prefix else ""
            for store in ("_parameters", "_buffers"):
                for name, value in module.__dict__[store].items():
                    src = state_dict.get(pre + name) if hasattr(state_dict, "get") else None
                    if isinstance(value, _Uninitialized) and src is not None:
                        arr = src._data if isinstance(src, Tensor) else np.asarray(src)
                        value._materialize_as(np.empty(arr.shape, value._data.dtype))
        return original(self, state_dict, strict, assign)

    load_state_dict.__doc__ = original.__doc__
    Module.load_state_dict = load_state_dict  # type: ignore[method-assign]


_materialize_from_state_dict_on_load()


# ---- lazy modules ------------------------------------------------------------------------------


class LazyModuleMixin:
    """Infers its input size on the first call, then becomes `cls_to_become`."""

    cls_to_become: type | None = None
    _lazy_params: tuple[str, ...] = ()
    _lazy_buffers: tuple[str, ...] = ()

    def _lazy_setup(self, kwargs: dict, params: dict, buffers: dict) -> None:
        """Placeholders for the enabled parameters and buffers; kwargs build the real module."""
        d = self.__dict__
        d["_lazy_kwargs"] = kwargs
        dt = kwargs.get("dtype")
        for name, on in params.items():
            self.register_parameter(name, UninitializedParameter(dtype=dt) if on else None)
        for name, on in buffers.items():
            if on:
                self.register_buffer(name, UninitializedBuffer(dtype=dt))
            else:
                d[name] = None
        d["_lazy_hook"] = self.register_forward_pre_hook(LazyModuleMixin._infer_parameters)

    def has_uninitialized_params(self) -> bool:
        """Whether some parameter or buffer still waits for its shape."""
        items = list(self._parameters.values()) + list(self._buffers.values())
        return any(isinstance(t, _Uninitialized) for t in items)

    def _in_features(self, input: Tensor) -> int:
        raise NotImplementedError

    def initialize_parameters(self, input: Tensor, *args: Any) -> None:
        """Give every placeholder the shape and initial values of the module this becomes (and
        take its attributes, also when a state_dict already gave the placeholders values)."""
        if "_lazy_kwargs" not in self.__dict__:
            return
        real = _target(type(self))(self._in_features(input), **self.__dict__["_lazy_kwargs"])
        with no_grad():
            for name, value in real.__dict__["_parameters"].items():
                if isinstance(self._parameters.get(name), _Uninitialized):
                    self._parameters[name]._materialize_as(value._data)
            for name, value in real.__dict__["_buffers"].items():
                if isinstance(self._buffers.get(name), _Uninitialized):
                    self._buffers[name] = value
        self._adopt(real)

    def _adopt(self, real: Module) -> None:
        skip = {"_parameters", "_buffers", "_modules", "_forward_hooks", "_forward_pre_hooks",
                "_backward_hooks", "_non_persistent", "training"}  # fmt: skip
        for key, value in real.__dict__.items():
            if key not in skip:
                self.__dict__[key] = value

    @staticmethod
    def _infer_parameters(module: Any, args: tuple) -> None:
        module.initialize_parameters(*args)
        hook = module.__dict__.pop("_lazy_hook", None)
        if hook is not None:
            hook.remove()
        module.__dict__.pop("_lazy_kwargs", None)
        module.__class__ = _target(type(module))


def _channels(input: Tensor, spatial: int) -> int:
    return int(input.shape[0] if input.dim() == spatial + 1 else input.shape[1])


class LazyLinear(LazyModuleMixin, Module):
    """A Linear layer whose in_features is the last dim of its first input."""

    def __init__(self, out_features: int, bias: bool = True, device: Any = None, dtype: Any = None):
        Module.__init__(self)
        self.in_features, self.out_features = 0, out_features
        self._lazy_setup(
            {"out_features": out_features, "bias": bias, "dtype": dtype},
            {"weight": True, "bias": bias},
            {},
        )

    def _in_features(self, input: Tensor) -> int:
        return int(input.shape[-1])

    def extra_repr(self) -> str:
        """Sizes."""
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


def _lazy_conv(name: str, real_name: str, spatial: int, transposed: bool):
    def __init__(
        self: Any, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
        *args: Any, **kwargs: Any,
    ) -> None:  # fmt: skip
        Module.__init__(self)
        order = (
            ["output_padding", "groups", "bias", "dilation", "padding_mode", "device", "dtype"]
            if transposed
            else ["dilation", "groups", "bias", "padding_mode", "device", "dtype"]
        )
        opts = dict(zip(order, args, strict=False))
        opts.update(kwargs)
        opts.pop("device", None)
        bias = opts.get("bias", True)
        self.in_channels, self.out_channels, self.kernel_size = 0, out_channels, kernel_size
        kw = {"out_channels": out_channels, "kernel_size": kernel_size, "stride": stride,
              "padding": padding, **opts}  # fmt: skip
        self._lazy_setup(kw, {"weight": True, "bias": bias}, {})

    def _in_features(self: Any, input: Tensor) -> int:
        return _channels(input, spatial)

    def extra_repr(self: Any) -> str:
        return f"0, {self.out_channels}, kernel_size={self.kernel_size}"

    cls = type(name, (LazyModuleMixin, Module), {
        "__init__": __init__, "_in_features": _in_features, "extra_repr": extra_repr,
        "__doc__": f"A {real_name} whose in_channels is read from its first input.",
    })  # fmt: skip
    return cls


def _lazy_norm(name: str, real_name: str, spatial_dims: tuple[int, ...], instance: bool):
    def __init__(
        self: Any, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
        track_running_stats: bool = True, device: Any = None, dtype: Any = None, *,
        bias: bool = True,
    ) -> None:  # fmt: skip
        Module.__init__(self)
        self.num_features, self.eps, self.momentum = 0, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        kw = {"eps": eps, "momentum": momentum, "affine": affine,
              "track_running_stats": track_running_stats, "dtype": dtype, "bias": bias}  # fmt: skip
        self._lazy_setup(
            kw,
            {"weight": affine, "bias": affine and bias},
            {"running_mean": track_running_stats, "running_var": track_running_stats},
        )
        if track_running_stats:
            self.register_buffer("num_batches_tracked", Tensor._make(np.zeros((), np.int64)))

    def _in_features(self: Any, input: Tensor) -> int:
        if instance and input.dim() == min(spatial_dims):
            return int(input.shape[0])
        return int(input.shape[1])

    def extra_repr(self: Any) -> str:
        return (
            f"0, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"track_running_stats={self.track_running_stats}"
        )

    return type(name, (LazyModuleMixin, Module), {
        "__init__": __init__, "_in_features": _in_features, "extra_repr": extra_repr,
        "__doc__": f"A {real_name} whose num_features is read from its first input.",
    })  # fmt: skip


_LAZY = {
    "LazyConv1d": ("Conv1d", 1, False), "LazyConv2d": ("Conv2d", 2, False),
    "LazyConv3d": ("Conv3d", 3, False), "LazyConvTranspose1d": ("ConvTranspose1d", 1, True),
    "LazyConvTranspose2d": ("ConvTranspose2d", 2, True),
    "LazyConvTranspose3d": ("ConvTranspose3d", 3, True),
}  # fmt: skip
_LAZY_NORM = {
    "LazyBatchNorm1d": ("BatchNorm1d", (2, 3), False),
    "LazyBatchNorm2d": ("BatchNorm2d", (4,), False),
    "LazyBatchNorm3d": ("BatchNorm3d", (5,), False),
    "LazyInstanceNorm1d": ("InstanceNorm1d", (2, 3), True),
    "LazyInstanceNorm2d": ("InstanceNorm2d", (3, 4), True),
    "LazyInstanceNorm3d": ("InstanceNorm3d", (4, 5), True),
}  # fmt: skip

for _name, (_real, _sp, _tr) in _LAZY.items():
    globals()[_name] = _lazy_conv(_name, _real, _sp, _tr)
for _name, (_real, _dims, _inst) in _LAZY_NORM.items():
    globals()[_name] = _lazy_norm(_name, _real, _dims, _inst)


_TARGETS = {"LazyLinear": "Linear"} | {k: v[0] for k, v in {**_LAZY, **_LAZY_NORM}.items()}


def _target(cls: type) -> type:
    """The module class a lazy class becomes (looked up in torch.nn once it is complete)."""
    if cls.__dict__.get("cls_to_become") is None:
        import importlib

        nn = importlib.import_module(__package__)
        cls.cls_to_become = getattr(nn, _TARGETS[cls.__name__])
    return cls.cls_to_become


# ---- RNNCellBase -------------------------------------------------------------------------------


class RNNCellBase(Module):
    """The shared parameters of a recurrent cell: weight_ih (chunks * hidden, input), weight_hh
    (chunks * hidden, hidden) and, with `bias`, bias_ih and bias_hh, drawn from
    U(-1/sqrt(hidden), 1/sqrt(hidden))."""

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
        device: Any = None, dtype: Any = None,
    ) -> None:  # fmt: skip
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        dt = _np_dt(dtype)
        g = num_chunks * hidden_size
        self.weight_ih = Parameter(Tensor._make(np.zeros((g, input_size), dt)))
        self.weight_hh = Parameter(Tensor._make(np.zeros((g, hidden_size), dt)))
        if bias:
            self.bias_ih = Parameter(Tensor._make(np.zeros(g, dt)))
            self.bias_hh = Parameter(Tensor._make(np.zeros(g, dt)))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every parameter from U(-1/sqrt(hidden), 1/sqrt(hidden))."""
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0.0
        for p in self.parameters():
            p._data[...] = core_init.uniform(tuple(p._data.shape), bound, p._data.dtype)

    def extra_repr(self) -> str:
        """Sizes."""
        s = f"{self.input_size}, {self.hidden_size}"
        return s + ("" if self.bias else ", bias=False")


FUNCTIONS: list[str] = []
MODULES = [
    "Buffer", "LazyLinear", "RNNCellBase", "UninitializedBuffer", "UninitializedParameter",
    *_LAZY, *_LAZY_NORM,
]  # fmt: skip
