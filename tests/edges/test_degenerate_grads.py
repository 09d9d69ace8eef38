"""A gradient rule for every primitive, one rule at degenerate points, the same in both styles.

- Walking the record: every primitive either has a VJP rule or declares all its operands
  nondiff (so no gradient path can reach a primitive without a rule).
- Every elementwise primitive with a rule, at its degenerate points (0, ties, integers,
  halves): where the function is continuous there, its gradient lies between the one-sided
  finite differences (a subgradient; exactly the slope where both sides agree); where they are
  finite it is never NaN.
- The conventions table of the README: the values at pow(0, 0), sqrt/abs/norm at 0,
  max/min/maximum/minimum ties and the zero-gradient ops, eager and graph bitwise equal.
"""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core.primitives import REGISTRY, bind
from op_table import ROWS

UNARY_POINTS = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, 2.0]
BINARY_POINTS = [(0.0, 0.0), (1.0, 1.0), (-1.0, -1.0), (0.0, 1.0), (1.0, 0.0), (0.0, 2.0),
                 (2.0, 0.0), (-1.0, 2.0), (0.5, 0.5), (2.0, 3.0)]  # fmt: skip
H = 1e-7


def _sample(name: str):
    return ROWS[name].samples(np.random.default_rng(0), np.float64)[0]


def _arity(name: str) -> int:
    return len(_sample(name).args)


def test_every_primitive_has_a_gradient_rule_or_no_differentiable_operand():
    lacking = []
    for name, prim in sorted(REGISTRY.items()):
        if prim.vjp is not None:
            continue
        n = _arity(name)
        open_ops = [i for i in range(n) if i not in prim.nondiff]
        if open_ops:
            lacking.append((name, open_ops))
    assert not lacking, f"primitives a gradient can reach without a rule: {lacking}"


def _elementwise_with_rule() -> list[str]:
    out = []
    for name, prim in sorted(REGISTRY.items()):
        if prim.elementwise and prim.vjp is not None and name in ROWS:
            if (
                np.float64 in ROWS[name].dtypes
                and _arity(name) in (1, 2)
                and not _sample(name).params
            ):
                out.append(name)
    return out


def _f(prim, args):
    with np.errstate(all="ignore"):
        return float(np.asarray(bind(prim, *[np.asarray(a, np.float64) for a in args])))


@pytest.mark.parametrize("name", _elementwise_with_rule())
def test_elementwise_rules_at_degenerate_points_are_subgradients(name):
    prim = REGISTRY[name]
    n = _arity(name)
    points = [(p,) for p in UNARY_POINTS] if n == 1 else BINARY_POINTS
    checked = 0
    for pt in points:
        args = [np.asarray(v, np.float64) for v in pt]
        f0 = _f(prim, args)
        if not np.isfinite(f0):
            continue
        out = np.asarray(f0)
        wants = tuple(i not in prim.nondiff for i in range(n))
        with np.errstate(all="ignore"):
            grads = prim.vjp(np.asarray(1.0), out, *args, wants=wants)
        for i in range(n):
            if not wants[i]:
                continue
            plus = list(args)
            minus = list(args)
            plus[i] = args[i] + H
            minus[i] = args[i] - H
            right = (_f(prim, plus) - f0) / H
            left = (f0 - _f(prim, minus)) / H
            got = 0.0 if grads[i] is None else float(np.asarray(grads[i]))
            if not (np.isfinite(right) and np.isfinite(left)):
                continue  # the edge of the domain (sqrt, log at 0): the anchors' value stands
            if max(abs(right), abs(left)) > 1e3:
                continue  # a jump (round at a half): no slope to compare with
            assert not np.isnan(got), f"{name}{pt}: NaN gradient for operand {i}"
            lo, hi = min(left, right), max(left, right)
            assert lo - 1e-5 <= got <= hi + 1e-5, (
                f"{name}{pt}: gradient {got} of operand {i} outside the one-sided slopes "
                f"[{lo}, {hi}]"
            )
            checked += 1
    assert checked, f"{name}: no degenerate point was checked"


# ---- the conventions table (README), eager and graph bitwise --------------------------------

CASES = {
    "pow(x, 0) at 0": (lambda m, x: m.pow(x, 0.0), [0.0, 2.0], [0.0, 0.0]),
    "sqrt at 0": (lambda m, x: m.sqrt(x), [0.0, 4.0], [np.inf, 0.25]),
    "abs at 0": (lambda m, x: m.abs(x), [0.0, -2.0], [0.0, -1.0]),
    "sign": (lambda m, x: m.sign(x), [0.0, -2.0, 3.0], [0.0, 0.0, 0.0]),
    "floor": (lambda m, x: m.floor(x), [0.5, -1.0], [0.0, 0.0]),
    "ceil": (lambda m, x: m.ceil(x), [0.5, -1.0], [0.0, 0.0]),
    "round": (lambda m, x: m.round(x), [0.5, 2.5], [0.0, 0.0]),
    "max ties": (lambda m, x: _max(m, x), [1.0, 3.0, 3.0], [0.0, 0.5, 0.5]),
    "min ties": (lambda m, x: _min(m, x), [1.0, 1.0, 3.0], [0.5, 0.5, 0.0]),
    # ties of two tensors: the whole gradient to the first operand (TF's rule), in both styles
    "maximum tie": (lambda m, x: m.maximum(x, _const(m, [2.0, 5.0])), [2.0, 1.0], [1.0, 0.0]),
    "minimum tie": (lambda m, x: m.minimum(x, _const(m, [2.0, 5.0])), [2.0, 1.0], [1.0, 1.0]),
}


# tf.floor / tf.ceil / tf.round have no gradient in TF (None, so optimizers skip the variable);
# torch gives zeros. Each style keeps its anchor's answer.
NO_GRAPH_GRADIENT = {"floor", "ceil", "round"}


def _const(m, v):
    a = np.asarray(v, np.float64)
    return torch.tensor(a) if m is torch else tf.constant(a)


def _max(m, x):
    return m.max(x) if m is torch else tf.reduce_max(x)


def _min(m, x):
    return m.min(x) if m is torch else tf.reduce_min(x)


def _eager_grad(fn, x):
    t = torch.tensor(np.asarray(x, np.float64), requires_grad=True)
    fn(torch, t).sum().backward()
    return t.grad.numpy()


def _graph_grad(fn, x):
    g = tf.Graph()
    with g.as_default():
        p = tf.placeholder(tf.float64, [len(x)])
        (gr,) = tf.gradients(tf.reduce_sum(fn(tf, p)), [p])
        if gr is None:
            return None
        with tf.Session() as s, np.errstate(all="ignore"):
            return s.run(gr, {p: np.asarray(x, np.float64)})


@pytest.mark.parametrize("case", sorted(CASES))
def test_convention_is_one_rule_in_both_styles(case):
    fn, x, want = CASES[case]
    with np.errstate(all="ignore"):
        e = _eager_grad(fn, x)
    gph = _graph_grad(fn, x)
    np.testing.assert_array_equal(e, np.asarray(want, np.float64))
    if case in NO_GRAPH_GRADIENT:  # TF registers no gradient: tf.gradients reports None
        assert gph is None, (case, gph)
        return
    assert e.tobytes() == gph.tobytes(), (case, e, gph)


def test_norm_at_zero_has_gradient_zero():
    for p in (2, 3.0, "fro"):
        t = torch.zeros(3, dtype=torch.float64, requires_grad=True)
        torch.norm(t, p).backward()
        assert t.grad.numpy().tobytes() == np.zeros(3).tobytes(), p
        t = torch.tensor([3.0, 4.0], dtype=torch.float64, requires_grad=True)
        torch.norm(t, 2).backward()
        np.testing.assert_allclose(t.grad.numpy(), [0.6, 0.8])


def test_requires_grad_propagates_as_torch():
    x = torch.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    for f in (torch.sign, torch.floor, torch.ceil, torch.round, torch.trunc):
        assert f(x).requires_grad, f
    assert not (x > 0).requires_grad
    assert not torch.argmax(x).requires_grad
    assert not torch.eq(x, x).requires_grad
    with torch.no_grad():
        assert not torch.sign(x).requires_grad


def test_pow_zero_exponent_does_not_poison_the_other_paths():
    # torch gives 1 + 0: the pow term adds nothing, never NaN
    x = torch.tensor([0.0, 1.0], dtype=torch.float64, requires_grad=True)
    (x**0.0 + x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])
