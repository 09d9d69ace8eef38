"""Primitives of the attribution methods: gradients rewritten on the way back, forward unchanged.

`rectify_grad(x)` is x going forward and passes back only the positive part of the incoming
gradient, max(g, 0): the rectified backward pass of guided backpropagation and deconvolution,
written once here so that eager modules and graph ops differentiate through the same rule.
"""

from __future__ import annotations

import numpy as np

from .elementwise import relu
from .registry import VIEW, AVal, Primitive, bind, register, same_dims


def rectify_grad(x):
    """x going forward; the gradient max(g, 0) going back."""
    return bind(RECTIFY_GRAD, x)


RECTIFY_GRAD = register(
    Primitive(
        "rectify_grad",
        impl=lambda x: x,
        shape_rule=lambda x: AVal(tuple(x.shape), np.dtype(x.dtype)),
        vjp=lambda g, out, x, wants: (relu(g),),
        reference=lambda x: x,
        alias=VIEW,
        dims=same_dims,
        vjp_rewritten=True,
    )
)
