"""The primitives table: every core operation declared once (kernel, shape rule, VJP, reference)."""

from . import (  # noqa: F401  (each module registers its primitives)
    attention,
    attribution,
    batchnorm,
    batchnorm_infer,
    bounds,
    complex,
    conv,
    ctc,
    depthwise,
    dynamic,
    elementwise,
    elementwise_more,
    grid_sample,
    guards,
    labels,
    layernorm,
    linalg,
    linalg_decomp,
    linalg_inv,
    nn,
    numerics,
    pool,
    probability,
    randomness,
    reduction,
    rnn,
    rnn_seq,
    rnn_seq_gru_tf,
    rounding,
    runtime_shapes,
    scatter,
    scatter_last,
    shaping,
    sparse,
    special,
    trig,
)
from . import distributed as _collectives  # noqa: F401  (allreduce, broadcast)
from .registry import REGISTRY, AVal, Primitive, bind, is_symbolic, register

__all__ = ["AVal", "Primitive", "REGISTRY", "bind", "is_symbolic", "register"]
