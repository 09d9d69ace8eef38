"""``torch.optim`` NAdam, RAdam and Rprop, with PyTorch's update rules (core ops on the arrays)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ....core import ops
from .extra_algorithms import _c, _check, _grad
from .optimizer import Optimizer, per_parameter


class NAdam(Optimizer):
    """Adam with Nesterov momentum and PyTorch's momentum-decay schedule."""

    def __init__(
        self,
        params: Any,
        lr: float = 2e-3,
        betas: tuple = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum_decay: float = 4e-3,
        *,
        maximize: bool = False,
        **_: Any,
    ) -> None:
        for v, what in ((lr, "learning rate"), (eps, "epsilon"), (weight_decay, "weight_decay")):
            _check("NAdam", v, what)
        defaults = dict(
            lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
            momentum_decay=momentum_decay, maximize=maximize,
        )  # fmt: skip
        super().__init__(params, defaults)

    @per_parameter
    def _update(self, group: dict, pairs: list) -> None:
        b1, b2 = group["betas"]
        lr, eps, md = group["lr"], group["eps"], group["momentum_decay"]
        for p, g in pairs:
            g = _grad(group, p, g)
            state = self.state[p]
            state["step"] = step = int(state.get("step", 0)) + 1
            mu = b1 * (1.0 - 0.5 * 0.96 ** (step * md))
            mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * md))
            state["mu_product"] = mu_product = float(state.get("mu_product", 1.0)) * mu
            m = self._buffer(state, "exp_avg", p)
            v = self._buffer(state, "exp_avg_sq", p)
            m[...] = ops.add(ops.mul(m, _c(b1, g)), ops.mul(g, _c(1 - b1, g)))
            v[...] = ops.add(ops.mul(v, _c(b2, g)), ops.mul(ops.square(g), _c(1 - b2, g)))
            denom = ops.add(ops.sqrt(ops.div(v, _c(1 - b2**step, g))), _c(eps, g))
            a = lr * (1.0 - mu) / (1.0 - mu_product)
            b = lr * mu_next / (1.0 - mu_product * mu_next)
            p._data[...] = ops.sub(p._data, ops.mul(ops.div(g, denom), _c(a, g)))
            p._data[...] = ops.sub(p._data, ops.mul(ops.div(m, denom), _c(b, g)))


class RAdam(Optimizer):
    """Rectified Adam: plain momentum steps until the variance estimate is trustworthy."""

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        betas: tuple = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
        **_: Any,
    ) -> None:
        for v, what in ((lr, "learning rate"), (eps, "epsilon"), (weight_decay, "weight_decay")):
            _check("RAdam", v, what)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    @per_parameter
    def _update(self, group: dict, pairs: list) -> None:
        b1, b2 = group["betas"]
        lr, eps = group["lr"], group["eps"]
        rho_inf = 2.0 / (1.0 - b2) - 1.0
        for p, g in pairs:
            g = _grad(group, p, g)
            state = self.state[p]
            state["step"] = step = int(state.get("step", 0)) + 1
            m = self._buffer(state, "exp_avg", p)
            v = self._buffer(state, "exp_avg_sq", p)
            m[...] = ops.add(ops.mul(m, _c(b1, g)), ops.mul(g, _c(1 - b1, g)))
            v[...] = ops.add(ops.mul(v, _c(b2, g)), ops.mul(ops.square(g), _c(1 - b2, g)))
            m_hat = ops.div(m, _c(1 - b1**step, g))
            rho = rho_inf - 2.0 * step * b2**step / (1.0 - b2**step)
            if rho > 5.0:
                rect = math.sqrt(
                    (rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho)
                )
                adaptive = ops.div(_c(math.sqrt(1 - b2**step), g), ops.add(ops.sqrt(v), _c(eps, g)))
                upd = ops.mul(ops.mul(ops.mul(m_hat, _c(lr, g)), adaptive), _c(rect, g))
            else:
                upd = ops.mul(m_hat, _c(lr, g))
            p._data[...] = ops.sub(p._data, upd)


class Rprop(Optimizer):
    """Resilient backpropagation: per-element step sizes grown or shrunk by the gradient's sign."""

    def __init__(
        self,
        params: Any,
        lr: float = 1e-2,
        etas: tuple = (0.5, 1.2),
        step_sizes: tuple = (1e-6, 50),
        *,
        maximize: bool = False,
        **_: Any,
    ) -> None:
        _check("Rprop", lr, "learning rate")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Rprop: invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, maximize=maximize)
        super().__init__(params, defaults)

    @per_parameter
    def _update(self, group: dict, pairs: list) -> None:
        eta_minus, eta_plus = group["etas"]
        lo, hi = group["step_sizes"]
        for p, g in pairs:
            g = _grad(group, p, g)
            state = self.state[p]
            state["step"] = int(state.get("step", 0)) + 1
            prev = self._buffer(state, "prev", p)
            size = self._buffer(state, "step_size", p, fill=group["lr"])
            s = np.sign(g * prev)
            factor = np.where(s > 0, eta_plus, np.where(s < 0, eta_minus, 1.0)).astype(g.dtype)
            size[...] = np.clip(size * factor, lo, hi)
            g = np.where(s < 0, np.zeros((), g.dtype), g)
            p._data[...] = ops.sub(p._data, ops.mul(np.sign(g).astype(g.dtype), size))
            prev[...] = g


__all__ = ["NAdam", "RAdam", "Rprop"]
