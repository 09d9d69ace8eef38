"""The recurrent language-model step shared by the `lstm` and `gru` workloads.

Embedding, one recurrent layer, a dense head, softmax cross-entropy and SGD, written once per
style; a workload supplies the recurrent layer (its gate count, the TF1 cell and the PyTorch
module) and how its weights load into real TF1's cell.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..programs import Stepper, session

LR = 0.5
# the recurrent layer's weights in PyTorch's layout, in PyTorch's parameter order
CELL_KEYS = ("w_ih", "w_hh", "b_ih", "b_hh")
_TORCH_NAMES = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


@dataclass(frozen=True)
class Recurrent:
    """What differs between the LSTM and GRU language models."""

    gates: int  # 4 for LSTM, 3 for GRU: the rows of w_ih / w_hh per hidden unit
    torch_module: str  # the nn class: "LSTM" or "GRU"
    tf_cell: Callable  # (tf, hidden) -> an RNN cell of that tf module (ours or real TF1)
    # (ours, params) -> the values for the cell's variables, or None to keep TF1's initialiser
    tf_cell_values: Callable[[bool, dict], list | None]


def init(dims: tuple, gates: int, seed: int) -> tuple[dict, np.ndarray, np.ndarray]:
    """Parameters in PyTorch's layout, token ids and targets for dims (V, E, H, T, batch)."""
    vocab, embed, hidden, steps, batch = dims
    rng = np.random.default_rng(seed)
    b = 1 / np.sqrt(hidden)

    def u(s):
        return rng.uniform(-b, b, s).astype(np.float32)

    params = {
        "embed": (rng.standard_normal((vocab, embed)) * 0.3).astype(np.float32),
        "w_ih": u((gates * hidden, embed)), "w_hh": u((gates * hidden, hidden)),
        "b_ih": u((gates * hidden,)), "b_hh": u((gates * hidden,)),
        "w_out": u((vocab, hidden)), "b_out": u((vocab,)),
    }  # fmt: skip
    x = rng.integers(0, vocab, (batch, steps)).astype(np.int64)
    y = rng.integers(0, vocab, (batch, steps)).astype(np.int64)
    return params, x, y


def graph_program(rec: Recurrent, dims: tuple, seed: int):
    """The TF1-style step: embedding_lookup, the cell under tf.nn.dynamic_rnn, a matmul head."""
    params, x, y = init(dims, rec.gates, seed)
    vocab, embed, hidden, steps, batch = dims

    def build(tf):
        graph, sess = session(tf)
        ours = tf.__name__.startswith("duograd")
        with graph.as_default():
            px = tf.placeholder(tf.int64, [None, steps])
            py = tf.placeholder(tf.int64, [None, steps])
            table = tf.Variable(params["embed"])
            h, _ = tf.nn.dynamic_rnn(rec.tf_cell(tf, hidden), tf.nn.embedding_lookup(table, px),
                                     dtype=tf.float32)  # fmt: skip
            cell_vars = [v for v in tf.trainable_variables() if v is not table]
            w, b = tf.Variable(params["w_out"]), tf.Variable(params["b_out"])
            logits = tf.matmul(tf.reshape(h, [-1, hidden]), w, transpose_b=True) + b
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=tf.reshape(py, [-1]), logits=logits))  # fmt: skip
            train = tf.train.GradientDescentOptimizer(LR).minimize(loss)
            sess.run(tf.global_variables_initializer())
            values = rec.tf_cell_values(ours, params)
            if values is not None:
                for v, a in zip(cell_vars, values, strict=True):
                    v.load(a, sess)
            variables = [table, *cell_vars, w, b]
        feed = {px: x, py: y}

        def step():
            sess.run(train, feed_dict=feed)

        return Stepper(step, lambda: (step(), sess.run(variables))[1])

    return build


def eager_program(rec: Recurrent, dims: tuple, seed: int):
    """The PyTorch-style step: nn.Embedding, the recurrent module (batch_first), nn.Linear."""
    params, x, y = init(dims, rec.gates, seed)
    vocab, embed, hidden, steps, batch = dims

    def build(torch):
        nn = torch.nn
        emb = nn.Embedding(vocab, embed)
        rnn = getattr(nn, rec.torch_module)(embed, hidden, batch_first=True)
        head = nn.Linear(hidden, vocab)
        with torch.no_grad():
            emb.weight.copy_(torch.from_numpy(params["embed"]))
            for name, key in zip(_TORCH_NAMES, CELL_KEYS, strict=True):
                getattr(rnn, name).copy_(torch.from_numpy(params[key]))
            head.weight.copy_(torch.from_numpy(params["w_out"]))
            head.bias.copy_(torch.from_numpy(params["b_out"]))
        return sgd_stepper(torch, [emb, rnn, head], lambda tx: rnn(emb(tx))[0], head, x, y, LR)

    return build


def sgd_stepper(torch, modules: list, body: Callable, head, x, y, lr: float) -> Stepper:
    """An eager SGD step on the cross-entropy of head(body(x)), flattened to tokens, against y;
    its final step reads every parameter of `modules`."""
    opt = torch.optim.SGD([p for m in modules for p in m.parameters()], lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    tx, ty = torch.from_numpy(x), torch.from_numpy(y).reshape(-1)

    def step():
        opt.zero_grad()
        h = body(tx)
        loss = loss_fn(head(h.reshape(-1, h.shape[-1])), ty)
        loss.backward()
        opt.step()

    def step_and_read():
        step()
        return [p.detach().numpy().copy() for m in modules for p in m.parameters()]

    return Stepper(step, step_and_read)


def flops(dims: tuple, gates: int) -> float:
    """Forward plus backward (3x forward) multiply-adds of the cell and the head, as flops."""
    vocab, embed, hidden, steps, batch = dims
    cell = 2 * batch * gates * hidden * (embed + hidden) * steps
    head = 2 * batch * steps * hidden * vocab
    return 3 * (cell + head)
