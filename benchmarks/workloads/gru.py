"""GRU language-model training steps (embedding, one GRU layer, dense head, softmax
cross-entropy, SGD) in both styles, the same program as the `lstm` workload (rnn_lm.py).

The eager program is PyTorch's idiom (nn.Embedding, nn.GRU(batch_first=True), nn.Linear); the
graph program is TF1's (embedding_lookup, a GRUCell run by tf.nn.dynamic_rnn, a matmul head).
duograd's graph cell uses `layout="torch"`, so the parity column compares the styles bit for
bit. Real PyTorch runs its fused GRU. Real TF1 runs its own GRUCell in a tf.while_loop: TF's GRU
applies the reset gate before the hidden matmul, a different function of the same size and
cost (2 matmuls per step instead of 1 hidden matmul), so its column is a timing peer only.
"""

from __future__ import annotations

from ..programs import both
from ..workload import Case, Workload
from . import rnn_lm

# (vocabulary, embedding, hidden, sequence length, batch)
SHAPES = {"small": (64, 32, 128, 32, 32)}


def _tf_cell(tf, hidden: int):
    """Our cell in PyTorch's layout, or real TF1's own GRUCell."""
    if tf.__name__.startswith("duograd"):
        return tf.nn.rnn_cell.GRUCell(hidden, layout="torch")
    from tensorflow.python.keras.layers.legacy_rnn import rnn_cell_impl

    return rnn_cell_impl.GRUCell(hidden)


def _tf_cell_values(ours: bool, params: dict) -> list | None:
    # real TF1's GRU is another function: it keeps its own initial weights (timing peer only)
    return [params[k] for k in rnn_lm.CELL_KEYS] if ours else None


GRU = rnn_lm.Recurrent(3, "GRU", _tf_cell, _tf_cell_values)


def cases(quick: bool) -> list[Case]:
    """A char-GRU-sized step: V=64 E=32 H=128 T=32 batch 32."""
    dims = SHAPES["small"]
    vocab, embed, hidden, steps, batch = dims
    seed = hidden + 1
    name = f"GRU LM V={vocab} E={embed} H={hidden} T={steps} SGD step b={batch}"
    programs = both(rnn_lm.graph_program(GRU, dims, seed), rnn_lm.eager_program(GRU, dims, seed))
    return [Case(name, programs, flops=rnn_lm.flops(dims, GRU.gates), parity_steps=3)]


WORKLOAD = Workload(
    "gru", "GRU language-model training steps: embedding, GRU, dense head, SGD", cases
)
