"""tf.TensorArray of a size known when the graph is built: a buffer tensor [size, *element]
rewritten by each write (a select on the row), so it can be a loop variable of tf.while_loop /
tf.cond and gradients flow through writes, reads, stack and unstack like through any op."""

from __future__ import annotations

import types
from typing import Any

import numpy as np

from ...core import ops
from . import array_ops as A
from . import dtypes as tfd
from . import math_ops as M
from .convert import convert_to_tensor
from .tensor import Tensor


def _known_size(size: Any) -> int:
    if isinstance(size, Tensor):
        from .array_top import get_static_value

        value = get_static_value(size)
        if value is None:
            raise NotImplementedError(
                "TensorArray: size must be known when the graph is built here (a Python int "
                "or a constant)"
            )
        size = value
    return int(np.asarray(size))


class TensorArray:
    """A list of `size` tensors of one dtype and shape, written and read by (run-time) index."""

    def __init__(
        self, dtype: Any, size: Any = None, dynamic_size: Any = None, clear_after_read: Any = None,
        tensor_array_name: Any = None, handle: Any = None, flow: Any = None,
        infer_shape: bool = True, element_shape: Any = None,
        colocate_with_first_write_call: Any = True, name: Any = None,
    ) -> None:  # fmt: skip
        self._dtype = tfd.as_dtype(dtype)
        if dynamic_size:
            raise NotImplementedError(
                "TensorArray(dynamic_size=True): give the array a fixed size (e.g. the loop's "
                "maximum number of steps)"
            )
        if flow is not None:  # rebuilt around a buffer (a loop variable, unstack)
            self._buf = flow
            self._size = int(flow.shape[0])
            return
        if size is None:
            raise ValueError("TensorArray: size is required")
        self._size = _known_size(size)
        self._buf = None
        if element_shape is not None:
            from .shapes import TensorShape

            dims = TensorShape(element_shape)
            if dims.dims is not None and all(d is not None for d in dims.as_list()):
                self._buf = A.zeros([self._size, *dims.as_list()], self._dtype)

    # ---- the loop-variable protocol (control_flow_more._flatten / _pack) ---------------------
    @property
    def _dg_flow(self) -> Tensor:
        if self._buf is None:
            raise ValueError(
                "TensorArray: the element shape is not known yet; pass element_shape=... or "
                "write an element before the loop"
            )
        return self._buf

    def _dg_rebuild(self, flow: Tensor) -> TensorArray:
        return TensorArray(self._dtype, flow=flow)

    # ---- properties --------------------------------------------------------------------------
    @property
    def dtype(self) -> tfd.DType:
        """The dtype of the elements."""
        return self._dtype

    @property
    def flow(self) -> Tensor:
        """The buffer [size, *element] holding the elements."""
        return self._dg_flow

    @property
    def element_shape(self) -> Any:
        """The static shape of one element."""
        from .shapes import TensorShape

        return TensorShape(None if self._buf is None else list(self._buf.shape)[1:])

    @property
    def handle(self) -> Tensor:
        """The buffer (there is no separate resource handle here)."""
        return self._dg_flow

    def size(self, name: Any = None) -> Tensor:
        """The number of elements (int32)."""
        return convert_to_tensor(np.int32(self._size), name=name)

    # ---- element access ----------------------------------------------------------------------
    def _rows(self, index: Any) -> Tensor:
        """bool [size, 1, ...]: the row `index` (a run-time int scalar)."""
        i = convert_to_tensor(index)
        if not tfd.as_dtype(i.dtype).is_integer:
            raise TypeError(f"TensorArray: index must be an int32 scalar, got {i}")
        rows = np.arange(self._size, dtype=tfd.as_dtype(i.dtype).np_dtype)
        hit = M.equal(rows, i)
        rank = len(self._buf.shape)
        return A.reshape(hit, [self._size] + [1] * (rank - 1))

    def _check_index(self, index: Any, op: str) -> Any:
        from ...core.primitives.bounds import index_bounds

        i = convert_to_tensor(index)
        return i.graph.build_op(
            "TensorArrayIndex", None,
            lambda: index_bounds(i, f"TensorArray.{op}", "index", (self._size,), low=0),
        )  # fmt: skip

    def write(self, index: Any, value: Any, name: Any = None) -> TensorArray:
        """A TensorArray with element `index` set to value (the old one is unchanged)."""
        v = convert_to_tensor(value, dtype=self._dtype)
        if self._buf is None:
            dims = list(v.shape)
            if any(d is None for d in dims):
                raise ValueError(
                    f"TensorArray.write: the shape of {v} must be known for the first write; "
                    "pass element_shape=..."
                )
            self._buf = A.zeros([self._size, *dims], self._dtype)
        i = self._check_index(index, "write")
        buf = self._buf
        new = buf.graph.build_op(
            "TensorArrayWrite", name, lambda: ops.where(self._rows(i), ops.expand_dims(v, 0), buf)
        )
        return TensorArray(self._dtype, flow=new)

    def read(self, index: Any, name: Any = None) -> Tensor:
        """Element `index`."""
        i = self._check_index(index, "read")
        return A.gather(self._dg_flow, i, name=name)

    def stack(self, name: Any = None) -> Tensor:
        """All elements stacked: [size, *element]."""
        return A.identity(self._dg_flow, name=name)

    def gather(self, indices: Any, name: Any = None) -> Tensor:
        """The elements at `indices`, stacked."""
        return A.gather(self._dg_flow, indices, name=name)

    def concat(self, name: Any = None) -> Tensor:
        """All elements joined along their first axis."""
        buf = self._dg_flow
        dims = list(buf.shape)
        if len(dims) < 2:
            raise ValueError("TensorArray.concat: the elements must have rank >= 1")
        first = None if dims[1] is None else self._size * dims[1]
        return A.reshape(buf, [-1 if first is None else first] + dims[2:], name=name)

    def unstack(self, value: Any, name: Any = None) -> TensorArray:
        """A TensorArray whose elements are the rows of value (value's first dim: the size)."""
        v = convert_to_tensor(value, dtype=self._dtype)
        if v.shape is None or not len(v.shape) or v.shape[0] != self._size:
            raise ValueError(f"TensorArray.unstack: {v} must have {self._size} rows")
        return TensorArray(self._dtype, flow=A.identity(v, name=name))

    def scatter(self, indices: Any, value: Any, name: Any = None) -> TensorArray:
        """A TensorArray with elements indices[k] set to value[k]."""
        from .array_top import tensor_scatter_nd_update

        v = convert_to_tensor(value, dtype=self._dtype)
        if self._buf is None:
            self._buf = A.zeros([self._size, *list(v.shape)[1:]], self._dtype)
        idx = A.expand_dims(convert_to_tensor(indices), -1)
        return TensorArray(self._dtype, flow=tensor_scatter_nd_update(self._buf, idx, v, name))

    def split(self, value: Any, lengths: Any, name: Any = None) -> TensorArray:
        """Elements of equal length cut from value's first axis (lengths must all be equal)."""
        ls = [int(x) for x in np.asarray(lengths).reshape(-1)]
        if len(ls) != self._size or len(set(ls)) > 1:
            raise NotImplementedError("TensorArray.split: only equal lengths, one per element")
        v = convert_to_tensor(value, dtype=self._dtype)
        rest = list(v.shape)[1:]
        return TensorArray(self._dtype, flow=A.reshape(v, [self._size, ls[0], *rest]))

    def identity(self) -> TensorArray:
        """The same array."""
        return self

    def close(self, name: Any = None) -> Any:
        """Nothing to release here."""
        from .control_flow import no_op

        return no_op(name=name)

    def mark_used(self) -> None:
        """Accepted for compatibility."""


def attach(tf: types.ModuleType) -> list:
    """Add tf.TensorArray."""
    if not hasattr(tf, "TensorArray"):
        tf.TensorArray = TensorArray
        return ["TensorArray"]
    return []
