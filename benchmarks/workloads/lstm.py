"""LSTM language-model training steps (embedding, one LSTM layer, dense head, softmax
cross-entropy, SGD) in both styles.

The eager program is PyTorch's idiom (nn.Embedding, nn.LSTM(batch_first=True), nn.Linear); the
graph program is TF1's (embedding_lookup, an LSTMCell unrolled by tf.nn.dynamic_rnn, a matmul
head). duograd's graph cell uses `layout="torch"` (PyTorch's weight layout and gate order), so
the parity column compares the styles bit for bit. Real TF1 runs its own LSTMCell (TF's fused
kernel layout, gates reordered and forget_bias=0 so it computes the same function) in a
tf.while_loop; real PyTorch runs its fused LSTM.
"""

from __future__ import annotations

import numpy as np

from ..programs import Stepper, both, session
from ..workload import Case, Workload

LR = 0.5

# (vocabulary, embedding, hidden, sequence length, batch)
SHAPES = {"small": (64, 32, 128, 32, 32), "wide": (64, 64, 256, 32, 64)}


def _init(shape: str):
    vocab, embed, hidden, steps, batch = SHAPES[shape]
    rng = np.random.default_rng(hidden)
    b = 1 / np.sqrt(hidden)

    def u(s):
        return rng.uniform(-b, b, s).astype(np.float32)

    params = {
        "embed": (rng.standard_normal((vocab, embed)) * 0.3).astype(np.float32),
        "w_ih": u((4 * hidden, embed)), "w_hh": u((4 * hidden, hidden)),
        "b_ih": u((4 * hidden,)), "b_hh": u((4 * hidden,)),
        "w_out": u((vocab, hidden)), "b_out": u((vocab,)),
    }  # fmt: skip
    x = rng.integers(0, vocab, (batch, steps)).astype(np.int64)
    y = rng.integers(0, vocab, (batch, steps)).astype(np.int64)
    return params, x, y


def _tf_kernel(p: dict) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's (i, f, g, o) weights as TF's kernel on concat([x, h]) with gates (i, g, f, o)."""
    order = [0, 2, 1, 3]
    w = np.concatenate([p["w_ih"], p["w_hh"]], axis=1)
    rows = np.split(w, 4, axis=0)
    bias = np.split(p["b_ih"] + p["b_hh"], 4)
    return (np.concatenate([rows[i] for i in order]).T.copy(),
            np.concatenate([bias[i] for i in order]))  # fmt: skip


def _tf_cell(tf, hidden: int):
    """Our cell in PyTorch's layout, or real TF1's own LSTMCell."""
    if tf.__name__.startswith("duograd"):
        return tf.nn.rnn_cell.LSTMCell(hidden, layout="torch")
    from tensorflow.python.keras.layers.legacy_rnn import rnn_cell_impl

    return rnn_cell_impl.LSTMCell(hidden, forget_bias=0.0)


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
            h, _ = tf.nn.dynamic_rnn(_tf_cell(tf, hidden), tf.nn.embedding_lookup(table, px),
                                     dtype=tf.float32)  # fmt: skip
            cell_vars = [v for v in tf.trainable_variables() if v is not table]
            w, b = tf.Variable(params["w_out"]), tf.Variable(params["b_out"])
            logits = tf.matmul(tf.reshape(h, [-1, hidden]), w, transpose_b=True) + b
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=tf.reshape(py, [-1]), logits=logits))  # fmt: skip
            train = tf.train.GradientDescentOptimizer(LR).minimize(loss)
            sess.run(tf.global_variables_initializer())
            if ours:
                values = [params[k] for k in ("w_ih", "w_hh", "b_ih", "b_hh")]
            else:
                values = list(_tf_kernel(params))
            for v, a in zip(cell_vars, values, strict=True):
                v.load(a, sess)
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
        lstm = nn.LSTM(embed, hidden, batch_first=True)
        head = nn.Linear(hidden, vocab)
        with torch.no_grad():
            emb.weight.copy_(torch.from_numpy(params["embed"]))
            for name, key in (
                ("weight_ih_l0", "w_ih"),
                ("weight_hh_l0", "w_hh"),
                ("bias_ih_l0", "b_ih"),
                ("bias_hh_l0", "b_hh"),
            ):
                getattr(lstm, name).copy_(torch.from_numpy(params[key]))
            head.weight.copy_(torch.from_numpy(params["w_out"]))
            head.bias.copy_(torch.from_numpy(params["b_out"]))  # fmt: skip
        modules = [emb, lstm, head]
        opt = torch.optim.SGD([p for m in modules for p in m.parameters()], lr=LR)
        loss_fn = nn.CrossEntropyLoss()
        tx, ty = torch.from_numpy(x), torch.from_numpy(y).reshape(-1)

        def step():
            opt.zero_grad()
            out, _ = lstm(emb(tx))
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
    cell = 2 * batch * 4 * hidden * (embed + hidden) * steps
    head = 2 * batch * steps * hidden * vocab
    return 3 * (cell + head)


def cases(quick: bool) -> list[Case]:
    """A char-LSTM-sized step (H=128) and a wider one (H=256, batch 64)."""
    shapes = ["small"] if quick else list(SHAPES)
    out = []
    for s in shapes:
        vocab, embed, hidden, steps, batch = SHAPES[s]
        name = f"LSTM LM V={vocab} E={embed} H={hidden} T={steps} SGD step b={batch}"
        out.append(Case(name, both(_graph(s), _eager(s)), flops=_flops(s), parity_steps=3))
    return out


WORKLOAD = Workload(
    "lstm", "LSTM language-model training steps: embedding, LSTM, dense head, SGD", cases
)
