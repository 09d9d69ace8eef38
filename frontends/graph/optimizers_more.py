"""The other TF1 `tf.train` optimizers: Adagrad, Adadelta, Ftrl, ProximalGradientDescent and
ProximalAdagrad, on the Optimizer base of `optimizers.py` (same effect node, same rollback)."""

from __future__ import annotations

from typing import Any

from ...core.kernels import update_more as U
from .optimizers import Optimizer


class AdagradOptimizer(Optimizer):
    """accum += g^2; var -= lr g / sqrt(accum) (accumulators start at 0.1)."""

    def __init__(
        self, learning_rate: Any, initial_accumulator_value: float = 0.1,
        use_locking: bool = False, name: str = "Adagrad",
    ) -> None:  # fmt: skip
        super().__init__(use_locking, name)
        if initial_accumulator_value <= 0.0:
            raise ValueError(
                f"initial_accumulator_value must be positive: {initial_accumulator_value}"
            )
        self._lr = self._hyper(learning_rate, "learning_rate")
        self._slot_inits = {"accumulator": float(initial_accumulator_value)}

    def _hypers(self) -> dict:
        return {"lr": self._lr}

    def _apply_dense(self, p, grad, slots, hp, extra):
        U.adagrad_(p, grad, slots[0], hp["lr"])


class AdadeltaOptimizer(Optimizer):
    """Adadelta: running averages of squared gradients and squared updates."""

    _slot_inits = {"accum": 0.0, "accum_update": 0.0}

    def __init__(
        self, learning_rate: Any = 0.001, rho: float = 0.95, epsilon: float = 1e-08,
        use_locking: bool = False, name: str = "Adadelta",
    ) -> None:  # fmt: skip
        super().__init__(use_locking, name)
        self._lr = self._hyper(learning_rate, "learning_rate")
        self._rho, self._eps = float(rho), float(epsilon)

    def _hypers(self) -> dict:
        return {"lr": self._lr}

    def _apply_dense(self, p, grad, slots, hp, extra):
        U.adadelta_(p, grad, slots[0], slots[1], hp["lr"], self._rho, self._eps)


class ProximalGradientDescentOptimizer(Optimizer):
    """A gradient step followed by the l1/l2 proximal map."""

    def __init__(
        self, learning_rate: Any, l1_regularization_strength: float = 0.0,
        l2_regularization_strength: float = 0.0, use_locking: bool = False,
        name: str = "ProximalGradientDescent",
    ) -> None:  # fmt: skip
        super().__init__(use_locking, name)
        self._lr = self._hyper(learning_rate, "learning_rate")
        self._l1, self._l2 = float(l1_regularization_strength), float(l2_regularization_strength)

    def _hypers(self) -> dict:
        return {"lr": self._lr}

    def _apply_dense(self, p, grad, slots, hp, extra):
        U.proximal_gd_(p, grad, hp["lr"], self._l1, self._l2)


class ProximalAdagradOptimizer(Optimizer):
    """Adagrad's rates followed by the l1/l2 proximal map."""

    def __init__(
        self, learning_rate: Any, initial_accumulator_value: float = 0.1,
        l1_regularization_strength: float = 0.0, l2_regularization_strength: float = 0.0,
        use_locking: bool = False, name: str = "ProximalAdagrad",
    ) -> None:  # fmt: skip
        super().__init__(use_locking, name)
        self._lr = self._hyper(learning_rate, "learning_rate")
        self._l1, self._l2 = float(l1_regularization_strength), float(l2_regularization_strength)
        self._slot_inits = {"accumulator": float(initial_accumulator_value)}

    def _hypers(self) -> dict:
        return {"lr": self._lr}

    def _apply_dense(self, p, grad, slots, hp, extra):
        U.proximal_adagrad_(p, grad, slots[0], hp["lr"], self._l1, self._l2)


class FtrlOptimizer(Optimizer):
    """FTRL-Proximal with TF1's defaults (lr_power -0.5, accumulators start at 0.1)."""

    def __init__(
        self, learning_rate: Any, learning_rate_power: float = -0.5,
        initial_accumulator_value: float = 0.1, l1_regularization_strength: float = 0.0,
        l2_regularization_strength: float = 0.0, use_locking: bool = False, name: str = "Ftrl",
        accum_name: Any = None, linear_name: Any = None,
        l2_shrinkage_regularization_strength: float = 0.0,
    ) -> None:  # fmt: skip
        super().__init__(use_locking, name)
        if learning_rate_power > 0.0:
            raise ValueError(f"learning_rate_power must be <= 0, got {learning_rate_power}")
        self._lr = self._hyper(learning_rate, "learning_rate")
        self._power = float(learning_rate_power)
        self._l1, self._l2 = float(l1_regularization_strength), float(l2_regularization_strength)
        self._shrink = float(l2_shrinkage_regularization_strength)
        self._slot_inits = {"accum": float(initial_accumulator_value), "linear": 0.0}

    def _hypers(self) -> dict:
        return {"lr": self._lr}

    def _apply_dense(self, p, grad, slots, hp, extra):
        U.ftrl_(
            p, grad, slots[0], slots[1], hp["lr"], self._power, self._l1, self._l2, self._shrink
        )
