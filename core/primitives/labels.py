"""Label-sequence primitives of shapes known only at run time: sparse (indices, values, shape)
to dense, the parts of a padded label matrix as a sparse tensor, CTC best-path decoding and
the edit distance between two sparse label batches.

They carry no gradient (labels and decoded paths are discrete); the graph style uses them for
fed sparse labels and decoders, the eager style runs the same host helpers of `core.ctc`.
"""

from __future__ import annotations

import numpy as np

from ..errors import DTypeError, ShapeError, fmt_shape
from .registry import AVal, Primitive, bind, register

_I64 = np.dtype(np.int64)


def check_sparse(indices, values, dense_shape, op: str) -> tuple:
    """Validate sparse parts (rank, in range, sorted row-major, no repeats); int64 copies."""
    idx = np.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise DTypeError(f"{op}: indices must be integers, got {idx.dtype}")
    shape = np.asarray(dense_shape, np.int64).reshape(-1)
    idx = (
        np.asarray(idx, np.int64).reshape(-1, shape.shape[0])
        if idx.size
        else (np.zeros((0, shape.shape[0]), np.int64))
    )
    vals = np.asarray(values)
    # one scalar value for every index (tf.sparse_to_dense allows it)
    vals = np.broadcast_to(vals, (idx.shape[0],)) if vals.ndim == 0 else vals.reshape(-1)
    if vals.shape[0] != idx.shape[0]:
        raise ShapeError(
            f"{op}: {idx.shape[0]} index rows but {vals.shape[0]} values; give one value per row"
        )
    bad = np.nonzero(((idx < 0) | (idx >= shape)).any(axis=1))[0]
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"{op}: index {idx[i].tolist()} (row {i}) is out of range for dense shape "
            f"{shape.tolist()}"
        )
    if idx.shape[0] > 1:
        flat = np.ravel_multi_index(idx.T, shape) if shape.size else np.zeros(0)
        step = np.diff(flat)
        if (step <= 0).any():
            i = int(np.nonzero(step <= 0)[0][0]) + 1
            what = "repeats" if step[i - 1] == 0 else "is out of order"
            raise ValueError(
                f"{op}: index {idx[i].tolist()} (row {i}) {what}: indices must be sorted in "
                "row-major order without repeats (use tf.sparse.reorder first)"
            )
    return idx, vals, shape


# ---- sparse -> dense -------------------------------------------------------------------------


def _s2d_impl(indices, values, dense_shape, default):
    idx, vals, shape = check_sparse(indices, values, dense_shape, "sparse_to_dense")
    out = np.full(tuple(shape.tolist()), default, dtype=np.asarray(values).dtype)
    out[tuple(idx.T)] = vals
    return out


def _s2d_rule(indices, values, dense_shape, default) -> AVal:
    if len(values.shape) > 1:
        raise ShapeError(
            f"sparse_to_dense: values must be 1-D or a scalar, got {fmt_shape(values.shape)}"
        )
    rank = dense_shape.shape[0] if len(dense_shape.shape) == 1 else None
    if rank is None and len(indices.shape) == 2:
        rank = indices.shape[1]
    if rank is None:
        raise ShapeError(
            "sparse_to_dense: the rank (length of dense_shape) must be known; give the sparse "
            "placeholder a shape such as [None, None]"
        )
    if isinstance(dense_shape, np.ndarray):  # concrete: the shape is the value
        return AVal(tuple(int(d) for d in dense_shape.reshape(-1)), np.dtype(values.dtype))
    return AVal((None,) * rank, np.dtype(values.dtype))


SPARSE_TO_DENSE = register(
    Primitive(
        "sparse_to_dense",
        impl=_s2d_impl,
        shape_rule=_s2d_rule,
        reference=_s2d_impl,
        nondiff=(0, 1, 2),
    )
)


def sparse_to_dense(indices, values, dense_shape, default=0):
    """A dense tensor of `dense_shape` with `values` at `indices` and `default` elsewhere."""
    return bind(SPARSE_TO_DENSE, indices, values, dense_shape, default=default)


# ---- a padded label matrix (pad = -1) as sparse parts ----------------------------------------


def _part_impl(dense, part):
    mask = dense >= 0
    if part == "indices":
        return np.argwhere(mask).astype(np.int64)
    if part == "values":
        return dense[mask].astype(np.int64)
    lengths = mask.sum(1)
    return np.asarray([dense.shape[0], int(lengths.max(initial=0))], np.int64)


def _part_rule(dense, part) -> AVal:
    if len(dense.shape) != 2:
        raise ShapeError(f"padded_to_sparse: expected (N, S) labels, got {fmt_shape(dense.shape)}")
    if isinstance(dense, np.ndarray):  # concrete: the shape follows from the values
        return AVal(_part_impl(dense, part).shape, _I64)
    shape = {"indices": (None, 2), "values": (None,), "shape": (2,)}[part]
    return AVal(shape, _I64)


PADDED_TO_SPARSE = register(
    Primitive(
        "padded_to_sparse",
        impl=_part_impl,
        shape_rule=_part_rule,
        reference=_part_impl,
        nondiff=(0,),
    )
)


def padded_to_sparse(dense, part: str):
    """One part ('indices', 'values' or 'shape') of -1-padded (N, S) labels as a sparse tensor."""
    return bind(PADDED_TO_SPARSE, dense, part=part)


# ---- CTC best path ---------------------------------------------------------------------------


def _greedy_impl(scores, lengths, blank, merge, part):
    from .. import ctc as CC

    paths, neg = CC.greedy_decode(scores, np.asarray(lengths), blank, merge)
    if part == "score":
        return neg.reshape(-1, 1)
    out = np.full((scores.shape[1], scores.shape[0]), -1, np.int64)
    for n, p in enumerate(paths):
        out[n, : len(p)] = p
    return out


def _greedy_rule(scores, lengths, blank, merge, part) -> AVal:
    if len(scores.shape) != 3:
        raise ShapeError(
            f"ctc_greedy_decoder: inputs must be (T, N, C), got {fmt_shape(scores.shape)}"
        )
    T, N, _ = scores.shape
    if part == "score":
        return AVal((N, 1), np.dtype(scores.dtype))
    return AVal((N, T), _I64)


CTC_GREEDY = register(
    Primitive(
        "ctc_greedy",
        impl=_greedy_impl,
        shape_rule=_greedy_rule,
        reference=_greedy_impl,
        nondiff=(0, 1),
    )
)


def ctc_greedy(scores, lengths, blank: int, merge: bool = True, part: str = "labels"):
    """Best-path labels of (T, N, C) scores as -1-padded (N, T), or (part='score') the paths'
    negative summed scores (N, 1)."""
    return bind(CTC_GREEDY, scores, lengths, blank=int(blank), merge=bool(merge), part=part)


def _beam_impl(scores, lengths, blank, merge, width, top, k, part):
    from .. import ctc as CC

    paths, lp = CC.beam_decode(scores, np.asarray(lengths), width, top, blank, merge)
    if part == "score":
        return lp.astype(scores.dtype)
    T = scores.shape[0]
    out = np.full((scores.shape[1], T), -1, np.int64)
    for n, ps in enumerate(paths):
        if k < len(ps):
            out[n, : len(ps[k])] = ps[k]
    return out


def _beam_rule(scores, lengths, blank, merge, width, top, k, part) -> AVal:
    if len(scores.shape) != 3:
        raise ShapeError(
            f"ctc_beam_search_decoder: inputs must be (T, N, C), got {fmt_shape(scores.shape)}"
        )
    T, N, _ = scores.shape
    if part == "score":
        return AVal((N, top), np.dtype(scores.dtype))
    return AVal((N, T), _I64)


CTC_BEAM = register(
    Primitive(
        "ctc_beam",
        impl=_beam_impl,
        shape_rule=_beam_rule,
        reference=_beam_impl,
        nondiff=(0, 1),
    )
)


def ctc_beam(scores, lengths, blank, merge, width, top, k=0, part="labels"):
    """Path k of a prefix beam search as -1-padded (N, T) labels, or the (N, top) log-probs."""
    return bind(
        CTC_BEAM,
        scores,
        lengths,
        blank=int(blank),
        merge=bool(merge),
        width=int(width),
        top=int(top),
        k=int(k),
        part=part,
    )


# ---- edit distance of two rank-2 sparse label batches ---------------------------------------


def _rows(idx, vals, shape, n):
    rows = [[] for _ in range(n)]
    for (r, _), v in zip(idx.tolist(), vals.tolist(), strict=True):
        if r < n:
            rows[r].append(v)
    return rows


def _ed_impl(h_idx, h_val, h_shape, t_idx, t_val, t_shape, normalize):
    from .. import ctc as CC

    hi, hv, hs = check_sparse(h_idx, h_val, h_shape, "edit_distance (hypothesis)")
    ti, tv, ts = check_sparse(t_idx, t_val, t_shape, "edit_distance (truth)")
    if hs.shape[0] != 2 or ts.shape[0] != 2:
        raise ShapeError("edit_distance: only rank-2 (batch, time) sparse labels are supported")
    n = int(max(hs[0], ts[0]))
    hyp, truth = _rows(hi, hv, hs, n), _rows(ti, tv, ts, n)
    out = np.empty(n, np.float32)
    for i in range(n):
        d = float(CC.edit_distance(hyp[i], truth[i]))
        if normalize:
            d = d / len(truth[i]) if truth[i] else (np.inf if hyp[i] else 0.0)
        out[i] = d
    return out


def _ed_rule(h_idx, h_val, h_shape, t_idx, t_val, t_shape, normalize) -> AVal:
    if isinstance(h_shape, np.ndarray) and isinstance(t_shape, np.ndarray):
        return AVal(
            (int(max(h_shape.reshape(-1)[0], t_shape.reshape(-1)[0])),), np.dtype(np.float32)
        )
    return AVal((None,), np.dtype(np.float32))


EDIT_DISTANCE = register(
    Primitive(
        "edit_distance",
        impl=_ed_impl,
        shape_rule=_ed_rule,
        reference=_ed_impl,
        nondiff=(0, 1, 2, 3, 4, 5),
    )
)


def edit_distance(h_idx, h_val, h_shape, t_idx, t_val, t_shape, normalize: bool = True):
    """Levenshtein distance per batch row of two rank-2 sparse label tensors (float32)."""
    return bind(
        EDIT_DISTANCE, h_idx, h_val, h_shape, t_idx, t_val, t_shape, normalize=bool(normalize)
    )
