"""tf.einsum, tf.math inverse trigonometric / hyperbolic functions and tf.linalg inv / cholesky /
solve against real TF1 (values and gradients), and bitwise against the eager names."""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest

R = np.random.default_rng(11)
SPD = (lambda a: a @ a.T + 4 * np.eye(4))(R.standard_normal((4, 4)))
CASES = {
    # name: (graph/TF program over a tf-like module, inputs)
    "einsum": (lambda t, a, b: t.einsum("bij,bjk->bik", a, b), [(2, 3, 4), (2, 4, 5)]),
    "einsum_trace": (lambda t, a: t.einsum("ii->", a), [(4, 4)]),
    "atan": (lambda t, a: t.math.atan(a), [(3, 4)]),
    "asin": (lambda t, a: t.math.asin(a * 0.4), [(3, 4)]),
    "acos": (lambda t, a: t.math.acos(a * 0.4), [(3, 4)]),
    "sinh": (lambda t, a: t.math.sinh(a), [(3, 4)]),
    "cosh": (lambda t, a: t.math.cosh(a), [(3, 4)]),
    "tan": (lambda t, a: t.math.tan(a * 0.5), [(3, 4)]),
    "inv": (lambda t, a: t.linalg.inv(a), ["spd"]),
    "inv_adjoint": (
        lambda t, a: t.linalg.inv(a + t.constant(np.triu(SPD, 1)), adjoint=True),
        ["spd"],
    ),
    "cholesky": (lambda t, a: t.linalg.cholesky(a), ["spd"]),
    "solve": (lambda t, a, b: t.linalg.solve(a, b), ["spd", (4, 2)]),
}


def _inputs(shapes: list) -> list:
    return [SPD.copy() if s == "spd" else R.uniform(-2, 2, s) for s in shapes]


def _run(module, program, inputs: list, session_cls) -> list:
    g = module.Graph()
    with g.as_default():
        phs = (
            [module.compat.v1.placeholder(module.float64, x.shape) for x in inputs]
            if hasattr(module, "compat")
            else [module.placeholder(module.float64, x.shape) for x in inputs]
        )
        out = program(module, *phs)
        # a symmetric weight so Cholesky's gradient (which reads the lower triangle) agrees
        grads = (module.compat.v1.gradients if hasattr(module, "compat") else module.gradients)(
            module.reduce_sum(out * out), phs
        )
        with session_cls(graph=g) as sess:
            return sess.run([out, *grads], dict(zip(phs, inputs, strict=True)))


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_real_tf1(name: str) -> None:
    real_tf = pytest.importorskip("tensorflow")
    program, shapes = CASES[name]
    inputs = _inputs(shapes)
    ours = _run(tf, program, inputs, tf.Session)
    with real_tf.Graph().as_default():
        theirs = _run(real_tf, program, inputs, real_tf.compat.v1.Session)
    for o, t in zip(ours, theirs, strict=True):
        assert o.dtype == t.dtype
        if name == "cholesky" and o.ndim == 2 and o.shape == (4, 4) and o is not ours[0]:
            # TF symmetrises Cholesky's input gradient; compare the symmetric part
            o, t = o + o.T, t + t.T
        np.testing.assert_allclose(o, t, rtol=1e-9, atol=1e-11)


def test_tf1_names_are_the_same_functions() -> None:
    assert tf.matrix_inverse is tf.linalg.inv and tf.cholesky is tf.linalg.cholesky
    assert tf.matrix_solve is tf.linalg.solve and tf.einsum is tf.linalg.einsum


def test_einsum_and_trig_give_the_eager_bits() -> None:
    a, b = R.uniform(-1, 1, (2, 3, 4)), R.uniform(-1, 1, (2, 4, 5))
    eager = (torch.einsum("bij,bjk->bik", torch.tensor(a), torch.tensor(b)) + 0).numpy()
    graph = _run(tf, CASES["einsum"][0], [a, b], tf.Session)[0]
    assert eager.tobytes() == graph.tobytes()
    x = R.uniform(-0.9, 0.9, (5,))
    assert torch.asin(torch.tensor(x)).numpy().tobytes() == (
        _run(tf, lambda t, v: t.math.asin(v), [x], tf.Session)[0].tobytes()
    )
