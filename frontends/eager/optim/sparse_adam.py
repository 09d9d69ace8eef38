"""``torch.optim.SparseAdam``: Adam that updates only the rows a gradient touches.

duograd's gradients are dense (``nn.Embedding(sparse=True)`` gives a dense gradient), so a row
(an entry along dim 0, e.g. one embedding vector) counts as touched when any of its gradient
entries is nonzero; untouched rows keep their parameters and their moment estimates, as torch's
SparseAdam leaves rows absent from a sparse gradient. (A row whose sparse gradient torch would
list with all-zero values is the one case that differs: here it is untouched.)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .optimizer import Optimizer, per_parameter


class SparseAdam(Optimizer):
    """Lazy Adam: moments and parameters change only at touched rows (torch's update order)."""

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        maximize: bool = False,
    ) -> None:
        if not 0.0 < lr:
            raise ValueError(f"SparseAdam: invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"SparseAdam: invalid epsilon value: {eps}")
        for i, b in enumerate(betas):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"SparseAdam: invalid beta parameter at index {i}: {b}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, maximize=maximize))

    @per_parameter
    def _update(self, group: dict, pairs: list) -> None:
        b1, b2 = group["betas"]
        for p, g in pairs:
            g = np.asarray(g)
            if group["maximize"]:
                g = -g
            state = self.state[p]
            state["step"] = step = int(state.get("step", 0)) + 1
            m = self._buffer(state, "exp_avg", p)
            v = self._buffer(state, "exp_avg_sq", p)
            data = p._data
            if g.ndim == 0:  # a scalar parameter is one row (views: writes reach the arrays)
                g, m, v, data = g.reshape(1), m.reshape(1), v.reshape(1), data.reshape(1)
            rows = _touched_rows(g)
            if rows.size == 0:
                continue
            dt = g.dtype.type
            gv, old_m, old_v = g[rows], m[rows], v[rows]
            m_up = (gv - old_m) * dt(1 - b1)
            v_up = (gv * gv - old_v) * dt(1 - b2)
            m[rows] = old_m + m_up
            v[rows] = old_v + v_up
            numer = m_up + old_m
            denom = np.sqrt(v_up + old_v) + dt(group["eps"])
            step_size = group["lr"] * math.sqrt(1 - b2**step) / (1 - b1**step)
            data[rows] = data[rows] + dt(-step_size) * (numer / denom)


def _touched_rows(g: np.ndarray) -> np.ndarray:
    """Indices along dim 0 where the gradient has a nonzero entry."""
    return np.flatnonzero(np.any(g.reshape(g.shape[0], -1) != 0, axis=1))


__all__ = ["SparseAdam"]
