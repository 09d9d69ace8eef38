"""torch.autograd.gradcheck / gradgradcheck, inference_mode and anomaly_mode behave as torch's:
True for correct gradients, an error (or False) for a wrong backward, in both libraries."""

from __future__ import annotations

import duograd.frontends.eager as dg
import numpy as np
import pytest

torch = pytest.importorskip("torch")


def _inputs(m):
    rng = np.random.default_rng(3)
    return tuple(m.tensor(rng.uniform(0.3, 1.5, (2, 3)), requires_grad=True) for _ in range(2))


def _good(m):
    return lambda a, b: m.atan2(a, b) * m.hypot(a, b) + m.logaddexp(a, b).sum() * a.cumprod(1)


def _wrong_function(m):
    class Square(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x * 3.0  # should be 2x

    return Square.apply


@pytest.mark.parametrize("m", [dg, torch], ids=["duograd", "torch"])
def test_gradcheck_accepts_correct_gradients(m):
    assert m.autograd.gradcheck(_good(m), _inputs(m))
    assert m.autograd.gradgradcheck(_good(m), _inputs(m))


@pytest.mark.parametrize("m", [dg, torch], ids=["duograd", "torch"])
def test_gradcheck_rejects_a_wrong_backward(m):
    fn = _wrong_function(m)
    x = _inputs(m)[0]
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        m.autograd.gradcheck(fn, (x,))
    assert m.autograd.gradcheck(fn, (x,), raise_exception=False) is False


@pytest.mark.parametrize("m", [dg, torch], ids=["duograd", "torch"])
def test_gradgradcheck_catches_a_wrong_second_derivative(m):
    # x^3 whose first derivative 3x^2 is right but carries no history: the second is 0, not 6x
    def cube(x):
        c = x.detach()
        return c**3 + 3 * c**2 * (x - c)

    x = _inputs(m)[0]
    assert m.autograd.gradcheck(cube, (x,))
    assert m.autograd.gradgradcheck(cube, (x,), raise_exception=False) is False


def test_inference_mode_and_anomaly_mode_names():
    x = dg.ones(2, requires_grad=True)
    with dg.autograd.inference_mode():
        y = x * 2
    assert not y.requires_grad
    assert dg.autograd.anomaly_mode.detect_anomaly is dg.autograd.detect_anomaly
    assert dg.autograd.anomaly_mode.set_detect_anomaly is dg.autograd.set_detect_anomaly
    with pytest.raises(ValueError, match="require gradient"):
        dg.autograd.gradcheck(lambda a: a * 2, (dg.ones(2),))
