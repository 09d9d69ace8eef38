"""`tf.nn.rnn_cell`: BasicRNNCell, BasicLSTMCell, LSTMCell, GRUCell, MultiRNNCell, DropoutWrapper.

A cell makes its variables on its first call (in its variable scope, e.g. "rnn/lstm_cell/kernel")
and computes one step with `core.functional.lstm_cell` / `gru_cell` / `rnn_tanh_cell`, the code
the eager `nn.LSTM` / `nn.GRU` / `nn.RNN` run. TF's convention is the default: a `kernel` of shape
(in + H, G*H) on concat([x, h]) and a `bias`, LSTM gates (i, j, f, o) with forget_bias=1.0,
Glorot-uniform kernels, zero biases (ones for the GRU's gate bias).

Parity option ``layout="torch"``: PyTorch's convention instead, variables `weight_ih` (G*H, in),
`weight_hh` (G*H, H), `bias_ih`, `bias_hh` drawn from U(-1/sqrt(H), 1/sqrt(H)), gates (i, f, g, o)
(GRU (r, z, n) with PyTorch's candidate), and forget_bias 0 unless given. With the same weights,
``tf.nn.dynamic_rnn(LSTMCell(H, layout="torch"), x, time_major=...)`` gives the bits of the eager
``nn.LSTM(in, H)``.
"""

from __future__ import annotations

import collections
import math
from typing import Any

from ...core import functional as CF
from ...core import ops
from ...core import recurrent as R
from ...core.ir import Value
from . import dtypes as tfd
from . import init_ops
from .array_ops import zeros
from .layers import Layer
from .math_ops import _tensor, known_rank
from .math_ops import tanh as _tf_tanh
from .nn import dropout as _nn_dropout
from .nn import relu as _tf_relu
from .variable_scope import get_variable, variable_scope


class LSTMStateTuple(collections.namedtuple("LSTMStateTuple", ("c", "h"))):
    """The (c, h) state of an LSTM cell."""

    __slots__ = ()

    @property
    def dtype(self) -> Any:
        """The state's dtype."""
        return self.c.dtype


def _activation(op: str, activation: Any, allowed: tuple = ("tanh",)) -> str:
    """The cell's nonlinearity by name (the cell arithmetic is shared, so only these)."""
    names = {None: "tanh", "tanh": "tanh", _tf_tanh: "tanh", ops.tanh: "tanh"}
    names.update({"relu": "relu", _tf_relu: "relu", ops.relu: "relu"})
    try:
        name = names.get(activation)
    except TypeError:  # an unhashable activation is none of the supported ones
        name = None
    if name not in allowed:
        raise NotImplementedError(f"{op}: activation must be one of {allowed}, got {activation!r}")
    return name


def _map_state(fn, *states):
    """Apply fn leaf-wise over matching (nested tuple / LSTMStateTuple) state structures."""
    first = states[0]
    if isinstance(first, LSTMStateTuple):
        return LSTMStateTuple(*(_map_state(fn, *parts) for parts in zip(*states, strict=True)))
    if isinstance(first, (tuple, list)):
        return tuple(_map_state(fn, *parts) for parts in zip(*states, strict=True))
    return fn(*states)


class RNNCell(Layer):
    """Base class: `cell(inputs, state) -> (output, new_state)`, variables made on first call."""

    _default_name = "rnn_cell"

    def __init__(self, reuse: Any = None, name: str | None = None, dtype: Any = None, **kw):
        super().__init__(name=name, dtype=dtype, **kw)
        self._reuse = reuse
        self._scope = None

    @property
    def state_size(self) -> Any:
        """The state's size (an int, or a tuple for structured states)."""
        raise NotImplementedError

    @property
    def output_size(self) -> int:
        """The output's size."""
        raise NotImplementedError

    def zero_state(self, batch_size: Any, dtype: Any) -> Any:
        """Zeros shaped like the state for `batch_size` rows (an int or a scalar tensor)."""

        def make(size):
            z = zeros([batch_size, size], dtype=dtype)
            # a run-time batch size leaves the shape unknown: pin the known width
            return z if z.shape[-1] is not None else ops.reshape(z, (-1, size))

        return _map_state(make, self._size_tree(self.state_size))

    @staticmethod
    def _size_tree(size: Any) -> Any:
        return size

    def build(self, input_depth: int, dtype: tfd.DType) -> None:
        """Make the variables."""

    def call(self, inputs: Any, state: Any) -> tuple:
        """One step on tensors."""
        raise NotImplementedError

    def __call__(self, inputs: Any, state: Any, scope: Any = None) -> tuple:
        x = _tensor(inputs)
        known_rank(type(self).__name__, x)
        if len(x.shape) != 2 or x.shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__}: inputs must be (batch, depth) with a known depth, got {x}"
            )
        if not tfd.as_dtype(x.dtype).is_floating:
            raise TypeError(f"{type(self).__name__}: inputs must be float, got {x}")
        arg = self._scope if self._scope is not None else (scope or self.name)
        with variable_scope(arg, default_name=self._default_name, reuse=self._reuse) as vs:
            if not self.built:
                self._scope = vs
                self.build(int(x.shape[-1]), x.dtype)
                self.built = True
            elif self._input_depth != int(x.shape[-1]):
                raise ValueError(
                    f"{type(self).__name__}: this cell was built for inputs of depth "
                    f"{self._input_depth}, got {x}"
                )
            return self.call(x, state)

    def _var(self, name: str, shape: tuple, dtype: Any, initializer: Any) -> Any:
        v = get_variable(name, shape, dtype=dtype, initializer=initializer)
        self._variables.append(v)
        return v


class _BuildingScope:
    """Enter a cell's variable scope and build its variables if they are not yet built."""

    def __init__(self, cell: Any, scope: Any, x: Any) -> None:
        self.cell, self.scope, self.x = cell, scope, x

    def __enter__(self) -> Any:
        vs = self.scope.__enter__()
        cell = self.cell
        if not cell.built:
            cell._scope = vs
            cell.build(int(self.x.shape[-1]), self.x.dtype)
            cell.built = True
        return vs

    def __exit__(self, *exc: Any) -> Any:
        return self.scope.__exit__(*exc)


def _torch_init(hidden: int) -> Any:
    bound = 1.0 / math.sqrt(hidden)
    return init_ops.RandomUniform(-bound, bound)


class _GatedCell(RNNCell):
    """A cell with G gate blocks of `num_units`, in either weight convention."""

    _gates = 1

    def __init__(self, num_units: int, layout: str = "tf", initializer: Any = None, **kw):
        super().__init__(**kw)
        if layout not in CF.RNN_LAYOUTS:
            raise ValueError(
                f"{type(self).__name__}: layout must be one of {CF.RNN_LAYOUTS}, got {layout!r}"
            )
        self._num_units = int(num_units)
        self._layout = layout
        self._initializer = initializer
        self._input_depth = None

    @property
    def output_size(self) -> int:
        """num_units."""
        return self._num_units

    def build(self, input_depth: int, dtype: tfd.DType) -> None:
        """kernel + bias (TF layout) or weight_ih/weight_hh/bias_ih/bias_hh (torch layout)."""
        self._input_depth = input_depth
        n, g = self._num_units, self._gates
        if self._layout == "torch":
            init = self._initializer or _torch_init(n)
            self._params = (
                self._var("weight_ih", (g * n, input_depth), dtype, init),
                self._var("weight_hh", (g * n, n), dtype, init),
                self._var("bias_ih", (g * n,), dtype, init),
                self._var("bias_hh", (g * n,), dtype, init),
            )
        else:
            self._params = self._tf_build(input_depth, dtype)

    def _sequence_scope(self, x: Any) -> Any:
        """The cell's variable scope, building its variables for x's depth on first use."""
        arg = self._scope if self._scope is not None else self.name
        vs = variable_scope(arg, default_name=self._default_name, reuse=self._reuse)
        return _BuildingScope(self, vs, x)

    def _tf_build(self, input_depth: int, dtype: tfd.DType) -> tuple:
        n, g = self._num_units, self._gates
        kernel = self._var("kernel", (input_depth + n, g * n), dtype, self._initializer)
        bias = self._var("bias", (g * n,), dtype, init_ops.Zeros())
        return kernel, bias


class BasicRNNCell(_GatedCell):
    """h' = act(concat([x, h]) K + b) (tanh or relu)."""

    _default_name = "basic_rnn_cell"

    def __init__(
        self,
        num_units: int,
        activation: Any = None,
        reuse: Any = None,
        name: str | None = None,
        dtype: Any = None,
        layout: str = "tf",
        **kw: Any,
    ) -> None:
        super().__init__(num_units, layout, reuse=reuse, name=name, dtype=dtype, **kw)
        self._act = _activation("BasicRNNCell", activation, ("tanh", "relu"))

    @property
    def state_size(self) -> int:
        """num_units."""
        return self._num_units

    def call(self, inputs, state):
        """The new h (output and state)."""
        h = CF.rnn_tanh_cell(inputs, state, self._params, self._layout, self._act)
        return h, h

    def _sequence(self, x: Any, state: Any, lengths: Any, reverse: bool = False) -> tuple | None:
        """Run over time-major x with the sequence-level RNN -> (outputs, final state), or None
        when this cell is not the standard one (a subclass with its own step)."""
        if type(self).call is not BasicRNNCell.call:
            return None
        with self._sequence_scope(x):
            return R.rnn_layer(x, state, self._params, self._layout, self._act, reverse, lengths)


class BasicLSTMCell(_GatedCell):
    """TF's basic LSTM: gates (i, j, f, o) from concat([x, h]) K + b, forget_bias added to f."""

    _default_name = "basic_lstm_cell"
    _gates = 4

    def __init__(
        self,
        num_units: int,
        forget_bias: float | None = None,
        state_is_tuple: bool = True,
        activation: Any = None,
        reuse: Any = None,
        name: str | None = None,
        dtype: Any = None,
        layout: str = "tf",
        initializer: Any = None,
        **kw: Any,
    ) -> None:
        super().__init__(num_units, layout, initializer, reuse=reuse, name=name, dtype=dtype, **kw)
        _activation(type(self).__name__, activation)
        default = 1.0 if layout == "tf" else 0.0
        self._forget_bias = default if forget_bias is None else float(forget_bias)
        self._state_is_tuple = state_is_tuple

    @property
    def state_size(self) -> Any:
        """LSTMStateTuple(num_units, num_units), or 2 * num_units when not a tuple."""
        n = self._num_units
        return LSTMStateTuple(n, n) if self._state_is_tuple else 2 * n

    def _sequence(self, x: Any, state: Any, lengths: Any, reverse: bool = False) -> tuple | None:
        """Run over time-major x with the sequence-level LSTM -> (outputs, final state), or None
        when this cell is not the standard one (a subclass with its own step)."""
        if type(self).call is not BasicLSTMCell.call or not self._state_is_tuple:
            return None
        arg = self._scope if self._scope is not None else self.name
        with variable_scope(arg, default_name=self._default_name, reuse=self._reuse) as vs:
            if not self.built:
                self._scope = vs
                self.build(int(x.shape[-1]), x.dtype)
                self.built = True
            c, h = state
            out, h_n, c_n = R.lstm_layer(
                x, h, c, self._params, self._layout, self._forget_bias, reverse, lengths
            )
        return out, LSTMStateTuple(c_n, h_n)

    def call(self, inputs, state):
        """(new h, new state)."""
        if self._state_is_tuple:
            c, h = state
        else:
            c, h = CF.chunk_last(_tensor(state), 2)
        new_h, new_c = CF.lstm_cell(inputs, h, c, self._params, self._layout, self._forget_bias)
        if self._state_is_tuple:
            return new_h, LSTMStateTuple(new_c, new_h)
        return new_h, ops.concat([new_c, new_h], 1)


class LSTMCell(BasicLSTMCell):
    """TF's LSTMCell (without peepholes, projection or clipping): BasicLSTMCell's arithmetic."""

    _default_name = "lstm_cell"

    def __init__(
        self,
        num_units: int,
        use_peepholes: bool = False,
        cell_clip: Any = None,
        initializer: Any = None,
        num_proj: Any = None,
        proj_clip: Any = None,
        num_unit_shards: Any = None,
        num_proj_shards: Any = None,
        forget_bias: float | None = None,
        state_is_tuple: bool = True,
        activation: Any = None,
        reuse: Any = None,
        name: str | None = None,
        dtype: Any = None,
        layout: str = "tf",
        **kw: Any,
    ) -> None:
        if use_peepholes or cell_clip is not None or num_proj is not None:
            raise NotImplementedError(
                "LSTMCell: use_peepholes, cell_clip and num_proj are not supported"
            )
        super().__init__(
            num_units, forget_bias, state_is_tuple, activation, reuse, name, dtype, layout,
            initializer, **kw,
        )  # fmt: skip


class GRUCell(_GatedCell):
    """TF's GRU: r, u = sigmoid(concat([x, h]) K_g + b_g); c = tanh(concat([x, r h]) K_c + b_c)."""

    _default_name = "gru_cell"
    _gates = 3

    def __init__(
        self,
        num_units: int,
        activation: Any = None,
        reuse: Any = None,
        kernel_initializer: Any = None,
        bias_initializer: Any = None,
        name: str | None = None,
        dtype: Any = None,
        layout: str = "tf",
        **kw: Any,
    ) -> None:
        super().__init__(
            num_units, layout, kernel_initializer, reuse=reuse, name=name, dtype=dtype, **kw
        )
        _activation("GRUCell", activation)
        self._bias_initializer = bias_initializer

    @property
    def state_size(self) -> int:
        """num_units."""
        return self._num_units

    def _tf_build(self, input_depth: int, dtype: tfd.DType) -> tuple:
        n, k = self._num_units, self._initializer
        with variable_scope("gates"):
            gate_k = self._var("kernel", (input_depth + n, 2 * n), dtype, k)
            gate_b = self._var(
                "bias", (2 * n,), dtype, self._bias_initializer or init_ops.Constant(1.0)
            )
        with variable_scope("candidate"):
            cand_k = self._var("kernel", (input_depth + n, n), dtype, k)
            cand_b = self._var("bias", (n,), dtype, self._bias_initializer or init_ops.Zeros())
        return gate_k, gate_b, cand_k, cand_b

    def call(self, inputs, state):
        """The new h (output and state)."""
        h = CF.gru_cell(inputs, state, self._params, self._layout)
        return h, h

    def _sequence(self, x: Any, state: Any, lengths: Any, reverse: bool = False) -> tuple | None:
        """Run over time-major x with the sequence-level GRU (PyTorch's layout only: TF's GRU
        is another recurrence) -> (outputs, final state), or None."""
        if type(self).call is not GRUCell.call:
            return None
        if not R.sequence_layout_supported("GRU", self._layout):
            return None
        with self._sequence_scope(x):
            return R.gru_layer(x, state, self._params, self._layout, reverse, lengths)


class MultiRNNCell(RNNCell):
    """Cells stacked per time step: cell k's output feeds cell k + 1 (scopes "cell_k")."""

    _default_name = "multi_rnn_cell"

    def __init__(self, cells: Any, state_is_tuple: bool = True) -> None:
        super().__init__()
        cells = list(cells)
        if not cells:
            raise ValueError("MultiRNNCell: must specify at least one cell")
        if not state_is_tuple:
            raise NotImplementedError("MultiRNNCell: only state_is_tuple=True is supported")
        self._cells = cells
        self._input_depth = None

    @property
    def state_size(self) -> tuple:
        """One entry per cell."""
        return tuple(c.state_size for c in self._cells)

    @property
    def output_size(self) -> int:
        """The last cell's output size."""
        return self._cells[-1].output_size

    def zero_state(self, batch_size: Any, dtype: Any) -> tuple:
        """Each cell's zero state."""
        return tuple(c.zero_state(batch_size, dtype) for c in self._cells)

    def build(self, input_depth: int, dtype: tfd.DType) -> None:
        """The cells build on their first call."""
        self._input_depth = input_depth

    @property
    def variables(self) -> list:
        """The cells' variables."""
        return [v for c in self._cells for v in c.variables]

    weights = variables

    def call(self, inputs, state):
        """Run each cell on the previous one's output."""
        if not isinstance(state, (tuple, list)) or len(state) != len(self._cells):
            raise ValueError(
                f"MultiRNNCell: expected a state tuple of {len(self._cells)} entries, got {state}"
            )
        x, new = inputs, []
        for i, (cell, s) in enumerate(zip(self._cells, state, strict=True)):
            with variable_scope(f"cell_{i}"):
                x, ns = cell(x, s)
            new.append(ns)
        return x, tuple(new)


class DropoutWrapper(RNNCell):
    """Dropout on a cell's inputs and outputs (keep probabilities; 1.0 = no dropout)."""

    def __init__(
        self,
        cell: RNNCell,
        input_keep_prob: Any = 1.0,
        output_keep_prob: Any = 1.0,
        state_keep_prob: Any = 1.0,
        **kw: Any,
    ) -> None:
        super().__init__()
        if not (isinstance(state_keep_prob, (int, float)) and state_keep_prob == 1.0):
            raise NotImplementedError("DropoutWrapper: state_keep_prob is not supported")
        self._cell = cell
        self._in_keep, self._out_keep = input_keep_prob, output_keep_prob

    state_size = property(lambda self: self._cell.state_size)
    output_size = property(lambda self: self._cell.output_size)
    variables = property(lambda self: self._cell.variables)

    def zero_state(self, batch_size: Any, dtype: Any) -> Any:
        """The wrapped cell's zero state."""
        return self._cell.zero_state(batch_size, dtype)

    @staticmethod
    def _drop(x: Any, keep: Any) -> Any:
        if not isinstance(keep, Value) and float(keep) == 1.0:
            return x
        return _nn_dropout(x, keep_prob=keep)

    def __call__(self, inputs: Any, state: Any, scope: Any = None) -> tuple:
        out, new = self._cell(self._drop(_tensor(inputs), self._in_keep), state, scope)
        return self._drop(out, self._out_keep), new


__all__ = [
    "BasicLSTMCell",
    "BasicRNNCell",
    "DropoutWrapper",
    "GRUCell",
    "LSTMCell",
    "LSTMStateTuple",
    "MultiRNNCell",
    "RNNCell",
]
