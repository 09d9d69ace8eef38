"""Recurrent layers and cells: nn.RNN, nn.LSTM, nn.GRU and their single-step cells.

The cell arithmetic is `core.functional.lstm_cell` / `gru_cell` / `rnn_tanh_cell` and the time
loop is `core.functional.rnn_unroll`, the same code the graph frontend's `tf.nn.rnn_cell` cells
and `tf.nn.dynamic_rnn` run. The default is PyTorch's convention: per layer and direction
`weight_ih_l{k}` (G*H, in), `weight_hh_l{k}` (G*H, H), `bias_ih_l{k}`, `bias_hh_l{k}`, LSTM gate
order (i, f, g, o), GRU (r, z, n), all drawn from U(-1/sqrt(H), 1/sqrt(H)) in parameter order.

Parity option ``layout="tf"``: TF's convention instead, one `kernel_l{k}` of shape (in + H, G*H)
on concat([x, h]) and one `bias_l{k}` (the GRU has `gate_kernel`/`gate_bias` and
`candidate_kernel`/`candidate_bias`), LSTM gate order (i, j, f, o) with ``forget_bias``
(default 1.0, as TF's cells), Glorot-uniform kernels and zero biases (ones for the GRU's gate
bias). An ``nn.LSTM(..., layout="tf")`` computes the bits of ``tf.nn.rnn_cell.LSTMCell`` +
``tf.nn.dynamic_rnn`` on the same weights; ``tf.nn.rnn_cell.LSTMCell(..., layout="torch")`` is
the other direction.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ....core import functional as CF
from ....core import init as core_init
from ....core import ops
from ....core import recurrent as R
from ..dtype import get_default_dtype, to_dtype
from ..tensor import Tensor
from . import packed as P
from .module import Module
from .parameter import Parameter

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _np_dtype(dtype: Any) -> np.dtype:
    return (to_dtype(dtype) if dtype is not None else get_default_dtype()).np_dtype


def _param_specs(mode: str, layout: str, in_size: int, hidden: int, bias: bool, sfx: str):
    """(name, shape, kind) of one layer-direction's parameters, in registration order."""
    g = _GATES[mode]
    if layout == "torch":
        specs = [
            (f"weight_ih{sfx}", (g * hidden, in_size), "w"),
            (f"weight_hh{sfx}", (g * hidden, hidden), "w"),
        ]
        if bias:
            specs += [(f"bias_ih{sfx}", (g * hidden,), "b"), (f"bias_hh{sfx}", (g * hidden,), "b")]
        return specs
    if mode == "GRU":
        specs = [(f"gate_kernel{sfx}", (in_size + hidden, 2 * hidden), "k")]
        specs += [(f"gate_bias{sfx}", (2 * hidden,), "one")] if bias else []
        specs += [(f"candidate_kernel{sfx}", (in_size + hidden, hidden), "k")]
        specs += [(f"candidate_bias{sfx}", (hidden,), "zero")] if bias else []
        return specs
    specs = [(f"kernel{sfx}", (in_size + hidden, g * hidden), "k")]
    return specs + ([(f"bias{sfx}", (g * hidden,), "zero")] if bias else [])


def _cell_params(module: Module, specs: list, bias: bool, mode: str, layout: str) -> tuple:
    """The parameters of one cell in the order core.functional's cell takes them."""
    ps = [getattr(module, name) for name, _, _ in specs]
    if bias:
        return tuple(ps)
    if layout == "torch":
        return (ps[0], ps[1], None, None)
    if mode == "GRU":
        return (ps[0], None, ps[1], None)
    return (ps[0], None)


class _RNNBase(Module):
    """Shared machinery of nn.RNN / nn.LSTM / nn.GRU."""

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: Any = None,
        dtype: Any = None,
        layout: str = "torch",
        forget_bias: float | None = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if layout not in CF.RNN_LAYOUTS:
            raise ValueError(f"{name}: layout must be one of {CF.RNN_LAYOUTS}, got {layout!r}")
        if proj_size:
            raise NotImplementedError(f"{name}: proj_size is not supported")
        if not 0.0 <= float(dropout) <= 1.0:
            raise ValueError(f"{name}: dropout must be a number in [0, 1], got {dropout}")
        if hidden_size <= 0 or num_layers <= 0:
            raise ValueError(f"{name}: hidden_size and num_layers must be positive integers")
        self.mode, self.layout = mode, layout
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional = bidirectional
        fb = 1.0 if layout == "tf" else 0.0
        self.forget_bias = fb if forget_bias is None else float(forget_bias)
        dirs = 2 if bidirectional else 1
        dt = _np_dtype(dtype)
        self._specs: list[list] = []
        for layer in range(num_layers):
            in_size = input_size if layer == 0 else hidden_size * dirs
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                specs = _param_specs(mode, layout, in_size, hidden_size, bias, sfx)
                for pname, shape, _ in specs:
                    setattr(self, pname, Parameter(Tensor._make(np.zeros(shape, dt))))
                self._specs.append(specs)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch: every parameter from U(-1/sqrt(H), 1/sqrt(H)); TF layout: Glorot kernels."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for specs in self._specs:
            for pname, shape, kind in specs:
                p = getattr(self, pname)
                dt = p._data.dtype
                if kind in ("w", "b"):
                    p._data[...] = core_init.uniform(shape, bound, dt)
                elif kind == "k":
                    p._data[...] = core_init.glorot_uniform(shape, "in_out", dt)
                else:
                    p._data[...] = np.ones(shape, dt) if kind == "one" else np.zeros(shape, dt)

    def flatten_parameters(self) -> None:
        """Accepted for compatibility (weights are always one contiguous array each)."""

    @property
    def all_weights(self) -> list:
        """The parameters of each layer and direction, as lists."""
        return [[getattr(self, n) for n, _, _ in specs] for specs in self._specs]

    def _step(self, params: tuple):
        raise NotImplementedError

    def _layer(self, params: tuple, x: Any, state: Any, reverse: bool, lengths: Any = None):
        """One layer-direction over time-major x -> (outputs, final state); cell by cell."""
        if lengths is not None:
            raise NotImplementedError(
                f"{type(self).__name__}: packed (variable-length) input needs a layer that runs "
                "as a sequence primitive (layout='torch' for nn.GRU)"
            )
        return CF.rnn_unroll(self._step(params), x, state, reverse=reverse)

    def _initial(self, hx: Any, batch: int, dt: np.dtype, batched: bool) -> list:
        raise NotImplementedError

    def _check_input(self, x: Tensor) -> bool:
        name = type(self).__name__
        if x.ndim not in (2, 3):
            raise ValueError(
                f"{name}: expected input of 2 (unbatched) or 3 dimensions, got shape "
                f"{tuple(x.shape)}"
            )
        if x.shape[-1] != self.input_size:
            raise RuntimeError(
                f"{name}: input.size(-1) must be equal to input_size. Expected "
                f"{self.input_size}, got {x.shape[-1]}"
            )
        return x.ndim == 3

    def _run(self, input: Tensor, hx: Any, lengths: Any = None) -> tuple:
        """(time-major output, [final state per layer-direction], batched?); with `lengths`
        the input is time-major (unpacked from a PackedSequence)."""
        batched = self._check_input(input)
        x = input
        if not batched:
            x = ops.expand_dims(x, 1)
        elif self.batch_first and lengths is None:
            x = ops.transpose(x, (1, 0, 2))
        dt = np.dtype(x.dtype)
        states = self._initial(hx, x.shape[1], dt, batched)
        dirs = 2 if self.bidirectional else 1
        finals = []
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                k = layer * dirs + d
                params = _cell_params(self, self._specs[k], self.bias, self.mode, self.layout)
                out, final = self._layer(params, x, states[k], d == 1, lengths)
                outs.append(out)
                finals.append(final)
            x = outs[0] if dirs == 1 else ops.concat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = CF.dropout(x, self.dropout, True)
        if not batched:
            x = ops.squeeze(x, (1,))
        elif self.batch_first and lengths is None:
            x = ops.transpose(x, (1, 0, 2))
        return x, finals, batched

    def _state_arg(self, h: Any, dt: np.dtype, batch: int, batched: bool, what: str) -> list:
        """Split a (layers * dirs, N, H) state into one (N, H) entry per layer-direction."""
        n = self.num_layers * (2 if self.bidirectional else 1)
        if h is None:
            zero = np.zeros((batch, self.hidden_size), dt)
            return [zero] * n
        want = (n, batch, self.hidden_size) if batched else (n, self.hidden_size)
        if tuple(h.shape) != want:
            raise RuntimeError(
                f"{type(self).__name__}: expected {what} of size {list(want)}, got {list(h.shape)}"
            )
        if not batched:
            h = ops.expand_dims(h, 1)
        return [ops.getitem(h, (k,)) for k in range(n)]

    def _stack_states(self, states: list, batched: bool):
        s = ops.stack(states, 0)
        return s if batched else ops.squeeze(s, (1,))

    def extra_repr(self) -> str:
        """Sizes and non-default options."""
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        if self.layout != "torch":
            s += f", layout={self.layout!r}"
        return s


class LSTM(_RNNBase):
    """A multi-layer LSTM: forward(input, (h_0, c_0)) -> (output, (h_n, c_n))."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def _step(self, params: tuple):
        layout, fb = self.layout, self.forget_bias

        def step(x, state):
            h, c = CF.lstm_cell(x, state[0], state[1], params, layout, fb)
            return h, (h, c)

        return step

    def _layer(self, params: tuple, x: Any, state: Any, reverse: bool, lengths: Any = None):
        # the whole sequence as one fused primitive (core.recurrent): same forward bits
        out, h, c = R.lstm_layer(
            x, state[0], state[1], params, self.layout, self.forget_bias, reverse, lengths
        )
        return out, (h, c)

    def _initial(self, hx, batch, dt, batched):
        if hx is None:
            hs = cs = self._state_arg(None, dt, batch, batched, "hx")
        else:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError("LSTM: hx must be a tuple (h_0, c_0)")
            hs = self._state_arg(hx[0], dt, batch, batched, "hidden[0]")
            cs = self._state_arg(hx[1], dt, batch, batched, "hidden[1]")
        return list(zip(hs, cs, strict=True))

    def forward(self, input: Any, hx: Any = None) -> tuple:
        """(output, (h_n, c_n)); output holds the last layer's h at every step (a
        PackedSequence in, a PackedSequence out)."""
        if isinstance(input, P.PackedSequence):
            return self._forward_packed(input, hx)
        out, finals, batched = self._run(input, hx)
        h_n = self._stack_states([f[0] for f in finals], batched)
        c_n = self._stack_states([f[1] for f in finals], batched)
        return out, (h_n, c_n)

    def _forward_packed(self, seq: Any, hx: Any) -> tuple:
        x, lengths = P.padded_sorted(seq)
        if hx is not None and seq.sorted_indices is not None:
            order = (slice(None), np.asarray(seq.sorted_indices._data))
            hx = (ops.getitem(hx[0], order), ops.getitem(hx[1], order))
        out, finals, _ = self._run(x, hx, lengths)
        sizes = np.asarray(seq.batch_sizes._data)
        data = ops.concat([ops.getitem(out, (t, slice(0, int(n)))) for t, n in enumerate(sizes)])
        h_n = self._stack_states([f[0] for f in finals], True)
        c_n = self._stack_states([f[1] for f in finals], True)
        if seq.unsorted_indices is not None:
            back = (slice(None), np.asarray(seq.unsorted_indices._data))
            h_n, c_n = ops.getitem(h_n, back), ops.getitem(c_n, back)
        packed = P.PackedSequence(data, seq.batch_sizes, seq.sorted_indices, seq.unsorted_indices)
        return packed, (h_n, c_n)


class _SingleState(_RNNBase):
    def _initial(self, hx, batch, dt, batched):
        return self._state_arg(hx, dt, batch, batched, "hx")

    def _layer(self, params: tuple, x: Any, state: Any, reverse: bool, lengths: Any = None):
        if R.sequence_layout_supported(_SEQ_MODE[self.mode], self.layout):
            return self._sequence(params, x, state, reverse, lengths)
        return super()._layer(params, x, state, reverse, lengths)

    def _sequence(self, params: tuple, x: Any, h0: Any, reverse: bool, lengths: Any) -> tuple:
        raise NotImplementedError

    def forward(self, input: Any, hx: Any = None) -> tuple:
        """(output, h_n) (a PackedSequence in, a PackedSequence out)."""
        if isinstance(input, P.PackedSequence):
            return self._forward_packed(input, hx)
        out, finals, batched = self._run(input, hx)
        return out, self._stack_states(finals, batched)

    def _forward_packed(self, seq: Any, hx: Any) -> tuple:
        if not R.sequence_layout_supported(_SEQ_MODE[self.mode], self.layout):
            raise NotImplementedError(
                f"{type(self).__name__}: packed (variable-length) input needs layout='torch'"
            )
        x, lengths = P.padded_sorted(seq)
        if hx is not None and seq.sorted_indices is not None:
            hx = ops.getitem(hx, (slice(None), np.asarray(seq.sorted_indices._data)))
        out, finals, _ = self._run(x, hx, lengths)
        sizes = np.asarray(seq.batch_sizes._data)
        data = ops.concat([ops.getitem(out, (t, slice(0, int(n)))) for t, n in enumerate(sizes)])
        h_n = self._stack_states(finals, True)
        if seq.unsorted_indices is not None:
            h_n = ops.getitem(h_n, (slice(None), np.asarray(seq.unsorted_indices._data)))
        packed = P.PackedSequence(data, seq.batch_sizes, seq.sorted_indices, seq.unsorted_indices)
        return packed, h_n


_SEQ_MODE = {"GRU": "GRU", "RNN_TANH": "RNN", "RNN_RELU": "RNN"}


class GRU(_SingleState):
    """A multi-layer GRU: forward(input, h_0) -> (output, h_n)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("GRU", *args, **kwargs)

    def _step(self, params: tuple):
        layout = self.layout

        def step(x, h):
            h = CF.gru_cell(x, h, params, layout)
            return h, h

        return step

    def _sequence(self, params: tuple, x: Any, h0: Any, reverse: bool, lengths: Any) -> tuple:
        # the whole sequence as one fused primitive (core.recurrent): same forward bits
        return R.gru_layer(x, h0, params, self.layout, reverse, lengths)


class RNN(_SingleState):
    """A multi-layer Elman RNN with tanh (or relu) nonlinearity."""

    def __init__(self, *args: Any, nonlinearity: str = "tanh", **kwargs: Any) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: unknown nonlinearity '{nonlinearity}'")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", *args, **kwargs)

    def _step(self, params: tuple):
        layout, act = self.layout, self.nonlinearity

        def step(x, h):
            h = CF.rnn_tanh_cell(x, h, params, layout, act)
            return h, h

        return step

    def _sequence(self, params: tuple, x: Any, h0: Any, reverse: bool, lengths: Any) -> tuple:
        return R.rnn_layer(x, h0, params, self.layout, self.nonlinearity, reverse, lengths)


# ---- single-step cells ------------------------------------------------------------------------


class _CellBase(Module):
    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
        layout: str = "torch",
    ) -> None:
        super().__init__()
        if layout not in CF.RNN_LAYOUTS:
            name = type(self).__name__
            raise ValueError(f"{name}: layout must be one of {CF.RNN_LAYOUTS}, got {layout!r}")
        self.mode, self.layout = mode, layout
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        dt = _np_dtype(dtype)
        self._cell_specs = _param_specs(mode, layout, input_size, hidden_size, bias, "")
        for pname, shape, _ in self._cell_specs:
            setattr(self, pname, Parameter(Tensor._make(np.zeros(shape, dt))))
        self.reset_parameters()

    _specs = property(lambda self: [self._cell_specs])
    reset_parameters = _RNNBase.reset_parameters

    def _params(self) -> tuple:
        return _cell_params(self, self._cell_specs, self.bias, self.mode, self.layout)

    def _prepare(self, input: Tensor, hx: Any) -> tuple:
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"{name}: input has inconsistent input_size: got {input.shape[-1]} expected "
                f"{self.input_size}"
            )
        batched = input.ndim == 2
        x = input if batched else ops.expand_dims(input, 0)
        return x, batched

    def _state(self, h: Any, x: Any) -> Any:
        if h is None:
            return np.zeros((x.shape[0], self.hidden_size), np.dtype(x.dtype))
        if tuple(h.shape)[-1] != self.hidden_size:
            raise RuntimeError(
                f"{type(self).__name__}: hidden state has size {tuple(h.shape)}, expected last "
                f"size {self.hidden_size}"
            )
        return h if len(h.shape) == 2 else ops.expand_dims(h, 0)

    def extra_repr(self) -> str:
        """Sizes."""
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        return s


def _unbatch(t: Any, batched: bool) -> Any:
    return t if batched else ops.squeeze(t, (0,))


class LSTMCell(_CellBase):
    """One LSTM step: forward(input, (h, c)) -> (h', c')."""

    def __init__(self, *args: Any, forget_bias: float | None = None, **kwargs: Any) -> None:
        super().__init__("LSTM", *args, **kwargs)
        fb = 1.0 if self.layout == "tf" else 0.0
        self.forget_bias = fb if forget_bias is None else float(forget_bias)

    def forward(self, input: Tensor, hx: Any = None) -> tuple:
        """The next (h, c)."""
        x, batched = self._prepare(input, hx)
        h0, c0 = (None, None) if hx is None else hx
        h, c = CF.lstm_cell(
            x, self._state(h0, x), self._state(c0, x), self._params(), self.layout,
            self.forget_bias,
        )  # fmt: skip
        return _unbatch(h, batched), _unbatch(c, batched)


class GRUCell(_CellBase):
    """One GRU step: forward(input, h) -> h'."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input: Tensor, hx: Any = None) -> Tensor:
        """The next h."""
        x, batched = self._prepare(input, hx)
        h = CF.gru_cell(x, self._state(hx, x), self._params(), self.layout)
        return _unbatch(h, batched)


class RNNCell(_CellBase):
    """One Elman RNN step: forward(input, h) -> h'."""

    def __init__(self, *args: Any, nonlinearity: str = "tanh", **kwargs: Any) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: unknown nonlinearity '{nonlinearity}'")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH", *args, **kwargs)

    def forward(self, input: Tensor, hx: Any = None) -> Tensor:
        """The next h."""
        x, batched = self._prepare(input, hx)
        h = CF.rnn_tanh_cell(x, self._state(hx, x), self._params(), self.layout, self.nonlinearity)
        return _unbatch(h, batched)
