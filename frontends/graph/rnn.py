"""`tf.nn.dynamic_rnn`, `tf.nn.static_rnn` and `tf.nn.bidirectional_dynamic_rnn`.

The time loop is unrolled statically when the time dimension is known when the graph is built,
by `core.functional.rnn_unroll`, the loop the eager `nn.LSTM` / `nn.GRU` run, so a graph RNN and
an eager one with the same cell convention and weights create the same nodes in the same order.
A time dimension known only at run time (`placeholder([None, None, depth])`, as seq2seq code
writes) runs `dynamic_rnn` as a `tf.while_loop` over the steps instead, as TF1 does.
`sequence_length` zeroes the outputs past each row's length and carries its state through.
A standard LSTMCell / BasicLSTMCell runs the whole sequence as one primitive instead
(`core.recurrent.lstm_layer`), as the eager nn.LSTM does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core import functional as CF
from ...core import ops
from . import dtypes as tfd
from .array_ops import shape as tf_shape
from .math_ops import _tensor, known_rank
from .rnn_cell import _map_state
from .variable_scope import variable_scope


def _batch_size(x: Any, axis: int) -> Any:
    n = x.shape[axis]
    return n if n is not None else tf_shape(x)[axis]


def _initial_state(cell: Any, x: Any, batch_axis: int, initial_state: Any, dtype: Any) -> Any:
    if initial_state is not None:
        return initial_state
    if dtype is None:
        raise ValueError("If there is no initial_state, you must give a dtype.")
    return cell.zero_state(_batch_size(x, batch_axis), tfd.as_dtype(dtype))


def _masked_step(cell: Any, sequence_length: Any):
    """cell(x_t, s), with outputs zeroed and the old state kept where t >= sequence_length."""
    lengths = _tensor(sequence_length)
    if not tfd.as_dtype(lengths.dtype).is_integer or len(lengths.shape) != 1:
        raise ValueError(f"sequence_length must be a vector of integers, got {lengths}")
    counter = [0]

    def step(x, state):
        t = counter[0]
        counter[0] += 1
        out, new = cell(x, state)
        keep = ops.expand_dims(ops.less(np.asarray(t, lengths.dtype.np_dtype), lengths), 1)
        out = ops.where(keep, out, ops.scalar(0, out))
        new = _map_state(lambda n, o: ops.where(keep, n, o), new, state)
        return out, new

    return step


def _while_unroll(cell: Any, x: Any, state: Any, lengths: Any) -> tuple:
    """cell over the steps of time-major x whose count is known only when run: a tf.while_loop
    whose outputs grow by one step per iteration (TF1 runs dynamic_rnn the same way)."""
    import importlib

    A = importlib.import_module(__package__)  # the tf namespace (built when this runs)

    steps = tf_shape(x)[0]
    batch = _batch_size(x, 1)
    depth = cell.output_size
    acc = A.zeros(A.stack([0, batch, depth]), dtype=x.dtype)
    t0 = A.constant(0, dtype=tfd.int32)
    flat_state = _map_state(lambda s: s, state)

    def body(t, s, acc):
        x_t = A.gather(x, t)
        out, new = cell(x_t, s)
        if lengths is not None:  # rows past their length: output 0, state carried through
            keep = ops.expand_dims(ops.less(ops.cast(t, lengths.dtype.np_dtype), lengths), 1)
            out = ops.where(keep, out, ops.scalar(0, out))
            new = _map_state(lambda n, o: ops.where(keep, n, o), new, s)
        return t + 1, new, A.concat([acc, A.expand_dims(out, 0)], 0)

    shapes = [[], _map_state(lambda s: list(s.shape), flat_state), [None, x.shape[1], depth]]
    _, state, outputs = A.while_loop(
        lambda t, s, acc: t < steps, body, [t0, flat_state, acc], shape_invariants=shapes
    )
    return outputs, state


def _lengths(sequence_length: Any) -> Any:
    if sequence_length is None:
        return None
    lengths = _tensor(sequence_length)
    if not tfd.as_dtype(lengths.dtype).is_integer or len(lengths.shape) != 1:
        raise ValueError(f"sequence_length must be a vector of integers, got {lengths}")
    return lengths


def _check_inputs(op: str, inputs: Any, time_major: bool, run_time_steps: bool = False) -> Any:
    x = _tensor(inputs)
    known_rank(op, x)
    if len(x.shape) != 3:
        raise ValueError(f"{op}: inputs must be 3-D [batch, time, depth] (or time-major), got {x}")
    t_axis = 0 if time_major else 1
    if x.shape[t_axis] is None and not run_time_steps:
        raise ValueError(
            f"{op}: the time dimension of {x} must be known when the graph is built (the loop "
            "is unrolled); give the placeholder a fixed number of steps"
        )
    return x


def dynamic_rnn(
    cell: Any,
    inputs: Any,
    sequence_length: Any = None,
    initial_state: Any = None,
    dtype: Any = None,
    parallel_iterations: Any = None,
    swap_memory: bool = False,
    time_major: bool = False,
    scope: Any = None,
) -> tuple:
    """Run `cell` over the time axis -> (outputs [batch, time, out] or time-major, final state)."""
    x = _check_inputs("dynamic_rnn", inputs, time_major, run_time_steps=True)
    with variable_scope(scope or "rnn"):
        state = _initial_state(cell, x, 1 if time_major else 0, initial_state, dtype)
        if not time_major:
            x = ops.transpose(x, (1, 0, 2))
        fused = getattr(cell, "_sequence", None) if x.shape[0] is not None else None
        done = None if fused is None else fused(x, state, _lengths(sequence_length))
        if done is not None:  # a standard LSTM cell: the whole sequence as one primitive
            outputs, state = done
        elif x.shape[0] is None:  # steps known only when run: a while loop over them
            outputs, state = _while_unroll(cell, x, state, _lengths(sequence_length))
        else:
            step = _masked_step(cell, sequence_length) if sequence_length is not None else cell
            outputs, state = CF.rnn_unroll(step, x, state)
        if not time_major:
            outputs = ops.transpose(outputs, (1, 0, 2))
    return outputs, state


def static_rnn(
    cell: Any,
    inputs: Any,
    initial_state: Any = None,
    dtype: Any = None,
    sequence_length: Any = None,
    scope: Any = None,
) -> tuple:
    """Run `cell` over a Python list of [batch, depth] inputs -> (list of outputs, final state)."""
    xs = [_tensor(t) for t in inputs]
    if not xs:
        raise ValueError("static_rnn: inputs must not be empty")
    with variable_scope(scope or "rnn"):
        state = _initial_state(cell, xs[0], 0, initial_state, dtype)
        fused = getattr(cell, "_sequence", None)
        done = None if fused is None else fused(ops.stack(xs, 0), state, _lengths(sequence_length))
        if done is not None:  # a standard LSTM cell: one sequence primitive over the stacked steps
            outputs, state = [ops.getitem(done[0], (t,)) for t in range(len(xs))], done[1]
        else:
            step = _masked_step(cell, sequence_length) if sequence_length is not None else cell
            outputs = []
            for x in xs:
                out, state = step(x, state)
                outputs.append(out)
    return outputs, state


def bidirectional_dynamic_rnn(
    cell_fw: Any,
    cell_bw: Any,
    inputs: Any,
    sequence_length: Any = None,
    initial_state_fw: Any = None,
    initial_state_bw: Any = None,
    dtype: Any = None,
    parallel_iterations: Any = None,
    swap_memory: bool = False,
    time_major: bool = False,
    scope: Any = None,
) -> tuple:
    """((outputs_fw, outputs_bw), (state_fw, state_bw)); the backward cell reads time reversed
    (each row's first `sequence_length` steps reversed, as TF's reverse_sequence does)."""
    x = _check_inputs("bidirectional_dynamic_rnn", inputs, time_major, run_time_steps=True)
    if sequence_length is not None or x.shape[0 if time_major else 1] is None:
        return _bidirectional_by_reversal(
            cell_fw, cell_bw, x, sequence_length, initial_state_fw, initial_state_bw, dtype,
            time_major, scope,
        )  # fmt: skip
    batch_axis = 1 if time_major else 0
    with variable_scope(scope or "bidirectional_rnn"):
        xt = x if time_major else ops.transpose(x, (1, 0, 2))
        results = []
        for name, cell, init, rev in (
            ("fw", cell_fw, initial_state_fw, False),
            ("bw", cell_bw, initial_state_bw, True),
        ):
            with variable_scope(name):
                state = _initial_state(cell, x, batch_axis, init, dtype)
                fused = getattr(cell, "_sequence", None)
                done = None if fused is None else fused(xt, state, None, rev)
                if done is not None:  # a standard LSTM cell: one sequence primitive
                    out, state = done
                else:
                    out, state = CF.rnn_unroll(cell, xt, state, reverse=rev)
                if not time_major:
                    out = ops.transpose(out, (1, 0, 2))
                results.append((out, state))
    return (results[0][0], results[1][0]), (results[0][1], results[1][1])


def _reverse_time(tf: Any, x: Any, lengths: Any, time_axis: int, batch_axis: int) -> Any:
    """x with each row's first `lengths` steps reversed (all steps when lengths is None)."""
    if lengths is None:
        return tf.reverse(x, [time_axis])
    return tf.reverse_sequence(x, lengths, seq_axis=time_axis, batch_axis=batch_axis)


def _bidirectional_by_reversal(
    cell_fw: Any, cell_bw: Any, x: Any, sequence_length: Any, init_fw: Any, init_bw: Any,
    dtype: Any, time_major: bool, scope: Any,
) -> tuple:  # fmt: skip
    """TF1's construction: a forward dynamic_rnn, and a dynamic_rnn over the time-reversed
    input whose outputs are reversed back (run-time step counts and lengths allowed)."""
    import importlib

    tf = importlib.import_module(__package__)  # the tf namespace (built when this runs)
    time_axis, batch_axis = (0, 1) if time_major else (1, 0)
    lengths = None if sequence_length is None else _lengths(sequence_length)
    with variable_scope(scope or "bidirectional_rnn"):
        out_fw, state_fw = dynamic_rnn(
            cell_fw, x, lengths, init_fw, dtype, time_major=time_major, scope="fw"
        )
        backwards = _reverse_time(tf, x, lengths, time_axis, batch_axis)
        tmp, state_bw = dynamic_rnn(
            cell_bw, backwards, lengths, init_bw, dtype, time_major=time_major, scope="bw"
        )
        out_bw = _reverse_time(tf, tmp, lengths, time_axis, batch_axis)
    return (out_fw, out_bw), (state_fw, state_bw)


def static_bidirectional_rnn(
    cell_fw: Any, cell_bw: Any, inputs: Any, initial_state_fw: Any = None,
    initial_state_bw: Any = None, dtype: Any = None, sequence_length: Any = None,
    scope: Any = None,
) -> tuple:  # fmt: skip
    """(outputs, state_fw, state_bw) over a Python list of [batch, depth] inputs: each output
    the forward and backward outputs of its step joined on the last axis, as TF1's."""
    import importlib

    tf = importlib.import_module(__package__)  # the tf namespace (built when this runs)
    xs = [_tensor(t) for t in inputs]
    if not xs:
        raise ValueError("static_bidirectional_rnn: inputs must not be empty")
    lengths = None if sequence_length is None else _lengths(sequence_length)

    def reverse_list(items: list) -> list:
        if lengths is None:
            return items[::-1]
        stacked = tf.reverse_sequence(tf.stack(items), lengths, seq_axis=0, batch_axis=1)
        return tf.unstack(stacked, num=len(items))

    with variable_scope(scope or "bidirectional_rnn"):
        out_fw, state_fw = static_rnn(cell_fw, xs, initial_state_fw, dtype, lengths, scope="fw")
        tmp, state_bw = static_rnn(
            cell_bw, reverse_list(xs), initial_state_bw, dtype, lengths, scope="bw"
        )
        out_bw = reverse_list(tmp)
        outputs = [tf.concat([f, b], 1) for f, b in zip(out_fw, out_bw, strict=True)]
    return outputs, state_fw, state_bw


__all__ = ["bidirectional_dynamic_rnn", "dynamic_rnn", "static_bidirectional_rnn", "static_rnn"]
