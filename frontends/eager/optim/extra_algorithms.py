"""More ``torch.optim`` optimizers: Adadelta, Adagrad, Adamax, and L-BFGS with its closure and
optional strong-Wolfe line search. Updates are written with core ops on the parameter arrays."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np

from ....core import ops
from ..grad_mode import enable_grad
from ..inplace import bump
from .optimizer import Optimizer, per_parameter


def _check(name: str, value: float, what: str) -> None:
    if not value >= 0.0:  # NaN too
        raise ValueError(f"{name}: invalid {what}: {value}")


def _c(value: float, like: np.ndarray) -> np.ndarray:
    return np.asarray(value, like.dtype)


def _grad(group: dict, p: Any, g: np.ndarray) -> np.ndarray:
    if group.get("maximize"):
        g = ops.neg(g)
    wd = group.get("weight_decay", 0.0)
    return ops.add(g, ops.mul(p._data, _c(wd, g))) if wd else g


class Adadelta(Optimizer):
    """Adadelta: steps scaled by running RMS of past steps over running RMS of gradients."""

    def __init__(
        self,
        params: Any,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
        **_: Any,
    ) -> None:
        for v, what in ((lr, "learning rate"), (eps, "epsilon"), (weight_decay, "weight_decay")):
            _check("Adadelta", v, what)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Adadelta: invalid rho value: {rho}")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    @per_parameter
    def _update(self, group: dict, pairs: list) -> None:
        rho, eps, lr = group["rho"], group["eps"], group["lr"]
        for p, g in pairs:
            g = _grad(group, p, g)
            state = self.state[p]
            state["step"] = int(state.get("step", 0)) + 1
            sq = self._buffer(state, "square_avg", p)
            acc = self._buffer(state, "acc_delta", p)
            sq[...] = ops.add(ops.mul(sq, _c(rho, g)), ops.mul(ops.square(g), _c(1 - rho, g)))
            std = ops.sqrt(ops.add(sq, _c(eps, g)))
            delta = ops.mul(ops.div(ops.sqrt(ops.add(acc, _c(eps, g))), std), g)
            acc[...] = ops.add(ops.mul(acc, _c(rho, g)), ops.mul(ops.square(delta), _c(1 - rho, g)))
            p._data[...] = ops.sub(p._data, ops.mul(delta, _c(lr, g)))


class Adagrad(Optimizer):
    """Adagrad: steps divided by the root of the running sum of squared gradients."""

    def __init__(
        self,
        params: Any,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
        **_: Any,
    ) -> None:
        for v, what in (
            (lr, "learning rate"),
            (lr_decay, "lr_decay"),
            (eps, "epsilon"),
            (weight_decay, "weight_decay"),
            (initial_accumulator_value, "initial_accumulator_value"),
        ):
            _check("Adagrad", v, what)
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            eps=eps,
            initial_accumulator_value=initial_accumulator_value,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    @per_parameter
    def _update(self, group: dict, pairs: list) -> None:
        for p, g in pairs:
            self._update_param(group, p, g)

    def _update_param(self, group: dict, p: Any, g: np.ndarray) -> None:
        """One parameter's update."""
        g = _grad(group, p, g)
        state = self.state[p]
        state["step"] = step = int(state.get("step", 0)) + 1
        acc = self._buffer(state, "sum", p, group["initial_accumulator_value"])
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        acc[...] = ops.add(acc, ops.square(g))
        std = ops.add(ops.sqrt(acc), _c(group["eps"], g))
        p._data[...] = ops.sub(p._data, ops.mul(ops.div(g, std), _c(clr, g)))


class Adamax(Optimizer):
    """Adamax: Adam with the infinity norm of past gradients in the denominator."""

    def __init__(
        self,
        params: Any,
        lr: float = 2e-3,
        betas: tuple = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
        **_: Any,
    ) -> None:
        for v, what in ((lr, "learning rate"), (eps, "epsilon"), (weight_decay, "weight_decay")):
            _check("Adamax", v, what)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    @per_parameter
    def _update(self, group: dict, pairs: list) -> None:
        b1, b2 = group["betas"]
        for p, g in pairs:
            g = _grad(group, p, g)
            state = self.state[p]
            state["step"] = step = int(state.get("step", 0)) + 1
            m = self._buffer(state, "exp_avg", p)
            u = self._buffer(state, "exp_inf", p)
            m[...] = ops.add(ops.mul(m, _c(b1, g)), ops.mul(g, _c(1 - b1, g)))
            u[...] = ops.maximum(ops.mul(u, _c(b2, g)), ops.add(ops.abs(g), _c(group["eps"], g)))
            clr = group["lr"] / (1 - b1**step)
            p._data[...] = ops.sub(p._data, ops.mul(ops.div(m, u), _c(clr, g)))


# ---- L-BFGS --------------------------------------------------------------------------------------


def _cubic_min(
    x1: float, f1: float, g1: float, x2: float, f2: float, g2: float, bounds: tuple | None = None
) -> float:
    """The minimiser of the cubic through (x1, f1, g1), (x2, f2, g2), clipped to bounds."""
    lo, hi = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    sq = d1 * d1 - g1 * g2
    if sq >= 0:
        d2 = np.sqrt(sq)
        if x1 <= x2:
            x = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            x = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return float(min(max(x, lo), hi))
    return (lo + hi) / 2.0


def _strong_wolfe(
    obj: Callable,
    x: np.ndarray,
    t: float,
    d: np.ndarray,
    f: float,
    g: np.ndarray,
    gtd: float,
    c1: float = 1e-4,
    c2: float = 0.9,
    tol_change: float = 1e-9,
    max_ls: int = 25,
) -> tuple:
    """A step t along d meeting the strong Wolfe conditions (bracket, then zoom)."""
    d_norm = float(np.abs(d).max())
    f_new, g_new = obj(x, t, d)
    evals = 1
    gtd_new = float(g_new @ d)
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done = False
    it = 0
    while it < max_ls:
        if f_new > f + c1 * t * gtd or (it > 1 and f_new >= f_prev):
            bracket = [t_prev, t]
            bf, bg, bgtd = [f_prev, f_new], [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bf, bg, done = [t], [f_new], [g_new], True
            break
        if gtd_new >= 0:
            bracket = [t_prev, t]
            bf, bg, bgtd = [f_prev, f_new], [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        lo, hi = t + 0.01 * (t - t_prev), t * 10
        t_next = _cubic_min(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, (lo, hi))
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new.copy(), gtd_new
        t = t_next
        f_new, g_new = obj(x, t, d)
        evals += 1
        gtd_new = float(g_new @ d)
        it += 1
    else:
        bracket, bf, bg = [0.0, t], [f, f_new], [g, g_new]
        bgtd = [gtd, gtd_new]
    insuf = False
    lo_i, hi_i = (0, 1) if len(bf) == 1 or bf[0] <= bf[-1] else (1, 0)
    while not done and it < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tol_change:
            break
        t = _cubic_min(bracket[0], bf[0], bgtd[0], bracket[1], bf[1], bgtd[1])
        hi_b, lo_b = max(bracket), min(bracket)
        eps = 0.1 * (hi_b - lo_b)
        if min(hi_b - t, t - lo_b) < eps:
            if insuf or t >= hi_b or t <= lo_b:
                t = hi_b - eps if abs(t - hi_b) < abs(t - lo_b) else lo_b + eps
                insuf = False
            else:
                insuf = True
        else:
            insuf = False
        f_new, g_new = obj(x, t, d)
        evals += 1
        gtd_new = float(g_new @ d)
        it += 1
        if f_new > f + c1 * t * gtd or f_new >= bf[lo_i]:
            bracket[hi_i], bf[hi_i], bg[hi_i], bgtd[hi_i] = t, f_new, g_new.copy(), gtd_new
            lo_i, hi_i = (0, 1) if bf[0] <= bf[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[hi_i] - bracket[lo_i]) >= 0:
                bracket[hi_i], bf[hi_i], bg[hi_i], bgtd[hi_i] = (
                    bracket[lo_i],
                    bf[lo_i],
                    bg[lo_i],
                    bgtd[lo_i],
                )
            bracket[lo_i], bf[lo_i], bg[lo_i], bgtd[lo_i] = t, f_new, g_new.copy(), gtd_new
    t = bracket[lo_i] if len(bracket) > 1 else bracket[0]
    return bf[lo_i] if len(bf) > 1 else bf[0], bg[lo_i] if len(bg) > 1 else bg[0], t, evals


class LBFGS(Optimizer):
    """L-BFGS over all parameters as one vector; ``step(closure)`` re-evaluates the loss.

    ``line_search_fn=None`` takes fixed steps of ``lr``; ``"strong_wolfe"`` searches each step.
    """

    def __init__(
        self,
        params: Any,
        lr: float = 1.0,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(
                f"LBFGS: line_search_fn must be None or 'strong_wolfe', got {line_search_fn!r}"
            )
        max_eval = max_eval if max_eval is not None else max_iter * 5 // 4
        defaults = dict(
            lr=lr,
            max_iter=max_iter,
            max_eval=max_eval,
            tolerance_grad=tolerance_grad,
            tolerance_change=tolerance_change,
            history_size=history_size,
            line_search_fn=line_search_fn,
        )
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def _flat_grad(self) -> np.ndarray:
        return np.concatenate(
            [
                (p.grad._data if p.grad is not None else np.zeros_like(p._data)).reshape(-1)
                for p in self._params
            ]
        )

    def _add(self, t: float, d: np.ndarray) -> None:
        off = 0
        for p in self._params:
            n = p._data.size
            p._data[...] += (t * d[off : off + n]).reshape(p._data.shape).astype(p._data.dtype)
            bump(p)
            off += n

    def _get(self) -> list[np.ndarray]:
        return [p._data.copy() for p in self._params]

    def _set(self, values: list[np.ndarray]) -> None:
        for p, v in zip(self._params, values, strict=True):
            p._data[...] = v
            bump(p)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One optimisation step of up to max_iter iterations; `closure` is required.

        Atomic: when the closure (or anything else) fails midway, the parameters and the
        optimizer's history are put back as they were before the step.
        """
        if closure is None:
            raise RuntimeError(
                "LBFGS.step needs a closure that re-evaluates the model and returns the loss"
            )
        saved = [p._data.copy() for p in self._params]
        history = copy.deepcopy(dict(self.state[self._params[0]]))
        try:
            return self._iterate(closure)
        except BaseException:
            for p, data in zip(self._params, saved, strict=True):
                p._data[...] = data
                bump(p)
            self.state[self._params[0]] = history
            raise

    def _iterate(self, closure: Callable[[], Any]) -> Any:
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        def evaluate() -> float:
            with enable_grad():
                return float(closure())

        with enable_grad():
            orig_loss = closure()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if np.abs(flat_grad).max() <= tol_grad:
            return orig_loss
        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps = state.setdefault("old_dirs", []), state.setdefault("old_stps", [])
        ro = state.setdefault("ro", [])
        h_diag = state.get("H_diag", 1.0)
        prev_flat_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs.clear(), old_stps.clear(), ro.clear()
                h_diag = 1.0
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = float(y @ s)
                if ys > 1e-10:
                    if len(old_dirs) == group["history_size"]:
                        old_dirs.pop(0), old_stps.pop(0), ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / float(y @ y)
                q = -flat_grad
                al = [0.0] * len(old_dirs)
                for i in range(len(old_dirs) - 1, -1, -1):
                    al[i] = float(old_stps[i] @ q) * ro[i]
                    q = q - al[i] * old_dirs[i]
                d = q * h_diag
                for i in range(len(old_dirs)):
                    be_i = float(old_dirs[i] @ d) * ro[i]
                    d = d + old_stps[i] * (al[i] - be_i)
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / float(np.abs(flat_grad).sum())) * lr
            else:
                t = lr
            gtd = float(flat_grad @ d)
            if gtd > -tol_change:
                break
            ls_evals = 0
            if group["line_search_fn"] == "strong_wolfe":
                x0 = self._get()

                def obj(_x: Any, step: float, direction: np.ndarray, x0: list = x0) -> tuple:
                    self._add(step, direction)
                    f = evaluate()
                    g = self._flat_grad()
                    self._set(x0)
                    return f, g

                loss, flat_grad, t, ls_evals = _strong_wolfe(obj, None, t, d, loss, flat_grad, gtd)
                self._add(t, d)
            else:
                self._add(t, d)
                if n_iter != max_iter:
                    loss = evaluate()
                    flat_grad = self._flat_grad()
                    ls_evals = 1
            current_evals += ls_evals
            state["func_evals"] += ls_evals
            if n_iter == max_iter or current_evals >= max_eval:
                break
            if np.abs(flat_grad).max() <= tol_grad:
                break
            if np.abs(d * t).max() <= tol_change or abs(loss - prev_loss) < tol_change:
                break
        state.update(d=d, t=t, H_diag=h_diag, prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss


__all__ = ["Adadelta", "Adagrad", "Adamax", "LBFGS"]
