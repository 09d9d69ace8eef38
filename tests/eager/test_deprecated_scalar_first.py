"""The deprecated scalar-first overloads old programs write: `p.data.add_(-lr, p.grad.data)`,
`exp_avg_sq.addcmul_(1 - beta2, grad, grad)`, `p.data.addcdiv_(-step, exp_avg, denom)`."""

import duograd.frontends.eager as dg
import numpy as np
import pytest


@pytest.mark.parametrize(
    "call",
    [
        lambda t, x, g: x.add_(-0.5, g),
        lambda t, x, g: x.sub_(0.25, g),
        lambda t, x, g: x.add(2.0, g),
        lambda t, x, g: t.add(x, 3.0, g),
        lambda t, x, g: x.addcmul_(0.5, g, g),
        lambda t, x, g: x.addcdiv_(-0.5, g, g + 2),
        lambda t, x, g: x.addcmul(0.5, g, g),
    ],
)
def test_scalar_first_matches_torch(call):
    torch = pytest.importorskip("torch")
    out = []
    for t in (dg, torch):
        x = t.arange(6.0).view(2, 3)
        g = t.ones(2, 3) * 1.5
        if t is dg:  # torch warns once per process, so only ours is checked for the warning
            with pytest.warns(UserWarning, match="deprecated"):
                r = call(t, x, g)
        else:
            r = call(t, x, g)
        out.append((r.numpy().copy(), x.numpy().copy()))
    for a, b in zip(out[0], out[1], strict=True):
        np.testing.assert_array_equal(a, b)
