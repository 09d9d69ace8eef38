"""Names and import paths real TF1 programs use that the rest of the graph frontend lacked.

Each one was found by running public tutorial programs after changing only their import lines;
the semantics follow TF 1.15 / tf.compat.v1 (oracle tests:
tests/graph/test_realprog_fixes_tf.py).
"""

from __future__ import annotations

import sys
import types


def div_no_nan(x, y, name=None):
    """x / y, and 0 wherever y is 0 (the gradient there is 0 too), as tf.div_no_nan."""
    tf = sys.modules[__package__]
    with tf.name_scope(name or "div_no_nan"):
        x = tf.convert_to_tensor(x)
        y = tf.convert_to_tensor(y, dtype=x.dtype)
        zero = tf.equal(y, tf.zeros_like(y))
        safe_y = tf.where(zero, tf.ones_like(y), y)
        return tf.where(zero, tf.zeros_like(x * safe_y), x / safe_y)


def sequence_loss(
    logits,
    targets,
    weights,
    average_across_timesteps=True,
    average_across_batch=True,
    sum_over_timesteps=False,
    sum_over_batch=False,
    softmax_loss_function=None,
    name=None,
):
    """Weighted cross-entropy of [batch, time, classes] logits against [batch, time] ids, as
    tf.contrib.seq2seq.sequence_loss: a scalar, a [time] or [batch] vector, or [batch, time]."""
    tf = sys.modules[__package__]
    if average_across_timesteps and sum_over_timesteps:
        raise ValueError(
            "sequence_loss: average_across_timesteps and sum_over_timesteps cannot both be True"
        )
    if average_across_batch and sum_over_batch:
        raise ValueError(
            "sequence_loss: average_across_batch and sum_over_batch cannot both be True"
        )
    rank = len(logits.get_shape().as_list())
    if rank != 3:
        raise ValueError(
            f"sequence_loss: logits must be [batch, time, classes] (rank 3), got rank {rank}"
        )
    with tf.name_scope(name or "sequence_loss"):
        classes = tf.shape(logits)[2]
        flat_logits = tf.reshape(logits, [-1, classes])
        flat_targets = tf.reshape(targets, [-1])
        if softmax_loss_function is None:
            crossent = tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=flat_targets, logits=flat_logits
            )
        else:
            crossent = softmax_loss_function(labels=flat_targets, logits=flat_logits)
        crossent = crossent * tf.reshape(weights, [-1])
        if average_across_timesteps and average_across_batch:
            return div_no_nan(tf.reduce_sum(crossent), tf.reduce_sum(weights))
        if sum_over_timesteps and sum_over_batch:
            nonzero = tf.cast(tf.count_nonzero(weights), weights.dtype)
            return div_no_nan(tf.reduce_sum(crossent), nonzero)
        crossent = tf.reshape(crossent, tf.shape(logits)[0:2])
        if average_across_timesteps or average_across_batch:
            axis = [0] if average_across_batch else [1]
            total = tf.reduce_sum(weights, axis=axis)
            return div_no_nan(tf.reduce_sum(crossent, axis=axis), total)
        if sum_over_timesteps or sum_over_batch:
            axis = [0] if sum_over_batch else [1]
            nonzero = tf.cast(tf.count_nonzero(weights, axis=axis), weights.dtype)
            return div_no_nan(tf.reduce_sum(crossent, axis=axis), nonzero)
        return crossent


def _register_namespaces(module: types.ModuleType, depth: int = 0) -> None:
    """Make the namespaces hung on tf (tf.contrib, tf.contrib.rnn, ...) importable by their
    dotted names, so `from tensorflow.contrib import rnn` keeps working after the import line
    changes; modules already importable are left as they are."""
    for value in list(vars(module).values()):
        if not isinstance(value, types.ModuleType) or depth > 3:
            continue
        name = value.__name__
        if name.startswith(__package__ + ".") and name not in sys.modules:
            sys.modules[name] = value
            _register_namespaces(value, depth + 1)


def attach(tf: types.ModuleType) -> None:
    """Add the names where TF1 programs look for them and register the namespaces."""
    if "div_no_nan" not in vars(tf):
        tf.div_no_nan = div_no_nan
    if "divide_no_nan" not in vars(tf.math):
        tf.math.divide_no_nan = div_no_nan
    if "seq2seq" not in vars(tf.contrib):
        tf.contrib.seq2seq = types.ModuleType(
            f"{tf.__name__}.contrib.seq2seq", "tf.contrib.seq2seq."
        )
    tf.contrib.seq2seq.sequence_loss = sequence_loss
    _register_namespaces(tf)
