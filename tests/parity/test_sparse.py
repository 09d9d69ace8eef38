"""Sparse tensors in both styles: values and gradients against real torch and TF, eager/graph
bitwise parity, bad inputs named."""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest

RNG = np.random.default_rng(0)
M, K, N, NNZ = 7, 5, 3, 12
ROWS = RNG.integers(0, M, NNZ)
COLS = RNG.integers(0, K, NNZ)
VALS = RNG.standard_normal(NNZ).astype(np.float32)
DENSE = RNG.standard_normal((K, N)).astype(np.float32)


UIDX = np.array([[2, 1], [0, 3], [1, 0], [0, 0]], np.int64)  # unique, not in order


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def _eager():
    v = torch.tensor(VALS, requires_grad=True)
    d = torch.tensor(DENSE, requires_grad=True)
    s = torch.sparse_coo_tensor(np.stack([ROWS, COLS]), v, (M, K))
    y = torch.sparse.mm(s, d)
    (y * y).sum().backward()
    return s, y.detach().numpy(), v.grad.numpy(), d.grad.numpy()


def test_eager_matches_real_torch_values_and_gradients():
    real = pytest.importorskip("torch")
    s, y, gv, gd = _eager()
    rv = real.tensor(VALS, requires_grad=True)
    rd = real.tensor(DENSE, requires_grad=True)
    rs = real.sparse_coo_tensor(real.tensor(np.stack([ROWS, COLS])), rv, (M, K))
    ry = real.sparse.mm(rs, rd)
    (ry * ry).sum().backward()
    np.testing.assert_allclose(y, ry.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gv, rv.grad.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(gd, rd.grad.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(s.to_dense().detach().numpy(), rs.to_dense().detach().numpy())
    c, rc = s.coalesce(), rs.coalesce()
    assert c.indices().numpy().tolist() == rc.indices().numpy().tolist()
    np.testing.assert_allclose(c.values().detach().numpy(), rc.values().detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(
        torch.sparse.softmax(c, 1).to_dense().detach().numpy(),
        real.sparse.softmax(rc, 1).to_dense().detach().numpy(),
        rtol=1e-5,
    )
    np.testing.assert_allclose(
        torch.sparse.sum(s).item(), real.sparse.sum(rs).detach().item(), rtol=1e-5
    )
    dense = np.array([[0.0, 1.5], [2.0, 0.0]], np.float32)
    assert torch.tensor(dense).to_sparse().indices().numpy().tolist() == (
        real.tensor(dense).to_sparse().indices().numpy().tolist()
    )
    assert torch.spmm is torch.sparse.mm
    assert s.is_sparse and not torch.tensor(dense).is_sparse


def test_graph_matches_eager_bitwise_and_real_tf():
    _, y, gv, gd = _eager()
    tf.reset_default_graph()
    v = tf.Variable(VALS)
    d = tf.Variable(DENSE)
    sp = tf.SparseTensor(np.stack([ROWS, COLS], 1), v, [M, K])
    gy = tf.sparse_tensor_dense_matmul(sp, d)
    grads = tf.gradients(tf.reduce_sum(gy * gy), [v, d])
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        out, (g_v, g_d) = s.run([gy, grads])
    assert _same(out, y) and _same(g_v, gv) and _same(g_d, gd)

    real = pytest.importorskip("tensorflow")
    order = np.lexsort((COLS, ROWS))
    idx = np.stack([ROWS, COLS], 1)[order]
    with real.Graph().as_default():
        rsp = real.SparseTensor(idx, VALS[order], [M, K])
        ry = real.compat.v1.sparse_tensor_dense_matmul(rsp, DENSE)
        rsum = real.compat.v1.sparse_reduce_sum(rsp)
        rdense = real.sparse.to_dense(
            real.sparse.reorder(real.SparseTensor(UIDX, VALS[:4], [M, K]))
        )
        emb = real.nn.embedding_lookup_sparse(
            real.constant(DENSE),
            real.SparseTensor([[0, 0], [0, 1], [2, 0]], [1, 3, 4], [3, 2]),
            None,
            combiner="sqrtn",
        )
        with real.compat.v1.Session() as s:
            r_y, r_sum, r_dense, r_emb = s.run([ry, rsum, rdense, emb])
    np.testing.assert_allclose(out, r_y, rtol=1e-5, atol=1e-6)
    tf.reset_default_graph()
    sp2 = tf.SparseTensor(idx, VALS[order], [M, K])
    mine = [
        tf.sparse_reduce_sum(sp2),
        tf.sparse.to_dense(tf.sparse.reorder(tf.SparseTensor(UIDX, VALS[:4], [M, K]))),
        tf.nn.embedding_lookup_sparse(
            DENSE,
            tf.SparseTensor([[0, 0], [0, 1], [2, 0]], [1, 3, 4], [3, 2]),
            None,
            combiner="sqrtn",
        ),
    ]
    with tf.Session() as s:
        m_sum, m_dense, m_emb = s.run(mine)
    np.testing.assert_allclose(m_sum, r_sum, rtol=1e-5)
    np.testing.assert_allclose(m_dense, r_dense)
    np.testing.assert_allclose(m_emb, r_emb, rtol=1e-5)


def test_sparse_add_and_adjoint():
    tf.reset_default_graph()
    a = tf.SparseTensor([[0, 1], [1, 0]], [1.0, 2.0], [2, 2])
    b = tf.SparseTensor([[0, 1], [1, 1]], [3.0, 4.0], [2, 2])
    both = tf.sparse_add(a, b)
    eye = np.eye(2, dtype=np.float32)
    with tf.Session() as s:
        dense = s.run(tf.sparse.to_dense(both))
        t = s.run(tf.sparse_tensor_dense_matmul(a, eye, adjoint_a=True))
        mixed = s.run(tf.sparse_add(a, eye))
    assert dense.tolist() == [[0.0, 4.0], [2.0, 4.0]]
    assert t.tolist() == [[0.0, 2.0], [1.0, 0.0]]
    assert mixed.tolist() == [[1.0, 1.0], [2.0, 1.0]]


def test_bad_inputs_are_named():
    with pytest.raises(IndexError, match="out of bounds for dimension 1 with size 3"):
        torch.sparse_coo_tensor([[0, 1], [0, 5]], [1.0, 2.0], (2, 3))
    with pytest.raises(ValueError, match="one value per index"):
        torch.sparse_coo_tensor([[0, 1], [0, 1]], [1.0, 2.0, 3.0], (2, 3))
    s = torch.sparse_coo_tensor([[0, 1], [0, 1]], [1.0, 2.0], (2, 3))
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        torch.sparse.mm(s, torch.ones(4, 2))
    with pytest.raises(RuntimeError, match="coalesce"):
        s.indices()
    tf.reset_default_graph()
    with pytest.raises(ValueError, match="cannot multiply a sparse"):
        tf.sparse_tensor_dense_matmul(tf.SparseTensor([[0, 0]], [1.0], [2, 3]), np.ones((2, 2)))
    dyn = tf.SparseTensor(tf.placeholder(tf.int64, [None, 2]), [1.0], [2, 3])  # run-time parts
    with pytest.raises(TypeError, match="static"):
        tf.sparse_tensor_dense_matmul(dyn, np.ones((3, 2)))
