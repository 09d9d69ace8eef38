"""Complex tensors and spectral ops in the PyTorch style: torch.fft.*, torch.stft/istft,
windows, view_as_real/view_as_complex/polar/complex/real/imag/angle/conj, complex arithmetic.

Everything calls the core (`core.primitives.complex`, `core.spectral`), so the graph style's
tf.signal runs the same kernels. `attach(torch)` installs the names once.
"""

from __future__ import annotations

import types
from typing import Any

import numpy as np

from ...core import dtypes as D
from ...core import ops
from ...core import spectral as SP
from ...core.primitives import complex as CX
from . import _convert as C
from .dtype import to_dtype
from .tensor import Tensor


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else C.wrap_array(x)


def _cplx(x: Tensor) -> Tensor:
    """A complex tensor: real ones are cast (float64 -> complex128, others -> complex64)."""
    dt = x._data.dtype
    if dt.kind == "c":
        return x
    return ops.cast(C.floating(x), D.complex_of(C.floating(x)._data.dtype))


# ---- complex construction and parts --------------------------------------------------------------


def view_as_real(input: Tensor) -> Tensor:  # noqa: A002
    """(...,) complex -> (..., 2) real."""
    return CX.view_as_real(_t(input))


def view_as_complex(input: Tensor) -> Tensor:  # noqa: A002
    """(..., 2) real -> (...,) complex."""
    return CX.view_as_complex(_t(input))


def complex(real: Any, imag: Any) -> Tensor:  # noqa: A001
    """real + i imag from two real tensors of one float dtype."""
    re, im = _t(real), _t(imag)
    return CX.view_as_complex(ops.stack([re, im], -1))


def polar(abs: Any, angle: Any) -> Tensor:  # noqa: A002
    """abs * exp(i angle)."""
    r, a = _t(abs), _t(angle)
    return CX.view_as_complex(ops.stack([ops.mul(r, ops.cos(a)), ops.mul(r, ops.sin(a))], -1))


def real(input: Any) -> Tensor:  # noqa: A002
    """The real part (a real tensor is returned as it is)."""
    x = _t(input)
    return ops.getitem(CX.view_as_real(x), (..., 0)) if x._data.dtype.kind == "c" else x


def imag(input: Any) -> Tensor:  # noqa: A002
    """The imaginary part of a complex tensor."""
    x = _t(input)
    if x._data.dtype.kind != "c":
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return ops.getitem(CX.view_as_real(x), (..., 1))


def angle(input: Any) -> Tensor:  # noqa: A002
    """The argument of each element (0 or pi for real tensors)."""
    x = _t(input)
    if x._data.dtype.kind == "c":
        return CX.complex_angle(x)
    x = C.floating(x)
    out = ops.mul(ops.cast(ops.less(x, ops.scalar(0, x)), x._data.dtype), ops.scalar(np.pi, x))
    return ops.where(ops.not_equal(x, x), x, out)  # NaN stays NaN, as PyTorch


def conj(input: Any) -> Tensor:  # noqa: A002
    """The complex conjugate (a real tensor is returned as it is)."""
    x = _t(input)
    return CX.conj(x) if x._data.dtype.kind == "c" else x


def complex_binary(a: Any, b: Any, op: str) -> Tensor:
    """a op b where one side is complex: the other side is cast to its complex dtype."""
    ta = a if isinstance(a, Tensor) else None
    tb = b if isinstance(b, Tensor) else None
    dt = ta._data.dtype if ta is not None and ta._data.dtype.kind == "c" else tb._data.dtype
    if dt.kind != "c":
        dt = D.complex64

    def side(v: Any) -> Tensor:
        if isinstance(v, Tensor):
            if v._data.dtype.kind != "c":
                return ops.cast(C.floating(v), dt)
            if v._data.dtype != dt:
                return ops.cast(v, D.promote(v._data.dtype, dt))
            return v
        return Tensor._make(np.asarray(v, dt))

    x, y = side(a), side(b)
    if x._data.dtype != y._data.dtype:
        common = D.promote(x._data.dtype, y._data.dtype)
        x, y = ops.cast(x, common), ops.cast(y, common)
    return CX.cbinary(x, y, op)


# ---- torch.fft -----------------------------------------------------------------------------------


def _nonempty(op: str, out: Tensor, x: Tensor) -> Tensor:
    """`out`, unless the transform is empty: PyTorch's FFT backend refuses a transform with no
    element (an empty batch or length after `n`), so one style cannot return what the other
    refuses."""
    if out.numel() == 0:
        raise RuntimeError(
            f"{op}: the transform of an input of shape {list(x.shape)} would be empty (the FFT "
            "backend has no empty transforms); give a non-empty input or a positive n"
        )
    return out


def _fft(input: Any, n: Any = None, dim: int = -1, norm: Any = None) -> Tensor:  # noqa: A002
    """The discrete Fourier transform along `dim`."""
    x = _t(input)
    return _nonempty("fft", CX.fftc(_cplx(x), n, dim, norm), x)


def _ifft(input: Any, n: Any = None, dim: int = -1, norm: Any = None) -> Tensor:  # noqa: A002
    """The inverse discrete Fourier transform along `dim`."""
    x = _t(input)
    return _nonempty("ifft", CX.fftc(_cplx(x), n, dim, norm, inverse=True), x)


def _rfft(input: Any, n: Any = None, dim: int = -1, norm: Any = None) -> Tensor:  # noqa: A002
    """The one-sided transform of a real signal along `dim`."""
    x = _t(input)
    return _nonempty("rfft", CX.rfft(C.floating(x), n, dim, norm), x)


def _irfft(input: Any, n: Any = None, dim: int = -1, norm: Any = None) -> Tensor:  # noqa: A002
    """The real inverse of a one-sided spectrum along `dim`."""
    x = _t(input)
    return _nonempty("irfft", CX.irfft(_cplx(x), n, dim, norm), x)


def _fftfreq(n: int, d: float = 1.0, *, dtype: Any = None, **_: Any) -> Tensor:
    """Sample frequencies of an n-point transform."""
    dt = to_dtype(dtype).np_dtype if dtype is not None else C.default_float()
    return Tensor._make(np.fft.fftfreq(int(n), d).astype(dt))


def _rfftfreq(n: int, d: float = 1.0, *, dtype: Any = None, **_: Any) -> Tensor:
    """Sample frequencies of an n-point one-sided transform."""
    dt = to_dtype(dtype).np_dtype if dtype is not None else C.default_float()
    return Tensor._make(np.fft.rfftfreq(int(n), d).astype(dt))


fft = types.ModuleType("torch.fft", "torch.fft: discrete Fourier transforms (numpy's pocketfft).")
fft.fft, fft.ifft, fft.rfft, fft.irfft = _fft, _ifft, _rfft, _irfft
fft.fftfreq, fft.rfftfreq = _fftfreq, _rfftfreq


# ---- windows, STFT -----------------------------------------------------------------------------


def _window(fn, n: int, periodic: bool, dtype: Any, **kw: Any) -> Tensor:
    dt = to_dtype(dtype).np_dtype if dtype is not None else C.default_float()
    return Tensor._make(fn(int(n), periodic, dtype=dt, **kw))


def hann_window(window_length: int, periodic: bool = True, *, dtype: Any = None, **_: Any):
    """The Hann window."""
    return _window(SP.hann_window, window_length, periodic, dtype)


def hamming_window(
    window_length: int,
    periodic: bool = True,
    alpha: float = 0.54,
    beta: float = 0.46,
    *,
    dtype: Any = None,
    **_: Any,
):
    """The Hamming window."""
    return _window(SP.hamming_window, window_length, periodic, dtype, alpha=alpha, beta=beta)


def blackman_window(window_length: int, periodic: bool = True, *, dtype: Any = None, **_: Any):
    """The Blackman window."""
    return _window(SP.blackman_window, window_length, periodic, dtype)


def stft(
    input: Any,  # noqa: A002
    n_fft: int,
    hop_length: Any = None,
    win_length: Any = None,
    window: Any = None,
    center: bool = True,
    pad_mode: str = "reflect",
    normalized: bool = False,
    onesided: Any = None,
    return_complex: Any = None,
) -> Tensor:
    """Short-time Fourier transform: (B?, L) -> (B?, n_fft // 2 + 1, frames) complex."""
    x = C.floating(_t(input))
    if x.ndim not in (1, 2):
        raise ValueError(f"stft: expected a 1-D or 2-D signal, got shape {tuple(x.shape)}")
    if return_complex is None:
        raise RuntimeError(
            "stft requires the return_complex parameter be given for real inputs, and will "
            "further require that return_complex=True in a future PyTorch release."
        )
    w = None if window is None else _t(window)
    out = SP.stft(
        x,
        int(n_fft),
        hop_length,
        win_length,
        w,
        center,
        pad_mode,
        normalized,
        True if onesided is None else bool(onesided),
    )
    return out if return_complex else CX.view_as_real(out)


def istft(
    input: Any,  # noqa: A002
    n_fft: int,
    hop_length: Any = None,
    win_length: Any = None,
    window: Any = None,
    center: bool = True,
    normalized: bool = False,
    onesided: Any = None,
    length: Any = None,
    return_complex: bool = False,
) -> Tensor:
    """Inverse short-time Fourier transform (least-squares overlap-add)."""
    if return_complex:
        raise NotImplementedError("istft: return_complex=True is not supported")
    w = None if window is None else _t(window)
    if w is not None:
        w = w.detach() if w.requires_grad else w
        w = w._data
    return SP.istft(
        _t(input), int(n_fft), hop_length, win_length, w, center, normalized, onesided, length
    )


# ---- Tensor methods and operators on complex tensors -------------------------------------------


def attach(torch: Any) -> None:
    """Install the names on the torch module and the complex-aware Tensor methods."""
    for name in (
        "view_as_real",
        "view_as_complex",
        "complex",
        "polar",
        "real",
        "imag",
        "angle",
        "conj",
        "stft",
        "istft",
        "hann_window",
        "hamming_window",
        "blackman_window",
        "fft",
    ):
        setattr(torch, name, globals()[name])
    for name in ("complex64", "complex128", "cfloat", "cdouble"):
        setattr(
            torch,
            name,
            to_dtype(
                name
                if name.startswith("complex")
                else {"cfloat": "complex64", "cdouble": "complex128"}[name]
            ),
        )
    plain_abs = Tensor.abs

    def abs_(self: Tensor) -> Tensor:
        """|self| (the modulus for complex tensors)."""
        return CX.complex_abs(self) if self._data.dtype.kind == "c" else plain_abs(self)

    Tensor.abs = abs_
    Tensor.__abs__ = abs_
    Tensor.real = property(real)
    Tensor.imag = property(imag)
    Tensor.angle = angle
    Tensor.conj = conj
    Tensor.is_complex = lambda self: self._data.dtype.kind == "c"
    torch_abs = torch.abs

    def abs_fn(input: Any, *a: Any, **k: Any) -> Tensor:  # noqa: A002
        """|input| (the modulus for complex tensors)."""
        if isinstance(input, Tensor) and input._data.dtype.kind == "c":
            return CX.complex_abs(input)
        return torch_abs(input, *a, **k)

    torch.abs = abs_fn
