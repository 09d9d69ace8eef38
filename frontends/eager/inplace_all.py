"""The in-place (``_``) variant of every supported Tensor method that has one in torch, made by
one mechanism.

``x.name_(*args)`` computes ``x.name(*args)`` and writes it back through `inplace.apply`: the
version counter is bumped, autograd records the write (the tensor takes over the new node), a
leaf that requires grad is refused while grad mode is on, and a result whose dtype cannot be
cast back to the tensor's (a float result into an integer tensor) is refused before anything is
written. The methods that change only the layout (``squeeze_``, ``unsqueeze_``, ``t_``,
``transpose_``, ``swapaxes_``, ``swapdims_``, ``as_strided_``) rebind the tensor to the new view
instead, with the same rules.

Installed last, after every out-of-place method exists; a variant written by hand (``add_``
with alpha, ``clamp_``, ``index_add_``, ...) is kept.
"""

from __future__ import annotations

from typing import Any

from . import inplace as _I
from .grad_mode import _State
from .tensor import Tensor

# torch.Tensor's in-place methods whose out-of-place form is an ordinary method of the same name
INPLACE_NAMES = (
    "abs_", "absolute_", "acos_", "acosh_", "add_", "addbmm_", "addcdiv_", "addcmul_", "addmm_",
    "addmv_", "addr_", "arccos_", "arccosh_", "arcsin_", "arcsinh_", "arctan2_", "arctan_",
    "arctanh_", "as_strided_", "asin_", "asinh_", "atan2_", "atan_", "atanh_", "baddbmm_",
    "bitwise_and_", "bitwise_left_shift_", "bitwise_not_", "bitwise_or_",
    "bitwise_right_shift_", "bitwise_xor_", "ceil_", "clamp_", "clamp_max_", "clamp_min_",
    "clip_", "copysign_", "cos_", "cosh_", "cumprod_", "cumsum_", "deg2rad_", "digamma_", "div_",
    "divide_", "eq_", "erf_", "erfc_", "erfinv_", "exp2_", "exp_", "expm1_", "fix_",
    "float_power_", "floor_", "floor_divide_", "fmod_", "frac_", "gcd_", "ge_", "greater_",
    "greater_equal_", "gt_", "heaviside_", "hypot_", "i0_", "igamma_", "igammac_", "index_add_",
    "index_copy_", "index_fill_", "index_put_", "index_reduce_", "lcm_", "ldexp_", "le_",
    "lerp_", "less_", "less_equal_", "lgamma_", "log10_", "log1p_", "log2_", "log_",
    "logical_and_", "logical_not_", "logical_or_", "logical_xor_", "logit_", "lt_",
    "masked_fill_", "masked_scatter_", "mul_", "multiply_", "mvlgamma_", "nan_to_num_", "ne_",
    "neg_", "negative_", "nextafter_", "not_equal_", "polygamma_", "pow_", "put_", "rad2deg_",
    "reciprocal_", "relu_", "remainder_", "renorm_", "round_", "rsqrt_", "scatter_",
    "scatter_add_", "scatter_reduce_", "sgn_", "sigmoid_", "sign_", "sin_", "sinc_", "sinh_",
    "sqrt_", "square_", "squeeze_", "sub_", "subtract_", "swapaxes_", "swapdims_", "t_", "tan_",
    "tanh_", "transpose_", "tril_", "triu_", "true_divide_", "trunc_", "unsqueeze_", "xlogy_",
)  # fmt: skip

# in-place forms that only change the shape / strides: the tensor is rebound to the new view
LAYOUT_NAMES = (
    "squeeze_", "unsqueeze_", "t_", "transpose_", "swapaxes_", "swapdims_", "as_strided_",
)  # fmt: skip

_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _check_cast(op: str, self: Tensor, res: Any) -> None:
    if not isinstance(res, Tensor):
        return
    have, want = res._data.dtype, self._data.dtype
    if op == "float_power_" and have != want:  # PyTorch: the base must already be double
        raise RuntimeError(
            f"the base given to float_power_ has dtype {self.dtype} but the operation's result "
            f"requires dtype {res.dtype}"
        )
    if _KIND_RANK.get(have.kind, 0) > _KIND_RANK.get(want.kind, 0):
        kind = {"c": "ComplexFloat", "f": "Float", "i": "Long", "u": "Long"}[have.kind]
        raise RuntimeError(
            f"{op}: result type {kind} can't be cast to the desired output type {self.dtype}; "
            f"use the out-of-place {op[:-1]}() or convert the tensor first"
        )


def _value_method(name: str) -> Any:
    base = name[:-1]

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        def compute(src: Tensor, *operands: Any) -> Any:
            res = getattr(src, base)(*operands, **kwargs)
            _check_cast(name, self, res)
            return res

        return _I.apply(self, name, compute, *args)

    method.__name__ = name
    method.__doc__ = f"In place: self = self.{base}(...), recorded for autograd."
    return method


def _layout_method(name: str) -> Any:
    base = name[:-1]

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        record = _State.enabled and self._rg
        if record and self._node is None:
            raise RuntimeError(_I._LEAF_MSG.format(op=name))
        src = Tensor._make(self._data, self._rg)
        src._node, src._acc = self._node, self._acc
        res = getattr(src, base)(*args, **kwargs)
        self._data = res._data
        if record:
            self._node, self._rg = res._node, res._rg
        self._vkey = None  # no longer the same slice of a base tensor
        _I.bump(self)
        return self

    method.__name__ = name
    method.__doc__ = f"In place: self becomes self.{base}(...) (a new layout of the same memory)."
    return method


def _extra_methods() -> None:
    """Out-of-place bases torch pairs with an in-place form that had no method yet."""
    from .tensor import _counter

    Tensor.absolute = lambda self: self.abs()
    Tensor.igamma = lambda self, other: _special_fn("gammainc")(self, other)
    Tensor.igammac = lambda self, other: _special_fn("gammaincc")(self, other)
    Tensor._version = property(lambda self: _counter(self).v)
    Tensor.apply_ = apply_
    Tensor.map_ = map_


def _special_fn(name: str) -> Any:
    import sys

    return getattr(sys.modules[__package__].special, name)


def apply_(self: Tensor, callable: Any) -> Tensor:
    """Replace each element by callable(element) (a Python call per element; no gradient)."""
    import numpy as np

    vals = np.asarray([callable(v) for v in self._data.reshape(-1).tolist()])
    out = vals.astype(self._data.dtype).reshape(self._data.shape)
    return _I.apply(self, "apply_", lambda s: Tensor._make(out))


def map_(self: Tensor, tensor: Any, callable: Any) -> Tensor:
    """Replace each element by callable(element, the matching element of tensor)."""
    import numpy as np

    other = np.broadcast_to(tensor._data, self._data.shape).reshape(-1).tolist()
    vals = np.asarray(
        [callable(a, b) for a, b in zip(self._data.reshape(-1).tolist(), other, strict=True)]
    )
    out = vals.astype(self._data.dtype).reshape(self._data.shape)
    return _I.apply(self, "map_", lambda s: Tensor._make(out))


def _provides(name: str) -> bool:
    return any(name in vars(k) for k in Tensor.__mro__)


def _generic(name: str) -> bool:
    """True for a variant made by an earlier per-module generator (no dtype-cast check): this
    mechanism supersedes those, so every generated variant follows the same rules."""
    fn = getattr(Tensor, name, None)
    return getattr(fn, "__qualname__", "").startswith("_inplace.<locals>")


def install() -> list[str]:
    """Add every missing in-place variant whose base method exists; returns the names added."""
    added = []
    for name in INPLACE_NAMES:
        base = name[:-1]
        if not _provides(base):
            continue
        if name in LAYOUT_NAMES:
            setattr(Tensor, name, _layout_method(name))
        elif not _provides(name) or _generic(name):
            setattr(Tensor, name, _value_method(name))
        else:
            continue
        added.append(name)
    return added


_extra_methods()
ADDED = install()
