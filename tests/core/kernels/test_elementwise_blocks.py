"""Flat fused kernels with several transcendental ops run one loop per segment over blocks:
the segment rule, and the bits against the ops run one by one (every block edge, both
dtypes, values read across segments, bool buffers, the parallel path)."""

from __future__ import annotations

import numpy as np
import pytest
from duograd.core.kernels import elementwise as E
from duograd.core.kernels import elementwise_blocks, elementwise_kernel
from hypothesis import given, settings
from hypothesis import strategies as st

SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, 30.0, -30.0, 90.0, -110.0, np.inf, -np.inf, np.nan]
BLOCK = elementwise_blocks.BLOCK


def _data(n: int, dtype, seed: int) -> np.ndarray:
    x = (np.random.default_rng(seed).standard_normal(n) * 3).astype(dtype)
    k = min(n, len(SPECIAL))
    x[:k] = SPECIAL[:k]
    return x


def _op_by_op(prog, inputs):
    vals = []
    for op, *args in prog:
        arrs = [inputs[a] if a >= 0 else vals[len(vals) + a] for a in args]
        if op == "where":
            vals.append(E.where(*arrs))
        elif op.endswith("_grad"):
            vals.append(E.grad_binary(op, *arrs))
        elif len(arrs) == 2:
            vals.append(E.binary(op, *arrs))
        else:
            vals.append(E.unary(op, *arrs))
    return vals[-1]


CHAIN = (
    ("mul", 0, 1),
    ("add", -1, 2),
    ("tanh", -1),
    ("square", -1),
    ("sub", -1, 2),
    ("sigmoid", -1),
    ("mul", -1, 1),
    ("exp", -1),
)


def test_segments_hold_at_most_one_transcendental_op():
    segs = elementwise_blocks.segments(CHAIN)
    assert segs == [range(0, 5), range(5, 7), range(7, 8)]
    assert elementwise_blocks.segments((("mul", 0, 1), ("tanh", -1), ("add", -1, 0))) == [
        range(0, 3)
    ]
    assert elementwise_blocks.segments((("exp", 0), ("log", -1))) == [range(0, 1), range(1, 2)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 5, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK + 17])
def test_chain_bitwise_op_by_op(dtype, n):
    x = _data(n, dtype, n)
    s, c = np.array([1.5], dtype), np.array([0.25], dtype)
    k = E.compile_elementwise(CHAIN, [dtype] * 3)
    np.testing.assert_array_equal(k(x, s, c), _op_by_op(CHAIN, (x, s, c)))


# step 0's value and input 1 are read two segments later; a bool mask crosses segments
CROSSING = (
    ("gt", 0, 1),
    ("exp", 0),
    ("tanh", -1),
    ("sigmoid", 1),
    ("add", -1, -2),
    ("where", -5, -1, 1),
    ("log", -1),
    ("sub", -1, -6),
)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_values_and_masks_read_across_segments(dtype):
    n = 2 * BLOCK + 3
    x, y = _data(n, dtype, 1), _data(n, dtype, 2)[::-1].copy()
    k = E.compile_elementwise(CROSSING, [dtype, dtype])
    assert len(elementwise_blocks.segments(k.program)) == 4
    np.testing.assert_array_equal(k(x, y), _op_by_op(CROSSING, (x, y)))


def test_parallel_path_is_bitwise_serial(monkeypatch, parallel_threads):
    n = 3 * 4096 + BLOCK + 5  # several parallel tasks, the last one short
    x, y = _data(n, np.float32, 3), _data(n, np.float32, 4)
    k = E.compile_elementwise(CROSSING, [np.float32, np.float32])
    serial = k(x, y)
    monkeypatch.setattr(elementwise_kernel, "PARALLEL_MIN", 0)
    parallel = k(x, y)
    np.testing.assert_array_equal(parallel, serial)
    np.testing.assert_array_equal(parallel, _op_by_op(CROSSING, (x, y)))


_OPS = ["add", "mul", "sub", "tanh", "sigmoid", "exp", "square", "log1p", "sin"]


@st.composite
def _programs(draw):
    steps = []
    for k in range(draw(st.integers(2, 7))):
        op = draw(st.sampled_from(_OPS))
        arity = 2 if op in ("add", "mul", "sub") else 1
        refs = st.one_of(st.integers(0, 1), st.integers(-k, -1)) if k else st.integers(0, 1)
        steps.append((op, *[draw(refs) for _ in range(arity)]))
    return tuple(steps)


@settings(max_examples=10, deadline=None)
@given(_programs())
def test_random_programs_bitwise_op_by_op(prog):
    n = BLOCK + 7
    x, y = _data(n, np.float32, 5), np.array([0.75], np.float32)
    fused = E.compile_elementwise(prog, [np.float32, np.float32])(x, y)
    np.testing.assert_array_equal(fused, np.broadcast_to(_op_by_op(prog, (x, y)), fused.shape))
