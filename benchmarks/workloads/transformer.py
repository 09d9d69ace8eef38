"""Transformer language-model training steps (embedding + positions, a causal 2-layer
nn.TransformerEncoder with d_model 128 and 4 heads, a dense head, softmax cross-entropy, SGD)
over T=64 tokens, batch 32, in both styles.

The eager program is PyTorch's idiom (nn.Embedding, nn.TransformerEncoder(batch_first=True) with
generate_square_subsequent_mask, nn.Linear); the graph program calls
`tf.attention.transformer_encoder`, loaded with the same weights, so the parity column compares
the styles bit for bit. Real PyTorch runs its own modules. TF1 has no Transformer layer: its
column is the same model written with TF1 ops (matmul, softmax, moments), the way a TF1 program
writes one.
"""

from __future__ import annotations

import numpy as np

from ..programs import Stepper, both, session
from ..workload import Case, Workload
from .rnn_lm import sgd_stepper

LR = 0.1
VOCAB, D, HEADS, FF, LAYERS, T, BATCH = 64, 128, 4, 512, 2, 64, 32
_EPS = 1e-5


def _init() -> tuple[dict, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(D)

    def u(*shape):
        bound = np.sqrt(6.0 / (shape[0] + shape[-1]))
        return rng.uniform(-bound, bound, shape).astype(np.float32)

    def z(n):
        return np.zeros(n, np.float32)

    p = {}
    for i in range(LAYERS):
        k = f"layers.{i}."
        p |= {k + "self_attn.in_proj_weight": u(3 * D, D), k + "self_attn.in_proj_bias": z(3 * D),
              k + "self_attn.out_proj.weight": u(D, D), k + "self_attn.out_proj.bias": z(D),
              k + "linear1.weight": u(FF, D), k + "linear1.bias": z(FF),
              k + "linear2.weight": u(D, FF), k + "linear2.bias": z(D),
              k + "norm1.weight": np.ones(D, np.float32), k + "norm1.bias": z(D),
              k + "norm2.weight": np.ones(D, np.float32), k + "norm2.bias": z(D)}  # fmt: skip
    extra = {"embed": (rng.standard_normal((VOCAB, D)) * 0.3).astype(np.float32),
             "w_out": u(VOCAB, D), "b_out": z(VOCAB)}  # fmt: skip
    pos = (rng.standard_normal((T, D)) * 0.1).astype(np.float32)
    x = rng.integers(0, VOCAB, (BATCH, T)).astype(np.int64)
    y = rng.integers(0, VOCAB, (BATCH, T)).astype(np.int64)
    return {"enc": p, **extra}, pos, x, y


def _mask() -> np.ndarray:
    return np.triu(np.full((T, T), -np.inf, np.float32), 1)


def _tf1_encoder(tf, h, p: dict):
    """The same encoder written with TF1 ops (the real-TF1 column)."""

    def linear(x, w, b):
        return tf.matmul(x, w, transpose_b=True) + b

    def norm(x, w, b):
        mean, var = tf.nn.moments(x, [-1], keepdims=True)
        return (x - mean) * tf.math.rsqrt(var + _EPS) * w + b

    def heads(x):
        return tf.transpose(tf.reshape(x, [-1, T, HEADS, D // HEADS]), [0, 2, 1, 3])

    mask = tf.constant(_mask())
    for i in range(LAYERS):
        k = f"layers.{i}."
        x2 = tf.reshape(h, [-1, D])
        qkv = linear(x2, p[k + "self_attn.in_proj_weight"], p[k + "self_attn.in_proj_bias"])
        q, kk, v = (heads(tf.reshape(t, [-1, T, D])) for t in tf.split(qkv, 3, axis=1))
        scores = tf.matmul(q * (1.0 / np.sqrt(D // HEADS)), kk, transpose_b=True) + mask
        att = tf.matmul(tf.nn.softmax(scores), v)
        att = tf.reshape(tf.transpose(att, [0, 2, 1, 3]), [-1, D])
        att = linear(att, p[k + "self_attn.out_proj.weight"], p[k + "self_attn.out_proj.bias"])
        x2 = norm(x2 + att, p[k + "norm1.weight"], p[k + "norm1.bias"])
        ff = linear(tf.nn.relu(linear(x2, p[k + "linear1.weight"], p[k + "linear1.bias"])),
                    p[k + "linear2.weight"], p[k + "linear2.bias"])  # fmt: skip
        h = tf.reshape(norm(x2 + ff, p[k + "norm2.weight"], p[k + "norm2.bias"]), [-1, T, D])
    return h


def _graph():
    params, pos, x, y = _init()

    def build(tf):
        graph, sess = session(tf)
        ours = tf.__name__.startswith("duograd")
        with graph.as_default():
            px = tf.placeholder(tf.int64, [None, T])
            py = tf.placeholder(tf.int64, [None, T])
            table = tf.Variable(params["embed"])
            h = tf.nn.embedding_lookup(table, px) + pos
            if ours:
                h = tf.attention.transformer_encoder(
                    h, LAYERS, D, HEADS, FF, batch_first=True, mask=_mask(),
                    name="encoder",
                )  # fmt: skip
                enc = tf.attention.transformer_variables("encoder")
            else:
                enc = {k: tf.Variable(v) for k, v in params["enc"].items()}
                h = _tf1_encoder(tf, h, enc)
            w, b = tf.Variable(params["w_out"]), tf.Variable(params["b_out"])
            logits = tf.matmul(tf.reshape(h, [-1, D]), w, transpose_b=True) + b
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=tf.reshape(py, [-1]), logits=logits))  # fmt: skip
            train = tf.train.GradientDescentOptimizer(LR).minimize(loss)
            sess.run(tf.global_variables_initializer())
            if ours:
                for k, v in enc.items():
                    v.load(params["enc"][k], sess)
            variables = [table, *enc.values(), w, b]
        feed = {px: x, py: y}

        def step():
            sess.run(train, feed_dict=feed)

        return Stepper(step, lambda: (step(), sess.run(variables))[1])

    return build


def _eager():
    params, pos, x, y = _init()

    def build(torch):
        nn = torch.nn
        emb = nn.Embedding(VOCAB, D)
        layer = nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0, batch_first=True)
        kw = {} if torch.__name__.startswith("duograd") else {"enable_nested_tensor": False}
        enc = nn.TransformerEncoder(layer, LAYERS, **kw)
        head = nn.Linear(D, VOCAB)
        enc.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in params["enc"].items()})
        with torch.no_grad():
            emb.weight.copy_(torch.from_numpy(params["embed"]))
            head.weight.copy_(torch.from_numpy(params["w_out"]))
            head.bias.copy_(torch.from_numpy(params["b_out"]))
        tpos = torch.from_numpy(pos)
        mask = nn.Transformer.generate_square_subsequent_mask(T)

        def body(tx):
            return enc(emb(tx) + tpos, mask=mask)

        return sgd_stepper(torch, [emb, enc, head], body, head, x, y, LR)

    return build


def _flops() -> float:
    tokens = BATCH * T
    per_layer = 2 * tokens * (4 * D * D + 2 * D * FF) + 2 * 2 * BATCH * T * T * D
    return 3 * (LAYERS * per_layer + 2 * tokens * D * VOCAB)


def cases(quick: bool) -> list[Case]:
    """One case: V=64, 2 layers, d_model 128, 4 heads, FF 512, T=64, batch 32."""
    name = f"Transformer LM L={LAYERS} d={D} h={HEADS} T={T} SGD step b={BATCH}"
    return [Case(name, both(_graph(), _eager()), flops=_flops(), parity_steps=2)]


WORKLOAD = Workload(
    "transformer", "Transformer LM training steps: causal 2-layer encoder, dense head, SGD", cases
)
