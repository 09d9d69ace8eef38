"""tf.space_to_batch_nd / batch_to_space_nd (and the 2-D space_to_batch / batch_to_space,
required_space_to_batch_paddings): the block moves of atrous convolutions, composed in
core/tf_array_more.py."""

from __future__ import annotations

import types
from typing import Any

import numpy as np

from ...core import tf_array_more as C
from .array_top import get_static_value
from .convert import convert_to_tensor
from .math_ops import _tensor, known_rank
from .tensor import Tensor


def _static(v: Any, op: str, what: str) -> np.ndarray:
    if isinstance(v, Tensor):
        value = get_static_value(v)
        if value is None:
            raise NotImplementedError(f"{op}: {what} must be known when the graph is built here")
        v = value
    return np.asarray(v).astype(np.int64)


def _block_pairs(op: str, block_shape: Any, pairs: Any, what: str) -> tuple:
    block = [int(b) for b in _static(block_shape, op, "block_shape").reshape(-1)]
    p = _static(pairs, op, what).reshape(-1, 2)
    if len(p) != len(block) or any(b < 1 for b in block) or np.any(p < 0):
        raise ValueError(
            f"{op}: block_shape {block} must be positive and {what} {p.tolist()} non-negative, "
            "one pair per block dim"
        )
    return block, p.tolist()


def space_to_batch_nd(
    input: Any, block_shape: Any, paddings: Any, name: str | None = None
) -> Tensor:  # noqa: A002, E501
    """Pad the spatial dims, cut them into blocks and move the block offsets into the batch."""
    x = _tensor(input)
    known_rank("space_to_batch_nd", x)
    block, pads = _block_pairs("space_to_batch_nd", block_shape, paddings, "paddings")
    return x.graph.build_op("SpaceToBatchND", name, lambda: C.space_to_batch_nd(x, block, pads))


def batch_to_space_nd(input: Any, block_shape: Any, crops: Any, name: str | None = None) -> Tensor:  # noqa: A002, E501
    """Move block offsets out of the batch back into the spatial dims, then crop."""
    x = _tensor(input)
    known_rank("batch_to_space_nd", x)
    block, cuts = _block_pairs("batch_to_space_nd", block_shape, crops, "crops")
    return x.graph.build_op("BatchToSpaceND", name, lambda: C.batch_to_space_nd(x, block, cuts))


def space_to_batch(input: Any, paddings: Any, block_size: Any = None, name: str | None = None,  # noqa: A002
                   block_shape: Any = None) -> Tensor:  # fmt: skip
    """space_to_batch_nd over the two spatial dims of an NHWC tensor, with square blocks."""
    b = int(block_size if block_size is not None else block_shape)
    return space_to_batch_nd(input, [b, b], paddings, name=name)


def batch_to_space(input: Any, crops: Any, block_size: Any, name: str | None = None,  # noqa: A002
                   block_shape: Any = None) -> Tensor:  # fmt: skip
    """batch_to_space_nd over the two spatial dims of an NHWC tensor, with square blocks."""
    b = int(block_size if block_size is not None else block_shape)
    return batch_to_space_nd(input, [b, b], crops, name=name)


def required_space_to_batch_paddings(
    input_shape: Any, block_shape: Any, base_paddings: Any = None, name: str | None = None
) -> tuple:
    """(paddings, crops) making the padded spatial dims multiples of block_shape, as int32
    tensors (the shapes must be known when the graph is built)."""
    shape = _static(input_shape, "required_space_to_batch_paddings", "input_shape").reshape(-1)
    block = _static(block_shape, "required_space_to_batch_paddings", "block_shape").reshape(-1)
    base = (
        np.zeros((len(block), 2), np.int64) if base_paddings is None
        else _static(base_paddings, "required_space_to_batch_paddings", "base_paddings")
    )  # fmt: skip
    full = shape + base[:, 0] + base[:, 1]
    extra = (block - full % block) % block
    pads = np.stack([base[:, 0], base[:, 1] + extra], 1).astype(np.int32)
    crops = np.stack([np.zeros_like(extra), extra], 1).astype(np.int32)
    return convert_to_tensor(pads), convert_to_tensor(crops)


def attach(tf: types.ModuleType) -> list:
    """Add the names to tf (and tf.nn) where missing; return the new names."""
    here = globals()
    added = []
    for n in ("space_to_batch_nd", "batch_to_space_nd", "space_to_batch", "batch_to_space",
              "required_space_to_batch_paddings"):  # fmt: skip
        if not hasattr(tf, n):
            setattr(tf, n, here[n])
            added.append(n)
    for n in ("space_to_batch", "batch_to_space"):
        if not hasattr(tf.nn, n):
            setattr(tf.nn, n, here[n])
    return added
