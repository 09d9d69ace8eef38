"""erfinv, ndtri and the normal quantile (`Normal.icdf`, tf `Normal.quantile`) in both styles."""

from __future__ import annotations

import duograd.frontends.eager as dtorch
import duograd.frontends.graph as dtf
import numpy as np
import pytest

P = np.array([1e-6, 0.001, 0.02, 0.3, 0.5, 0.77, 0.98, 0.9999])


def _eager(p: np.ndarray, loc: float, scale: float):
    x = dtorch.tensor(p, requires_grad=True)
    y = dtorch.distributions.Normal(
        dtorch.tensor(loc, dtype=x.dtype), dtorch.tensor(scale, dtype=x.dtype)
    ).icdf(x)
    y.sum().backward()
    return y.detach().numpy(), x.grad.numpy()


def _graph(p: np.ndarray, loc: float, scale: float):
    g = dtf.Graph()
    with g.as_default():
        x = dtf.placeholder(p.dtype, [None])
        y = dtf.distributions.Normal(np.asarray(loc, p.dtype), np.asarray(scale, p.dtype)).quantile(
            x
        )
        (dx,) = dtf.gradients(y, [x])
        with dtf.Session() as sess:
            return sess.run([y, dx], {x: p})


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normal_quantile_matches_torch_and_the_styles_agree_bitwise(dtype: type) -> None:
    torch = pytest.importorskip("torch")
    p = P.astype(dtype)
    ye, ge = _eager(p, 0.5, 2.0)
    yg, gg = _graph(p, 0.5, 2.0)
    assert ye.dtype == dtype and yg.dtype == dtype
    assert ye.tobytes() == yg.tobytes() and ge.tobytes() == gg.tobytes()
    tx = torch.tensor(p, requires_grad=True)
    ty = torch.distributions.Normal(0.5, 2.0).icdf(tx)
    ty.sum().backward()
    rtol = 2e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(
        ye, ty.detach().numpy(), rtol=rtol, atol=1e-6 if dtype == np.float32 else 1e-13
    )
    np.testing.assert_allclose(ge, tx.grad.numpy(), rtol=rtol * 10)


def test_erfinv_and_ndtri_match_torch_with_edges() -> None:
    torch = pytest.importorskip("torch")
    y = np.array([-1.0, -0.9999999, -0.5, -0.0, 0.0, 1e-300, 0.25, 0.999999999, 1.0, 1.5, np.nan])
    got = dtorch.erfinv(dtorch.tensor(y)).numpy()
    want = torch.erfinv(torch.tensor(y)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-14, equal_nan=True)
    assert np.signbit(got[3]) and not np.signbit(got[4])  # erfinv(-0) is -0
    np.testing.assert_allclose(
        dtorch.tensor(y).erfinv().numpy(),
        dtorch.special.erfinv(dtorch.tensor(y)).numpy(),
        equal_nan=True,
    )
    p = np.array([1e-10, 0.01, 0.5, 0.9, 0.999])
    np.testing.assert_allclose(
        dtorch.special.ndtri(dtorch.tensor(p)).numpy(),
        torch.special.ndtri(torch.tensor(p)).numpy(),
        rtol=5e-9,  # 2 p - 1 cancels as p -> 0: 2e-9 relative at p = 1e-10
    )


def _tf_values(tf, tensors: list) -> list:
    # another test may have switched real TF to graph mode in this process
    if tf.executing_eagerly():
        return [t.numpy() for t in tensors]
    with tf.compat.v1.Session() as sess:
        return sess.run(tensors)


def test_tf_erfinv_and_ndtri_match_tensorflow() -> None:
    tf = pytest.importorskip("tensorflow")
    y = np.array([-0.999, -0.3, 0.0, 0.6, 0.99999], np.float32)
    p = np.array([0.001, 0.2, 0.5, 0.95], np.float64)
    g = dtf.Graph()
    with g.as_default(), dtf.Session() as sess:
        got_e, got_n = sess.run([dtf.math.erfinv(y), dtf.math.ndtri(p)])
    want_e, want_n = _tf_values(tf, [tf.math.erfinv(y), tf.math.ndtri(p)])
    np.testing.assert_allclose(got_e, want_e, rtol=2e-6)
    np.testing.assert_allclose(got_n, want_n, rtol=1e-12)
    assert got_e.dtype == np.float32 and got_n.dtype == np.float64


def test_erfinv_rejects_integer_input_by_name() -> None:
    g = dtf.Graph()
    with g.as_default(), pytest.raises(Exception, match="erfinv"):
        dtf.math.erfinv(np.array([1, 2], np.int32))
