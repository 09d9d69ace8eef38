"""More TF1 top-level names that act when the graph is built or on the host: the remaining
assert_* checks, dimension helpers, initializer helpers (tables_initializer,
assert_variables_initialized, ...), orthogonal / uniform-unit-scaling initializers,
AggregationMethod, UnconnectedGradients, count_up_to, saturate_cast, switch_case,
py_function and tf.test."""

from __future__ import annotations

import enum
import math
import types
import unittest
from collections.abc import Iterable
from typing import Any

import numpy as np

from . import array_ops as A
from . import dtypes as tfd
from . import math_ops as M
from .convert import convert_to_tensor
from .init_ops import Initializer, _shape
from .tensor import Tensor


def _rank(x: Tensor) -> int | None:
    from ...core.primitives.registry import is_unknown_rank

    return None if x.shape is None or is_unknown_rank(x.shape) else len(x.shape)


def _no_op(name: str | None):
    from .control_flow import no_op

    return no_op(name=name)


def _rank_check(op: str, x: Any, ok, wanted: str, message: Any, name: Any):
    from .runtime_ops import Assert

    t = convert_to_tensor(x)
    r = _rank(t)
    if r is not None:
        if not ok(r):
            text = f"{message} " if message else ""
            raise ValueError(f"{text}{op}: tensor {t} must have rank {wanted}, it has rank {r}")
        return _no_op(name)
    rank = A.rank(t)
    cond = ok(rank)
    return Assert(
        cond, [f"{op}: tensor {t.name} must have rank {wanted}; rank is", rank], name=name
    )


def assert_rank(x: Any, rank: Any, data: Any = None, summarize: Any = None, message: Any = None,
                name: Any = None) -> Any:  # fmt: skip
    """Fails (when built if the rank is known, else when run) unless x has rank `rank`."""
    want = int(np.asarray(rank))
    return _rank_check("assert_rank", x, lambda r: r == want if isinstance(r, int) else
                       M.equal(r, want), str(want), message, name)  # fmt: skip


def assert_rank_at_least(x: Any, rank: Any, data: Any = None, summarize: Any = None,
                         message: Any = None, name: Any = None) -> Any:  # fmt: skip
    """Fails unless x has rank >= `rank`."""
    want = int(np.asarray(rank))
    return _rank_check("assert_rank_at_least", x, lambda r: r >= want if isinstance(r, int) else
                       M.greater_equal(r, want), f"at least {want}", message, name)  # fmt: skip


def assert_rank_in(x: Any, ranks: Any, data: Any = None, summarize: Any = None,
                   message: Any = None, name: Any = None) -> Any:  # fmt: skip
    """Fails unless the rank of x is one of `ranks`."""
    wants = [int(np.asarray(r)) for r in ranks]

    def ok(r):
        if isinstance(r, int):
            return r in wants
        return M.reduce_any(M.equal(A.stack([r] * len(wants)), np.asarray(wants, np.int32)))

    return _rank_check("assert_rank_in", x, ok, f"in {wants}", message, name)


def assert_scalar(tensor: Any, name: Any = None, message: Any = None) -> Tensor:
    """tensor itself, if its static rank is 0 (else ValueError, as TF's)."""
    t = convert_to_tensor(tensor)
    r = _rank(t)
    if r != 0:
        text = f"{message} " if message else ""
        what = "unknown" if r is None else str(r)
        raise ValueError(f"{text}assert_scalar: expected a scalar, {t} has rank {what}")
    return t


def assert_type(tensor: Any, tf_type: Any, message: Any = None, name: Any = None) -> Any:
    """TypeError unless tensor has dtype tf_type (checked when built)."""
    t = convert_to_tensor(tensor)
    want = tfd.as_dtype(tf_type)
    if tfd.as_dtype(t.dtype) != want:
        text = f"{message} " if message else ""
        raise TypeError(f"{text}assert_type: {t} must be of type {want.name}")
    return _no_op(name)


def assert_integer(x: Any, message: Any = None, name: Any = None) -> Any:
    """TypeError unless x has an integer dtype (checked when built)."""
    t = convert_to_tensor(x)
    if not tfd.as_dtype(t.dtype).is_integer:
        text = f"{message} " if message else ""
        raise TypeError(f"{text}assert_integer: expected an integer tensor, got {t}")
    return _no_op(name)


def assert_near(x: Any, y: Any, rtol: Any = None, atol: Any = None, data: Any = None,
                summarize: Any = None, message: Any = None, name: Any = None) -> Any:  # fmt: skip
    """An op failing the run unless |x - y| <= atol + rtol * |y| everywhere (default tolerances:
    10 machine epsilons of the dtype)."""
    from .runtime_ops import Assert

    tx = convert_to_tensor(x)
    ty = y if isinstance(y, Tensor) else convert_to_tensor(y, dtype=tx.dtype)
    dt = tfd.as_dtype(tx.dtype)
    eps = float(np.finfo(dt.np_dtype).eps) if dt.is_floating else 0.0
    rt = 10 * eps if rtol is None else float(rtol)
    at = 10 * eps if atol is None else float(atol)
    gap = M.abs(M.subtract(tx, ty))
    bound = M.add(np.asarray(at, dt.np_dtype), M.multiply(np.asarray(rt, dt.np_dtype), M.abs(ty)))
    if data is None:
        data = [message or "", f"x and y not equal to tolerance rtol = {rt}, atol = {at}",
                "x = ", tx, "y = ", ty]  # fmt: skip
    within = A.reshape(M.less_equal(gap, bound), [-1])  # flat: the rank may be unknown
    return Assert(M.reduce_all(within), data, summarize,
                  name=name or "assert_near")  # fmt: skip


def assert_same_float_dtype(tensors: Any = None, dtype: Any = None) -> tfd.DType:
    """The float dtype shared by `tensors` (and `dtype`); ValueError if they differ."""
    found = tfd.as_dtype(dtype) if dtype is not None else None
    for t in tensors or []:
        dt = tfd.as_dtype(t.dtype)
        if found is None:
            found = dt
        elif dt != found:
            raise ValueError(f"assert_same_float_dtype: expected {found.name}, got {t}")
    if found is None:
        return tfd.float32
    if not found.is_floating:
        raise ValueError(f"assert_same_float_dtype: expected a float dtype, got {found.name}")
    return found


def assert_proper_iterable(values: Any) -> None:
    """TypeError unless values is an iterable that is not a tensor, array or string."""
    if isinstance(values, (Tensor, np.ndarray, str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(
            f"assert_proper_iterable: expected a list or other iterable of values, got "
            f"{type(values).__name__}"
        )


def is_numeric_tensor(tensor: Any) -> bool:
    """True for a tensor of a float, integer or complex dtype."""
    if not isinstance(tensor, Tensor):
        return False
    dt = tfd.as_dtype(tensor.dtype)
    return bool(dt.is_floating or dt.is_integer or dt.is_complex)


def dimension_value(dimension: Any) -> int | None:
    """The int held by a dimension (None if unknown)."""
    if dimension is None:
        return None
    value = getattr(dimension, "value", dimension)
    return None if value is None else int(value)


def dimension_at_index(shape: Any, index: int) -> int | None:
    """Dimension `index` of a static shape (None if unknown, or if the rank is unknown)."""
    from .shapes import TensorShape

    s = TensorShape(shape)
    if s.dims is None:
        return None
    return dimension_value(s.as_list()[index])


# ---- initialisation helpers --------------------------------------------------------------------
def tables_initializer(name: str = "init_all_tables") -> Any:
    """Initializes every lookup table of the graph (this frontend has no tables: a no-op)."""
    return _no_op(name)


initialize_all_tables = tables_initializer


def initialize_variables(var_list: Any, name: str = "init") -> Any:
    """tf.variables_initializer(var_list)."""
    from .variables import variables_initializer

    return variables_initializer(var_list, name=name)


def assert_variables_initialized(var_list: Any = None) -> Any:
    """An op failing the run unless every variable of var_list (default: all) is initialized."""
    from .runtime_ops import Assert
    from .variables import global_variables, is_variable_initialized, local_variables

    vs = list(var_list) if var_list is not None else global_variables() + local_variables()
    if not vs:
        return _no_op("assert_variables_initialized")
    flags = A.stack([is_variable_initialized(v) for v in vs])
    return Assert(M.reduce_all(flags), ["Attempting to use uninitialized value"])


def moving_average_variables(scope: Any = None) -> list:
    """The variables ExponentialMovingAverage.apply has averaged (the MOVING_AVERAGE_VARIABLES
    collection)."""
    from .graph import GraphKeys, get_default_graph

    return get_default_graph().get_collection(GraphKeys.MOVING_AVERAGE_VARIABLES, scope)


def no_regularizer(_: Any) -> None:
    """The regularizer that adds nothing (for use as a default)."""
    return None


class Orthogonal(Initializer):
    """A random orthogonal matrix (times `gain`), reshaped to `shape`: QR of a normal draw with
    the signs fixed by R's diagonal, as TF's orthogonal_initializer (not TF's random stream)."""

    def __init__(self, gain: float = 1.0, seed: Any = None, dtype: Any = tfd.float32) -> None:
        super().__init__(dtype)
        self.gain, self.seed = float(gain), seed

    def __call__(self, shape, dtype=None, partition_info=None):
        from .linalg_decomp import qr
        from .random_ops import random_normal

        dims = _shape(shape)
        if len(dims) < 2:
            raise ValueError(f"orthogonal_initializer: the shape must have rank >= 2, got {dims}")
        dt = self._dt(dtype)
        rows, cols = int(np.prod(dims[:-1])), int(dims[-1])
        tall = (max(rows, cols), min(rows, cols))
        draw = random_normal(list(tall), dtype=dt, seed=self.seed)
        q, r = qr(draw)
        q = M.multiply(q, M.sign(A.expand_dims(_diag(r), 0)))
        if rows < cols:
            q = A.transpose(q)
        return A.reshape(M.multiply(q, np.asarray(self.gain, dt.np_dtype)), list(dims))


def _diag(r: Tensor) -> Tensor:
    n = int(r.shape[-1])
    return M.reduce_sum(M.multiply(r, np.eye(n, dtype=tfd.as_dtype(r.dtype).np_dtype)), 0)


class UniformUnitScaling(Initializer):
    """Uniform on +-sqrt(3 / input_size) * factor, input_size the product of all dims but the
    last (TF1's uniform_unit_scaling_initializer)."""

    def __init__(self, factor: float = 1.0, seed: Any = None, dtype: Any = tfd.float32) -> None:
        super().__init__(dtype)
        self.factor, self.seed = float(factor), seed

    def __call__(self, shape, dtype=None, partition_info=None):
        from .random_ops import random_uniform

        dims = _shape(shape)
        size = int(np.prod(dims[:-1])) if len(dims) > 1 else (int(dims[0]) if dims else 1)
        bound = math.sqrt(3.0 / max(size, 1)) * self.factor
        dt = self._dt(dtype)
        return random_uniform(list(dims), -bound, bound, dtype=dt, seed=self.seed)


orthogonal_initializer = Orthogonal
uniform_unit_scaling_initializer = UniformUnitScaling


class AggregationMethod:
    """How tf.gradients adds the gradients reaching one tensor (all give the same sum here)."""

    ADD_N = 0
    DEFAULT = ADD_N
    EXPERIMENTAL_TREE = 1
    EXPERIMENTAL_ACCUMULATE_N = 2


class UnconnectedGradients(str, enum.Enum):
    """What tf.gradients returns for an x that ys do not depend on: None or zeros."""

    NONE = "none"
    ZERO = "zero"


# ---- ops ---------------------------------------------------------------------------------------
def count_up_to(ref: Any, limit: int, name: str | None = None) -> Tensor:
    """Adds 1 to the int variable ref and returns its old value; the run fails with
    OutOfRangeError once it has reached `limit`. The check, the read and the write are one
    effect, so concurrent runs each get a distinct value."""
    from .errors import OutOfRangeError
    from .variables import Variable, update_op

    if not isinstance(ref, Variable) or not tfd.as_dtype(ref.dtype).is_integer:
        raise TypeError(f"count_up_to: ref must be an int32 or int64 variable, got {ref!r}")
    lim = int(limit)
    one = np.asarray(1, tfd.as_dtype(ref.dtype).np_dtype)

    def count(cur: np.ndarray) -> np.ndarray:
        if int(cur) >= lim:
            raise OutOfRangeError(None, None, f"Reached limit of {lim}")
        return cur + one

    return update_op(ref, count, (), "CountUpTo", name or "CountUpTo", old_value=True)


def saturate_cast(value: Any, dtype: Any, name: str | None = None) -> Tensor:
    """value cast to dtype, clamped first to the range dtype can hold."""
    x = convert_to_tensor(value)
    src, dst = tfd.as_dtype(x.dtype), tfd.as_dtype(dtype)
    s, d = src.np_dtype, dst.np_dtype
    if d.kind in "iu" and s.kind in "fiu":
        info = np.iinfo(d)
        lo, hi = float(info.min), float(info.max)
        if s.kind == "f":
            # the largest value of s not above info.max (an int64 max rounds up in float32)
            big = float(s.type(hi))
            hi = float(np.nextafter(s.type(hi), s.type(-np.inf))) if big > hi else hi
        if s.kind in "iu":
            si = np.iinfo(s)
            lo, hi = max(lo, si.min), min(hi, si.max)
        x = M.minimum(M.maximum(x, np.asarray(lo, s)), np.asarray(hi, s))
    elif d.kind == "f" and s.kind == "f" and np.finfo(d).max < np.finfo(s).max:
        big = np.finfo(d).max
        x = M.minimum(M.maximum(x, np.asarray(-big, s)), np.asarray(big, s))
    return M.cast(x, dst, name=name)


def to_complex64(x: Any, name: str = "ToComplex64") -> Tensor:
    """x cast to complex64 (imaginary part 0)."""
    from .dtypes import complex64

    return M.cast(x, complex64, name=name)


def to_complex128(x: Any, name: str = "ToComplex128") -> Tensor:
    """x cast to complex128 (imaginary part 0)."""
    from .dtypes import complex128

    return M.cast(x, complex128, name=name)


def switch_case(branch_index: Any, branch_fns: Any, default: Any = None,
                name: str = "switch_case") -> Any:  # fmt: skip
    """branch_fns[branch_index]() (default(), else the last branch, when out of range)."""
    from .control_flow_more import case

    fns = (
        sorted(branch_fns.items()) if isinstance(branch_fns, dict) else list(enumerate(branch_fns))
    )
    if not fns:
        raise ValueError("switch_case: branch_fns must not be empty")
    idx = convert_to_tensor(branch_index)
    if not tfd.as_dtype(idx.dtype).is_integer:
        raise TypeError(f"switch_case: branch_index must be an int32 tensor, got {idx}")
    pairs = [(M.equal(idx, np.asarray(k, tfd.as_dtype(idx.dtype).np_dtype)), fn) for k, fn in fns]
    return case(pairs, default=default if default is not None else fns[-1][1], name=name)


class _HostArray(np.ndarray):
    """A numpy array that also answers .numpy(), as the eager tensors py_function passes do."""

    def numpy(self) -> np.ndarray:
        """The array itself, as a plain numpy array."""
        return np.asarray(self)


def py_function(func: Any, inp: Any, Tout: Any, name: str | None = None) -> Any:  # noqa: N803
    """Runs func on the values of `inp` when the graph runs (each value answers .numpy())."""
    from .runtime_ops import py_func

    def call(*arrays: Any) -> Any:
        out = func(*[np.asarray(a).view(_HostArray) for a in arrays])
        if isinstance(out, (list, tuple)):
            return [np.asarray(getattr(o, "numpy", lambda o=o: o)()) for o in out]
        return np.asarray(getattr(out, "numpy", lambda: out)())

    return py_func(call, list(inp), Tout, stateful=True, name=name)


# ---- tf.test ----------------------------------------------------------------------------------
class TestCase(unittest.TestCase):
    """unittest.TestCase with TF's helpers: session(), cached_session(), evaluate(),
    assertAllClose, assertAllEqual, assertShapeEqual, get_temp_dir()."""

    def session(self, graph: Any = None, config: Any = None, use_gpu: bool = False,
                force_gpu: bool = False) -> Any:  # fmt: skip
        """A Session on `graph` (default: the default graph)."""
        from .session import Session

        return Session(graph=graph, config=config)

    cached_session = session

    def evaluate(self, tensors: Any) -> Any:
        """The values of tensors, run in a session on the default graph."""
        from .graph import get_default_graph
        from .session import Session

        with Session(graph=get_default_graph()) as s:
            return s.run(tensors)

    def get_temp_dir(self) -> str:
        """A temporary directory for this test."""
        import tempfile

        if not hasattr(self, "_tf_temp_dir"):
            self._tf_temp_dir = tempfile.mkdtemp()
        return self._tf_temp_dir

    def assertAllClose(self, a: Any, b: Any, rtol: float = 1e-6, atol: float = 1e-6,  # noqa: N802
                       msg: Any = None) -> None:  # fmt: skip
        """a and b (arrays or nested lists / dicts of them) agree within the tolerances."""
        if isinstance(a, dict):
            self.assertEqual(sorted(a), sorted(b), msg)
            for k in a:
                self.assertAllClose(a[k], b[k], rtol, atol, msg)
            return
        if isinstance(a, (list, tuple)) and any(isinstance(v, (list, tuple, np.ndarray, dict))
                                                for v in a):  # fmt: skip
            self.assertEqual(len(a), len(b), msg)
            for u, v in zip(a, b, strict=True):
                self.assertAllClose(u, v, rtol, atol, msg)
            return
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol,
                                   err_msg=msg or "")  # fmt: skip

    def assertAllEqual(self, a: Any, b: Any, msg: Any = None) -> None:  # noqa: N802
        """a and b hold the same values and shape."""
        a, b = np.asarray(a), np.asarray(b)
        self.assertEqual(a.shape, b.shape, msg)
        np.testing.assert_array_equal(a, b, err_msg=msg or "")

    def assertShapeEqual(self, np_array: Any, tf_tensor: Any, msg: Any = None) -> None:  # noqa: N802
        """The numpy array's shape equals the tensor's static shape."""
        self.assertEqual(list(np.shape(np_array)), list(tf_tensor.shape), msg)

    def assertAllCloseAccordingToType(self, a: Any, b: Any, rtol: float = 1e-6,  # noqa: N802
                                      atol: float = 1e-6, **kw: Any) -> None:  # fmt: skip
        """assertAllClose with float32's looser tolerance (1e-6 -> 1e-6, float16: 1e-3)."""
        if np.asarray(a).dtype == np.float16 or np.asarray(b).dtype == np.float16:
            rtol, atol = max(rtol, 1e-3), max(atol, 1e-3)
        self.assertAllClose(a, b, rtol, atol)


def _test_namespace(tf: types.ModuleType) -> types.ModuleType:
    from .missing import install

    test = types.ModuleType(f"{tf.__name__}.test", "tf.test: TestCase and main.")
    test.TestCase = TestCase
    test.main = lambda argv=None: unittest.main(argv=argv)
    test.is_gpu_available = lambda cuda_only=False, min_cuda_compute_capability=None: False
    test.is_built_with_cuda = lambda: False
    test.gpu_device_name = lambda: ""
    test.get_temp_dir = lambda: __import__("tempfile").gettempdir()
    install(test, "tf.test")
    return test


_TOP = [
    "assert_rank", "assert_rank_at_least", "assert_rank_in", "assert_scalar", "assert_type",
    "assert_integer", "assert_near", "assert_same_float_dtype", "assert_proper_iterable",
    "is_numeric_tensor", "dimension_value", "dimension_at_index", "tables_initializer",
    "initialize_all_tables", "initialize_variables",
    "assert_variables_initialized", "moving_average_variables", "no_regularizer",
    "orthogonal_initializer", "uniform_unit_scaling_initializer", "AggregationMethod",
    "UnconnectedGradients", "count_up_to", "saturate_cast", "switch_case", "py_function",
    "to_complex64", "to_complex128",
]  # fmt: skip
_DEBUGGING = [
    "assert_rank", "assert_rank_at_least", "assert_rank_in", "assert_scalar", "assert_type",
    "assert_integer", "assert_near", "assert_same_float_dtype", "assert_proper_iterable",
]  # fmt: skip


def attach(tf: types.ModuleType) -> list:
    """Add the names to tf (and tf.debugging, tf.initializers, tf.test) where missing; return
    the new top-level names."""
    here = globals()
    added = []
    for n in _TOP:
        if not hasattr(tf, n):
            setattr(tf, n, here[n])
            added.append(n)
    for n in _DEBUGGING:
        if hasattr(tf, "debugging") and not hasattr(tf.debugging, n):
            setattr(tf.debugging, n, here[n])
    inits = getattr(tf, "initializers", None)
    if inits is not None:
        for n, v in (("orthogonal", Orthogonal), ("uniform_unit_scaling", UniformUnitScaling)):
            if not hasattr(inits, n):
                setattr(inits, n, v)
    if not hasattr(tf, "test"):
        tf.test = _test_namespace(tf)
        added.append("test")
    return added
