"""The training-step profile's grouping by layer kind (benchmarks/profile_step.by_kind)."""

from __future__ import annotations

import pytest
from duograd.benchmarks import profile_step as P


def test_times_are_grouped_by_layer_kind():
    rows = [
        ("kernel conv2d_filter_grad", 30.0, 9),
        ("conv2d_filter_grad", 29.0, 9),  # the primitive around the kernel: not counted twice
        ("kernel conv2d", 20.0, 9),
        ("kernel conv2d_input_grad", 10.0, 8),
        ("batch_norm_stats", 4.0, 9),
        ("batch_norm_reduce_grad", 3.0, 9),
        ("relu", 1.5, 6),
        ("relu_grad", 1.0, 6),
        ("optimizer update", 0.5, 30),
        ("log_softmax", 0.25, 1),
        ("other", 5.0, 0),
        ("TOTAL step", 80.0, 0),
    ]
    kinds = {k: (ms, share) for k, ms, share in P.by_kind(rows)}
    assert kinds["conv backward weight"] == (30.0, pytest.approx(0.375))
    assert kinds["conv forward"][0] == 20.0 and kinds["conv backward data"][0] == 10.0
    assert kinds["BatchNorm"][0] == 7.0 and kinds["ReLU"][0] == 2.5
    assert kinds["optimizer"][0] == 0.5 and kinds["other kernels"][0] == 0.25
    assert kinds["other (dispatch, tape, fused elementwise)"][0] == 5.0
    assert kinds["TOTAL step"] == (80.0, 1.0)
    assert sum(ms for k, (ms, _) in kinds.items() if k != "TOTAL step") == 75.25


def test_a_conv_primitive_is_not_a_kind_of_its_own():
    assert P.kind_of("conv2d") is None
    assert P.kind_of("batch_norm_infer") == "BatchNorm"
    assert P.kind_of("kernel conv2d") == "conv forward"
