"""Matrix multiplication kernels: batched, any strides, bitwise reproducible across layouts.

The contract every path keeps: C[i, j] is the chain acc = fma(op(a)[i, k], op(b)[k, j], acc)
over k = 0, 1, ..., K-1 from acc = 0, one rounding per step. Its order depends on K alone,
so results do not change with thread count, transpose flags, strides, tile position, M, N,
batch index, the serial/parallel choice, or the host's SIMD width (AVX2 and AVX-512 tiles
differ in shape, not in bits). Speed comes from packing panels and a register-tiled
micro-kernel (matmul_ukernel), blocked and spread over output tiles (matmul_gemm), with a
no-packing path for products of a few rows (matmul_direct) and a four-argument kernel for
products of a few thousand multiply-adds (matmul_tiny).
"""

import numba
import numpy as np
from numba.core import config

from . import matmul_direct as _direct
from . import matmul_gemm as _gemm
from . import matmul_narrow as _narrow
from . import matmul_plain as _plain
from .cpu_share import threads as _cpu_threads
from .matmul_tiny import TINY_MAX_WORK, tiny
from .matmul_ukernel import NARROW_MR, TILES

__all__ = ["matmul", "matmul_out", "plan", "run_plan"]

# Below this many multiply-adds in total the call runs on one thread: a parallel region
# costs a few microseconds, more than the whole product at these sizes.
PARALLEL_MIN_WORK = 1 << 18
# A batch item at least this big is split across threads by itself; smaller items are
# handed out whole, one per thread.
SPLIT_MIN_WORK = 1 << 21
# Products with at most MR rows of C per item and unit-stride rows of op(b) read both
# operands in place instead of packing them (see matmul_direct).
_MR = {np.dtype(k).itemsize: v[0] for k, v in TILES.items()}  # keyed by itemsize: fast
# Products at most one vector wide (VL columns) with at least NARROW_MR rows take the narrow
# tile (matmul_narrow), which wastes no lanes on them.
_VL = {np.dtype(k).itemsize: v[2] for k, v in TILES.items()}
# Products at most this wide read op(a) in place whatever its layout (see _run).
DIRECT_A_MAX_N = 64
# Tests pin the execution path ("serial", "batch", "split", "direct", "direct_parallel")
# and whether op(a) is packed, to check that every choice gives the same bits.
_force_path: str | None = None
_force_direct_a: bool | None = None

_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_DTYPES = (_F32, _F64)


def _flat(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, int, int]:
    """(x or a copy, read-only 1-D view over its memory, offset of [0, ...], last two strides).

    Lets one compiled kernel per dtype read any layout (views, transposes, negative or zero
    strides) without copying; only unaligned data or strides that are not whole elements
    force a copy.
    """
    isz = x.itemsize
    flags = x.flags
    if not flags.aligned:  # numba compiles unaligned arrays separately: copy the rare case
        return _flat(x.copy())
    if flags.c_contiguous:
        flat = x.ravel()  # a view for contiguous x, and the cheapest way to get one
        off = 0
    elif flags.f_contiguous:
        flat = x.T.ravel()
        off = 0
    else:
        if any(s % isz for s in x.strides):  # misaligned strides cannot be indexed in elements
            return _flat(np.ascontiguousarray(x))
        lo = sum((n - 1) * s for n, s in zip(x.shape, x.strides, strict=True) if s < 0)
        hi = sum((n - 1) * s for n, s in zip(x.shape, x.strides, strict=True) if s > 0)
        # A view whose first element sits at the lowest address the array touches.
        low = x[tuple(slice(None, None, -1) if s < 0 else slice(None) for s in x.strides)]
        flat = np.lib.stride_tricks.as_strided(low, ((hi - lo) // isz + 1,), (isz,))
        off = -lo // isz
    # Always read-only, so callers' writeable and read-only inputs share one specialisation.
    flat.setflags(write=False)
    return x, flat, off, x.strides[-2] // isz, x.strides[-1] // isz


def _batch_offsets(x: np.ndarray, batch: tuple[int, ...], base: int) -> np.ndarray:
    """Element offset of each broadcast batch item of x, in C order over the batch shape."""
    if not batch:
        return np.array([base], dtype=np.int64)
    lead = x.ndim - 2
    offs = np.array(base, dtype=np.int64)
    for d, n in enumerate(batch):
        xd = d - (len(batch) - lead)
        s = x.strides[xd] // x.itemsize if xd >= 0 and x.shape[xd] != 1 else 0
        offs = offs[..., None] + np.arange(n, dtype=np.int64) * s
    return offs.reshape(-1)


def _check(a: np.ndarray, b: np.ndarray, transpose_a: bool, transpose_b: bool):
    """Validate operands; return (batch shape, M, N, K)."""
    if not isinstance(a, np.ndarray) or not isinstance(b, np.ndarray):
        raise TypeError(
            f"matmul: expected numpy arrays, got {type(a).__name__}, {type(b).__name__}"
        )
    dt = a.dtype
    if not ((dt is _F32 or dt is _F64 or dt in _DTYPES) and (b.dtype is dt or b.dtype == dt)):
        raise TypeError(
            f"matmul: operands must share dtype float32 or float64, got {a.dtype} and {b.dtype}"
        )
    if a.ndim < 2 or b.ndim < 2:
        raise ValueError(
            f"matmul: operands need ndim >= 2, got shapes {a.shape} and {b.shape}; "
            "reshape 1-D operands to a row or column first"
        )
    sa = a.shape
    sb = b.shape
    m, ka = (sa[-1], sa[-2]) if transpose_a else (sa[-2], sa[-1])
    kb, n = (sb[-1], sb[-2]) if transpose_b else (sb[-2], sb[-1])
    if ka != kb:
        raise ValueError(
            f"matmul: contraction mismatch, op(a) is {m}x{ka} and op(b) is {kb}x{n} "
            f"(shapes {sa}, {sb}, transpose_a={transpose_a}, transpose_b={transpose_b})"
        )
    if len(sa) == 2 and len(sb) == 2:
        return (), m, n, ka
    try:
        batch = np.broadcast_shapes(sa[:-2], sb[:-2])
    except ValueError:
        raise ValueError(
            f"matmul: batch dims {sa[:-2]} and {sb[:-2]} do not broadcast (shapes {sa}, {sb})"
        ) from None
    return batch, m, n, ka


def matmul(
    a: np.ndarray, b: np.ndarray, transpose_a: bool = False, transpose_b: bool = False
) -> np.ndarray:
    """C = op(a) @ op(b) where op transposes the last two axes when asked; leading batch axes broadcast."""  # noqa: E501
    unpinned = _force_path is None and _force_direct_a is None  # tests may pin the driver
    if type(a) is _ndarray and type(b) is _ndarray and unpinned:
        key = (a.shape, b.shape, a.strides, b.strides, a.dtype, b.dtype, transpose_a, transpose_b)
        try:
            p = _plans.get(key)
        except TypeError:  # unhashable flags: no plan
            p = key = None
        if p is not None and a.flags.aligned and b.flags.aligned:
            return run_plan(p, a, b)
        batch, m, n, k = _check(a, b, transpose_a, transpose_b)
        p = None if key is None else _make_plan(a, b, transpose_a, transpose_b, batch, m, n, k)
        if p is not None:
            if len(_plans) >= _MAX_PLANS:
                _plans.clear()
            _plans[key] = p
            return run_plan(p, a, b)
    else:
        batch, m, n, k = _check(a, b, transpose_a, transpose_b)
    out = np.empty(batch + (m, n), dtype=a.dtype)
    return _run(a, b, out, transpose_a, transpose_b, batch, m, n, k)


def plan(a: np.ndarray, b: np.ndarray, transpose_a: bool = False, transpose_b: bool = False):
    """Validate a product as `matmul` does (same errors) and return its plan for `run_plan`, or
    None when operands laid out like these take the general path. A plan is valid for any
    aligned operands of the same shapes, strides, dtypes and transpose flags."""
    batch, m, n, k = _check(a, b, transpose_a, transpose_b)
    if type(a) is not _ndarray or type(b) is not _ndarray:
        return None
    return _make_plan(a, b, transpose_a, transpose_b, batch, m, n, k)


# Plans: for operands of given shapes, strides, dtypes and transpose flags, everything `_run`
# works out before it calls a kernel (the validated output shape, the batch offsets, strides
# in elements, the work), so that a repeated product costs one dict lookup on top of the
# kernel. Only aligned C- or F-contiguous operands get one (their flat view is a plain ravel);
# the driver is still chosen per call (`_launch`), as the thread count may change. Lookups and
# stores are atomic under the GIL; a plan holds no reference to any operand's data.
_plans: dict = {}
_MAX_PLANS = 1024  # a full table is simply reset (plans are cheap to rebuild)
_ndarray = np.ndarray
_JIT_OFF = config.DISABLE_JIT  # every product takes matmul_plain (see there)
_empty = np.empty


def _make_plan(a, b, transpose_a, transpose_b, batch, m, n, k) -> tuple | None:
    """The cacheable part of a validated product, or None when it has to take `_run`."""
    if _force_path is not None or _force_direct_a is not None:
        return None
    fa, fb = a.flags, b.flags
    if not (fa.aligned and fb.aligned and (fa.c_contiguous or fa.f_contiguous)):
        return None
    if not (fb.c_contiguous or fb.f_contiguous):
        return None
    oshape = batch + (m, n)
    if k == 0 or 0 in oshape:
        return None
    isz = a.itemsize
    ars, acs = a.strides[-2] // isz, a.strides[-1] // isz  # as `_flat` reports them
    brs, bcs = b.strides[-2] // isz, b.strides[-1] // isz
    if transpose_a:
        ars, acs = acs, ars
    if transpose_b:
        brs, bcs = bcs, brs
    aoffs = _batch_offsets(a, batch, 0)
    boffs = _batch_offsets(b, batch, 0)
    m, aoffs, boffs = _merge_batch(m, ars, aoffs, boffs)
    # read the flat views as `_flat` makes them: C order, or the transpose's C order
    a_t = not fa.c_contiguous
    b_t = not fb.c_contiguous
    # a product too small for threads always takes the same serial driver (as `_launch`
    # chooses it): call it directly
    path = None
    if m * n * k * aoffs.shape[0] < PARALLEL_MIN_WORK:
        path = "direct" if m <= _MR[a.itemsize] and bcs == 1 else "serial"
        if path == "serial" and _narrow_fits(m, n, a.itemsize):
            path = "narrow"
    direct_a = acs == 1 or n <= DIRECT_A_MAX_N
    flags = (transpose_a, transpose_b)
    # one small item (both operands start at offset 0 of their flat views): the tiny kernel
    dims = None
    if aoffs.shape[0] == 1 and m * n * k <= TINY_MAX_WORK:
        dims = np.array([m, n, k, ars, acs, brs, bcs], np.int64)
    return (dims, oshape, a.dtype, a_t, b_t, aoffs, boffs, ars, acs, brs, bcs, m, n, k, path,
            direct_a, flags)  # fmt: skip


def run_plan(plan: tuple, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """C = op(a) @ op(b) with a plan from `plan` for operands laid out like a and b (aligned)."""
    if _force_path is not None or _force_direct_a is not None:  # tests pin the driver
        return matmul(a, b, *plan[-1])
    dims = plan[0]
    if dims is not None and not _JIT_OFF:
        out = _empty(plan[1], plan[2])
        # the flat views keep the operands' writeable flags: marking them read-only (as the
        # other drivers do, to share one specialisation) would cost more than the product
        tiny(a.T.ravel() if plan[3] else a.ravel(), b.T.ravel() if plan[4] else b.ravel(),
             out.ravel(), dims)  # fmt: skip
        return out
    _, oshape, dt, a_t, b_t, aoffs, boffs, ars, acs, brs, bcs, m, n, k, path, direct_a, flags = plan
    af = a.T.ravel() if a_t else a.ravel()
    bf = b.T.ravel() if b_t else b.ravel()
    af.setflags(write=False)
    bf.setflags(write=False)
    out = np.empty(oshape, dt)
    c = out.reshape(-1)
    if _JIT_OFF:
        _launch(af, aoffs, ars, acs, bf, boffs, brs, bcs, c, m, n, k)
    elif path == "direct":
        _direct.direct_serial(af, aoffs, ars, acs, bf, boffs, brs, c, m, n, k)
    elif path == "serial":
        _gemm.batch_serial(af, aoffs, ars, acs, bf, boffs, brs, bcs, c, m, n, k, direct_a)
    elif path == "narrow":
        _narrow.narrow_serial(af, aoffs, ars, acs, bf, boffs, brs, bcs, c, m, n, k)
    else:
        _launch(af, aoffs, ars, acs, bf, boffs, brs, bcs, c, m, n, k)
    return out


def _narrow_fits(m: int, n: int, itemsize: int) -> bool:
    """Whether an m x n product takes the narrow tile (at most one vector wide, a tile tall)."""
    return _use_narrow and n <= _VL[itemsize] and m >= NARROW_MR


_use_narrow = True  # off: such products take the packed tile (for side-by-side timing)


def matmul_out(
    a: np.ndarray,
    b: np.ndarray,
    out: np.ndarray,
    transpose_a: bool = False,
    transpose_b: bool = False,
) -> np.ndarray:
    """Like matmul, but writes into the preallocated C-contiguous out and returns it."""
    batch, m, n, k = _check(a, b, transpose_a, transpose_b)
    if not isinstance(out, np.ndarray) or out.dtype != a.dtype:
        raise TypeError(f"matmul_out: out must be a {a.dtype} ndarray")
    if out.shape != batch + (m, n):
        raise ValueError(f"matmul_out: out has shape {out.shape}, expected {batch + (m, n)}")
    if not (out.flags.c_contiguous and out.flags.writeable):
        raise ValueError("matmul_out: out must be C-contiguous and writeable")
    if np.may_share_memory(out, a) or np.may_share_memory(out, b) or not out.flags.aligned:
        # The kernel would overwrite operands it still reads (or needs an aligned buffer):
        # compute aside, then copy.
        out[...] = _run(a, b, np.empty_like(out), transpose_a, transpose_b, batch, m, n, k)
        return out
    return _run(a, b, out, transpose_a, transpose_b, batch, m, n, k)


def _merge_batch(m, ars, aoffs, boffs):
    """(m, aoffs, boffs), with a batch whose A items are consecutive row blocks against one
    shared B turned into one tall product."""
    items = aoffs.shape[0]
    if items > 1 and boffs.min() == boffs.max() and np.all(np.diff(aoffs) == m * ars):
        return m * items, aoffs[:1], boffs[:1]
    return m, aoffs, boffs


def _run(a, b, out, transpose_a, transpose_b, batch, m, n, k):
    """Dispatch a validated product to the direct, serial, batch-parallel or split driver."""
    if out.size == 0:
        return out
    if k == 0:
        out.fill(0)
        return out
    a, af, ao, ars, acs = _flat(a)
    b, bf, bo, brs, bcs = _flat(b)
    if transpose_a:
        ars, acs = acs, ars
    if transpose_b:
        brs, bcs = bcs, brs
    aoffs = _batch_offsets(a, batch, ao)
    boffs = _batch_offsets(b, batch, bo)
    m, aoffs, boffs = _merge_batch(m, ars, aoffs, boffs)
    _launch(af, aoffs, ars, acs, bf, boffs, brs, bcs, out.reshape(-1), m, n, k)
    return out


def _launch(af, aoffs, ars, acs, bf, boffs, brs, bcs, c, m, n, k) -> None:
    """Choose the driver for a prepared product (flat operands, offsets) and run it into c."""
    items = aoffs.shape[0]
    work = m * n * k
    path = _force_path
    if path is None:
        direct = m <= _MR[c.itemsize] and bcs == 1
        # the cores free now (see cpu_share); one thread means a serial driver
        nthreads = _cpu_threads() if work * items >= PARALLEL_MIN_WORK else 1
        narrow = not direct and _narrow_fits(m, n, c.itemsize)
        if nthreads == 1:
            path = "direct" if direct else "narrow" if narrow else "serial"
        elif direct:
            path = "direct_parallel"
        elif narrow:
            path = "narrow_parallel"
        elif work >= SPLIT_MIN_WORK or items < nthreads:
            path = "split"
        else:
            path = "batch"
    if _JIT_OFF:  # the micro-kernel has no plain-Python form (see matmul_plain)
        _plain.launch(af, aoffs, ars, acs, bf, boffs, brs, bcs, c, m, n, k)
        return
    if path.startswith("direct") and not (m <= _MR[c.itemsize] and bcs == 1):
        raise ValueError(f"matmul: direct path forced for m={m}, op(b) column stride {bcs}")
    if path.startswith("narrow") and n > _VL[c.itemsize]:
        raise ValueError(f"matmul: narrow path forced for n={n} > {_VL[c.itemsize]}")
    if path == "narrow":
        _narrow.narrow_serial(af, aoffs, ars, acs, bf, boffs, brs, bcs, c, m, n, k)
        return
    if path == "narrow_parallel":
        nthreads = numba.get_num_threads()
        _narrow.narrow_parallel(af, aoffs, ars, acs, bf, boffs, brs, bcs, c, m, n, k, nthreads)
        return
    if path == "direct":
        _direct.direct_serial(af, aoffs, ars, acs, bf, boffs, brs, c, m, n, k)
        return
    if path == "direct_parallel":
        nthreads = numba.get_num_threads()
        _direct.direct_parallel(af, aoffs, ars, acs, bf, boffs, brs, c, m, n, k, nthreads)
        return
    # The micro-kernel reads a row-major op(a) in place (measured a little faster than
    # packing it, and no copy of A); other layouts are packed unless the product is so
    # narrow that each A panel meets only a B panel or two.
    direct_a = acs == 1 or n <= DIRECT_A_MAX_N
    if _force_direct_a is not None:
        direct_a = _force_direct_a
    args = (af, aoffs, ars, acs, bf, boffs, brs, bcs, c, m, n, k, direct_a)
    if path == "serial":
        _gemm.batch_serial(*args)
    elif path == "batch":
        _gemm.batch_parallel(*args, numba.get_num_threads())
    else:
        _gemm.batch_each_parallel(*args, numba.get_num_threads())
