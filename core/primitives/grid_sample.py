"""Spatial sampling: ``grid_sample(x, grid)`` reads an NCHW input at the (x, y) points of a
(N, Ho, Wo, 2) grid in [-1, 1] (bilinear or nearest; padding zeros / border / reflection), with
gradients to the input and to the grid; its two gradients are primitives of their own
(`kernels.grid_sample`). The input gradient is differentiable again (it is linear in the
cotangent, the adjoint of sampling); the grid gradient is not."""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError, fmt_shape
from ..kernels import grid_sample as K
from . import rules
from .registry import AVal, Primitive, bind, register


def _check(op: str, x, grid, mode: str, padding_mode: str) -> None:
    if mode not in K.MODES:
        raise ValueError(
            f"{op}: mode must be one of {tuple(K.MODES)}, got {mode!r} (bicubic and 5-D inputs "
            "are not provided)"
        )
    if padding_mode not in K.PADDINGS:
        raise ValueError(
            f"{op}: padding_mode must be one of {tuple(K.PADDINGS)}, got {padding_mode!r}"
        )
    rules.require_float(op, x)
    rules.same_dtype(op, x, grid)
    xs, gs = tuple(x.shape), tuple(grid.shape)
    if len(xs) != 4 or len(gs) != 4 or gs[-1] not in (2, None):
        raise ShapeError(
            f"{op}: expected input (N, C, H, W) and grid (N, H_out, W_out, 2), got "
            f"{fmt_shape(xs)} and {fmt_shape(gs)}"
        )
    if xs[0] is not None and gs[0] is not None and xs[0] != gs[0]:
        raise ShapeError(
            f"{op}: input {fmt_shape(xs)} and grid {fmt_shape(gs)} must have the same batch size"
        )


def _rule(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False) -> AVal:
    _check("grid_sample", x, grid, mode, padding_mode)
    xs, gs = tuple(x.shape), tuple(grid.shape)
    return AVal((xs[0] if xs[0] is not None else gs[0], xs[1], gs[1], gs[2]), np.dtype(x.dtype))


def _codes(mode: str, padding_mode: str) -> tuple[int, int]:
    return K.MODES[mode], K.PADDINGS[padding_mode]


def _impl(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False):
    m, p = _codes(mode, padding_mode)
    x = np.ascontiguousarray(x)
    return K.grid_sample(x, np.ascontiguousarray(grid), m, p, bool(align_corners))


def _vjp(g, out, x, grid, wants, mode="bilinear", padding_mode="zeros", align_corners=False):
    p = dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners)
    gx = grid_sample_input_grad(g, x, grid, **p) if wants[0] else None
    gg = grid_sample_grid_grad(g, x, grid, **p) if wants[1] else None
    return gx, gg


def _reference(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False):
    """Plain numpy in float64: each output point from the formula, one at a time."""
    x64, g64 = x.astype(np.float64), grid.astype(np.float64)
    n_, c_, h, w = x.shape
    out = np.zeros((n_, c_) + grid.shape[1:3])

    def src(v, size):
        v = (v + 1) / 2 * (size - 1) if align_corners else ((v + 1) * size - 1) / 2
        if padding_mode == "reflection":
            lo, hi = (0.0, size - 1.0) if align_corners else (-0.5, size - 0.5)
            span = hi - lo
            if span == 0:
                v = 0.0
            else:
                t = abs(v - lo) % (2 * span)
                v = lo + (t if t <= span else 2 * span - t)
        if padding_mode in ("border", "reflection"):
            v = min(max(v, 0.0), size - 1.0)
        return v

    def at(n, yy, xx):
        inside = 0 <= yy < h and 0 <= xx < w
        return x64[n, :, yy, xx] if inside else np.zeros(c_)

    for n in range(n_):
        for i in range(grid.shape[1]):
            for j in range(grid.shape[2]):
                ix, iy = src(g64[n, i, j, 0], w), src(g64[n, i, j, 1], h)
                if mode == "nearest":
                    out[n, :, i, j] = at(n, int(np.rint(iy)), int(np.rint(ix)))
                    continue
                x0, y0 = int(np.floor(ix)), int(np.floor(iy))
                tx, ty = ix - x0, iy - y0
                out[n, :, i, j] = (
                    at(n, y0, x0) * (1 - tx) * (1 - ty) + at(n, y0, x0 + 1) * tx * (1 - ty)
                    + at(n, y0 + 1, x0) * (1 - tx) * ty + at(n, y0 + 1, x0 + 1) * tx * ty
                )  # fmt: skip
    return out.astype(x.dtype)


GRID_SAMPLE = register(
    Primitive(
        "grid_sample",
        impl=_impl,
        shape_rule=_rule,
        vjp=_vjp,
        reference=_reference,
    )
)


def grid_sample(x, grid, mode: str = "bilinear", padding_mode: str = "zeros", align_corners=False):
    """Sample x (N, C, H, W) at grid (N, Ho, Wo, 2) (x then y, in [-1, 1]) -> (N, C, Ho, Wo)."""
    return bind(
        GRID_SAMPLE,
        x,
        grid,
        mode=mode,
        padding_mode=padding_mode,
        align_corners=bool(align_corners),
    )


# ---- the two gradients --------------------------------------------------------------------------


def _input_grad_rule(g, x, grid, mode="bilinear", padding_mode="zeros", align_corners=False):
    _check("grid_sample_input_grad", x, grid, mode, padding_mode)
    return AVal(tuple(x.shape), np.dtype(x.dtype))


def _input_grad_impl(g, x, grid, mode="bilinear", padding_mode="zeros", align_corners=False):
    m, p = _codes(mode, padding_mode)
    h, w = x.shape[2], x.shape[3]
    g = np.ascontiguousarray(g)
    return K.grid_sample_input_grad(g, np.ascontiguousarray(grid), h, w, m, p, bool(align_corners))


def _adjoint_reference(g, x, grid, **params):
    """The adjoint of sampling: column k of the sampling matrix is the sample of a unit image."""
    flat = np.zeros(x.size)
    cols = []
    for k in range(x.size):
        flat[:] = 0
        flat[k] = 1
        cols.append(_reference(flat.reshape(x.shape), grid.astype(np.float64), **params).ravel())
    a = np.stack(cols, axis=1)
    return (a.T @ g.astype(np.float64).ravel()).reshape(x.shape).astype(x.dtype)


def _input_grad_vjp(c, out, g, x, grid, wants, **params):
    # input_grad(g) = A(grid)^T g is linear in g: its VJP is A(grid) c = grid_sample(c, grid);
    # and <c, A^T g> = <A c, g> makes the grid's cotangent the grid gradient of sampling c
    gg = grid_sample(c, grid, **params) if wants[0] else None
    ggrid = grid_sample_grid_grad(g, c, grid, **params) if wants[2] else None
    return gg, None, ggrid


GRID_SAMPLE_INPUT_GRAD = register(
    Primitive(
        "grid_sample_input_grad",
        impl=_input_grad_impl,
        shape_rule=_input_grad_rule,
        vjp=_input_grad_vjp,
        reference=_adjoint_reference,
        shape_only=(1,),
        nondiff=(1,),
    )
)


def grid_sample_input_grad(g, x, grid, **params):
    """d(loss)/dx of grid_sample for its output's cotangent g (x read for its shape only)."""
    return bind(GRID_SAMPLE_INPUT_GRAD, g, x, grid, **params)


def _grid_grad_rule(g, x, grid, mode="bilinear", padding_mode="zeros", align_corners=False):
    _check("grid_sample_grid_grad", x, grid, mode, padding_mode)
    return AVal(tuple(grid.shape), np.dtype(grid.dtype))


def _grid_grad_impl(g, x, grid, mode="bilinear", padding_mode="zeros", align_corners=False):
    m, p = _codes(mode, padding_mode)
    return K.grid_sample_grid_grad(
        np.ascontiguousarray(g), np.ascontiguousarray(x), np.ascontiguousarray(grid), m, p,
        bool(align_corners),
    )  # fmt: skip


def _src_and_slope(v: float, size: int, padding_mode: str, align_corners: bool) -> tuple:
    """Pixel coordinate of a grid coordinate and its derivative (plain float64 Python)."""
    scale = (size - 1) / 2 if align_corners else size / 2
    v = (v + 1) / 2 * (size - 1) if align_corners else ((v + 1) * size - 1) / 2
    if padding_mode == "reflection":
        lo, hi = (0.0, size - 1.0) if align_corners else (-0.5, size - 0.5)
        span = hi - lo
        if span == 0:
            return 0.0, 0.0
        d = -1.0 if v < lo else 1.0
        t = abs(v - lo) % (2 * span)
        v, d = (lo + t, d) if t <= span else (lo + 2 * span - t, -d)
        scale *= d
    if padding_mode in ("border", "reflection"):
        if v <= 0 or v >= size - 1:
            return min(max(v, 0.0), size - 1.0), 0.0
    return v, scale


def _grid_grad_reference(g, x, grid, mode="bilinear", padding_mode="zeros", align_corners=False):
    """The derivative of <g, grid_sample(x, grid)> by the grid, point by point in float64."""
    out = np.zeros(grid.shape)
    if mode == "nearest":
        return out.astype(grid.dtype)
    g64, x64 = g.astype(np.float64), x.astype(np.float64)
    n_, c_, h, w = x.shape

    def at(n, yy, xx):
        return x64[n, :, yy, xx] if 0 <= yy < h and 0 <= xx < w else np.zeros(c_)

    for n, i, j in np.ndindex(*grid.shape[:3]):
        ix, sx = _src_and_slope(float(grid[n, i, j, 0]), w, padding_mode, align_corners)
        iy, sy = _src_and_slope(float(grid[n, i, j, 1]), h, padding_mode, align_corners)
        x0, y0 = int(np.floor(ix)), int(np.floor(iy))
        tx, ty = ix - x0, iy - y0
        a, b, c, d = at(n, y0, x0), at(n, y0, x0 + 1), at(n, y0 + 1, x0), at(n, y0 + 1, x0 + 1)
        dx = (b - a) * (1 - ty) + (d - c) * ty
        dy = (c - a) * (1 - tx) + (d - b) * tx
        out[n, i, j] = (g64[n, :, i, j] @ dx * sx, g64[n, :, i, j] @ dy * sy)
    return out.astype(grid.dtype)


GRID_SAMPLE_GRID_GRAD = register(
    Primitive(
        "grid_sample_grid_grad",
        impl=_grid_grad_impl,
        shape_rule=_grid_grad_rule,
        reference=_grid_grad_reference,
        # not differentiable again: second derivatives through the grid gradient (the grid
        # gradient of a grid gradient) are not provided (README "Decompositions, grid sampling")
        nondiff=(0, 1, 2),
        derivative_of="grid_sample",
    )
)


def grid_sample_grid_grad(g, x, grid, **params):
    """d(loss)/dgrid of grid_sample for its output's cotangent g (no gradient of its own)."""
    return bind(GRID_SAMPLE_GRID_GRAD, g, x, grid, **params)
