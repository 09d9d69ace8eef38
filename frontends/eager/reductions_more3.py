"""More reductions, running reductions, statistics and products of the ``torch`` surface:
``cumprod`` / ``cummax`` / ``cummin`` / ``logcumsumexp``, ``nansum`` / ``nanmean`` /
``nanmedian``, ``quantile`` / ``nanquantile``, ``count_nonzero``, ``aminmax``, ``histc``,
``bucketize``, ``dist``, ``cov`` / ``corrcoef``, ``renorm``, ``cumulative_trapezoid``, ``kron``,
``inner``, ``mv``, ``addr``, ``addbmm``, ``chain_matmul``, ``matrix_power``, ``matrix_exp`` and
``cross``.

Values go through core ops (or `core.tensor_math`, shared with the graph frontend), so gradients
come from the core's rules; positions (which entry is a running maximum, which ranks a quantile
interpolates) are integer bookkeeping on the data.
"""

from __future__ import annotations

import builtins
import math
from typing import Any, NamedTuple

import numpy as np

from ...core import domain, ops
from ...core import math_compose as MC
from ...core import tensor_math as TM
from . import _convert as C
from .tensor import Tensor


class _ValuesIndices(NamedTuple):
    values: Any
    indices: Any


class _MinMax(NamedTuple):
    min: Any
    max: Any


def _t(x: Any) -> Tensor:
    return C.as_tensor_operand(x)


def _dim(op: str, dim: int, nd: int) -> int:
    return domain.check_dim(op, dim, max(nd, 1))


# ---- running reductions -----------------------------------------------------------------------


def cumprod(input: Any, dim: int, *, dtype: Any = None, out: Any = None) -> Tensor:
    """Running products along dim (integers and bools accumulate as int64, as torch)."""
    x = _t(input)
    if dtype is not None:
        x = x.to(dtype)
    elif x._data.dtype.kind in "biu":
        x = x.long()
    d = _dim("cumprod", dim, x.dim())  # checked for a 0-d input too ([-1, 0], as PyTorch)
    if x.dim() == 0:
        return x.clone()
    return MC.cumprod(x, d)


def _running_arg(x: np.ndarray, axis: int, is_max: bool) -> np.ndarray:
    """Index of the running extreme along axis (ties and NaNs take the later index, as torch)."""
    moved = np.moveaxis(x, axis, -1)
    out = np.zeros(moved.shape, np.int64)
    best = moved[..., 0].copy()
    idx = np.zeros(best.shape, np.int64)
    for j in range(moved.shape[-1]):
        v = moved[..., j]
        better = (v >= best) if is_max else (v <= best)
        if moved.dtype.kind == "f":
            better = better | np.isnan(v)  # a NaN, once met, stays the running extreme
        best = np.where(better, v, best)
        idx = np.where(better, j, idx)
        out[..., j] = idx
    return np.moveaxis(out, -1, axis)


def _cum_extreme(name: str, input: Any, dim: int, is_max: bool) -> _ValuesIndices:
    x = _t(input)
    d = _dim(name, dim, x.dim())  # checked for a 0-d input too ([-1, 0], as PyTorch)
    if x.dim() == 0:
        return _ValuesIndices(x.clone(), Tensor._make(np.zeros((), np.int64)))
    if x.shape[d] == 0:
        return _ValuesIndices(x.clone(), Tensor._make(np.zeros(x._data.shape, np.int64)))
    idx = Tensor._make(_running_arg(x._data, d, is_max))
    return _ValuesIndices(x.gather(d, idx), idx)


def cummax(input: Any, dim: int) -> _ValuesIndices:
    """(running maxima, their indices) along dim; the gradient goes to the picked entries."""
    return _cum_extreme("cummax", input, dim, True)


def cummin(input: Any, dim: int) -> _ValuesIndices:
    """(running minima, their indices) along dim."""
    return _cum_extreme("cummin", input, dim, False)


def logcumsumexp(input: Any, dim: int) -> Tensor:
    """log(cumsum(exp(input))) along dim without overflow."""
    x = C.floating(input)
    d = _dim("logcumsumexp", dim, x.dim())  # checked for a 0-d input too
    if x.dim() == 0:
        return x.clone()
    return TM.logcumsumexp(x, d)


# ---- NaN-aware reductions -----------------------------------------------------------------------


def _no_nan(x: Tensor) -> Tensor:
    return ops.where(ops.not_equal(x, x), ops.fill_like(x, 0), x)


def nansum(input: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Sum treating NaN as zero."""
    x = _t(input)
    if dtype is not None:
        x = x.to(dtype)
    if x._data.dtype.kind == "f":
        x = _no_nan(x)
    if dim is None and not keepdim:
        return x.sum()
    return x.sum(dim if dim is not None else tuple(range(x.dim())), keepdim=keepdim)


def nanmean(input: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Mean over the non-NaN entries."""
    x = _t(input)
    if dtype is not None:
        x = x.to(dtype)
    if x._data.dtype.kind != "f":
        raise RuntimeError(
            f"nanmean(): expected input to have floating point dtype but got {x.dtype}"
        )
    count = nansum(Tensor._make((x._data == x._data).astype(x._data.dtype)), dim, keepdim)
    return nansum(x, dim, keepdim) / count


def _nonempty_reduction(op: str, x: Tensor, d: int) -> None:
    """PyTorch's IndexError for a median-like reduction over an empty dim (no value to pick)."""
    if x.shape[d] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")


def nanmedian(input: Any, dim: int | None = None, keepdim: bool = False) -> Any:
    """The lower median of the non-NaN entries (over all, or along dim with indices)."""
    x = _t(input)
    if dim is None:
        if x.numel() == 0:  # torch: the median of nothing is NaN
            return Tensor._make(np.full((), np.nan, x._data.dtype))
        flat = x.reshape(-1)
        r = nanmedian(flat, 0)
        return r.values
    d = _dim("nanmedian", dim, x.dim())
    if x.dim() == 0:
        return _ValuesIndices(x.clone(), Tensor._make(np.zeros((), np.int64)))
    _nonempty_reduction("nanmedian", x, d)
    data = x._data
    order = np.argsort(data, axis=d, kind="stable")  # NaNs sort last
    valid = (
        (data == data).sum(axis=d, keepdims=True)
        if data.dtype.kind == "f"
        else np.full(np.sum(data, axis=d, keepdims=True).shape, data.shape[d])
    )
    k = np.where(valid > 0, (valid - 1) // 2, 0)
    pos = np.take_along_axis(order, k, axis=d)
    vals = x.gather(d, Tensor._make(pos))
    if not keepdim:
        vals, pos = vals.squeeze(d), np.squeeze(pos, d)
    return _ValuesIndices(vals, Tensor._make(np.asarray(pos, np.int64)))


def _quantile(name: str, input: Any, q: Any, dim: Any, keepdim: bool, interpolation: str,
              ignore_nan: bool) -> Tensor:  # fmt: skip
    x = _t(input)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    if x.numel() == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    if interpolation not in ("linear", "lower", "higher", "midpoint", "nearest"):
        raise RuntimeError(
            f"{name}() interpolation must be one of linear, lower, higher, midpoint or nearest. "
            f"Got {interpolation}"
        )
    qs = np.asarray(q._data if isinstance(q, Tensor) else q, np.float64)
    if qs.ndim > 1:
        raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
    if np.any((qs < 0) | (qs > 1)):
        raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
    scalar_q = qs.ndim == 0
    qs = qs.reshape(-1)
    if dim is None:
        src, d = x.reshape(-1), 0
    else:
        d = _dim(name, dim, x.dim())
        src = x if x.dim() else x.reshape(1)
    moved = src.movedim(d, -1)
    sorted_vals = moved.sort(-1).values
    data = moved._data
    n = data.shape[-1]
    nan_count = np.isnan(data).sum(-1, keepdims=True)
    valid = (n - nan_count) if ignore_nan else np.full(nan_count.shape, n)
    outs = []
    for qv in qs:
        rank = qv * (valid - 1).astype(np.float64)
        if interpolation == "lower":
            rank = np.floor(rank)
        elif interpolation == "higher":
            rank = np.ceil(rank)
        elif interpolation == "nearest":
            rank = np.round(rank)
        lo = np.clip(np.floor(rank), 0, max(n - 1, 0)).astype(np.int64)
        hi = np.clip(np.ceil(rank), 0, max(n - 1, 0)).astype(np.int64)
        v_lo = sorted_vals.gather(-1, Tensor._make(lo))
        v_hi = sorted_vals.gather(-1, Tensor._make(hi))
        frac = (rank - np.floor(rank)).astype(data.dtype)
        if interpolation == "midpoint":
            frac = np.where(hi > lo, 0.5, 0.0).astype(data.dtype)
        val = TM.lerp(v_lo, v_hi, Tensor._make(frac))
        bad = (valid == 0) if ignore_nan else (nan_count > 0)
        if bad.any():
            val = ops.where(Tensor._make(bad), ops.fill_like(val, math.nan), val)
        val = Tensor._make(np.asarray(val._data)) if not isinstance(val, Tensor) else val
        val = val.squeeze(-1)
        if keepdim:
            val = val.unsqueeze(d) if dim is not None else val.reshape((1,) * x.dim())
        outs.append(val)
    if scalar_q:
        return outs[0]
    from .shaping import stack

    return stack(outs, 0)


def quantile(input: Any, q: Any, dim: int | None = None, keepdim: bool = False, *,
             interpolation: str = "linear", out: Any = None) -> Tensor:  # fmt: skip
    """The q-th quantiles (q a number or a 1-D tensor, leading the result's dims)."""
    return _quantile("quantile", input, q, dim, keepdim, interpolation, ignore_nan=False)


def nanquantile(input: Any, q: Any, dim: int | None = None, keepdim: bool = False, *,
                interpolation: str = "linear", out: Any = None) -> Tensor:  # fmt: skip
    """quantile over the non-NaN entries."""
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, ignore_nan=True)


def count_nonzero(input: Any, dim: Any = None) -> Tensor:
    """How many entries are nonzero (over all, or over dim)."""
    x = _t(input)
    nz = (x._data != 0).astype(np.int64)
    axes = (
        None
        if dim is None
        else tuple(domain.check_dim("count_nonzero", int(a), x.dim()) for a in C.dims(dim))
    )
    return Tensor._make(np.asarray(nz.sum(axis=axes), np.int64))


def aminmax(input: Any, *, dim: int | None = None, keepdim: bool = False) -> _MinMax:
    """(amin, amax) in one call."""
    x = _t(input)
    if dim is None:
        if keepdim:
            return _MinMax(x.amin(tuple(range(x.dim())), True), x.amax(tuple(range(x.dim())), True))
        return _MinMax(x.amin(), x.amax())
    return _MinMax(x.amin(dim, keepdim), x.amax(dim, keepdim))


def histc(input: Any, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:  # noqa: A002
    """Counts in `bins` equal bins over [min, max] (the data's range when both are 0)."""
    x = _t(input)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"histc: \"histogram_cpu\" not implemented for '{x.dtype}'")
    if int(bins) <= 0:
        raise RuntimeError(f"histc: bins must be > 0, but got {bins}")
    data = x._data.reshape(-1)
    lo, hi = float(min), float(max)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{lo:g}, {hi:g}] is not finite")
    if lo == hi and data.size:
        lo, hi = float(data.min()), float(data.max())
        if not (np.isfinite(lo) and np.isfinite(hi)):  # the data's own range (NaN, inf)
            raise RuntimeError(f"torch.histc: range of [{lo:g}, {hi:g}] is not finite")
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError(f"histc: max must be larger than min, got min={min}, max={max}")
    inside = data[(data >= lo) & (data <= hi)]
    width = (hi - lo) / bins
    pos = ((inside - lo) / width).astype(np.int64) if width else np.zeros(inside.shape, np.int64)
    pos = np.minimum(pos, bins - 1)
    return Tensor._make(np.bincount(pos, minlength=bins).astype(x._data.dtype))


def bucketize(
    input: Any, boundaries: Any, *, out_int32: bool = False, right: bool = False
) -> Tensor:
    """The bucket of each entry given sorted 1-D boundaries (searchsorted with swapped roles)."""
    from .scatter_ops import searchsorted

    b = _t(boundaries)
    if b.dim() != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({b.dim()})")
    return searchsorted(b, input, out_int32=out_int32, right=right)


# ---- distances and statistics -------------------------------------------------------------------


def dist(input: Any, other: Any, p: float = 2) -> Tensor:
    """The p-norm of input - other."""
    from .reductions import norm

    diff = _t(input) - _t(other)
    return norm(diff.reshape(-1), p)


def cov(input: Any, *, correction: int = 1, fweights: Any = None, aweights: Any = None) -> Tensor:
    """Covariance of the rows (variables) over the columns (observations)."""
    x = _t(input)
    if x.dim() > 2:
        raise RuntimeError(
            f"cov(): expected input to have two or fewer dimensions but got {x.dim()}"
        )
    if x._data.dtype.kind != "f":
        x = x.to(C.default_float() if x._data.dtype.kind != "c" else x._data.dtype)
    if x.dim() < 2:
        x = x.reshape(1, -1)
    n = x.shape[1]
    w = None
    if fweights is not None:
        w = C.to_dtype(_t(fweights), x._data.dtype)
    if aweights is not None:
        a = C.to_dtype(_t(aweights), x._data.dtype)
        w = a if w is None else w * a
    if w is None:
        mean = x.mean(1, keepdim=True)
        norm = n - correction
        xc = x - mean
        c = (xc @ xc.t()) / builtins.max(norm, 0)
    else:
        wsum = w.sum()
        mean = (x * w).sum(1, keepdim=True) / wsum
        if correction == 0:
            norm = wsum
        elif aweights is None:
            norm = wsum - correction
        else:
            norm = wsum - correction * (w * C.to_dtype(_t(aweights), x._data.dtype)).sum() / wsum
        xc = x - mean
        c = ((xc * w) @ xc.t()) / norm
    return c.squeeze() if c.shape[0] == 1 else c


def corrcoef(input: Any) -> Tensor:
    """Pearson correlation coefficients of the rows (clipped to [-1, 1])."""
    c = cov(input)
    if c.dim() == 0:
        return c / c
    d = c.diagonal()
    s = d.sqrt()
    r = c / s.unsqueeze(1) / s.unsqueeze(0)
    return r.clamp(-1, 1)


def renorm(input: Any, p: float, dim: int, maxnorm: float) -> Tensor:
    """Each slice along dim rescaled so its p-norm is at most maxnorm."""
    x = _t(input)
    d = _dim("renorm", dim, x.dim())
    if not p > 0:  # NaN too
        raise RuntimeError(f"renorm: non-positive norm not supported, got p={p}")
    others = tuple(k for k in range(x.dim()) if k != d)
    from .reductions import norm

    nrm = norm(x, p, others, keepdim=True) if others else x.abs()
    big = nrm > maxnorm
    scale = ops.where(big, ops.div(ops.scalar(maxnorm, nrm), nrm + 1e-7), ops.fill_like(nrm, 1))
    return x * scale


def _trapezoid_terms(op: str, y: Any, x: Any, dx: float | None, dim: int) -> tuple:
    yt = C.floating(y)
    d = domain.check_dim_of_array(op, dim, yt.dim())
    n = yt.shape[d]
    lo = yt.narrow(d, 0, builtins.max(n - 1, 0))
    hi = yt.narrow(d, 1, n - 1) if n > 1 else lo
    terms = (lo + hi) / 2
    if x is not None:
        xt = C.floating(x)
        dxs = TM.diff(xt, 1, -1 if xt.dim() == 1 else d)
        if xt.dim() == 1 and yt.dim() > 1:
            shape = [1] * yt.dim()
            shape[d] = -1
            dxs = dxs.reshape(shape)
        terms = terms * dxs
    elif dx is not None:
        terms = terms * dx
    return terms, d


def cumulative_trapezoid(
    y: Any, x: Any = None, *, dx: float | None = None, dim: int = -1
) -> Tensor:
    """Running trapezoid-rule integrals of y along dim (spacing x, or dx, default 1)."""
    from .sorting import cumsum

    terms, d = _trapezoid_terms("cumulative_trapezoid", y, x, dx, dim)
    return cumsum(terms, d)


def trapezoid(y: Any, x: Any = None, *, dx: float | None = None, dim: int = -1) -> Tensor:
    """The trapezoid-rule integral of y along dim (spacing x, or dx, default 1)."""
    if x is not None:
        terms, d = _trapezoid_terms("trapezoid", y, x, dx, dim)
        return terms.sum(d)
    # PyTorch's form for an even spacing: (sum - (first + last) / 2) * dx, so the values at
    # the ends and the sum meet as PyTorch's do (inf - inf is NaN there)
    yt = C.floating(y)
    d = domain.check_dim_of_array("trapezoid", dim, yt.dim())
    n = yt.shape[d]
    if n == 0:
        return yt.sum(d)
    ends = yt.narrow(d, 0, 1).squeeze(d) + yt.narrow(d, n - 1, 1).squeeze(d)
    return (yt.sum(d) - ends * 0.5) * (1.0 if dx is None else dx)


def trapz(y: Any, x: Any = None, *, dx: float | None = None, dim: int = -1) -> Tensor:
    """torch.trapezoid under its older name."""
    return trapezoid(y, x, dx=dx, dim=dim)


# ---- products -----------------------------------------------------------------------------------


def kron(input: Any, other: Any, *, out: Any = None) -> Tensor:
    """The Kronecker product."""
    a, b = C.pair(input, other)
    return TM.kron(a, b)


def inner(input: Any, other: Any, *, out: Any = None) -> Tensor:
    """Sum over the last dims of input and other (products for 0-d operands)."""
    a, b = _t(input), _t(other)
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"inner: both inputs should have same dtype, got {a.dtype} and {b.dtype}"
        )
    if a.dim() == 0 or b.dim() == 0:
        return a * b
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(
            f"inner() the last dimension must match on both input tensors but got shapes "
            f"{list(a.shape)} and {list(b.shape)}"
        )
    k = a.shape[-1]
    out = a.reshape(-1, k) @ b.reshape(-1, k).t()
    return out.reshape(*a.shape[:-1], *b.shape[:-1])


def addr(
    input: Any, vec1: Any, vec2: Any, *, beta: Any = 1, alpha: Any = 1, out: Any = None
) -> Tensor:
    """beta * input + alpha * outer(vec1, vec2)."""
    o = _t(vec1).outer(_t(vec2))
    o = o if alpha == 1 else o * alpha
    if beta == 0:  # input is ignored (its NaNs too), as torch does
        return o.expand(*np.broadcast_shapes(tuple(_t(input).shape), tuple(o.shape))).clone()
    return (_t(input) if beta == 1 else _t(input) * beta) + o


def chain_matmul(*matrices: Any, out: Any = None) -> Tensor:
    """matrices[0] @ matrices[1] @ ... (left to right)."""
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    ms = [_t(m) for m in matrices]
    acc = ms[0]
    for m in ms[1:]:
        acc = acc @ m
    return acc if len(ms) > 1 else acc.clone()


def matrix_power(input: Any, n: int) -> Tensor:
    """A square matrix (or batch) to the integer power n (negative n through the inverse)."""
    a = _t(input)
    if a.dim() < 2 or a.shape[-1] != a.shape[-2]:
        raise RuntimeError(
            f"matrix_power: expected a square matrix or batch of them, got shape {list(a.shape)}"
        )
    n = int(n)
    if n == 0:
        eye = Tensor._make(
            np.broadcast_to(np.eye(a.shape[-1], dtype=a._data.dtype), a._data.shape).copy()
        )
        return eye
    if n < 0:
        from .linalg_more import linalg

        a, n = linalg.inv(a), -n
    result, base = None, a
    while n:
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return result


def matrix_exp(input: Any) -> Tensor:
    """exp of a square matrix (or batch): scaling and squaring of a degree-18 Taylor series."""
    a = _t(input)
    if a.dim() < 2 or a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"matrix_exp: expected a square matrix, got shape {list(a.shape)}")
    norm1 = float(np.abs(a._data).sum(-2).max()) if a._data.size else 0.0
    s = builtins.max(0, int(math.ceil(math.log2(norm1))) + 1) if norm1 > 0.5 else 0
    scaled = a / (2.0**s) if s else a
    n = a.shape[-1]
    eye = Tensor._make(np.broadcast_to(np.eye(n, dtype=a._data.dtype), a._data.shape).copy())
    term, total = eye, eye
    for k in range(1, 19):
        term = (term @ scaled) / float(k)
        total = total + term
    for _ in range(s):
        total = total @ total
    return total


def cross(input: Any, other: Any, dim: int | None = None, *, out: Any = None) -> Tensor:
    """The cross product of 3-vectors along dim (the first dim of size 3 when not given)."""
    ranks = {v.dim() for v in (input, other) if isinstance(v, Tensor)}
    if len(ranks) > 1:  # PyTorch broadcasts dims of equal rank only
        raise RuntimeError("cross: inputs must have the same number of dimensions")
    a, b = C.pair(input, other)
    a, b = (v if isinstance(v, Tensor) else Tensor._make(np.asarray(v)) for v in (a, b))
    shape = np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    if dim is None:
        dims3 = [k for k, n in enumerate(shape) if n == 3]
        if not dims3:
            raise RuntimeError(f"cross: no dimension of size 3 in input {list(shape)}")
        dim = dims3[0]
    d = domain.check_dim_of_array("cross", dim, len(shape))
    if shape[d] != 3:
        raise RuntimeError(
            f"cross: inputs dimension {d} must have length 3; the broadcast shape is {list(shape)}"
        )
    return TM.cross(a.expand(*shape), b.expand(*shape), d)


_METHODS = (
    "cumprod", "cummax", "cummin", "logcumsumexp", "nansum", "nanmean", "nanmedian", "quantile",
    "nanquantile", "count_nonzero", "aminmax", "histc", "dist", "cov", "corrcoef", "renorm",
    "kron", "inner", "mv", "addr", "addbmm", "matrix_power", "matrix_exp", "cross",
)  # fmt: skip


def _install() -> None:
    from . import functions as _functions
    from . import math_more as _math_more

    g = dict(globals(), mv=_functions.mv, addbmm=_math_more.addbmm)
    for name in _METHODS:
        setattr(Tensor, name, (lambda f: lambda self, *a, **k: f(self, *a, **k))(g[name]))


_install()

__all__ = [
    "trapezoid", "trapz",
    "addr", "aminmax", "bucketize", "chain_matmul", "corrcoef", "count_nonzero", "cov",
    "cross", "cummax", "cummin", "cumprod", "cumulative_trapezoid", "dist", "histc", "inner",
    "kron", "logcumsumexp", "matrix_exp", "matrix_power", "nanmean", "nanmedian",
    "nanquantile", "nansum", "quantile", "renorm",
]  # fmt: skip
