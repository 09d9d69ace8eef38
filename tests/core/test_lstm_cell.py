"""The fused LSTM cell primitives against the op-by-op composition they replace: the same bits
in float32 and float64 (the standalone sigmoid and tanh ops expand the cell kernels' templates),
forward and the gradients of every input."""

from __future__ import annotations

import numpy as np
import pytest
from duograd.core import ops
from duograd.core.functional import chunk_last
from duograd.core.primitives.rnn import lstm_output, lstm_state


def _composition(gates, c, forget_bias, layout):
    """The cell as separate elementwise ops, in the order the fused kernels compute it."""
    if layout == "torch":
        i, f, g, o = chunk_last(gates, 4)
    else:
        i, g, f, o = chunk_last(gates, 4)
    f = ops.add(f, ops.scalar(forget_bias, f))
    c_new = ops.add(ops.mul(ops.sigmoid(f), c), ops.mul(ops.sigmoid(i), ops.tanh(g)))
    h_new = ops.mul(ops.sigmoid(o), ops.tanh(c_new))
    return h_new, c_new


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("forget_bias", "layout"), [(0.0, "torch"), (1.0, "tf")])
def test_fused_cell_matches_the_composition(dtype, forget_bias, layout) -> None:
    rng = np.random.default_rng(11)
    gates = (rng.standard_normal((7, 4 * 33)) * 3).astype(dtype)
    c = rng.standard_normal((7, 33)).astype(dtype)
    c_new = lstm_state(gates, c, forget_bias, layout)
    h_new = lstm_output(gates, c_new, layout)
    want_h, want_c = _composition(gates, c, forget_bias, layout)
    np.testing.assert_array_equal(c_new.view(np.uint8), want_c.view(np.uint8))
    np.testing.assert_array_equal(h_new.view(np.uint8), want_h.view(np.uint8))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("forget_bias", "layout"), [(0.0, "torch"), (1.0, "tf")])
def test_fused_cell_gradients_match_the_composition(dtype, forget_bias, layout) -> None:
    """Eager backward through both forms: the gradients of the gates and of c, bit for bit."""
    import duograd.frontends.eager as torch

    rng = np.random.default_rng(12)
    gates0 = (rng.standard_normal((5, 4 * 19)) * 3).astype(dtype)
    c0 = rng.standard_normal((5, 19)).astype(dtype)
    w = rng.standard_normal((5, 19)).astype(dtype)
    grads = []
    for fused in (True, False):
        gates, c = torch.tensor(gates0, requires_grad=True), torch.tensor(c0, requires_grad=True)
        if fused:
            c_new = lstm_state(gates, c, forget_bias, layout)
            h_new = lstm_output(gates, c_new, layout)
        else:
            h_new, c_new = _composition(gates, c, forget_bias, layout)
        ((h_new * torch.tensor(w)).sum() + (c_new * c_new).sum()).backward()
        grads.append((gates.grad.numpy(), c.grad.numpy()))
    for a, b in zip(*grads, strict=True):
        assert a.dtype == dtype
        np.testing.assert_array_equal(a.view(np.uint8), b.view(np.uint8))
