"""TF's CTC: `tf.nn.ctc_loss` (TF1 signature with SparseTensor labels, and the later one with
`label_length`/`logit_length`/`blank_index`), `tf.nn.ctc_greedy_decoder`,
`tf.nn.ctc_beam_search_decoder` and `tf.edit_distance`.

The loss is the core's `ctc_loss` on `log_softmax(logits)`, the same primitives the eager
`F.ctc_loss` runs, so the gradient at the logits is the one both styles share.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core import ctc as CC
from ...core import ops
from ...core.primitives import labels as L
from ...core.primitives.runtime_shapes import known_like
from .convert import convert_to_tensor
from .sparse_feed import DynamicSparseTensor
from .sparse_ops import SparseTensor, SparseTensorValue
from .tensor import Tensor


def _labels(labels: Any, op: str) -> tuple:
    """(padded (N, S) labels, (N,) lengths) from any sparse label tensor."""
    if isinstance(labels, SparseTensorValue):
        labels = SparseTensor.from_value(labels)
    if isinstance(labels, SparseTensor):
        if labels._host_values is None:
            raise TypeError(f"{op}: sparse labels with graph-tensor values need all parts dynamic")
        dense, lengths = CC.sparse_to_padded(labels._idx.T, labels._host_values, labels._shape)
        return convert_to_tensor(dense), convert_to_tensor(lengths)
    if isinstance(labels, DynamicSparseTensor):
        shape = ops.reshape(labels.dense_shape, (2,))  # labels are (batch, time)
        dense = L.sparse_to_dense(labels.indices, labels.values, shape, -1)
        dense = ops.cast(dense, np.int64)
        mask = ops.cast(ops.greater_equal(dense, ops.scalar(0, dense)), np.int64)
        return dense, ops.sum(mask, axes=1)
    raise TypeError(f"{op}: labels must be a tf.SparseTensor, got {type(labels).__name__}")


def _classes(x: Tensor, op: str) -> int:
    if x.shape.ndims is None or x.shape.ndims != 3:
        raise ValueError(
            f"{op}: logits must be 3-D (time, batch, classes) with a known number of classes, "
            f"got {x}"
        )
    c = x.shape[-1]
    if c is None:
        raise ValueError(f"{op}: the number of classes (last dim of the logits) must be known")
    return int(c)


def _time_major(x: Tensor, time_major: bool) -> Tensor:
    return x if time_major else ops.transpose(x, (1, 0, 2))


def ctc_loss(
    labels: Any,
    inputs: Any = None,
    sequence_length: Any = None,
    preprocess_collapse_repeated: bool = False,
    ctc_merge_repeated: bool = True,
    ignore_longer_outputs_than_inputs: bool = False,
    time_major: bool = True,
    logits: Any = None,
    label_length: Any = None,
    logit_length: Any = None,
    logits_time_major: bool = True,
    unique: Any = None,
    blank_index: Any = None,
    name: Any = None,
) -> Tensor:
    """Per-example CTC loss of unnormalised logits; TF1's signature, or the later one when
    `label_length`/`logit_length`/`blank_index` is given."""
    if label_length is not None or logit_length is not None or blank_index is not None:
        return ctc_loss_v2(
            labels,
            logits if logits is not None else inputs,
            label_length,
            logit_length if logit_length is not None else sequence_length,
            logits_time_major,
            unique,
            blank_index,
            name,
        )
    op = "ctc_loss"
    x = convert_to_tensor(inputs if inputs is not None else logits)
    if sequence_length is None:
        raise ValueError(f"{op}: pass sequence_length (the number of frames of each example)")
    seq = convert_to_tensor(sequence_length)
    g = x.graph

    def build():
        lp = ops.log_softmax(_time_major(x, time_major), -1)
        dense, lengths = _labels(labels, op)
        return CC.ctc_loss(
            lp,
            dense,
            seq,
            lengths,
            _classes(x, op) - 1,
            "none",
            zero_infinity=ignore_longer_outputs_than_inputs,
            collapse=preprocess_collapse_repeated,
            merge=ctc_merge_repeated,
            strict=not ignore_longer_outputs_than_inputs,
        )

    return g.build_op("CTCLoss", name, build)


def ctc_loss_v2(
    labels: Any,
    logits: Any,
    label_length: Any,
    logit_length: Any,
    logits_time_major: bool = True,
    unique: Any = None,
    blank_index: Any = None,
    name: Any = None,
) -> Tensor:
    """CTC loss with dense (N, S) labels and label_length, or sparse labels; blank_index
    defaults to 0 and counts from the end when negative."""
    op = "ctc_loss_v2"
    x = convert_to_tensor(logits)
    c = _classes(x, op)
    blank = 0 if blank_index is None else int(blank_index)
    blank = blank + c if blank < 0 else blank
    il = convert_to_tensor(logit_length)

    def build():
        lp = ops.log_softmax(_time_major(x, logits_time_major), -1)
        if label_length is None:
            dense, lengths = _labels(labels, op)
        else:
            dense, lengths = convert_to_tensor(labels), convert_to_tensor(label_length)
            # dense labels are (N, S) and lengths (N,): an unshaped placeholder is held to that
            # when it is fed, so a wrong rank is named here rather than deep in the kernel
            dense = known_like(dense, (None, None), op)
            lengths = known_like(lengths, (None,), op)
        return CC.ctc_loss(lp, dense, il, lengths, blank, "none")

    return x.graph.build_op("CTCLossV2", name, build)


def _decoded(padded: Tensor) -> DynamicSparseTensor:
    return DynamicSparseTensor(
        L.padded_to_sparse(padded, "indices"),
        L.padded_to_sparse(padded, "values"),
        L.padded_to_sparse(padded, "shape"),
    )


def ctc_greedy_decoder(
    inputs: Any, sequence_length: Any, merge_repeated: bool = True, blank_index: Any = None
) -> tuple:
    """Best-path decoding: ([SparseTensor of labels], (N, 1) negative summed logits)."""
    x = convert_to_tensor(inputs)
    c = _classes(x, "ctc_greedy_decoder")
    blank = c - 1 if blank_index is None else int(blank_index) % c
    seq = convert_to_tensor(sequence_length)
    g = x.graph
    padded = g.build_op(
        "CTCGreedyDecoder", None, lambda: L.ctc_greedy(x, seq, blank, merge_repeated)
    )
    score = g.build_op(
        "CTCGreedyDecoder", None, lambda: L.ctc_greedy(x, seq, blank, merge_repeated, "score")
    )
    return [_decoded(padded)], score


def ctc_beam_search_decoder(
    inputs: Any,
    sequence_length: Any,
    beam_width: int = 100,
    top_paths: int = 1,
    merge_repeated: bool = True,
) -> tuple:
    """Prefix beam search on log-softmax of `inputs` (blank = last class): (top_paths
    SparseTensors, (N, top_paths) log-probabilities)."""
    x = convert_to_tensor(inputs)
    c = _classes(x, "ctc_beam_search_decoder")
    seq = convert_to_tensor(sequence_length)
    g = x.graph
    args = (c - 1, merge_repeated, beam_width, top_paths)

    def lp():
        return ops.log_softmax(x, -1)

    paths = [
        _decoded(
            g.build_op("CTCBeamSearchDecoder", None, lambda k=k: L.ctc_beam(lp(), seq, *args, k))
        )
        for k in range(top_paths)
    ]
    scores = g.build_op(
        "CTCBeamSearchDecoder", None, lambda: L.ctc_beam(lp(), seq, *args, 0, "score")
    )
    return paths, scores


def _parts(sp: Any, what: str) -> tuple:
    if isinstance(sp, SparseTensorValue):
        sp = SparseTensor.from_value(sp)
    if isinstance(sp, SparseTensor):
        vals = sp._host_values if sp._host_values is not None else sp.values
        return convert_to_tensor(sp._idx.T.copy()), convert_to_tensor(vals), sp.dense_shape
    if isinstance(sp, DynamicSparseTensor):
        return sp.indices, sp.values, sp.dense_shape
    raise TypeError(f"edit_distance: {what} must be a tf.SparseTensor, got {type(sp).__name__}")


def edit_distance(hypothesis: Any, truth: Any, normalize: bool = True, name: Any = None) -> Tensor:
    """Levenshtein distance per row of two rank-2 sparse label batches (divided by the truth's
    length when `normalize`)."""
    h = _parts(hypothesis, "hypothesis")
    t = _parts(truth, "truth")
    return h[1].graph.build_op("EditDistance", name, lambda: L.edit_distance(*h, *t, normalize))
