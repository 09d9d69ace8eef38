"""`tf.signal` (stft, inverse_stft, frame, overlap_and_add, windows, FFTs, mel weights, MFCCs)
and the complex ops `tf.complex`, `tf.real`, `tf.imag`, `tf.math.angle`, `tf.math.conj`, `tf.abs`
on complex tensors, over the core's complex primitives and `core.spectral` (the kernels the
eager `torch.stft` runs)."""

from __future__ import annotations

import builtins as _builtins
import types
from typing import Any

import numpy as np

from ...core import ops
from ...core import spectral as SP
from ...core.primitives import complex as CX
from .convert import convert_to_tensor
from .dtypes import as_dtype, complex128, float32


def _t(x: Any):
    return convert_to_tensor(x)


def _build(x, type_name: str, name: Any, fn):
    return x.graph.build_op(type_name, name, fn)


def hann_window(window_length: int, periodic: bool = True, dtype: Any = float32, name=None):
    """The Hann window as a constant."""
    return convert_to_tensor(SP.hann_window(int(window_length), periodic, as_dtype(dtype).np_dtype))


def hamming_window(window_length: int, periodic: bool = True, dtype: Any = float32, name=None):
    """The Hamming window as a constant."""
    d = as_dtype(dtype).np_dtype
    return convert_to_tensor(SP.hamming_window(int(window_length), periodic, dtype=d))


def frame(
    signal,
    frame_length: int,
    frame_step: int,
    pad_end: bool = False,
    pad_value=0,
    axis: int = -1,
    name=None,
):
    """(..., L) -> (..., frames, frame_length) windows every frame_step samples."""
    x = _t(signal)
    if pad_value != 0:
        raise NotImplementedError("tf.signal.frame: only pad_value=0 is supported")
    length = x.shape[axis]
    extra = 0
    if pad_end and length is not None:
        n = -(-length // frame_step)
        extra = max(0, (n - 1) * frame_step + frame_length - length)
    return _build(
        x,
        "Frame",
        name,
        lambda: SP.frames(x, int(frame_length), int(frame_step), 0, extra, "constant", axis),
    )


def overlap_and_add(signal, frame_step: int, name=None):
    """(..., frames, frame_length) -> (..., samples): frames summed at frame_step offsets."""
    x = _t(signal)
    return _build(x, "OverlapAndAdd", name, lambda: SP.overlap_and_add(x, int(frame_step)))


def _window(window_fn, frame_length: int, dtype):
    if window_fn is None:
        return None
    w = window_fn(frame_length, dtype=dtype)
    return w


def stft(
    signals,
    frame_length: int,
    frame_step: int,
    fft_length=None,
    window_fn=hann_window,
    pad_end: bool = False,
    name=None,
):
    """(..., L) real -> (..., frames, fft_length // 2 + 1) complex."""
    x = _t(signals)
    w = _window(window_fn, int(frame_length), x.dtype)
    return _build(
        x,
        "STFT",
        name,
        lambda: SP.tf_stft(x, int(frame_length), int(frame_step), fft_length, w, pad_end),
    )


def inverse_stft(
    stfts, frame_length: int, frame_step: int, fft_length=None, window_fn=hann_window, name=None
):
    """(..., frames, bins) complex -> (..., samples) real."""
    s = _t(stfts)
    w = _window(window_fn, int(frame_length), s.dtype.real_dtype)
    return _build(
        s,
        "InverseSTFT",
        name,
        lambda: SP.tf_inverse_stft(s, int(frame_length), int(frame_step), fft_length, w),
    )


def _fft_len(x, fft_length):
    if fft_length is None:
        return None
    v = np.asarray(fft_length).reshape(-1)
    return int(v[-1])


def fft(input, name=None):  # noqa: A002
    """The discrete Fourier transform over the innermost axis."""
    x = _t(input)
    return _build(x, "FFT", name, lambda: CX.fftc(x, None, -1, None))


def ifft(input, name=None):  # noqa: A002
    """The inverse discrete Fourier transform over the innermost axis."""
    x = _t(input)
    return _build(x, "IFFT", name, lambda: CX.fftc(x, None, -1, None, inverse=True))


def rfft(input_tensor, fft_length=None, name=None):
    """The one-sided transform over the innermost axis (fft_length pads or crops)."""
    x = _t(input_tensor)
    return _build(x, "RFFT", name, lambda: CX.rfft(x, _fft_len(x, fft_length), -1, None))


def irfft(input_tensor, fft_length=None, name=None):
    """The real inverse of a one-sided spectrum over the innermost axis."""
    x = _t(input_tensor)
    return _build(x, "IRFFT", name, lambda: CX.irfft(x, _fft_len(x, fft_length), -1, None))


def linear_to_mel_weight_matrix(
    num_mel_bins=20,
    num_spectrogram_bins=129,
    sample_rate=8000,
    lower_edge_hertz=125.0,
    upper_edge_hertz=3800.0,
    dtype=float32,
    name=None,
):
    """(num_spectrogram_bins, num_mel_bins) triangular mel weights (HTK mel scale)."""
    return convert_to_tensor(
        SP.linear_to_mel_weight_matrix(
            int(num_mel_bins),
            int(num_spectrogram_bins),
            float(sample_rate),
            float(lower_edge_hertz),
            float(upper_edge_hertz),
            as_dtype(dtype).np_dtype,
        )
    )


def mfccs_from_log_mel_spectrograms(log_mel_spectrograms, name=None):
    """MFCCs: the DCT-II of log-mel spectrograms over the innermost axis, scaled as TF does."""
    x = _t(log_mel_spectrograms)
    m = x.shape[-1]
    if m is None:
        raise ValueError("mfccs_from_log_mel_spectrograms: the number of mel bins must be known")
    mat = SP.mfcc_matrix(int(m), x.dtype.np_dtype)
    return _build(x, "MFCC", name, lambda: _matmul_last(x, mat))


def _matmul_last(x, mat):
    # the MFCC matrix is square, so the result has the input's shape
    return ops.reshape_like(ops.matmul(ops.reshape(x, (-1, mat.shape[0])), mat), x)


# ---- complex -------------------------------------------------------------------------------


def complex(real, imag, name=None):  # noqa: A001
    """real + i imag (float32 -> complex64, float64 -> complex128)."""
    re, im = _t(real), _t(imag)
    return _build(re, "Complex", name, lambda: CX.view_as_complex(ops.stack([re, im], -1)))


def real(input, name=None):  # noqa: A002
    """The real part (a real tensor is returned as it is)."""
    x = _t(input)
    if not x.dtype.is_complex:
        return x
    return _build(x, "Real", name, lambda: ops.getitem(CX.view_as_real(x), (..., 0)))


def imag(input, name=None):  # noqa: A002
    """The imaginary part (zeros for a real tensor)."""
    x = _t(input)
    if not x.dtype.is_complex:
        # zeros, not x * 0: a NaN or infinite real part has an imaginary part of 0
        return _build(x, "Imag", name, lambda: ops.fill_like(x, 0))
    return _build(x, "Imag", name, lambda: ops.getitem(CX.view_as_real(x), (..., 1)))


def angle(input, name=None):  # noqa: A002
    """The argument of each element."""
    x = _t(input)
    return _build(x, "Angle", name, lambda: CX.complex_angle(x))


def conj(x, name=None):
    """The complex conjugate (a real tensor is returned as it is)."""
    t = _t(x)
    if not t.dtype.is_complex:
        return t
    return _build(t, "Conj", name, lambda: CX.conj(t))


def _is_complex(v: Any) -> bool:
    dt = getattr(v, "dtype", None)
    if dt is not None:
        return np.dtype(getattr(dt, "np_dtype", dt)).kind == "c"
    return isinstance(v, _builtins.complex)


def _complex_operator(plain, op: str, reflected: bool = False):
    def method(self, other):
        if not (_is_complex(self) or _is_complex(other)):
            return plain(self, other)
        a, b = (other, self) if reflected else (self, other)
        return complex_arith(a, b, op)

    method.__name__ = plain.__name__
    method.__doc__ = plain.__doc__
    return method


def complex_arith(a: Any, b: Any, op: str, name: Any = None):
    """a op b with a complex side (the other side is cast to its complex dtype)."""
    x, y = _t(a), _t(b)
    dt = x.dtype if x.dtype.is_complex else y.dtype
    if x.dtype != dt:
        x = _build(x, "Cast", None, lambda: ops.cast(x, dt.np_dtype))
    if y.dtype != dt:
        y = _build(y, "Cast", None, lambda: ops.cast(y, dt.np_dtype))
    return _build(x, "Complex" + op.capitalize(), name, lambda: CX.cbinary(x, y, op))


def attach(tf: Any) -> None:
    """Install tf.signal, tf.spectral and the complex names on `tf`."""
    sig = types.ModuleType("tf.signal", "tf.signal: framing, STFT, FFTs, mel weights, MFCCs.")
    for k in (
        "stft",
        "inverse_stft",
        "frame",
        "overlap_and_add",
        "hann_window",
        "hamming_window",
        "fft",
        "ifft",
        "rfft",
        "irfft",
        "linear_to_mel_weight_matrix",
        "mfccs_from_log_mel_spectrograms",
    ):
        setattr(sig, k, globals()[k])
    tf.signal = sig
    tf.spectral = sig
    tf.complex, tf.real, tf.imag, tf.conj, tf.angle = complex, real, imag, conj, angle
    tf.complex128 = complex128
    tf.fft, tf.ifft, tf.spectral.fft = fft, ifft, fft
    for k, v in (("real", real), ("imag", imag), ("angle", angle), ("conj", conj)):
        setattr(tf.math, k, v)
    plain_abs = tf.abs

    def abs_(x, name=None):
        """|x| (the modulus for complex tensors)."""
        t = _t(x)
        if t.dtype.is_complex:
            return _build(t, "ComplexAbs", name, lambda: CX.complex_abs(t))
        return plain_abs(x, name)

    tf.abs = abs_
    tf.math.abs = abs_
    T = tf.Tensor
    for meth, op, refl in (
        ("__add__", "add", False),
        ("__radd__", "add", True),
        ("__sub__", "sub", False),
        ("__rsub__", "sub", True),
        ("__mul__", "mul", False),
        ("__rmul__", "mul", True),
        ("__truediv__", "div", False),
        ("__rtruediv__", "div", True),
    ):
        setattr(T, meth, _complex_operator(getattr(T, meth), op, refl))
    for name, op in (("add", "add"), ("subtract", "sub"), ("multiply", "mul"), ("divide", "div")):
        plain = getattr(tf, name)

        def fn(x, y, name=None, _plain=plain, _op=op):
            if _is_complex(x) or _is_complex(y):
                return complex_arith(x, y, _op, name)
            return _plain(x, y, name)

        fn.__doc__ = plain.__doc__
        setattr(tf, name, fn)
        setattr(tf.math, name, fn)
