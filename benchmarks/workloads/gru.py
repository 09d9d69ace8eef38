"""GRU language-model training steps (embedding, one GRU layer, dense head, softmax
cross-entropy, SGD) in both styles, the same shape as the `lstm` workload.

The eager program is PyTorch's idiom (nn.Embedding, nn.GRU(batch_first=True), nn.Linear); the
graph program is TF1's (embedding_lookup, a GRUCell run by tf.nn.dynamic_rnn, a matmul head).
duograd's graph cell uses `layout="torch"`, so the parity column compares the styles bit for
bit. Real PyTorch runs its fused GRU. Real TF1 runs its own GRUCell in a tf.while_loop: TF's GRU
applies the reset gate before the hidden matmul, a different function of the same size and
cost (2 matmuls per step instead of 1 hidden matmul), so its column is a timing peer only.
"""

from __future__ import annotations

import numpy as np

from ..programs import Stepper, both, session
from ..workload import Case, Workload

LR = 0.5

# (vocabulary, embedding, hidden, sequence length, batch)
SHAPES = {"small": (64, 32, 128, 32, 32)}
_CELL = ("w_ih", "w_hh", "b_ih", "b_hh")


def _init(shape: str):
    vocab, embed, hidden, steps, batch = SHAPES[shape]
    rng = np.random.default_rng(hidden + 1)
    b = 1 / np.sqrt(hidden)

    def u(s):
        return rng.uniform(-b, b, s).astype(np.float32)

    params = {
        "embed": (rng.standard_normal((vocab, embed)) * 0.3).astype(np.float32),
        "w_ih": u((3 * hidden, embed)), "w_hh": u((3 * hidden, hidden)),
        "b_ih": u((3 * hidden,)), "b_hh": u((3 * hidden,)),
        "w_out": u((vocab, hidden)), "b_out": u((vocab,)),
    }  # fmt: skip
    x = rng.integers(0, vocab, (batch, steps)).astype(np.int64)
    y = rng.integers(0, vocab, (batch, steps)).astype(np.int64)
    return params, x, y


def _graph(shape: str):
    params, x, y = _init(shape)
    vocab, embed, hidden, steps, batch = SHAPES[shape]

    def build(tf):
        graph, sess = session(tf)
        ours = tf.__name__.startswith("duograd")
        with graph.as_default():
            px = tf.placeholder(tf.int64, [None, steps])
            py = tf.placeholder(tf.int64, [None, steps])
            table = tf.Variable(params["embed"])
            if ours:
                cell = tf.nn.rnn_cell.GRUCell(hidden, layout="torch")
            else:
                from tensorflow.python.keras.layers.legacy_rnn import rnn_cell_impl

                cell = rnn_cell_impl.GRUCell(hidden)
            h, _ = tf.nn.dynamic_rnn(cell, tf.nn.embedding_lookup(table, px), dtype=tf.float32)
            cell_vars = [v for v in tf.trainable_variables() if v is not table]
            w, b = tf.Variable(params["w_out"]), tf.Variable(params["b_out"])
            logits = tf.matmul(tf.reshape(h, [-1, hidden]), w, transpose_b=True) + b
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=tf.reshape(py, [-1]), logits=logits))  # fmt: skip
            train = tf.train.GradientDescentOptimizer(LR).minimize(loss)
            sess.run(tf.global_variables_initializer())
            if ours:
                for v, k in zip(cell_vars, _CELL, strict=True):
                    v.load(params[k], sess)
            variables = [table, *cell_vars, w, b]
        feed = {px: x, py: y}

        def step():
            sess.run(train, feed_dict=feed)

        return Stepper(step, lambda: (step(), sess.run(variables))[1])

    return build


def _eager(shape: str):
    params, x, y = _init(shape)
    vocab, embed, hidden, steps, batch = SHAPES[shape]

    def build(torch):
        nn = torch.nn
        emb = nn.Embedding(vocab, embed)
        gru = nn.GRU(embed, hidden, batch_first=True)
        head = nn.Linear(hidden, vocab)
        with torch.no_grad():
            emb.weight.copy_(torch.from_numpy(params["embed"]))
            for name, key in zip(("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"),
                                 _CELL, strict=True):  # fmt: skip
                getattr(gru, name).copy_(torch.from_numpy(params[key]))
            head.weight.copy_(torch.from_numpy(params["w_out"]))
            head.bias.copy_(torch.from_numpy(params["b_out"]))
        modules = [emb, gru, head]
        opt = torch.optim.SGD([p for m in modules for p in m.parameters()], lr=LR)
        loss_fn = nn.CrossEntropyLoss()
        tx, ty = torch.from_numpy(x), torch.from_numpy(y).reshape(-1)

        def step():
            opt.zero_grad()
            out, _ = gru(emb(tx))
            loss = loss_fn(head(out.reshape(-1, hidden)), ty)
            loss.backward()
            opt.step()

        def step_and_read():
            step()
            return [p.detach().numpy().copy() for m in modules for p in m.parameters()]

        return Stepper(step, step_and_read)

    return build


def _flops(shape: str) -> float:
    vocab, embed, hidden, steps, batch = SHAPES[shape]
    cell = 2 * batch * 3 * hidden * (embed + hidden) * steps
    head = 2 * batch * steps * hidden * vocab
    return 3 * (cell + head)


def cases(quick: bool) -> list[Case]:
    """A char-GRU-sized step: V=64 E=32 H=128 T=32 batch 32."""
    vocab, embed, hidden, steps, batch = SHAPES["small"]
    name = f"GRU LM V={vocab} E={embed} H={hidden} T={steps} SGD step b={batch}"
    return [Case(name, both(_graph("small"), _eager("small")), flops=_flops("small"),
                 parity_steps=3)]  # fmt: skip


WORKLOAD = Workload(
    "gru", "GRU language-model training steps: embedding, GRU, dense head, SGD", cases
)
