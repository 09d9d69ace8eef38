"""``torch.nn.utils``: gradient clipping, written with core ops."""

from __future__ import annotations

import sys
from collections.abc import Iterable

import numpy as np

from ....core import functional as CF
from ....core import ops
from .. import dispatch as _dispatch
from ..grad_mode import no_grad
from ..tensor import Tensor


def clip_grad_norm_(
    parameters: Iterable[Tensor] | Tensor,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    """Scale all gradients together so their joint norm is at most max_norm; return that norm."""
    ps = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return _clip_norm(ps, max_norm, norm_type, error_if_nonfinite)


# The clipping writes the .grad arrays with core ops, which a capture does not see as
# operations: inside a compiled function it is a call made again at each replay (on the
# parameter list, never on a generator a replay would find exhausted).
@_dispatch.replayed
def _clip_norm(params: list, max_norm: float, norm_type: float, error_if_nonfinite: bool):
    ps = [p for p in params if p.grad is not None]
    if not ps:
        return Tensor._make(np.zeros((), np.float32))
    with no_grad():
        norms = ops.stack([CF.norm(p.grad._data, norm_type) for p in ps])
        total = CF.norm(norms, norm_type)
        if error_if_nonfinite and not np.isfinite(total):
            raise RuntimeError(
                f"The total norm of order {norm_type} for gradients from `parameters` is "
                "non-finite, so it cannot be clipped."
            )
        coef = ops.div(
            np.asarray(max_norm, total.dtype), ops.add(total, np.asarray(1e-6, total.dtype))
        )
        coef = ops.minimum(coef, np.asarray(1.0, total.dtype))
        for p in ps:
            g = p.grad
            g._data[...] = ops.mul(g._data, ops.cast(coef, g._data.dtype))
    return Tensor._make(total)


def clip_grad_value_(parameters: Iterable[Tensor] | Tensor, clip_value: float) -> None:
    """Clamp every gradient element to [-clip_value, clip_value]."""
    _clip_value([parameters] if isinstance(parameters, Tensor) else list(parameters), clip_value)


@_dispatch.replayed
def _clip_value(params: list, clip_value: float) -> None:
    with no_grad():
        for p in params:
            if p.grad is not None:
                p.grad.clamp_(-clip_value, clip_value)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened into one vector."""
    return ops.concat([ops.reshape(p, (-1,)) for p in parameters], 0)


# names real programs use (deprecated spellings included), kept in a module of their own
from ..realprog_surface import clip_grad_norm, vector_to_parameters  # noqa: E402, F401

# torch.nn.utils.rnn: a module of its own, importable by its dotted name too
from . import packed as rnn  # noqa: E402

# weight_norm / spectral_norm: the weight recomputed before each forward (weight_reparam.py)
from .weight_reparam import (  # noqa: E402, F401
    remove_spectral_norm,
    remove_weight_norm,
    spectral_norm,
    weight_norm,
)

sys.modules[__name__ + ".rnn"] = rnn

# A name this module does not provide raises NotImplementedError naming it (see missing.py).
from ..missing import module_getattr  # noqa: E402

__getattr__ = module_getattr("torch.nn.utils", globals())
