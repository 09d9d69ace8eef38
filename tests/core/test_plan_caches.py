"""Cached dispatch of matmul, reductions and shape rules: the general path's bits and errors.

Kernel plans (kernels.matmul, kernels.reduce) and rule verdicts (primitives.rules.remember and the
rules that use it) are keyed by operand layout and params; a hit skips the validation and the
layout work, so every test here calls twice: the first call fills the cache, the second uses it.
The general path they are compared with is the kernel itself on a layout that never gets a plan,
or a forced driver.
"""

from __future__ import annotations

import threading

import duograd.core.kernels.matmul as mm
import numpy as np
import pytest
from duograd.core import DTypeError, ShapeError, ops
from duograd.core.kernels import reduce as R
from duograd.core.primitives import REGISTRY, bind, rules
from duograd.core.primitives.shaping import _broadcast_view
from numba.core import config

# the matmul micro-kernel is an LLVM intrinsic, with no pure-Python form (see conftest.py)
needs_jit = pytest.mark.skipif(
    bool(config.DISABLE_JIT), reason="matmul needs compiled code (NUMBA_DISABLE_JIT=1)"
)


def _bits(a: np.ndarray) -> tuple:
    a = np.asarray(a)
    return a.shape, a.dtype, np.ascontiguousarray(a).tobytes()


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# ---- matmul -------------------------------------------------------------------------------------

MATMUL_CASES = [
    # (shape of a as stored, shape of b as stored, transpose_a, transpose_b)
    ((4, 4), (4, 4), False, False),
    ((3, 7), (5, 7), False, True),  # the MLP's x @ W^T
    ((7, 3), (7, 5), True, False),  # its weight gradient g^T @ x
    ((7, 3), (5, 7), True, True),
    ((2, 3, 6), (6, 5), False, False),  # a batch against one shared B (one tall product)
    ((2, 3, 6), (2, 6, 5), False, False),
    ((1, 6), (6, 1), False, False),  # C- and F-contiguous at once
    ((64, 300), (300, 90), False, False),  # large enough for the threaded drivers
]


@needs_jit
@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("case", MATMUL_CASES, ids=str)
def test_matmul_plans_give_the_general_paths_bits(case, dt):
    sa, sb, ta, tb = case
    a = _rng(1).standard_normal(sa).astype(dt)
    b = _rng(2).standard_normal(sb).astype(dt)
    got = [_bits(mm.matmul(a, b, ta, tb)) for _ in range(2)]
    via_bind = [_bits(ops.matmul(a, b, transpose_a=ta, transpose_b=tb)) for _ in range(2)]
    # the general path: validation and layout work on every call
    batch, m, n, k = mm._check(a, b, ta, tb)
    ref = mm._run(a, b, np.empty(batch + (m, n), a.dtype), ta, tb, batch, m, n, k)
    # a strided view of the same values never gets a plan
    strided = mm.matmul(np.repeat(a, 2, axis=-1)[..., ::2], b, ta, tb)
    assert got[0] == got[1] == via_bind[0] == via_bind[1] == _bits(ref) == _bits(strided)


@needs_jit
def test_a_matmul_plan_is_bypassed_when_a_driver_is_forced(monkeypatch):
    a = _rng(3).standard_normal((5, 70)).astype(np.float32)
    b = _rng(4).standard_normal((70, 90)).astype(np.float32)
    want = _bits(mm.matmul(a, b))  # fills the plan table
    plan = mm.plan(a, b)
    assert plan is not None
    calls = []
    real = mm._run

    def spy(*args):
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(mm, "_run", spy)
    monkeypatch.setattr(mm, "_force_path", "serial")
    assert _bits(mm.matmul(a, b)) == want
    assert _bits(mm.run_plan(plan, a, b)) == want
    assert len(calls) == 2  # both went through the general driver choice


@needs_jit
def test_matmul_errors_are_the_same_after_a_plan_exists():
    a = np.ones((3, 4), np.float32)
    good = np.ones((4, 2), np.float32)
    bad = np.ones((5, 2), np.float32)
    ops.matmul(a, good)
    ops.matmul(a, good)
    messages = set()
    for _ in range(3):
        with pytest.raises(ShapeError) as e:
            ops.matmul(a, bad)
        messages.add(str(e.value))
    assert len(messages) == 1 and "inner dimensions differ" in messages.pop()
    with pytest.raises(DTypeError):
        ops.matmul(a, good.astype(np.float64))
    with pytest.raises(ValueError, match="contraction mismatch"):
        mm.matmul(a, bad)


@needs_jit
def test_matmul_plan_reads_unaligned_operands_correctly():
    raw = np.zeros(4 * 12 + 1, np.uint8)
    a = np.frombuffer(raw.data, np.float32, 12, 1).reshape(3, 4)  # unaligned view
    assert not a.flags.aligned
    b = _rng(5).standard_normal((4, 2)).astype(np.float32)
    ok = np.ascontiguousarray(a)
    mm.matmul(ok, b)  # a plan for the aligned layout with the same shape and strides
    assert _bits(mm.matmul(a, b)) == _bits(mm.matmul(ok, b))


# ---- reductions ---------------------------------------------------------------------------------

REDUCE_CASES = [
    ((4, 4), None, False),
    ((4, 4), (0, 1), True),
    ((6, 5), (1,), False),  # rows
    ((40, 17), (0,), False),  # columns
    ((3, 40, 17), (1,), True),
    ((2, 3, 4), (0, 2), False),  # reduced from a copy
    ((0, 3), (0,), False),  # empty reduction
    ((3, 0), (1,), False),
    ((5,), (0,), False),
]


@pytest.mark.parametrize("op", ["sum", "mean", "max", "min", "prod"])
@pytest.mark.parametrize("case", REDUCE_CASES, ids=str)
def test_reduce_plans_give_the_general_paths_bits(case, op):
    shape, axes, keepdims = case
    if op in ("max", "min") and 0 in shape:
        return
    x = _rng(6).standard_normal(shape).astype(np.float32)
    got = [_bits(R.reduce(op, x, axes, keepdims)) for _ in range(2)]
    # a non-contiguous copy of the same values is reduced from a transposed copy instead
    xs = np.repeat(x, 2, axis=-1)[..., ::2] if x.ndim else x
    want = _bits(R.reduce(op, xs, axes, keepdims))
    assert got[0] == got[1] == want
    if op in ("sum", "mean", "max", "min"):
        ax = rules.normalize_axes(op, axes, x.ndim)
        prim = REGISTRY[op]
        assert _bits(bind(prim, x, axes=ax, keepdims=keepdims)) == want
        assert _bits(bind(prim, x, axes=ax, keepdims=keepdims)) == want


def test_reduce_keeps_rejecting_what_it_rejects_after_a_plan_exists():
    x = np.ones((3, 4), np.float32)
    R.reduce("sum", x, 1)
    R.reduce("sum", x, 1)
    with pytest.raises(TypeError):  # a float axis equals 1 but is not an axis
        R.reduce("sum", x, 1.0)
    with pytest.raises(ValueError, match="out of range"):
        R.reduce("sum", x, (2,))
    R.reduce("max", np.ones((0, 3), np.float32), (1,))
    with pytest.raises(ValueError, match="zero-size reduction"):
        R.reduce("max", np.ones((0, 3), np.float32), (0,))


def test_sum_to_shape_keeps_its_errors():
    g = np.ones((2, 3), np.float32)
    assert _bits(R.sum_to_shape(g, (1, 3))) == _bits(R.sum_to_shape(g, (1, 3)))
    for _ in range(2):
        with pytest.raises(ValueError, match="cannot reduce shape"):
            R.sum_to_shape(g, (2, 2))


# ---- rule verdicts ------------------------------------------------------------------------------


def test_failed_verdicts_are_never_cached():
    x = np.ones((2, 6), np.float32)
    for _ in range(3):
        with pytest.raises(ShapeError, match="cannot reshape"):
            ops.reshape(x, (5, 2))
        with pytest.raises(ShapeError, match="out of range"):
            ops.sum(x, axes=3)
        with pytest.raises(ShapeError, match="repeats an axis"):
            ops.sum(x, axes=(1, -1))
        with pytest.raises(ShapeError, match="cannot squeeze"):
            ops.squeeze(x, 0)
        with pytest.raises(ShapeError, match="cannot reduce"):
            ops.sum_like(x, np.ones((3, 2, 6), np.float32))
    assert ops.reshape(x, (3, 4)).shape == (3, 4)


def test_normalize_axes_tells_a_float_axis_from_an_int_one():
    assert rules.normalize_axes("sum", 1, 2) == (1,)
    with pytest.raises(TypeError):
        rules.normalize_axes("sum", 1.0, 2)
    assert rules.normalize_axes("sum", [1, 0], 2) == (0, 1)  # unhashable: not cached, still ok


def test_rules_run_in_full_on_symbolic_operands():
    from duograd.core.ir import Graph

    g = Graph()
    p = g.placeholder((None, 3), np.float32)
    w = g.placeholder((3, 2), np.float32)
    assert ops.matmul(p, w).shape == (None, 2)
    assert ops.sum(p, axes=1).shape == (None,)
    with pytest.raises(ShapeError, match="inner dimensions differ"):
        ops.matmul(p, g.placeholder((4, 2), np.float32))


# ---- broadcast views ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shape,target",
    [((), (3, 4)), ((4,), (3, 4)), ((1, 4), (3, 4)), ((3, 1), (3, 4)), ((2, 1, 3), (4, 2, 5, 3)),
     ((3, 4), (3, 4)), ((1,), (0, 1))],
)  # fmt: skip
def test_broadcast_view_is_numpys_broadcast_to(shape, target):
    x = _rng(7).standard_normal(shape).astype(np.float32)
    got, want = _broadcast_view(x, target), np.broadcast_to(x, target)
    assert got.shape == want.shape and not got.flags.writeable
    assert got.strides == want.strides
    assert _bits(got) == _bits(want)
    assert np.may_share_memory(got, x) or x.size == 0 or 0 in target


def test_broadcast_view_leaves_errors_and_odd_inputs_to_numpy():
    x = np.ones((3, 2), np.float32)
    with pytest.raises(ValueError) as ours:
        _broadcast_view(x, (3, 4))
    with pytest.raises(ValueError) as theirs:
        np.broadcast_to(x, (3, 4))
    assert str(ours.value) == str(theirs.value)
    t = x.T  # not C-contiguous
    assert _bits(_broadcast_view(t, (5, 2, 3))) == _bits(np.broadcast_to(t, (5, 2, 3)))


# ---- threads ------------------------------------------------------------------------------------


@needs_jit
def test_plan_tables_are_safe_to_fill_and_reset_from_many_threads(monkeypatch):
    # tiny tables: every few calls one thread resets a table another one is reading
    monkeypatch.setattr(mm, "_MAX_PLANS", 3)
    monkeypatch.setattr(R, "_MAX_PLANS", 3)
    monkeypatch.setattr(rules, "MAX_VERDICTS", 3)
    shapes = [(2, 3), (3, 5), (4, 4), (5, 2), (1, 7), (6, 6)]
    arrays = [_rng(i).standard_normal(s).astype(np.float32) for i, s in enumerate(shapes)]
    want = [
        (_bits(mm.matmul(a, a.T.copy())), _bits(R.reduce("sum", a, (1,))), _bits(ops.mean(a)))
        for a in arrays
    ]
    errors = []

    def work(seed: int) -> None:
        order = np.random.default_rng(seed).permutation(len(arrays) * 40) % len(arrays)
        try:
            for i in order:
                a = arrays[i]
                got = (
                    _bits(mm.matmul(a, a.T.copy())),
                    _bits(R.reduce("sum", a, (1,))),
                    _bits(ops.mean(a)),
                )
                assert got == want[i]
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
