"""Reductions (sum, mean, max, min, prod, argmax, argmin) in a fixed, documented order.

The summation order depends only on the reduced length; see reduce_template for the scheme.
"""

from __future__ import annotations

import numpy as np

from . import codegen
from .cpu_share import threads
from .reduce_template import TEMPLATE

# Below this many input elements the serial kernels run (parallel=True costs ~3 us per call).
PARALLEL_MIN = 1 << 17
_COL_MIN = 16  # narrower column reductions are transposed into row reductions instead

_COMBINE = {
    "sum": ("{0} + {1}", "v > best"),
    "prod": ("{0} * {1}", "v > best"),
    # NaN-propagating: keep a NaN running value, take a NaN new value
    "max": ("{0} if ({0} > {1} or {0} != {0}) else {1}", "v > best"),
    "min": ("{0} if ({0} < {1} or {0} != {0}) else {1}", "v < best"),
}
_modules: dict = {}


def _mod(name: str):
    m = _modules.get(name)
    if m is None:
        combine, better = _COMBINE[name]
        src = codegen.expand_macro(TEMPLATE.replace("{better}", better), "comb", combine)
        m = _modules[name] = codegen.load_source(src)
    return m


def _identity(op: str, dt: np.dtype) -> np.ndarray:
    if op == "sum":
        v = 0
    elif op == "prod":
        v = 1
    elif dt.kind == "f":
        v = -np.inf if op == "max" else np.inf
    else:
        info = np.iinfo(dt)
        v = info.min if op == "max" else info.max
    return dt.type(v)


def normalize_axes(axes, ndim: int, what: str = "reduce") -> tuple[int, ...]:
    """Return sorted non-negative axes (None = all), raising ValueError for bad ones."""
    if axes is None:
        return tuple(range(ndim))
    if isinstance(axes, (int, np.integer)):
        axes = (axes,)
    res = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"{what}: axis {a} out of range for an array of rank {ndim}")
        res.append(int(a) % ndim if ndim else int(a))
    if len(set(res)) != len(res):
        raise ValueError(f"{what}: repeated axis in {tuple(axes)}")
    return tuple(sorted(res))


def _groups(shape, axes):
    """Merge adjacent dims of one kind (kept/reduced), dropping size-1 dims."""
    out: list[list] = []
    for d, n in enumerate(shape):
        if n == 1:
            continue
        red = d in axes
        if out and out[-1][0] == red:
            out[-1][1] *= n
        else:
            out.append([red, n])
    return out


def _core(op: str, x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """Reduce C-order over ``axes`` with the combine op; returns the kept-dims array."""
    return _core_runner(op, x.shape, x.dtype, axes, x.flags.c_contiguous)(x)


def _core_runner(op: str, shape: tuple, dt: np.dtype, axes: tuple[int, ...], contiguous: bool):
    """``run(x)`` reducing arrays of this shape, dtype and contiguity over ``axes`` (what `_core`
    does): in place when the input is C-contiguous and its reduced axes read as rows or
    columns, else on a copy with the reduced axes moved last. It depends on the layout alone,
    so reduction plans keep it."""
    kept_shape = tuple(n for d, n in enumerate(shape) if d not in axes)
    nred = 1
    for a in axes:
        nred *= shape[a]
    size = 1
    for n in shape:
        size *= n
    nkeep = size // nred if nred else int(np.prod(kept_shape, dtype=np.int64))
    if nkeep == 0:
        return lambda x: np.empty(nkeep, dt).reshape(kept_shape)
    m = _mod(op)
    ident = _identity(op, dt)
    par = size >= PARALLEL_MIN
    g = _groups(shape, axes) if contiguous else None
    kinds = [red for red, _ in g] if g is not None else None
    if g is not None and (kinds in ([True], [False, True], []) or nred == 0):
        rows = _rows_kernel(m, nkeep, nred, par)

        def run_rows(x):
            out = np.empty(nkeep, dt)
            if par:
                threads()  # numba's thread count: the cores free now (see cpu_share)
            rows(x.reshape(nkeep, nred), ident, out)
            return out.reshape(kept_shape)

        return run_rows
    if g is not None and kinds in ([True, False], [False, True, False]) and g[-1][1] >= _COL_MIN:
        k0 = g[0][1] if kinds[0] is False else 1
        k1 = g[-1][1]
        if par:
            # enough column tasks for two threads; the chunk width does not change the bits
            cols, cw = m.cols_parallel, 256 if k0 > 1 else min(256, max(16, -(-k1 // 4)))
        else:
            cols, cw = m.cols_serial, 256

        def run_cols(x):
            out = np.empty(nkeep, dt)
            if par:
                threads()
            cols(x.reshape(k0, nred, k1), ident, out.reshape(k0, k1), cw)
            return out.reshape(kept_shape)

        return run_cols
    # general: move the reduced axes last (C order among themselves) and copy
    perm = [d for d in range(len(shape)) if d not in axes] + list(axes)
    rows = _rows_kernel(m, nkeep, nred, par)

    def run_copy(x):
        out = np.empty(nkeep, dt)
        if par:
            threads()
        rows(np.ascontiguousarray(x.transpose(perm)).reshape(nkeep, nred), ident, out)
        return out.reshape(kept_shape)

    return run_copy


def _rows_kernel(m, nr: int, n: int, par: bool):
    """The row-reduction kernel for nr rows of n elements."""
    if not par:
        return m.rows_serial
    if nr >= 16 or n <= 128:
        return m.rows_parallel
    return m.blocks_parallel


def reduce(
    op: str, x: np.ndarray, axes: tuple[int, ...] | None, keepdims: bool = False
) -> np.ndarray:
    """Reduce ``x`` over ``axes`` (None = all) with op in sum, mean, max, min, prod."""
    key = None
    if type(x) is np.ndarray:
        # the type is part of the key: axes=1.0 equals 1 but is an error
        key = (op, x.shape, x.strides, x.dtype, type(axes), axes, keepdims)
        try:
            p = _plans.get(key)
        except TypeError:  # unhashable axes (a list): no plan
            p = key = None
        if p is not None:
            return p(x)
    x, ax, dt, nred = _validated(op, x, axes)
    if key is not None and dt.kind == "f":
        p = _reduce_plan(op, x, ax, nred, keepdims)
        if p is not None:
            if len(_plans) >= _MAX_PLANS:
                _plans.clear()
            _plans[key] = p
            return p(x)
    res = _core("sum" if op == "mean" else op, x, ax)
    if op == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            res = res / x.dtype.type(nred)  # in the array dtype; 0/0 = nan for empty
    elif op in ("max", "min") and res.dtype != dt:
        res = res.astype(dt)
    if keepdims:
        res = res.reshape(tuple(1 if d in ax else n for d, n in enumerate(x.shape)))
    return res


def _validated(op: str, x: np.ndarray, axes) -> tuple[np.ndarray, tuple[int, ...], np.dtype, int]:
    """Check a reduction's arguments: (x as reduced, axes, x's own dtype, reduced length)."""
    if op not in ("sum", "mean", "max", "min", "prod"):
        raise ValueError(f"unknown reduction {op!r}; expected sum, mean, max, min or prod")
    x = np.asarray(x)
    ax = normalize_axes(axes, x.ndim, f"reduce({op!r})")
    dt = x.dtype
    if dt.kind not in "fbiu" or dt.kind == "f" and dt.itemsize < 4:
        raise TypeError(f"reduce({op!r}): unsupported dtype {dt}")
    if dt.kind != "f":
        # numpy's conventions: integer/bool sums and products are int64, means float64;
        # max/min keep the dtype (computed exactly in int64)
        x = x.astype(np.float64 if op == "mean" else np.int64, copy=False)
    nred = 1
    for a in ax:
        nred *= x.shape[a]
    if nred == 0 and op in ("max", "min"):
        raise ValueError(
            f"reduce({op!r}): zero-size reduction over axes {ax} of shape {x.shape}; "
            f"{op} of an empty set is undefined"
        )
    return x, ax, dt, nred


def plan(op: str, x: np.ndarray, axes: tuple[int, ...] | None, keepdims: bool = False):
    """Validate a reduction as `reduce` does (same errors) and return ``plan(x)`` computing it
    for arrays laid out like x (same shape, strides and dtype); None for what `reduce` casts
    first (integers, bools) and for anything but an exact ndarray."""
    xr, ax, dt, nred = _validated(op, x, axes)
    if type(x) is not np.ndarray or dt.kind != "f":
        return None
    return _reduce_plan(op, xr, ax, nred, keepdims)


# Plans: for a float array of given shape, strides and dtype reduced by (op, axes, keepdims),
# what `reduce` does after validating them, with the kernel, its layout and the output shape
# worked out once. Lookups and stores are atomic under the GIL; a plan holds no reference to
# any array.
_plans: dict = {}
_MAX_PLANS = 1024  # a full table is simply reset (plans are cheap to rebuild)


def _reduce_plan(op: str, x: np.ndarray, ax: tuple[int, ...], nred: int, keepdims: bool):
    """``plan(x)``: `reduce` of a validated float array laid out like x."""
    run = _core_runner("sum" if op == "mean" else op, x.shape, x.dtype, ax, x.flags.c_contiguous)
    mean = op == "mean"
    count = x.dtype.type(nred)
    shape = tuple(1 if d in ax else n for d, n in enumerate(x.shape)) if keepdims else None
    if not mean and shape is None:
        return run  # the kernel's result as it is: no call around it

    def plan(x: np.ndarray) -> np.ndarray:
        res = run(x)
        if mean:
            if nred:  # a division by a positive count raises no invalid or divide flag
                res = res / count
            else:
                with np.errstate(invalid="ignore", divide="ignore"):
                    res = res / count  # 0/0 = nan for empty
        if shape is not None:
            res = res.reshape(shape)
        return res

    return plan


def argreduce(op: str, x: np.ndarray, axis: int | None, keepdims: bool = False) -> np.ndarray:
    """Index (int64) of the first max/min along ``axis`` (None = flattened); NaN counts first."""
    if op not in ("argmax", "argmin"):
        raise ValueError(f"unknown arg-reduction {op!r}; expected argmax or argmin")
    x = np.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(np.int64)
    if axis is None:
        x2 = np.ascontiguousarray(x).reshape(1, x.size)
        out_shape = (1,) * x.ndim if keepdims else ()
        what = "the flattened array"
    else:
        (ax,) = normalize_axes(axis, x.ndim, op)
        x2 = np.ascontiguousarray(np.moveaxis(x, ax, -1))
        x2 = x2.reshape(x.size // x.shape[ax] if x.shape[ax] else 0, x.shape[ax])
        if keepdims:
            out_shape = tuple(1 if d == ax else n for d, n in enumerate(x.shape))
        else:
            out_shape = tuple(n for d, n in enumerate(x.shape) if d != ax)
        what = f"axis {ax}"
    if x2.shape[1] == 0:
        raise ValueError(f"{op}: empty reduction over {what} of shape {x.shape}")
    out = np.empty(x2.shape[0], np.int64)
    if x2.shape[0]:
        m = _mod("max" if op == "argmax" else "min")
        if x2.size >= PARALLEL_MIN and x2.shape[0] > 1:
            threads()
            m.arg_parallel(x2, out)
        else:
            m.arg_serial(x2, out)
    return out.reshape(out_shape)


def sum_to_shape(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``x`` over the axes broadcasting added/expanded so that the result has ``shape``."""
    shape = tuple(shape)
    if x.shape == shape:
        return x
    key = (x.shape, shape)
    axes = _SUM_AXES.get(key)
    if axes is None:
        lead = x.ndim - len(shape)
        if lead < 0 or any(s != 1 and s != d for s, d in zip(shape, x.shape[lead:], strict=True)):
            raise ValueError(f"sum_to_shape: cannot reduce shape {x.shape} to {shape}")
        axes = tuple(range(lead)) + tuple(
            lead + i for i, s in enumerate(shape) if s == 1 and x.shape[lead + i] != 1
        )
        if len(_SUM_AXES) >= _MAX_PLANS:
            _SUM_AXES.clear()
        _SUM_AXES[key] = axes
    return reduce("sum", x, axes).reshape(shape)


_SUM_AXES: dict = {}  # (shape, target shape) -> the axes sum_to_shape reduces (valid pairs)
