"""Adds the speech names (CTC, sparse placeholders and feeds) to the graph frontend's
namespaces: `attach(tf)` is called once from the package's __init__."""

from __future__ import annotations

from typing import Any

from . import ctc_ops, signal_ops, sparse_feed, sparse_ops


def _to_dense(sp_input: Any, default_value: Any = None, validate_indices: bool = True, name=None):
    """tf.sparse.to_dense for static and run-time sparse tensors alike."""
    if isinstance(sp_input, sparse_feed.DynamicSparseTensor):
        return sparse_feed.dynamic_to_dense(sp_input, default_value, name)
    sp = sparse_ops._sp(sp_input, "sparse.to_dense")
    if sp.values.dtype.np_dtype.kind != "f":  # integer labels: the run-time op (no product)
        parts = sparse_feed.DynamicSparseTensor(sp._idx.T.copy(), sp.values, list(sp._shape))
        return sparse_feed.dynamic_to_dense(parts, default_value, name)
    return sparse_ops.to_dense(sp_input, default_value, validate_indices, name)


def attach(tf: Any) -> None:
    """Install tf.nn.ctc_*, tf.edit_distance, tf.sparse_placeholder and friends on `tf`."""
    tf.nn.ctc_loss = ctc_ops.ctc_loss
    tf.nn.ctc_loss_v2 = ctc_ops.ctc_loss_v2
    tf.nn.ctc_greedy_decoder = ctc_ops.ctc_greedy_decoder
    tf.nn.ctc_beam_search_decoder = ctc_ops.ctc_beam_search_decoder
    tf.edit_distance = ctc_ops.edit_distance
    tf.sparse_placeholder = sparse_feed.sparse_placeholder
    tf.sparse_to_dense = sparse_feed.sparse_to_dense
    tf.sparse_tensor_to_dense = _to_dense
    tf.sparse.to_dense = _to_dense
    tf.sparse.placeholder = sparse_feed.sparse_placeholder
    tf.sparse.SparseTensorValue = sparse_ops.SparseTensorValue
    signal_ops.attach(tf)
