"""Spoken-symbol recognition in the TF1 style: tf.signal log-mel, conv1d + bidirectional GRU, CTC.

Run: python examples/speech_graph.py [--epochs N]. The twin of speech_eager.py: the same
synthetic utterances (_speech_data.py), log-mel features from tf.signal.stft, a tf.layers.conv1d
(stride 2), tf.nn.bidirectional_dynamic_rnn over GRU cells with PyTorch's gate convention, a
dense layer, tf.nn.ctc_loss on labels fed through a tf.sparse_placeholder, Adam with PyTorch's
epsilon placement and tf.nn.ctc_greedy_decoder. From the same initial weights and batches it
ends with weights bit-identical to the eager run.
"""

import _speech_data as data
import duograd.frontends.graph as tf
import numpy as np


def features(waves: np.ndarray, mel: np.ndarray) -> np.ndarray:
    """(n, frames, mels) log-mel features of (n, samples) waveforms, from tf.signal.stft."""
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, waves.shape[1]])
        spec = tf.abs(tf.signal.stft(x, data.N_FFT, data.HOP, data.N_FFT))  # (n, frames, bins)
        power = spec * spec
        bins = data.N_FFT // 2 + 1
        mels = tf.matmul(tf.reshape(power, [-1, bins]), tf.constant(mel))
        logmel = tf.reshape(tf.log(mels + 1e-6), [tf.shape(x)[0], -1, data.N_MELS])
        with tf.Session() as sess:
            return sess.run(logmel, {x: waves})


def build(frames: int, hidden: int, channels: int):
    """The model on (batch, frames, mels) features -> (x, time-major logits, {torch name: var})."""
    x = tf.placeholder(tf.float32, [None, frames, data.N_MELS], name="feats")
    h = tf.pad(x, [[0, 0], [2, 2], [0, 0]])  # PyTorch's padding=2 on both sides
    h = tf.layers.conv1d(h, channels, 5, strides=2, activation=tf.nn.relu, name="conv")
    (fw, bw), _ = tf.nn.bidirectional_dynamic_rnn(
        tf.nn.rnn_cell.GRUCell(hidden, layout="torch"),
        tf.nn.rnn_cell.GRUCell(hidden, layout="torch"),
        h, dtype=tf.float32, scope="gru",
    )  # fmt: skip
    h = tf.concat([fw, bw], 2)
    logits = tf.layers.dense(h, data.CLASSES, name="fc", kernel_layout="out_in")
    names = ["conv.weight", "conv.bias"]
    for sfx in ("", "_reverse"):
        names += [f"gru.{w}_l0{sfx}" for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    names += ["fc.weight", "fc.bias"]
    variables = tf.trainable_variables()
    return x, tf.transpose(logits, [1, 0, 2]), dict(zip(names, variables, strict=True))


def _to_tf(name: str, value: np.ndarray) -> np.ndarray:
    """PyTorch's (out, in, k) conv weights as TF's (k, in, out) kernels; the rest as is."""
    return value.transpose(2, 1, 0) if value.ndim == 3 else value


def train(
    epochs: int,
    quiet: bool = False,
    n_train: int = 384,
    n_test: int = 96,
    batch: int = 32,
    hidden: int = 48,
    channels: int = 64,
    lr: float = 0.01,
    max_steps: int | None = None,
) -> dict:
    """Train for `epochs` (at most `max_steps` steps): per-epoch losses, LERs, times, weights."""
    waves, labels, lengths = data.utterances(n_train + n_test, seed=0)
    feats, _ = data.normalise(features(waves, data.mel_filterbank()))
    x_tr, x_te = feats[:n_train], feats[n_train:]
    y_tr, l_tr = labels[:n_train], lengths[:n_train]
    y_te, l_te = labels[n_train:], lengths[n_train:]
    t_out = data.out_frames(feats.shape[1])
    init = data.init(hidden, channels)
    with tf.Graph().as_default():
        x, logits, params = build(feats.shape[1], hidden, channels)
        y = tf.sparse_placeholder(tf.int32, name="labels")
        seq_len = tf.placeholder(tf.int32, [None], name="seq_len")
        loss = tf.reduce_mean(tf.nn.ctc_loss(y, logits, seq_len))
        train_op = tf.train.AdamOptimizer(lr, eps_mode="torch").minimize(loss)
        decoded, _ = tf.nn.ctc_greedy_decoder(logits, seq_len)
        dense = tf.sparse.to_dense(decoded[0], default_value=-1)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for name, var in params.items():
                var.load(_to_tf(name, init[name]), sess)

            def evaluate() -> float:
                out = sess.run(dense, {x: x_te, seq_len: np.full(n_test, t_out, np.int32)})
                decoded = [[int(c) for c in row if c >= 0] for row in out]
                return data.label_error_rate(decoded, y_te, l_te)

            def train_step(idx: np.ndarray) -> float:
                feed = {x: x_tr[idx], y: data.sparse_labels(y_tr[idx], l_tr[idx]),
                        seq_len: np.full(batch, t_out, np.int32)}  # fmt: skip
                return float(sess.run([train_op, loss], feed)[1])

            ler0 = evaluate()
            history = data.run_epochs(
                train_step, evaluate, epochs, n_train, batch, max_steps, quiet
            )
            values = sess.run(list(params.values()))
    weights = {n: v.transpose(2, 1, 0) if v.ndim == 3 else v
               for n, v in zip(params, values, strict=True)}  # fmt: skip
    return {**history, "ler0": ler0, "weights": weights, "features": feats}


def main(argv=None) -> dict:
    """Parse --epochs/--quiet, train, print the result."""
    return data.main(train, "graph", __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    main()
