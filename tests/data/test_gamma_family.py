"""Gamma, Beta, Dirichlet and MultivariateNormal: values and gradients against torch and TF,
sampling by moments, implicit reparameterisation gradients, validate_args errors, and the two
styles drawing and differentiating bit for bit alike."""

from __future__ import annotations

import duograd.frontends.eager as dg
import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core.kernels import special as K

D = dg.distributions
RNG = np.random.default_rng(5)
C = RNG.uniform(0.5, 3.0, 4)
R = RNG.uniform(0.5, 2.0, 4)
CD = RNG.uniform(0.5, 3.0, (2, 4))
A = RNG.standard_normal((2, 3, 3))
COV = A @ A.transpose(0, 2, 1) + np.eye(3)
LOC = RNG.standard_normal((2, 3))


def _torch():
    return pytest.importorskip("torch")


def _pair(make, make_t, dt, params, fns, grad_mask=None):
    """Each fn(dist, torch_mod) -> value, compared with torch's; then gradients of their sum."""
    T = _torch()
    ours = [dg.tensor(p.astype(dt), requires_grad=True) for p in params]
    theirs = [T.tensor(p.astype(dt), requires_grad=True) for p in params]
    d, td = make(*ours), make_t(*theirs)
    tol = 2e-5 if dt == np.float32 else 1e-9
    total, ttotal = 0, 0
    for fn in fns:
        a, b = fn(d, dg), fn(td, T)
        assert a.dtype == (dg.float32 if dt == np.float32 else dg.float64)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=tol, atol=tol)
        total, ttotal = total + a.sum(), ttotal + b.sum()
    total.backward()
    ttotal.backward()
    for i, (o, t) in enumerate(zip(ours, theirs, strict=True)):
        mask = 1 if grad_mask is None else grad_mask[i]
        np.testing.assert_allclose(
            o.grad.numpy() * mask, t.grad.numpy() * mask, rtol=tol * 10, atol=tol * 10
        )


X_POS = RNG.uniform(0.1, 3.0, (5, 4))
X_UNIT = RNG.uniform(0.05, 0.95, (5, 4))
X_SIMPLEX = RNG.dirichlet(np.ones(4), (3, 2))
X_MVN = RNG.standard_normal((4, 2, 3))


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_gamma_against_torch(dt):
    def fns():
        return [
            lambda d, m: d.log_prob(m.tensor(X_POS.astype(dt))),
            lambda d, m: d.entropy(),
            lambda d, m: d.mean,
            lambda d, m: d.variance,
            lambda d, m: m.distributions.kl_divergence(
                d, type(d)(m.tensor(R.astype(dt)), m.tensor(C.astype(dt)))
            ),
        ]

    _pair(D.Gamma, _torch().distributions.Gamma, dt, [C, R], fns())


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_beta_against_torch(dt):
    fns = [
        lambda d, m: d.log_prob(m.tensor(X_UNIT.astype(dt))),
        lambda d, m: d.entropy(),
        lambda d, m: d.mean,
        lambda d, m: d.variance,
        lambda d, m: m.distributions.kl_divergence(
            d, type(d)(m.tensor(R.astype(dt)), m.tensor(C.astype(dt)))
        ),
        lambda d, m: m.distributions.kl_divergence(
            d, m.distributions.Normal(m.tensor(R.astype(dt)), m.tensor(C.astype(dt)))
        ),
        lambda d, m: m.distributions.kl_divergence(m.distributions.Uniform(0.2, 0.7), d),
    ]
    _pair(D.Beta, _torch().distributions.Beta, dt, [C, R], fns)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_dirichlet_against_torch(dt):
    fns = [
        lambda d, m: d.log_prob(m.tensor(X_SIMPLEX.astype(dt))),
        lambda d, m: d.entropy(),
        lambda d, m: d.mean,
        lambda d, m: d.variance,
        lambda d, m: m.distributions.kl_divergence(
            d, type(d)(m.tensor(CD[::-1].copy().astype(dt)))
        ),
    ]
    _pair(D.Dirichlet, _torch().distributions.Dirichlet, dt, [CD], fns)


@pytest.mark.parametrize("kind", ["covariance_matrix", "precision_matrix", "scale_tril"])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_multivariate_normal_against_torch(kind, dt):
    mat = np.linalg.cholesky(COV) if kind == "scale_tril" else COV

    def make(mod):
        return lambda loc, m: mod.MultivariateNormal(loc, **{kind: m})

    other = {"covariance_matrix": (COV[::-1].copy() + 0.5 * np.eye(3)).astype(dt)}
    fns = [
        lambda d, m: d.log_prob(m.tensor(X_MVN.astype(dt))),
        lambda d, m: d.entropy(),
        lambda d, m: d.variance,
        lambda d, m: d.covariance_matrix,
        lambda d, m: d.precision_matrix,
        lambda d, m: d.scale_tril,
        lambda d, m: m.distributions.kl_divergence(
            d,
            m.distributions.MultivariateNormal(
                m.tensor(LOC[::-1].copy().astype(dt)),
                **{k: m.tensor(v) for k, v in other.items()},
            ),
        ),
    ]
    # the strictly upper entries of a scale_tril are structural zeros: torch's precision rule
    # reads them, ours reads the lower triangle only, so only the lower gradients compare
    mask = [1, np.tril(np.ones((3, 3)))] if kind == "scale_tril" else None
    _pair(make(D), make(_torch().distributions), dt, [LOC, mat], fns, mask)


def test_cross_kl_pairs_against_torch():
    T = _torch()
    TD = T.distributions
    g, tg = D.Gamma(C, R), TD.Gamma(T.tensor(C), T.tensor(R))
    u, tu = D.Uniform(0.5, 2.0), TD.Uniform(0.5, 2.0)
    n, tn = D.Normal(0.3, 1.5), TD.Normal(0.3, 1.5)
    for a, b, ta, tb in [(g, n, tg, tn), (u, g, tu, tg), (u, n, tu, tn), (g, u, tg, tu)]:
        ours, theirs = D.kl_divergence(a, b).numpy(), TD.kl_divergence(ta, tb).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-5)


def test_implicit_gamma_gradient_matches_torch_pointwise():
    T = _torch()
    a = np.repeat([0.1, 0.7, 1.0, 3.0, 20.0], 5)
    x = RNG.gamma(a)
    ours = K.gamma_grad(x, a)
    theirs = T._standard_gamma_grad(T.tensor(a), T.tensor(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=2e-3)


@pytest.mark.parametrize(
    "make,analytic",
    [
        # d/dc E[x] of Gamma(c, r) is 1 / r; of Beta(a, b) it is b / (a + b)^2
        (lambda c: D.Gamma(c, dg.tensor(2.0)), lambda c: np.full_like(c, 0.5)),
        (lambda c: D.Beta(c, dg.tensor(3.0)), lambda c: 3.0 / (c + 3.0) ** 2),
    ],
)
def test_rsample_gradients_are_unbiased(make, analytic):
    dg.manual_seed(3)
    c = dg.tensor([0.4, 1.0, 2.5], requires_grad=True)
    n = 40000
    make(c).rsample((n,)).sum().backward()
    np.testing.assert_allclose(c.grad.numpy() / n, analytic(c.detach().numpy()), rtol=0.03)


def test_dirichlet_rsample_gradient_is_unbiased():
    dg.manual_seed(4)
    c = dg.tensor([0.5, 2.0, 3.0], requires_grad=True)
    n = 40000
    D.Dirichlet(c).rsample((n,))[:, 0].sum().backward()
    cv = c.detach().numpy()
    a0 = cv.sum()
    expected = np.array([(a0 - cv[0]) / a0**2, -cv[0] / a0**2, -cv[0] / a0**2])
    np.testing.assert_allclose(c.grad.numpy() / n, expected, rtol=0.05, atol=2e-3)


def test_sampling_moments():
    dg.manual_seed(0)
    n = 60000
    g = D.Gamma(dg.tensor([0.3, 2.5]), dg.tensor([1.0, 2.0])).sample((n,)).numpy()
    np.testing.assert_allclose(g.mean(0), [0.3, 1.25], rtol=0.03)
    np.testing.assert_allclose(g.var(0), [0.3, 0.625], rtol=0.06)
    b = D.Beta(2.0, 3.0).sample((n,)).numpy()
    assert abs(b.mean() - 0.4) < 0.005 and abs(b.var() - 0.04) < 0.002
    d = D.Dirichlet(dg.tensor([1.0, 2.0, 5.0])).sample((n,)).numpy()
    np.testing.assert_allclose(d.sum(-1), 1, rtol=1e-5)
    np.testing.assert_allclose(d.mean(0), [0.125, 0.25, 0.625], rtol=0.02)
    m = D.MultivariateNormal(dg.tensor(LOC[0]), dg.tensor(COV[0]))
    s = m.sample((n,)).numpy().astype(np.float64)
    np.testing.assert_allclose(s.mean(0), LOC[0], atol=0.05)
    np.testing.assert_allclose(np.cov(s.T), COV[0], rtol=0.05, atol=0.05)
    assert g.dtype == b.dtype == s.astype(np.float32).dtype == np.float32


def test_validate_args_names_the_parameter_and_the_value():
    with pytest.raises(ValueError, match="concentration.*GreaterThan"):
        D.Gamma(dg.tensor([-1.0]), dg.tensor([1.0]))
    with pytest.raises(ValueError, match="concentration0"):
        D.Beta(1.0, 0.0)
    with pytest.raises(ValueError, match="support.*Interval"):
        D.Beta(2.0, 2.0).log_prob(dg.tensor(1.5))
    with pytest.raises(ValueError, match="Simplex"):
        D.Dirichlet(dg.tensor([1.0, 2.0])).log_prob(dg.tensor([0.7, 0.7]))
    with pytest.raises(ValueError, match="at least one-dimensional"):
        D.Dirichlet(dg.tensor(2.0))
    with pytest.raises(ValueError, match="covariance_matrix.*PositiveDefinite"):
        D.MultivariateNormal(dg.zeros(2), dg.tensor([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="scale_tril.*LowerCholesky"):
        D.MultivariateNormal(dg.zeros(2), scale_tril=dg.tensor([[1.0, 1.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="exactly one"):
        D.MultivariateNormal(dg.zeros(2), dg.eye(2), scale_tril=dg.eye(2))
    with pytest.raises(ValueError, match="event size"):
        D.MultivariateNormal(dg.zeros(3), dg.eye(2))
    # off: no check, as PyTorch
    D.Gamma(dg.tensor([-1.0]), dg.tensor([1.0]), validate_args=False)


def _graph_run(build, seed):
    g = tf.Graph()
    with g.as_default():
        c = tf.Variable(C.astype(np.float32))
        fetches = build(c)
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            tf.set_random_seed(seed)
            return s.run(fetches)


def _eager_run(build, seed):
    c = dg.tensor(C.astype(np.float32), requires_grad=True)
    dg.manual_seed(seed)
    outs = build(c)
    outs[0].backward()
    return [o.detach().numpy() for o in outs[1:]] + [c.grad.numpy()]


def test_beta_draws_and_gradients_equal_across_styles():
    def graph(c):
        d = tf.distributions.Beta(c, 2.0)
        x = d.sample(3)
        loss = tf.reduce_sum(x * x) + tf.reduce_sum(d.log_prob(0.3)) + tf.reduce_sum(d.entropy())
        kl = tf.distributions.kl_divergence(d, tf.distributions.Beta(2.0, c))
        return [x, d.log_prob(0.3), kl, tf.gradients(loss, [c])[0]]

    def eager(c):
        d = D.Beta(c, dg.tensor(2.0))
        x = d.rsample((3,))
        loss = (x * x).sum() + d.log_prob(dg.tensor(0.3)).sum() + d.entropy().sum()
        kl = D.kl_divergence(d, D.Beta(dg.tensor(2.0), c))
        return [loss, x, d.log_prob(dg.tensor(0.3)), kl]

    got, want = _graph_run(graph, 9), _eager_run(eager, 9)
    for a, b in zip(got, want, strict=True):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()


def test_gamma_and_dirichlet_draw_the_same_bits_in_both_styles():
    def graph(c):
        return [
            tf.distributions.Gamma(c, 2.0).sample([2]),
            tf.distributions.Dirichlet(c).sample(3),
            tf.random_gamma([2], c, 2.0),
        ]

    g = _graph_run(graph, 21)
    dg.manual_seed(21)
    c = dg.tensor(C.astype(np.float32))
    e = [
        D.Gamma(c, dg.tensor(2.0)).sample((2,)),
        D.Dirichlet(c).sample((3,)),
        dg._standard_gamma(c.expand(2, 4)) / 2.0,
    ]
    for a, b in zip(g, e, strict=True):
        assert a.tobytes() == b.numpy().tobytes()


def test_tf_beta_against_real_tf():
    real = pytest.importorskip("tensorflow")
    real.compat.v1.disable_eager_execution()
    x = X_UNIT.astype(np.float32)
    with real.Graph().as_default():
        c1 = real.constant(C.astype(np.float32))
        d = real.compat.v1.distributions.Beta(c1, R.astype(np.float32))
        q = real.compat.v1.distributions.Beta(R.astype(np.float32), c1)
        outs = [d.log_prob(x), d.entropy(), d.mean(), d.variance(), d.kl_divergence(q)]
        outs.append(
            real.compat.v1.gradients(real.reduce_sum(outs[0]) + real.reduce_sum(outs[4]), c1)[0]
        )
        with real.compat.v1.Session() as s:
            want = s.run(outs)
    g = tf.Graph()
    with g.as_default():
        c1 = tf.constant(C.astype(np.float32))
        d = tf.distributions.Beta(c1, R.astype(np.float32))
        q = tf.distributions.Beta(R.astype(np.float32), c1)
        outs = [d.log_prob(x), d.entropy(), d.mean(), d.variance(), d.kl_divergence(q)]
        outs.append(tf.gradients(tf.reduce_sum(outs[0]) + tf.reduce_sum(outs[4]), [c1])[0])
        with tf.Session() as s:
            got = s.run(outs)
    for a, b in zip(got, want, strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=5e-5, atol=5e-5)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_gamma_cdf_and_gammainc_against_torch(dt):
    T = _torch()
    x = X_POS.astype(dt)
    # torch has no gradient of gammainc in its first argument: the rate and the value only
    r, tr = dg.tensor(R.astype(dt), requires_grad=True), T.tensor(R.astype(dt), requires_grad=True)
    ours = D.Gamma(dg.tensor(C.astype(dt)), r).cdf(dg.tensor(x))
    theirs = T.distributions.Gamma(T.tensor(C.astype(dt)), tr).cdf(T.tensor(x))
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=2e-5)
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(r.grad.numpy(), tr.grad.numpy(), rtol=1e-4)
    # the concentration's gradient against central differences of P in float64
    c64 = dg.tensor(C, requires_grad=True)
    dg.special.gammainc(c64, dg.tensor(X_POS)).sum().backward()
    h = 1e-6
    p = dg.special.gammainc
    num = (
        p(dg.tensor(C + h), dg.tensor(X_POS)).numpy()
        - p(dg.tensor(C - h), dg.tensor(X_POS)).numpy()
    ).sum(0) / (2 * h)
    np.testing.assert_allclose(c64.grad.numpy(), num, rtol=1e-6)
    a = dg.tensor(C.astype(dt))
    v = dg.tensor(x, requires_grad=True)
    ta = T.tensor(C.astype(dt))
    tv = T.tensor(x, requires_grad=True)
    ours, theirs = dg.special.gammainc(a, v), T.special.gammainc(ta, tv)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-5)
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(v.grad.numpy(), tv.grad.numpy(), rtol=1e-4)
    q = dg.special.gammaincc(a, v).detach().numpy()
    np.testing.assert_allclose(q, T.special.gammaincc(ta, tv).detach().numpy(), atol=1e-5)


def test_gamma_cdf_equal_across_styles_and_against_real_tf():
    x = X_POS.astype(np.float32)
    g = tf.Graph()
    with g.as_default():
        c = tf.constant(C.astype(np.float32))
        cdf = tf.distributions.Gamma(c, R.astype(np.float32)).cdf(x)
        ig = tf.igamma(c, x)
        grads = tf.gradients(tf.reduce_sum(cdf), [c])
        with tf.Session() as s:
            got = s.run([cdf, ig, grads[0]])
    c = dg.tensor(C.astype(np.float32), requires_grad=True)
    e = D.Gamma(c, dg.tensor(R.astype(np.float32))).cdf(dg.tensor(x))
    e.sum().backward()
    assert got[0].tobytes() == e.detach().numpy().tobytes()
    assert got[2].tobytes() == c.grad.numpy().tobytes()
    real = pytest.importorskip("tensorflow")
    with real.Graph().as_default(), real.compat.v1.Session() as s:
        want = s.run(real.math.igamma(C.astype(np.float32), x))
    np.testing.assert_allclose(got[1], want, rtol=1e-5, atol=1e-6)


def test_multivariate_normal_rsample_is_reparameterised():
    loc = dg.tensor(LOC[0].astype(np.float64), requires_grad=True)
    tril = dg.tensor(np.linalg.cholesky(COV[0]), requires_grad=True)
    dg.manual_seed(2)
    x = D.MultivariateNormal(loc, scale_tril=tril).rsample((50,))
    w = np.random.default_rng(1).standard_normal(x.shape)
    (x * dg.tensor(w)).sum().backward()
    eps = np.linalg.solve(tril.detach().numpy(), (x.detach().numpy() - LOC[0]).T).T
    np.testing.assert_allclose(loc.grad.numpy(), w.sum(0), rtol=1e-10)
    # x = loc + L eps: d/dL[i, j] = sum_s w[s, i] eps[s, j] (on the lower triangle)
    want = np.tril(w.T @ eps)
    np.testing.assert_allclose(np.tril(tril.grad.numpy()), want, rtol=1e-8, atol=1e-10)
    assert D.MultivariateNormal(loc, scale_tril=tril).sample((2,)).requires_grad is False
