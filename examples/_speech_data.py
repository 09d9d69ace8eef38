"""Synthetic spoken-symbol utterances and initial weights for the speech examples (both styles).

Each symbol is a voiced sound with its own pair of formants (a vowel-like spectral envelope over
the harmonics of a random pitch); an utterance strings a few symbols with random durations and
pauses, adds noise, and is padded with silence to a fixed length. Everything is generated here
with numpy from a seed: no download. The features (log-mel spectrograms) are computed by the
examples themselves with the framework's STFT.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
from _progress import Progress  # noqa: F401 (the examples use data.Progress)

RATE = 8000  # samples per second
SECONDS = 0.8
N_FFT, HOP, N_MELS = 256, 80, 32  # 32 ms windows every 10 ms
# (F1, F2) formants in Hz of each symbol: five vowel-like sounds
FORMANTS = ((750, 1200), (400, 2200), (300, 900), (550, 1700), (650, 2600))
SYMBOLS = "aeiou"
BLANK = len(SYMBOLS)  # TF1's convention: the blank is the last class
CLASSES = len(SYMBOLS) + 1


def parse(description: str, epochs: int, argv: list[str] | None = None) -> argparse.Namespace:
    """--epochs N, --steps N (stop after N training steps) and --quiet (only the final lines)."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--epochs", type=int, default=epochs, help=f"epochs (default {epochs})")
    p.add_argument("--steps", type=int, default=None, help="stop after this many steps")
    p.add_argument("--quiet", action="store_true", help="print only the result")
    return p.parse_args(argv)


def _symbol(rng: np.random.Generator, k: int, samples: int) -> np.ndarray:
    """`samples` of symbol k: harmonics of a gliding random pitch shaped by its formants."""
    t = np.arange(samples) / RATE
    f0 = rng.uniform(90, 220) * (1 + rng.uniform(-0.1, 0.1) * t / max(t[-1], 1e-3))
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    wave = np.zeros(samples)
    for h in range(1, int(3500 / f0.max()) + 1):
        freq = h * f0.mean()
        gain = sum(np.exp(-0.5 * ((freq - f) / 120.0) ** 2) for f in FORMANTS[k]) + 0.02
        wave += gain * np.sin(h * phase)
    ramp = np.minimum(1.0, np.minimum(np.arange(samples), np.arange(samples)[::-1]) / 80.0)
    return wave * ramp / (np.abs(wave).max() + 1e-9)


def utterances(n: int, seed: int = 0, max_symbols: int = 4):
    """n waveforms (n, RATE * SECONDS) float32, padded labels (n, max_symbols) int64 and lengths."""
    rng = np.random.default_rng(seed)
    length = int(RATE * SECONDS)
    waves = np.zeros((n, length))
    labels = np.zeros((n, max_symbols), np.int64)
    lengths = np.zeros(n, np.int64)
    for i in range(n):
        count = int(rng.integers(1, max_symbols + 1))
        pos = int(rng.integers(0, 400))
        for j in range(count):
            k = int(rng.integers(0, len(SYMBOLS)))
            dur = int(rng.uniform(0.08, 0.14) * RATE)
            if pos + dur > length:
                break
            waves[i, pos : pos + dur] += rng.uniform(0.5, 1.0) * _symbol(rng, k, dur)
            labels[i, j] = k
            lengths[i] = j + 1
            pos += dur + int(rng.uniform(0.02, 0.06) * RATE)
        waves[i] += rng.uniform(0.01, 0.05) * rng.standard_normal(length)
    return waves.astype(np.float32), labels, lengths


def sparse_labels(labels: np.ndarray, lengths: np.ndarray) -> tuple:
    """(indices, values, dense_shape) of padded labels, the feed of a tf.sparse_placeholder."""
    idx = [(i, j) for i in range(len(lengths)) for j in range(int(lengths[i]))]
    values = np.array([labels[i, j] for i, j in idx], np.int32)
    shape = np.array([len(lengths), labels.shape[1]], np.int64)
    return np.array(idx, np.int64).reshape(-1, 2), values, shape


def mel_filterbank() -> np.ndarray:
    """(N_FFT // 2 + 1, N_MELS) triangular HTK-mel filterbank from 20 Hz to Nyquist, float32."""
    bins = np.linspace(0, RATE / 2, N_FFT // 2 + 1)
    mel = np.linspace(*(2595.0 * np.log10(1.0 + np.array([20.0, RATE / 2]) / 700.0)), N_MELS + 2)
    edges = 700.0 * (10.0 ** (mel / 2595.0) - 1.0)
    lo, mid, hi = edges[:-2], edges[1:-1], edges[2:]
    up = (bins[:, None] - lo) / (mid - lo)
    down = (hi - bins[:, None]) / (hi - mid)
    return np.maximum(0.0, np.minimum(up, down)).astype(np.float32)


def frames(samples: int) -> int:
    """STFT frames of a waveform of `samples` (no centring, no end padding)."""
    return 1 + (samples - N_FFT) // HOP


def out_frames(n: int) -> int:
    """Frames after the acoustic model's convolution (kernel 5, stride 2, padding 2)."""
    return (n + 4 - 5) // 2 + 1


def run_epochs(
    train_step: Callable[[np.ndarray], float],
    evaluate: Callable[[], float],
    epochs: int,
    n_train: int,
    batch: int,
    max_steps: int | None,
    quiet: bool,
) -> dict:
    """Both styles' training loop: each epoch, `train_step(indices)` on shuffled batches, then
    `evaluate()`; returns the per-epoch mean losses, test LERs and seconds."""
    steps = n_train // batch
    if max_steps is not None:  # a short run: --steps N
        epochs, steps = min(epochs, -(-max_steps // steps)), min(steps, max_steps)
    rng = np.random.default_rng(1)
    history = {"loss": [], "ler": [], "seconds": []}
    for epoch in range(epochs):
        start = time.perf_counter()
        order, total = rng.permutation(n_train), 0.0
        for s in range(steps):
            total += train_step(order[s * batch : (s + 1) * batch])
        history["seconds"].append(time.perf_counter() - start)
        history["loss"].append(total / steps)
        history["ler"].append(evaluate())
        if not quiet:
            print(f"epoch {epoch + 1}: CTC loss {history['loss'][-1]:.4f}, test LER "
                  f"{history['ler'][-1]:.3f} ({history['seconds'][-1]:.2f}s)")  # fmt: skip
    return history


def main(train: Callable, style: str, description: str, argv: list[str] | None) -> dict:
    """Both examples' command line: parse --epochs/--steps/--quiet, train, print the result."""
    args = parse(description, 12, argv)
    r = train(args.epochs, args.quiet, max_steps=args.steps)
    print(f"{style} speech: test LER {r['ler0']:.3f} -> {r['ler'][-1]:.3f}, "
          f"{np.mean(r['seconds']):.2f}s per epoch")  # fmt: skip
    return r


def normalise(feats: np.ndarray, stats: tuple | None = None) -> tuple[np.ndarray, tuple]:
    """Per-mel-channel standardisation of (n, frames, mels) features, with the train set's stats."""
    if stats is None:
        stats = (feats.mean(axis=(0, 1)), feats.std(axis=(0, 1)) + 1e-5)
    return ((feats - stats[0]) / stats[1]).astype(np.float32), stats


def init(hidden: int, channels: int, seed: int = 0) -> dict:
    """Acoustic-model weights in PyTorch's layouts (conv (out, in, k), GRU, linear (out, in))."""
    rng = np.random.default_rng(seed)

    def u(shape, fan_in):
        b = 1.0 / np.sqrt(fan_in)
        return rng.uniform(-b, b, shape).astype(np.float32)

    w = {
        "conv.weight": u((channels, N_MELS, 5), N_MELS * 5),
        "conv.bias": u((channels,), N_MELS * 5),
    }
    for sfx in ("", "_reverse"):
        w[f"gru.weight_ih_l0{sfx}"] = u((3 * hidden, channels), hidden)
        w[f"gru.weight_hh_l0{sfx}"] = u((3 * hidden, hidden), hidden)
        w[f"gru.bias_ih_l0{sfx}"] = u((3 * hidden,), hidden)
        w[f"gru.bias_hh_l0{sfx}"] = u((3 * hidden,), hidden)
    w["fc.weight"] = u((CLASSES, 2 * hidden), 2 * hidden)
    w["fc.bias"] = u((CLASSES,), 2 * hidden)
    return w


def edit_distance(a: list, b: list) -> int:
    """Levenshtein distance between two label lists."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def label_error_rate(decoded: list, labels: np.ndarray, lengths: np.ndarray) -> float:
    """Summed edit distances over summed reference lengths."""
    errors = sum(
        edit_distance(list(d), labels[i, : lengths[i]].tolist()) for i, d in enumerate(decoded)
    )
    return errors / max(int(lengths.sum()), 1)
