"""2-D convolution kernels (forward, input gradient, filter gradient) by im2col + matmul.

One code path serves both layouts: NCHW operands are transposed to NHWC on the way in and the
results transposed back (cheap copies next to the products), so NCHW/OIHW and NHWC/HWIO data
run the very same loops and products and give bit-identical numbers. The canonical patch
matrix `cols` has a row per output pixel in (n, oh, ow) order and a column per filter tap in
(kh, kw, c) order. Then

* the output is cols @ Wk, with Wk the filter as a (KH*KW*C, O) matrix (HWIO reshaped);
* the input gradient is col2im(G @ Wk.T), G the output gradient as an (N*OH*OW, O) matrix;
* the filter gradient is cols.T @ G.

`matmul` computes each element as one FMA chain over the contraction index in increasing order
(see matmul_gemm). col2im zeroes the input gradient, then adds the taps that read a pixel in
(kh, kw) order, so its summation order is fixed too. Parallel loops split over images or
output rows, never over a sum.
"""

from __future__ import annotations

import math
import threading

import numpy as np
from numba import njit, prange, uint64

from . import conv_geometry as geo
from .conv_layout import transpose_images
from .matmul import matmul, matmul_out

__all__ = ["conv2d", "conv2d_filter_grad", "conv2d_input_grad", "geometry", "patches"]

# Scratch matrices (patches, their gradient) up to this many bytes are kept per thread and
# reused: a fresh multi-megabyte buffer per call costs more in page faults than the convolution.
WORKSPACE_MAX_BYTES = 1 << 24
_local = threading.local()
# Patch rows are built and multiplied a block of images at a time, about this many bytes of
# patches per block: small enough to stay in the last-level cache between im2col and matmul.
BLOCK_BYTES = 1 << 21

# Below this many written elements im2col / col2im run serially: starting the threads costs
# more than they save on a batch-1 image's patches (up to 147K elements at ResNet-8 sizes).
PARALLEL_MIN = 1 << 18
# Which kernels NCHW data takes: "nhwc" copies it to NHWC, runs the NHWC loops and copies the
# result back; "native" gathers patches from NCHW rows in place (kernels/conv_nchw); "auto"
# picks one per direction and geometry (see `_auto_native`). All give the same bits (every
# element is the same FMA chain, and the filter gradient's blocks are the same), so the choice
# is about speed only. Tests pin each route.
NCHW_ROUTE = "auto"
AUTO_MIN = 1 << 18  # input elements below which "auto" keeps the NHWC route
_ROUTES = ("auto", "native", "nhwc")
# The in-place forward multiplies groups of output channels by the patches read in place
# (conv_nchw_product); off: one packed product per image (for side-by-side timing and tests).
DIRECT_FORWARD = True


def _native(data_format: str, vec: np.ndarray, direction: str, n: int, o: int = 0) -> bool:
    """Whether NCHW data takes the in-place kernels for `direction` (see NCHW_ROUTE); o is
    the output channel count (read for the forward only)."""
    if data_format != "NCHW":
        return False
    if NCHW_ROUTE == "auto":
        return _auto_native(vec, direction, n, o)
    if NCHW_ROUTE not in _ROUTES:
        raise ValueError(f"conv2d: NCHW_ROUTE must be one of {_ROUTES}, got {NCHW_ROUTE!r}")
    return NCHW_ROUTE == "native"


def _auto_native(vec: np.ndarray, direction: str, n: int, o: int = 0) -> bool:
    """The faster route of the two, measured per ResNet-8 layer and direction (README, ResNet-8).

    The NHWC route copies each block of images to NHWC and its result back while they are in
    cache (see conv_layout). The in-place forward (patches read in place by groups of output
    channels, conv_nchw_product; one copy per tap over all channels for unit-stride "same"
    layers, conv_nchw) is at least as fast in every ResNet-8 layer when its channel groups
    are 8 rows (AVX-512 tiles, O a multiple of 8); with AVX2's 6-row tiles the groups of 16,
    32 and 64 channels are 4 rows, too few to amortise each load of the patches, so there
    only 1x1 layers and the stem's few input channels take it. So are both gradients
    of 1x1 and strided layers and of stride-1 layers on images at least 16 wide. The
    gradients of stride-1 layers on smaller images (short image rows: the per-row loops of
    the in-place im2col / col2im cost more than the copies) keep the NHWC route, and so do
    small batches (a few images' data stays in cache, so the copies are cheap).
    """
    c = int(vec[_C])
    if n * c * int(vec[_H]) * int(vec[_W]) < AUTO_MIN:
        return False
    if vec[_KH] * vec[_KW] == 1:
        return True
    if direction == "forward":
        from .conv_nchw_product import channel_group

        # float32's group (MR is the same for both dtypes)
        return c < 8 or (DIRECT_FORWARD and channel_group(o, 4) >= 8)
    return bool(vec[_SH] * vec[_SW] > 1) or int(vec[_OW]) >= 16


# Indices into the int64 geometry vector handed to the loops.
_C, _H, _W, _OH, _OW, _KH, _KW, _SH, _SW, _PT, _PL, _DH, _DW, _SPANS = range(14)


@njit(cache=True, error_model="numpy")
def _span(g, kw):
    """(lo, hi, off): outputs ow in [lo, hi) read a real input column iw = ow * SW + off at tap kw.

    Precomputed per tap by `geometry` (integer division is slow in the loops).
    """
    b = _SPANS + 3 * kw
    return g[b], g[b + 1], g[b + 2]


# Array indices in the loops are cast to uint64 (they are never negative): numba then skips
# its negative-index wraparound, which otherwise keeps the inner loops scalar (about 5x slower).
# cols is (N*OH*OW, K) row-major over NHWC data, so each tap copies C contiguous values.


@njit(cache=True, error_model="numpy")
def _im2col_task(x, g, cols, t, zero):
    """cols rows of output pixels (n, oh, 0..OW-1), t = n * OH + oh."""
    C, H, W, OH, OW = g[_C], g[_H], g[_W], g[_OH], g[_OW]
    KH, KW, SH, SW, PT, PL, DH, DW = g[_KH], g[_KW], g[_SH], g[_SW], g[_PT], g[_PL], g[_DH], g[_DW]
    K = KH * KW * C
    n = t // OH
    ih0 = (t - n * OH) * SH - PT
    for ow in range(OW):
        j = (t * OW + ow) * K
        iw0 = ow * SW - PL
        for kh in range(KH):
            ih = ih0 + kh * DH
            if ih < 0 or ih >= H:
                for i in range(KW * C):
                    cols[uint64(j + i)] = zero
                j += KW * C
                continue
            xr = (n * H + ih) * W
            if DW == 1 and iw0 >= 0 and iw0 + KW <= W:  # the whole row of taps is one run
                s = (xr + iw0) * C
                for i in range(KW * C):
                    cols[uint64(j + i)] = x[uint64(s + i)]
                j += KW * C
                continue
            for kw in range(KW):
                iw = iw0 + kw * DW
                if iw < 0 or iw >= W:
                    for i in range(C):
                        cols[uint64(j + i)] = zero
                else:
                    s = (xr + iw) * C
                    for i in range(C):
                        cols[uint64(j + i)] = x[uint64(s + i)]
                j += C


@njit(cache=True, error_model="numpy")
def _col2im_task(dcols, g, dx, n, zero):
    """Input gradient of image n: zero it, then add the taps in (kh, kw) order."""
    C, H, W, OH, OW = g[_C], g[_H], g[_W], g[_OH], g[_OW]
    KH, KW, SH, PT, DH, SW = g[_KH], g[_KW], g[_SH], g[_PT], g[_DH], g[_SW]
    K = KH * KW * C
    base = n * H * W * C
    for i in range(H * W * C):
        dx[uint64(base + i)] = zero
    for kh in range(KH):
        for kw in range(KW):
            lo, hi, off = _span(g, kw)
            tap = (kh * KW + kw) * C
            for oh in range(OH):
                ih = oh * SH - PT + kh * DH
                if ih < 0 or ih >= H:
                    continue
                for ow in range(lo, hi):
                    src = ((n * OH + oh) * OW + ow) * K + tap
                    dst = base + (ih * W + ow * SW + off) * C
                    for i in range(C):
                        dx[uint64(dst + i)] += dcols[uint64(src + i)]


# One serial and one parallel driver per loop, so only the loops a program uses get compiled.
# The parallel ones pass prange's index (which may be unsigned) as int64, as range gives it to
# the serial ones, so both share one compiled variant of each task.


@njit(cache=True)
def _im2col_serial(x, g, cols, tasks, zero):
    for t in range(tasks):
        _im2col_task(x, g, cols, t, zero)


@njit(cache=True, parallel=True)
def _im2col_parallel(x, g, cols, tasks, zero):
    for t in prange(tasks):
        _im2col_task(x, g, cols, np.int64(t), zero)


@njit(cache=True)
def _col2im_serial(dcols, g, dx, tasks, zero):
    for n in range(tasks):
        _col2im_task(dcols, g, dx, n, zero)


@njit(cache=True, parallel=True)
def _col2im_parallel(dcols, g, dx, tasks, zero):
    for n in prange(tasks):
        _col2im_task(dcols, g, dx, np.int64(n), zero)


_LOOPS = {
    "im2col": (_im2col_serial, _im2col_parallel),
    "col2im": (_col2im_serial, _col2im_parallel),
}


def _run(loop: str, a: np.ndarray, g: np.ndarray, b: np.ndarray, tasks: int) -> None:
    """Run `loop` (im2col: a = input, b = cols; col2im: the reverse) over independent tasks."""
    if b.size == 0 or tasks == 0:
        return
    serial, parallel = _LOOPS[loop]
    run = parallel if b.size >= PARALLEL_MIN and tasks > 1 else serial
    run(readonly(a), g, b.reshape(-1), tasks, b.dtype.type(0))


def readonly(a: np.ndarray) -> np.ndarray:
    """A flat read-only view: writeable and read-only inputs then share one compiled loop."""
    flat = a.reshape(-1).view()
    flat.flags.writeable = False
    return flat


def nchw(shape: tuple, data_format: str) -> tuple:
    """(N, C, H, W) of a 4-D shape in `data_format`."""
    if data_format == "NCHW":
        return tuple(shape)
    n, h, w, c = shape
    return (n, c, h, w)


def oihw(shape: tuple, filter_format: str) -> tuple:
    """(O, C, KH, KW) of a filter shape in `filter_format`."""
    if filter_format == "OIHW":
        return tuple(shape)
    kh, kw, c, o = shape
    return (o, c, kh, kw)


_GEOMETRY: dict = {}


def geometry(x_nchw, k_hw, stride, padding, dilation, op="conv2d"):
    """The int64 geometry vector of the loops, and the output (OH, OW) (built once per
    arguments: callers only read the vector)."""
    key = (tuple(x_nchw), tuple(k_hw), stride, padding, dilation, op)
    try:
        hit = _GEOMETRY.get(key)
    except TypeError:  # unhashable arguments (lists): no caching
        return _geometry(x_nchw, k_hw, stride, padding, dilation, op)
    if hit is None:
        hit = _geometry(x_nchw, k_hw, stride, padding, dilation, op)
        if len(_GEOMETRY) >= 1024:
            _GEOMETRY.clear()
        _GEOMETRY[key] = hit
    return hit


def _geometry(x_nchw, k_hw, stride, padding, dilation, op):
    _, c, h, w = x_nchw
    oh, ow, pads = geo.output_hw(
        op, (h, w), k_hw, stride, dilation, padding, f"input {x_nchw} (as NCHW)"
    )
    spans = []
    for kw in range(k_hw[1]):
        off = kw * dilation[1] - pads[2]  # input column of output 0 at tap kw
        lo = 0 if off >= 0 else -(off // stride[1])  # first ow with ow * stride + off >= 0
        hi = 0 if w - off <= 0 else min((w - off - 1) // stride[1] + 1, ow)
        spans += [min(lo, hi), hi, off]
    head = (c, h, w, oh, ow, *k_hw, *stride, pads[0], pads[2], *dilation)  # _C .. _DW
    vec = np.array(head + tuple(spans), dtype=np.int64)
    return vec, oh, ow


def workspace(name: str, shape: tuple, dtype: np.dtype) -> np.ndarray:
    """An uninitialised C-contiguous scratch array, reused per thread while it is small enough.

    The caller must be done with it before asking for the same name again (no result returned
    to a user ever lives in it).
    """
    dtype = np.dtype(dtype)
    size = math.prod(shape)
    if size * dtype.itemsize > WORKSPACE_MAX_BYTES:
        return np.empty(shape, dtype)
    bufs = getattr(_local, "bufs", None)
    if bufs is None:
        bufs = _local.bufs = {}
    key = (name, dtype)
    buf = bufs.get(key)
    if buf is None or buf.size < size:
        buf = bufs[key] = np.empty(max(size, 1), dtype)
    return buf[:size].reshape(shape)


def clear_workspace() -> None:
    """Drop this thread's scratch buffers (they are otherwise kept for the next call)."""
    _local.bufs = {}


def to_nhwc(a: np.ndarray, data_format: str, name: str) -> np.ndarray:
    """a as a C-contiguous NHWC array (an NCHW operand is copied into a scratch buffer)."""
    if data_format == "NHWC":
        return np.ascontiguousarray(a)
    n, c, h, w = a.shape
    if c == 1:  # the same memory order: a reshape, not a copy
        return np.ascontiguousarray(a).reshape(n, h, w, c)
    out = workspace(name, (n, h, w, c), a.dtype)
    transpose_images(a, out, c, h * w)
    return out


def from_nhwc(a: np.ndarray, data_format: str, out: np.ndarray | None = None) -> np.ndarray:
    """A fresh array (or `out`) holding the NHWC array a in data_format."""
    if out is not None:
        if out is not a:
            if data_format == "NHWC":
                np.copyto(out, a)
            else:
                _nhwc_to_nchw(a, out)
        return out
    if data_format == "NHWC":
        return a
    # always a copy: with one channel (or a 1x1 image) the transpose is already contiguous, and
    # ascontiguousarray would hand back a view of the scratch buffer a usually lives in
    n, h, w, c = a.shape
    res = np.empty((n, c, h, w), a.dtype)
    _nhwc_to_nchw(a, res)
    return res


def _nhwc_to_nchw(a: np.ndarray, out: np.ndarray) -> None:
    """Copy the NHWC array a into the NCHW array out."""
    n, h, w, c = a.shape
    if out.flags.c_contiguous:
        transpose_images(a, out, h * w, c)
    else:
        np.copyto(out, a.transpose(0, 3, 1, 2))


def patches(x_nhwc: np.ndarray, vec: np.ndarray) -> np.ndarray:
    """The (N*OH*OW, KH*KW*C) patch matrix of an NHWC array (zeros where the window pads).

    It lives in this thread's scratch buffer: copy it to keep it past the next call.
    """
    n = x_nhwc.shape[0]
    m = n * int(vec[_OH]) * int(vec[_OW])
    pointwise = (vec[_KH], vec[_KW], vec[_SH], vec[_SW], vec[_PT], vec[_PL]) == (1, 1, 1, 1, 0, 0)
    if pointwise and vec[_OH] == vec[_H] and vec[_OW] == vec[_W]:
        # a 1x1 convolution without stride or padding: the NHWC data is the patch matrix
        return np.ascontiguousarray(x_nhwc).reshape(m, int(vec[_C]))
    cols = workspace("cols", (m, int(vec[_KH] * vec[_KW] * vec[_C])), x_nhwc.dtype)
    _run("im2col", x_nhwc, vec, cols, n * int(vec[_OH]))
    return cols


def filter_matrix(w: np.ndarray, filter_format: str) -> np.ndarray:
    """The filter as a (KH*KW*C, O) matrix with rows in (kh, kw, c) order (HWIO reshaped)."""
    if filter_format == "OIHW":
        w = w.transpose(2, 3, 1, 0)
    return np.ascontiguousarray(w).reshape(-1, w.shape[3])


def images_per_block(n: int, rows_per_image: int, width: int, itemsize: int) -> int:
    """How many images' patch rows fit one block of about BLOCK_BYTES (at least one image)."""
    per_image = max(1, rows_per_image * width * itemsize)
    return max(1, min(n, BLOCK_BYTES // per_image))


def conv2d(
    x, w, stride, padding, dilation, data_format, filter_format, out=None, after_block=None
) -> np.ndarray:
    """Cross-correlation of x with w (no groups); output in data_format.

    The patch matrix is built and multiplied a block of images at a time, so it stays in cache
    instead of being one whole-batch matrix; every output element is still the same FMA chain
    over the same taps, so the bits do not depend on the block size. `out` is an optional
    C-contiguous output buffer; `after_block(i0, i1, block)` (NHWC only) runs on each block's
    finished (i1 - i0, OH, OW, O) output while it is still in cache (a fused epilogue).
    """
    n = x.shape[0]
    o, c, kh, kw = oihw(w.shape, filter_format)
    vec, oh, ow = geometry(nchw(x.shape, data_format), (kh, kw), stride, padding, dilation)
    wk = filter_matrix(w, filter_format)
    if _native(data_format, vec, "forward", n, o):
        return _conv2d_nchw(x, wk, vec, (n, o, oh, ow), out)
    if data_format == "NCHW" and after_block is None:
        return _conv2d_nchw_blocks(x, wk, vec, (n, o, oh, ow), out)
    xn = to_nhwc(x, data_format, "x")
    rows = oh * ow
    given = out
    if data_format == "NHWC":
        out = np.empty((n * rows, o), xn.dtype) if given is None else given.reshape(n * rows, o)
    else:
        out = workspace("y", (n * rows, o), xn.dtype)
    if data_format == "NHWC" and given is not None:
        out_nhwc = given  # the rows below are views of it
    else:
        out_nhwc = out.reshape(n, oh, ow, o)
    if n == 0 or rows == 0:
        return from_nhwc(out_nhwc, data_format, given)
    nb = images_per_block(n, rows, wk.shape[0], xn.dtype.itemsize)
    for i0 in range(0, n, nb):
        i1 = min(n, i0 + nb)
        cols = patches(xn[i0:i1], vec)
        block = out[i0 * rows : i1 * rows]
        matmul_out(cols, wk, block)
        if after_block is not None:
            after_block(i0, i1, block.reshape(i1 - i0, oh, ow, o))
    return from_nhwc(out_nhwc, data_format, given)


def conv2d_input_grad(
    g, w, x_shape, stride, padding, dilation, data_format, filter_format, out=None
) -> np.ndarray:
    """The gradient of conv2d w.r.t. its input, shaped x_shape, from the output gradient g
    (written into `out` when given: a C-contiguous buffer of that shape)."""
    n, c, h, wd = nchw(tuple(x_shape), data_format)
    vec, oh, ow = geometry(
        (n, c, h, wd), oihw(w.shape, filter_format)[2:], stride, padding, dilation
    )
    wk = filter_matrix(w, filter_format)
    if _native(data_format, vec, "input_grad", n):
        return _input_grad_nchw(g, wk, vec, (n, c, h, wd), out)
    rows = oh * ow
    if data_format == "NHWC":
        dx = np.empty((n, h, wd, c), g.dtype) if out is None else out
    elif out is not None and out.flags.c_contiguous:
        dx = out
    else:
        dx = np.empty((n, c, h, wd), g.dtype)
    # a block of images at a time (see conv2d): each pixel's taps are added in the same order;
    # NCHW blocks are copied to NHWC and back while they are in cache
    nb = images_per_block(n, rows, wk.shape[0], g.dtype.itemsize)
    for i0 in range(0, n, nb):
        i1 = min(n, i0 + nb)
        gm = to_nhwc(g[i0:i1], data_format, "g").reshape((i1 - i0) * rows, wk.shape[1])
        dcols = workspace("dcols", ((i1 - i0) * rows, wk.shape[0]), g.dtype)
        matmul_out(gm, wk, dcols, transpose_b=True)
        if data_format == "NHWC":
            _run("col2im", dcols, vec, dx[i0:i1], i1 - i0)
        else:
            block = workspace("dx", (i1 - i0, h, wd, c), g.dtype)
            _run("col2im", dcols, vec, block, i1 - i0)
            _nhwc_to_nchw(block, dx[i0:i1])
    if out is not None and dx is not out:
        np.copyto(out, dx)
        return out
    return dx


def conv2d_filter_grad(
    x, g, w_shape, stride, padding, dilation, data_format, filter_format
) -> np.ndarray:
    """The gradient of conv2d w.r.t. its filter, shaped w_shape, summed over (n, oh, ow)."""
    o, c, kh, kw = oihw(tuple(w_shape), filter_format)
    n = x.shape[0]
    vec, oh, ow = geometry(nchw(x.shape, data_format), (kh, kw), stride, padding, dilation)
    if _native(data_format, vec, "filter_grad", n):
        dw = _filter_grad_nchw(x, g, vec, (kh * kw * c, o))
        dw = dw.reshape(kh, kw, c, o)  # HWIO
        if filter_format == "OIHW":
            return np.ascontiguousarray(dw.transpose(3, 2, 0, 1))
        return dw
    rows = oh * ow
    # a block of images at a time (see conv2d); each block's product is added to the sum in
    # block order, so the result is fixed for a given BLOCK_BYTES whatever the thread count.
    # NCHW blocks are copied to NHWC one at a time, so the copies stay in cache.
    nb = images_per_block(n, rows, kh * kw * c, x.dtype.itemsize)
    dw = None
    for i0 in range(0, n, nb):
        i1 = min(n, i0 + nb)
        xn = to_nhwc(x[i0:i1], data_format, "x")
        gm = to_nhwc(g[i0:i1], data_format, "g").reshape((i1 - i0) * rows, o)
        part = matmul(patches(xn, vec), gm, transpose_a=True)
        if dw is None:
            dw = part
        else:
            dw += part
    if dw is None:
        dw = np.zeros((kh * kw * c, o), g.dtype)
    dw = dw.reshape(kh, kw, c, o)  # HWIO
    if filter_format == "OIHW":
        return np.ascontiguousarray(dw.transpose(3, 2, 0, 1))
    return dw


def _conv2d_nchw_blocks(x, wk, vec, out_shape, out) -> np.ndarray:
    """The NHWC loops on NCHW data, a block of images at a time: the block is copied to NHWC,
    multiplied, and its (pixels, O) result copied into the NCHW output while both are in
    cache (no whole-batch layout copies). The same products as the NHWC path, so its bits."""
    n, o, oh, ow = out_shape
    rows = oh * ow
    y = out if out is not None and out.flags.c_contiguous else np.empty(out_shape, x.dtype)
    if n and rows:
        nb = images_per_block(n, rows, wk.shape[0], x.dtype.itemsize)
        for i0 in range(0, n, nb):
            i1 = min(n, i0 + nb)
            cols = patches(to_nhwc(x[i0:i1], "NCHW", "x"), vec)
            block = workspace("y", ((i1 - i0) * rows, o), x.dtype)
            matmul_out(cols, wk, block)
            transpose_images(block, y[i0:i1], rows, o)
    if out is not None and y is not out:
        np.copyto(out, y)
        return out
    return y


# ---- NCHW without layout copies -------------------------------------------------------------
# The patch matrix is gathered from NCHW data directly (kernels/conv_nchw) and the products are
# the transposed ones, (W^T cols^T) per image, written straight into the NCHW output: each
# element is the same FMA chain over the same taps as in the NHWC path (a * b == b * a), so
# both layouts still give the same bits.


def _pointwise(vec: np.ndarray) -> bool:
    """A 1x1 convolution without stride or padding: the data itself is the patch matrix."""
    return (vec[_KH], vec[_KW], vec[_SH], vec[_SW], vec[_PT], vec[_PL]) == (1, 1, 1, 1, 0, 0)


def _conv2d_nchw(x, wk, vec, out_shape, out) -> np.ndarray:
    from .conv_nchw import im2col
    from .conv_nchw_product import channel_group, product_into

    n, o, oh, ow = out_shape
    x = np.ascontiguousarray(x)
    rows, k = oh * ow, wk.shape[0]
    y = out if out is not None and out.flags.c_contiguous else np.empty(out_shape, x.dtype)
    if n and rows:
        y3 = y.reshape(n, o, rows)
        flat = _pointwise(vec) and (oh, ow) == (vec[_H], vec[_W])
        nb = images_per_block(n, rows, k, x.dtype.itemsize)
        # groups of output channels read the patches in place (conv_nchw_product); an O
        # without a suitable divisor takes the general product, which packs them
        group = channel_group(o, x.dtype.itemsize) if DIRECT_FORWARD else 0
        wt = np.ascontiguousarray(wk.T) if group else wk
        for i0 in range(0, n, nb):
            i1 = min(n, i0 + nb)
            if flat:  # the image itself is the (C, H*W) transposed patch matrix
                cols = x[i0:i1].reshape(i1 - i0, k, rows)
            else:
                cols = workspace("cols", (i1 - i0, k, rows), x.dtype)
                im2col(x[i0:i1], vec, cols, per_image=True)
            if group:
                product_into(wt, cols, y3[i0:i1], group)
            else:
                matmul_out(wk, cols, y3[i0:i1], transpose_a=True)
    if out is not None and y is not out:
        np.copyto(out, y)
        return out
    return y


def _input_grad_nchw(g, wk, vec, x_shape, out) -> np.ndarray:
    from .conv_nchw import col2im

    n = x_shape[0]
    k, o = wk.shape
    rows = int(vec[_OH] * vec[_OW])
    g3 = np.ascontiguousarray(g).reshape(n, o, rows)
    dx = out if out is not None and out.flags.c_contiguous else np.empty(x_shape, g.dtype)
    nb = images_per_block(n, rows, k, g.dtype.itemsize)
    for i0 in range(0, n, nb):
        i1 = min(n, i0 + nb)
        dcols = workspace("dcols", (i1 - i0, k, rows), g.dtype)
        matmul_out(wk, g3[i0:i1], dcols)
        col2im(dcols, vec, dx[i0:i1])
    if out is not None and dx is not out:
        np.copyto(out, dx)
        return out
    return dx


def _filter_grad_nchw(x, g, vec, wk_shape) -> np.ndarray:
    """dW as a (KH*KW*C, O) matrix: per block of images, one product over the block's pixels in
    (n, oh, ow) order (the NHWC path's sum), from the transposed patch matrix and the block's
    output gradient laid out as (O, pixels) (a copy of image rows, not a transpose)."""
    from .conv_nchw import im2col

    k, o = wk_shape
    n = x.shape[0]
    rows = int(vec[_OH] * vec[_OW])
    x = np.ascontiguousarray(x)
    g3 = np.ascontiguousarray(g).reshape(n, o, rows)
    nb = images_per_block(n, rows, k, x.dtype.itemsize)
    dw = None
    for i0 in range(0, n, nb):
        i1 = min(n, i0 + nb)
        m = (i1 - i0) * rows
        # rows of the patch matrix a multiple of 2 KiB apart fall into the same L1 sets, and
        # the product reads a tile of them side by side: pad them apart (a view, same values)
        pad = 64 // x.dtype.itemsize if (m * x.dtype.itemsize) % 2048 == 0 else 0
        cols = workspace("cols", (k, m + pad), x.dtype)
        im2col(x[i0:i1], vec, cols, per_image=False)
        gt = workspace("g_rows", (o, i1 - i0, rows), g.dtype)
        np.copyto(gt, g3[i0:i1].transpose(1, 0, 2))
        part = matmul(cols[:, :m], gt.reshape(o, m), transpose_b=True)
        if dw is None:
            dw = part
        else:
            dw += part
    if dw is None:
        dw = np.zeros((k, o), g.dtype)
    return dw
