"""Weight and bias gradients of the sequence layers with the op-by-op composition's arithmetic.

A cell composed op by op multiplies its weight at every step, so the reverse sweep gives the
weight one contribution per step, a_t^T @ g_t (a_t the step's input rows, or h_{t-1}; g_t its
gate cotangents; one `matmul` with K = batch: each element the chain acc = fma(a, g, acc) over
the batch rows in order from 0), and adds them as they arrive: the last step's first, then
total = total + the step before, down to step 0. The bias gets sum-over-batch of g_t per step
(`sum_like`, the reduction kernels' order for that length), added the same way.

`weight_grad` computes exactly that in one pass. Its micro-kernel (`step_tile`, emitted as LLVM
IR like the matmul micro-kernel) holds a tile's per-step chains in registers (and with AVX-512
their running totals too; with AVX2 those stay in the result's rows, in L1): for each step,
last first, it runs the chains over the batch rows with the same fma as every matmul path and
adds them into the totals. The rows of
a are packed once into tile panels; the columns of g are read in place. So the T products cost
about what one stacked product over all T*B rows did, and the bits are the composition's.
`bias_grad` sums each step with the reduction kernels and folds the steps in the same order.
`weight_grad_steps` is the step-by-step form (one `matmul` per step), run when the JIT is off
and the reference the kernel is tested against.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic

from . import reduce as R
from .cpu_share import threads as _cpu_threads
from .matmul import _JIT_OFF, PARALLEL_MIN_WORK, matmul
from .matmul_gemm import _cdiv
from .matmul_ukernel import TILES, UNROLL, VECTOR_BITS, _dtype_key, _fma_decl

# The step tile: STEP_MR rows x STEP_NV vectors. With AVX-512 its chains and their totals sit
# in registers (2 * MR * NV, plus NV for a row of g and a broadcast: 27 of 32); AVX2's 16
# registers hold the chains of the same tile, and the totals stay in the result's rows (in L1),
# loaded and stored once per step: a tile of half the size with totals in registers ran at
# half the multiply-adds per load, 1.6x slower.
STEP_MR = 6
STEP_NV = 2
TOTALS_IN_REGISTERS = VECTOR_BITS == 512


def weight_grad_steps(a: np.ndarray, g: np.ndarray) -> np.ndarray:
    """sum over steps of a[t]^T @ g[t] (a (T, B, P), g (T, B, N)), step T-1 first, then each
    earlier step added: the reverse sweep's accumulation of per-step products."""
    total = matmul(a[-1], g[-1], transpose_a=True)
    for t in range(a.shape[0] - 2, -1, -1):
        total = total + matmul(a[t], g[t], transpose_a=True)
    return total


def _emit_steps(context, builder, signature, args, mr: int, nv: int, vl: int, in_registers: bool):
    """Emit the step-tile loops; args as documented on step_tile; the totals in registers or
    in C's rows."""
    tys = signature.args

    def as_intp(i):
        return context.cast(builder, args[i], tys[i], types.intp)

    def data(i):
        return context.make_array(tys[i])(context, builder, args[i]).data

    nsteps, kcv, aov, astep, lakv, bov, bstep, ldbv, cov, ldcv, loadv = (
        as_intp(i) for i in (0, 1, 3, 4, 5, 7, 8, 9, 11, 12, 13)
    )
    i64 = ir.IntType(64)
    i32 = ir.IntType(32)
    dtype = tys[2].dtype
    vty = ir.VectorType(context.get_value_type(dtype), vl)
    vptr = vty.as_pointer()
    align = dtype.bitwidth // 8  # panels and rows are only element-aligned
    pa0, pb0 = data(2), data(6)
    pc = builder.gep(data(10), [cov])
    vfma = _fma_decl(builder, vty)
    # allocas that mem2reg turns into registers
    accs = [[cgutils.alloca_once(builder, vty) for _ in range(nv)] for _ in range(mr)]
    undef = ir.Constant(vty, ir.Undefined)
    splat = ir.Constant(ir.VectorType(i32, vl), [0] * vl)
    zero = ir.Constant(vty, None)

    def chain(s):
        """The accumulators := the chains of step s (counted back from the last step)."""
        pa = builder.gep(pa0, [builder.sub(aov, builder.mul(s, astep))])
        pb = builder.gep(pb0, [builder.sub(bov, builder.mul(s, bstep))])
        for r in range(mr):
            for v in range(nv):
                builder.store(zero, accs[r][v])

        def step(k):
            bk = builder.gep(pb, [builder.mul(k, ldbv)])
            bvec = [
                builder.load(builder.bitcast(builder.gep(bk, [i64(v * vl)]), vptr), align=align)
                for v in range(nv)
            ]
            ak = builder.gep(pa, [builder.mul(k, lakv)])
            for r in range(mr):
                x = builder.load(builder.gep(ak, [i64(r)]), align=align)
                sv = builder.shuffle_vector(builder.insert_element(undef, x, i32(0)), undef, splat)
                for v in range(nv):
                    acc = builder.call(vfma, [sv, bvec[v], builder.load(accs[r][v])])
                    builder.store(acc, accs[r][v])

        # k in groups of UNROLL, then the rest: each chain still sees k in increasing order
        groups = builder.sdiv(kcv, i64(UNROLL))
        with cgutils.for_range(builder, groups) as loop:
            k0 = builder.mul(loop.index, i64(UNROLL))
            for u in range(UNROLL):
                step(builder.add(k0, i64(u)))
        rest = builder.sub(kcv, builder.mul(groups, i64(UNROLL)))
        with cgutils.for_range(builder, rest) as loop:
            step(builder.add(builder.mul(groups, i64(UNROLL)), loop.index))

    cptr = [
        [
            builder.bitcast(
                builder.gep(pc, [builder.add(builder.mul(ldcv, i64(r)), i64(v * vl))]), vptr
            )
            for v in range(nv)
        ]
        for r in range(mr)
    ]
    if in_registers:
        tots = [[cgutils.alloca_once(builder, vty) for _ in range(nv)] for _ in range(mr)]
    else:
        tots = cptr  # the totals live in C's rows

    def load(ptr):
        return builder.load(ptr, align=align)

    def store(val, ptr):
        builder.store(val, ptr, align=align)

    loading = builder.icmp_signed("!=", loadv, i64(0))
    with builder.if_else(loading) as (then, otherwise):
        with then:  # the totals of the later steps, from C: every step here is added
            if in_registers:
                for r in range(mr):
                    for v in range(nv):
                        store(load(cptr[r][v]), tots[r][v])
        with otherwise:  # the first arrival is taken as it is, as the sweep takes it
            chain(i64(0))
            for r in range(mr):
                for v in range(nv):
                    store(builder.load(accs[r][v]), tots[r][v])
    first = builder.select(loading, i64(0), i64(1))
    with cgutils.for_range(builder, builder.sub(nsteps, first)) as loop:
        chain(builder.add(loop.index, first))
        for r in range(mr):
            for v in range(nv):  # a plain fadd: one rounding, as the sweep's add
                store(builder.fadd(load(tots[r][v]), builder.load(accs[r][v])), tots[r][v])
    if in_registers:
        for r in range(mr):
            for v in range(nv):
                store(load(tots[r][v]), cptr[r][v])
    return context.get_dummy_value()


@intrinsic
def step_tile(typingctx, nsteps, kc, ap, ao, astep, lak, bp, bo, bstep, ldb, c, co, ldc, load):
    """C[MR, NR] = the sum over steps s = 0..nsteps-1 of A_s @ B_s: step 0's product as it is,
    each later one added (one rounding each); with load != 0, C's values plus every step, in
    order (the totals of the steps before, continued exactly: C has the totals' dtype). Each
    element of A_s @ B_s is the chain acc = fma(A_s[r, k], B_s[k, j], acc) over k = 0..kc-1
    from 0, as every matmul path runs it.

    A_s[r, k] = ap[ao - s * astep + k * lak + r]; row k of B_s is the NR contiguous elements at
    bp[bo - s * bstep + k * ldb]; C's rows at c[co + r * ldc]."""
    vl = TILES[_dtype_key(ap)][2]

    def codegen(context, builder, signature, args):
        return _emit_steps(
            context, builder, signature, args, STEP_MR, STEP_NV, vl, TOTALS_IN_REGISTERS
        )

    sig = types.void(nsteps, kc, ap, ao, astep, lak, bp, bo, bstep, ldb, c, co, ldc, load)
    return sig, codegen


@njit(cache=True)
def _step_nr(a) -> int:
    """Columns of the step tile for a's dtype."""
    return STEP_NV * (VECTOR_BITS // (a.itemsize * 8))


# Steps are taken in blocks of about this many rows (steps x batch): a block's rows of a for
# every tile and one column panel of g stay in cache while the tiles pass them.
BLOCK_ROWS = 256


@njit(cache=True)
def _pack_rows(a, r0, nrows, p, ap):
    """Rows r0..r0+nrows-1 of a (row-major, p columns) into ap as panels of STEP_MR columns
    [panel][row][r], the columns past p zero: a tile reads its rows contiguously."""
    mr = STEP_MR
    npt = _cdiv(p, mr)
    for s in range(nrows):
        src = a[(r0 + s) * p : (r0 + s) * p + p]
        for pt in range(npt):
            d = (pt * nrows + s) * mr
            p0 = pt * mr
            for r in range(mr):
                ap[d + r] = src[p0 + r] if p0 + r < p else 0


@njit(cache=True)
def _columns(ap, g, out, t0, nsteps, b, p, n, q0, q1, bq, tot, load):
    """Column panels q0..q1-1 of the result over steps t0 + nsteps - 1 down to t0 (ap holds
    those steps' rows packed), into out (added to it with load != 0); g's columns are read in
    place, an edge panel copied zero-padded."""
    mr = STEP_MR
    nr = _step_nr(g)
    npt = _cdiv(p, mr)
    nrows = nsteps * b
    last = nsteps - 1
    go = (t0 + last) * b * n
    for q in range(q0, q1):
        n0 = q * nr
        cols = min(nr, n - n0)
        if cols < nr:
            for s in range(nrows):
                for j in range(nr):
                    bq[s * nr + j] = g[(t0 * b + s) * n + n0 + j] if j < cols else 0
        for pt in range(npt):
            p0 = pt * mr
            rows = min(mr, p - p0)
            ao = (pt * nrows + last * b) * mr
            if cols == nr and rows == mr:
                step_tile(nsteps, b, ap, ao, b * mr, mr, g, go + n0, b * n, n,
                          out, p0 * n + n0, n, load)  # fmt: skip
                continue
            if load:
                for r in range(mr):
                    for j in range(nr):
                        inside = r < rows and j < cols
                        tot[r * nr + j] = out[(p0 + r) * n + n0 + j] if inside else 0
            if cols == nr:
                step_tile(nsteps, b, ap, ao, b * mr, mr, g, go + n0, b * n, n,
                          tot, 0, nr, load)  # fmt: skip
            else:
                step_tile(nsteps, b, ap, ao, b * mr, mr, bq, last * b * nr, b * nr, nr,
                          tot, 0, nr, load)  # fmt: skip
            for r in range(rows):
                for j in range(cols):
                    out[(p0 + r) * n + n0 + j] = tot[r * nr + j]


@njit(cache=True)
def _block_steps(t_len, b):
    """Steps per block (at least one)."""
    return max(1, min(t_len, BLOCK_ROWS // max(b, 1)))


@njit(cache=True)
def _serial(a, g, out, t_len, b, p, n):
    """The whole result on this thread: step blocks from the last, each over every tile."""
    sb = _block_steps(t_len, b)
    nr = _step_nr(g)
    ap = np.empty(_cdiv(p, STEP_MR) * STEP_MR * sb * b, a.dtype)
    bq = np.empty(sb * b * nr, g.dtype)
    tot = np.empty(STEP_MR * nr, g.dtype)
    hi = t_len
    while hi > 0:
        t0 = max(0, hi - sb)
        _pack_rows(a, t0 * b, (hi - t0) * b, p, ap)
        _columns(ap, g, out, t0, hi - t0, b, p, n, 0, _cdiv(n, nr), bq, tot,
                 np.int64(hi < t_len))  # fmt: skip
        hi = t0


@njit(cache=True, parallel=True)
def _parallel(a, g, out, t_len, b, p, n, nthreads):
    """As `_serial`, each step block's column panels in nthreads contiguous ranges, one per
    thread (the bits do not depend on it)."""
    sb = _block_steps(t_len, b)
    nr = _step_nr(g)
    nq = _cdiv(n, nr)
    ap = np.empty(_cdiv(p, STEP_MR) * STEP_MR * sb * b, a.dtype)
    bqs = np.empty((nthreads, sb * b * nr), g.dtype)
    tots = np.empty((nthreads, STEP_MR * nr), g.dtype)
    hi = t_len
    while hi > 0:
        t0 = max(0, hi - sb)
        _pack_rows(a, t0 * b, (hi - t0) * b, p, ap)
        load = np.int64(hi < t_len)
        for u in prange(nthreads):
            w = np.int64(u)
            _columns(ap, g, out, t0, hi - t0, b, p, n, w * nq // nthreads,
                     (w + 1) * nq // nthreads, bqs[w], tots[w], load)  # fmt: skip
        hi = t0


def weight_grad(a: np.ndarray, g: np.ndarray) -> np.ndarray:
    """The (P, N) weight gradient sum_t a[t]^T @ g[t] of a weight met at every step (a (T, B, P)
    the step's input rows, g (T, B, N) its cotangents), with the composition's bits."""
    t_len, b, p = a.shape
    n = g.shape[-1]
    if g.shape[:2] != (t_len, b) or g.dtype != a.dtype:
        raise ValueError(
            f"weight_grad: inputs {a.shape} {a.dtype} and cotangents {g.shape} {g.dtype} "
            "must share steps, batch and dtype"
        )
    if t_len == 0 or b == 0 or p == 0 or n == 0:
        return np.zeros((p, n), a.dtype)
    if _JIT_OFF:
        return weight_grad_steps(a, g)
    af = np.ascontiguousarray(a).reshape(-1)
    gf = np.ascontiguousarray(g).reshape(-1)
    out = np.empty(p * n, a.dtype)
    nthreads = _cpu_threads() if t_len * b * p * n >= PARALLEL_MIN_WORK else 1
    nthreads = min(nthreads, -(-n // (STEP_NV * TILES[str(a.dtype)][2])))
    if nthreads > 1:
        _parallel(af, gf, out, t_len, b, p, n, nthreads)
    else:
        _serial(af, gf, out, t_len, b, p, n)
    return out.reshape(p, n)


def bias_grad(g: np.ndarray) -> np.ndarray:
    """The (N,) bias gradient of a bias added at every step: each step's sum over the batch
    (the reduction kernels' order, as `sum_like` sums it), step T-1 first, earlier ones added."""
    t_len, _, n = g.shape
    if t_len == 0:
        return np.zeros(n, g.dtype)
    per = R.reduce("sum", g, (1,))
    total = per[t_len - 1].copy()
    for t in range(t_len - 2, -1, -1):
        total += per[t]
    return total
