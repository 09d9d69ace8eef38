"""SGD, Adam, AdamW and RMSprop: each step is one fused kernel of core/kernels/update.py."""

from __future__ import annotations

from typing import Any

import numpy as np

from ....core import ops
from ....core.kernels import update as U
from .optimizer import Optimizer, _required, one_write


def _check(name: str, value: float, what: str, low: float = 0.0) -> None:
    if not value >= low:
        raise ValueError(f"Invalid {what} value: {value} (must be >= {low})")


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum and weight decay."""

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        if lr is not _required:
            _check("SGD", lr, "learning rate")
        _check("SGD", momentum, "momentum")
        _check("SGD", weight_decay, "weight_decay")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    @one_write
    def _update(self, group: dict, pairs: list) -> None:
        for p, g in pairs:
            self._update_param(group, p, g)

    def _update_param(self, group: dict, p: Any, g: np.ndarray) -> None:
        """One parameter's update."""
        lr, mom, wd = group["lr"], group["momentum"], group["weight_decay"]
        if group["maximize"]:
            g = ops.neg(g)
        if mom == 0:
            U.sgd_(p._data, g, lr, wd)
        else:
            state = self.state[p]
            first = "momentum_buffer" not in state
            buf = self._buffer(state, "momentum_buffer", p)
            U.momentum_(
                p._data,
                g,
                buf,
                lr,
                mom,
                group["dampening"],
                group["nesterov"],
                wd,
                first_step=first,
            )


class Adam(Optimizer):
    """Adam with PyTorch's bias-corrected update (``eps_mode="tf"`` places eps as TF does).

    ``eps_mode="torch"``: p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps). ``eps_mode="tf"``:
    p -= lr*sqrt(bc2)/bc1 * m / (sqrt(v) + eps), TF's AdamOptimizer formula.
    """

    _decoupled = False

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        eps_mode: str = "torch",
    ) -> None:
        _check(type(self).__name__, lr, "learning rate")
        _check(type(self).__name__, eps, "epsilon")
        _check(type(self).__name__, weight_decay, "weight_decay")
        for i, b in enumerate(betas):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {b}")
        if eps_mode not in ("torch", "tf"):
            raise ValueError(f"eps_mode must be 'torch' or 'tf', got {eps_mode!r}")
        defaults = dict(
            lr=lr,
            betas=tuple(betas),
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            eps_mode=eps_mode,
        )
        super().__init__(params, defaults)

    @one_write
    def _update(self, group: dict, pairs: list) -> None:
        for p, g in pairs:
            self._update_param(group, p, g)

    def _update_param(self, group: dict, p: Any, g: np.ndarray) -> None:
        """One parameter's update."""
        b1, b2 = group["betas"]
        if group["maximize"]:
            g = ops.neg(g)
        state = self.state[p]
        step = int(state.get("step", 0)) + 1
        m = self._buffer(state, "exp_avg", p)
        v = self._buffer(state, "exp_avg_sq", p)
        vmax = self._buffer(state, "max_exp_avg_sq", p) if group["amsgrad"] else None
        U.adam_(
            p._data,
            g,
            m,
            v,
            step,
            group["lr"],
            b1,
            b2,
            group["eps"],
            group["weight_decay"],
            decoupled=self._decoupled,
            eps_mode=group["eps_mode"],
            amsgrad_max=vmax,
        )
        state["step"] = step


class AdamW(Adam):
    """Adam with decoupled weight decay: p *= 1 - lr*wd before the Adam update."""

    _decoupled = True

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        eps_mode: str = "torch",
    ) -> None:
        super().__init__(
            params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize, eps_mode=eps_mode
        )


class RMSprop(Optimizer):
    """RMSprop (PyTorch's form; ``eps_mode="tf"`` is TF1's: eps inside the sqrt, ms from ones)."""

    def __init__(
        self,
        params: Any,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
        eps_mode: str = "torch",
    ) -> None:
        _check("RMSprop", lr, "learning rate")
        _check("RMSprop", eps, "epsilon")
        _check("RMSprop", momentum, "momentum")
        _check("RMSprop", alpha, "alpha")
        _check("RMSprop", weight_decay, "weight_decay")
        if eps_mode not in ("torch", "tf"):
            raise ValueError(f"eps_mode must be 'torch' or 'tf', got {eps_mode!r}")
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
            maximize=maximize,
            eps_mode=eps_mode,
        )
        super().__init__(params, defaults)

    @one_write
    def _update(self, group: dict, pairs: list) -> None:
        for p, g in pairs:
            self._update_param(group, p, g)

    def _update_param(self, group: dict, p: Any, g: np.ndarray) -> None:
        """One parameter's update."""
        tf = group["eps_mode"] == "tf"
        if group["maximize"]:
            g = ops.neg(g)
        wd = group["weight_decay"]
        if wd:
            # the fused kernel has no weight-decay term: g + wd * p, in core ops
            g = ops.add(g, ops.mul(p._data, np.asarray(wd, p._data.dtype)))
        state = self.state[p]
        state["step"] = int(state.get("step", 0)) + 1
        ms = self._buffer(state, "square_avg", p, 1.0 if tf else 0.0)
        use_mom = tf or group["momentum"] > 0
        mom = self._buffer(state, "momentum_buffer", p) if use_mom else None
        mg = self._buffer(state, "grad_avg", p) if group["centered"] else None
        U.rmsprop_(
            p._data,
            g,
            ms,
            mom,
            group["lr"],
            group["alpha"],
            group["eps"],
            group["momentum"],
            mg,
            group["eps_mode"],
        )
