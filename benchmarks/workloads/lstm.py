"""LSTM language-model training steps (embedding, one LSTM layer, dense head, softmax
cross-entropy, SGD) in both styles (the program is rnn_lm.py's, shared with `gru`).

The eager program is PyTorch's idiom (nn.Embedding, nn.LSTM(batch_first=True), nn.Linear); the
graph program is TF1's (embedding_lookup, an LSTMCell unrolled by tf.nn.dynamic_rnn, a matmul
head). duograd's graph cell uses `layout="torch"` (PyTorch's weight layout and gate order), so
the parity column compares the styles bit for bit. Real TF1 runs its own LSTMCell (TF's fused
kernel layout, gates reordered and forget_bias=0 so it computes the same function) in a
tf.while_loop; real PyTorch runs its fused LSTM.
"""

from __future__ import annotations

import numpy as np

from ..programs import both
from ..workload import Case, Workload
from . import rnn_lm

# (vocabulary, embedding, hidden, sequence length, batch)
SHAPES = {"small": (64, 32, 128, 32, 32), "wide": (64, 64, 256, 32, 64)}


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


def _tf_cell_values(ours: bool, params: dict) -> list:
    return [params[k] for k in rnn_lm.CELL_KEYS] if ours else list(_tf_kernel(params))


LSTM = rnn_lm.Recurrent(4, "LSTM", _tf_cell, _tf_cell_values)


def _graph(shape: str):
    return rnn_lm.graph_program(LSTM, SHAPES[shape], SHAPES[shape][2])


def _eager(shape: str):
    return rnn_lm.eager_program(LSTM, SHAPES[shape], SHAPES[shape][2])


def _flops(shape: str) -> float:
    return rnn_lm.flops(SHAPES[shape], LSTM.gates)


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
