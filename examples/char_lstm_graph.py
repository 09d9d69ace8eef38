"""A character-level LSTM language model in the TF1 style, trained on the docstrings of the
Python standard library (gathered at run time, so nothing is downloaded), then sampled.

Run: python examples/char_lstm_graph.py [--steps N]. The twin of char_lstm_eager.py: the cell is
`tf.nn.rnn_cell.LSTMCell(..., layout="torch")` (PyTorch's weight layout and gate order, no
forget bias) unrolled by `tf.nn.dynamic_rnn`, the head a dense layer with an (out, in) kernel,
and Adam uses PyTorch's epsilon placement, so from the same weights and batches the two styles
give bit-identical losses and sample the same text.
"""

import _model_data as data
import duograd.frontends.graph as tf
import numpy as np
from char_lstm_eager import BATCH, EMBED, HIDDEN, LR, SEQ, report


def model(x, vocab: int, cell, initial_state=None, reuse: bool = False):
    """Embedding -> LSTM -> dense head; returns (logits, final state)."""
    with tf.variable_scope("embed", reuse=reuse):
        table = tf.get_variable("weight", [vocab, EMBED])
    h, state = tf.nn.dynamic_rnn(cell, tf.nn.embedding_lookup(table, x),
                                 initial_state=initial_state, dtype=tf.float32)  # fmt: skip
    logits = tf.layers.dense(h, vocab, name="head", kernel_layout="out_in", reuse=reuse)
    return logits, state


def _torch_names(variables) -> dict:
    """PyTorch's parameter names for the graph's variables."""
    names = {"embed/weight:0": "embed.weight", "head/kernel:0": "head.weight",
             "head/bias:0": "head.bias"}  # fmt: skip
    for part in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        names[f"rnn/lstm_cell/{part}:0"] = f"lstm.{part}_l0"
    return {names[v.name]: v for v in variables}


def sampler(cell, vocab: int):
    """A one-character step sharing the trained variables: (x1, c, h, probs, final state)."""
    x1 = tf.placeholder(tf.int64, [1, 1], name="x1")
    c_in = tf.placeholder(tf.float32, [1, HIDDEN], name="c")
    h_in = tf.placeholder(tf.float32, [1, HIDDEN], name="h")
    state0 = tf.nn.rnn_cell.LSTMStateTuple(c_in, h_in)
    logits, state = model(x1, vocab, cell, initial_state=state0, reuse=True)
    return x1, c_in, h_in, tf.nn.softmax(logits[0, -1]), state


def sample(sess, sampling, chars, prime: str = "The ", length: int = 200, seed: int = 0) -> str:
    """Feed `prime`, then draw `length` characters one at a time, carrying the LSTM state."""
    x1, c_in, h_in, probs, state = sampling
    index = {c: i for i, c in enumerate(chars)}
    rng = np.random.default_rng(seed)
    out = list(prime)
    c = h = np.zeros((1, HIDDEN), np.float32)
    p = None
    for ch in prime:
        p, (c, h) = sess.run([probs, state], {x1: [[index[ch]]], c_in: c, h_in: h})
    for _ in range(length):
        code = data.sample_next(p, rng)
        out.append(chars[code])
        p, (c, h) = sess.run([probs, state], {x1: [[code]], c_in: c, h_in: h})
    return "".join(out)


def train(steps: int, quiet: bool = False, sample_length: int = 200) -> dict:
    """Train with Adam on the eager twin's windows; return losses, weights and a sample."""
    chars, codes = data.char_vocab(data.stdlib_text())
    vocab = len(chars)
    init = data.lstm_init(vocab, EMBED, HIDDEN)
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.int64, [None, SEQ], name="x")
        y = tf.placeholder(tf.int64, [None, SEQ], name="y")
        cell = tf.nn.rnn_cell.LSTMCell(HIDDEN, layout="torch")
        logits, _ = model(x, vocab, cell)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.reshape(y, [-1]), logits=tf.reshape(logits, [-1, vocab])))  # fmt: skip
        train_op = tf.train.AdamOptimizer(LR, eps_mode="torch").minimize(loss)
        params = _torch_names(tf.trainable_variables())
        sampling = sampler(cell, vocab)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for name, var in params.items():
                var.load(init[name], sess)
            progress = data.Progress(steps, quiet)
            losses = []
            for step, (xb, yb) in enumerate(data.char_windows(codes, SEQ, BATCH, steps)):
                _, value = sess.run([train_op, loss], {x: xb, y: yb})
                losses.append(float(value))
                progress.update(step, losses[-1])
            weights = dict(zip(params, sess.run(list(params.values())), strict=True))
            text = sample(sess, sampling, chars, length=sample_length) if sample_length else ""
    return {"losses": losses, "weights": weights, "sample": text, "vocab": vocab,
            "chars": len(codes), "seconds": progress.elapsed()}  # fmt: skip


def main(argv=None) -> dict:
    """Parse --steps/--quiet, train, print the result."""
    args = data.parse(__doc__.splitlines()[0], 300, argv)
    result = train(args.steps, args.quiet)
    report("graph", result)
    return result


if __name__ == "__main__":
    main()
