"""Parity through the public names: the same computation written with torch names and with TF1
names gives the same bits, forward and every input gradient.

`test_parity_primitives.py` binds each primitive directly; this file goes through what users
call (`torch.exp`, `x.sum(1)`, `F.softmax`, `tf.reduce_sum`, `tf.nn.conv2d`, ...), so a
frontend that wraps a primitive differently (an extra cast, another reduction order, a
different gradient path) is caught. The graph built by each TF-named program records which
primitives it reached; `test_public_pairs_reach_every_primitive` checks that together they
reach every primitive of the record except those other parity files cover.
"""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core.primitives import REGISTRY

F = torch.nn.functional
R = np.random.default_rng(8)


def _u(*shape, lo=-2.0, hi=2.0):
    return R.uniform(lo, hi, shape).astype(np.float32)


A, B = _u(3, 4), _u(3, 4)
POS = _u(3, 4, lo=0.5, hi=3.0)
M1, M2 = _u(3, 5), _u(5, 4)
IMG = _u(2, 3, 6, 6)  # NCHW
KER = _u(4, 3, 3, 3)  # OIHW
IDX = np.array([2, 0, 1], np.int64)

# id -> (eager program, graph program, inputs, differentiable input indexes)
PAIRS = {
    "add": (lambda a, b: a + b, lambda tf, a, b: tf.add(a, b), (A, B), (0, 1)),
    "sub": (lambda a, b: torch.sub(a, b), lambda tf, a, b: tf.subtract(a, b), (A, B), (0, 1)),
    "mul": (lambda a, b: torch.mul(a, b), lambda tf, a, b: tf.multiply(a, b), (A, B), (0, 1)),
    "div": (lambda a, b: a / b, lambda tf, a, b: tf.div(a, b), (A, POS), (0, 1)),
    "pow": (lambda a, b: torch.pow(a, b), lambda tf, a, b: tf.pow(a, b), (POS, A), (0, 1)),
    "maximum": (torch.maximum, lambda tf, a, b: tf.maximum(a, b), (A, B), (0, 1)),
    "minimum": (torch.minimum, lambda tf, a, b: tf.minimum(a, b), (A, B), (0, 1)),
    "neg": (lambda a: -a, lambda tf, a: tf.negative(a), (A,), (0,)),
    "abs": (torch.abs, lambda tf, a: tf.abs(a), (A,), (0,)),
    "exp": (torch.exp, lambda tf, a: tf.exp(a), (A,), (0,)),
    "log": (torch.log, lambda tf, a: tf.log(a), (POS,), (0,)),
    "sqrt": (torch.sqrt, lambda tf, a: tf.sqrt(a), (POS,), (0,)),
    "square": (torch.square, lambda tf, a: tf.square(a), (A,), (0,)),
    "sin": (torch.sin, lambda tf, a: tf.sin(a), (A,), (0,)),
    "cos": (torch.cos, lambda tf, a: tf.cos(a), (A,), (0,)),
    "tanh": (torch.tanh, lambda tf, a: tf.tanh(a), (A,), (0,)),
    "sigmoid": (torch.sigmoid, lambda tf, a: tf.sigmoid(a), (A,), (0,)),
    "relu": (F.relu, lambda tf, a: tf.nn.relu(a), (A,), (0,)),
    "erf": (torch.erf, lambda tf, a: tf.math.erf(a), (A,), (0,)),
    "erfinv": (torch.erfinv, lambda tf, a: tf.math.erfinv(a), (A / 2.5,), (0,)),
    "lgamma": (torch.lgamma, lambda tf, a: tf.lgamma(a), (POS,), (0,)),
    "digamma": (torch.digamma, lambda tf, a: tf.math.digamma(a), (POS,), (0,)),
    "polygamma": (
        lambda a: torch.polygamma(1, a),
        lambda tf, a: tf.math.polygamma(1, a),
        (POS,),
        (0,),
    ),
    "igamma": (
        lambda a, x: torch.igamma(a, x),
        lambda tf, a, x: tf.math.igamma(a, x),
        (POS, POS * 1.3),
        (0, 1),
    ),
    # rounding: torch gives zero gradients, TF none (see README); forward bits only
    "floor": (torch.floor, lambda tf, a: tf.floor(a), (A,), ()),
    "ceil": (torch.ceil, lambda tf, a: tf.math.ceil(a), (A,), ()),
    "round": (torch.round, lambda tf, a: tf.round(a), (A,), ()),
    "sign": (torch.sign, lambda tf, a: tf.sign(a), (A,), ()),
    "cast": (lambda a: a.double(), lambda tf, a: tf.cast(a, tf.float64), (A,), (0,)),
    "compare": (
        lambda a, b: (
            torch.where(a > b, a, b)
            + (a >= b).float()
            + (a < b).float()
            + (a <= b).float()
            + (a == b).float()
            + (a != b).float()
        ),
        lambda tf, a, b: (
            tf.where(tf.greater(a, b), a, b)
            + tf.cast(tf.greater_equal(a, b), tf.float32)
            + tf.cast(tf.less(a, b), tf.float32)
            + tf.cast(tf.less_equal(a, b), tf.float32)
            + tf.cast(tf.equal(a, b), tf.float32)
            + tf.cast(tf.not_equal(a, b), tf.float32)
        ),
        (A, B),
        (0, 1),
    ),
    "sum": (lambda a: a.sum(1), lambda tf, a: tf.reduce_sum(a, 1), (A,), (0,)),
    "sum_all": (torch.sum, lambda tf, a: tf.reduce_sum(a), (A,), (0,)),
    "mean": (lambda a: a.mean(0), lambda tf, a: tf.reduce_mean(a, 0), (A,), (0,)),
    "max": (lambda a: a.amax(1), lambda tf, a: tf.reduce_max(a, 1), (A,), (0,)),
    "min": (lambda a: a.amin(0), lambda tf, a: tf.reduce_min(a, 0), (A,), (0,)),
    "argmax": (lambda a: a.argmax(1), lambda tf, a: tf.argmax(a, 1), (A,), ()),
    "argmin": (lambda a: a.argmin(0), lambda tf, a: tf.argmin(a, 0), (A,), ()),
    "logsumexp": (
        lambda a: torch.logsumexp(a, 1),
        lambda tf, a: tf.reduce_logsumexp(a, 1),
        (A,),
        (0,),
    ),
    "softmax": (
        lambda a: F.softmax(a, 1),
        lambda tf, a: tf.nn.softmax(a),
        (A,),
        (0,),
    ),
    "log_softmax": (
        lambda a: F.log_softmax(a, 1),
        lambda tf, a: tf.nn.log_softmax(a),
        (A,),
        (0,),
    ),
    "matmul": (torch.matmul, lambda tf, a, b: tf.matmul(a, b), (M1, M2), (0, 1)),
    "reshape": (lambda a: a.reshape(4, 3), lambda tf, a: tf.reshape(a, [4, 3]), (A,), (0,)),
    "transpose": (lambda a: a.t(), lambda tf, a: tf.transpose(a), (A,), (0,)),
    "expand_squeeze": (
        lambda a: a.unsqueeze(0).squeeze(0) * a.unsqueeze(1).sum(1),
        lambda tf, a: (
            tf.squeeze(tf.expand_dims(a, 0), [0]) * tf.reduce_sum(tf.expand_dims(a, 1), 1)
        ),
        (A,),
        (0,),
    ),
    "concat": (
        lambda a, b: torch.cat([a, b], 1),
        lambda tf, a, b: tf.concat([a, b], 1),
        (A, B),
        (0, 1),
    ),
    "stack": (lambda a, b: torch.stack([a, b]), lambda tf, a, b: tf.stack([a, b]), (A, B), (0, 1)),
    "getitem": (lambda a: a[1:, ::2], lambda tf, a: a[1:, ::2], (A,), (0,)),
    "gather": (
        lambda a, i: a.index_select(0, i),
        lambda tf, a, i: tf.gather(a, i),
        (A, IDX),
        (0,),
    ),
    "broadcast_to": (
        lambda a: a[0].expand(3, 4) * 1.0,
        lambda tf, a: tf.broadcast_to(a[0], [3, 4]) * 1.0,
        (A,),
        (0,),
    ),
    "conv2d": (
        lambda x, w: F.conv2d(x, w, padding=1),
        lambda tf, x, w: tf.transpose(
            tf.nn.conv2d(
                tf.transpose(x, [0, 2, 3, 1]), tf.transpose(w, [2, 3, 1, 0]), [1, 1, 1, 1], "SAME"
            ),
            [0, 3, 1, 2],
        ),
        (IMG, KER),
        (0, 1),
    ),
    "max_pool2d": (
        lambda x: F.max_pool2d(x, 2),
        lambda tf, x: tf.transpose(
            tf.nn.max_pool(tf.transpose(x, [0, 2, 3, 1]), [1, 2, 2, 1], [1, 2, 2, 1], "VALID"),
            [0, 3, 1, 2],
        ),
        (IMG,),
        (0,),
    ),
    "avg_pool2d": (
        lambda x: F.avg_pool2d(x, 2),
        lambda tf, x: tf.transpose(
            tf.nn.avg_pool(tf.transpose(x, [0, 2, 3, 1]), [1, 2, 2, 1], [1, 2, 2, 1], "VALID"),
            [0, 3, 1, 2],
        ),
        (IMG,),
        (0,),
    ),
    "cross_entropy": (
        lambda a, i: F.cross_entropy(a, i),
        lambda tf, a, i: tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=i, logits=a)
        ),
        (A, IDX),
        (0,),
    ),
    "stop_gradient": (
        lambda a: a.detach() * a,
        lambda tf, a: tf.stop_gradient(a) * a,
        (A,),
        (0,),
    ),
    "identity": (lambda a: a.clone() * 2.0, lambda tf, a: tf.identity(a) * 2.0, (A,), (0,)),
    "arange": (
        lambda a: a * torch.arange(4, dtype=torch.float32),
        lambda tf, a: a * tf.range(4, dtype=tf.float32),
        (A,),
        (0,),
    ),
    "extent_bounds": (
        lambda a: a.narrow(0, 1, 2) * 2.0 + a.split([1, 3], 1)[1].sum(),
        lambda tf, a: tf.slice(a, [1, 0], [2, -1]) * 2.0 + tf.reduce_sum(tf.split(a, [1, 3], 1)[1]),
        (A,),
        (0,),
    ),
    "max_all": (lambda a: a.max(), lambda tf, a: tf.reduce_max(a), (A,), (0,)),
    "mean_all": (lambda a: a.mean(), lambda tf, a: tf.reduce_mean(a), (A,), (0,)),
    "run_time_shapes": (
        lambda a, b: (
            a * torch.arange(a.shape[1]).float()
            + torch.full_like(a, 2.0) * torch.ones_like(a)
            + a.reshape(b.shape)
        ),
        lambda tf, a, b: (
            a * tf.cast(tf.range(tf.shape(a)[1]), tf.float32)
            + tf.fill(tf.shape(a), 2.0) * tf.ones_like(a)
            + tf.reshape(a, tf.shape(b))
        ),
        (A, B),
        (0,),
    ),
    "sizes": (
        lambda a: a * (a.numel() / a.dim()),
        lambda tf, a: a * (tf.cast(tf.size(a), tf.float32) / tf.cast(tf.rank(a), tf.float32)),
        (A,),
        (0,),
    ),
}

# pairs that run a second time with placeholders of unknown dims (and unknown rank for integer
# labels), so that the
# graph side takes its run-time-shape paths (shape_of, fill_dynamic, reshape_dynamic, sum_like,
# count_all, with_shape, ...) and must still give eager's bits
UNKNOWN_SHAPES = [
    "add", "div", "mean", "mean_all", "sum_all", "max_all", "cross_entropy", "run_time_shapes",
    "sizes", "matmul", "softmax", "extent_bounds",
]  # fmt: skip
# ... and with placeholders of unknown rank, for the programs whose ops allow it
UNKNOWN_RANK = ["add", "mean_all", "sum_all", "max_all", "exp", "sizes"]


def _eager(program, inputs, diff, g):
    ts = [torch.tensor(x.copy(), requires_grad=(i in diff)) for i, x in enumerate(inputs)]
    out = program(*ts)
    res = [out.detach().numpy().copy()]
    if diff:
        out.backward(torch.tensor(g))
        res += [ts[i].grad.numpy().copy() for i in diff]
    return res


def _shape(x: np.ndarray, unknown: str):
    """The placeholder's shape: static (""), every dim None ("dims"), or no rank ("rank");
    integer labels get no rank in either unknown mode."""
    if not unknown:
        return x.shape
    return None if unknown == "rank" or x.dtype.kind == "i" else [None] * x.ndim


def _graph(program, inputs, diff, g, unknown=""):
    graph = tf.Graph()
    with graph.as_default():
        phs = [tf.placeholder(tf.as_dtype(x.dtype), _shape(x, unknown)) for x in inputs]
        out = program(tf, *phs)
        fetches = [out]
        feed = dict(zip(phs, inputs, strict=True))
        if diff:
            gp = tf.placeholder(tf.as_dtype(g.dtype), g.shape)
            fetches += tf.gradients(out, [phs[i] for i in diff], grad_ys=gp)
            feed[gp] = g
        with tf.Session() as sess:
            values = sess.run(fetches, feed_dict=feed)
    reached = {n.prim.name for n in graph.nodes if getattr(n, "prim", None) is not None}
    return values, reached


CASES = (
    [(n, "") for n in sorted(PAIRS)]
    + [(n, "dims") for n in UNKNOWN_SHAPES]
    + [(n, "rank") for n in UNKNOWN_RANK]
)


@pytest.mark.parametrize(
    "name,unknown", CASES, ids=[n + (f"-unknown_{u}" if u else "") for n, u in CASES]
)
def test_public_names_give_the_same_bits(name, unknown):
    eager_program, graph_program, inputs, diff = PAIRS[name]
    probe = eager_program(*[torch.tensor(x) for x in inputs]).detach().numpy()
    g = np.random.default_rng(3).standard_normal(probe.shape).astype(probe.dtype)
    eager = _eager(eager_program, inputs, diff, g)
    graph, _ = _graph(graph_program, inputs, diff, g, unknown)
    assert len(eager) == len(graph) == 1 + len(diff)
    for e, t in zip(eager, graph, strict=True):
        assert e.dtype == t.dtype and e.shape == t.shape
        assert e.tobytes() == t.tobytes()


# reached by the parity files named, not by a pair here
ELSEWHERE = {
    "allreduce": "tests/distributed (collectives need processes)",
    "broadcast": "tests/distributed (collectives need processes)",
    "spmm": "tests/parity/test_sparse.py",
    "sddmm": "tests/parity/test_sparse.py",
    **dict.fromkeys(
        ["depthwise_conv2d", "depthwise_conv2d_input_grad", "depthwise_conv2d_filter_grad"],
        "tests/core/test_depthwise.py (conv2d(groups=C) vs tf.nn.depthwise_conv2d, bitwise)",
    ),
    **dict.fromkeys(
        ["gamma_grad", "gamma_transport"],
        "tests/data/test_gamma_family.py (Gamma/Beta/Dirichlet rsample, eager vs graph bitwise)",
    ),
    "rectify_grad": "tests/explain/test_parity_rules.py (guided backprop / deconvolution, bitwise)",
    "check_numerics": "graph only (tf.check_numerics; eager has anomaly mode instead)",
    "index_bounds": "graph only (tf.gather_nd, tf.unsorted_segment_sum); tests/edges",
    "nonzero_divisor": "graph only (tf.floordiv / floormod / truncatediv / truncatemod of "
    "integers; eager refuses a zero divisor in its frontend); tests/edges",
    **dict.fromkeys(
        ["unit_interval", "class_values"],
        "eager only (F.binary_cross_entropy, F.one_hot: TF's anchors check neither); "
        "tests/edges/test_guards_in_record.py",
    ),
    # whole programs in both styles, bitwise: the char-LSTM example trains through these
    **dict.fromkeys(
        [f"lstm_{a}{b}" for a in ("state", "output") for b in ("", "_grad_c", "_grad_gates")],
        "tests/models/test_model_examples.py (char-LSTM, both styles, bitwise)",
    ),
    "max_pool2d_pick": "tests/parity/test_parity_primitives.py (second order of max pooling)",
    **dict.fromkeys(
        ["batch_norm_stats", "batch_norm_apply", "batch_norm_stats_grad", "batch_norm_reduce_grad"],
        "tests/core/test_batch_norm_train.py (nn.BatchNorm vs tf.layers.batch_normalization, "
        "bitwise)",
    ),
    "batch_norm_infer": "tests/core/test_batch_norm_infer.py (eval-mode nn.BatchNorm and "
    "F.batch_norm vs the composed ops graph programs run, bitwise)",
    "trunc": "torch only (tf has no trunc); tests/edges/test_degenerate_grads.py",
    # eager vs graph bitwise checks of their own families
    **dict.fromkeys(
        ["lstm_seq", "lstm_seq_grad", "scatter_sum"],
        "tests/seq (sequence LSTM and slice gradients, eager vs graph bitwise)",
    ),
    **dict.fromkeys(
        ["gru_seq", "gru_seq_grad", "rnn_seq", "rnn_seq_grad"],
        "tests/seq/test_gru_rnn_seq.py (nn.GRU/RNN vs dynamic_rnn, eager vs graph bitwise)",
    ),
    **dict.fromkeys(
        ["sdpa", "sdpa_grad"],
        "tests/seq/test_transformer.py (the Transformer, eager vs graph bitwise)",
    ),
    **dict.fromkeys(
        ["layer_norm_fused", "layer_norm_grad"],
        "tests/seq/test_layer_norm_fused.py (nn.LayerNorm vs tf.attention.layer_norm, bitwise)",
    ),
    **dict.fromkeys(
        ["gru_tf_seq", "gru_tf_seq_grad"],
        "tests/seq/test_gru_tf_seq.py (TF's GRUCell through dynamic_rnn vs eager, bitwise)",
    ),
    **dict.fromkeys(
        ["boolean_mask", "boolean_mask_grad"],
        "tests/graph/test_tf_math_more_oracle.py (tf.boolean_mask; eager indexes by mask)",
    ),
    **dict.fromkeys(
        [
            "complex_abs",
            "complex_abs_grad",
            "complex_angle",
            "complex_angle_grad",
            "complex_binary",
            "complex_broadcast_as",
            "complex_neg",
            "complex_sum_to",
            "conj",
            "view_as_complex",
            "view_as_real",
            "fft_c2c",
            "rfft",
            "rfft_adjoint",
            "irfft",
            "irfft_adjoint",
            "ctc_loss",
            "ctc_loss_grad",
        ],
        "tests/speech (stft and CTC, eager vs graph bitwise)",
    ),  # fmt: skip
    **dict.fromkeys(
        ["ctc_greedy", "ctc_beam", "edit_distance", "padded_to_sparse", "sparse_to_dense"],
        "tests/speech/test_ctc_oracle.py (TF decoders and sparse labels: graph only)",
    ),
    **dict.fromkeys(
        ["log1p", "expm1", "atan", "asin", "acos", "sinh", "cosh", "tan"],
        "tests/eager/test_einsum_trig_parity_more2.py (torch names vs the core ops on graphs)",
    ),
    **dict.fromkeys(
        ["atan2", "hypot", "copysign", "fmod", "asinh", "acosh", "atanh", "erfc"],
        "tests/eager/test_tensor_math_parity.py (torch names vs the core ops on graphs, bitwise)",
    ),
    "signbit": "tests/eager/test_tensor_surface3_oracle.py (bool result, no gradient: oracle)",
    **dict.fromkeys(
        ["matrix_inverse", "logabsdet", "cholesky"],
        "tests/eager/test_linalg_more2_oracle.py (eager vs the core ops on graphs, bitwise)",
    ),
    **dict.fromkeys(
        ["svd", "svdvals", "eigh", "eigvalsh", "qr", "det_sign"],
        "tests/eager/test_linalg_decomp_oracle.py (torch.linalg vs tf.svd / qr / ..., bitwise)",
    ),
    "scatter_last": (
        "tests/eager/test_max_unpool_duplicates_oracle.py (F.max_unpool*d vs torch, the core op "
        "on graphs, bitwise)"
    ),
    **dict.fromkeys(
        ["grid_sample", "grid_sample_input_grad", "grid_sample_grid_grad"],
        "tests/eager/test_grid_sample_oracle.py (F.grid_sample vs the core op on graphs, bitwise)",
    ),
}


def test_public_pairs_reach_every_primitive():
    reached: set[str] = set()
    for name, unknown in CASES:
        eager_program, graph_program, inputs, diff = PAIRS[name]
        probe = eager_program(*[torch.tensor(x) for x in inputs]).detach().numpy()
        g = np.ones(probe.shape, probe.dtype)
        reached |= _graph(graph_program, inputs, diff, g, unknown)[1]
    random_prims = {n for n, p in REGISTRY.items() if p.random}  # test_random_public_names.py
    missing = set(REGISTRY) - reached - random_prims - set(ELSEWHERE)
    assert not missing, f"primitives no public pair reaches: {sorted(missing)}"
