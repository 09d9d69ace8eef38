"""The quadrature of integrated gradients: where along the path to sample, and with what weight."""

from __future__ import annotations

import numpy as np

METHODS = ("gausslegendre", "riemann_left", "riemann_right", "riemann_middle", "riemann_trapezoid")


def step_sizes_and_alphas(method: str, n_steps: int) -> tuple[list[float], list[float]]:
    """Weights and path positions in [0, 1] for `n_steps` samples of the given rule."""
    if method not in METHODS:
        raise ValueError(f"integrated gradients: method must be one of {METHODS}, got {method!r}")
    if not isinstance(n_steps, (int, np.integer)) or n_steps < 1:
        raise ValueError(f"integrated gradients: n_steps must be an int >= 1, got {n_steps!r}")
    n = int(n_steps)
    if method == "gausslegendre":
        x, w = np.polynomial.legendre.leggauss(n)
        return [float(v) for v in 0.5 * w], [float(v) for v in 0.5 * (1 + x)]
    if n < 2:
        raise ValueError(f"integrated gradients: {method} needs n_steps >= 2, got {n}")
    if method == "riemann_trapezoid":
        sizes = [1 / n] * n
        sizes[0] /= 2  # the two end points count half (Captum's weights)
        sizes[-1] /= 2
        return sizes, [float(v) for v in np.linspace(0, 1, n)]
    sizes = [1 / n] * n
    if method == "riemann_left":
        return sizes, [float(v) for v in np.linspace(0, 1 - 1 / n, n)]
    if method == "riemann_middle":
        return sizes, [float(v) for v in np.linspace(1 / (2 * n), 1 - 1 / (2 * n), n)]
    return sizes, [float(v) for v in np.linspace(1 / n, 1, n)]
