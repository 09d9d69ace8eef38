"""LSTMStep: projecting all inputs at once gives the per-step forward values bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from duograd.core import functional as CF


def _params(rng, e, h, dt=np.float32):
    def u(*shape):
        return rng.uniform(-0.5, 0.5, shape).astype(dt)

    return (u(4 * h, e), u(4 * h, h), u(4 * h), u(4 * h))


@pytest.mark.parametrize("reverse", [False, True])
def test_projected_unroll_matches_the_per_step_cell_bitwise(reverse: bool) -> None:
    rng = np.random.default_rng(3)
    t, b, e, h = 5, 3, 4, 6
    params = _params(rng, e, h)
    x = rng.standard_normal((t, b, e)).astype(np.float32)
    state = (rng.standard_normal((b, h)).astype(np.float32),) * 2
    step = CF.LSTMStep(params, "torch", 0.5)
    assert step.project_inputs is not None

    def per_step(x_t, st):
        hh, cc = CF.lstm_cell(x_t, st[0], st[1], params, "torch", 0.5)
        return hh, (hh, cc)

    out_p, (h_p, c_p) = CF.rnn_unroll(step, x, state, reverse)
    out_s, (h_s, c_s) = CF.rnn_unroll(per_step, x, state, reverse)
    for got, want in ((out_p, out_s), (h_p, h_s), (c_p, c_s)):
        np.testing.assert_array_equal(got, want)


def test_tf_layout_has_no_input_half() -> None:
    rng = np.random.default_rng(4)
    kernel = rng.uniform(-0.5, 0.5, (4 + 6, 24)).astype(np.float32)
    step = CF.LSTMStep((kernel, np.zeros(24, np.float32)), "tf", 1.0)
    assert step.project_inputs is None
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    zeros = np.zeros((3, 6), np.float32)
    out, (hn, cn) = CF.rnn_unroll(step, x, (zeros, zeros))
    assert out.shape == (2, 3, 6) and hn.shape == cn.shape == (3, 6)
    np.testing.assert_array_equal(out[-1], hn)
