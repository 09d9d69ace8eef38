"""Rewritten backward passes of the attribution methods, written once for both styles.

Each function below returns a value equal to its forward result whose gradient is the method's
rule instead of the derivative. They are core operations (stop_gradient tricks, or the
`rectify_grad` primitive where the rule is not linear in the gradient), so an eager module hook
and a graph rewrite that call them run the same kernels and give the same bits.

- Guided backpropagation: relu's gradient, then only its positive part: rectify_grad(relu(x)).
- Deconvolution: the positive part of the incoming gradient, whatever x: rectify_grad(through).
- LRP (as Captum's rules): a rule layer's input is replaced by its value from the plain forward
  pass and multiplies what reaches it (`times_input`); its output divides what reaches it by
  itself, stabilised by epsilon (`over_output`); ReLU / Tanh / Dropout pass it on (`through`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import ops


def _dt(x: Any) -> np.dtype:
    dt = x.dtype
    return np.dtype(getattr(dt, "as_numpy_dtype", dt))


def through(x: Any, y: Any) -> Any:
    """The value of `y`; the gradient passes to `x` unchanged (same shapes)."""
    return ops.add(ops.stop_gradient(y), ops.sub(x, ops.stop_gradient(x)))


def guided_relu(x: Any, y: Any) -> Any:
    """y = relu(x) with guided backpropagation's gradient: max(g, 0) where x > 0."""
    return ops.rectify_grad(y)


def deconv_relu(x: Any, y: Any) -> Any:
    """y = relu(x) with deconvolution's gradient: max(g, 0) everywhere."""
    return ops.rectify_grad(through(x, y))


def times_input(x: Any, a: Any) -> Any:
    """The value `a` (a rule layer's input in the plain pass); the gradient g * a goes to `x`."""
    a = ops.stop_gradient(a)
    return ops.add(a, ops.mul(a, ops.sub(x, ops.stop_gradient(x))))


def over_output(z: Any, eps: float) -> Any:
    """The value of `z`; the gradient g / (z + eps * sign(z)) (sign 0 counts as +)."""
    zv = ops.stop_gradient(z)
    dt = _dt(zv)
    sign = ops.where(
        ops.greater_equal(zv, np.zeros((), dt)), np.ones((), dt), np.full((), -1.0, dt)
    )
    den = ops.add(zv, ops.mul(sign, np.asarray(eps, dt)))
    return ops.add(zv, ops.div(ops.sub(z, zv), den))


class PropagationRule:
    """An LRP rule: how a layer's weights change and how relevance crosses it."""

    STABILITY_FACTOR = 1e-9
    set_bias_to_zero = False
    # pass the relevance from the output to the input unchanged (same shapes)
    identity = False

    def weight(self, w: Any) -> Any:
        """The weights the relevance pass uses (the same by default)."""
        return w

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class EpsilonRule(PropagationRule):
    """Divide by the output stabilised by epsilon (the default rule; for middle layers)."""

    def __init__(self, epsilon: float = 1e-9) -> None:
        self.STABILITY_FACTOR = epsilon


class GammaRule(PropagationRule):
    """Favour positive contributions: weights w + gamma * max(w, 0) (for lower layers)."""

    def __init__(self, gamma: float = 0.25, set_bias_to_zero: bool = False) -> None:
        self.gamma = gamma
        self.set_bias_to_zero = set_bias_to_zero

    def weight(self, w: Any) -> Any:
        """w + gamma * max(w, 0)."""
        return ops.add(w, ops.mul(np.asarray(self.gamma, _dt(w)), ops.relu(w)))


class Alpha1_Beta0_Rule(PropagationRule):  # noqa: N801 - Captum's name
    """Propagate only positive relevance: weights max(w, 0) (deep Taylor; for lower layers)."""

    def __init__(self, set_bias_to_zero: bool = False) -> None:
        self.set_bias_to_zero = set_bias_to_zero

    def weight(self, w: Any) -> Any:
        """max(w, 0)."""
        return ops.relu(w)


class IdentityRule(EpsilonRule):
    """Pass the relevance through the layer unchanged (same input and output shapes)."""

    identity = True


def identity_layer(name: str, where: str, x: Any, y: Any) -> Any:
    """`through(x, y)` for a layer under IdentityRule, whose output must have its input's shape."""
    xs, ys = tuple(x.shape), tuple(y.shape)
    if xs != ys:
        raise ValueError(
            f"{name}: IdentityRule on {where} needs the layer's output shape {ys} to equal its "
            f"input shape {xs}; give that layer another rule"
        )
    return through(x, y)


def check_rule(name: str, where: str, rule: Any) -> None:
    """Raise a named error unless `rule` is a PropagationRule (or None)."""
    if rule is not None and not isinstance(rule, PropagationRule):
        raise TypeError(
            f"{name}: the rule of {where} must be a PropagationRule (EpsilonRule, GammaRule, "
            f"Alpha1_Beta0_Rule, IdentityRule), got {type(rule).__name__}"
        )


def lrp(
    be: Any,
    inputs: tuple,
    target: Any = None,
    extra: tuple = (),
    return_convergence_delta: bool = False,
) -> Any:
    """Layer-wise relevance propagation: the gradient of the relevance pass times the output.

    `be.forward_lrp(leaves, extra)` returns (the plain output, the relevance pass's output); the
    relevance of input i is d(target of the relevance pass)/d(input i) times the plain target
    output, and the delta is that output minus the sum of all relevance, per example.
    """
    from .backend import per_example_sum, select_target

    leaves = tuple(be.leaf(x) for x in inputs)
    plain, relevance_pass = be.forward_lrp(leaves, extra)
    value = be.value(select_target(be.name, plain, target))
    grads = be.grad(ops.sum(select_target(be.name, relevance_pass, target)), leaves)
    rel = tuple(ops.mul(g, ops.reshape(value, (-1,) + (1,) * (len(g.shape) - 1))) for g in grads)
    if not return_convergence_delta:
        return rel
    total = None
    for r in rel:
        s = per_example_sum(r)
        total = s if total is None else ops.add(total, s)
    return rel, ops.sub(value, total)


def rectified_backprop(
    be: Any, inputs: tuple, target: Any = None, extra: tuple = (), guided: bool = True
) -> tuple:
    """Gradients of the target with every ReLU's backward pass rectified (guided or deconv)."""
    from .backend import select_target

    leaves = tuple(be.leaf(x) for x in inputs)
    out = be.forward_rectified(leaves, extra, guided)
    return be.grad(ops.sum(select_target(be.name, out, target)), leaves)
