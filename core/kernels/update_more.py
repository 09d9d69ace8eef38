"""In-place update rules of the accumulator optimizers (Adagrad, Adadelta, Ftrl, proximal
methods), in numpy, each written once for any frontend that steps a parameter array."""

from __future__ import annotations

import numpy as np


def _f(v: float, like: np.ndarray) -> np.ndarray:
    return np.asarray(v, dtype=like.dtype)


def adagrad_(p: np.ndarray, g: np.ndarray, accum: np.ndarray, lr: float, eps: float = 0.0) -> None:
    """accum += g^2; p -= lr g / (sqrt(accum) + eps)."""
    accum += g * g
    p -= _f(lr, p) * g / (np.sqrt(accum) + _f(eps, p))


def adadelta_(
    p: np.ndarray, g: np.ndarray, accum: np.ndarray, accum_update: np.ndarray,
    lr: float, rho: float, eps: float,
) -> None:  # fmt: skip
    """Zeiler's Adadelta with TF's placement of eps inside both square roots."""
    r, e = _f(rho, p), _f(eps, p)
    accum *= r
    accum += (1 - r) * g * g
    upd = np.sqrt(accum_update + e) / np.sqrt(accum + e) * g
    accum_update *= r
    accum_update += (1 - r) * upd * upd
    p -= _f(lr, p) * upd


def _prox(prox_v: np.ndarray, lr_l1: np.ndarray, lr_l2: np.ndarray) -> np.ndarray:
    return np.sign(prox_v) * np.maximum(np.abs(prox_v) - lr_l1, 0) / (1 + lr_l2)


def proximal_gd_(p: np.ndarray, g: np.ndarray, lr: float, l1: float, l2: float) -> None:
    """A gradient step then the l1/l2 proximal map (TF's ApplyProximalGradientDescent)."""
    a = _f(lr, p)
    p[...] = _prox(p - a * g, a * _f(l1, p), a * _f(l2, p))


def proximal_adagrad_(
    p: np.ndarray, g: np.ndarray, accum: np.ndarray, lr: float, l1: float, l2: float
) -> None:
    """Adagrad's per-entry rate, then the l1/l2 proximal map (TF's ApplyProximalAdagrad)."""
    accum += g * g
    a = _f(lr, p) / np.sqrt(accum)
    p[...] = _prox(p - a * g, a * _f(l1, p), a * _f(l2, p))


def ftrl_(
    p: np.ndarray, g: np.ndarray, accum: np.ndarray, linear: np.ndarray, lr: float,
    lr_power: float, l1: float, l2: float, l2_shrinkage: float = 0.0,
) -> None:  # fmt: skip
    """FTRL-Proximal (McMahan et al.), TF's ApplyFtrlV2 formulas."""
    a, pw = _f(lr, p), _f(-lr_power, p)
    g_shr = g + 2 * _f(l2_shrinkage, p) * p if l2_shrinkage > 0 else g
    new_accum = accum + g * g
    sigma = (new_accum**pw - accum**pw) / a
    linear += g_shr - sigma * p
    quadratic = new_accum**pw / a + 2 * _f(l2, p)
    l1v = _f(l1, p)
    pre = (np.sign(linear) * l1v - linear) / quadratic
    p[...] = np.where(np.abs(linear) > l1v, pre, 0).astype(p.dtype)
    accum[...] = new_accum
