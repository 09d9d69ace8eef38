"""One seeded random stream shared by both frontends.

``torch.manual_seed(s)`` and ``tf.set_random_seed(s)`` both reseed this stream, so the same
sequence of same-shaped draws (randn <-> random_normal, rand <-> random_uniform) gives the same
values in either style. Draws are made directly in the requested dtype.
"""

from __future__ import annotations

import threading

import numpy as np

from . import dtypes

DEFAULT_SEED = 0x5EED


class Generator:
    """A seedable stream of random numbers (PCG64 underneath)."""

    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self.manual_seed(DEFAULT_SEED if seed is None else seed)

    def manual_seed(self, seed: int) -> Generator:
        """Restart the stream from `seed`."""
        with self._lock:
            self._seed = int(seed)
            self._rng = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def initial_seed(self) -> int:
        """The seed the stream was last started from."""
        return self._seed

    def get_state(self) -> dict:
        """A copy of the stream's state (to restore with set_state)."""
        return dict(self._rng.bit_generator.state)

    def set_state(self, state: dict) -> None:
        """Restore a state taken by get_state."""
        self._rng.bit_generator.state = state

    def normal(self, shape: tuple, dtype=dtypes.float32, mean: float = 0.0, std: float = 1.0):
        """Normal draws: mean + std * z, computed in `dtype`."""
        dt = dtypes.as_dtype(dtype)
        with self._lock:
            z = self._rng.standard_normal(tuple(shape), dtype=dt)
        if mean != 0.0 or std != 1.0:
            z = dt.type(mean) + dt.type(std) * z
        return np.asarray(z, dtype=dt)

    def uniform(self, shape: tuple, dtype=dtypes.float32, low: float = 0.0, high: float = 1.0):
        """Uniform draws on [low, high): low + (high - low) * u, computed in `dtype`."""
        dt = dtypes.as_dtype(dtype)
        with self._lock:
            u = self._rng.random(tuple(shape), dtype=dt)
        if low != 0.0 or high != 1.0:
            u = dt.type(low) + dt.type(high - low) * u
        return np.asarray(u, dtype=dt)

    def truncated_normal(
        self,
        shape: tuple,
        dtype=dtypes.float32,
        mean: float = 0.0,
        std: float = 1.0,
        low: float = -2.0,
        high: float = 2.0,
    ):
        """Normal draws redrawn until within [low, high] standard deviations (TF's op: +-2)."""
        dt = dtypes.as_dtype(dtype)
        with self._lock:
            z = self._rng.standard_normal(tuple(shape), dtype=dt)
            bad = (z < low) | (z > high)
            while bad.any():
                z[bad] = self._rng.standard_normal(int(bad.sum()), dtype=dt)
                bad = (z < low) | (z > high)
        return np.asarray(dt.type(mean) + dt.type(std) * z, dtype=dt)

    def integers(self, low: int, high: int, shape: tuple, dtype=dtypes.int64):
        """Integers drawn uniformly from [low, high)."""
        with self._lock:
            return self._rng.integers(low, high, size=tuple(shape), dtype=dtypes.as_dtype(dtype))

    def permutation(self, n: int) -> np.ndarray:
        """A random permutation of range(n) as int64."""
        with self._lock:
            return self._rng.permutation(n).astype(np.int64)

    def bernoulli(self, shape: tuple, p: float, dtype=dtypes.float32) -> np.ndarray:
        """1 with probability p, else 0, in `dtype` (dropout masks)."""
        dt = dtypes.as_dtype(dtype)
        with self._lock:
            u = self._rng.random(tuple(shape), dtype=dt)
        return (u < dt.type(p)).astype(dt)


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Reseed the shared stream (torch.manual_seed and tf.set_random_seed both land here)."""
    return default_generator.manual_seed(seed)
