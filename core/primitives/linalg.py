"""Matrix multiplication: 2-D and batched, either operand read transposed without a copy."""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError, fmt_shape
from ..kernels import matmul as MM
from . import rules
from .registry import AVal, Primitive, bind, register
from .shaping import expand_dims, squeeze, sum_like

_ndarray = np.ndarray
_VERDICTS: dict = {}  # see rules.remember


def _matmul_rule(a, b, transpose_a, transpose_b) -> AVal:
    if type(a) is _ndarray and type(b) is _ndarray:
        key = (a.shape, b.shape, a.dtype, b.dtype, transpose_a, transpose_b)
        try:
            v = _VERDICTS.get(key)
        except TypeError:  # unhashable flags: no caching
            return _matmul_check(a, b, transpose_a, transpose_b)
        if v is None:
            v = rules.remember(_VERDICTS, key, _matmul_check(a, b, transpose_a, transpose_b))
        return v
    return _matmul_check(a, b, transpose_a, transpose_b)


def _matmul_check(a, b, transpose_a, transpose_b) -> AVal:
    dt = rules.same_dtype("matmul", a, b)
    rules.require_float("matmul", a)
    sa, sb = tuple(a.shape), tuple(b.shape)
    if len(sa) < 2 or len(sb) < 2:
        raise ShapeError(
            f"matmul: operands need at least 2 dimensions, got {fmt_shape(sa)} @ {fmt_shape(sb)}"
        )
    m, ka = (sa[-1], sa[-2]) if transpose_a else (sa[-2], sa[-1])
    kb, n = (sb[-1], sb[-2]) if transpose_b else (sb[-2], sb[-1])
    if ka is not None and kb is not None and ka != kb:
        ta = ".T" if transpose_a else ""
        tb = ".T" if transpose_b else ""
        raise ShapeError(
            f"matmul: inner dimensions differ: {fmt_shape(sa)}{ta} @ {fmt_shape(sb)}{tb} "
            f"({ka} vs {kb})"
        )
    # name both full shapes: the batch shapes alone do not tell which operands clashed
    batch = rules.broadcast_shapes(
        f"matmul of {fmt_shape(sa)} @ {fmt_shape(sb)}: batch dimensions", sa[:-2], sb[:-2]
    )
    return AVal(batch + (m, n), dt)


def _matmul_vjp(g, out, a, b, wants, transpose_a, transpose_b):
    ga = gb = None
    ta, tb = transpose_a, transpose_b
    if wants[0]:
        if not ta:
            ga = matmul(g, b, transpose_b=not tb)  # g @ op(b).T
        else:
            ga = matmul(b, g, transpose_a=tb, transpose_b=True)  # (g @ op(b).T).T = op(b) @ g.T
        ga = sum_like(ga, a)
    if wants[1]:
        if not tb:
            gb = matmul(a, g, transpose_a=not ta)  # op(a).T @ g
        else:
            gb = matmul(g, a, transpose_a=True, transpose_b=ta)  # (op(a).T @ g).T = g.T @ op(a)
        gb = sum_like(gb, b)
    return ga, gb


def _ref(a, b, transpose_a, transpose_b):
    a = np.swapaxes(a, -1, -2) if transpose_a else a
    b = np.swapaxes(b, -1, -2) if transpose_b else b
    return np.matmul(a, b)


def _matmul_dims(ins: list, params: dict, shape: tuple, broadcast) -> tuple:
    a, b = ins
    m = a[-1] if params["transpose_a"] else a[-2]
    n = b[-2] if params["transpose_b"] else b[-1]
    return broadcast([a[:-2], b[:-2]], shape[:-2]) + (m, n)


MATMUL = register(
    Primitive(
        "matmul",
        impl=lambda a, b, transpose_a, transpose_b: MM.matmul(a, b, transpose_a, transpose_b),
        shape_rule=_matmul_rule,
        vjp=_matmul_vjp,
        reference=_ref,
        dims=_matmul_dims,
    )
)

_PLANS: dict = {}  # (layouts, flags) that passed the rule -> the kernel's plan


def matmul_fast(a, b, transpose_a, transpose_b):
    """MATMUL's rule and kernel on exact ndarrays, with the rule's verdict and the kernel's plan
    looked up together (one key per operand layout and flags; see Primitive.fast_params)."""
    key = (a.shape, b.shape, a.strides, b.strides, a.dtype, b.dtype, transpose_a, transpose_b)
    try:
        plan = _PLANS.get(key)
    except TypeError:  # unhashable flags: the general path
        plan = key = None
    if plan is not None and a.flags.aligned and b.flags.aligned:
        return MM.run_plan(plan, a, b)
    _matmul_rule(a, b, transpose_a, transpose_b)
    if key is not None:
        plan = MM.plan(a, b, transpose_a, transpose_b)
        if plan is not None:
            rules.remember(_PLANS, key, plan)
            return MM.run_plan(plan, a, b)
    return MM.matmul(a, b, transpose_a, transpose_b)


MATMUL.fast_params = matmul_fast


def matmul(a, b, transpose_a: bool = False, transpose_b: bool = False):
    """op(a) @ op(b); 1-D operands are treated as numpy does (a row or a column vector)."""
    a1, b1 = rules.rank(a) == 1, rules.rank(b) == 1
    if a1:
        a = expand_dims(a, 0)
    if b1:
        b = expand_dims(b, 1)
    out = bind(MATMUL, a, b, transpose_a=bool(transpose_a), transpose_b=bool(transpose_b))
    if a1 and b1:
        return squeeze(out, (-2, -1))
    if a1:
        return squeeze(out, (-2,))
    if b1:
        return squeeze(out, (-1,))
    return out
