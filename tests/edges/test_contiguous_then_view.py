"""`.t().contiguous().view(...)` and `.permute(...).contiguous().view(...)`: contiguous() copies.

The word-level language-model idiom (`data.view(bsz, -1).t().contiguous()`, then slices of it
viewed flat) needs `contiguous()` to give C-order memory, as torch's does; `view` refuses
strides it cannot honour.
"""

import duograd.frontends.eager as dg
import numpy as np
import pytest


def _both(build):
    torch = pytest.importorskip("torch")
    return build(dg), build(torch)


@pytest.mark.parametrize(
    "build",
    [
        lambda t: t.arange(40).view(4, 10).t().contiguous()[2:5].view(-1),
        lambda t: t.arange(24.0).view(2, 3, 4).permute(2, 0, 1).contiguous().view(4, 6),
        lambda t: t.arange(12.0).view(3, 4).t().contiguous().view(2, 6),
    ],
)
def test_values_match_torch(build):
    ours, theirs = _both(build)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_contiguous_reports_and_keeps_contiguous_tensors():
    x = dg.arange(12.0).view(3, 4)
    assert x.contiguous() is x
    y = x.t()
    assert not y.is_contiguous()
    z = y.contiguous()
    assert z.is_contiguous() and z is not y


def test_gradient_flows_through_contiguous():
    torch = pytest.importorskip("torch")
    grads = []
    for t in (dg, torch):
        x = t.arange(12.0).view(3, 4).requires_grad_()
        w = t.arange(12.0).view(12) * 0.5
        (x.t().contiguous().view(-1) * w).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])


def test_layer_outputs_and_flip_can_be_viewed_as_in_torch():
    torch = pytest.importorskip("torch")
    for t in (dg, torch):
        t.manual_seed(0)
        out, _ = t.nn.LSTM(4, 5)(t.ones(6, 2, 4))
        assert out.view(-1, 5).shape == (12, 5)
        att, _ = t.nn.MultiheadAttention(8, 2)(t.ones(5, 2, 8), t.ones(5, 2, 8), t.ones(5, 2, 8))
        assert att.view(-1).shape == (80,)
        assert t.flip(t.arange(6.0).view(2, 3), [0]).view(6).shape == (6,)
        up = t.nn.functional.interpolate(t.ones(1, 2, 4, 4), scale_factor=2)
        assert up.view(-1).shape == (128,)


def test_writing_to_a_flipped_tensor_leaves_the_input_alone():
    x = dg.arange(6.0)
    y = dg.flip(x, [0])
    y[0] = 100.0
    np.testing.assert_array_equal(x.numpy(), np.arange(6.0))
