"""Attention and layer normalisation: nn.MultiheadAttention, F.scaled_dot_product_attention,
nn.TransformerEncoderLayer and nn.LayerNorm against real PyTorch; the graph style's
`attention.multi_head_attention` / `layer_norm` and TF-op attention programs against real
TensorFlow (compat.v1 graph mode)."""

from __future__ import annotations

import duograd.frontends.eager as dg
import duograd.frontends.graph as dg_tf
import numpy as np
import pytest
from duograd.frontends.graph import attention
from oracle_check import assert_matches

TOL = dict(rtol=2e-5, atol=2e-6)
E, HEADS, N, L, S = 8, 2, 3, 4, 5


def _copy(ours, theirs):
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    with dg.no_grad():
        for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
            p.copy_(dg.from_numpy(q.detach().numpy().copy()))


def _masks(kind, rng):
    am = kpm = None
    if kind in ("bool", "both"):
        am = np.triu(np.ones((L, S), bool), 2)
    if kind == "float":
        am = rng.standard_normal((L, S)).astype(np.float32)
    if kind == "per_head":
        am = rng.standard_normal((N * HEADS, L, S)).astype(np.float32)
    if kind in ("padding", "both"):
        kpm = np.zeros((N, S), bool)
        kpm[0, -1] = kpm[2, -2:] = True
    return am, kpm


MHA_CASES = [
    (bf, kind, avg)
    for bf in (False, True)
    for kind in ("none", "bool", "float", "per_head", "padding", "both")
    for avg in (True, False)
    if avg or kind == "both"
]


@pytest.mark.parametrize("batch_first,masks,average", MHA_CASES)
def test_multihead_attention_matches_torch(real_torch, batch_first, masks, average):
    torch = real_torch
    rng = np.random.default_rng(hash((batch_first, masks)) % 1000)
    theirs = torch.nn.MultiheadAttention(E, HEADS, batch_first=batch_first)
    ours = dg.nn.MultiheadAttention(E, HEADS, batch_first=batch_first)
    _copy(ours, theirs)
    q_shape = (N, L, E) if batch_first else (L, N, E)
    k_shape = (N, S, E) if batch_first else (S, N, E)
    qkv = [rng.standard_normal(s).astype(np.float32) for s in (q_shape, k_shape, k_shape)]
    am, kpm = _masks(masks, rng)
    results = []
    for lib, mod in ((torch, theirs), (dg, ours)):
        ts = [lib.tensor(a, requires_grad=True) for a in qkv]
        kw = {"attn_mask": None if am is None else lib.tensor(am),
              "key_padding_mask": None if kpm is None else lib.tensor(kpm),
              "average_attn_weights": average}  # fmt: skip
        out, w = mod(*ts, **kw)
        (out.square().sum() + (w * w).sum()).backward()
        results.append(
            [out.detach().numpy(), w.detach().numpy()]
            + [t.grad.numpy() for t in ts]
            + [p.grad.numpy() for p in mod.parameters()]
        )
    for i, (a, b) in enumerate(zip(*results, strict=True)):
        assert_matches(b, a, err_msg=f"item {i}", **TOL)


def test_need_weights_false_and_self_attention_init(real_torch):
    mha = dg.nn.MultiheadAttention(E, HEADS)
    x = dg.randn(L, N, E)
    out, w = mha(x, x, x, need_weights=False)
    assert w is None and tuple(out.shape) == (L, N, E)
    bound = np.sqrt(6 / (4 * E))
    assert np.abs(mha.in_proj_weight.detach().numpy()).max() <= bound
    assert not mha.in_proj_bias.detach().numpy().any()
    assert not mha.out_proj.bias.detach().numpy().any()
    with pytest.raises(AssertionError, match="divisible"):
        dg.nn.MultiheadAttention(6, 4)


@pytest.mark.parametrize("mask", ["none", "bool", "float", "causal"])
def test_scaled_dot_product_attention_matches_torch(real_torch, mask):
    torch = real_torch
    rng = np.random.default_rng(4)
    q, k, v = (rng.standard_normal((2, 3, 4, 8)).astype(np.float32) for _ in range(3))
    m = None
    if mask == "bool":
        m = rng.random((4, 4)) > 0.3
        m[:, 0] = True
    elif mask == "float":
        m = rng.standard_normal((4, 4)).astype(np.float32)
    results = []
    for lib in (torch, dg):
        ts = [lib.tensor(a, requires_grad=True) for a in (q, k, v)]
        out = lib.nn.functional.scaled_dot_product_attention(
            *ts, attn_mask=None if m is None else lib.tensor(m), is_causal=mask == "causal"
        )
        out.square().sum().backward()
        results.append([out.detach().numpy()] + [t.grad.numpy() for t in ts])
    for a, b in zip(*results, strict=True):
        assert_matches(b, a, **TOL)


@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_encoder_matches_torch(real_torch, norm_first):
    torch = real_torch
    kw = dict(dim_feedforward=16, dropout=0.0, batch_first=True, norm_first=norm_first)
    theirs = torch.nn.TransformerEncoder(
        torch.nn.TransformerEncoderLayer(E, HEADS, **kw), 2, enable_nested_tensor=False
    )
    ours = dg.nn.TransformerEncoder(dg.nn.TransformerEncoderLayer(E, HEADS, **kw), 2)
    _copy(ours, theirs)
    x = np.random.default_rng(5).standard_normal((N, L, E)).astype(np.float32)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(L).numpy()
    assert np.array_equal(dg.nn.Transformer.generate_square_subsequent_mask(L).numpy(), mask)
    results = []
    for lib, mod in ((torch, theirs), (dg, ours)):
        t = lib.tensor(x, requires_grad=True)
        out = mod(t, mask=lib.tensor(mask))
        out.square().sum().backward()
        results.append(
            [out.detach().numpy(), t.grad.numpy()] + [p.grad.numpy() for p in mod.parameters()]
        )
    for a, b in zip(*results, strict=True):
        assert_matches(b, a, rtol=1e-4, atol=1e-5)


# ---- the graph style against real TensorFlow -------------------------------------------------


def _tf_attention(tf, q, k, v, w_in, b_in, w_out, b_out, heads, mask):
    """Multi-head attention written with plain TF1 ops (batch-major), PyTorch's layout."""
    n, length, e = q.shape.as_list()
    src = k.shape.as_list()[1]

    def split(t, i, steps):
        w = w_in[i * e : (i + 1) * e]
        y = tf.matmul(tf.reshape(t, [-1, e]), w, transpose_b=True) + b_in[i * e : (i + 1) * e]
        y = tf.reshape(y, [-1, steps, heads, e // heads])
        return tf.transpose(y, [0, 2, 1, 3])

    qh, kh, vh = split(q, 0, length), split(k, 1, src), split(v, 2, src)
    scores = tf.matmul(qh * (1.0 / np.sqrt(e // heads)), kh, transpose_b=True)
    scores = tf.where(tf.broadcast_to(mask, tf.shape(scores)), tf.fill(tf.shape(scores), -np.inf),
                      scores) if mask is not None else scores  # fmt: skip
    weights = tf.nn.softmax(scores)
    out = tf.reshape(tf.transpose(tf.matmul(weights, vh), [0, 2, 1, 3]), [-1, e])
    out = tf.matmul(out, w_out, transpose_b=True) + b_out
    return tf.reshape(out, [-1, length, e]), tf.reduce_mean(weights, 1)


def test_graph_multi_head_attention_matches_tensorflow(real_tf):
    rng = np.random.default_rng(9)
    qv = rng.standard_normal((N, L, E)).astype(np.float32)
    kv = rng.standard_normal((N, S, E)).astype(np.float32)
    mask = np.zeros((N, 1, 1, S), bool)
    mask[1, ..., -2:] = True
    params = [rng.uniform(-0.5, 0.5, s).astype(np.float32)
              for s in ((3 * E, E), (3 * E,), (E, E), (E,))]  # fmt: skip

    real_tf.reset_default_graph()
    q, k = real_tf.constant(qv), real_tf.constant(kv)
    out, w = _tf_attention(real_tf, q, k, k, *[real_tf.constant(p) for p in params], HEADS,
                           real_tf.constant(mask))  # fmt: skip
    gq, gk = real_tf.gradients(real_tf.reduce_sum(out * out) + real_tf.reduce_sum(w * w), [q, k])
    with real_tf.Session() as sess:
        want = sess.run([out, w, gq, gk])

    q, k = dg_tf.constant(qv), dg_tf.constant(kv)
    out, w = attention.multi_head_attention(q, k, k, HEADS, key_padding_mask=mask[:, 0, 0])
    variables = dg_tf.trainable_variables()
    assert [v.name for v in variables] == [
        "multi_head_attention/in_proj_weight:0", "multi_head_attention/out_proj_weight:0",
        "multi_head_attention/in_proj_bias:0", "multi_head_attention/out_proj_bias:0",
    ]  # fmt: skip
    gq, gk = dg_tf.gradients(dg_tf.reduce_sum(out * out) + dg_tf.reduce_sum(w * w), [q, k])
    with dg_tf.Session() as sess:
        sess.run(dg_tf.global_variables_initializer())
        for v, p in zip(variables, (params[0], params[2], params[1], params[3]), strict=True):
            v.load(p, sess)
        got = sess.run([out, w, gq, gk])
    for a, b in zip(want, got, strict=True):
        assert_matches(b, a, **TOL)


def _layer_norm_program(tf, x, axes):
    """Layer norm from tf.nn.moments + tf.nn.batch_normalization, with gradients."""
    t = tf.constant(x)
    mean, var = tf.nn.moments(t, axes, keep_dims=True)
    gamma = tf.constant(np.linspace(0.5, 1.5, x.shape[-1], dtype=np.float32))
    beta = tf.constant(np.linspace(-0.2, 0.2, x.shape[-1], dtype=np.float32))
    y = tf.nn.batch_normalization(t, mean, var, beta, gamma, 1e-5)
    w = tf.constant(np.linspace(0.1, 2.0, x.size, dtype=np.float32).reshape(x.shape))
    return y, tf.gradients(tf.reduce_sum(y * w), [t])[0], t, w


@pytest.mark.parametrize("begin", [-1, 1])
def test_graph_layer_norm_matches_tensorflow(real_tf, begin):
    x = np.random.default_rng(2).standard_normal((3, 4, 6)).astype(np.float32) * 3 + 1
    axes = [2] if begin == -1 else [1, 2]
    real_tf.reset_default_graph()
    y, g, _, _ = _layer_norm_program(real_tf, x, axes)
    with real_tf.Session() as sess:
        want = sess.run([y, g])
    t = dg_tf.constant(x)
    ours = attention.layer_norm(t, begin_norm_axis=begin) if begin == -1 else (
        dg_tf.contrib.layers.layer_norm(t, begin_norm_axis=1))  # fmt: skip
    gamma = np.linspace(0.5, 1.5, 6, dtype=np.float32)
    beta = np.linspace(-0.2, 0.2, 6, dtype=np.float32)
    w = np.linspace(0.1, 2.0, x.size, dtype=np.float32).reshape(x.shape)
    grad = dg_tf.gradients(dg_tf.reduce_sum(ours * w), [t])[0]
    with dg_tf.Session() as sess:
        sess.run(dg_tf.global_variables_initializer())
        for v in dg_tf.trainable_variables():
            v.load(gamma if v.name.endswith("gamma:0") else beta, sess)
        got = sess.run([ours, grad])
    # contrib's eps is 1e-12 against 1e-5 here: compare loosely for that case
    tol = TOL if begin == -1 else dict(rtol=1e-4, atol=1e-5)
    for a, b in zip(want, got, strict=True):
        assert_matches(b, a, **tol)


def test_layer_norm_matches_torch(real_torch):
    x = np.random.default_rng(3).standard_normal((2, 3, 5)).astype(np.float32)
    results = []
    for lib in (real_torch, dg):
        ln = lib.nn.LayerNorm(5)
        with lib.no_grad():
            ln.weight.copy_(lib.tensor(np.linspace(0.5, 1.5, 5, dtype=np.float32)))
        t = lib.tensor(x, requires_grad=True)
        y = ln(t)
        (y * y * lib.tensor(x)).sum().backward()
        results.append([y.detach().numpy(), t.grad.numpy(), ln.weight.grad.numpy()])
    for a, b in zip(*results, strict=True):
        assert_matches(b, a, **TOL)


def test_graph_attention_errors():
    q = dg_tf.placeholder(dg_tf.float32, [None, 4, 6])
    with pytest.raises(ValueError, match="divisible"):
        attention.multi_head_attention(q, q, q, 4)
    with pytest.raises(TypeError, match="key_padding_mask"):
        attention.multi_head_attention(q, q, q, 2, key_padding_mask=np.zeros((2, 4), np.int32))
    assert attention.causal_mask(3)[0, 1] == -np.inf and attention.causal_mask(3)[1, 0] == 0


# ---- the building blocks: batched matmul with broadcasting, masked softmax -------------------


def _blocks(lib_tf, a, b, mask):
    """Batched matmul (broadcast over a leading axis), an additive -inf mask, softmax."""
    tf = lib_tf
    at, bt = tf.constant(a), tf.constant(b)
    scores = tf.matmul(at, bt, transpose_b=True) + tf.constant(mask)
    probs = tf.nn.softmax(scores)
    kept = tf.where(tf.equal(tf.constant(mask) + tf.zeros_like(scores), 0.0), probs,
                    tf.zeros_like(probs))  # fmt: skip
    ga, gb = tf.gradients(tf.reduce_sum(probs * probs) + tf.reduce_sum(kept), [at, bt])
    with tf.Session() as sess:
        return sess.run([scores, probs, kept, ga, gb])


def test_batched_matmul_and_masked_softmax_match_tensorflow_and_torch(real_tf, real_torch):
    rng = np.random.default_rng(12)
    a = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    b = rng.standard_normal((3, 6, 5)).astype(np.float32)  # broadcast over the leading axis
    mask = np.where(np.triu(np.ones((4, 6), bool), 3), -np.inf, 0).astype(np.float32)
    real_tf.reset_default_graph()
    want = _blocks(real_tf, a, b, mask)
    got = _blocks(dg_tf, a, b, mask)
    for x, y in zip(want, got, strict=True):
        assert_matches(y, x, **TOL)
    results = []
    for lib in (real_torch, dg):
        at, bt = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        scores = lib.matmul(at, bt.transpose(-1, -2)) + lib.tensor(mask)
        probs = lib.softmax(scores, dim=-1)
        kept = lib.where(lib.tensor(mask) == 0, probs, lib.zeros_like(probs))
        ((probs * probs).sum() + kept.sum()).backward()
        results.append([t.detach().numpy() for t in (scores, probs, kept, at.grad, bt.grad)])
    for x, y in zip(*results, strict=True):
        assert_matches(y, x, **TOL)
