"""torchaudio-style audio features: `Spectrogram`, `MelSpectrogram`, `AmplitudeToDB` modules and
`melscale_fbanks`, over the core's STFT (so the graph style's tf.signal features match)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core import ops
from ...core import spectral as SP
from .nn.module import Module
from .spectral import hann_window, stft
from .tensor import Tensor


def melscale_fbanks(
    n_freqs: int,
    f_min: float,
    f_max: float,
    n_mels: int,
    sample_rate: int,
    norm: Any = None,
    mel_scale: str = "htk",
) -> Tensor:
    """(n_freqs, n_mels) triangular mel filterbank, as torchaudio.functional.melscale_fbanks."""
    return Tensor._make(
        SP.melscale_fbanks(n_freqs, f_min, f_max, n_mels, sample_rate, norm, mel_scale)
    )


class Spectrogram(Module):
    """|STFT| ** power of (..., L) waveforms: (..., n_fft // 2 + 1, frames)."""

    def __init__(
        self,
        n_fft: int = 400,
        win_length: Any = None,
        hop_length: Any = None,
        pad: int = 0,
        window_fn: Any = hann_window,
        power: Any = 2.0,
        normalized: bool = False,
        center: bool = True,
        pad_mode: str = "reflect",
        onesided: bool = True,
    ) -> None:
        super().__init__()
        if pad:
            raise NotImplementedError("Spectrogram: pad > 0 is not supported")
        self.n_fft = n_fft
        self.win_length = win_length if win_length is not None else n_fft
        self.hop_length = hop_length if hop_length is not None else self.win_length // 2
        self.window = window_fn(self.win_length)
        self.power, self.normalized = power, normalized
        self.center, self.pad_mode, self.onesided = center, pad_mode, onesided

    def forward(self, waveform: Tensor) -> Tensor:
        """The spectrogram."""
        spec = stft(
            waveform,
            self.n_fft,
            self.hop_length,
            self.win_length,
            self.window,
            self.center,
            self.pad_mode,
            False,
            self.onesided,
            return_complex=True,
        )
        if self.normalized:
            spec = spec / float(np.sqrt((self.window._data.astype(np.float64) ** 2).sum()))
        if self.power is None:
            return spec
        return SP.power_spectrum(spec, float(self.power))


class MelSpectrogram(Module):
    """Mel-scale spectrogram of (..., L) waveforms: (..., n_mels, frames), as torchaudio's."""

    def __init__(
        self,
        sample_rate: int = 16000,
        n_fft: int = 400,
        win_length: Any = None,
        hop_length: Any = None,
        f_min: float = 0.0,
        f_max: Any = None,
        pad: int = 0,
        n_mels: int = 128,
        window_fn: Any = hann_window,
        power: float = 2.0,
        normalized: bool = False,
        center: bool = True,
        pad_mode: str = "reflect",
        onesided: bool = True,
        norm: Any = None,
        mel_scale: str = "htk",
    ) -> None:
        super().__init__()
        self.spectrogram = Spectrogram(
            n_fft,
            win_length,
            hop_length,
            pad,
            window_fn,
            power,
            normalized,
            center,
            pad_mode,
            onesided,
        )
        f_max = f_max if f_max is not None else float(sample_rate // 2)
        self.fb = SP.melscale_fbanks(
            n_fft // 2 + 1, f_min, f_max, n_mels, sample_rate, norm, mel_scale
        )

    def forward(self, waveform: Tensor) -> Tensor:
        """The mel spectrogram."""
        spec = self.spectrogram(waveform)  # (..., freq, time)
        nd = spec.ndim
        perm = tuple(range(nd - 2)) + (nd - 1, nd - 2)
        fb = self.fb.astype(spec._data.dtype)
        return ops.transpose(ops.matmul(ops.transpose(spec, perm), fb), perm)


class AmplitudeToDB(Module):
    """10 log10(max(x, amin)) (stype 'power') or 20 log10 (stype 'magnitude'), floored at
    top_db below the maximum when given."""

    def __init__(self, stype: str = "power", top_db: Any = None) -> None:
        super().__init__()
        self.mult = 10.0 if stype == "power" else 20.0
        self.top_db = top_db

    def forward(self, x: Tensor) -> Tensor:
        """The decibel values."""
        db = x.clamp(min=1e-10).log10() * self.mult
        if self.top_db is not None:
            db = db.clamp(min=float(db.max()) - self.top_db)
        return db
