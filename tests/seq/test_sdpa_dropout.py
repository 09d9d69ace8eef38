"""Dropout inside the fused attention: the composed form's bits (its mask drawn in the same order
from the shared stream), in both styles, and the same bits in eager and graph from one seed."""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core import functional as CF
from duograd.core.primitives.attention import sdpa

RNG = np.random.default_rng(21)
SEED = 77
P = 0.35


def _qkv(shape=(2, 3, 9, 6), source=7, dv=5, dt=np.float32):
    n, h, length, d = shape
    return (RNG.standard_normal((n, h, length, d)).astype(dt),
            RNG.standard_normal((n, h, source, d)).astype(dt),
            RNG.standard_normal((n, h, source, dv)).astype(dt))  # fmt: skip


def _cotangent(shape, dt):
    return np.linspace(-1, 1, int(np.prod(shape))).reshape(shape).astype(dt)


def _eager(fused, arrays, mask=None, causal=False, seed=SEED):
    q, k, v = (torch.tensor(a, requires_grad=True) for a in arrays)
    torch.manual_seed(seed)
    out, w = CF.scaled_dot_product_attention(q, k, v, mask, dropout_p=P, training=True,
                                             need_weights=not fused, causal=causal)  # fmt: skip
    assert (w is None) == fused
    (out * torch.tensor(_cotangent(tuple(out.shape), arrays[0].dtype))).sum().backward()
    return [out.detach().numpy(), q.grad.numpy(), k.grad.numpy(), v.grad.numpy()]


def _graph(fused, arrays, mask=None, causal=False, seed=SEED):
    graph = tf.Graph()
    with graph.as_default():
        dt = tf.as_dtype(arrays[0].dtype)
        q, k, v = (tf.placeholder(dt, a.shape) for a in arrays)
        out, _ = tf.attention.scaled_dot_product_attention(
            q, k, v, mask, dropout=P, training=True, need_weights=not fused, causal=causal
        )
        g = _cotangent(tuple(out.shape), arrays[0].dtype)
        grads = tf.gradients(tf.reduce_sum(out * g), [q, k, v])
        with tf.Session() as sess:
            tf.set_random_seed(seed)
            return sess.run([out, *grads], dict(zip((q, k, v), arrays, strict=True)))


def _same(a_list, b_list):
    for name, a, b in zip(["out", "dq", "dk", "dv"], a_list, b_list, strict=True):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), name


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("kind", [None, "bool", "additive", "causal"])
def test_fused_dropout_is_the_composed_bits_in_both_styles(dt, kind):
    arrays = _qkv(dt=dt, source=9 if kind == "causal" else 7)
    length, source = arrays[0].shape[-2], arrays[1].shape[-2]
    mask = None
    if kind == "bool":
        mask = RNG.random((length, source)) < 0.3
        mask[:, 0] = False
    elif kind == "additive":
        mask = RNG.standard_normal((1, 3, length, source)).astype(dt)
    causal = kind == "causal"
    fused = _eager(True, arrays, mask, causal)
    _same(fused, _eager(False, arrays, mask, causal))
    _same(fused, _graph(True, arrays, mask, causal))
    _same(fused, _graph(False, arrays, mask, causal))
    # the dropout is really applied: another seed, other bits; no dropout, other bits again
    other = _eager(True, arrays, mask, causal, seed=SEED + 1)
    assert not np.array_equal(other[0], fused[0])
    plain = sdpa(*arrays, None if mask is None else mask, causal=causal)
    assert not np.array_equal(np.asarray(plain), fused[0])


def test_the_kept_fraction_and_scale():
    """With v = identity columns the output is the dropped weights: about 1 - p of them kept,
    each scaled by 1 / (1 - p)."""
    length = source = 64
    q = np.zeros((1, length, 4), np.float32)  # equal scores: every weight is 1 / source
    k = np.zeros((1, source, 4), np.float32)
    v = np.eye(source, dtype=np.float32)[None]
    torch.manual_seed(3)
    out = CF.scaled_dot_product_attention(torch.tensor(q), torch.tensor(k), torch.tensor(v),
                                          dropout_p=P, need_weights=False)[0].numpy()  # fmt: skip
    kept = out != 0
    assert abs(kept.mean() - (1 - P)) < 0.03
    want = np.float32(1 / source) * (np.float32(1) / np.float32(1 - P))
    assert np.all(out[kept] == want)


def test_eval_mode_and_p_one():
    arrays = _qkv()
    q, k, v = (torch.tensor(a) for a in arrays)
    plain = np.asarray(sdpa(*arrays))
    out, _ = CF.scaled_dot_product_attention(q, k, v, dropout_p=P, training=False,
                                             need_weights=False)  # fmt: skip
    assert np.array_equal(out.numpy(), plain)
    out, _ = CF.scaled_dot_product_attention(q, k, v, dropout_p=1.0, need_weights=False)
    assert not out.numpy().any()
    with pytest.raises(ValueError, match="sdpa: dropout_p must be in"):
        sdpa(*arrays, dropout_p=1.0)
