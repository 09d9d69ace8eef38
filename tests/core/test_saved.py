"""What the eager tape saves is derived from each VJP rule (traced once), never kept by hand."""

from __future__ import annotations

import numpy as np
import pytest
from duograd.core.primitives import REGISTRY, bind
from duograd.core.saved import saves_for_calls, saves_of
from op_table import cases

_N = ((), False)
# (operands read by value, reads the output) as they follow from the rules
EXPECTED = {
    "add": _N, "sub": _N, "neg": _N, "sum": _N, "mean": _N, "reshape": _N, "reshape_like": _N,
    "transpose": _N, "expand_dims": _N, "squeeze": _N, "broadcast_to": _N, "broadcast_like": _N,
    "sum_like": _N, "getitem": _N, "getitem_grad": _N, "concat": _N, "stack": _N, "cast": _N,
    "identity": _N, "mul": ((0, 1), False), "div": ((1,), True), "pow": ((0, 1), True),
    "maximum": ((0, 1), False), "minimum": ((0, 1), False), "where": ((0,), False),
    "exp": ((), True), "log": ((0,), False), "sqrt": ((), True), "abs": ((0,), False),
    "tanh": ((), True), "sigmoid": ((), True), "relu": ((), True), "square": ((0,), False),
    "relu_grad": ((0,), False), "matmul": ((0, 1), False), "max": ((0,), True),
    "min": ((0,), True), "softmax": ((), True), "log_softmax": ((), True),
    "logsumexp": ((0,), True), "gather": ((1,), False), "scatter_add_like": ((2,), False),
    "pick": ((1,), False), "pick_grad": ((2,), False), "conv2d": ((0, 1), False),
    "conv2d_input_grad": ((0, 1), False), "conv2d_filter_grad": ((0, 1), False),
    "max_pool2d": ((0,), False), "avg_pool2d": _N, "max_pool2d_grad": ((0,), False),
    "max_pool2d_pick": ((0,), False), "avg_pool2d_grad": _N, "sin": ((0,), False),
    "cos": ((0,), False),
    # training BatchNorm: the statistics' VJP reads x and its own (3, C) output; normalising
    # reads x, the statistics and the scale (never the offset or the normalised output)
    "batch_norm_stats": ((0,), True), "batch_norm_apply": ((0, 1, 2), False),
    "batch_norm_reduce_grad": ((0, 1, 2), True), "batch_norm_stats_grad": ((0, 1, 2), False),
    # inference BatchNorm: x, mean, variance and scale (the offset's gradient is a plain sum)
    "batch_norm_infer": ((0, 1, 2, 3), False),
}  # fmt: skip

_CASES = [c for c in cases((np.float64,)) if c[0].name in EXPECTED]


@pytest.mark.parametrize("row, dt, sample, _id", _CASES, ids=[c[3] for c in _CASES])
def test_derived_saves(row, dt, sample, _id):
    prim = REGISTRY[row.name]
    out = np.asarray(bind(prim, *sample.args, **sample.params))
    assert saves_of(prim, tuple(sample.args), out, sample.params) == EXPECTED[row.name]


@pytest.mark.parametrize("name, n", [("add", 2), ("mul", 2), ("exp", 1), ("sum", 1),
                                     ("max", 1), ("matmul", 2)])  # fmt: skip
def test_dispatch_paths_get_the_same_saves(name, n):
    assert saves_for_calls(REGISTRY[name], n) == EXPECTED[name]


def test_no_saves_are_declared_by_hand():
    assert [p.name for p in REGISTRY.values() if p.saves is not None] == []
