"""The recurrent cells' float32 sigmoid and tanh: error against float64, special values, and
the same bits compiled and as plain Python."""

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
    """|got - exact| in units of the float32 spacing at the exact value."""
    spacing = np.abs(np.spacing(exact.astype(np.float32))).astype(np.float64)
    return np.abs(got.astype(np.float64) - exact) / spacing


def _exact(op: str, x: np.ndarray) -> np.ndarray:
    x64 = x.astype(np.float64)
    return np.tanh(x64) if op == "tanh" else 1.0 / (1.0 + np.exp(-x64))


@pytest.mark.parametrize("op", ["sigmoid", "tanh"])
def test_within_a_few_ulp_of_float64(op):
    got = _compiled(op)(_X)
    assert got.dtype == np.float32
    # sigmoid's tail below x = -87 is clamped (see the template): judged absolutely there
    tail = (_X < -87) if op == "sigmoid" else np.zeros(_X.shape, bool)
    exact = _exact(op, _X)
    assert _ulps(got[~tail], exact[~tail]).max() <= 4
    if tail.any():
        assert np.abs(got[tail].astype(np.float64) - exact[tail]).max() < 2e-38


@pytest.mark.parametrize("op", ["sigmoid", "tanh"])
def test_special_values(op):
    x = np.float32([0.0, -0.0, np.inf, -np.inf, np.nan, 200.0, -200.0])
    got = _compiled(op)(x)
    if op == "tanh":
        want = np.float32([0.0, -0.0, 1.0, -1.0, np.nan, 1.0, -1.0])
        assert np.signbit(got[1]) and not np.signbit(got[0])
    else:
        want = np.float32([0.5, 0.5, 1.0, 0.0, np.nan, 1.0, 0.0])
    np.testing.assert_allclose(got, want, rtol=0, atol=2e-38)
    assert np.isnan(got[4])


@pytest.mark.parametrize("op", ["sigmoid", "tanh"])
def test_plain_python_gives_the_compiled_bits(op):
    """The JIT-off path runs the same template as Python scalars."""
    x = np.concatenate([_X[:300], _X[-11:], np.float32([0.0, -0.0, np.inf, -np.inf])])
    # the plain form builds 2^n with ldexp instead of the exponent bits
    plain = V.scalar_function(op, plain=True)
    py = np.array([plain(v) for v in x], np.float32)
    assert np.array_equal(py.view(np.uint32), _compiled(op)(x).view(np.uint32))


def test_float64_and_other_ops_expand_as_the_elementwise_ops():
    from duograd.core.kernels import codegen

    for op, dt in [("sigmoid", np.float64), ("tanh", np.float64), ("mul", np.float32)]:
        want = codegen.expand_op(op, ["a", "b"], np.dtype(dt), np.dtype(dt), "z", "o", "t_")
        assert V.expand(op, ["a", "b"], np.dtype(dt), "z", "o", "t_") == want
    assert "f32_pow2" in "\n".join(V.expand("tanh", ["a"], np.dtype(np.float32), "z", "o", "t_")[0])


def test_pow2_covers_the_clamped_range():
    pow2 = njit(lambda n: V.f32_pow2(n))
    for n in (-126, -1, 0, 1, 30, 127):
        assert pow2(np.float32(n)) == np.float32(math.ldexp(1.0, n))


def test_exact_cells_keep_the_standalone_templates():
    from duograd.core.kernels import codegen

    f32 = np.dtype(np.float32)
    want = codegen.expand_op("sigmoid", ["a"], f32, f32, "z", "o", "t_")
    assert V.expand("sigmoid", ["a"], f32, "z", "o", "t_", fast=False) == want
    assert V.expand("sigmoid", ["a"], f32, "z", "o", "t_") != want
