"""CTC against real PyTorch and real TensorFlow: values and gradients at the logits, every
option, impossible alignments; eager vs graph bitwise parity; sparse feeds and decoders."""

from __future__ import annotations

import duograd.frontends.eager as dt
import duograd.frontends.graph as dg
import numpy as np
import pytest

T, N, C = 12, 4, 6
R = np.random.RandomState(3)
X = R.normal(size=(T, N, C)).astype(np.float32)
TARGETS = np.array([[1, 2, 2, 3], [4, 4, 0, 0], [5, 1, 2, 0], [1, 0, 0, 0]], np.int64)
IN_LEN = np.array([12, 10, 2, 7], np.int64)  # element 2 cannot fit its 3 labels
TGT_LEN = np.array([4, 2, 3, 1], np.int64)


def _torch_run(torch, x, targets, il, tl, **kw):
    xt = torch.tensor(x, requires_grad=True)
    loss = torch.nn.functional.ctc_loss(xt.log_softmax(2), targets, il, tl, **kw)
    loss.sum().backward()
    return loss.detach().numpy(), xt.grad.numpy()


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("layout", ["padded", "concatenated", "tuples"])
def test_ctc_loss_matches_torch(reduction, zero_infinity, layout):
    torch = pytest.importorskip("torch")
    tg, il, tl = TARGETS, IN_LEN, TGT_LEN
    if layout == "concatenated":
        tg = np.concatenate([TARGETS[i, : TGT_LEN[i]] for i in range(N)])
    kw = {"reduction": reduction, "zero_infinity": zero_infinity}

    def args(mod):
        if layout == "tuples":
            return mod.tensor(tg), tuple(int(v) for v in il), tuple(int(v) for v in tl)
        return mod.tensor(tg), mod.tensor(il), mod.tensor(tl)

    want_l, want_g = _torch_run(torch, X, *args(torch), **kw)
    got_l, got_g = _torch_run(dt, X, *args(dt), **kw)
    assert got_l.dtype == want_l.dtype
    np.testing.assert_allclose(got_l, want_l, rtol=1e-5, atol=1e-5)
    if zero_infinity or reduction == "none":
        fin = np.isfinite(want_g)
        assert np.array_equal(fin, np.isfinite(got_g))
        np.testing.assert_allclose(got_g[fin], want_g[fin], rtol=1e-4, atol=1e-5)


def test_ctc_blank_last_and_module_float64():
    torch = pytest.importorskip("torch")
    x = X.astype(np.float64)
    tg = TARGETS.copy() - 1
    tg[tg < 0] = 0
    il = np.array([12, 10, 8, 7])
    want = _torch_run(
        torch, x, torch.tensor(tg), torch.tensor(il), torch.tensor(TGT_LEN), blank=C - 1
    )
    xt = dt.tensor(x, requires_grad=True)
    loss = dt.nn.CTCLoss(blank=C - 1)(
        xt.log_softmax(2), dt.tensor(tg), dt.tensor(il), dt.tensor(TGT_LEN)
    )
    loss.backward()
    assert loss.dtype == dt.float64
    np.testing.assert_allclose(loss.detach().numpy(), want[0], rtol=1e-10)
    np.testing.assert_allclose(xt.grad.numpy(), want[1], rtol=1e-8, atol=1e-12)


def test_ctc_gradient_matches_finite_differences_float64():
    x = R.normal(size=(6, 2, 4))
    tg, il, tl = np.array([[1, 2], [3, 3]]), np.array([6, 5]), np.array([2, 2])

    def f(v):
        lp = dt.tensor(v).log_softmax(2)
        return float(dt.nn.functional.ctc_loss(lp, tg, il, tl, reduction="sum"))

    xt = dt.tensor(x, requires_grad=True)
    dt.nn.functional.ctc_loss(xt.log_softmax(2), tg, il, tl, reduction="sum").backward()
    num = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = 1e-6
        num[i] = (f(x + e) - f(x - e)) / 2e-6
    np.testing.assert_allclose(xt.grad.numpy(), num, rtol=1e-5, atol=1e-7)


def _sparse(targets, lengths):
    idx = [[i, j] for i in range(len(lengths)) for j in range(lengths[i])]
    vals = [int(targets[i, j]) for i, j in idx]
    return idx, vals, [len(lengths), int(targets.shape[1])]


def _tf_program(tf, x, il, labels, **kw):
    xin = tf.compat.v1.placeholder(tf.float32, [None, None, C])
    sp = tf.compat.v1.sparse_placeholder(tf.int32, [None, None])
    loss = tf.compat.v1.nn.ctc_loss(sp, xin, il, **kw)
    grad = tf.gradients(tf.reduce_sum(loss), xin)[0]
    with tf.compat.v1.Session() as s:
        return s.run([loss, grad], {xin: x, sp: tf.compat.v1.SparseTensorValue(*labels)})


@pytest.mark.parametrize("collapse", [False, True])
@pytest.mark.parametrize("merge", [True, False])
@pytest.mark.parametrize("time_major", [True, False])
def test_tf1_ctc_loss_matches_tensorflow(collapse, merge, time_major):
    real = pytest.importorskip("tensorflow")
    real.compat.v1.disable_eager_execution()
    tg = np.where(TARGETS == 0, 0, TARGETS - 1)  # blank is the last class in TF1
    il = np.array([12, 10, 8, 7], np.int32)
    x = X if time_major else X.transpose(1, 0, 2).copy()
    kw = {
        "preprocess_collapse_repeated": collapse,
        "ctc_merge_repeated": merge,
        "time_major": time_major,
    }
    labels = _sparse(tg, TGT_LEN)
    with real.Graph().as_default():
        want = _tf_program(real, x, il, labels, **kw)
    with dg.Graph().as_default():
        got = _tf_program(dg, x, il, labels, **kw)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-4, atol=1e-5)


def test_tf1_ctc_loss_ignore_longer_and_strict():
    real = pytest.importorskip("tensorflow")
    real.compat.v1.disable_eager_execution()
    tg = np.where(TARGETS == 0, 0, TARGETS - 1)
    labels = _sparse(tg, TGT_LEN)
    kw = {"ignore_longer_outputs_than_inputs": True}
    with real.Graph().as_default():
        want = _tf_program(real, X, IN_LEN.astype(np.int32), labels, **kw)
    with dg.Graph().as_default():
        got = _tf_program(dg, X, IN_LEN.astype(np.int32), labels, **kw)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-4, atol=1e-5)
    with dg.Graph().as_default(), pytest.raises(ValueError, match="not enough time"):
        _tf_program(dg, X, IN_LEN.astype(np.int32), labels)


def test_ctc_loss_v2_dense_labels_matches_tensorflow():
    real = pytest.importorskip("tensorflow")
    real.compat.v1.disable_eager_execution()
    il = np.array([12, 10, 8, 7], np.int32)

    def prog(tf):
        xin = tf.compat.v1.placeholder(tf.float32, [T, N, C])
        loss = tf.compat.v1.nn.ctc_loss_v2(
            TARGETS.astype(np.int32), xin, TGT_LEN.astype(np.int32), il, blank_index=0
        )
        grad = tf.gradients(tf.reduce_sum(loss), xin)[0]
        with tf.compat.v1.Session() as s:
            return s.run([loss, grad], {xin: X})

    with real.Graph().as_default():
        want = prog(real)
    with dg.Graph().as_default():
        got = prog(dg)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-4, atol=1e-5)


def test_decoders_and_edit_distance_match_tensorflow():
    real = pytest.importorskip("tensorflow")
    real.compat.v1.disable_eager_execution()
    il = np.array([12, 10, 8, 7], np.int32)
    truth = _sparse(np.where(TARGETS == 0, 0, TARGETS - 1), TGT_LEN)

    def prog(tf):
        xin = tf.compat.v1.placeholder(tf.float32, [T, N, C])
        (g,), gs = tf.compat.v1.nn.ctc_greedy_decoder(xin, il)
        (b0, b1), bs = tf.compat.v1.nn.ctc_beam_search_decoder(xin, il, beam_width=8, top_paths=2)
        sp = tf.compat.v1.SparseTensor(*truth)
        ed = tf.edit_distance(tf.cast(g, tf.int32) if hasattr(g, "op") else g, sp)
        with tf.compat.v1.Session() as s:
            return s.run(
                [g.indices, g.values, g.dense_shape, gs, b0.values, b1.values, bs, ed], {xin: X}
            )

    with real.Graph().as_default():
        want = prog(real)
    with dg.Graph().as_default():
        got = prog(dg)
    for a, b in zip(got[:3], want[:3], strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(got[3], want[3], rtol=1e-5)
    np.testing.assert_array_equal(got[4], want[4])
    np.testing.assert_array_equal(got[5], want[5])
    np.testing.assert_allclose(got[6], want[6], rtol=1e-4)
    np.testing.assert_allclose(got[7], want[7], rtol=1e-6)


def test_eager_and_graph_ctc_are_bitwise_equal():
    il = np.array([12, 10, 8, 7], np.int64)
    xt = dt.tensor(X, requires_grad=True)
    loss = dt.nn.functional.ctc_loss(xt.log_softmax(2), TARGETS, il, TGT_LEN)
    loss.backward()
    with dg.Graph().as_default():
        xin = dg.placeholder(dg.float32, [T, N, C])
        lg = dg.nn.ctc_loss_v2(TARGETS, xin, TGT_LEN, il, blank_index=0)
        from duograd.core import ctc as CC  # the same reduction as F.ctc_loss's 'mean'

        red = CC.ctc_loss(dg.nn.log_softmax(xin), TARGETS, il, TGT_LEN, 0, "mean")
        grad = dg.gradients(red, xin)[0]
        with dg.Session() as s:
            per, r, g = s.run([lg, red, grad], {xin: X})
    assert np.array_equal(r, loss.detach().numpy())
    assert np.array_equal(g, xt.grad.numpy())
    per_e = dt.nn.functional.ctc_loss(
        dt.tensor(X).log_softmax(2), TARGETS, il, TGT_LEN, reduction="none"
    )
    assert np.array_equal(per, per_e.numpy())


def test_bad_sparse_feeds_are_named():
    with dg.Graph().as_default():
        sp = dg.sparse_placeholder(dg.int32, [None, None], name="labels")
        dense = dg.sparse.to_dense(sp)
        with dg.Session() as s:
            ok = s.run(dense, {sp: ([[0, 1], [1, 0]], [5, 6], [2, 3])})
            np.testing.assert_array_equal(ok, [[0, 5, 0], [6, 0, 0]])
            with pytest.raises(ValueError, match="labels.*out of order"):
                s.run(dense, {sp: ([[1, 0], [0, 1]], [5, 6], [2, 3])})
            with pytest.raises(ValueError, match="labels.*out of range"):
                s.run(dense, {sp: ([[0, 1], [2, 0]], [5, 6], [2, 3])})
            with pytest.raises(TypeError, match="labels"):
                s.run(dense, {sp: 3})


def test_sparse_to_dense_matches_tensorflow():
    real = pytest.importorskip("tensorflow")
    real.compat.v1.disable_eager_execution()

    def prog(tf):
        a = tf.compat.v1.sparse_to_dense([[0, 1], [2, 3]], [3, 4], [7.0, 8.0], -1.0)
        b = tf.compat.v1.sparse_to_dense([1, 3], [5], 2)
        c = tf.sparse.to_dense(tf.sparse.from_dense(np.array([[0, 2], [3, 0]], np.int32)))
        with tf.compat.v1.Session() as s:
            return s.run([a, b, c])

    with real.Graph().as_default():
        want = prog(real)
    with dg.Graph().as_default():
        got = prog(dg)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype


def test_eager_decode_helpers():
    lp = np.log(np.full((5, 1, 3), 0.05))
    for t, c in enumerate([1, 1, 0, 1, 2]):
        lp[t, 0, c] = np.log(0.9)
    assert dt.nn.functional.ctc_greedy_decode(lp) == [[1, 1, 2]]
    assert dt.nn.functional.ctc_beam_decode(lp, beam_width=4) == [[1, 1, 2]]
