"""Band and diagonal matrices, cross products, rolls, reversal of sequences, segment means and
products, and writes of rows into tensors (tensor_scatter_nd_*), written once with core
operations.

They take arrays or symbolic values alike, so either frontend runs the same primitives in the
same order; gradients follow from the core rules of the steps (selects, gathers and the
scatter-add primitive).
"""

from __future__ import annotations

import numpy as np

from . import ops
from .domain import check_dim
from .primitives.nn import scatter_add_like


def _c(value, like):
    return ops.scalar(value, like)


def _static_dims(op: str, x, count: int) -> list:
    dims = list(x.shape)[-count:] if count else list(x.shape)
    if any(d is None for d in dims):
        raise ValueError(
            f"{op}: the last {count} dimensions of {x} must be known when the graph is built"
        )
    return [int(d) for d in dims]


def band_mask(rows, cols, num_lower, num_upper):
    """bool [m, n]: (num_lower < 0 or i - j <= num_lower) and (num_upper < 0 or j - i <=
    num_upper), for int row and column numbers `rows` [m] and `cols` [n]."""
    i = ops.expand_dims(rows, 1)
    j = ops.expand_dims(cols, 0)
    below = ops.sub(i, j)
    above = ops.sub(j, i)

    def within(dist, limit):
        if isinstance(limit, (int, np.integer)):
            if limit < 0:
                return ops.greater_equal(ops.mul(dist, _c(0, dist)), _c(0, dist))  # all true
            return ops.less_equal(dist, _c(int(limit), dist))
        limit = ops.cast(limit, np.dtype(dist.dtype))
        return ops.where(ops.less(limit, _c(0, limit)), ops.greater_equal(dist, dist),
                         ops.less_equal(dist, limit))  # fmt: skip

    lo, up = within(below, num_lower), within(above, num_upper)
    return ops.where(lo, up, lo)


def matrix_band_part(x, num_lower, num_upper, rows=None, cols=None):
    """x with the entries outside the band set to zero (the band: num_lower diagonals below,
    num_upper above; negative keeps that whole triangle). `rows`/`cols` are the run-time row and
    column numbers when the last two dims are not known at build time."""
    if rows is None or cols is None:
        m, n = _static_dims("matrix_band_part", x, 2)
        rows, cols = np.arange(m, dtype=np.int64), np.arange(n, dtype=np.int64)
    keep = band_mask(rows, cols, num_lower, num_upper)
    return ops.where(keep, x, ops.scalar(0, x))


def matrix_diag(d):
    """[..., n] -> [..., n, n] with d on the diagonal, zeros elsewhere."""
    (n,) = _static_dims("matrix_diag", d, 1)
    eye = np.eye(n, dtype=bool)
    return ops.where(eye, ops.expand_dims(d, -1), ops.scalar(0, d))


def matrix_diag_part(x):
    """[..., m, n] -> [..., min(m, n)]: the main diagonal."""
    m, n = _static_dims("matrix_diag_part", x, 2)
    k = min(m, n)
    eye = np.eye(m, n, dtype=bool)
    picked = ops.sum(ops.where(eye, x, ops.scalar(0, x)), (-1,), False)  # [..., m]
    return picked if k == m else ops.getitem(picked, (Ellipsis, slice(0, k)))


def matrix_set_diag(x, d):
    """x with its main diagonal replaced by d ([..., min(m, n)])."""
    m, n = _static_dims("matrix_set_diag", x, 2)
    k = min(m, n)
    (dk,) = _static_dims("matrix_set_diag", d, 1)
    if dk != k:
        raise ValueError(
            f"matrix_set_diag: the diagonal {d} must have {k} entries (min of {m} and {n})"
        )
    eye = np.eye(m, n, dtype=bool)
    if k < n:  # pad the diagonal to n entries; the pad lies off the diagonal, never selected
        pad = ops.stop_gradient(ops.mul(ops.getitem(x, (Ellipsis, 0, slice(k, n))), _c(0, x)))
        d = ops.concat([d, pad], -1)
    full = ops.expand_dims(d, -2)  # [..., 1, n]: entry (i, i) reads d[i]
    return ops.where(eye, full, x)


def matrix_transpose(x):
    """x with its last two axes swapped."""
    rank = len(x.shape)
    if rank < 2:
        raise ValueError(f"matrix_transpose: x must have rank >= 2, got {x}")
    return ops.transpose(x, tuple(range(rank - 2)) + (rank - 1, rank - 2))


def cross(a, b):
    """The cross product of 3-vectors along the last axis (broadcast over the rest)."""
    for v in (a, b):
        if not len(v.shape) or v.shape[-1] != 3:
            raise ValueError(f"cross: the last dimension of {v} must be 3")

    def part(v, i):
        return ops.getitem(v, (Ellipsis, i))

    a0, a1, a2 = (part(a, i) for i in range(3))
    b0, b1, b2 = (part(b, i) for i in range(3))
    return ops.stack(
        [
            ops.sub(ops.mul(a1, b2), ops.mul(a2, b1)),
            ops.sub(ops.mul(a2, b0), ops.mul(a0, b2)),
            ops.sub(ops.mul(a0, b1), ops.mul(a1, b0)),
        ],
        -1,
    )


def roll(x, shifts, axes):
    """x shifted cyclically by shifts[k] along axes[k] (entries leaving one end re-enter at the
    other); the lengths rolled must be known."""
    rank = len(x.shape)
    total: dict[int, int] = {}
    for s, a in zip(shifts, axes, strict=True):
        if not -rank <= int(a) < rank:
            raise ValueError(f"roll: axis {a} is out of range for a tensor of rank {rank}")
        a = int(a) % rank
        total[a] = total.get(a, 0) + int(s)
    out = x
    for a, s in total.items():
        n = x.shape[a]
        if n is None:
            raise ValueError(f"roll: the length of axis {a} of {x} must be known")
        if n == 0 or s % n == 0:
            continue
        cut = n - s % n
        head = ops.getitem(out, (slice(None),) * a + (slice(0, cut),))
        tail = ops.getitem(out, (slice(None),) * a + (slice(cut, None),))
        out = ops.concat([tail, head], a)
    return out


def reverse_sequence(x, lengths, seq_axis: int, batch_axis: int):
    """For each batch entry b, the first lengths[b] steps along seq_axis reversed, the rest kept;
    the sequence length must be known, the lengths are run-time values."""
    rank = len(x.shape)
    sa = check_dim("reverse_sequence", int(seq_axis), rank, "seq_axis")
    ba = check_dim("reverse_sequence", int(batch_axis), rank, "batch_axis")
    if sa == ba:
        raise ValueError(f"reverse_sequence: seq_axis and batch_axis are both {seq_axis}")
    t = x.shape[sa]
    if t is None:
        raise ValueError(f"reverse_sequence: the length of axis {sa} of {x} must be known")
    t = int(t)
    perm = [ba, sa] + [d for d in range(rank) if d not in (ba, sa)]
    xt = ops.transpose(x, tuple(perm))  # [B, T, ...]
    steps = np.arange(t, dtype=np.int64)
    lens = ops.expand_dims(ops.cast(lengths, np.int64), 1)  # [B, 1]
    src = ops.where(ops.less(steps, lens), ops.sub(ops.sub(lens, _c(1, lens)), steps),
                    ops.add(ops.mul(lens, _c(0, lens)), steps))  # fmt: skip
    rest = rank - 2
    # picks[b, t, s] = (s == src[b, t]); out[b, t] = sum over s of picks * x[b, s]
    picks = ops.equal(ops.expand_dims(src, 2), steps.reshape(1, 1, t))
    picks = ops.reshape(picks, (-1, t, t) + (1,) * rest) if rest else picks
    chosen = ops.where(picks, ops.expand_dims(xt, 1), ops.scalar(0, x))
    out = ops.sum(chosen, (2,), False)
    inverse = tuple(int(i) for i in np.argsort(perm))
    return ops.transpose(out, inverse)


def segment_counts(ids, num_segments: int, dtype):
    """How many rows each segment 0..num_segments-1 holds (as `dtype`), as a [K] tensor; rows
    with a negative id count nowhere."""
    like = np.zeros((num_segments,), dtype)
    zero = np.zeros((), np.dtype(ids.dtype))
    keep = ops.greater_equal(ids, zero)
    ones = ops.where(keep, ops.scalar(1, like), ops.scalar(0, like))
    return scatter_add_like(ones, like, ops.where(keep, ids, zero), 0)


def last_of_repeats(flat):
    """bool [n]: True for the last occurrence of each row number in `flat` (n known), so a
    write of repeated rows keeps the last update, as a sequential loop would."""
    n = int(flat.shape[0])
    same = ops.equal(ops.expand_dims(flat, 1), ops.expand_dims(flat, 0))  # [j, k]
    later = ops.where(np.triu(np.ones((n, n), bool), 1), same, np.zeros((), bool))
    count = ops.sum(ops.cast(later, np.int32), (1,), False)
    return ops.equal(count, ops.scalar(0, count))


def segment_prod(x, ids, num_segments: int):
    """out[k] = product of the rows x[i] with ids[i] == k (1 for an empty segment); the number
    of rows must be known (they are multiplied in order, one at a time)."""
    n = x.shape[0]
    if n is None:
        raise ValueError(f"segment_prod: the number of rows of {x} must be known")
    k = int(num_segments)
    rest = len(x.shape) - 1
    hit = ops.equal(ops.expand_dims(ids, 1), np.arange(k, dtype=np.dtype(ids.dtype)))  # [N, K]
    hit = ops.reshape(hit, (-1, k) + (1,) * rest) if rest else hit
    factors = ops.where(hit, ops.expand_dims(x, 1), ops.scalar(1, x))  # [N, K, ...]
    from .math_compose import prod

    if n == 0:
        return ops.sum(factors, (0,), False)
    return prod(factors, (0,), False)


def scatter_rows(tensor, flat, updates, mode: str):
    """`tensor` viewed as [rows, ...] with `updates` [k, ...] written at the row numbers `flat`:
    mode "update" replaces (of repeated rows, the last update wins), "add" adds, "sub" subtracts
    (repeated rows add up), "max"/"min" keep the larger/smaller, "mul"/"div" multiply/divide
    (for these four the rows must be distinct)."""
    like = ops.mul(tensor, ops.scalar(0, tensor))
    if np.dtype(flat.dtype) != np.int64:
        flat = ops.cast(flat, np.int64)
    if mode == "update" and flat.shape[0] is not None and int(flat.shape[0]) > 1:
        last = ops.reshape(last_of_repeats(flat), (-1,) + (1,) * (len(updates.shape) - 1))
        updates = ops.where(last, updates, ops.scalar(0, updates))
    summed = scatter_add_like(updates, like, flat, 0)
    if mode == "add":
        return ops.add(tensor, summed)
    if mode == "sub":
        return ops.sub(tensor, summed)
    count_like = np.zeros((tensor.shape[0],), np.int32) if tensor.shape[0] is not None else None
    if count_like is None:
        raise ValueError(f"scatter: the number of rows of {tensor} must be known")
    hits = segment_counts(flat, int(tensor.shape[0]), np.int32)
    rest = len(tensor.shape) - 1
    hit = ops.greater(ops.reshape(hits, (-1,) + (1,) * rest), np.int32(0))
    if mode == "update":
        return ops.where(hit, summed, tensor)
    if mode == "max":
        return ops.where(hit, ops.maximum(tensor, summed), tensor)
    if mode == "min":
        return ops.where(hit, ops.minimum(tensor, summed), tensor)
    if mode == "mul":
        return ops.where(hit, ops.mul(tensor, summed), tensor)
    if mode == "div":
        safe = ops.where(hit, summed, ops.scalar(1, tensor))
        return ops.where(hit, ops.div(tensor, safe), tensor)
    raise ValueError(f"scatter: unknown mode {mode!r}")


def batch_gather(params, indices, batch_dims: int):
    """params[b..., indices[b..., j...]]: a gather along axis `batch_dims` done separately for
    each index b of the first `batch_dims` axes (shared by params and indices; all known but
    the trailing dims of indices)."""
    from .primitives.bounds import index_bounds

    bd = int(batch_dims)
    lead = list(params.shape[: bd + 1])
    if len(params.shape) <= bd or len(indices.shape) < bd or any(d is None for d in lead):
        raise ValueError(
            f"gather: with batch_dims={bd} the first {bd + 1} dims of params {params} must be "
            f"known, and indices {indices} must have rank >= {bd}"
        )
    if list(indices.shape[:bd]) != lead[:bd]:
        raise ValueError(
            f"gather: the batch dims of params {params} and indices {indices} must match"
        )
    rest = tuple(params.shape[bd + 1 :])
    if any(d is None for d in rest):
        raise ValueError(f"gather: the dims after the gathered axis of {params} must be known")
    p = int(lead[bd])
    batch = int(np.prod(lead[:bd]))
    dt = np.dtype(indices.dtype)
    checked = index_bounds(indices, "gather", "indices", (p,), low=0)
    tail = len(indices.shape) - bd
    offsets = (np.arange(batch, dtype=dt) * p).reshape(tuple(lead[:bd]) + (1,) * tail)
    flat = ops.reshape(params, (batch * p,) + rest)
    return ops.gather(flat, ops.add(checked, offsets), 0)


def searchsorted(sorted_sequence, values, side: str = "left"):
    """For each value, how many entries of its row of sorted_sequence lie below it ("left": <,
    "right": <=), i.e. where it would be inserted to keep the row sorted (int64)."""
    seq = ops.expand_dims(sorted_sequence, -2)  # [..., 1, N]
    val = ops.expand_dims(values, -1)  # [..., M, 1]
    below = ops.less(seq, val) if side == "left" else ops.less_equal(seq, val)
    return ops.sum(ops.cast(below, np.int64), (-1,), False)


def _int_floordiv(x, d: int):
    """x // d for non-negative integers x (exact below 2**52) and a positive Python int d."""
    q = ops.floor(ops.div(ops.cast(x, np.float64), np.float64(d)))
    return ops.cast(q, np.dtype(x.dtype))


def unravel_index(indices, dims: list):
    """The coordinates, in an array of shape `dims`, of each flat row-major index: shape
    [len(dims)] + indices.shape."""
    dt = np.dtype(indices.dtype)
    coords = []
    stride = int(np.prod(dims))
    for d in dims:
        stride //= int(d)
        q = _int_floordiv(indices, stride) if stride > 1 else indices
        coords.append(ops.sub(q, ops.mul(_int_floordiv(q, int(d)), np.asarray(d, dt))))
    return ops.stack(coords, 0)


def histogram_bins(values, lo, hi, nbins: int):
    """The bin (0..nbins-1) of each value for nbins equal bins on [lo, hi]; values below lo go
    to bin 0, values at or above hi to the last (int32)."""
    v = values
    span = ops.sub(hi, lo)
    scaled = ops.div(ops.sub(v, lo), span)
    idx = ops.floor(ops.mul(scaled, ops.scalar(nbins, v)))
    idx = ops.minimum(ops.maximum(idx, ops.scalar(0, v)), ops.scalar(nbins - 1, v))
    return ops.cast(idx, np.int32)


def count_values(ids, length: int, weights=None, dtype=np.int32):
    """out[k] = how many entries of ids equal k (or the sum of their weights), k < length;
    ids outside [0, length) count nowhere."""
    flat = ops.reshape(ids, (-1,))
    hit = ops.equal(ops.expand_dims(flat, 1), np.arange(length, dtype=np.dtype(flat.dtype)))
    if weights is None:
        return ops.cast(ops.sum(ops.cast(hit, np.int64), (0,), False), dtype)
    w = ops.expand_dims(ops.reshape(weights, (-1,)), 1)
    return ops.sum(ops.where(hit, w, ops.scalar(0, w)), (0,), False)


def extract_patches(images, ksizes: tuple, strides: tuple, rates: tuple, padding: str):
    """[B, H, W, C] -> [B, oh, ow, kh * kw * C]: each output pixel holds its (dilated) window,
    rows of the window first, then columns, then channels (TF's extract_image_patches)."""
    b, h, w, c = (int(d) if d is not None else None for d in images.shape)
    if h is None or w is None or c is None:
        raise ValueError(f"extract_image_patches: H, W and C of {images} must be known")
    (kh, kw), (sh, sw), (rh, rw) = ksizes, strides, rates
    eh, ew = (kh - 1) * rh + 1, (kw - 1) * rw + 1  # the dilated window
    if padding == "VALID":
        oh, ow = (h - eh) // sh + 1, (w - ew) // sw + 1
        top = left = 0
        x = images
    else:
        oh, ow = -(-h // sh), -(-w // sw)
        ph, pw = max((oh - 1) * sh + eh - h, 0), max((ow - 1) * sw + ew - w, 0)
        top, left = ph // 2, pw // 2
        x = images
        if ph:
            z = ops.fill_like(ops.getitem(x, (slice(None), slice(0, 1))), 0.0)
            x = ops.concat([z] * top + [x] + [z] * (ph - top), 1)
        if pw:
            z = ops.fill_like(ops.getitem(x, (slice(None), slice(None), slice(0, 1))), 0.0)
            x = ops.concat([z] * left + [x] + [z] * (pw - left), 2)
    if oh <= 0 or ow <= 0:
        raise ValueError(f"extract_image_patches: the window is larger than {images}")
    pieces = []
    for i in range(kh):
        for j in range(kw):
            r0, c0 = i * rh, j * rw
            pieces.append(
                ops.getitem(
                    x,
                    (
                        slice(None),
                        slice(r0, r0 + (oh - 1) * sh + 1, sh),
                        slice(c0, c0 + (ow - 1) * sw + 1, sw),
                        slice(None),
                    ),
                )
            )
    return ops.concat(pieces, 3)


def _zero_pad(x, axis: int, before: int, after: int):
    if not before and not after:
        return x
    edge = ops.getitem(x, (slice(None),) * axis + (slice(0, 1),))
    zero = ops.fill_like(edge, 0.0)
    return ops.concat([zero] * before + [x] + [zero] * after, axis)


def space_to_batch_nd(x, block: list, paddings: list):
    """Zero-pad the M spatial dims after the batch, cut them into blocks of `block`, and move
    each block offset into the batch: [B, *S, *rest] -> [B * prod(block), *S_padded/block,
    *rest] (known shapes)."""
    dims = [int(d) if d is not None else None for d in x.shape]
    m = len(block)
    if any(d is None for d in dims[1:]) or len(dims) < m + 1:
        raise ValueError(f"space_to_batch_nd: the dims after the batch of {x} must be known")
    for k, (a, b) in enumerate(paddings):
        x = _zero_pad(x, k + 1, int(a), int(b))
    padded = [dims[k + 1] + int(paddings[k][0]) + int(paddings[k][1]) for k in range(m)]
    for k in range(m):
        if padded[k] % block[k]:
            raise ValueError(
                f"space_to_batch_nd: padded dim {k + 1} ({padded[k]}) is not a multiple of the "
                f"block size {block[k]}"
            )
    rest = dims[m + 1 :]
    split = [-1]
    for k in range(m):
        split += [padded[k] // block[k], block[k]]
    x = ops.reshape(x, tuple(split + rest))
    perm = [2 + 2 * k for k in range(m)] + [0] + [1 + 2 * k for k in range(m)]
    perm += list(range(1 + 2 * m, 1 + 2 * m + len(rest)))
    x = ops.transpose(x, tuple(perm))
    return ops.reshape(x, tuple([-1] + [padded[k] // block[k] for k in range(m)] + rest))


def batch_to_space_nd(x, block: list, crops: list):
    """The inverse of space_to_batch_nd: move the block offsets out of the batch back into the
    M spatial dims, then crop: [B * prod(block), *S, *rest] -> [B, *(S * block - crops), *rest]."""
    dims = [int(d) if d is not None else None for d in x.shape]
    m = len(block)
    if any(d is None for d in dims[1:]) or len(dims) < m + 1:
        raise ValueError(f"batch_to_space_nd: the dims after the batch of {x} must be known")
    spatial, rest = dims[1 : m + 1], dims[m + 1 :]
    x = ops.reshape(x, tuple(list(block) + [-1] + spatial + rest))
    perm = [m]
    for k in range(m):
        perm += [m + 1 + k, k]
    perm += list(range(2 * m + 1, 2 * m + 1 + len(rest)))
    x = ops.transpose(x, tuple(perm))
    x = ops.reshape(x, tuple([-1] + [spatial[k] * block[k] for k in range(m)] + rest))
    index = [slice(None)]
    for k in range(m):
        a, b = int(crops[k][0]), int(crops[k][1])
        index.append(slice(a, spatial[k] * block[k] - b))
    return ops.getitem(x, tuple(index))


def _first_occurrences(x):
    """(eq [n, n], first [n]): eq[i, j] = x[i] == x[j]; first[i] = no earlier j has x[j] ==
    x[i] (n known)."""
    n = int(x.shape[0])
    eq = ops.equal(ops.expand_dims(x, 1), ops.expand_dims(x, 0))
    earlier = ops.where(np.tril(np.ones((n, n), bool), -1), eq, np.zeros((), bool))
    count = ops.sum(ops.cast(earlier, np.int32), (1,), False)
    return eq, ops.equal(count, ops.scalar(0, count))


def unique(x, out_dtype=np.int32):
    """(y, idx, counts): the distinct values of 1-D x in order of first appearance (a run-time
    length), the position in y of each x[i], and how often each y value occurs."""
    from .primitives.masking import boolean_mask

    if len(x.shape) != 1 or x.shape[0] is None:
        raise ValueError(f"unique: x must be 1-D of known length, got {x}")
    n = int(x.shape[0])
    eq, first = _first_occurrences(x)
    y = ops.stop_gradient(boolean_mask(x, first, 0))  # TF defines no gradient for unique
    # how many first occurrences lie strictly before each position
    before = ops.where(np.tril(np.ones((n, n), bool), -1), ops.expand_dims(first, 0),
                       np.zeros((), bool))  # fmt: skip
    rank = ops.sum(ops.cast(before, np.int64), (1,), False)  # [n]
    first_pos = ops.argmax(ops.cast(eq, np.int32), 1)  # the first j with x[j] == x[i]
    idx = ops.cast(ops.gather(rank, first_pos, 0), out_dtype)
    per_value = ops.sum(ops.cast(eq, np.int64), (0,), False)  # occurrences of x[j]
    counts = ops.cast(boolean_mask(per_value, first, 0), out_dtype)
    return y, idx, counts


def setdiff1d(x, y, out_dtype=np.int32):
    """(out, idx): the entries of 1-D x not in y, in order (a run-time length), and their
    positions in x."""
    from .primitives.masking import boolean_mask

    if len(x.shape) != 1 or x.shape[0] is None:
        raise ValueError(f"setdiff1d: x must be 1-D of known length, got {x}")
    n = int(x.shape[0])
    hit = ops.equal(ops.expand_dims(x, 1), ops.expand_dims(ops.reshape(y, (-1,)), 0))
    found = ops.sum(ops.cast(hit, np.int32), (1,), False)
    keep = ops.equal(found, ops.scalar(0, found))
    return boolean_mask(x, keep, 0), boolean_mask(np.arange(n, dtype=out_dtype), keep, 0)
