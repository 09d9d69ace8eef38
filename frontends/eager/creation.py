"""Making tensors: from data, filled, ranges, and random draws from the shared seeded stream."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...core import domain
from ...core import dtypes as D
from ...core import random as core_random
from ...core.primitives.randomness import RANDOM_NORMAL, RANDOM_UNIFORM
from ...core.primitives.registry import bind
from . import _convert as C
from . import dispatch as _dispatch
from .dtype import get_default_dtype, to_dtype
from .tensor import Tensor, check_device


def _finish(arr: np.ndarray, requires_grad: bool, device: Any = None) -> Tensor:
    check_device(device)
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad = True
    return t


def _strip(data: Any) -> Any:
    """Nested lists/tuples with tensors replaced by their arrays (so numpy sees plain data)."""
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (list, tuple)):
        return [_strip(x) for x in data]
    return data


def _infer(data: Any, arr: np.ndarray) -> np.dtype:
    """PyTorch's choice for data: Python floats -> default float, ints -> int64, arrays keep."""
    kind = arr.dtype.kind
    if isinstance(data, np.ndarray) or isinstance(data, np.generic):
        if arr.dtype in D.SUPPORTED:
            return arr.dtype
        if kind == "f":
            return D.float64 if arr.dtype.itemsize > 4 else D.float32
    if kind == "f":
        return get_default_dtype().np_dtype
    if kind in "iu":
        return D.int64
    if kind == "b":
        return D.bool_
    if kind == "c":  # Python complex numbers: the complex dtype of the default float
        return D.complex_of(get_default_dtype().np_dtype)
    raise TypeError(
        f"cannot make a tensor from {type(data).__name__} holding {arr.dtype} values; "
        "use numbers, bools, nested lists of them, or numpy arrays"
    )


def tensor(
    data: Any,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """A new tensor holding a copy of `data` (numbers, nested lists, arrays or tensors)."""
    raw = _strip(data)
    arr = np.array(raw)
    dt = to_dtype(dtype).np_dtype if dtype is not None else _infer(raw, arr)
    return _finish(np.array(arr, dtype=dt, copy=True), requires_grad, device)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like tensor(), but shares memory with a tensor or numpy array when no cast is needed."""
    check_device(device)
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray) and data.dtype in D.SUPPORTED:
        if dtype is None or to_dtype(dtype).np_dtype == data.dtype:
            return Tensor._make(data)
    return tensor(data, dtype=dtype)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with a numpy array (changes to either show in both)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, got {type(array).__name__}")
    if array.dtype not in D.SUPPORTED:
        raise TypeError(
            f"from_numpy: can't convert np.ndarray of type {array.dtype}; the supported types "
            "are: float64, float32, int64, int32 and bool"
        )
    return Tensor._make(array)


def _dt(dtype: Any) -> np.dtype:
    return get_default_dtype().np_dtype if dtype is None else to_dtype(dtype).np_dtype


def _sizes(op: str, size: tuple, dtype: Any) -> tuple:
    """A creation op's sizes: integers >= 0 whose bytes fit in memory, else a named error."""
    if size == () and op in ("zeros", "ones"):
        raise TypeError(f'{op}() missing 1 required positional argument: "size"; pass a shape')
    try:
        shape = domain.check_sizes(op, C.shape_args(size))
    except ValueError as e:  # torch reports bad sizes as RuntimeError
        raise RuntimeError(str(e)) from None
    domain.check_memory(op, shape, dtype)
    return shape


def zeros(
    *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False, out: Any = None
) -> Tensor:
    """A tensor of zeros."""
    return _finish(np.zeros(_sizes("zeros", size, _dt(dtype)), _dt(dtype)), requires_grad, device)


def ones(
    *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False, out: Any = None
) -> Tensor:
    """A tensor of ones."""
    return _finish(np.ones(_sizes("ones", size, _dt(dtype)), _dt(dtype)), requires_grad, device)


def empty(
    *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False, out: Any = None
) -> Tensor:
    """A new tensor (filled with zeros, so runs are reproducible)."""
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def _fill_dtype(value: Any) -> np.dtype:
    if isinstance(value, (bool, np.bool_)):
        return D.bool_
    if isinstance(value, (int, np.integer)):
        return D.int64
    return get_default_dtype().np_dtype


def full(
    size: Any, fill_value: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """A tensor filled with `fill_value` (its dtype follows the value unless given)."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    dt = _fill_dtype(fill_value) if dtype is None else to_dtype(dtype).np_dtype
    return _finish(np.full(_sizes("full", (size,), dt), fill_value, dt), requires_grad, device)


def _like(input: Tensor, dtype: Any) -> tuple[tuple, np.dtype]:
    return tuple(input.shape), input._data.dtype if dtype is None else to_dtype(dtype).np_dtype


def zeros_like(
    input: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """Zeros shaped like input."""
    shape, dt = _like(input, dtype)
    return _finish(np.zeros(shape, dt), requires_grad, device)


def ones_like(
    input: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """Ones shaped like input."""
    shape, dt = _like(input, dtype)
    return _finish(np.ones(shape, dt), requires_grad, device)


def empty_like(
    input: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """A new tensor shaped like input (zeros)."""
    return zeros_like(input, dtype, device, requires_grad)


def full_like(
    input: Tensor,
    fill_value: Any,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """`fill_value` everywhere, shaped like input."""
    shape, dt = _like(input, dtype)
    return _finish(np.full(shape, fill_value, dt), requires_grad, device)


def arange(
    start: Any,
    end: Any = None,
    step: Any = 1,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Values start, start + step, ... below end (int64 when all arguments are integers)."""
    if end is None:
        start, end = 0, start
    try:
        domain.check_step("arange", start, end, step, empty_ok=False)
    except ValueError as e:
        raise RuntimeError(str(e)) from None
    ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
    dt = (D.int64 if ints else get_default_dtype().np_dtype) if dtype is None else _dt(dtype)
    n = max(0, math.ceil((end - start) / step))
    # generated in float64 (or exactly in int64) then converted, as PyTorch's CPU kernel does
    if ints:
        arr = np.arange(start, end, step, dtype=np.int64).astype(dt)
    else:
        arr = (start + np.arange(n, dtype=np.float64) * step).astype(dt)
    return _finish(arr, requires_grad, device)


def linspace(
    start: float,
    end: float,
    steps: int,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """`steps` evenly spaced values from start to end (PyTorch's two-sided formula)."""
    dt = _dt(dtype)
    for arg, v in (("start", start), ("end", end)):
        if isinstance(v, Tensor):
            if v.dim():  # as torch: a tensor bound must be 0-d
                raise RuntimeError(
                    f"linspace only supports 0-dimensional start and end tensors, but got {arg} "
                    f"with {v.dim()} dimension(s)"
                )
    start, end = (v.item() if isinstance(v, Tensor) else v for v in (start, end))
    if steps < 0:
        raise RuntimeError("linspace: number of steps must be non-negative")
    work = dt if dt.kind == "f" else np.dtype(np.float64)
    if steps == 1:
        arr = np.full((1,), start, dtype=work)
    else:
        s, e = work.type(start), work.type(end)
        step = (e - s) / work.type(max(steps - 1, 1))
        idx = np.arange(steps)
        half = steps // 2
        lo = s + step * idx[:half].astype(work)
        hi = e - step * (steps - 1 - idx[half:]).astype(work)
        arr = np.concatenate([lo, hi]).astype(work)
    return _finish(arr.astype(dt), requires_grad, device)


def eye(
    n: int, m: int | None = None, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """The identity matrix (n x m)."""
    return _finish(np.eye(n, m, dtype=_dt(dtype)), requires_grad, device)


# ---- randomness: the shared seeded stream of core.random ---------------------------------------


class Generator:
    """A seedable random stream (``torch.Generator``); the default one is shared with the core."""

    def __init__(self, device: Any = "cpu", _gen: core_random.Generator | None = None) -> None:
        check_device(device)
        self._gen = _gen if _gen is not None else core_random.Generator()

    def manual_seed(self, seed: int) -> Generator:
        """Restart the stream from `seed`."""
        self._gen.manual_seed(int(seed))
        return self

    def initial_seed(self) -> int:
        """The seed the stream last started from."""
        return self._gen.initial_seed()

    def seed(self) -> int:
        """Reseed from fresh entropy and return the new seed."""
        s = int(np.random.SeedSequence().entropy % (2**63))
        self._gen.manual_seed(s)
        return s

    def get_state(self) -> dict:
        """The stream state (to restore with set_state)."""
        return self._gen.get_state()

    def set_state(self, state: dict) -> Generator:
        """Restore a state from get_state."""
        self._gen.set_state(state)
        return self


default_generator = Generator(_gen=core_random.default_generator)


def _gen(generator: Generator | None) -> core_random.Generator:
    return core_random.default_generator if generator is None else generator._gen


def manual_seed(seed: int) -> Generator:
    """Reseed the shared stream (the same stream tf.set_random_seed reseeds)."""
    core_random.manual_seed(int(seed))
    return default_generator


def seed() -> int:
    """Reseed the shared stream from fresh entropy; return the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The seed the shared stream last started from."""
    return core_random.default_generator.initial_seed()


def _float_dt(dtype: Any, fn: str) -> np.dtype:
    dt = _dt(dtype)
    if dt.kind != "f":
        raise RuntimeError(f"{fn}: expected a floating point dtype, got {to_dtype(dt)}")
    return dt


def _draw(
    prim: Any, size: tuple, dt: np.dtype, requires_grad: bool, device: Any, **bounds: float
) -> Tensor:
    # the shared stream's draw as the random primitive, through the one exit of eager ops, so a
    # captured program draws it again (in the same order) on every call
    check_device(device)
    params = {"shape": tuple(size), "dtype": dt, **bounds}
    t = _dispatch.finish(prim, params, (), (), bind(prim, **params), False)
    if requires_grad:
        t.requires_grad = True
    return t


def rand(
    *size: Any,
    generator: Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Uniform draws on [0, 1)."""
    if generator is None:
        dt = _float_dt(dtype, "rand")
        shape = _sizes("rand", size, np.float64)
        return _draw(RANDOM_UNIFORM, shape, dt, requires_grad, device, low=0.0, high=1.0)
    arr = _gen(generator).uniform(_sizes("rand", size, np.float64), _float_dt(dtype, "rand"))
    return _finish(arr, requires_grad, device)


def randn(
    *size: Any,
    generator: Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Standard normal draws."""
    if generator is None:
        dt = _float_dt(dtype, "randn")
        shape = _sizes("randn", size, np.float64)
        return _draw(RANDOM_NORMAL, shape, dt, requires_grad, device, mean=0.0, std=1.0)
    arr = _gen(generator).normal(_sizes("randn", size, np.float64), _float_dt(dtype, "randn"))
    return _finish(arr, requires_grad, device)


def rand_like(input: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform draws shaped like input."""
    return rand(*input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randn_like(input: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Normal draws shaped like input."""
    return randn(*input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randint(
    *args: Any,
    size: Any = None,
    generator: Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Integers uniform on [low, high): randint(high, size) or randint(low, high, size)."""
    args = list(args)
    if size is None:
        size = args.pop()
    low, high = (0, args[0]) if len(args) == 1 else (args[0], args[1])
    dt = D.int64 if dtype is None else to_dtype(dtype).np_dtype
    if int(low) >= int(high):
        raise RuntimeError(
            f"randint: low must be less than high, got low={low} >= high={high} (draws come "
            "from [low, high))"
        )
    arr = _gen(generator).integers(int(low), int(high), _sizes("randint", (size,), dt))
    return _finish(arr.astype(dt, copy=False), requires_grad, device)


def randperm(
    n: int, generator: Generator | None = None, dtype: Any = None, device: Any = None
) -> Tensor:
    """A random permutation of 0..n-1."""
    arr = _gen(generator).permutation(int(n))
    dt = D.int64 if dtype is None else to_dtype(dtype).np_dtype
    return _finish(arr.astype(dt, copy=False), False, device)
