"""``optim.ASGD`` (averaged SGD) and ``lr_scheduler.CyclicLR``. ASGD's update is written with
core ops on the parameter arrays, as the other optimizers here; its step-size schedule is kept in
float32 between steps, as torch keeps it."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ....core import ops
from .extra_algorithms import _c, _check
from .lr_scheduler import LRScheduler
from .optimizer import Optimizer, per_parameter


class ASGD(Optimizer):
    """Averaged SGD: SGD with a decaying step, and a running average of the iterates in
    ``state['ax']``."""

    def __init__(
        self,
        params: Any,
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
        **_: Any,
    ) -> None:
        for v, what in ((lr, "learning rate"), (weight_decay, "weight_decay")):
            _check("ASGD", v, what)
        defaults = dict(
            lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, maximize=maximize
        )
        super().__init__(params, defaults)

    @per_parameter
    def _update(self, group: dict, pairs: list) -> None:
        lr, lambd, alpha, t0 = group["lr"], group["lambd"], group["alpha"], group["t0"]
        wd = group["weight_decay"]
        for p, g in pairs:
            if group.get("maximize"):
                g = ops.neg(g)
            state = self.state[p]
            if "step" not in state:
                state["step"] = 0
                state["eta"] = float(np.float32(lr))
                state["mu"] = 1.0
                state["ax"] = np.zeros_like(p._data)
            state["step"] = step = state["step"] + 1
            eta, mu = state["eta"], state["mu"]
            if wd:
                g = ops.add(g, ops.mul(p._data, _c(wd, g)))
            new = ops.mul(p._data, _c(1 - lambd * eta, g))
            new = ops.sub(new, ops.mul(g, _c(eta, g)))
            p._data[...] = new
            ax = state["ax"]
            if mu != 1:
                ax[...] = ops.add(ax, ops.mul(ops.sub(p._data, ax), _c(mu, g)))
            else:
                ax[...] = p._data
            state["eta"] = float(np.float32(lr / ((1 + lambd * lr * step) ** alpha)))
            state["mu"] = float(np.float32(1 / max(1, step - t0)))


class CyclicLR(LRScheduler):
    """The lr cycles between base_lr and max_lr (triangular, triangular2 or exp_range), and the
    momentum (or Adam's beta1) the other way when cycle_momentum."""

    def __init__(
        self,
        optimizer: Optimizer,
        base_lr: Any,
        max_lr: Any,
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        scale_fn: Any = None,
        scale_mode: str = "cycle",
        cycle_momentum: bool = True,
        base_momentum: Any = 0.8,
        max_momentum: Any = 0.9,
        last_epoch: int = -1,
    ) -> None:
        groups = optimizer.param_groups
        base_lrs = self._per_group("base_lr", groups, base_lr)
        if last_epoch == -1:
            for lr, g in zip(base_lrs, groups, strict=True):
                g["lr"] = lr
        self.max_lrs = self._per_group("max_lr", groups, max_lr)
        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError("mode is invalid and scale_fn is None")
        self.mode, self.gamma = mode, gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = (
            scale_mode
            if scale_fn is not None
            else ("iterations" if mode == "exp_range" else "cycle")
        )
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(
                    "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"
                )
            self.use_beta1 = "betas" in optimizer.defaults
            self.base_momentums = self._per_group("base_momentum", groups, base_momentum)
            self.max_momentums = self._per_group("max_momentum", groups, max_momentum)
            if last_epoch == -1:
                for m, g in zip(self.max_momentums, groups, strict=True):
                    if self.use_beta1:
                        g["betas"] = (m, *g["betas"][1:])
                    else:
                        g["momentum"] = m
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    @staticmethod
    def _per_group(name: str, groups: list, value: Any) -> list:
        if isinstance(value, (list, tuple)):
            if len(value) != len(groups):
                raise ValueError(f"expected {len(groups)} values for {name}, got {len(value)}")
            return list(value)
        return [value] * len(groups)

    def scale_fn(self, x: float) -> float:
        """The amplitude scale of cycle (or iteration) x."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma**x

    def get_lr(self) -> list[float]:
        """The lrs (and momentums) at the current iteration."""
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            scale = x / self.step_ratio
        else:
            scale = (x - 1) / (self.step_ratio - 1)
        at = cycle if self.scale_mode == "cycle" else self.last_epoch
        base_lrs = getattr(self, "base_lrs", [g["lr"] for g in self.optimizer.param_groups])
        lrs = [
            b + (m - b) * scale * self.scale_fn(at)
            for b, m in zip(base_lrs, self.max_lrs, strict=True)
        ]
        if self.cycle_momentum:
            for g, bm, mm in zip(
                self.optimizer.param_groups, self.base_momentums, self.max_momentums, strict=True
            ):
                m = mm - (mm - bm) * scale * self.scale_fn(at)
                if self.use_beta1:
                    g["betas"] = (m, *g["betas"][1:])
                else:
                    g["momentum"] = m
        return lrs


__all__ = ["ASGD", "CyclicLR"]
