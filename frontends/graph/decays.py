"""The TF1 learning-rate schedules of `tf.train` beyond exponential_decay, built from core ops
on the (float32) global step as TF builds them."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...core import ops
from ...core.ir import Value
from .tensor import Tensor

_F32 = np.float32


def _c(v: float) -> np.ndarray:
    return np.asarray(v, _F32)


def _floor_nonneg(x):
    # steps and fractions of them are >= 0 here, so truncation is the floor
    return ops.cast(ops.cast(x, np.int64), _F32)


def _schedule(op: str, global_step: Any, name: str | None, build) -> Tensor:
    if not isinstance(global_step, Value):
        raise TypeError(f"{op}: global_step must be a tensor or variable, got {global_step!r}")
    g = global_step.graph
    return g.build_op(op, name, lambda: build(ops.cast(global_step, _F32)))


def _progress(step, decay_steps: float, staircase: bool):
    p = ops.div(step, _c(decay_steps))
    return _floor_nonneg(p) if staircase else p


def inverse_time_decay(
    learning_rate: float, global_step: Any, decay_steps: float, decay_rate: float,
    staircase: bool = False, name: str | None = None,
) -> Tensor:  # fmt: skip
    """learning_rate / (1 + decay_rate * global_step / decay_steps)."""

    def build(step):
        p = _progress(step, decay_steps, staircase)
        return ops.div(_c(learning_rate), ops.add(_c(1), ops.mul(_c(decay_rate), p)))

    return _schedule("InverseTimeDecay", global_step, name, build)


def natural_exp_decay(
    learning_rate: float, global_step: Any, decay_steps: float, decay_rate: float,
    staircase: bool = False, name: str | None = None,
) -> Tensor:  # fmt: skip
    """learning_rate * exp(-decay_rate * global_step / decay_steps)."""

    def build(step):
        p = _progress(step, decay_steps, staircase)
        return ops.mul(_c(learning_rate), ops.exp(ops.mul(_c(-decay_rate), p)))

    return _schedule("NaturalExpDecay", global_step, name, build)


def polynomial_decay(
    learning_rate: float, global_step: Any, decay_steps: float,
    end_learning_rate: float = 0.0001, power: float = 1.0, cycle: bool = False,
    name: str | None = None,
) -> Tensor:  # fmt: skip
    """(lr - end) * (1 - min(step, decay_steps) / decay_steps) ** power + end."""

    def build(step):
        if cycle:
            ratio = ops.div(step, _c(decay_steps))
            ceil = ops.add(
                _floor_nonneg(ratio), ops.cast(ops.greater(ratio, _floor_nonneg(ratio)), _F32)
            )
            ds = ops.mul(_c(decay_steps), ops.maximum(ceil, _c(1)))  # step 0 uses one period
            s = step
        else:
            ds = _c(decay_steps)
            s = ops.minimum(step, ds)
        frac = ops.sub(_c(1), ops.div(s, ds))
        span = _c(learning_rate - end_learning_rate)
        return ops.add(ops.mul(span, ops.pow(frac, _c(power))), _c(end_learning_rate))

    return _schedule("PolynomialDecay", global_step, name, build)


def piecewise_constant(x: Any, boundaries: list, values: list, name: str | None = None) -> Tensor:
    """values[0] while x <= boundaries[0], values[i] while x <= boundaries[i], then values[-1]."""
    if len(values) != len(boundaries) + 1:
        raise ValueError(
            f"piecewise_constant: values needs one more entry than boundaries, got "
            f"{len(values)} values and {len(boundaries)} boundaries"
        )
    if not isinstance(x, Value):
        raise TypeError(f"piecewise_constant: x must be a tensor or variable, got {x!r}")
    dt = np.asarray(values[0]).dtype
    dt = _F32 if dt == np.float64 else dt
    xdt = x.dtype.np_dtype if hasattr(x.dtype, "np_dtype") else np.dtype(x.dtype)

    def build():
        out = np.asarray(values[-1], dt)
        for b, v in reversed(list(zip(boundaries, values[:-1], strict=True))):
            out = ops.where(ops.less_equal(x, np.asarray(b, xdt)), np.asarray(v, dt), out)
        return ops.identity(out) if not isinstance(out, Value) else out

    return x.graph.build_op("PiecewiseConstant", name, build)


def cosine_decay(
    learning_rate: float, global_step: Any, decay_steps: float, alpha: float = 0.0,
    name: str | None = None,
) -> Tensor:  # fmt: skip
    """lr * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps)) + alpha)."""

    def build(step):
        s = ops.minimum(step, _c(decay_steps))
        frac = ops.div(s, _c(decay_steps))
        cosv = ops.mul(_c(0.5), ops.add(_c(1), ops.cos(ops.mul(_c(math.pi), frac))))
        decayed = ops.add(ops.mul(_c(1 - alpha), cosv), _c(alpha))
        return ops.mul(_c(learning_rate), decayed)

    return _schedule("CosineDecay", global_step, name, build)


def linear_cosine_decay(
    learning_rate: float, global_step: Any, decay_steps: float, num_periods: float = 0.5,
    alpha: float = 0.0, beta: float = 0.001, name: str | None = None,
) -> Tensor:  # fmt: skip
    """lr * ((alpha + linear) * cosine + beta) as TF's linear_cosine_decay."""

    def build(step):
        s = ops.minimum(step, _c(decay_steps))
        linear = ops.div(ops.sub(_c(decay_steps), s), _c(decay_steps))
        frac = ops.div(s, _c(decay_steps))
        arg = ops.mul(ops.mul(_c(math.pi * 2.0), _c(num_periods)), frac)
        cosv = ops.mul(_c(0.5), ops.add(_c(1), ops.cos(arg)))
        decayed = ops.add(ops.mul(ops.add(_c(alpha), linear), cosv), _c(beta))
        return ops.mul(_c(learning_rate), decayed)

    return _schedule("LinearCosineDecay", global_step, name, build)


def cosine_decay_restarts(
    learning_rate: float, global_step: Any, first_decay_steps: float, t_mul: float = 2.0,
    m_mul: float = 1.0, alpha: float = 0.0, name: str | None = None,
) -> Tensor:  # fmt: skip
    """SGDR: cosine decay restarted after periods growing by t_mul, peaks scaled by m_mul."""

    def build(step):
        done = ops.div(step, _c(first_decay_steps))
        if t_mul == 1.0:
            i = _floor_nonneg(done)
            frac = ops.sub(done, i)
        else:
            arg = ops.sub(_c(1), ops.mul(done, _c(1 - t_mul)))
            i = _floor_nonneg(ops.div(ops.log(arg), _c(math.log(t_mul))))
            tpow = ops.pow(_c(t_mul), i)
            sum_r = ops.div(ops.sub(_c(1), tpow), _c(1 - t_mul))
            frac = ops.div(ops.sub(done, sum_r), tpow)
        m_fac = ops.pow(_c(m_mul), i)
        cosv = ops.mul(ops.mul(_c(0.5), m_fac), ops.add(_c(1), ops.cos(ops.mul(_c(math.pi), frac))))
        decayed = ops.add(ops.mul(_c(1 - alpha), cosv), _c(alpha))
        return ops.mul(_c(learning_rate), decayed)

    return _schedule("CosineDecayRestarts", global_step, name, build)
