"""`tf.Tensor` (a core IR value with TF's face) and `tf.Operation` (a view of one IR node).

A Tensor is symbolic: passing it to any core operation adds a node to its graph (through the
`__dg_bind__` hook it inherits from `core.ir.Value`). Operators build TF ops; equality and
hashing stay by identity, as in TF1 graph mode, so tensors can key dicts such as feed_dict.
"""

from __future__ import annotations

from typing import Any

from ...core.ir import Node, Value
from ...core.primitives.tf_types import TF_OP_TYPES
from . import dtypes as tfd
from .shapes import TensorShape, fmt_tf_shape

# op types shown by Operation.type for nodes built straight from a core primitive (e.g. the
# gradient nodes made by the autodiff sweep); frontend ops set their TF type explicitly
_KIND_TYPES = {"const": "Const", "placeholder": "Placeholder", "variable": "VariableV2"}


class Tensor(Value):
    """A symbolic tensor: one output of one operation of a graph, as `tf.Tensor`."""

    __slots__ = ()
    # numpy must hand mixed expressions (np.float32(2) * t) back to our reflected operators
    __array_ufunc__ = None
    __array_priority__ = 100

    def __init__(self, graph, node: Node, aval) -> None:
        super().__init__(graph, node, aval)
        shape = aval.shape
        self.shape = shape if isinstance(shape, TensorShape) else TensorShape(self.shape)
        self.dtype = tfd.as_dtype(self.dtype)

    # ---- identity -------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The tensor's name, "<op name>:0"."""
        return f"{self.node.name}:0"

    @property
    def op(self) -> Operation:
        """The operation that produces this tensor."""
        return Operation.of(self.node)

    @property
    def value_index(self) -> int:
        """Index of this tensor among its op's outputs (always 0)."""
        return 0

    @property
    def device(self) -> str:
        """The device ("" : duograd runs on the CPU)."""
        return ""

    def get_shape(self) -> TensorShape:
        """The static shape (same as `.shape`)."""
        return self.shape

    def set_shape(self, shape: Any) -> None:
        """Refine the static shape with more specific information (ValueError if it conflicts)."""
        merged = self.shape.merge_with(TensorShape(shape))
        self.shape = merged

    def consumers(self) -> list[Operation]:
        """The operations that take this tensor as an input."""
        return [Operation.of(n) for n in self.graph.nodes if any(v is self for v in n.inputs)]

    def eval(self, feed_dict: dict | None = None, session: Any = None) -> Any:
        """Run this tensor in `session` (default: the default session) and return its value."""
        from .session import _session_for

        return _session_for(session, "eval()").run(self, feed_dict)

    def __repr__(self) -> str:
        return f"<tf.Tensor '{self.name}' shape={self.shape} dtype={self.dtype.name}>"

    def __str__(self) -> str:
        return f'Tensor("{self.name}", shape={self.shape}, dtype={self.dtype.name})'

    # ---- things a symbolic tensor cannot do ------------------------------------------------------
    def __bool__(self) -> bool:
        raise TypeError(
            "Using a tf.Tensor as a Python `bool` is not allowed in graph mode: the value is only "
            "known when the graph runs. Use tf.cond-free arithmetic (tf.where) or run it first."
        )

    def __iter__(self):
        raise TypeError(
            f"Iterating over a symbolic tf.Tensor ('{self.name}') is not allowed in graph mode; "
            "index it (t[i]) or use tf.unstack"
        )

    def __len__(self) -> int:
        raise TypeError(
            f"len is not well defined for a symbolic Tensor ('{self.name}'); use "
            "tensor.shape[0] for the static length or tf.shape(t)[0] at run time"
        )

    def __array__(self, dtype=None, copy=None):
        raise NotImplementedError(
            f"Cannot convert a symbolic tf.Tensor ('{self.name}') to a numpy array: run it in a "
            "Session first (sess.run(t) or t.eval())"
        )

    # ---- operators (TF's op names: a + b is "add", tf.add is "Add") --------------------------
    def __add__(self, other):
        return _m.add(self, other, name="add")

    def __radd__(self, other):
        return _m.add(other, self, name="add")

    def __sub__(self, other):
        return _m.subtract(self, other, name="sub")

    def __rsub__(self, other):
        return _m.subtract(other, self, name="sub")

    def __mul__(self, other):
        return _m.multiply(self, other, name="mul")

    def __rmul__(self, other):
        return _m.multiply(other, self, name="mul")

    def __truediv__(self, other):
        return _m.truediv(self, other, name="truediv")

    def __rtruediv__(self, other):
        return _m.truediv(other, self, name="truediv")

    def __floordiv__(self, other):
        from .math_more import floordiv

        return floordiv(self, other, name="floordiv")

    def __rfloordiv__(self, other):
        from .math_more import floordiv

        return floordiv(other, self, name="floordiv")

    def __mod__(self, other):
        from .math_more import floormod

        return floormod(self, other, name="mod")

    def __rmod__(self, other):
        from .math_more import floormod

        return floormod(other, self, name="mod")

    def __pow__(self, other):
        return _m.pow(self, other, name="pow")

    def __rpow__(self, other):
        return _m.pow(other, self, name="pow")

    def __matmul__(self, other):
        return _m.matmul(self, other, name="matmul")

    def __rmatmul__(self, other):
        return _m.matmul(other, self, name="matmul")

    def __neg__(self):
        return _m.negative(self, name="Neg")

    def __abs__(self):
        return _m.abs(self, name="Abs")

    def __lt__(self, other):
        return _m.less(self, other, name="Less")

    def __le__(self, other):
        return _m.less_equal(self, other, name="LessEqual")

    def __gt__(self, other):
        return _m.greater(self, other, name="Greater")

    def __ge__(self, other):
        return _m.greater_equal(self, other, name="GreaterEqual")

    def __and__(self, other):
        return _m.logical_and(self, other, name="and")

    def __rand__(self, other):
        return _m.logical_and(other, self, name="and")

    def __or__(self, other):
        return _m.logical_or(self, other, name="or")

    def __ror__(self, other):
        return _m.logical_or(other, self, name="or")

    def __invert__(self):
        return _m.logical_not(self, name="LogicalNot")

    def __getitem__(self, index):
        return _a.slice_tensor(self, index)

    __hash__ = Value.__hash__


class Operation:
    """One node of a graph seen as a TF operation: name, type, inputs, outputs, run()."""

    __slots__ = ("_node",)

    def __init__(self, node: Node) -> None:
        self._node = node

    @staticmethod
    def of(node: Node) -> Operation:
        """The (cached) Operation of a node."""
        op = node.attrs.get("op")
        if op is None:
            op = node.attrs["op"] = Operation(node)
        return op

    @property
    def name(self) -> str:
        """The op's name, unique in its graph."""
        return self._node.name

    @property
    def type(self) -> str:
        """The op's type, e.g. "MatMul"."""
        node = self._node
        t = node.attrs.get("type")
        if t is not None:
            return t
        if node.kind == "op":
            return TF_OP_TYPES.get(node.prim.name, node.prim.name)
        return _KIND_TYPES.get(node.kind, node.kind)

    @property
    def graph(self):
        """The graph holding the op."""
        return self._node.graph

    @property
    def inputs(self) -> list[Tensor]:
        """The tensors the op reads."""
        return list(self._node.inputs)

    @property
    def outputs(self) -> list[Tensor]:
        """The tensors the op produces (empty for no-op style ops)."""
        if self._node.attrs.get("no_output"):
            return []
        return [self._node.output]

    @property
    def control_inputs(self) -> list[Operation]:
        """Ops that must run before this one."""
        return [Operation.of(n) for n in self._node.control_inputs]

    @property
    def device(self) -> str:
        """The device ("")."""
        return ""

    @property
    def node_def(self) -> dict:
        """A description of the node: name, op type, input names and attributes."""
        return {
            "name": self.name,
            "op": self.type,
            "input": [t.name for t in self.inputs] + ["^" + o.name for o in self.control_inputs],
            "attr": {k: v for k, v in self._node.params.items() if k != "value"},
        }

    def get_attr(self, name: str) -> Any:
        """The value of one attribute (a parameter of the primitive)."""
        if name == "dtype" and self._node.output is not None:
            return self._node.output.dtype
        try:
            return self._node.params[name]
        except KeyError:
            raise ValueError(f"Operation '{self.name}' has no attr named '{name}'.") from None

    def values(self) -> tuple:
        """The outputs as a tuple."""
        return tuple(self.outputs)

    def run(self, feed_dict: dict | None = None, session: Any = None) -> None:
        """Run this op in `session` (default: the default session)."""
        from .session import _session_for

        _session_for(session, "run()").run(self, feed_dict)

    def __repr__(self) -> str:
        return f"<tf.Operation '{self.name}' type={self.type}>"


def describe_dtype(dt: Any) -> str:
    """TF's short dtype name in messages ("float" for float32)."""
    name = tfd.as_dtype(dt).name
    return {"float32": "float", "float64": "double"}.get(name, name)


def describe(t: Tensor) -> str:
    """A tensor as TF messages show it: 'x' with dtype float and shape [?,3]."""
    return f"'{t.node.name}' with dtype {describe_dtype(t.dtype)} and shape {fmt_tf_shape(t.shape)}"


# the operators call the ops modules, which import Tensor: the package __init__ binds them
_m: Any = None  # math_ops
_a: Any = None  # array_ops
