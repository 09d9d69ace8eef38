"""The sparse-dense product sorts a sparse tensor's pattern into CSR once and reuses it."""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
from duograd.core.kernels import sparse as K
from duograd.core.primitives.sparse import _spmm_ref

RNG = np.random.default_rng(3)
IDX = np.stack([RNG.integers(0, 6, 20), RNG.integers(0, 5, 20)]).astype(np.int64)
VALS = RNG.standard_normal(20).astype(np.float32)
DENSE = RNG.standard_normal((5, 3)).astype(np.float32)


def test_eager_products_sort_the_pattern_once():
    sp = torch.sparse_coo_tensor(IDX, torch.tensor(VALS, requires_grad=True), (6, 5))
    d = torch.tensor(DENSE, requires_grad=True)
    before = K.CSR_CACHE.builds
    outs = []
    for _ in range(4):
        out = torch.sparse.mm(sp, d)
        out.sum().backward()
        outs.append(out.detach().numpy().copy())
    # one order for the product, one for the transposed pattern of d dense's gradient
    assert K.CSR_CACHE.builds - before == 2
    for o in outs:
        assert o.tobytes() == outs[0].tobytes()
    ref = _spmm_ref(IDX[0], IDX[1], VALS, DENSE, 6)
    np.testing.assert_allclose(outs[0], ref, rtol=1e-6, atol=1e-6)


def test_results_equal_an_unfrozen_pattern_bit_for_bit():
    rows, cols = IDX[0].copy(), IDX[1].copy()  # writeable: sorted afresh each call
    before = K.CSR_CACHE.builds
    a = K.spmm(rows, cols, VALS, DENSE, 6)
    b = K.spmm(rows, cols, VALS, DENSE, 6)
    assert K.CSR_CACHE.builds - before == 2
    sp = torch.sparse_coo_tensor(IDX, torch.tensor(VALS), (6, 5))
    c = torch.sparse.mm(sp, torch.tensor(DENSE)).numpy()
    assert a.tobytes() == b.tobytes() == c.tobytes()


def test_a_new_tensor_of_another_pattern_is_not_served_a_stale_order():
    for seed in range(3):
        rng = np.random.default_rng(seed)
        idx = np.stack([rng.integers(0, 6, 9), rng.integers(0, 5, 9)])
        sp = torch.sparse_coo_tensor(idx, torch.tensor(VALS[:9]), (6, 5))
        got = torch.sparse.mm(sp, torch.tensor(DENSE)).numpy()
        np.testing.assert_allclose(got, _spmm_ref(idx[0], idx[1], VALS[:9], DENSE, 6), 1e-6, 1e-6)


def test_graph_runs_reuse_the_order_of_their_sparse_constant():
    g = tf.Graph()
    with g.as_default():
        sp = tf.SparseTensor(IDX.T, VALS, [6, 5])
        b = tf.placeholder(tf.float32, [5, 3])
        y = tf.sparse_tensor_dense_matmul(sp, b)
        (gb,) = tf.gradients(tf.reduce_sum(y), [b])
        with tf.Session() as s:
            first = s.run([y, gb], {b: DENSE})
            before = K.CSR_CACHE.builds
            for _ in range(3):
                again = s.run([y, gb], {b: DENSE})
                assert all(x.tobytes() == z.tobytes() for x, z in zip(again, first, strict=True))
            assert K.CSR_CACHE.builds == before
    eager = torch.sparse.mm(
        torch.sparse_coo_tensor(IDX, torch.tensor(VALS), (6, 5)), torch.tensor(DENSE)
    ).numpy()
    assert eager.tobytes() == first[0].tobytes()
