"""Tensor methods and ``torch`` functions real programs use that are about layout, dtypes,
sampling and process settings rather than math: ``stride``, ``byte`` / ``half``, ``new``,
``movedim``, ``diag``, ``mode`` / ``kthvalue``, ``bernoulli``, ``broadcast_tensors``,
``atleast_2d``, ``as_strided``, ``finfo`` / ``iinfo``, ``promote_types``, the RNG state, and the
sparse-only ``values`` / ``indices`` (which on a dense tensor fail as torch's do).
"""

from __future__ import annotations

import builtins
import math
import types
from typing import Any, NamedTuple

import numpy as np

from ...core import domain, ops
from ...core import dtypes as D
from . import _convert as C
from . import inplace as _I
from .dtype import float16, from_np, get_default_dtype, int8, int16, to_dtype, uint8
from .tensor import Tensor


def _t(x: Any) -> Tensor:
    return C.as_tensor_operand(x)


class _ValuesIndices(NamedTuple):
    values: Any
    indices: Any


# ---- layout ---------------------------------------------------------------------------------


def stride(self: Tensor, dim: int | None = None) -> Any:
    """Elements to step in memory per index of each dim (a contiguous layout, as duograd keeps)."""
    shape = tuple(self.shape)
    out, step = [], 1
    for n in reversed(shape):
        out.append(step)
        step *= max(n, 1)
    st = tuple(reversed(out))
    if dim is None:
        return st
    return st[dim % max(len(shape), 1)] if shape else 1


def movedim(input: Any, source: Any, destination: Any) -> Tensor:
    """Move the dims `source` to the positions `destination` (the others keep their order)."""
    return _move_dims("movedim", input, source, destination)


def moveaxis(input: Any, source: Any, destination: Any) -> Tensor:
    """movedim under NumPy's name (its errors say moveaxis)."""
    return _move_dims("moveaxis", input, source, destination)


def _move_dims(op: str, input: Any, source: Any, destination: Any) -> Tensor:
    x = _t(input)
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise RuntimeError(
            f"{op}: Invalid source or destination dims: source ({src} dims) should contain "
            f"the same number of dims as destination ({dst} dims)"
        )
    nd = x.dim()
    src = [domain.check_dim(op, int(s), nd, "source") for s in src]
    dst = [domain.check_dim(op, int(d), nd, "destination") for d in dst]
    for arg, dims in (("source", src), ("destination", dst)):
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"{op}: repeated dim in `{arg}` ({dims})")
    rest = iter([d for d in range(nd) if d not in src])
    placed = dict(zip(dst, src, strict=True))
    perm = [placed[i] if i in placed else next(rest) for i in range(nd)]
    return x.permute(*perm)


def diag(input: Any, diagonal: int = 0) -> Tensor:
    """A 1-D input as the diagonal of a square matrix; a 2-D input's diagonal as a vector."""
    x = _t(input)
    if x.dim() == 2:
        from .matrix_ops import diagonal as _diagonal

        return _diagonal(x, diagonal)
    if x.dim() != 1:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {x.dim()}D")
    n = x.shape[0] + builtins.abs(diagonal)
    i = np.arange(x.shape[0])
    r, c = (i, i + diagonal) if diagonal >= 0 else (i - diagonal, i)
    like = Tensor._make(np.zeros((n, n), x._data.dtype))
    return ops.getitem_grad(x, like, (r, c))


def diag_embed(input: Any, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Each last-dim vector as the diagonal of a matrix (the last two dims of the result)."""
    x = _t(input)
    if (dim1, dim2) != (-2, -1) or offset:
        raise NotImplementedError("diag_embed: only offset=0, dim1=-2, dim2=-1 are supported")
    n = x.shape[-1]
    i = np.arange(n)
    like = Tensor._make(np.zeros(tuple(x.shape) + (n,), x._data.dtype))
    return ops.getitem_grad(x, like, (Ellipsis, i, i))


def fill_diagonal_(self: Tensor, fill_value: Any, wrap: bool = False) -> Tensor:
    """Fill the main diagonal in place (all dims of equal length, or a 2-D tall matrix)."""
    shape = tuple(self.shape)
    if len(shape) < 2 or (len(shape) > 2 and len(set(shape)) != 1):
        raise RuntimeError("fill_diagonal_: all dimensions of input must be of equal length")
    mask = np.zeros(shape, bool)
    n = min(shape)
    idx = np.arange(n)
    mask[(idx,) * len(shape)] = True
    if wrap and len(shape) == 2 and shape[0] > shape[1] + 1:
        flat = mask.reshape(-1)
        flat[:: shape[1] + 1] = True
    m = Tensor._make(mask)
    v = Tensor._make(np.asarray(fill_value, self._data.dtype))
    return _I.apply(self, "fill_diagonal_", lambda s: ops.where(m, v, s))


def argwhere(input: Any) -> Tensor:
    """The indices of the nonzero elements, one row per element (int64)."""
    return Tensor._make(np.argwhere(_t(input)._data).astype(np.int64))


def broadcast_tensors(*tensors: Any) -> tuple:
    """The tensors broadcast to their common shape (differentiable)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    ts = [_t(x) for x in tensors]
    shape = np.broadcast_shapes(*[tuple(x.shape) for x in ts])
    return tuple(x if tuple(x.shape) == shape else ops.broadcast_to(x, shape) for x in ts)


_ATLEAST = {
    1: {0: lambda s: (1,)},
    2: {0: lambda s: (1, 1), 1: lambda s: (1, s[0])},
    3: {0: lambda s: (1, 1, 1), 1: lambda s: (1, s[0], 1), 2: lambda s: (*s, 1)},
}


def _atleast(n: int):
    def fn(*tensors: Any) -> Any:
        one = len(tensors) == 1 and not isinstance(tensors[0], (list, tuple))
        ts = tensors[0] if len(tensors) == 1 and not one else tensors
        out = []
        for x in ts:
            x = _t(x)
            if x.dim() < n:
                x = x.reshape(*_ATLEAST[n][x.dim()](tuple(x.shape)))
            out.append(x)
        return out[0] if one else tuple(out)

    fn.__name__ = f"atleast_{n}d"
    fn.__doc__ = f"Each input viewed with at least {n} dimensions."
    return fn


atleast_1d, atleast_2d, atleast_3d = _atleast(1), _atleast(2), _atleast(3)


def as_strided(input: Any, size: Any, stride: Any, storage_offset: int = 0) -> Tensor:
    """A view of input's (contiguous) elements with the given sizes and strides (a gather here,
    so gradients flow; overlapping windows add up)."""
    x = _t(input)
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    flat_idx = np.full(size, int(storage_offset), np.int64)
    for d, (n, s) in enumerate(zip(size, stride, strict=True)):
        shape = [1] * len(size)
        shape[d] = n
        flat_idx = flat_idx + (np.arange(n, dtype=np.int64) * s).reshape(shape)
    if flat_idx.size and (flat_idx.max() >= x.numel() or flat_idx.min() < 0):
        raise RuntimeError(
            f"as_strided: setStorage: sizes {list(size)}, strides {list(stride)}, storage offset "
            f"{storage_offset} need more than the {x.numel()} elements of input {tuple(x.shape)}"
        )
    return ops.getitem(ops.reshape(x, (-1,)), (flat_idx,))


def cdist(x1: Any, x2: Any, p: float = 2.0, compute_mode: Any = None) -> Tensor:
    """The p-norm distance between each row of x1 and each row of x2 (batched over leading dims;
    gradient zero where two rows coincide, as torch)."""
    from .reductions import norm

    a, b = C.floating(x1), C.floating(x2)
    if not float(p) >= 0:
        raise RuntimeError(f"cdist only supports non-negative p values, got p={p}")
    if a.dim() < 2 or b.dim() < 2 or a.shape[-1] != b.shape[-1]:
        raise RuntimeError(
            f"cdist: X1 {tuple(a.shape)} and X2 {tuple(b.shape)} must have at least 2 dims and "
            "the same number of columns"
        )
    diff = ops.sub(ops.expand_dims(a, -2), ops.expand_dims(b, -3))
    out = norm(diff, p=p, dim=-1)
    if float(p) == 0:  # torch's cdist gives NaN where a difference is NaN (norm counts it)
        out = out.masked_fill(diff.isnan().any(-1), float("nan"))
    return out


version = types.SimpleNamespace(
    __version__="0.1.0+duograd", cuda=None, hip=None, debug=False, git_version="duograd",
    __doc__="torch.version: the version this surface follows (CPU only: cuda is None).",
)  # fmt: skip


# ---- dtype conversions ----------------------------------------------------------------------


def _cast_method(dt: Any, name: str):
    def method(self: Tensor, memory_format: Any = None) -> Tensor:
        return self.type(dt)

    method.__name__ = name
    method.__doc__ = f"Cast to {dt}."
    return method


def is_complex(input: Any) -> bool:
    """True for complex64 / complex128 tensors."""
    return _t(input)._data.dtype.kind == "c"


def promote_types(type1: Any, type2: Any) -> Any:
    """The dtype two dtypes meet in under the promotion rule."""
    return from_np(D.promote(to_dtype(type1).np_dtype, to_dtype(type2).np_dtype))


def result_type(tensor1: Any, tensor2: Any) -> Any:
    """The dtype an operation on the two operands computes in."""
    a, b = C.pair(tensor1, tensor2)
    return from_np(np.dtype(a.dtype))


def typename(obj: Any) -> str:
    """'torch.FloatTensor' for a float32 tensor (and so on); a type's qualified name otherwise."""
    if isinstance(obj, Tensor):
        names = {"float32": "Float", "float64": "Double", "int32": "Int", "int64": "Long",
                 "bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short",
                 "float16": "Half"}  # fmt: skip
        return f"torch.{names.get(obj._data.dtype.name, 'Float')}Tensor"
    if hasattr(obj, "__module__") and hasattr(obj, "__qualname__"):
        return f"{obj.__module__}.{obj.__qualname__}"
    t = type(obj)
    return f"{t.__module__}.{t.__qualname__}" if t.__module__ != "builtins" else t.__qualname__


def scalar_tensor(s: Any, *, dtype: Any = None, **_: Any) -> Tensor:
    """A 0-d tensor holding s (the default float dtype unless given)."""
    dt = to_dtype(dtype).np_dtype if dtype is not None else C.default_float()
    return Tensor._make(np.asarray(s, dt))


class finfo:  # noqa: N801 - torch's name
    """Machine limits of a floating dtype (``torch.finfo(torch.float32).eps``)."""

    def __init__(self, type: Any = None) -> None:  # noqa: A002
        d = to_dtype(type) if type is not None else get_default_dtype()
        if d.np_dtype.kind not in "fc":
            raise TypeError(f"torch.finfo() requires a floating point input type, got {d}")
        info = np.finfo(d.np_dtype)
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.tiny)
        self.resolution = float(info.resolution)
        self.dtype = d.name

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution}, min={self.min}, max={self.max}, eps={self.eps}, "
            f"smallest_normal={self.tiny}, tiny={self.tiny}, dtype={self.dtype})"
        )


class iinfo:  # noqa: N801 - torch's name
    """Limits of an integer dtype (``torch.iinfo(torch.int64).max``)."""

    def __init__(self, type: Any) -> None:  # noqa: A002
        d = to_dtype(type)
        if d.np_dtype.kind not in "iub":
            raise TypeError(f"torch.iinfo() requires an integer input type, got {d}")
        info = np.iinfo(d.np_dtype) if d.np_dtype.kind != "b" else None
        self.bits = int(info.bits) if info else 8
        self.max = int(info.max) if info else 1
        self.min = int(info.min) if info else 0
        self.dtype = d.name

    def __repr__(self) -> str:
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"


# ---- selection ------------------------------------------------------------------------------


def kthvalue(input: Any, k: int, dim: int = -1, keepdim: bool = False) -> _ValuesIndices:
    """The k-th smallest element along dim (1-based) and its index."""
    x = _t(input)
    a = x._data
    d = domain.check_dim("kthvalue", int(dim), a.ndim)
    if a.ndim == 0:
        if k != 1:
            raise RuntimeError(f"kthvalue(): selected number k={k} out of range for a 0-d tensor")
        return _ValuesIndices(x.clone(), Tensor._make(np.zeros((), np.int64)))
    if not 1 <= k <= a.shape[d]:
        raise RuntimeError(f"kthvalue(): selected number k={k} out of range for dimension {d}")
    order = np.argsort(a, axis=d, kind="stable")
    idx = np.take(order, [k - 1], axis=d)
    vals = x.gather(d, Tensor._make(idx.astype(np.int64)))
    ind = Tensor._make(idx.astype(np.int64))
    if not keepdim:
        vals, ind = vals.squeeze(d), ind.squeeze(d)
    return _ValuesIndices(vals, ind)


def mode(input: Any, dim: int = -1, keepdim: bool = False) -> _ValuesIndices:
    """The most frequent value along dim (the smallest on ties) and an index where it occurs."""
    x = _t(input)
    a = x._data
    domain.check_dim("mode", dim, a.ndim)  # a 0-d input takes dim 0 or -1 only
    if a.ndim == 0:
        return _ValuesIndices(x.clone(), Tensor._make(np.zeros((), np.int64)))
    d = domain.check_dim("mode", dim, a.ndim)
    moved = np.moveaxis(a, d, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    vals = np.empty(rows.shape[0], a.dtype)
    inds = np.empty(rows.shape[0], np.int64)
    for r, row in enumerate(rows):
        u, counts = np.unique(row, return_counts=True)
        v = u[np.argmax(counts)]  # unique sorts: the first maximum is the smallest value
        vals[r] = v
        inds[r] = np.nonzero(row == v)[0][-1]  # torch reports the last occurrence
    idx = inds.reshape(moved.shape[:-1])
    out_i = np.expand_dims(idx, d)
    v = x.gather(d, Tensor._make(out_i))
    i = Tensor._make(out_i)
    if not keepdim:
        v, i = v.squeeze(d), i.squeeze(d)
    return _ValuesIndices(v, i)


# ---- sampling -------------------------------------------------------------------------------


def bernoulli(input: Any, p: Any = None, *, generator: Any = None) -> Tensor:
    """0/1 draws with probability `input` (or p) per element, in input's dtype."""
    from .creation import _gen

    x = _t(input)
    if p is not None and not isinstance(p, Tensor) and not 0 <= p <= 1:  # before any cast
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    probs = x._data if p is None else np.broadcast_to(np.asarray(p, x._data.dtype), x.shape)
    if probs.size and not (probs.min() >= 0 and probs.max() <= 1):  # NaN fails both
        raise RuntimeError("bernoulli: Expected p_in >= 0 && p_in <= 1 for every element")
    dt = x._data.dtype if x._data.dtype.kind == "f" else np.float32
    u = _gen(generator).uniform(tuple(x.shape), np.dtype(np.float64))
    return Tensor._make((u < probs).astype(dt))


def bernoulli_(self: Tensor, p: Any = 0.5, *, generator: Any = None) -> Tensor:
    """Fill self with 0/1 draws of probability p (a number or a tensor)."""
    probs = p._data if isinstance(p, Tensor) else p
    if not isinstance(p, Tensor) and not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    draws = bernoulli(Tensor._make(np.broadcast_to(np.asarray(probs, np.float64), self.shape)),
                      generator=generator)  # fmt: skip
    return _I.apply(self, "bernoulli_", lambda s: Tensor._make(draws._data.astype(s._data.dtype)))


# ---- process settings -----------------------------------------------------------------------

_settings = {"deterministic": False, "warn_only": False, "matmul_precision": "highest"}


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Every kernel here is deterministic already; the flag is kept to be read back."""
    _settings["deterministic"] = bool(mode)
    _settings["warn_only"] = bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    """What use_deterministic_algorithms last set (kernels are deterministic either way)."""
    return _settings["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """What use_deterministic_algorithms(warn_only=) last set."""
    return _settings["warn_only"]


def set_deterministic_debug_mode(debug_mode: Any) -> None:
    """0 / 'default', 1 / 'warn', 2 / 'error' as torch takes them."""
    modes = {"default": 0, "warn": 1, "error": 2}
    m = modes.get(debug_mode, debug_mode) if isinstance(debug_mode, str) else int(debug_mode)
    if m not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1 or 2, got {debug_mode!r}")
    use_deterministic_algorithms(m > 0, warn_only=m == 1)


def get_deterministic_debug_mode() -> int:
    """0 (off), 1 (warn) or 2 (error)."""
    if not _settings["deterministic"]:
        return 0
    return 1 if _settings["warn_only"] else 2


def set_float32_matmul_precision(precision: str) -> None:
    """'highest', 'high' or 'medium'; float32 matmuls here are always full precision."""
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"Invalid precision {precision!r}: use 'highest', 'high' or 'medium'")
    _settings["matmul_precision"] = precision


def get_float32_matmul_precision() -> str:
    """What set_float32_matmul_precision last set ('highest' by default)."""
    return _settings["matmul_precision"]


def set_num_threads(n: int) -> None:
    """Set the threads the parallel kernels use."""
    import numba

    numba.set_num_threads(builtins.max(1, builtins.min(int(n), numba.config.NUMBA_NUM_THREADS)))


def get_num_threads() -> int:
    """The threads the parallel kernels use."""
    import numba

    return int(numba.get_num_threads())


def set_num_interop_threads(n: int) -> None:
    """Accepted for compatibility: there is no inter-op thread pool here."""


def get_num_interop_threads() -> int:
    """1: operations run one after another."""
    return 1


def is_autocast_enabled(device_type: Any = None) -> bool:
    """False: autocast (mixed precision) is not provided, so it is never on."""
    return False


def get_rng_state() -> Tensor:
    """The default generator's state as a uint8 tensor (to restore with set_rng_state)."""
    import pickle

    from .creation import default_generator

    raw = pickle.dumps(default_generator.get_state())
    return Tensor._make(np.frombuffer(raw, np.uint8).copy())


def set_rng_state(new_state: Any) -> None:
    """Restore the default generator's state from get_rng_state()."""
    import pickle

    from .creation import default_generator

    default_generator.set_state(pickle.loads(_t(new_state)._data.astype(np.uint8).tobytes()))


# ---- sparse-only names on dense tensors (torch's behaviour) ---------------------------------


def _sparse_only(name: str):
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"{name} expected sparse tensor layout but got Strided")

    method.__name__ = name
    method.__doc__ = f"Sparse tensors' {name}(); a dense tensor raises, as in torch."
    return method


def _removed(name: str, text: str):
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(text)

    method.__name__ = name
    method.__doc__ = f"Removed from torch: {text.splitlines()[0]}"
    return method


def _new(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """The legacy constructor: ``x.new(2, 3)`` (zeros of self's dtype), ``x.new(data)``."""
    if len(args) == 1 and isinstance(args[0], Tensor):
        return args[0].to(self.dtype).detach()
    if len(args) == 1 and isinstance(args[0], (list, np.ndarray)):
        from .creation import tensor

        return tensor(args[0], dtype=self.dtype)
    size = args[0] if len(args) == 1 and isinstance(args[0], tuple) else args
    return Tensor._make(np.zeros(tuple(int(s) for s in size), self._data.dtype))


def _resize(self: Tensor, *sizes: Any) -> Tensor:
    """torch's (deprecated) out-of-place resize: a new shape holding the same number of
    elements, as a copy (autograd's resize cannot change the element count)."""
    if any(isinstance(s, (tuple, list)) for s in sizes):
        # PyTorch's autograd resize multiplies its arguments as given, so a sequence never
        # matches the element count there: refused as PyTorch does, with the reason
        raise RuntimeError(
            f"resize: give the sizes as separate ints (resize(2, 3)), got {sizes!r}; "
            "PyTorch's out-of-place resize refuses a sequence"
        )
    shape = tuple(int(s) for s in sizes)
    if math.prod(shape) != self._data.size:
        raise RuntimeError(
            f"resize: requested resize to {shape} ({math.prod(shape)} elements in total), but "
            f"the tensor has {self._data.size} elements; resize can only change the shape "
            "while keeping the number of elements (use resize_ on a detached copy)"
        )
    return self.clone().reshape(shape)


def _install() -> None:
    T = Tensor  # noqa: N806
    T.stride = stride
    T.movedim = lambda self, source, destination: movedim(self, source, destination)
    T.moveaxis = lambda self, source, destination: moveaxis(self, source, destination)
    T.diag = lambda self, diagonal=0: diag(self, diagonal)
    T.diag_embed = lambda self, offset=0, dim1=-2, dim2=-1: diag_embed(self, offset, dim1, dim2)
    T.fill_diagonal_ = fill_diagonal_
    T.argwhere = lambda self: argwhere(self)
    T.as_strided = lambda self, size, stride, storage_offset=0: as_strided(
        self, size, stride, storage_offset
    )
    T.byte = _cast_method(uint8, "byte")
    T.char = _cast_method(int8, "char")
    T.short = _cast_method(int16, "short")
    T.half = _cast_method(float16, "half")
    T.kthvalue = lambda self, k, dim=-1, keepdim=False: kthvalue(self, k, dim, keepdim)
    T.mode = lambda self, dim=-1, keepdim=False: mode(self, dim, keepdim)
    T.bernoulli = lambda self, p=None, *, generator=None: bernoulli(self, p, generator=generator)
    T.bernoulli_ = bernoulli_
    T.new = _new
    T.name = property(lambda self: None, doc="None (named tensors are not provided).")
    T.is_mps = property(lambda self: False, doc="False: tensors live on the CPU.")
    T.is_shared = lambda self: False
    T.share_memory_ = lambda self: self
    T.pin_memory = lambda self, device=None: self
    T.is_pinned = lambda self, device=None: False
    T.values = _sparse_only("values")
    T.indices = _sparse_only("indices")
    T.to_dense = lambda self, dtype=None, *, masked_grad=True: (
        self if dtype is None else self.to(dtype)
    )
    T.solve = _removed(
        "solve",
        "This function was deprecated since version 1.9 and is now removed. `torch.solve` is "
        "deprecated in favor of `torch.linalg.solve`. `torch.linalg.solve` has its arguments "
        "reversed and does not return the LU factorization.",
    )
    T.reinforce = _removed(
        "reinforce",
        "reinforce() was removed.\nUse torch.distributions instead: loss = -m.log_prob(action) "
        "* reward",
    )
    T.resize = _resize
    T.resize_as_ = lambda self, other, memory_format=None: self.resize_(*other.shape)


_install()

__all__ = [
    "are_deterministic_algorithms_enabled", "argwhere", "as_strided", "atleast_1d", "atleast_2d",
    "atleast_3d", "bernoulli", "broadcast_tensors", "cdist", "diag", "diag_embed", "finfo",
    "version",
    "get_deterministic_debug_mode", "get_float32_matmul_precision", "get_num_interop_threads",
    "get_num_threads", "get_rng_state", "iinfo", "is_autocast_enabled", "is_complex",
    "is_deterministic_algorithms_warn_only_enabled", "kthvalue", "mode", "moveaxis", "movedim",
    "promote_types", "result_type", "scalar_tensor", "set_deterministic_debug_mode",
    "set_float32_matmul_precision", "set_num_interop_threads", "set_num_threads",
    "set_rng_state", "typename", "use_deterministic_algorithms",
]  # fmt: skip
