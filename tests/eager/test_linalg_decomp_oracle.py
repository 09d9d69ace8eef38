"""torch.linalg svd / svdvals / eigh / eigvalsh / qr / pinv / lstsq / matrix_rank / matrix norms,
torch.svd / qr / pinverse against real torch (values and gradients of gauge-invariant functions,
dtypes), and the same bits from the graph names (tf.svd, tf.qr, tf.self_adjoint_eig, ...)."""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest

rt = pytest.importorskip("torch")
R = np.random.default_rng(11)


def _sep(m, n, *batch):
    """A matrix with well-separated singular values (1, 1.7, 2.4, ...)."""
    k = min(m, n)
    u, _ = np.linalg.qr(R.normal(size=(*batch, m, m)))
    v, _ = np.linalg.qr(R.normal(size=(*batch, n, n)))
    s = np.zeros((*batch, m, n))
    s[..., np.arange(k), np.arange(k)] = 1.0 + 0.7 * np.arange(k)
    return u @ s @ np.swapaxes(v, -1, -2)


def _sym(n, *batch):
    a = _sep(n, n, *batch)
    return a + np.swapaxes(a, -1, -2) + np.diag(np.arange(n) * 1.5)


def _both(fn, arrays):
    out = []
    for lib in (torch, rt):
        ts = [lib.tensor(a.copy(), requires_grad=True) for a in arrays]
        y = fn(lib, *ts)
        w = np.cos(np.arange(y.numel())).reshape(tuple(y.shape)).astype(arrays[0].dtype)
        (y * lib.tensor(w)).sum().backward()
        out.append((y.detach().numpy(), [t.grad.numpy() for t in ts]))
    return out


def _rebuild(lib, a, full):
    u, s, vh = lib.linalg.svd(a, full_matrices=full)
    k = s.shape[-1]
    return (u[..., :k] * s.unsqueeze(-2)) @ vh[..., :k, :]


# each case is gauge-invariant: it does not depend on the signs LAPACK picks for the vectors
CASES = {
    "svd_rebuild_tall": (lambda lib, a: _rebuild(lib, a, False), [_sep(5, 3)]),
    "svd_rebuild_wide_batched": (lambda lib, a: _rebuild(lib, a, False), [_sep(2, 4, 3)]),
    "svd_full_rebuild": (lambda lib, a: _rebuild(lib, a, True), [_sep(4, 3)]),
    "svd_u_squared": (lambda lib, a: lib.linalg.svd(a, full_matrices=False)[0] ** 2, [_sep(4, 3)]),
    "svd_vh_squared_wide": (lambda lib, a: lib.linalg.svd(a, False).Vh ** 2, [_sep(3, 5)]),
    "svd_projector": (lambda lib, a: (lambda u: u @ u.mT)(lib.linalg.svd(a, False).U[..., :2]),
                      [_sep(5, 3)]),
    "svdvals": (lambda lib, a: lib.linalg.svdvals(a), [_sep(4, 6, 2)]),
    "torch_svd_v": (lambda lib, a: lib.svd(a)[2] ** 2 + lib.svd(a).S.sum(), [_sep(4, 3)]),
    "method_svd": (lambda lib, a: a.svd(some=True).U.abs(), [_sep(3, 3)]),
    "eigh_values": (lambda lib, a: lib.linalg.eigh(a)[0], [_sym(4)]),
    "eigh_vectors_sq": (lambda lib, a: lib.linalg.eigh(a).eigenvectors ** 2, [_sym(4, 2)]),
    "eigh_rebuild": (lambda lib, a: (lambda w, q: (q * w.unsqueeze(-2)) @ q.mT)(
        *lib.linalg.eigh(a)), [_sym(3)]),
    "eigvalsh": (lambda lib, a: lib.linalg.eigvalsh(a), [_sym(5)]),
    "qr_q_tall": (lambda lib, a: lib.linalg.qr(a)[0], [_sep(5, 3)]),
    "qr_r_tall": (lambda lib, a: lib.linalg.qr(a).R, [_sep(5, 3)]),
    "qr_wide": (lambda lib, a: lib.linalg.qr(a)[0] * 2 + lib.linalg.qr(a)[1].sum(), [_sep(3, 5)]),
    "qr_square_batched": (lambda lib, a: lib.qr(a)[1], [_sep(3, 3, 2)]),
    "qr_complete_wide": (lambda lib, a: lib.linalg.qr(a, mode="complete").Q, [_sep(2, 4)]),
    "qr_method": (lambda lib, a: a.qr()[0] @ a.qr()[1], [_sep(4, 4)]),
    "pinv_tall": (lambda lib, a: lib.linalg.pinv(a), [_sep(5, 3)]),
    "pinv_wide_batched": (lambda lib, a: lib.linalg.pinv(a), [_sep(2, 4, 2)]),
    "pinverse": (lambda lib, a: lib.pinverse(a), [_sep(4, 3)]),
    "method_pinverse": (lambda lib, a: a.pinverse(), [_sep(3, 4)]),
    "lstsq": (lambda lib, a, b: lib.linalg.lstsq(a, b).solution,
              [_sep(5, 3), R.normal(size=(5, 2))]),
    "lstsq_square_batched": (lambda lib, a, b: lib.linalg.lstsq(a, b)[0],
                             [_sep(3, 3, 2), R.normal(size=(2, 3, 2))]),
    "norm_nuc": (lambda lib, a: lib.linalg.matrix_norm(a, "nuc"), [_sep(4, 3, 2)]),
    "norm_2": (lambda lib, a: lib.linalg.matrix_norm(a, 2), [_sep(3, 4)]),
    "norm_neg2": (lambda lib, a: lib.linalg.matrix_norm(a, -2, keepdim=True), [_sep(3, 4, 2)]),
    "norm_1": (lambda lib, a: lib.linalg.matrix_norm(a, 1), [R.normal(size=(3, 4))]),
    "norm_inf": (lambda lib, a: lib.linalg.matrix_norm(a, float("inf")), [R.normal(size=(3, 4))]),
    "norm_fro_dims": (lambda lib, a: lib.linalg.matrix_norm(a, dim=(0, 2)),
                      [R.normal(size=(3, 2, 4))]),
    "linalg_norm_nuc": (lambda lib, a: lib.linalg.norm(a, "nuc"), [_sep(3, 3)]),
    "linalg_norm_2_dims": (lambda lib, a: lib.linalg.norm(a, 2, dim=(1, 2)), [_sep(3, 3, 2)]),
    "linalg_norm_vec": (lambda lib, a: lib.linalg.norm(a, 3, dim=1), [R.normal(size=(3, 4))]),
    "linalg_norm_default": (lambda lib, a: lib.linalg.norm(a), [R.normal(size=(3, 4))]),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_against_torch(name, dt):
    fn, arrays = CASES[name]
    arrays = [a.astype(dt) for a in arrays]
    (ya, ga), (yb, gb) = _both(fn, arrays)
    tol = dict(rtol=2e-4, atol=2e-4) if dt == np.float32 else dict(rtol=1e-8, atol=1e-9)
    assert ya.dtype == yb.dtype
    assert ya.shape == yb.shape
    np.testing.assert_allclose(ya, yb, **tol)
    for a, b in zip(ga, gb, strict=True):
        np.testing.assert_allclose(a, b, **tol)


def test_lstsq_extras_and_rank():
    a = np.concatenate([_sep(5, 2), np.zeros((5, 1))], axis=1)  # rank 2
    b = R.normal(size=(5, 2))
    for driver in (None, "gelsd"):
        ours = torch.linalg.lstsq(torch.tensor(_sep(5, 3)), torch.tensor(b), driver=driver)
        ref = rt.linalg.lstsq(rt.tensor(_sep(5, 3)), rt.tensor(b), driver=driver)
        assert ours.rank.shape == tuple(ref.rank.shape)
        assert ours.residuals.shape == tuple(ref.residuals.shape)
        assert ours.singular_values.shape == tuple(ref.singular_values.shape)
    for x in (a, _sep(4, 6), np.zeros((3, 3)), _sep(3, 3, 2)):
        r = torch.linalg.matrix_rank(torch.tensor(x))
        e = rt.linalg.matrix_rank(rt.tensor(x))
        assert r.dtype == torch.int64
        np.testing.assert_array_equal(r.numpy(), e.numpy())
    r = torch.linalg.matrix_rank(torch.tensor(a), atol=1.5, rtol=0.0)
    np.testing.assert_array_equal(r.numpy(), rt.linalg.matrix_rank(rt.tensor(a), atol=1.5).numpy())
    # lstsq with gelsd: residuals of a tall full-rank system, as torch's
    a3, b3 = _sep(5, 3), R.normal(size=(5, 2))
    ours = torch.linalg.lstsq(torch.tensor(a3), torch.tensor(b3), driver="gelsd")
    ref = rt.linalg.lstsq(rt.tensor(a3), rt.tensor(b3), driver="gelsd")
    np.testing.assert_allclose(ours.residuals.numpy(), ref.residuals.numpy(), rtol=1e-9)
    np.testing.assert_allclose(ours.singular_values.numpy(), ref.singular_values.numpy(), 1e-12)


def test_pinv_of_rank_deficient_matches_torch():
    a = np.concatenate([_sep(4, 2), np.zeros((4, 1))], axis=1)
    np.testing.assert_allclose(
        torch.linalg.pinv(torch.tensor(a)).numpy(), rt.linalg.pinv(rt.tensor(a)).numpy(), 1e-10,
        1e-12,
    )  # fmt: skip


def test_shapes_of_factors_match_torch():
    a = _sep(5, 3)
    for full in (True, False):
        ours = torch.linalg.svd(torch.tensor(a), full_matrices=full)
        ref = rt.linalg.svd(rt.tensor(a), full_matrices=full)
        assert [tuple(t.shape) for t in ours] == [tuple(t.shape) for t in ref]
    for mode in ("reduced", "complete", "r"):
        ours = torch.linalg.qr(torch.tensor(a), mode=mode)
        ref = rt.linalg.qr(rt.tensor(a), mode=mode)
        assert [tuple(t.shape) for t in ours] == [tuple(t.shape) for t in ref]
    ours = torch.svd(torch.tensor(a), compute_uv=False)
    ref = rt.svd(rt.tensor(a), compute_uv=False)
    assert [tuple(t.shape) for t in ours] == [tuple(t.shape) for t in ref]
    np.testing.assert_array_equal(ours.U.numpy(), ref.U.numpy())
    # torch.svd's some=False: U and V square
    u, s, v = torch.svd(torch.tensor(a), some=False)
    assert tuple(u.shape) == (5, 5) and tuple(v.shape) == (3, 3)
    np.testing.assert_allclose((u[:, :3] * s) @ v.T, a, atol=1e-12)


def test_bad_input_errors_name_the_op():
    with pytest.raises(RuntimeError, match="linalg.svd.*at least 2"):
        torch.linalg.svd(torch.ones(3))
    with pytest.raises(ValueError, match="eigh.*square"):
        torch.linalg.eigh(torch.ones(2, 3))
    with pytest.raises(RuntimeError, match="qr: mode"):
        torch.linalg.qr(torch.ones(2, 2), mode="full")
    with pytest.raises(RuntimeError, match="UPLO"):
        torch.linalg.eigh(torch.eye(2), UPLO="X")
    with pytest.raises(np.linalg.LinAlgError, match="svd.*NaN"):
        torch.linalg.svd(torch.tensor([[float("nan"), 1.0], [0.0, 1.0]]))
    with pytest.raises(RuntimeError, match="matrix_norm: ord"):
        torch.linalg.matrix_norm(torch.eye(2), 3)
    a = torch.tensor(_sep(4, 2), requires_grad=True)
    with pytest.raises(ValueError, match="complete"):
        torch.linalg.qr(a, mode="complete").Q.sum().backward()


def _graph_and_eager(graph_fn, eager_fn, arrays):
    """Run graph_fn on placeholders and eager_fn on tensors; outputs and gradients as bytes."""
    w = [np.cos(np.arange(8 * 8)).astype(arrays[0].dtype)]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    ye = eager_fn(*ts)
    loss = sum((y * torch.tensor(w[0][: y.numel()].reshape(tuple(y.shape)))).sum() for y in ye)
    loss.backward()
    g = tf.Graph()
    with g.as_default():
        ps = [tf.placeholder(tf.float32, a.shape) for a in arrays]
        yg = graph_fn(*ps)
        lg = tf.add_n(
            [tf.reduce_sum(y * w[0][: int(np.prod(y.shape))].reshape(tuple(y.shape))) for y in yg]
        )
        grads = tf.gradients(lg, ps)
        with tf.Session() as sess:
            vals = sess.run(list(yg) + grads, dict(zip(ps, arrays, strict=True)))
    eager = [y.detach().numpy() for y in ye] + [t.grad.numpy() for t in ts]
    return [v.tobytes() for v in vals], [e.tobytes() for e in eager]


PARITY = {
    "svd": (lambda x: tf.svd(x), lambda a: (lambda u, s, vh: (s, u, vh.mT))(
        *torch.linalg.svd(a, False)), [_sep(4, 3)]),
    "svd_values": (lambda x: (tf.linalg.svd(x, compute_uv=False),),
                   lambda a: (torch.linalg.svdvals(a),), [_sep(3, 4, 2)]),
    "qr": (lambda x: tf.qr(x), lambda a: tuple(torch.linalg.qr(a)), [_sep(4, 3)]),
    "qr_wide": (lambda x: tf.linalg.qr(x), lambda a: tuple(torch.linalg.qr(a)), [_sep(2, 3)]),
    "eigh": (lambda x: tf.self_adjoint_eig(x), lambda a: tuple(torch.linalg.eigh(a)), [_sym(3)]),
    "eigvalsh": (lambda x: (tf.linalg.eigvalsh(x),), lambda a: (torch.linalg.eigvalsh(a),),
                 [_sym(4)]),
    "det": (lambda x: (tf.matrix_determinant(x),), lambda a: (torch.det(a),), [_sep(3, 3, 2)]),
    "linalg_det": (lambda x: (tf.linalg.det(x),), lambda a: (torch.linalg.det(a),),
                   [-_sep(3, 3)]),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(PARITY))
def test_same_bits_in_both_styles(name):
    graph_fn, eager_fn, arrays = PARITY[name]
    got, want = _graph_and_eager(graph_fn, eager_fn, [a.astype(np.float32) for a in arrays])
    assert got == want


def test_tf_pinv_against_tf1():
    tf1 = pytest.importorskip("tensorflow").compat.v1
    a = _sep(4, 3).astype(np.float32)
    g = tf1.Graph()
    with g.as_default():
        x = tf1.placeholder(tf1.float32, a.shape)
        p = tf1.linalg.pinv(x)
        (gx,) = tf1.gradients(tf1.reduce_sum(p * np.arange(12.0).reshape(3, 4)), [x])
        with tf1.Session() as sess:
            want, want_g = sess.run([p, gx], {x: a})
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, a.shape)
        p = tf.linalg.pinv(x)
        (gx,) = tf.gradients(
            tf.reduce_sum(p * np.arange(12.0, dtype=np.float32).reshape(3, 4)), [x]
        )
        with tf.Session() as sess:
            got, got_g = sess.run([p, gx], {x: a})
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got_g, want_g, rtol=1e-3, atol=1e-4)
