"""Elementwise primitives: broadcasting binary ops, comparisons, unary maps and fused grad maps."""

from __future__ import annotations

import numpy as np

from ..kernels import elementwise as K
from . import rules
from . import second_order as SO
from .registry import AVal, Primitive, bind, register
from .shaping import sum_like


def _binary_rule(
    name: str, result_bool: bool = False, float_only: bool = False, no_bool: bool = False
):
    def rule(x, y) -> AVal:
        dt = rules.same_dtype(name, x, y)
        if float_only:
            rules.require_float(name, x)
        if no_bool:
            rules.refuse_bool(name, x, y)
        shape = rules.broadcast_shapes(name, tuple(x.shape), tuple(y.shape))
        return AVal(shape, np.dtype(np.bool_) if result_bool else dt)

    return rule


def _unary_rule(name: str, float_only: bool, no_bool: bool = False):
    def rule(x) -> AVal:
        if float_only:
            rules.require_float(name, x)
        if no_bool:
            rules.refuse_bool(name, x)
        return AVal(tuple(x.shape), np.dtype(x.dtype))

    return rule


def _cached(prim: Primitive, arity: int) -> Primitive:
    # these rules read only shapes and dtypes, so their verdict is cached per (shapes, dtypes)
    prim.fast = K.dispatcher(prim.elementwise, arity, prim.shape_rule)
    return prim


def _binary(name: str, vjp, ref, float_only: bool = False, no_bool: bool = False) -> Primitive:
    prim = register(
        Primitive(
            name,
            impl=lambda x, y, _op=name: K.binary(_op, x, y),
            shape_rule=_binary_rule(name, float_only=float_only, no_bool=no_bool),
            vjp=vjp,
            reference=ref,
            elementwise=name,
        )
    )
    return _cached(prim, 2)


def _compare(name: str, ref) -> Primitive:
    prim = register(
        Primitive(
            name,
            impl=lambda x, y, _op=name: K.binary(_op, x, y),
            shape_rule=_binary_rule(name, result_bool=True),
            vjp=None,
            reference=ref,
            nondiff=(0, 1),
            elementwise=name,
        )
    )
    return _cached(prim, 2)


def _unary(name: str, vjp, ref, float_only: bool = True, no_bool: bool = False) -> Primitive:
    prim = register(
        Primitive(
            name,
            impl=lambda x, _op=name: K.unary(_op, x),
            shape_rule=_unary_rule(name, float_only, no_bool),
            vjp=vjp,
            reference=ref,
            elementwise=name,
        )
    )
    return _cached(prim, 1)


# ---- the functional core API used by rules and frontends ------------------------------------


def add(x, y):
    """x + y with broadcasting."""
    return bind(ADD, x, y)


def sub(x, y):
    """x - y with broadcasting."""
    return bind(SUB, x, y)


def mul(x, y):
    """x * y with broadcasting."""
    return bind(MUL, x, y)


def div(x, y):
    """x / y with broadcasting (floats)."""
    return bind(DIV, x, y)


def pow(x, y):  # noqa: A001 - the op's own name
    """x ** y with broadcasting (floats)."""
    return bind(POW, x, y)


def maximum(x, y):
    """Elementwise maximum (NaN propagates)."""
    return bind(MAXIMUM, x, y)


def minimum(x, y):
    """Elementwise minimum (NaN propagates)."""
    return bind(MINIMUM, x, y)


def neg(x):
    """-x."""
    return bind(NEG, x)


def exp(x):
    """e ** x."""
    return bind(EXP, x)


def log(x):
    """Natural logarithm."""
    return bind(LOG, x)


def sqrt(x):
    """Square root."""
    return bind(SQRT, x)


def abs(x):  # noqa: A001
    """Absolute value."""
    return bind(ABS, x)


def sign(x):
    """-1, 0 or 1 by the sign of x."""
    return bind(SIGN, x)


def tanh(x):
    """Hyperbolic tangent."""
    return bind(TANH, x)


def sigmoid(x):
    """Logistic function, stable for large |x|."""
    return bind(SIGMOID, x)


def relu(x):
    """max(x, 0), NaN propagating."""
    return bind(RELU, x)


def square(x):
    """x * x."""
    return bind(SQUARE, x)


def sin(x):
    """Sine."""
    return bind(SIN, x)


def cos(x):
    """Cosine."""
    return bind(COS, x)


def relu_grad(x, g):
    """g where x > 0 else 0 (the VJP of relu, fused)."""
    return bind(RELU_GRAD, x, g)


def sigmoid_grad(y, g):
    """g * y * (1 - y) for y = sigmoid(x) (fused)."""
    return bind(SIGMOID_GRAD, y, g)


def tanh_grad(y, g):
    """g * (1 - y * y) for y = tanh(x) (fused)."""
    return bind(TANH_GRAD, y, g)


def where(cond, x, y):
    """x where cond else y, broadcasting all three."""
    return bind(WHERE, cond, x, y)


def equal(x, y):
    """x == y (bool)."""
    return bind(EQ, x, y)


def not_equal(x, y):
    """x != y (bool)."""
    return bind(NE, x, y)


def less(x, y):
    """x < y (bool)."""
    return bind(LT, x, y)


def less_equal(x, y):
    """x <= y (bool)."""
    return bind(LE, x, y)


def greater(x, y):
    """x > y (bool)."""
    return bind(GT, x, y)


def greater_equal(x, y):
    """x >= y (bool)."""
    return bind(GE, x, y)


def scalar(value: float, like) -> np.ndarray:
    """A 0-d constant in the dtype of `like` (how rules write literals such as 2 or 1)."""
    return np.asarray(value, dtype=like.dtype)


# ---- VJP rules: written only with core operations -------------------------------------------


def _add_vjp(g, out, x, y, wants):
    return (sum_like(g, x) if wants[0] else None, sum_like(g, y) if wants[1] else None)


def _sub_vjp(g, out, x, y, wants):
    return (sum_like(g, x) if wants[0] else None, sum_like(neg(g), y) if wants[1] else None)


def _mul_vjp(g, out, x, y, wants):
    return (
        sum_like(mul(g, y), x) if wants[0] else None,
        sum_like(mul(g, x), y) if wants[1] else None,
    )


def _div_vjp(g, out, x, y, wants):
    return (
        sum_like(div(g, y), x) if wants[0] else None,
        sum_like(neg(div(mul(g, out), y)), y) if wants[1] else None,
    )


def _pow_vjp(g, out, x, y, wants):
    gx = gy = None
    if wants[0]:
        dx = mul(y, pow(x, sub(y, scalar(1, y))))
        # exponent 0: x ** 0 is constant, so its slope is 0 even at x == 0 (where the formula
        # gives 0 * 0 ** -1 = NaN); one rule for both styles, as PyTorch gives
        dx = where(equal(y, scalar(0, y)), scalar(0, dx), dx)
        gx = sum_like(mul(g, dx), x)
    if wants[1]:
        # log(x) is taken only where x > 0; elsewhere the exponent gets no gradient (as in TF)
        safe_log = where(greater(x, scalar(0, x)), log(x), scalar(0, x))
        gy = sum_like(mul(g, mul(out, safe_log)), y)
    return gx, gy


def _maximum_vjp(g, out, x, y, wants):
    # ties send the whole gradient to x (TF's rule; PyTorch splits ties in half)
    zero = scalar(0, g)
    mask = greater_equal(x, y)
    return (
        sum_like(where(mask, g, zero), x) if wants[0] else None,
        sum_like(where(mask, zero, g), y) if wants[1] else None,
    )


def _minimum_vjp(g, out, x, y, wants):
    zero = scalar(0, g)
    mask = less_equal(x, y)
    return (
        sum_like(where(mask, g, zero), x) if wants[0] else None,
        sum_like(where(mask, zero, g), y) if wants[1] else None,
    )


def _where_vjp(g, out, c, x, y, wants):
    zero = scalar(0, g)
    return (
        None,
        sum_like(where(c, g, zero), x) if wants[1] else None,
        sum_like(where(c, zero, g), y) if wants[2] else None,
    )


ADD = _binary("add", _add_vjp, np.add)
# both anchors refuse bool subtraction and negation (PyTorch: "use ~ or logical_xor")
SUB = _binary("sub", _sub_vjp, np.subtract, no_bool=True)
MUL = _binary("mul", _mul_vjp, np.multiply)
DIV = _binary("div", _div_vjp, np.divide, float_only=True)
POW = _binary("pow", _pow_vjp, np.power, float_only=True)
MAXIMUM = _binary("maximum", _maximum_vjp, np.maximum)
MINIMUM = _binary("minimum", _minimum_vjp, np.minimum)

EQ = _compare("eq", np.equal)
NE = _compare("ne", np.not_equal)
LT = _compare("lt", np.less)
LE = _compare("le", np.less_equal)
GT = _compare("gt", np.greater)
GE = _compare("ge", np.greater_equal)


def _sigmoid_ref(x):
    return 1.0 / (1.0 + np.exp(-x))


NEG = _unary("neg", lambda g, out, x, wants: (neg(g),), np.negative, float_only=False, no_bool=True)
EXP = _unary("exp", lambda g, out, x, wants: (mul(g, out),), np.exp)
LOG = _unary("log", lambda g, out, x, wants: (div(g, x),), np.log)
SQRT = _unary("sqrt", lambda g, out, x, wants: (div(g, mul(scalar(2, out), out)),), np.sqrt)
ABS = _unary("abs", lambda g, out, x, wants: (mul(g, sign(x)),), np.abs, float_only=False)


def _zero_vjp(g, out, x, wants):
    # piecewise constant: zero almost everywhere, and zero at the jumps too (as both anchors)
    from .shaping import fill_like

    return (fill_like(x, 0, g.dtype),)


SIGN = _unary("sign", _zero_vjp, np.sign, float_only=False)
TANH = _unary("tanh", lambda g, out, x, wants: (tanh_grad(out, g),), np.tanh)
SIGMOID = _unary("sigmoid", lambda g, out, x, wants: (sigmoid_grad(out, g),), _sigmoid_ref)
# the gradient reads the output (out > 0 exactly where x > 0, NaN included), so the eager tape
# keeps the activation the next layer holds anyway and drops the pre-activation
RELU = _unary("relu", lambda g, out, x, wants: (relu_grad(out, g),), lambda x: np.maximum(x, 0))
SQUARE = _unary(
    "square", lambda g, out, x, wants: (mul(g, mul(scalar(2, x), x)),), np.square, False
)


SIN = _unary("sin", lambda g, out, x, wants: (mul(g, cos(x)),), np.sin)
COS = _unary("cos", lambda g, out, x, wants: (neg(mul(g, sin(x))),), np.cos)


def _grad_rule(name: str):
    def rule(x, g) -> AVal:
        rules.same_dtype(name, x, g)
        rules.require_float(name, x)
        return AVal(rules.broadcast_shapes(name, tuple(x.shape), tuple(g.shape)), np.dtype(x.dtype))

    return rule


def _grad_prim(name: str, vjp, ref, nondiff: tuple = (0,)) -> Primitive:
    prim = register(
        Primitive(
            name,
            impl=lambda x, g, _op=name: K.grad_binary(_op, x, g),
            shape_rule=_grad_rule(name),
            vjp=vjp,
            reference=ref,
            nondiff=nondiff,
            elementwise=name,
        )
    )
    return _cached(prim, 2)


RELU_GRAD = _grad_prim(
    "relu_grad",
    lambda gg, out, x, g, wants: (None, relu_grad(x, gg)),
    lambda x, g: np.where(x > 0, g, np.zeros((), x.dtype)),
)
# both operands carry gradients: second-order rules in second_order.py
SIGMOID_GRAD = _grad_prim("sigmoid_grad", SO.sigmoid_grad_vjp, lambda y, g: g * y * (1 - y), ())
TANH_GRAD = _grad_prim("tanh_grad", SO.tanh_grad_vjp, lambda y, g: g * (1 - y * y), ())


def _where_rule(c, x, y) -> AVal:
    if np.dtype(c.dtype) != np.bool_:
        raise rules.DTypeError(f"where: the condition must be bool, got {np.dtype(c.dtype)}")
    dt = rules.same_dtype("where", x, y)
    shape = rules.broadcast_shapes("where", tuple(c.shape), tuple(x.shape), tuple(y.shape))
    return AVal(shape, dt)


WHERE = _cached(
    register(
        Primitive(
            "where",
            impl=K.where,
            shape_rule=_where_rule,
            vjp=_where_vjp,
            reference=np.where,
            nondiff=(0,),
            elementwise="where",
        )
    ),
    3,
)
