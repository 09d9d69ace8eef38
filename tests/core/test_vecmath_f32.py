"""float32 exp, sigmoid and tanh (`vecmath_f32`): error against float64, special values, the same
bits compiled and as plain Python, and the same bits from every kernel that evaluates them."""

from __future__ import annotations

import math

import numpy as np
import pytest
from duograd.core.kernels import vecmath_f32 as V
from numba import njit

_RNG = np.random.default_rng(5)
# normal inputs where gates live, a dense sweep, and the ends of each function's range
_X = np.concatenate([
    (_RNG.standard_normal(200_000) * 4).astype(np.float32),
    np.linspace(-100, 100, 100_001, dtype=np.float32),
    np.float32([1e-30, -1e-30, 1e-45, -1e-45, 1e-7, -1e-7, 9.0, 9.01, -9.01, 86.9, -86.9]),
    # sigmoid's subnormal tail and its end (below -103.28 it rounds to zero)
    np.linspace(-104.5, -86, 20_001, dtype=np.float32),
])  # fmt: skip


def _compiled(op: str):
    fn = njit(V.scalar_function(op))

    @njit
    def apply(x, out):
        for i in range(x.size):
            out[i] = fn(x[i])

    def run(x: np.ndarray) -> np.ndarray:
        out = np.empty_like(x)
        apply(x, out)
        return out

    return run


def _ulps(got: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """|got - exact| in units of the float32 spacing at the exact value (subnormal spacing
    below the normal range)."""
    spacing = np.abs(np.spacing(exact.astype(np.float32))).astype(np.float64)
    return np.abs(got.astype(np.float64) - exact) / spacing


def _exact(op: str, x: np.ndarray) -> np.ndarray:
    x64 = x.astype(np.float64)
    if op == "exp":
        with np.errstate(over="ignore"):
            return np.exp(x64)
    return np.tanh(x64) if op == "tanh" else 1.0 / (1.0 + np.exp(-x64))


@pytest.mark.parametrize("op", ["exp", "sigmoid", "tanh"])
def test_within_a_few_ulp_of_float64(op):
    got = _compiled(op)(_X)
    assert got.dtype == np.float32
    exact = _exact(op, _X)
    if op == "exp":  # past float32's range: inf, compared as such
        big = exact > np.finfo(np.float32).max
        np.testing.assert_array_equal(got[big], np.inf)
        got, exact = got[~big], exact[~big]
    ulps = _ulps(got, exact)
    assert ulps.max() <= 4, _X[np.argmax(ulps)]
    # most results are the correctly rounded value or next to it
    assert np.count_nonzero(ulps > 1) <= len(_X) // 20


@pytest.mark.parametrize("op", ["exp", "sigmoid", "tanh"])
def test_special_values(op):
    x = np.float32([0.0, -0.0, np.inf, -np.inf, np.nan, 200.0, -200.0])
    got = _compiled(op)(x)
    if op == "exp":
        want = np.float32([1.0, 1.0, np.inf, 0.0, np.nan, np.inf, 0.0])
    elif op == "tanh":
        want = np.float32([0.0, -0.0, 1.0, -1.0, np.nan, 1.0, -1.0])
        assert np.signbit(got[1]) and not np.signbit(got[0])
    else:
        want = np.float32([0.5, 0.5, 1.0, 0.0, np.nan, 1.0, 0.0])
    np.testing.assert_array_equal(got, want)
    assert np.isnan(got[4])


@pytest.mark.parametrize("op", ["exp", "sigmoid", "tanh"])
def test_plain_python_gives_the_compiled_bits(op):
    """The JIT-off path runs the same template as Python scalars."""
    x = np.concatenate([_X[:300], _X[-11:], np.float32([0.0, -0.0, np.inf, -np.inf])])
    # the plain form builds 2^n with ldexp instead of the exponent bits
    plain = V.scalar_function(op, plain=True)
    py = np.array([plain(v) for v in x], np.float32)
    assert np.array_equal(py.view(np.uint32), _compiled(op)(x).view(np.uint32))


def test_float64_keeps_libm_and_float32_expands_these_templates():
    from duograd.core.kernels import codegen

    f32, f64 = np.dtype(np.float32), np.dtype(np.float64)
    for op in ("exp", "sigmoid", "tanh"):
        stmts, value = codegen.expand_op(op, ["a"], f32, f32, "z", "o", "t_")
        assert [*stmts, value] == V.TEMPLATES[op].format("a", t="t_").split("\n")
        f64_stmts, f64_value = codegen.expand_op(op, ["a"], f64, f64, "z", "o", "t_")
        assert "f32_pow2" not in "\n".join([*f64_stmts, f64_value])


@pytest.mark.parametrize("op", ["exp", "sigmoid", "tanh"])
def test_every_kernel_gives_the_template_bits(op):
    """The standalone op (serial and threaded), a fused group, the LSTM cell primitive and
    (exp) the hand-written kernels' `vecmath.exp` give the scalar template's bits, so a cell
    composed from the ops matches the fused cells and softmax's exp is the `exp` op's."""
    from duograd.core.kernels import elementwise as ew
    from duograd.core.primitives.rnn import lstm_output

    want = _compiled(op)(_X)
    assert np.array_equal(ew.unary(op, _X).view(np.uint32), want.view(np.uint32))
    small = _X[:1000].copy()
    assert np.array_equal(ew.unary(op, small).view(np.uint32), want[:1000].view(np.uint32))
    one = np.ones_like(_X)
    fused = ew.compile_elementwise(((op, 0), ("mul", -1, 1)), (np.float32, np.float32))
    assert np.array_equal(fused(_X, one).view(np.uint32), want.view(np.uint32))
    if op == "exp":
        from duograd.core.kernels import vecmath

        @njit
        def apply(x, out):
            for i in range(x.size):
                out[i] = vecmath.exp(x[i])

        got = np.empty_like(_X)
        apply(_X, got)
        assert np.array_equal(got.view(np.uint32), want.view(np.uint32))
    if op == "sigmoid":
        # h = sigmoid(o) * tanh(c) with tanh(c) = 1 (c = 20): the output gate's sigmoid
        h = 250
        gates = np.zeros((4, 4 * h), np.float32)
        gates[:, 3 * h :] = _X[: 4 * h].reshape(4, h)
        got = lstm_output(gates, np.full((4, h), 20.0, np.float32), "torch")
        assert np.array_equal(got.ravel().view(np.uint32), want[: 4 * h].view(np.uint32))


def test_pow2_covers_the_clamped_range():
    pow2 = njit(lambda n: V.f32_pow2(n))
    for n in (-126, -1, 0, 1, 30, 127):
        assert pow2(np.float32(n)) == np.float32(math.ldexp(1.0, n))
