"""``optim.Muon``: momentum (Nesterov by default) whose update is orthogonalised by a quintic
Newton-Schulz iteration, for 2-D parameters, in torch's form. torch runs the iteration in
bfloat16; numpy has no bfloat16, so here it runs in the parameter's own dtype (float32 or
float64): the updates are the same computation with less rounding, so trajectories agree with
torch's to bfloat16 precision, not bit for bit."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ....core import ops
from .extra_algorithms import _c
from .optimizer import Optimizer, per_parameter


def _lerp(a: np.ndarray, b: np.ndarray, w: float) -> np.ndarray:
    """torch's lerp: a + w (b - a) below w = 0.5, b - (1 - w)(b - a) from there."""
    if w < 0.5:
        return ops.add(a, ops.mul(ops.sub(b, a), _c(w, a)))
    return ops.sub(b, ops.mul(ops.sub(b, a), _c(1.0 - w, a)))


def zeropower_newton_schulz(g: np.ndarray, coefficients: tuple, steps: int, eps: float):
    """The quintic Newton-Schulz orthogonalisation of a matrix (torch's coefficients)."""
    if steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if g.ndim != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = coefficients
    tall = g.shape[0] > g.shape[1]
    x = ops.transpose(g, (1, 0)) if tall else g
    norm = float(ops.sqrt(ops.sum(ops.square(x))))
    x = ops.div(x, _c(max(norm, eps), x))
    for _ in range(steps):
        gram = ops.matmul(x, ops.transpose(x, (1, 0)))
        update = ops.add(ops.mul(gram, _c(b, x)), ops.mul(ops.matmul(gram, gram), _c(c, x)))
        x = ops.add(ops.mul(x, _c(a, x)), ops.matmul(update, x))
    return ops.transpose(x, (1, 0)) if tall else x


def _adjust_lr(lr: float, adjust_lr_fn: str | None, shape: tuple) -> float:
    rows, cols = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        return lr * math.sqrt(max(1, rows / cols))
    if adjust_lr_fn == "match_rms_adamw":
        return lr * 0.2 * math.sqrt(max(rows, cols))
    return lr


class Muon(Optimizer):
    """Muon for 2-D parameters: lr 1e-3, weight_decay 0.1, momentum 0.95, Nesterov, 5
    Newton-Schulz steps with coefficients (3.4445, -4.775, 2.0315), as torch's defaults."""

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        weight_decay: float = 0.1,
        momentum: float = 0.95,
        nesterov: bool = True,
        ns_coefficients: tuple = (3.4445, -4.775, 2.0315),
        eps: float = 1e-7,
        ns_steps: int = 5,
        adjust_lr_fn: str | None = None,
    ) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn not in (None, "original", "match_rms_adamw"):
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = dict(
            lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
            ns_coefficients=tuple(ns_coefficients), eps=eps, ns_steps=ns_steps,
            adjust_lr_fn=adjust_lr_fn,
        )  # fmt: skip
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.dim() != 2:
                    raise ValueError(
                        "Muon only supports 2D parameters whereas we found a parameter with "
                        f"size: {tuple(p.shape)}"
                    )

    @per_parameter
    def _update(self, group: dict, pairs: list) -> None:
        lr, wd, mom = group["lr"], group["weight_decay"], group["momentum"]
        for p, g in pairs:
            state = self.state[p]
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = np.zeros_like(g)
            buf = _lerp(state["momentum_buffer"], g, 1.0 - mom)
            state["momentum_buffer"] = buf
            update = _lerp(g, buf, mom) if group["nesterov"] else buf
            update = zeropower_newton_schulz(
                update, group["ns_coefficients"], group["ns_steps"], group["eps"]
            )
            step = _adjust_lr(lr, group["adjust_lr_fn"], p._data.shape)
            p._data[...] = ops.mul(p._data, _c(1.0 - lr * wd, g))
            p._data[...] = ops.sub(p._data, ops.mul(update, _c(step, g)))
