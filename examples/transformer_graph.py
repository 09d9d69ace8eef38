"""A 2-layer Transformer encoder in the TF1 style, learning to reverse digit sequences.

Run: python examples/transformer_graph.py [--steps N]. The twin of transformer_eager.py, built
from `attention.multi_head_attention` (PyTorch's in_proj layout), `attention.layer_norm` and
`tf.layers.dense` with (out, in) kernels, in the order nn.TransformerEncoderLayer computes
(post-norm: x = norm1(x + attn(x)); x = norm2(x + linear2(relu(linear1(x))))). With Adam's
PyTorch epsilon placement the losses and weights are bit-identical to the eager run.
"""

import _model_data as data
import duograd.frontends.graph as tf
import numpy as np
from duograd.frontends.graph import attention
from transformer_eager import BATCH, FF, HEADS, LAYERS, LENGTH, LR, VOCAB, D, report


def encoder_layer(h):
    """One post-norm encoder block."""
    sa, _ = attention.multi_head_attention(h, h, h, HEADS, need_weights=False, name="self_attn")
    h = attention.layer_norm(h + sa, name="norm1")
    ff = tf.nn.relu(tf.layers.dense(h, FF, name="linear1", kernel_layout="out_in"))
    ff = tf.layers.dense(ff, D, name="linear2", kernel_layout="out_in")
    return attention.layer_norm(h + ff, name="norm2")


def network(x):
    """Embedding + positions -> 2 encoder blocks -> dense head (logits)."""
    table = tf.get_variable("embed/weight", [VOCAB, D])
    pos = tf.get_variable("pos", [LENGTH, D])
    h = tf.nn.embedding_lookup(table, x) + pos
    for i in range(LAYERS):
        with tf.variable_scope(f"encoder/layers/{i}"):
            h = encoder_layer(h)
    return tf.layers.dense(h, VOCAB, name="head", kernel_layout="out_in")


def torch_name(var) -> str:
    """The eager twin's parameter name of a graph variable."""
    name = var.name[: -len(":0")].replace("/", ".")
    for a, b in (
        ("kernel", "weight"),
        ("gamma", "weight"),
        ("beta", "bias"),
        ("out_proj_weight", "out_proj.weight"),
        ("out_proj_bias", "out_proj.bias"),
    ):
        if name.endswith(a):
            name = name[: -len(a)] + b
    return name  # fmt: skip


def train(steps: int, quiet: bool = False, eval_size: int = 1000) -> dict:
    """Train with Adam on the eager twin's batches; return losses, token accuracy, weights."""
    init = data.transformer_init(VOCAB, LENGTH, D, FF, LAYERS)
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.int64, [None, LENGTH], name="x")
        y = tf.placeholder(tf.int64, [None, LENGTH], name="y")
        logits = network(x)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.reshape(y, [-1]), logits=tf.reshape(logits, [-1, VOCAB])))  # fmt: skip
        train_op = tf.train.AdamOptimizer(LR, eps_mode="torch").minimize(loss)
        predict = tf.argmax(logits, -1)
        params = {torch_name(v): v for v in tf.trainable_variables()}
        rng = np.random.default_rng(1)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for name, var in params.items():
                var.load(init[name], sess)
            progress = data.Progress(steps, quiet)
            losses = []
            for step in range(steps):
                xb, yb = data.reversal_batch(rng, BATCH, LENGTH, VOCAB)
                _, value = sess.run([train_op, loss], {x: xb, y: yb})
                losses.append(float(value))
                progress.update(step, losses[-1])
            xt, yt = data.reversal_batch(np.random.default_rng(2), eval_size, LENGTH, VOCAB)
            hits = sess.run(predict, {x: xt}) == yt
            weights = dict(zip(params, sess.run(list(params.values())), strict=True))
    return {"losses": losses, "accuracy": float(np.mean(hits)),
            "sequences": float(np.mean(hits.all(axis=1))), "weights": weights,
            "seconds": progress.elapsed()}  # fmt: skip


def main(argv=None) -> dict:
    """Parse --steps/--quiet, train, print the result."""
    args = data.parse(__doc__.splitlines()[0], 300, argv)
    result = train(args.steps, args.quiet)
    report("graph", result)
    return result


if __name__ == "__main__":
    main()
