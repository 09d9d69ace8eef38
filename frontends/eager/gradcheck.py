"""``torch.autograd.gradcheck`` / ``gradgradcheck``: analytical gradients against central
finite differences, plus ``torch.autograd.inference_mode`` and the ``anomaly_mode`` module name.

The analytical Jacobian is built one output element at a time with `autograd.grad`; the numerical
one perturbs one input element at a time by +-eps (in place, restored afterwards).
"""

from __future__ import annotations

import types
from typing import Any

import numpy as np

from . import anomaly
from . import autograd as _A
from .grad_mode import inference_mode
from .tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised by gradcheck when the analytical and numerical gradients differ."""


def _outputs(func: Any, inputs: tuple) -> list[Tensor]:
    out = func(*inputs)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    return [o for o in outs if isinstance(o, Tensor)]


def _numerical(func: Any, inputs: tuple, i: int, eps: float, out_index: int) -> np.ndarray:
    x = inputs[i]
    flat = x._data.reshape(-1)
    n_out = None
    cols = []
    for j in range(flat.size):
        old = flat[j]
        # grad mode stays on: func may itself take gradients (gradgradcheck)
        try:
            flat[j] = old + eps
            plus = _outputs(func, inputs)[out_index]._data.astype(np.float64).reshape(-1).copy()
            flat[j] = old - eps
            minus = _outputs(func, inputs)[out_index]._data.astype(np.float64).reshape(-1).copy()
        finally:
            flat[j] = old
        cols.append((plus - minus) / (2 * eps))
        n_out = plus.size
    if not cols:
        return np.zeros((0, 0))
    return np.stack(cols, 0).reshape(flat.size, n_out)


def _analytical(func: Any, inputs: tuple, diff_idx: list[int], out_index: int) -> list:
    out = _outputs(func, inputs)[out_index]
    n_out = out.numel()
    jac = [np.zeros((inputs[i].numel(), n_out)) for i in diff_idx]
    for k in range(n_out):
        seed = np.zeros(out._data.shape, out._data.dtype)
        seed.reshape(-1)[k] = 1
        grads = _A.grad(
            out, [inputs[i] for i in diff_idx], Tensor._make(seed), retain_graph=True,
            allow_unused=True,
        )  # fmt: skip
        for c, g in enumerate(grads):
            if g is not None:
                jac[c][:, k] = g._data.astype(np.float64).reshape(-1)
    return jac


def gradcheck(
    func: Any, inputs: Any, *, eps: float = 1e-06, atol: float = 1e-05, rtol: float = 0.001,
    raise_exception: bool = True, nondet_tol: float = 0.0, check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False, check_batched_grad: bool = False,
    check_batched_forward_grad: bool = False, check_forward_ad: bool = False,
    check_backward_ad: bool = True, fast_mode: bool = False, masked: Any = None,
) -> bool:  # fmt: skip
    """True when the gradients of func at inputs match finite differences (else raises)."""
    ins = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    diff_idx = [i for i, x in enumerate(ins) if isinstance(x, Tensor) and x.requires_grad]
    if not diff_idx:
        raise ValueError("gradcheck expects at least one input tensor to require gradient")
    for i in diff_idx:
        if ins[i]._data.dtype != np.float64:
            import warnings

            warnings.warn(
                f"Input #{i} requires gradient and is not a double precision floating point. "
                "This check will likely fail if all the inputs are not of double precision "
                "floating point.",
                UserWarning,
                stacklevel=2,
            )
    n_outputs = len(_outputs(func, ins))
    for o in range(n_outputs):
        analytic = _analytical(func, ins, diff_idx, o)
        for c, i in enumerate(diff_idx):
            numeric = _numerical(func, ins, i, eps, o)
            a = analytic[c]
            if numeric.shape != a.shape or not np.allclose(a, numeric, rtol=rtol, atol=atol):
                if not raise_exception:
                    return False
                raise GradcheckError(
                    f"Jacobian mismatch for output {o} with respect to input {i},\n"
                    f"numerical:{numeric}\nanalytical:{a}\n"
                )
    return True


def gradgradcheck(
    func: Any, inputs: Any, grad_outputs: Any = None, *, eps: float = 1e-06,
    atol: float = 1e-05, rtol: float = 0.001, gen_non_contig_grad_outputs: bool = False,
    raise_exception: bool = True, nondet_tol: float = 0.0, check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False, check_batched_grad: bool = False,
    check_fwd_over_rev: bool = False, check_rev_over_rev: bool = True, fast_mode: bool = False,
    masked: bool = False,
) -> bool:  # fmt: skip
    """gradcheck of the gradients of func (second derivatives, through create_graph=True)."""
    ins = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    diff_idx = [i for i, x in enumerate(ins) if isinstance(x, Tensor) and x.requires_grad]
    outs = _outputs(func, ins)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = [
            Tensor._make(rng.standard_normal(o._data.shape).astype(o._data.dtype)).requires_grad_()
            for o in outs
        ]
    else:
        grad_outputs = (
            list(grad_outputs) if isinstance(grad_outputs, (tuple, list)) else [grad_outputs]
        )
    n_in = len(ins)

    def first_grads(*args: Any) -> tuple:
        xs, gs = args[:n_in], args[n_in:]
        ys = _outputs(func, xs)
        grads = _A.grad(
            ys, [xs[i] for i in diff_idx], list(gs), create_graph=True, allow_unused=True
        )
        return tuple(g for g in grads if g is not None)

    return gradcheck(
        first_grads, ins + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
        raise_exception=raise_exception,
    )  # fmt: skip


anomaly_mode = types.ModuleType(
    "torch.autograd.anomaly_mode", "Anomaly detection: detect_anomaly and set_detect_anomaly."
)
anomaly_mode.detect_anomaly = anomaly.detect_anomaly
anomaly_mode.set_detect_anomaly = anomaly.set_detect_anomaly


def attach(autograd_module: Any) -> None:
    """Put gradcheck, gradgradcheck, inference_mode and anomaly_mode on torch.autograd."""
    autograd_module.gradcheck = gradcheck
    autograd_module.gradgradcheck = gradgradcheck
    autograd_module.GradcheckError = GradcheckError
    autograd_module.inference_mode = inference_mode
    autograd_module.anomaly_mode = anomaly_mode
