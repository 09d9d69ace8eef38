"""The core operations: every arithmetic step of both frontends and of every VJP rule.

Each function binds one primitive (see `primitives/`). Handed arrays, it runs the kernel now;
handed symbolic values, it adds a node to their graph.
"""

from __future__ import annotations

from .primitives.attribution import rectify_grad
from .primitives.conv import conv2d, conv2d_filter_grad, conv2d_input_grad, conv_padding
from .primitives.elementwise import (
    abs,
    add,
    cos,
    div,
    equal,
    exp,
    greater,
    greater_equal,
    less,
    less_equal,
    log,
    maximum,
    minimum,
    mul,
    neg,
    not_equal,
    pow,
    relu,
    relu_grad,
    scalar,
    sigmoid,
    sigmoid_grad,
    sign,
    sin,
    sqrt,
    square,
    sub,
    tanh,
    tanh_grad,
    where,
)
from .primitives.linalg import matmul
from .primitives.nn import (
    gather,
    log_softmax,
    log_softmax_grad,
    logsumexp,
    pick,
    pick_grad,
    scatter_add_like,
    softmax,
    softmax_grad,
)
from .primitives.pool import (
    avg_pool2d,
    avg_pool2d_grad,
    max_pool2d,
    max_pool2d_grad,
    max_pool2d_pick,
)
from .primitives.reduction import argmax, argmin, count_like, max, mean, min, sum
from .primitives.rounding import ceil, floor, round, trunc  # noqa: A004
from .primitives.shaping import (
    broadcast_like,
    broadcast_to,
    cast,
    concat,
    expand_dims,
    fill_like,
    getitem,
    getitem_grad,
    identity,
    reshape,
    reshape_like,
    squeeze,
    stack,
    stop_gradient,
    sum_like,
    transpose,
)

__all__ = [
    "abs", "add", "argmax", "argmin", "broadcast_like", "broadcast_to", "cast", "concat",
    "cos", "count_like", "div", "equal", "exp", "expand_dims", "fill_like", "gather", "getitem",
    "getitem_grad", "greater", "greater_equal", "identity", "less", "less_equal", "log",
    "log_softmax", "log_softmax_grad", "logsumexp", "matmul", "max", "maximum", "mean", "min",
    "minimum", "mul", "neg", "not_equal", "pick", "pick_grad", "pow", "relu", "relu_grad",
    "reshape", "reshape_like", "scalar", "scatter_add_like", "sigmoid", "sigmoid_grad", "sign",
    "sin", "softmax", "softmax_grad", "sqrt", "square", "squeeze", "stack", "stop_gradient", "sub",
    "sum", "sum_like", "tanh", "tanh_grad", "transpose", "where",
    "conv2d", "conv2d_input_grad", "conv2d_filter_grad", "conv_padding", "max_pool2d",
    "max_pool2d_grad", "max_pool2d_pick", "avg_pool2d", "avg_pool2d_grad",
    "ceil", "floor", "round", "trunc",
    "rectify_grad",
]  # fmt: skip
