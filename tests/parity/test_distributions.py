"""Distributions: values and gradients against real torch and TF, eager/graph parity bit for
bit, sampling checked by moments with fixed seeds, validate_args errors."""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest

D = torch.distributions
LOC = np.array([0.3, -1.2, 2.0], np.float32)
SCALE = np.array([0.5, 1.5, 2.5], np.float32)
X = np.array([0.1, 0.4, -0.7], np.float32)
LOGITS = np.array([[0.2, -1.0, 1.5, 0.3], [1.0, 1.0, -2.0, 0.0]], np.float32)
LABELS = np.array([2, 0], np.int64)


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def _eager_normal(cls=None):
    cls = cls or D.Normal
    loc = torch.tensor(LOC, requires_grad=True)
    scale = torch.tensor(SCALE, requires_grad=True)
    return loc, scale, cls(loc, scale)


def test_normal_values_and_gradients_match_real_torch():
    real = pytest.importorskip("torch")
    for ours_cls, real_cls in (
        (D.Normal, real.distributions.Normal),
        (D.Laplace, real.distributions.Laplace),
    ):
        loc, scale, d = _eager_normal(ours_cls)
        out = d.log_prob(torch.tensor(X)).sum() + d.entropy().sum() + d.cdf(torch.tensor(X)).sum()
        out.backward()
        rloc = real.tensor(LOC, requires_grad=True)
        rscale = real.tensor(SCALE, requires_grad=True)
        rd = real_cls(rloc, rscale)
        rout = rd.log_prob(real.tensor(X)).sum() + rd.entropy().sum() + rd.cdf(real.tensor(X)).sum()
        rout.backward()
        np.testing.assert_allclose(out.item(), rout.item(), rtol=1e-5)
        np.testing.assert_allclose(loc.grad.numpy(), rloc.grad.numpy(), rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(scale.grad.numpy(), rscale.grad.numpy(), rtol=1e-4, atol=1e-6)
        assert d.log_prob(torch.tensor(X)).dtype == torch.float32


def test_discrete_and_kl_match_real_torch():
    real = pytest.importorskip("torch")
    rd = real.distributions
    lg = torch.tensor(LOGITS, requires_grad=True)
    c = D.Categorical(logits=lg)
    val = c.log_prob(torch.tensor(LABELS)).sum() + c.entropy().sum()
    val.backward()
    rlg = real.tensor(LOGITS, requires_grad=True)
    rc = rd.Categorical(logits=rlg)
    rval = rc.log_prob(real.tensor(LABELS)).sum() + rc.entropy().sum()
    rval.backward()
    np.testing.assert_allclose(val.item(), rval.item(), rtol=1e-5)
    np.testing.assert_allclose(lg.grad.numpy(), rlg.grad.numpy(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(c.probs.detach().numpy(), rc.probs.detach().numpy(), rtol=1e-5)
    b = D.Bernoulli(probs=torch.tensor([0.2, 0.7]))
    rb = rd.Bernoulli(probs=real.tensor([0.2, 0.7]))
    np.testing.assert_allclose(
        b.log_prob(torch.tensor([1.0, 0.0])).numpy(),
        rb.log_prob(real.tensor([1.0, 0.0])).numpy(),
        rtol=1e-5,
    )
    np.testing.assert_allclose(b.entropy().numpy(), rb.entropy().numpy(), rtol=1e-5)
    pairs = [
        (D.Normal(0.5, 2.0), D.Normal(-1.0, 0.7), rd.Normal(0.5, 2.0), rd.Normal(-1.0, 0.7)),
        (
            D.Categorical(logits=torch.tensor(LOGITS[0])),
            D.Categorical(logits=torch.tensor(LOGITS[1])),
            rd.Categorical(logits=real.tensor(LOGITS[0])),
            rd.Categorical(logits=real.tensor(LOGITS[1])),
        ),
        (
            D.Bernoulli(probs=0.3),
            D.Bernoulli(probs=0.6),
            rd.Bernoulli(probs=0.3),
            rd.Bernoulli(probs=0.6),
        ),
        (D.Uniform(0.0, 1.0), D.Uniform(-1.0, 2.0), rd.Uniform(0.0, 1.0), rd.Uniform(-1.0, 2.0)),
        (D.Laplace(0.0, 1.0), D.Laplace(1.0, 2.0), rd.Laplace(0.0, 1.0), rd.Laplace(1.0, 2.0)),
    ]
    for p, q, rp, rq in pairs:
        np.testing.assert_allclose(
            D.kl_divergence(p, q).numpy(), rd.kl_divergence(rp, rq).numpy(), rtol=1e-5
        )
    u = D.Uniform(torch.tensor([0.0]), torch.tensor([2.0]))
    np.testing.assert_allclose(u.cdf(torch.tensor([0.5])).numpy(), [0.25])
    la = D.Laplace(0.0, 1.0)
    np.testing.assert_allclose(
        la.icdf(torch.tensor([0.9])).numpy(),
        rd.Laplace(0.0, 1.0).icdf(real.tensor([0.9])).numpy(),
        rtol=1e-5,
    )


def test_relaxed_independent_transformed_match_real_torch():
    real = pytest.importorskip("torch")
    rd = real.distributions
    v = np.array([0.2, 0.3, 0.5], np.float32)
    ours = D.RelaxedOneHotCategorical(torch.tensor(0.7), logits=torch.tensor(LOGITS[0, :3]))
    theirs = rd.RelaxedOneHotCategorical(real.tensor(0.7), logits=real.tensor(LOGITS[0, :3]))
    np.testing.assert_allclose(
        ours.log_prob(torch.tensor(v)).numpy(), theirs.log_prob(real.tensor(v)).numpy(), rtol=1e-4
    )
    ind = D.Independent(D.Normal(torch.tensor(LOC), torch.tensor(SCALE)), 1)
    rind = rd.Independent(rd.Normal(real.tensor(LOC), real.tensor(SCALE)), 1)
    assert ind.event_shape == tuple(rind.event_shape) and ind.batch_shape == ()
    np.testing.assert_allclose(
        ind.log_prob(torch.tensor(X)).numpy(), rind.log_prob(real.tensor(X)).numpy(), rtol=1e-5
    )
    ln = D.TransformedDistribution(D.Normal(0.2, 0.8), [D.ExpTransform()])
    rln = rd.TransformedDistribution(rd.Normal(0.2, 0.8), [rd.ExpTransform()])
    y = np.array([0.5, 2.0], np.float32)
    np.testing.assert_allclose(
        ln.log_prob(torch.tensor(y)).numpy(), rln.log_prob(real.tensor(y)).numpy(), rtol=1e-5
    )


def test_rsample_is_reparameterised_and_moments_fit():
    torch.manual_seed(0)
    loc, scale, d = _eager_normal()
    s = d.rsample((20000,))
    s.sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), [20000.0] * 3)
    m = s.detach().numpy()
    np.testing.assert_allclose(m.mean(0), LOC, atol=0.05)
    np.testing.assert_allclose(m.std(0), SCALE, rtol=0.03)
    c = D.Categorical(logits=torch.tensor(LOGITS[0]))
    draws = c.sample((20000,)).numpy()
    freq = np.bincount(draws, minlength=4) / 20000
    np.testing.assert_allclose(freq, c.probs.numpy(), atol=0.015)
    bern = D.Bernoulli(probs=torch.tensor([0.25])).sample((20000,)).numpy()
    assert abs(bern.mean() - 0.25) < 0.015
    r = D.RelaxedOneHotCategorical(torch.tensor(0.5), logits=torch.tensor(LOGITS[0])).rsample()
    np.testing.assert_allclose(r.detach().numpy().sum(), 1.0, rtol=1e-5)


def test_validate_args_names_parameter_and_value():
    with pytest.raises(ValueError, match="parameter scale.*GreaterThan"):
        D.Normal(0.0, -1.0)
    D.Normal(0.0, -1.0, validate_args=False)  # allowed when validation is off
    with pytest.raises(ValueError, match="support.*IntegerInterval.*Categorical"):
        D.Categorical(logits=torch.tensor(LOGITS)).log_prob(torch.tensor([7, 0]))
    with pytest.raises(ValueError, match="support.*Boolean"):
        D.Bernoulli(probs=0.5).log_prob(torch.tensor(0.5))
    with pytest.raises(ValueError, match="either `probs` or `logits`"):
        D.Categorical()
    with pytest.raises(NotImplementedError, match="no KL rule"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Bernoulli(probs=0.5))


def test_graph_style_matches_eager_bitwise_and_real_tf():
    loc, scale, d = _eager_normal()
    e_lp = d.log_prob(torch.tensor(X))
    e_lp.sum().backward()
    ce = D.Categorical(logits=torch.tensor(LOGITS))
    e_vals = [
        e_lp.detach().numpy(),
        d.entropy().detach().numpy(),
        d.cdf(torch.tensor(X)).detach().numpy(),
        ce.log_prob(torch.tensor(LABELS)).numpy(),
        ce.entropy().numpy(),
        D.kl_divergence(D.Normal(0.5, 2.0), D.Normal(-1.0, 0.7)).numpy(),
        D.Bernoulli(logits=torch.tensor([0.3])).log_prob(torch.tensor([1.0])).numpy(),
    ]
    tf.reset_default_graph()
    gloc = tf.Variable(LOC)
    gscale = tf.Variable(SCALE)
    g = tf.distributions.Normal(gloc, gscale)
    lp = g.log_prob(X)
    grads = tf.gradients(tf.reduce_sum(lp), [gloc, gscale])
    gc = tf.distributions.Categorical(logits=LOGITS)
    fetch = [
        lp,
        g.entropy(),
        g.cdf(X),
        gc.log_prob(LABELS),
        gc.entropy(),
        tf.distributions.kl_divergence(
            tf.distributions.Normal(0.5, 2.0), tf.distributions.Normal(-1.0, 0.7)
        ),
        tf.distributions.Bernoulli(logits=[0.3]).log_prob([1.0]),
    ]
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        g_vals, g_grads = s.run([fetch, grads])
    for a, b in zip(e_vals, g_vals, strict=True):
        assert _same(a, b)
    assert _same(loc.grad.numpy(), g_grads[0]) and _same(scale.grad.numpy(), g_grads[1])

    real = pytest.importorskip("tensorflow")
    rd = real.compat.v1.distributions
    with real.Graph().as_default():
        rn = rd.Normal(LOC, SCALE)
        rc = rd.Categorical(logits=LOGITS)
        ref = [rn.log_prob(X), rn.entropy(), rn.cdf(X), rc.log_prob(LABELS), rc.entropy()]
        with real.compat.v1.Session() as s:
            r_vals = s.run(ref)
    for a, b in zip(g_vals[:5], r_vals, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_samples_identical_across_styles_for_one_seed():
    torch.manual_seed(3)
    e_cat = D.Categorical(logits=torch.tensor(LOGITS)).sample((5,)).numpy()
    e_norm = D.Normal(torch.tensor(LOC), torch.tensor(SCALE)).sample((4,)).numpy()
    tf.reset_default_graph()
    cat = tf.distributions.Categorical(logits=LOGITS, dtype=tf.int64).sample(5)
    norm = tf.distributions.Normal(LOC, SCALE).sample(4)
    with tf.Session() as s:
        tf.set_random_seed(3)
        g_cat = s.run(cat)
        g_norm = s.run(norm)
    assert _same(e_cat, g_cat) and _same(e_norm, g_norm)
    tf.reset_default_graph()
    draws = tf.random.categorical(np.log([[0.1, 0.6, 0.3]]).astype(np.float32), 20000)
    assert tf.multinomial is not None
    with tf.Session() as s:
        tf.set_random_seed(0)
        got = s.run(draws)
    assert got.shape == (1, 20000) and got.dtype == np.int64
    np.testing.assert_allclose(
        np.bincount(got[0], minlength=3) / 20000, [0.1, 0.6, 0.3], atol=0.015
    )
