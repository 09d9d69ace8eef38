"""Small helpers the examples share: argument parsing and seeded synthetic data."""

from __future__ import annotations

import argparse

import numpy as np


def parse(description: str, steps: int) -> argparse.Namespace:
    """--steps N (how long to train) and --quiet."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--steps", type=int, default=steps, help=f"training steps (default {steps})")
    p.add_argument("--quiet", action="store_true", help="print only the final line")
    return p.parse_args()


def regression_data(n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """y = 3 x - 2 + noise, as float32 columns."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, 1)).astype(np.float32)
    y = (3 * x - 2 + 0.1 * rng.standard_normal((n, 1))).astype(np.float32)
    return x, y


def blobs(n: int = 512, classes: int = 3, dim: int = 4, seed: int = 0):
    """Gaussian blobs: float32 features and int64 labels."""
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((classes, dim)) * 3
    labels = rng.integers(0, classes, n)
    x = (centers[labels] + rng.standard_normal((n, dim))).astype(np.float32)
    return x, labels.astype(np.int64)


def mlp_init(sizes: tuple[int, ...], seed: int = 0) -> list[np.ndarray]:
    """Weights in PyTorch's (out, in) layout and zero biases, for both styles to start from."""
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        bound = 1 / np.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))
        params.append(np.zeros(fan_out, np.float32))
    return params
