"""Recurrent layers over whole sequences on the sequence-level primitives (both frontends).

`lstm_layer`, `gru_layer` and `rnn_layer` map a weight layout onto the sequence primitives
(`primitives.rnn_seq`, `primitives.rnn_seq_cells`: one fused forward and one fused backward
through time each) and slice their packed results; reversed directions and variable lengths
are index gathers around them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import ops
from .primitives.rnn_seq import lstm_seq
from .primitives.rnn_seq_cells import gru_seq, rnn_seq
from .primitives.rnn_seq_gru_tf import gru_tf_seq


def _zeros_bias(w, value: float = 0.0):
    """A zero bias with the gate width of weight `w` (in, G) (value -0.0: a sum's identity)."""
    return ops.fill_like(ops.getitem(w, (0,)), value)


def _weights(params: tuple, layout: str, n_in: int):
    """(wx, wh, bx, bh) in the (in, G) / (H, G) form the primitive takes."""
    if layout == "torch":
        w_ih, w_hh, b_ih, b_hh = params
        wx, wh = ops.transpose(w_ih, (1, 0)), ops.transpose(w_hh, (1, 0))
        bx = b_ih if b_ih is not None else _zeros_bias(wx)
        bh = b_hh if b_hh is not None else _zeros_bias(wx)
        return wx, wh, bx, bh
    kernel, bias = params
    wx = ops.getitem(kernel, (slice(0, n_in),))
    wh = ops.getitem(kernel, (slice(n_in, None),))
    # TF's cell: one product over [x, h], then its bias. In layout "tf" the primitives run
    # that one chain and compute bx + (chain + bh): with bh the bias and bx -0.0 (-0.0 + v is
    # exactly v, for v = +0.0 too) the gates are the cell's bits; without a bias both are -0.0
    bh = bias if bias is not None else _zeros_bias(wx, -0.0)
    return wx, wh, _zeros_bias(wx, -0.0), bh


def _reverse_index(lengths: np.ndarray, t_len: int) -> tuple:
    """Index (time, batch) reversing each sequence within its own length (padding stays put)."""
    t = np.arange(t_len)[:, None]
    lens = np.asarray(lengths)[None, :]
    rows = np.where(t < lens, lens - 1 - t, t)
    return (rows, np.arange(lens.shape[1])[None, :])


def _prepare(op: str, x, lengths: Any, reverse: bool) -> tuple:
    """(x read in the direction to run, lengths as an int array or tensor, the reversing index
    or None): shared by every sequence layer."""
    t_len = x.shape[0]
    if t_len is None or t_len == 0:
        raise ValueError(f"{op}: needs a known, non-zero number of steps, got {x.shape}")
    batch = x.shape[1]
    given = lengths is not None
    if lengths is None:
        # every row runs all steps; shaped at run time (the batch may be unknown in a graph)
        like = ops.getitem(x, (0, slice(None), 0)) if batch is None else None
        lengths = (
            np.full(batch, t_len, np.int64)
            if like is None
            else ops.fill_like(like, t_len, dtype=np.int64)
        )
    index = None
    if reverse:
        if not given or (isinstance(lengths, np.ndarray) and bool(np.all(lengths >= t_len))):
            index = (slice(None, None, -1),)
        elif isinstance(lengths, np.ndarray):
            index = _reverse_index(lengths, t_len)
        else:
            raise ValueError(f"{op}: a reversed direction needs concrete lengths")
        x = ops.getitem(x, index)
    return x, lengths, index


def _finish(y, hid: int, t_len: int, index) -> tuple:
    """(outputs (T, B, H), h_n) sliced from a packed sequence result."""
    out = ops.getitem(y, (slice(None), slice(None), slice(0, hid)))
    h_n = ops.getitem(y, (t_len - 1, slice(None), slice(hid, 2 * hid)))
    if index is not None:
        out = ops.getitem(out, index)  # the reversal is its own inverse
    return out, h_n


def lstm_layer(
    x,
    h0,
    c0,
    params: tuple,
    layout: str = "torch",
    forget_bias: float = 0.0,
    reverse: bool = False,
    lengths: Any = None,
) -> tuple:
    """One LSTM layer-direction over time-major x (T, B, in) -> (outputs (T, B, H), h_n, c_n).

    `lengths` (B,) ints: rows stop at their length (outputs past it are zero, the state is that
    of the last valid step); `reverse` runs each sequence from its last valid step back.
    """
    t_len, n_in = x.shape[0], x.shape[-1]
    x, lengths, index = _prepare("lstm_layer", x, lengths, reverse)
    wx, wh, bx, bh = _weights(params, layout, n_in)
    y = lstm_seq(x, h0, c0, wx, wh, bx, bh, lengths, forget_bias, layout)
    hid = h0.shape[-1]
    out, h_n = _finish(y, hid, t_len, index)
    c_n = ops.getitem(y, (t_len - 1, slice(None), slice(2 * hid, 3 * hid)))
    return out, h_n, c_n


def gru_layer(
    x, h0, params: tuple, layout: str = "torch", reverse: bool = False, lengths: Any = None
) -> tuple:
    """One GRU layer-direction over time-major x (T, B, in) -> (outputs (T, B, H), h_n).

    PyTorch's weights (w_ih, w_hh, b_ih, b_hh) with gate blocks r, z, n; or layout "tf", TF's
    GRUCell (gate_kernel, gate_bias, candidate_kernel, candidate_bias), another recurrence (r
    multiplies h before the candidate kernel) with a primitive of its own; `lengths` and
    `reverse` as in `lstm_layer`.
    """
    t_len, n_in = x.shape[0], x.shape[-1]
    x, lengths, index = _prepare("gru_layer", x, lengths, reverse)
    if layout == "tf":
        gate_k, gate_b, cand_k, cand_b = params
        gate_b = gate_b if gate_b is not None else _zeros_bias(gate_k)
        cand_b = cand_b if cand_b is not None else _zeros_bias(cand_k)
        y = gru_tf_seq(x, h0, gate_k, gate_b, cand_k, cand_b, lengths)
        return _finish(y, h0.shape[-1], t_len, index)
    wx, wh, bx, bh = _weights(params, layout, n_in)
    return _finish(gru_seq(x, h0, wx, wh, bx, bh, lengths), h0.shape[-1], t_len, index)


def rnn_layer(
    x,
    h0,
    params: tuple,
    layout: str = "torch",
    nonlinearity: str = "tanh",
    reverse: bool = False,
    lengths: Any = None,
) -> tuple:
    """One plain-RNN (tanh or relu) layer-direction over time-major x -> (outputs, h_n);
    either weight layout; `lengths` and `reverse` as in `lstm_layer`."""
    t_len, n_in = x.shape[0], x.shape[-1]
    x, lengths, index = _prepare("rnn_layer", x, lengths, reverse)
    wx, wh, bx, bh = _weights(params, layout, n_in)
    y = rnn_seq(x, h0, wx, wh, bx, bh, lengths, nonlinearity, layout)
    return _finish(y, h0.shape[-1], t_len, index)


def sequence_layout_supported(mode: str, layout: str) -> bool:
    """Whether a layer of `mode` ("LSTM", "GRU", "RNN") in `layout` runs as one primitive."""
    return mode in ("LSTM", "GRU", "RNN") and layout in ("torch", "tf")
