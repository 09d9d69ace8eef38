"""The per-step product of the whole-sequence drivers, callable from compiled code.

A driver's time loop multiplies the carried state (or the step's gate cotangent) by a weight
matrix at every step. It calls the matmul kernels' own drivers (`matmul_gemm`) here, so each
element of the product is the chain every matmul path runs, acc = fma(a[i, k], b[k, j], acc)
for k = 0, 1, ..., K-1 from 0: the bits of `matmul`. Operands are flat read-only views (the
drivers pass read-only aliases of their own buffers) with the same types `matmul` passes, so
no new specialisation of the matmul kernels is compiled.

The weight matrix is the same at every step, so a loop packs it once for the micro-kernel
(`pack_weight`) and runs each step's product on the packed panels (`packed_matmul`): the same
tiles and the same chain per element as the matmul drivers, without repacking 4H x H values
per step.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

from .cpu_share import threads as _cpu_threads
from .matmul import PARALLEL_MIN_WORK
from .matmul_gemm import (
    KC,
    MC_PANELS,
    _cdiv,
    _col_block,
    _pack_b,
    _prepare_a,
    _run_tiles,
    batch_serial,
    gemm_parallel,
)
from .matmul_ukernel import tile_mr, tile_nr, ukernel, ukernel_packed


@njit(cache=True)
def step_matmul(a, ao, ars, b, brs, c, m, n, k, nthreads, aoffs, boffs):
    """c[:m*n] (C order) = A @ B, A[i, kk] = a[ao + i*ars + kk], B[kk, j] = b[kk*brs + j].

    aoffs and boffs are one-element int64 scratch arrays; nthreads > 1 splits the product
    over output tiles (the bits do not depend on it).
    """
    one = np.int64(1)
    direct_a = ars > 0  # A's rows are unit-stride: read in place (a run-time flag, not a literal)
    if nthreads > 1:
        gemm_parallel(a, ao, ars, one, b, boffs[0], brs, one, c, np.int64(0), m, n, k, direct_a,
                      nthreads)  # fmt: skip
    else:
        aoffs[0] = ao
        batch_serial(a, aoffs, ars, one, b, boffs, brs, one, c, m, n, k, direct_a)


@njit(cache=True)
def pack_weight(b, brs, n, k):
    """B (K x N, B[kk, j] = b[kk*brs + j]) packed for the micro-kernel, every column block one
    after the other as the matmul drivers pack one block at a time."""
    nr = tile_nr(b)
    ncb = _col_block(n, k, nr)
    total = 0
    for j0 in range(0, n, ncb):
        total += _cdiv(min(ncb, n - j0), nr) * nr * k
    bp = np.empty(max(total, 1), b.dtype)
    off = 0
    zero = np.int64(0)
    one = np.int64(1)
    for j0 in range(0, n, ncb):
        nb = _cdiv(min(ncb, n - j0), nr) * nr
        block = bp[off : off + nb * k]
        for q in range(nb // nr):
            _pack_b(b, zero, brs, one, n, k, block, j0, nb, np.int64(q))
        off += nb * k
    return bp


@njit(cache=True)
def packed_scratch(bp, m, k):
    """The A-side scratch of `packed_matmul` for an m x k operand: (packed A, edge tile)."""
    mr = tile_mr(bp)
    return np.empty(_cdiv(m, mr) * mr * k, bp.dtype), np.zeros(mr * tile_nr(bp), bp.dtype)


@njit(cache=True)
def packed_matmul(a, ao, ars, bp, c, m, n, k, ap, tmp, nthreads):
    """c[:m*n] (C order) = A @ B, A[i, kk] = a[ao + i*ars + kk], B packed by `pack_weight`;
    ap, tmp from `packed_scratch`. nthreads > 1 splits B's panels over threads (the bits do
    not depend on it)."""
    one = np.int64(1)
    direct_a = ars > 0
    _prepare_a(a, ao, ars, one, m, k, ap, direct_a)
    if nthreads > 1:
        _packed_parallel(a, ao, ars, ap, direct_a, bp, c, m, n, k)
        return
    nr = tile_nr(bp)
    npa = _cdiv(m, tile_mr(ap))
    ncb = _col_block(n, k, nr)
    zero = np.int64(0)
    off = 0
    for j0 in range(0, n, ncb):
        nq = _cdiv(min(ncb, n - j0), nr)
        nb = nq * nr
        block = bp[off : off + nb * k]
        for p0 in range(0, npa, MC_PANELS):
            p1 = min(p0 + MC_PANELS, npa)
            _run_tiles(a, ao, ars, one, ap, direct_a, block, c, zero, m, n, k, nb, j0, p0, p1,
                       zero, nq, tmp)  # fmt: skip
        off += nb * k


@njit(cache=True, parallel=True)
def _packed_parallel(a, ao, ars, ap, direct_a, bp, c, m, n, k):
    """`packed_matmul`'s product with B's panels spread over threads, A prepared once."""
    one = np.int64(1)
    zero = np.int64(0)
    nr = tile_nr(bp)
    mr = tile_mr(ap)
    npa = _cdiv(m, mr)
    ncb = _col_block(n, k, nr)
    off = 0
    for j0 in range(0, n, ncb):
        nq = _cdiv(min(ncb, n - j0), nr)
        nb = nq * nr
        block = bp[off : off + nb * k]
        for u in prange(nq):
            q = np.int64(u)  # prange indices may be unsigned: one integer type throughout
            tmp = np.zeros(mr * nr, bp.dtype)
            _run_tiles(a, ao, ars, one, ap, direct_a, block, c, zero, m, n, k, nb, j0, zero,
                       npa, q, q + 1, tmp)  # fmt: skip
        off += nb * k


@njit(cache=True)
def _tiles_from(a, ao, ars, ap, direct_a, bp, c, m, n, k, nbpad, j0, p0, p1, q0, q1, tmp):
    """The tiles of `matmul_gemm._run_tiles` (unit column stride, C at 0), except that every
    k block, the first included, loads its accumulators from C: each element's chain goes on
    from the value C holds, with the same fma per k in the same order."""
    mr = tile_mr(ap)
    nr = tile_nr(bp)
    one = np.int64(1)
    full = m // mr
    for pc in range(0, k, KC):
        kc = min(KC, k - pc)
        for q in range(q0, q1):
            j = j0 + q * nr
            cols = min(nr, n - j)
            bo = pc * nbpad + q * kc * nr
            for p in range(p0, p1):
                i = p * mr
                rows = min(mr, m - i)
                inplace = direct_a and p < full
                edge = rows < mr or cols < nr
                dst, do, ld = c, i * n + j, n
                if edge:
                    dst, do, ld = tmp, 0, nr
                    for r in range(rows):
                        for t in range(cols):
                            tmp[r * nr + t] = c[(i + r) * n + j + t]
                if inplace:
                    ukernel(kc, a, ao + i * ars + pc, one, ars, bp, bo, nr, dst, do, ld, one)
                elif direct_a:
                    ukernel_packed(kc, ap, pc * mr, mr, one, bp, bo, nr, dst, do, ld, one)
                else:
                    mpad = _cdiv(m, mr) * mr
                    ukernel_packed(kc, ap, pc * mpad + p * kc * mr, mr, one, bp, bo, nr, dst, do,
                                   ld, one)  # fmt: skip
                if edge:
                    for r in range(rows):
                        for t in range(cols):
                            c[(i + r) * n + j + t] = tmp[r * nr + t]


@njit(cache=True)
def packed_matmul_from(a, ao, ars, bp, c, m, n, k, ap, tmp, nthreads):
    """c[:m*n] (C order) += A @ B as one chain: each element goes on with acc = fma(A[i, kk],
    B[kk, j], acc) for kk = 0, ..., k-1 from the value c holds, so a product over [A0, A] by
    [B0; B] split at the seam gives the one product's bits when c holds A0 @ B0. Operands as
    in `packed_matmul`; nthreads > 1 splits B's panels over threads (same bits)."""
    one = np.int64(1)
    direct_a = ars > 0
    _prepare_a(a, ao, ars, one, m, k, ap, direct_a)
    if nthreads > 1:
        _from_parallel(a, ao, ars, ap, direct_a, bp, c, m, n, k)
        return
    nr = tile_nr(bp)
    npa = _cdiv(m, tile_mr(ap))
    ncb = _col_block(n, k, nr)
    zero = np.int64(0)
    off = 0
    for j0 in range(0, n, ncb):
        nq = _cdiv(min(ncb, n - j0), nr)
        nb = nq * nr
        block = bp[off : off + nb * k]
        for p0 in range(0, npa, MC_PANELS):
            p1 = min(p0 + MC_PANELS, npa)
            _tiles_from(a, ao, ars, ap, direct_a, block, c, m, n, k, nb, j0, p0, p1, zero, nq,
                        tmp)  # fmt: skip
        off += nb * k


@njit(cache=True, parallel=True)
def _from_parallel(a, ao, ars, ap, direct_a, bp, c, m, n, k):
    """`packed_matmul_from`'s product with B's panels spread over threads."""
    zero = np.int64(0)
    nr = tile_nr(bp)
    mr = tile_mr(ap)
    npa = _cdiv(m, mr)
    ncb = _col_block(n, k, nr)
    off = 0
    for j0 in range(0, n, ncb):
        nq = _cdiv(min(ncb, n - j0), nr)
        nb = nq * nr
        block = bp[off : off + nb * k]
        for u in prange(nq):
            q = np.int64(u)
            tmp = np.zeros(mr * nr, bp.dtype)
            _tiles_from(a, ao, ars, ap, direct_a, block, c, m, n, k, nb, j0, zero, npa, q, q + 1,
                        tmp)  # fmt: skip
        off += nb * k


# what the generated time loops add to their imports
PACKED_IMPORT_LINE = (
    "from duograd.core.kernels.rnn_seq_matmul import pack_weight, packed_matmul, packed_scratch\n"
    "from duograd.core.kernels.rnn_seq_matmul import packed_matmul_from\n"
)


def joint_chain(part: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """part + a @ b as the chains of one product: each element's fma chain over a's columns
    goes on from part's element (part: the same chains over earlier columns, e.g. [x, h] @
    [wx; wh] from x @ wx). Step-by-step form of the loops' `packed_matmul_from`."""
    m, k = a.shape
    n = b.shape[1]
    c = np.array(part, dtype=part.dtype, order="C")
    if m == 0 or n == 0 or k == 0:
        return c
    if numba.config.DISABLE_JIT:  # the micro-kernel has no plain-Python form (matmul_plain)
        wide = np.float64 if c.dtype == np.float32 else c.dtype
        for kk in range(k):
            c = (a[:, kk, None].astype(wide) * b[None, kk, :].astype(wide) + c).astype(c.dtype)
        return c
    bp = pack_weight(read_only(b), np.int64(n), np.int64(n), np.int64(k))
    ap, tmp = packed_scratch(bp, np.int64(m), np.int64(k))
    packed_matmul_from(read_only(a), np.int64(0), np.int64(k), bp, c.reshape(-1), np.int64(m),
                       np.int64(n), np.int64(k), ap, tmp, 1)  # fmt: skip
    return c


def threads_for(m: int, n: int, k: int) -> int:
    """Threads for one step's product, chosen as `matmul` chooses them (1: serial)."""
    return 1 if m * n * k < PARALLEL_MIN_WORK else _cpu_threads()


def start_pool() -> None:
    """Start numba's thread pool: a loop loaded from the cache links the parallel driver's code,
    which crashes without the pool even when the loop runs serially. Call before a loop."""
    numba.get_num_threads()


def read_only(a: np.ndarray, flat: bool = True) -> np.ndarray:
    """A read-only C-contiguous view of a (copied if a is not C-contiguous), flat by default:
    the types the compiled loops and the matmul kernels are compiled for, whatever the
    caller's array allows."""
    v = np.ascontiguousarray(a)
    v = v.reshape(-1) if flat else v.view()
    v.setflags(write=False)
    return v
