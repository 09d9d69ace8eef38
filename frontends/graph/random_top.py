"""tf.random_shuffle / tf.random.shuffle and tf.random_crop: a fresh permutation or window each
run, drawn from the graph's uniform random op (reproducible under tf.set_random_seed; not TF's
random stream)."""

from __future__ import annotations

import types
from typing import Any

import numpy as np

from ...core import ops
from . import array_ops as A
from . import dtypes as tfd
from .math_ops import _tensor, known_rank
from .random_ops import random_uniform
from .tensor import Tensor


def random_shuffle(value: Any, seed: Any = None, name: str | None = None) -> Tensor:
    """value with its rows (first axis, of known length) in a random order (no gradient)."""
    x = _tensor(value)
    known_rank("random_shuffle", x)
    if not len(x.shape) or x.shape[0] is None:
        raise ValueError(f"random_shuffle: the first dimension of {x} must be known")
    n = int(x.shape[0])
    with x.graph.name_scope(name or "RandomShuffle"):
        keys = random_uniform([n], dtype=tfd.float64, seed=seed)
        # each row goes to the number of keys below its own (a permutation: ties have
        # probability ~2**-52); the lower index wins a tie, so positions stay distinct
        below = ops.less(ops.expand_dims(keys, 0), ops.expand_dims(keys, 1))  # [i, j]: k_j < k_i
        tie = ops.where(np.tril(np.ones((n, n), bool), -1),
                        ops.equal(ops.expand_dims(keys, 0), ops.expand_dims(keys, 1)),
                        np.zeros((), bool))  # fmt: skip
        pos = ops.sum(ops.cast(ops.where(tie, tie, below), np.int64), (1,), False)
        hit = ops.equal(ops.expand_dims(pos, 0), np.arange(n, dtype=np.int64).reshape(n, 1))
        order = ops.argmax(ops.cast(hit, np.int32), 1)  # order[p] = the row placed at p
        return A.stop_gradient(A.gather(x, order))  # TF defines no gradient for a shuffle


def random_crop(value: Any, size: Any, seed: Any = None, name: str | None = None) -> Tensor:
    """A window of shape `size` at a random offset in value (all shapes known)."""
    x = _tensor(value)
    known_rank("random_crop", x)
    dims = list(x.shape)
    if np.ndim(size) != 1:  # as TF: size is a vector (one entry per dim), even for a 1-D value
        raise ValueError(f"random_crop: size must be a 1-D list of sizes, got {size!r}")
    want = [int(s) for s in np.asarray(size).reshape(-1)]
    if any(d is None for d in dims) or len(want) != len(dims):
        raise ValueError(
            f"random_crop: the shape of {x} must be known and size {want} give each of its dims"
        )
    if any(s > d or s < 0 for s, d in zip(want, dims, strict=True)):
        raise ValueError(f"random_crop: size {want} does not fit in the shape {dims}")
    with x.graph.name_scope(name or "random_crop"):
        u = random_uniform([len(dims)], dtype=tfd.float64, seed=seed)
        room = np.asarray([d - s + 1 for d, s in zip(dims, want, strict=True)], np.float64)
        offsets = ops.cast(ops.floor(ops.mul(u, room)), np.int64)
        out = x
        for k, s in enumerate(want):
            if s == dims[k]:
                continue
            rows = ops.add(ops.getitem(offsets, (k,)), np.arange(s, dtype=np.int64))
            out = A.gather(out, rows, axis=k)
        return out


def attach(tf: types.ModuleType) -> list:
    """Add tf.random_shuffle, tf.random_crop, tf.random.shuffle and tf.image.random_crop."""
    added = []
    for n, fn in (("random_shuffle", random_shuffle), ("random_crop", random_crop)):
        if not hasattr(tf, n):
            setattr(tf, n, fn)
            added.append(n)
    if not hasattr(tf.random, "shuffle"):
        tf.random.shuffle = random_shuffle
    if not hasattr(tf.image, "random_crop"):
        tf.image.random_crop = random_crop
    return added
