"""Spectral compositions both frontends share: windows, framing, STFT and its inverse,
overlap-add, mel filterbanks (TF's and torchaudio's) and the MFCC DCT.

Framing (with centre padding in any pad mode) is one gather with a host-built index table, so
its gradient is the gather's scatter-add; the transform is the core's rfft primitive.
"""

from __future__ import annotations

import functools

import numpy as np

from . import ops
from .primitives import complex as CX

PAD_MODES = ("reflect", "constant", "replicate", "circular")


# ---- windows (host arrays: they are constants of a program) ----------------------------------


def _cosine_window(n: int, periodic: bool, coeffs: tuple, dtype) -> np.ndarray:
    if n <= 0:
        return np.zeros(0, dtype)
    if n == 1:
        return np.ones(1, dtype)
    denom = n if periodic else n - 1
    k = np.arange(n) * (2 * np.pi / denom)
    w = np.zeros(n)
    for j, c in enumerate(coeffs):
        w += c * np.cos(j * k) * (-1) ** j
    return w.astype(dtype)


def hann_window(n: int, periodic: bool = True, dtype=np.float32) -> np.ndarray:
    """0.5 - 0.5 cos(2 pi k / N) (periodic: N = n, else N = n - 1)."""
    return _cosine_window(int(n), periodic, (0.5, 0.5), dtype)


def hamming_window(
    n: int, periodic: bool = True, alpha: float = 0.54, beta: float = 0.46, dtype=np.float32
) -> np.ndarray:
    """alpha - beta cos(2 pi k / N)."""
    return _cosine_window(int(n), periodic, (alpha, beta), dtype)


def blackman_window(n: int, periodic: bool = True, dtype=np.float32) -> np.ndarray:
    """0.42 - 0.5 cos(2 pi k / N) + 0.08 cos(4 pi k / N)."""
    return _cosine_window(int(n), periodic, (0.42, 0.5, 0.08), dtype)


# ---- framing ------------------------------------------------------------------------------------


def _source_index(pos: np.ndarray, length: int, mode: str) -> np.ndarray:
    """Where each position of a padded signal reads from (length = a zero slot appended)."""
    if mode == "reflect":
        period = 2 * (length - 1) if length > 1 else 1
        p = np.abs(pos) % period
        return np.where(p >= length, period - p, p)
    if mode == "replicate":
        return np.clip(pos, 0, length - 1)
    if mode == "circular":
        return pos % length
    return np.where((pos < 0) | (pos >= length), length, pos)  # constant: the zero slot


@functools.lru_cache(maxsize=64)
def frame_index(
    length: int,
    frame_length: int,
    step: int,
    pad_left: int = 0,
    pad_right: int = 0,
    mode: str = "constant",
) -> tuple[np.ndarray, bool]:
    """The (frames, frame_length) table of source positions, and whether it reads the zero slot.

    Cached (a training loop frames the same shapes every step), so the table is read-only."""
    total = length + pad_left + pad_right
    n_frames = max(0, 1 + (total - frame_length) // step) if total >= frame_length else 0
    pos = np.arange(n_frames)[:, None] * step + np.arange(frame_length)[None, :] - pad_left
    src = _source_index(pos, length, mode).astype(np.int64)
    src.setflags(write=False)
    return src, bool((src == length).any())


def frames(x, frame_length: int, step: int, pad_left=0, pad_right=0, mode="constant", axis=-1):
    """(..., L) -> (..., frames, frame_length) windows of `x` every `step` samples."""
    if mode not in PAD_MODES:
        raise ValueError(f"stft: pad_mode must be one of {PAD_MODES}, got {mode!r}")
    nd = len(x.shape)
    a = axis % nd
    length = x.shape[a]
    if length is None:
        raise ValueError("frame: the signal length must be known when the graph is built")
    if mode == "reflect" and max(pad_left, pad_right) >= max(length, 1):
        raise ValueError(
            f"stft: reflect padding of {max(pad_left, pad_right)} needs a signal longer than "
            f"that, got {length} samples; use pad_mode='constant' or a shorter n_fft"
        )
    idx, zero_slot = frame_index(length, frame_length, step, pad_left, pad_right, mode)
    if zero_slot:  # constant padding reads one appended zero
        zshape = list(x.shape)
        zshape[a] = 1
        zero = np.zeros([d if d is not None else 1 for d in zshape], np.dtype(x.dtype))
        if any(d is None for d in zshape):
            zero = ops.getitem(ops.mul(x, ops.scalar(0, x)), _slice1(nd, a))
        x = ops.concat([x, zero], a)
    return ops.gather(x, idx, a)


def _slice1(nd: int, a: int) -> tuple:
    return tuple(slice(0, 1) if i == a else slice(None) for i in range(nd))


def overlap_and_add(framed, step: int):
    """(..., frames, frame_length) -> (..., (frames - 1) * step + frame_length): summed frames."""
    shape = tuple(framed.shape)
    f, n = shape[-2], shape[-1]
    if f is None or n is None:
        raise ValueError("overlap_and_add: the number and length of frames must be known")
    out_len = (f - 1) * step + n if f else 0
    idx = np.arange(f)[:, None] * step + np.arange(n)[None, :]
    lead = [d if d is not None else 1 for d in shape[:-2]]
    like = np.zeros(tuple(lead) + (out_len,), np.dtype(framed.dtype))
    if any(d is None for d in shape[:-2]):
        raise ValueError("overlap_and_add: the leading dimensions must be known")
    return ops.scatter_add_like(framed, like, idx, len(shape) - 2)


# ---- STFT --------------------------------------------------------------------------------------


def _padded_window(window, win_length: int, n_fft: int, dtype):
    if window is None:
        w = np.ones(win_length, dtype)
    else:
        w = window
        if np.dtype(w.dtype) != np.dtype(dtype):  # a float32 window on float64 signals
            w = ops.cast(w, dtype)
        if tuple(w.shape) != (win_length,):
            raise ValueError(
                f"stft: window must be 1-D of win_length {win_length}, got {tuple(w.shape)}"
            )
    if win_length == n_fft:
        return w
    left = (n_fft - win_length) // 2
    if isinstance(w, np.ndarray):
        return np.pad(w, (left, n_fft - win_length - left)).astype(dtype)
    z = np.zeros(n_fft, dtype)
    z[left : left + win_length] = 1
    idx = np.clip(np.arange(n_fft) - left, 0, win_length - 1)
    return ops.mul(ops.gather(w, idx, 0), z)


def stft(
    x,
    n_fft: int,
    hop_length=None,
    win_length=None,
    window=None,
    center: bool = True,
    pad_mode: str = "reflect",
    normalized: bool = False,
    onesided: bool = True,
):
    """PyTorch's STFT of (..., L) real signals: (..., n_fft // 2 + 1, frames) complex."""
    hop = n_fft // 4 if hop_length is None else int(hop_length)
    win = n_fft if win_length is None else int(win_length)
    if not 0 < win <= n_fft:
        raise ValueError(f"stft: win_length {win} must lie in (0, n_fft={n_fft}]")
    if hop <= 0:
        raise ValueError(f"stft: hop_length must be positive, got {hop}")
    dt = np.dtype(x.dtype)
    pad = n_fft // 2 if center else 0
    fr = frames(x, n_fft, hop, pad, pad, pad_mode if center else "constant")
    fr = ops.mul(fr, _padded_window(window, win, n_fft, dt))
    norm = "ortho" if normalized else "backward"
    if onesided:
        spec = CX.rfft(fr, None, -1, norm)
    else:
        spec = CX.fftc(
            ops.cast(fr, np.complex128 if dt == np.float64 else np.complex64), None, -1, norm
        )
    nd = len(spec.shape)
    perm = tuple(range(nd - 2)) + (nd - 1, nd - 2)
    return ops.transpose(spec, perm)


def istft(
    spec,
    n_fft: int,
    hop_length=None,
    win_length=None,
    window=None,
    center: bool = True,
    normalized: bool = False,
    onesided=None,
    length=None,
):
    """PyTorch's inverse STFT: (..., bins, frames) complex -> (..., L) real (least squares)."""
    hop = n_fft // 4 if hop_length is None else int(hop_length)
    win = n_fft if win_length is None else int(win_length)
    nd = len(spec.shape)
    perm = tuple(range(nd - 2)) + (nd - 1, nd - 2)
    s = ops.transpose(spec, perm)  # (..., frames, bins)
    bins = s.shape[-1]
    one = (bins != n_fft) if onesided is None else onesided
    norm = "ortho" if normalized else "backward"
    if one:
        fr = CX.irfft(s, n_fft, -1, norm)
    else:
        fr = ops.getitem(CX.view_as_real(CX.fftc(s, None, -1, norm, inverse=True)), (..., 0))
    rdt = np.dtype(fr.dtype)
    w = _padded_window(window, win, n_fft, rdt)
    fr = ops.mul(fr, w)
    y = overlap_and_add(fr, hop)
    n_frames = s.shape[-2]
    w_np = np.asarray(w) if isinstance(w, np.ndarray) else np.asarray(getattr(w, "_data", w))
    env = np.zeros((n_frames - 1) * hop + n_fft, rdt)
    for f in range(n_frames):
        env[f * hop : f * hop + n_fft] += w_np.astype(rdt) ** 2
    start = n_fft // 2 if center else 0
    end = env.shape[0] - (n_fft // 2 if center else 0)
    if length is not None:
        end = start + int(length)
    env = env[start:end]
    if (np.abs(env) < 1e-11).any():
        raise ValueError(
            "istft: the window overlap-add envelope has zeros (window/hop violate NOLA)"
        )
    y = ops.getitem(y, (..., slice(start, min(end, (n_frames - 1) * hop + n_fft))))
    got = (n_frames - 1) * hop + n_fft - start
    if length is not None and int(length) > got:
        y = ops.concat([y, np.zeros(tuple(y.shape[:-1]) + (int(length) - got,), rdt)], -1)
    return ops.div(y, env.astype(rdt))


def tf_stft(
    signals, frame_length: int, frame_step: int, fft_length=None, window=None, pad_end=False
):
    """TF's STFT: (..., frames, fft_length // 2 + 1) complex of windowed frames, no centring."""
    n = fft_length if fft_length is not None else 1 << int(np.ceil(np.log2(frame_length)))
    length = signals.shape[-1]
    extra = 0
    if pad_end and length is not None:
        n_frames = -(-length // frame_step)
        extra = max(0, (n_frames - 1) * frame_step + frame_length - length)
    fr = frames(signals, frame_length, frame_step, 0, extra, "constant")
    if window is not None:
        fr = ops.mul(fr, window)
    return CX.rfft(fr, n, -1, "backward")


def tf_inverse_stft(stfts, frame_length: int, frame_step: int, fft_length=None, window=None):
    """TF's inverse STFT: irfft of each frame, windowed, overlap-added (no normalisation)."""
    n = fft_length if fft_length is not None else 1 << int(np.ceil(np.log2(frame_length)))
    fr = CX.irfft(stfts, n, -1, "backward")
    fr = ops.getitem(fr, (..., slice(0, frame_length)))
    if window is not None:
        fr = ops.mul(fr, window)
    return overlap_and_add(fr, frame_step)


def power_spectrum(spec, power: float = 2.0):
    """|spec| ** power, with power 2 computed as re^2 + im^2 (smooth everywhere)."""
    if power == 2.0:
        return ops.sum(ops.square(CX.view_as_real(spec)), axes=-1)
    mag = CX.complex_abs(spec)
    return mag if power == 1.0 else ops.pow(mag, ops.scalar(power, mag))


# ---- mel filterbanks and the MFCC DCT ---------------------------------------------------------


def _hz_to_mel_tf(f):
    return 1127.0 * np.log1p(np.asarray(f, np.float64) / 700.0)


def linear_to_mel_weight_matrix(
    num_mel_bins: int = 20,
    num_spectrogram_bins: int = 129,
    sample_rate: float = 8000,
    lower_edge_hertz: float = 125.0,
    upper_edge_hertz: float = 3800.0,
    dtype=np.float32,
) -> np.ndarray:
    """TF's (num_spectrogram_bins, num_mel_bins) triangular mel weights (HTK mel, DC row zero)."""
    if not 0 <= lower_edge_hertz < upper_edge_hertz <= sample_rate / 2:
        raise ValueError(
            f"linear_to_mel_weight_matrix: need 0 <= lower_edge_hertz ({lower_edge_hertz}) < "
            f"upper_edge_hertz ({upper_edge_hertz}) <= sample_rate / 2 ({sample_rate / 2})"
        )
    nyq = sample_rate / 2.0
    lin = np.linspace(0.0, nyq, num_spectrogram_bins)[1:]
    spec_mel = _hz_to_mel_tf(lin)[:, None]
    edges = np.linspace(
        _hz_to_mel_tf(lower_edge_hertz), _hz_to_mel_tf(upper_edge_hertz), num_mel_bins + 2
    )
    lo, ce, up = edges[:-2], edges[1:-1], edges[2:]
    lower = (spec_mel - lo) / (ce - lo)
    upper = (up - spec_mel) / (up - ce)
    w = np.maximum(0.0, np.minimum(lower, upper))
    return np.pad(w, ((1, 0), (0, 0))).astype(dtype)


def mfcc_matrix(num_mel_bins: int, dtype=np.float32) -> np.ndarray:
    """TF's MFCC transform as a matrix: the unnormalised DCT-II scaled by 1/sqrt(2 M)."""
    m = num_mel_bins
    n = np.arange(m)[:, None]
    k = np.arange(m)[None, :]
    return (2.0 * np.cos(np.pi * k * (2 * n + 1) / (2 * m)) / np.sqrt(2.0 * m)).astype(dtype)


def melscale_fbanks(
    n_freqs: int,
    f_min: float,
    f_max: float,
    n_mels: int,
    sample_rate: int,
    norm=None,
    mel_scale: str = "htk",
    dtype=np.float32,
) -> np.ndarray:
    """torchaudio's (n_freqs, n_mels) triangular filterbank (HTK or Slaney mel scale)."""

    def to_mel(f):
        f = np.asarray(f, np.float64)
        if mel_scale == "htk":
            return 2595.0 * np.log10(1.0 + f / 700.0)
        lin = 3.0 * f / 200.0
        return np.where(
            f >= 1000.0, 15.0 + np.log(np.maximum(f, 1e-10) / 1000.0) / (np.log(6.4) / 27.0), lin
        )

    def to_hz(m):
        if mel_scale == "htk":
            return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
        lin = 200.0 * m / 3.0
        return np.where(m >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0)), lin)

    if mel_scale not in ("htk", "slaney"):
        raise ValueError(f"melscale_fbanks: mel_scale must be 'htk' or 'slaney', got {mel_scale!r}")
    freqs = np.linspace(0, sample_rate // 2, n_freqs)
    pts = to_hz(np.linspace(to_mel(f_min), to_mel(f_max), n_mels + 2))
    diff = pts[1:] - pts[:-1]
    slopes = pts[None, :] - freqs[:, None]
    down = -slopes[:, :-2] / diff[:-1]
    up = slopes[:, 2:] / diff[1:]
    fb = np.maximum(0.0, np.minimum(down, up))
    if norm == "slaney":
        fb *= (2.0 / (pts[2 : n_mels + 2] - pts[:n_mels]))[None, :]
    return fb.astype(dtype)
