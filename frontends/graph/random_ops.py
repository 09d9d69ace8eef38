"""Random ops (`tf.random_normal`, ...): draws from the core's one seeded stream, made anew each
time the op runs, as in TF.

`tf.set_random_seed(s)` reseeds that stream (`core.random.manual_seed`), so a program drawing
`tf.random_normal([3, 4])` after `set_random_seed(1)` gets the same numbers as one calling
`torch.randn(3, 4)` after `torch.manual_seed(1)` in the eager frontend. Op-level `seed=`
arguments are accepted and ignored: every op draws from the one stream, in run order.
"""

from __future__ import annotations

from typing import Any

from ...core import random as core_random
from ...core.ir import Value
from ...core.primitives import dynamic as X
from ...core.primitives import randomness
from . import dtypes as tfd
from .graph import get_default_graph
from .shapes import TensorShape
from .tensor import Tensor


def _static_shape(shape: Any, op: str) -> tuple:
    if isinstance(shape, Value):
        raise TypeError(f"{op}: the shape must be a list of Python ints, not the tensor {shape}")
    s = TensorShape(shape)
    if not s.is_fully_defined():
        raise ValueError(f"{op}: the shape {s} must be fully defined")
    return tuple(s)


def _number(value: Any, what: str, op: str) -> float:
    if isinstance(value, Value):
        raise TypeError(f"{op}: {what} must be a Python number, not the tensor {value}")
    return float(value)


def _draw(prim, type_name: str, default: str, shape, dtype, name, **params) -> Tensor:
    dt = tfd.as_dtype(dtype)
    if not dt.is_floating:
        raise TypeError(f"{default}: dtype must be float32 or float64, got {dt.name}")
    s = _static_shape(shape, default)
    g = get_default_graph()
    full = dict(shape=s, dtype=dt.np_dtype, **params)
    return g.build_op(type_name, name, lambda: g.apply(prim, (), full), default=default)


def random_normal(
    shape: Any,
    mean: Any = 0.0,
    stddev: Any = 1.0,
    dtype: Any = tfd.float32,
    seed: Any = None,
    name: str | None = None,
) -> Tensor:
    """Normal draws: mean + stddev * z (seed ignored: one shared stream)."""
    if isinstance(shape, (list, tuple)) and any(isinstance(d, Value) for d in shape):
        from .array_ops import _partial, _pin, _shape_arg

        static = _partial(shape)
        out = random_normal(_shape_arg(shape, "random_normal"), mean, stddev, dtype, seed, name)
        return out.graph.build_op("EnsureShape", None, lambda: _pin(out, static))
    if isinstance(shape, Value) and not isinstance(mean, Value) and not isinstance(stddev, Value):
        from ...core.primitives import runtime_shapes as CP

        dt = tfd.as_dtype(dtype)
        g = shape.graph
        return g.build_op(
            "RandomStandardNormal", name,
            lambda: CP.random_normal_dynamic(shape, dt.np_dtype, float(mean), float(stddev)),
        )  # fmt: skip
    if isinstance(mean, Value) or isinstance(stddev, Value):
        # tensor moments: standard draws scaled and shifted by graph ops, as TF does
        z = random_normal(shape, 0.0, 1.0, dtype, seed)
        from . import math_ops as M

        return M.add(M.multiply(z, stddev), mean, name=name)
    return _draw(
        randomness.RANDOM_NORMAL,
        "RandomStandardNormal",
        "random_normal",
        shape,
        dtype,
        name,
        mean=_number(mean, "mean", "random_normal"),
        std=_number(stddev, "stddev", "random_normal"),
    )


def truncated_normal(
    shape: Any,
    mean: Any = 0.0,
    stddev: Any = 1.0,
    dtype: Any = tfd.float32,
    seed: Any = None,
    name: str | None = None,
) -> Tensor:
    """Normal draws redrawn until within two standard deviations (seed ignored)."""
    if isinstance(mean, Value) or isinstance(stddev, Value):
        # tensor moments: standard draws scaled and shifted by graph ops, as TF does
        z = truncated_normal(shape, 0.0, 1.0, dtype, seed)
        from . import math_ops as M

        return M.add(M.multiply(z, stddev), mean, name=name)
    return _draw(
        randomness.TRUNCATED_NORMAL,
        "TruncatedNormal",
        "truncated_normal",
        shape,
        dtype,
        name,
        mean=_number(mean, "mean", "truncated_normal"),
        std=_number(stddev, "stddev", "truncated_normal"),
    )


def random_uniform(
    shape: Any,
    minval: Any = 0,
    maxval: Any = None,
    dtype: Any = tfd.float32,
    seed: Any = None,
    name: str | None = None,
) -> Tensor:
    """Uniform draws on [minval, maxval) (maxval defaults to 1 for floats; ints need it)."""
    dt = tfd.as_dtype(dtype)
    if dt.is_integer:
        if maxval is None:
            raise ValueError("random_uniform: maxval must be given for an integer dtype")
        s = _static_shape(shape, "random_uniform")
        g = get_default_graph()
        params = {"shape": s, "low": int(minval), "high": int(maxval), "dtype": dt.np_dtype}
        return g.build_op(
            "RandomUniformInt",
            name,
            lambda: g.apply(X.RANDOM_INTEGERS, (), params),
            default="random_uniform",
        )
    high = 1.0 if maxval is None else _number(maxval, "maxval", "random_uniform")
    low = _number(minval, "minval", "random_uniform")
    if isinstance(shape, (list, tuple)) and any(isinstance(d, Value) for d in shape):
        from .array_ops import _partial, _pin, _shape_arg

        static = _partial(shape)
        out = random_uniform(_shape_arg(shape, "random_uniform"), low, high, dtype, seed, name)
        return out.graph.build_op("EnsureShape", None, lambda: _pin(out, static))
    if isinstance(shape, Value):  # a shape known when the graph runs
        from ...core.primitives import runtime_shapes as CP

        return shape.graph.build_op(
            "RandomUniform", name,
            lambda: CP.random_uniform_dynamic(shape, dt.np_dtype, low, high),
        )  # fmt: skip
    return _draw(
        randomness.RANDOM_UNIFORM,
        "RandomUniform",
        "random_uniform",
        shape,
        dtype,
        name,
        low=low,
        high=high,
    )


def set_random_seed(seed: int) -> None:
    """Reseed duograd's one random stream (also the eager frontend's; see the module notes)."""
    if seed is None:
        return
    get_default_graph().seed = int(seed)
    core_random.manual_seed(int(seed))


def get_seed(op_seed: Any) -> tuple:
    """(graph seed, op seed) as TF reports them."""
    return get_default_graph().seed, op_seed
