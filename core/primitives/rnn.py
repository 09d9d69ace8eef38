"""LSTM cell primitives: the state and output updates after the gate matmuls, and their VJPs.

``lstm_state(gates, c)`` is c' = sigmoid(f + forget_bias) * c + sigmoid(i) * tanh(g) and
``lstm_output(gates, c')`` is h' = sigmoid(o) * tanh(c'), where i f g o are the column blocks of
the gate pre-activations ``gates`` (..., 4H), ordered as `layout` says ("torch": i f g o,
"tf": i g f o). Their gradients are primitives too (fused kernels in `kernels.rnn`).
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError, fmt_shape
from ..kernels import rnn as K
from . import rules
from .registry import AVal, Primitive, bind, register


def _check(op: str, gates, others, layout: str) -> tuple:
    if layout not in K.ORDERS:
        raise ValueError(f"{op}: layout must be one of {tuple(K.ORDERS)}, got {layout!r}")
    rules.require_float(op, gates)
    rules.same_dtype(op, gates, *others)
    gs = tuple(gates.shape)
    if not gs:
        raise ShapeError(f"{op}: gates must have at least one axis, got shape ()")
    four_h = gs[-1]
    if four_h is not None and four_h % 4:
        raise ShapeError(f"{op}: the last axis of gates {fmt_shape(gs)} must split into 4 blocks")
    h = None if four_h is None else four_h // 4
    for x in others:
        xs = tuple(x.shape)
        ok = len(xs) == len(gs) and all(
            a is None or b is None or a == b for a, b in zip(xs, gs[:-1] + (h,), strict=True)
        )
        if not ok:
            raise ShapeError(
                f"{op}: gates {fmt_shape(gs)} need state/cotangent operands of shape "
                f"{fmt_shape(gs[:-1] + (h,))}, got {fmt_shape(xs)}"
            )
    return gs, h


def _state_rule(gates, c, forget_bias, layout) -> AVal:
    gs, h = _check("lstm_state", gates, (c,), layout)
    return AVal(gs[:-1] + (h,), np.dtype(gates.dtype))


def _output_rule(gates, cn, layout) -> AVal:
    gs, h = _check("lstm_output", gates, (cn,), layout)
    return AVal(gs[:-1] + (h,), np.dtype(gates.dtype))


def _grad_rule(op: str, width: str):
    """Rule of a gradient primitive: gates, then (..., H) operands; the result is gates-shaped
    (width "gates") or state-shaped."""

    def rule(gates, *arrays, layout, **_params) -> AVal:
        gs, h = _check(op, gates, arrays, layout)
        return AVal(gs if width == "gates" else gs[:-1] + (h,), np.dtype(gates.dtype))

    return rule


# ---- numpy references (float64 arithmetic; the tests compare kernels against them) ----------


def _blocks(gates, layout):
    parts = np.split(np.asarray(gates), 4, axis=-1)
    named = dict(zip(K.ORDERS[layout], parts, strict=True))
    return named["i"], named["f"], named["g"], named["o"]


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def _place(gates, layout, **blocks):
    out = np.zeros_like(np.asarray(gates))
    h = out.shape[-1] // 4
    for name, value in blocks.items():
        j = K.ORDERS[layout].index(name)
        out[..., j * h : (j + 1) * h] = value
    return out


def _ref_state(gates, c, forget_bias, layout):
    i, f, g, _ = _blocks(gates, layout)
    return _sig(f + forget_bias) * c + _sig(i) * np.tanh(g)


def _ref_output(gates, cn, layout):
    return _sig(_blocks(gates, layout)[3]) * np.tanh(cn)


def _ref_state_grad_gates(gates, c, g, forget_bias, layout):
    i, f, gg, _ = _blocks(gates, layout)
    sf, si, tg = _sig(f + forget_bias), _sig(i), np.tanh(gg)
    return _place(
        gates, layout, i=g * tg * si * (1 - si), f=g * c * sf * (1 - sf), g=g * si * (1 - tg * tg)
    )


def _ref_output_grad_gates(gates, cn, g, layout):
    so = _sig(_blocks(gates, layout)[3])
    return _place(gates, layout, o=g * np.tanh(cn) * so * (1 - so))


def _ref_output_grad_c(gates, cn, g, layout):
    so, tc = _sig(_blocks(gates, layout)[3]), np.tanh(cn)
    return g * so * (1 - tc * tc)


# ---- the table entries -----------------------------------------------------------------------


def _state_vjp(g, out, gates, c, wants, forget_bias, layout):
    dg = lstm_state_grad_gates(gates, c, g, forget_bias, layout) if wants[0] else None
    dc = lstm_state_grad_c(gates, g, forget_bias, layout) if wants[1] else None
    return dg, dc


def _output_vjp(g, out, gates, cn, wants, layout):
    dg = lstm_output_grad_gates(gates, cn, g, layout) if wants[0] else None
    dc = lstm_output_grad_c(gates, cn, g, layout) if wants[1] else None
    return dg, dc


LSTM_STATE = register(
    Primitive(
        "lstm_state",
        impl=lambda gates, c, forget_bias, layout: K.run("state", gates, (c,), forget_bias, layout),
        shape_rule=_state_rule,
        vjp=_state_vjp,
        reference=_ref_state,
    )
)
LSTM_OUTPUT = register(
    Primitive(
        "lstm_output",
        impl=lambda gates, cn, layout: K.run("output", gates, (cn,), 0.0, layout),
        shape_rule=_output_rule,
        vjp=_output_vjp,
        reference=_ref_output,
    )
)


def _gradient(kind: str, n_arrays: int, width: str, reference) -> Primitive:
    """Register the gradient primitive ``lstm_<kind>`` (kernel `kind`; no VJP of its own).

    Its operands are gates then n_arrays (..., H) arrays; state_* kernels also take forget_bias.
    """
    name = f"lstm_{kind}"
    with_bias = kind.startswith("state")

    def impl(gates, *arrays, layout, forget_bias=0.0):
        return K.run(kind, gates, arrays, forget_bias, layout)

    def ref(gates, *arrays, layout, forget_bias=0.0):
        return (
            reference(gates, *arrays, forget_bias, layout)
            if with_bias
            else reference(gates, *arrays, layout)
        )

    return register(
        Primitive(
            name,
            impl=impl,
            shape_rule=_grad_rule(name, width),
            reference=ref,
            nondiff=tuple(range(1 + n_arrays)),
            derivative_of="lstm_cell",
        )
    )


def _ref_state_grad_c(gates, g, forget_bias, layout):
    return g * _sig(_blocks(gates, layout)[1] + forget_bias)


LSTM_STATE_GRAD_GATES = _gradient("state_grad_gates", 2, "gates", _ref_state_grad_gates)
LSTM_STATE_GRAD_C = _gradient("state_grad_c", 1, "state", _ref_state_grad_c)
LSTM_OUTPUT_GRAD_GATES = _gradient("output_grad_gates", 2, "gates", _ref_output_grad_gates)
LSTM_OUTPUT_GRAD_C = _gradient("output_grad_c", 2, "state", _ref_output_grad_c)


def lstm_state(gates, c, forget_bias: float = 0.0, layout: str = "torch"):
    """c' = sigmoid(f + forget_bias) * c + sigmoid(i) * tanh(g) from gate pre-activations."""
    return bind(LSTM_STATE, gates, c, forget_bias=float(forget_bias), layout=layout)


def lstm_output(gates, c_new, layout: str = "torch"):
    """h' = sigmoid(o) * tanh(c') from gate pre-activations and the new cell state."""
    return bind(LSTM_OUTPUT, gates, c_new, layout=layout)


def lstm_state_grad_gates(gates, c, g, forget_bias: float, layout: str):
    """The VJP of lstm_state with respect to gates (the o block is zero)."""
    return bind(LSTM_STATE_GRAD_GATES, gates, c, g, forget_bias=forget_bias, layout=layout)


def lstm_state_grad_c(gates, g, forget_bias: float, layout: str):
    """The VJP of lstm_state with respect to c: g * sigmoid(f + forget_bias)."""
    return bind(LSTM_STATE_GRAD_C, gates, g, forget_bias=forget_bias, layout=layout)


def lstm_output_grad_gates(gates, c_new, g, layout: str):
    """The VJP of lstm_output with respect to gates (only the o block is non-zero)."""
    return bind(LSTM_OUTPUT_GRAD_GATES, gates, c_new, g, layout=layout)


def lstm_output_grad_c(gates, c_new, g, layout: str):
    """The VJP of lstm_output with respect to c'."""
    return bind(LSTM_OUTPUT_GRAD_C, gates, c_new, g, layout=layout)
