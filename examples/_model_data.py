"""Data and initial weights for the CNN, char-LSTM and Transformer examples (both styles).

Everything here is data preparation in numpy: the digits (scikit-learn's bundled copy), text
gathered from the standard library's docstrings, a synthetic sequence-reversal task, initial
weight arrays both styles load, and a console progress line.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import warnings

import numpy as np
from _progress import Progress  # noqa: F401 (the examples use data.Progress)

# ---- command line and console progress -------------------------------------------------------


def parse(description: str, steps: int, argv: list[str] | None = None) -> argparse.Namespace:
    """--steps N (how long to train) and --quiet (only the final lines)."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--steps", type=int, default=steps, help=f"training steps (default {steps})")
    p.add_argument("--quiet", action="store_true", help="print only the result")
    return p.parse_args(argv)


def batches(n: int, batch: int, steps: int, seed: int = 0):
    """Index arrays of `steps` mini-batches from shuffled passes over n examples."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    pos = 0
    for _ in range(steps):
        if pos + batch > n:
            order, pos = rng.permutation(n), 0
        yield order[pos : pos + batch]
        pos += batch


# ---- the 8x8 digits ---------------------------------------------------------------------------


def digits(seed: int = 0, test_fraction: float = 0.2):
    """scikit-learn's 8x8 digits as (N, 1, 8, 8) float32 in [0, 1] and int64 labels,
    split into (x_train, y_train, x_test, y_test)."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise SystemExit(
            "this example reads the 8x8 digits bundled with scikit-learn, which is not "
            "installed: pip install 'duograd[examples]'"
        ) from None
    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)[:, None, :, :]
    y = d.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(y))
    n_test = int(len(y) * test_fraction)
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def cnn_init(seed: int = 0) -> dict:
    """Weights of the digits CNN in PyTorch's layouts (conv OIHW, linear (out, in))."""
    rng = np.random.default_rng(seed)

    def u(shape, fan_in):
        b = 1.0 / np.sqrt(fan_in)
        return rng.uniform(-b, b, shape).astype(np.float32)

    return {
        "conv1.weight": u((16, 1, 3, 3), 9),
        "conv1.bias": u((16,), 9),
        "conv2.weight": u((32, 16, 3, 3), 144),
        "conv2.bias": u((32,), 144),
        "fc.weight": u((10, 128), 128),
        "fc.bias": u((10,), 128),
    }


# ---- text from the standard library --------------------------------------------------------

STDLIB_MODULES = (
    "argparse", "collections", "contextlib", "csv", "dataclasses", "datetime", "decimal",
    "difflib", "functools", "heapq", "inspect", "io", "itertools", "json", "logging", "os",
    "pathlib", "pickle", "random", "re", "shutil", "statistics", "string", "subprocess",
    "tempfile", "textwrap", "threading", "typing", "unittest", "zipfile",
)  # fmt: skip


def stdlib_text(max_chars: int = 200_000) -> str:
    """Docstrings of standard-library modules and their public members, printable ASCII only."""
    parts = []
    for name in STDLIB_MODULES:
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        parts.append(inspect.getdoc(mod) or "")
        for attr in sorted(dir(mod)):
            if attr.startswith("_"):
                continue
            with warnings.catch_warnings():  # some members warn that they are deprecated
                warnings.simplefilter("ignore")
                doc = inspect.getdoc(getattr(mod, attr, None))
            if doc and len(doc) > 80:
                parts.append(doc)
    text = "\n\n".join(p for p in parts if p)
    text = "".join(c if (32 <= ord(c) < 127 or c == "\n") else " " for c in text)
    return text[:max_chars]


def char_vocab(text: str) -> tuple[list[str], np.ndarray]:
    """(sorted characters, the text as int64 codes)."""
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    return chars, np.fromiter((index[c] for c in text), np.int64, len(text))


def char_windows(codes: np.ndarray, length: int, batch: int, steps: int, seed: int = 0):
    """(inputs, targets) batches of random windows: targets are inputs shifted by one."""
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        starts = rng.integers(0, len(codes) - length - 1, batch)
        idx = starts[:, None] + np.arange(length)[None, :]
        yield codes[idx], codes[idx + 1]


def lstm_init(vocab: int, embed: int, hidden: int, seed: int = 0) -> dict:
    """Weights of the char LSTM in PyTorch's layouts (nn.Embedding, nn.LSTM, nn.Linear)."""
    rng = np.random.default_rng(seed)
    b = 1.0 / np.sqrt(hidden)

    def u(shape, bound):
        return rng.uniform(-bound, bound, shape).astype(np.float32)

    return {
        "embed.weight": (rng.standard_normal((vocab, embed)) * 0.3).astype(np.float32),
        "lstm.weight_ih_l0": u((4 * hidden, embed), b),
        "lstm.weight_hh_l0": u((4 * hidden, hidden), b),
        "lstm.bias_ih_l0": u((4 * hidden,), b),
        "lstm.bias_hh_l0": u((4 * hidden,), b),
        "head.weight": u((vocab, hidden), b),
        "head.bias": u((vocab,), b),
    }


def sample_next(probs: np.ndarray, rng: np.random.Generator, temperature: float = 0.8) -> int:
    """Draw a character code from softmax probabilities sharpened by `temperature`."""
    logp = np.log(np.maximum(probs.astype(np.float64), 1e-12)) / temperature
    p = np.exp(logp - logp.max())
    return int(rng.choice(len(p), p=p / p.sum()))


# ---- the sequence-reversal task for the Transformer ---------------------------------------


def reversal_batch(rng: np.random.Generator, batch: int, length: int, vocab: int):
    """Random digit sequences (int64) and their reversals."""
    x = rng.integers(0, vocab, (batch, length)).astype(np.int64)
    return x, x[:, ::-1].copy()


def transformer_init(vocab: int, length: int, d: int, ff: int, layers: int, seed: int = 0):
    """Weights of the reversal Transformer, PyTorch layouts, keyed by parameter name."""
    rng = np.random.default_rng(seed)

    def u(shape, fan_in):
        b = 1.0 / np.sqrt(fan_in)
        return rng.uniform(-b, b, shape).astype(np.float32)

    p = {
        "embed.weight": (rng.standard_normal((vocab, d)) * 0.5).astype(np.float32),
        "pos": (rng.standard_normal((length, d)) * 0.5).astype(np.float32),
    }
    for i in range(layers):
        k = f"encoder.layers.{i}."
        xb = np.sqrt(6.0 / (4 * d))
        p[k + "self_attn.in_proj_weight"] = rng.uniform(-xb, xb, (3 * d, d)).astype(np.float32)
        p[k + "self_attn.in_proj_bias"] = np.zeros(3 * d, np.float32)
        p[k + "self_attn.out_proj.weight"] = u((d, d), d)
        p[k + "self_attn.out_proj.bias"] = np.zeros(d, np.float32)
        p[k + "linear1.weight"], p[k + "linear1.bias"] = u((ff, d), d), u((ff,), d)
        p[k + "linear2.weight"], p[k + "linear2.bias"] = u((d, ff), ff), u((d,), ff)
        for n in ("norm1", "norm2"):
            p[k + n + ".weight"] = np.ones(d, np.float32)
            p[k + n + ".bias"] = np.zeros(d, np.float32)
    p["head.weight"], p["head.bias"] = u((vocab, d), d), u((vocab,), d)
    return p


def digits_32x32x3(seed: int = 0, test_fraction: float = 0.2):
    """The 8x8 digits upscaled to (N, 3, 32, 32) (each pixel a 4x4 block, grey in 3 channels)."""
    x_train, y_train, x_test, y_test = digits(seed, test_fraction)

    def up(x):
        big = np.repeat(np.repeat(x, 4, axis=2), 4, axis=3)
        return np.ascontiguousarray(np.repeat(big, 3, axis=1))

    return up(x_train), y_train, up(x_test), y_test
