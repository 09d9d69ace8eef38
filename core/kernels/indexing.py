"""Gather/scatter-add along an axis and per-row label picking (cross-entropy style)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, error_model="numpy")
def _scatter_rows(out, idx, upd):
    # Sequential over the indices, so duplicate indices accumulate in a fixed order.
    for k in range(idx.shape[0]):
        o = out[idx[k]]
        u = upd[k]
        for j in range(u.shape[0]):
            o[j] += u[j]


@njit(cache=True, error_model="numpy")
def _pick_rows(x, lab, out):
    # returns the first row whose label is out of range (-1: none), writing nothing after it
    c = x.shape[1]
    for r in range(lab.shape[0]):
        k = lab[r]
        if k < 0 or k >= c:
            return r
        out[r] = x[r, k]
    return -1


@njit(cache=True, error_model="numpy")
def _place_rows(g, lab, out):
    # out is zeros (rows, C); returns the first row whose label is out of range (-1: none)
    c = out.shape[1]
    for r in range(lab.shape[0]):
        k = lab[r]
        if k < 0 or k >= c:
            return r
        out[r, k] = g[r]
    return -1


_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_I64 = np.dtype(np.int64)


def _rows_case(v, lab, rows: int) -> bool:
    """The everyday cross-entropy call: float (rows, ...) data and int64 (rows,) labels, both
    C-contiguous ndarrays; the general path handles (and reports on) everything else."""
    return (
        type(v) is np.ndarray
        and type(lab) is np.ndarray
        and v.dtype in _FLOATS
        and lab.dtype == _I64
        and lab.ndim == 1
        and lab.shape[0] == rows
        and v.flags.c_contiguous
        and lab.flags.c_contiguous
    )


def _bad_label(lab: np.ndarray, r: int, n: int, what: str) -> IndexError:
    return IndexError(
        f"{what} (labels): index {lab[r]} is out of bounds for size {n} (valid [0, {n}))"
    )


def _int_indices(indices, what: str) -> np.ndarray:
    idx = np.asarray(indices)
    if idx.dtype.kind not in "iu":
        if idx.size == 0:
            return idx.astype(np.int64)
        raise TypeError(f"{what}: indices must be integers, got {idx.dtype}")
    return idx


def _check_bounds(idx: np.ndarray, n: int, what: str, allow_negative: bool) -> np.ndarray:
    """Return int64 indices in [0, n), raising IndexError naming the first bad one."""
    idx = idx.astype(np.int64, copy=False)
    if idx.size == 0:
        return idx
    lo = -n if allow_negative else 0
    bad = (idx < lo) | (idx >= n)
    if bad.any():
        first = idx.reshape(-1)[np.argmax(bad.reshape(-1))]
        lim = f"[{lo}, {n})"
        raise IndexError(f"{what}: index {first} is out of bounds for size {n} (valid {lim})")
    if allow_negative and (idx < 0).any():
        idx = np.where(idx < 0, idx + n, idx)
    return idx


def _axis(axis: int, ndim: int, what: str) -> int:
    if not -ndim <= axis < ndim:
        raise ValueError(f"{what}: axis {axis} out of range for an array of rank {ndim}")
    return axis % ndim


def gather(x: np.ndarray, indices: np.ndarray, axis: int = 0) -> np.ndarray:
    """np.take(x, indices, axis) with a bounds check: indices in [0, n), as torch.gather,
    index_select, embedding and tf.gather (on CPU) require; a negative index is an error."""
    x = np.asarray(x)
    ax = _axis(axis, x.ndim, "gather")
    idx = _check_bounds(_int_indices(indices, "gather"), x.shape[ax], "gather", False)
    return np.take(x, idx, axis=ax)


def scatter_add(
    shape: tuple[int, ...], indices: np.ndarray, updates: np.ndarray, axis: int = 0, dtype=None
) -> np.ndarray:
    """VJP of gather: zeros(shape), then add the ``updates`` slices at ``indices`` in order."""
    shape = tuple(shape)
    updates = np.asarray(updates)
    dt = np.dtype(dtype) if dtype is not None else updates.dtype
    ax = _axis(axis, len(shape), "scatter_add")
    idx = _check_bounds(_int_indices(indices, "scatter_add"), shape[ax], "scatter_add", False)
    want = shape[:ax] + idx.shape + shape[ax + 1 :]
    if updates.shape != want:
        raise ValueError(
            f"scatter_add: updates have shape {updates.shape}; indices {idx.shape} into "
            f"{shape} along axis {ax} need {want}"
        )
    # Work with the scattered axis first: out (n, rest), updates (len(idx), rest).
    moved = shape[ax : ax + 1] + shape[:ax] + shape[ax + 1 :]
    out = np.zeros(moved, dt)
    k = idx.ndim
    upd = np.moveaxis(updates.astype(dt, copy=False), list(range(ax, ax + k)), list(range(k)))
    rest = int(np.prod(moved[1:], dtype=np.int64))
    if idx.size and rest:
        upd2 = np.ascontiguousarray(upd).reshape(idx.size, rest)
        _scatter_rows(out.reshape(shape[ax], rest), idx.reshape(-1), upd2)
    if ax == 0:
        return out
    return np.ascontiguousarray(np.moveaxis(out, 0, ax))


def _check_labels(x_shape, labels, num_classes: int, what: str) -> np.ndarray:
    lab = _int_indices(labels, what)
    if lab.shape != tuple(x_shape):
        raise ValueError(f"{what}: labels have shape {lab.shape}, expected {tuple(x_shape)}")
    return _check_bounds(lab, num_classes, what + " (labels)", False)


def pick(x: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """x[..., labels] for x (..., C) and integer labels (...): one entry per row."""
    if type(x) is np.ndarray and x.ndim == 2 and _rows_case(x, labels, x.shape[0]):
        out = np.empty(x.shape[0], x.dtype)
        r = _pick_rows(x, labels, out)
        if r >= 0:
            raise _bad_label(labels, r, x.shape[1], "pick")
        return out
    x = np.asarray(x)
    if x.ndim == 0:
        raise ValueError("pick: x must have a class axis (..., C)")
    lab = _check_labels(x.shape[:-1], labels, x.shape[-1], "pick")
    return np.take_along_axis(x, lab[..., None], axis=-1)[..., 0]


def pick_grad(g: np.ndarray, labels: np.ndarray, num_classes: int) -> np.ndarray:
    """zeros(labels.shape + (C,)) with ``g`` placed at the labels (the VJP of pick)."""
    if type(g) is np.ndarray and g.ndim == 1 and _rows_case(g, labels, g.shape[0]):
        out = np.zeros((g.shape[0], num_classes), g.dtype)
        r = _place_rows(g, labels, out)
        if r >= 0:
            raise _bad_label(labels, r, num_classes, "pick_grad")
        return out
    g = np.asarray(g)
    lab = _check_labels(g.shape, labels, num_classes, "pick_grad")
    out = np.zeros(lab.shape + (num_classes,), g.dtype)
    np.put_along_axis(out, lab[..., None], g[..., None], axis=-1)
    return out
