"""``torch.nn.utils.rnn``: packed variable-length batches (PackedSequence and its helpers).

The packed layout is PyTorch's: `data` holds step 0 of every sequence still running, then step
1, ..., with the batch sorted by decreasing length; `batch_sizes` counts the rows of each step.
nn.LSTM reads a PackedSequence by padding it again and running the sequence-level LSTM with the
lengths (rows stop at their length), so only the layout, not the arithmetic, is packed.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ....core import ops
from ..tensor import Tensor


class PackedSequence(NamedTuple):
    """A packed batch: data (sum of lengths, *), batch_sizes (T,), and the sort permutations."""

    data: Any
    batch_sizes: Any
    sorted_indices: Any = None
    unsorted_indices: Any = None


def _lengths(lengths: Any) -> np.ndarray:
    a = lengths._data if isinstance(lengths, Tensor) else np.asarray(lengths)
    a = np.asarray(a).astype(np.int64).reshape(-1)
    if a.size and a.min() <= 0:
        raise RuntimeError(f"pack_padded_sequence: every length must be positive, got {a.tolist()}")
    return a


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor._make(np.asarray(x))


def pack_padded_sequence(
    input: Any, lengths: Any, batch_first: bool = False, enforce_sorted: bool = True
) -> PackedSequence:
    """Pack a padded (T, B, *) batch (or (B, T, *) with batch_first) of the given lengths."""
    x = _tensor(input)
    lens = _lengths(lengths)
    if batch_first:
        x = ops.transpose(x, (1, 0) + tuple(range(2, x.ndim)))
    if lens.shape[0] != x.shape[1]:
        raise ValueError(
            f"pack_padded_sequence: {lens.shape[0]} lengths for a batch of {x.shape[1]}"
        )
    if int(lens.max()) > x.shape[0]:
        raise RuntimeError(
            f"pack_padded_sequence: a length {int(lens.max())} exceeds the {x.shape[0]} steps"
        )
    sorted_idx = unsorted_idx = None
    if enforce_sorted:
        if np.any(np.diff(lens) > 0):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX exportability."
            )
    else:
        order = np.argsort(-lens, kind="stable")
        sorted_idx = Tensor._make(order.astype(np.int64))
        unsorted_idx = Tensor._make(np.argsort(order, kind="stable").astype(np.int64))
        lens = lens[order]
        x = ops.getitem(x, (slice(None), order))
    sizes = np.array([int(np.sum(lens > t)) for t in range(int(lens.max()))], np.int64)
    data = ops.concat([ops.getitem(x, (t, slice(0, int(n)))) for t, n in enumerate(sizes)], 0)
    return PackedSequence(data, Tensor._make(sizes), sorted_idx, unsorted_idx)


def _sizes(seq: PackedSequence) -> np.ndarray:
    b = seq.batch_sizes
    return np.asarray(b._data if isinstance(b, Tensor) else b).astype(np.int64)


def padded_sorted(seq: PackedSequence, padding_value: float = 0.0, total_length: Any = None):
    """(time-major padded data in the sorted batch order, lengths in that order)."""
    sizes = _sizes(seq)
    batch = int(sizes[0])
    data = seq.data
    steps, start = [], 0
    for n in sizes:
        piece = ops.getitem(data, (slice(start, start + int(n)),))
        if n < batch:
            fill = ops.fill_like(ops.getitem(data, (slice(0, batch - int(n)),)), padding_value)
            piece = ops.concat([piece, fill], 0)
        steps.append(piece)
        start += int(n)
    t_len = len(sizes)
    if total_length is not None and total_length > t_len:
        pad = ops.fill_like(steps[0], padding_value)
        steps += [pad] * (int(total_length) - t_len)
    lens = np.array([int(np.sum(sizes > b)) for b in range(batch)], np.int64)
    return ops.stack(steps, 0), lens


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple:
    """Undo pack_padded_sequence -> (padded (T, B, *) or (B, T, *), lengths as int64)."""
    x, lens = padded_sorted(sequence, padding_value, total_length)
    if sequence.unsorted_indices is not None:
        order = np.asarray(sequence.unsorted_indices._data)
        x = ops.getitem(x, (slice(None), order))
        lens = lens[order]
    if batch_first:
        x = ops.transpose(x, (1, 0) + tuple(range(2, len(x.shape))))
    return x, Tensor._make(lens)


def pad_sequence(sequences: Any, batch_first: bool = False, padding_value: float = 0.0):
    """Stack sequences of different lengths (L_i, *) into (T, B, *) padded with padding_value."""
    seqs = [_tensor(s) for s in sequences]
    t_len = max(s.shape[0] for s in seqs)
    cols = []
    for s in seqs:
        n = s.shape[0]
        if n < t_len:
            pad = ops.fill_like(ops.getitem(s, (slice(0, 1),)), padding_value)
            s = ops.concat([s] + [pad] * (t_len - n), 0)
        cols.append(s)
    return ops.stack(cols, 0 if batch_first else 1)


def pack_sequence(sequences: Any, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of (L_i, *) sequences."""
    lens = [_tensor(s).shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lens, enforce_sorted=enforce_sorted)
