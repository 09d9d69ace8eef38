"""The eager Tensor: a numpy array plus autograd metadata, hooked into the core through bind.

Every tensor operation is a call to a core op with Tensors as operands; `bind` hands control to
``Tensor.__dg_bind__``, which unwraps the arrays, runs the primitive's shape rule and kernel,
wraps the result and, when grad mode is on and an operand requires grad, records a tape node.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

import numpy as np

from ...core import dtypes as D
from . import _convert, tape
from . import dispatch as _dispatch
from ._convert import default_float, shape_args
from .dtype import dtype as _dtype_cls
from .dtype import from_np, to_dtype
from .formatting import format_tensor
from .missing import tensor_getattr
from .size_device import Size, check_device, device
from .surface import SurfaceMethods
from .tensor_ops import TensorOps


class Tensor(TensorOps, SurfaceMethods):
    """A multi-dimensional array with autograd, in the style of ``torch.Tensor``."""

    # _vkey (set only on views made by a slicing primitive, see dispatch.result): the index the
    # view reads of its base, so an in-place change of the view can be written through the base
    __slots__ = ("_data", "_rg", "_node", "_grad", "_vc", "_acc", "_base", "_vkey", "__weakref__")
    __getattr__ = tensor_getattr  # a missing method raises NotImplementedError naming it
    __array_priority__ = 1000  # numpy defers to Tensor's reflected operators

    def __init__(self, *args: Any, dtype: Any = None, requires_grad: bool = False) -> None:
        dt = to_dtype(dtype).np_dtype if dtype is not None else default_float()
        if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
            data = args[0]
            arr = np.array(data._data if isinstance(data, Tensor) else data, dtype=dt)
        else:
            arr = np.zeros(shape_args(args), dtype=dt)
        self._init(arr, False)
        if requires_grad:
            self.requires_grad = True

    def _init(self, arr: np.ndarray, rg: bool) -> None:
        self._data = arr
        self._rg = rg
        self._node = None
        self._grad = None
        self._vc = None
        self._acc = None
        self._base = None

    @classmethod
    def _make(cls, arr: np.ndarray, rg: bool = False) -> Tensor:
        """Wrap an array without copying (internal constructor)."""
        t = object.__new__(cls)
        t._data = arr
        t._rg = rg
        t._node = None
        t._grad = None
        t._vc = None
        t._acc = None
        t._base = None
        return t

    # ---- the core hook ------------------------------------------------------------------------
    # Run a core primitive on tensors now, recording it on the tape when grads are needed.
    __dg_bind__ = _dispatch.bind_hook

    # ---- basic properties ---------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        """The shape, as a torch.Size."""
        return Size(self._data.shape)

    @property
    def dtype(self) -> _dtype_cls:
        """The element type (torch.float32 etc.)."""
        return from_np(self._data.dtype)

    @property
    def device(self) -> device:
        """Always the CPU."""
        return device()

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return self._data.ndim

    is_cuda = False

    @property
    def data(self) -> Tensor:
        """A tensor sharing this one's memory, outside autograd (in-place changes are untracked)."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value: Tensor) -> None:
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    def size(self, dim: int | None = None) -> Size | int:
        """The shape, or the length of one dimension."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[dim]

    def dim(self) -> int:
        """Number of dimensions."""
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        """Number of elements."""
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        """Bytes per element."""
        return self._data.itemsize

    def is_floating_point(self) -> bool:
        """True for float32/float64 tensors."""
        return self._data.dtype.kind == "f"

    def is_contiguous(self) -> bool:
        """True when the memory is laid out in C order."""
        return self._data.flags.c_contiguous

    def contiguous(self, memory_format: Any = None) -> Tensor:
        """This tensor if its memory is in C order, else a C-order copy gradients flow through."""
        if self._data.flags.c_contiguous:
            return self
        return self.clone()

    # ---- conversion to Python and numpy -------------------------------------------------------
    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if _dispatch._event is not None:
            _dispatch.event("escape", "Tensor.item()", self)
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar "
                "(item() needs exactly one element)"
            )
        return self._data.reshape(()).item()

    def tolist(self) -> Any:
        """Nested Python lists of the values."""
        if _dispatch._event is not None:
            _dispatch.event("escape", "Tensor.tolist()", self)
        return self._data.tolist()

    def numpy(self, force: bool = False) -> np.ndarray:
        """The underlying array (shared memory) of a tensor that does not require grad."""
        if _dispatch._event is not None:
            _dispatch.event("escape", "Tensor.numpy()", self)
        if self._rg and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        return self._data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if _dispatch._event is not None:
            _dispatch.event("escape", "numpy.asarray(Tensor)", self)
        arr = self._data
        if dtype is not None and np.dtype(dtype) != arr.dtype:
            if copy is False:
                raise ValueError(
                    f"__array__: a {arr.dtype} tensor can't be viewed as {np.dtype(dtype)} "
                    "without a copy (copy=False)"
                )
            return arr.astype(dtype)
        return arr.copy() if copy else arr

    def __dlpack__(self, *, stream: Any = None, **kwargs: Any) -> Any:
        """The tensor's memory as a DLPack capsule (shared, no copy)."""
        from .dlpack import tensor_dlpack

        return tensor_dlpack(self, stream=stream, **kwargs)

    def __dlpack_device__(self) -> tuple[int, int]:
        """(kDLCPU, 0): tensors live in host memory."""
        return (1, 0)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        for i in range(self._data.shape[0]):
            yield self[i]

    def __bool__(self) -> bool:
        if _dispatch._event is not None:
            _dispatch.event("escape", "bool(Tensor) (a Python branch on a tensor's value)", self)
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with more than one value is ambiguous "
                f"(shape {tuple(self._data.shape)}); use .any() or .all()"
            )
        return bool(self._data.reshape(()))

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self.item())

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0 and spec:
            return format(self.item(), spec)
        return format(repr(self), spec)

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        if _dispatch._event is not None:
            _dispatch.event("escape", "str()/repr() of a Tensor", self)
        suffixes = []
        if self._node is not None:
            suffixes.append(f"grad_fn=<{self._node.name()}>")
        elif self._rg:
            suffixes.append("requires_grad=True")
        return format_tensor(self._data, suffixes)

    # ---- autograd -----------------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        """Whether operations on this tensor are recorded for gradients."""
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        value = bool(value)
        if value and self._data.dtype.kind not in "fc":
            raise RuntimeError(
                "only Tensors of floating point dtype can require gradients "
                f"(this one is {self.dtype}); convert it with .float() first"
            )
        if not value and self._node is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        self._rg = value

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set requires_grad in place and return self."""
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded operation."""
        return self._node is None

    @property
    def grad_fn(self) -> tape.Node | None:
        """The recorded operation that produced this tensor (None for leaves)."""
        return self._node

    @property
    def grad(self) -> Tensor | None:
        """The accumulated gradient (leaves, and non-leaves that called retain_grad())."""
        if self._node is not None and self._node.retained is None:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. "
                "Its .grad attribute won't be populated during autograd.backward(). If you "
                "indeed want the gradient for a non-leaf Tensor, use .retain_grad() on it.",
                UserWarning,
                stacklevel=2,
            )
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is None and _dispatch._event is None:  # nothing captures the call: store it
            self._grad = None
            return
        _set_grad(self, value)

    @property
    def retains_grad(self) -> bool:
        """True when a non-leaf keeps its gradient (retain_grad() was called)."""
        return self._node is not None and self._node.retained is not None

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` during backward."""
        if not self._rg:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._node is not None:
            # a compiled replay makes no tape node for this tensor to retain: its signature
            # runs eagerly instead
            _dispatch.event("escape", "retain_grad() (a compiled replay has no node to retain)")
            tape.retain(self._node, self)

    def register_post_accumulate_grad_hook(self, hook: Any) -> Any:
        """Call ``hook(self)`` after backward() accumulates into this leaf's ``.grad``."""
        if self._node is not None or not self._rg:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors or tensors "
                "that do not require grad"
            )
        return tape.add_post_hook(_key(self), hook)

    def backward(
        self,
        gradient: Any = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs: Any = None,
    ) -> None:
        """Accumulate d(self)/d(leaf) into the ``.grad`` of every leaf that requires grad."""
        if not _autograd:  # imported on first use: autograd.py imports this module
            from . import autograd

            _autograd.append(autograd)
        _autograd[0].backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self) -> Tensor:
        """A tensor sharing memory (and version counter) that autograd does not track."""
        t = Tensor._make(self._data)
        t._vc = _counter(self)
        return t

    def detach_(self) -> Tensor:
        """Detach in place: make this tensor a leaf that does not require grad."""
        self._node = None
        self._rg = False
        return self

    def clone(self) -> Tensor:
        """A copy with its own memory; gradients flow through it."""
        from ...core import ops

        return ops.identity(self)

    # ---- copying and pickling -----------------------------------------------------------------
    def __deepcopy__(self, memo: dict) -> Tensor:
        if self._node is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the "
                "deepcopy protocol; detach() it first"
            )
        new = type(self)._make(self._data.copy(), self._rg)
        if self._grad is not None:
            new._grad = copy.deepcopy(self._grad, memo)
        memo[id(self)] = new
        return new

    def __reduce_ex__(self, protocol: int):
        return (_rebuild, (type(self), self._data.copy(), self._rg))

    # ---- device and dtype conversion ----------------------------------------------------------
    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """Convert dtype (``to(torch.float64)``, ``to(other)``); devices other than cpu refuse."""
        dt = kwargs.pop("dtype", None)
        check_device(kwargs.pop("device", None))
        kwargs.pop("non_blocking", None)
        copy_ = kwargs.pop("copy", False)
        if kwargs:
            raise TypeError(f"to() got unexpected arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                dt = a.dtype
            elif isinstance(a, (str, device)):
                check_device(a)
            elif a is not None:
                dt = a
        out = self if dt is None else self.type(dt)
        return out.clone() if copy_ and out is self else out

    def cpu(self) -> Tensor:
        """This tensor (it already lives on the CPU)."""
        return self

    def cuda(self, *args: Any, **kwargs: Any) -> Tensor:
        """Refused: there is no GPU backend."""
        raise RuntimeError("duograd runs on the CPU only: there is no CUDA device")

    def type(self, dtype: Any = None) -> Any:
        """Cast to `dtype`; without an argument, the PyTorch type name ('torch.FloatTensor')."""
        if dtype is None:
            names = {"float32": "Float", "float64": "Double", "int32": "Int", "int64": "Long"}
            return f"torch.{names.get(self.dtype.name, 'Bool')}Tensor"
        from ...core import ops

        return ops.cast(self, to_dtype(dtype).np_dtype)

    def float(self) -> Tensor:
        """Cast to float32."""
        return self.type(D.float32)

    def double(self) -> Tensor:
        """Cast to float64."""
        return self.type(D.float64)

    def long(self) -> Tensor:
        """Cast to int64."""
        return self.type(D.int64)

    def int(self) -> Tensor:
        """Cast to int32."""
        return self.type(D.int32)

    def bool(self) -> Tensor:
        """Cast to bool."""
        return self.type(D.bool_)


_convert.Tensor = Tensor
_dispatch.Tensor = Tensor
_autograd: list = []


def _rebuild(cls: type, arr: np.ndarray, rg: bool) -> Tensor:
    t = cls._make(arr, rg)
    return t


def _counter(t: Tensor) -> tape.VersionCounter:
    vc = t._vc
    if vc is None:
        vc = t._vc = tape.VersionCounter()
    return vc


def _key(t: Tensor) -> Any:
    """The identity the sweep accumulates this tensor's cotangent under."""
    n = t._node
    if n is not None:
        return n
    acc = t._acc
    if acc is None:
        acc = t._acc = tape.AccumulateGrad(t)
    return acc


@_dispatch.replayed
def _set_grad(t: Tensor, value: Tensor | None) -> None:
    """``t.grad = value`` (a call a compiled function makes again at each replay)."""
    if value is not None:
        if not isinstance(value, Tensor):
            raise TypeError(f"assigned grad must be a Tensor or None, got {type(value)}")
        if value._data.shape != t._data.shape:
            raise RuntimeError(
                f"assigned grad has shape {tuple(value.shape)} but the tensor has shape "
                f"{tuple(t.shape)}"
            )
        if value._data.dtype != t._data.dtype:
            raise RuntimeError(
                f"assigned grad has dtype {value.dtype} but the tensor has {t.dtype}"
            )
    t._grad = value
