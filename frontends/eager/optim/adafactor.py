"""``optim.Adafactor`` (Shazeer and Stern, 2018, in torch's form): a factored second-moment
estimate (row and column variances for matrices, a full one for vectors), a relative step size
min(lr, 1 / sqrt(step)) scaled by the parameter's RMS, and update clipping by `d`. Written with
core ops on the parameter arrays, as the other optimizers here."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ....core import ops
from ..tensor import Tensor
from .extra_algorithms import _c, _check
from .optimizer import Optimizer, per_parameter


def _rms_norm(a: np.ndarray) -> float:
    """The 2-norm of a, as a Python float."""
    return float(ops.sqrt(ops.sum(ops.square(a))))


def _lerp(a: np.ndarray, b: np.ndarray, w: float) -> np.ndarray:
    return ops.add(a, ops.mul(ops.sub(b, a), _c(w, a)))


class Adafactor(Optimizer):
    """Adafactor with torch's defaults: lr 1e-2, beta2_decay -0.8, eps (None, 1e-3), d 1.0."""

    def __init__(
        self,
        params: Any,
        lr: float = 1e-2,
        beta2_decay: float = -0.8,
        eps: tuple = (None, 1e-3),
        d: float = 1.0,
        weight_decay: float = 0.0,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
    ) -> None:
        _check("Adafactor", lr, "learning rate")
        if beta2_decay > 0.0:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and eps[0] < 0.0:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if eps[1] < 0.0:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if d < 1.0:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        _check("Adafactor", weight_decay, "weight_decay value")
        defaults = dict(
            lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay,
            foreach=foreach, maximize=maximize,
        )  # fmt: skip
        super().__init__(params, defaults)

    def _state_shape(self, key: str, param_shape: tuple) -> tuple:
        """Matrices keep factored row and column variances; vectors a full one."""
        if key == "row_var":
            return tuple(param_shape[:-1]) + (1,)
        if key == "col_var":
            return tuple(param_shape[:-2]) + (1, param_shape[-1])
        return tuple(param_shape)

    @per_parameter
    def _update(self, group: dict, pairs: list) -> None:
        lr, decay, d, wd = group["lr"], group["beta2_decay"], group["d"], group["weight_decay"]
        eps1, eps2 = group["eps"]
        for p, g in pairs:
            if group.get("maximize"):
                g = ops.neg(g)
            state = self.state[p]
            if "step" not in state:
                state["step"] = 0.0
                # Tensors, as every optimizer's state, so state_dict() copies them.
                if g.ndim > 1:
                    state["row_var"] = Tensor._make(np.zeros(g.shape[:-1] + (1,), g.dtype))
                    shape = g.shape[:-2] + (1, g.shape[-1])
                    state["col_var"] = Tensor._make(np.zeros(shape, g.dtype))
                else:
                    state["variance"] = Tensor._make(np.zeros_like(g))
            state["step"] = step = state["step"] + 1.0
            e1 = float(np.finfo(p._data.dtype).eps) if eps1 is None else eps1
            one_minus_beta2 = step**decay
            rho = min(lr, 1.0 / math.sqrt(step))
            alpha = max(eps2, _rms_norm(p._data) / math.sqrt(p._data.size)) * rho
            if wd:
                p._data[...] = ops.mul(p._data, _c(1.0 - lr * wd, g))
            if g.ndim > 1:
                sq = ops.square(g)
                row_mean = ops.div(ops.sum(sq, (-1,), keepdims=True), _c(g.shape[-1], g))
                col_mean = ops.div(ops.sum(sq, (-2,), keepdims=True), _c(g.shape[-2], g))
                row = _lerp(state["row_var"]._data, row_mean, one_minus_beta2)
                col = _lerp(state["col_var"]._data, col_mean, one_minus_beta2)
                state["row_var"]._data[...] = row
                state["col_var"]._data[...] = col
                est = ops.matmul(row, col)
                row_avg = ops.maximum(ops.mean(row, (-2,), keepdims=True), _c(e1, g))
                est = ops.div(est, row_avg)
            else:
                est = _lerp(state["variance"]._data, ops.square(g), one_minus_beta2)
                state["variance"]._data[...] = est
            update = ops.mul(ops.div(_c(1.0, g), ops.sqrt(ops.maximum(est, _c(e1 * e1, g)))), g)
            denom = max(1.0, _rms_norm(update) / (math.sqrt(update.size) * d))
            p._data[...] = ops.sub(p._data, ops.mul(update, _c(alpha / denom, g)))
