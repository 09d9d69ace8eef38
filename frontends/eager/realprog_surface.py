"""Names real PyTorch programs use that the rest of the eager frontend did not provide.

Each one was found by running public tutorial and example programs after changing only their
import lines; the semantics follow torch 2.13 (oracle tests:
tests/eager/test_realprog_fixes_torch.py).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

from .grad_mode import no_grad
from .tensor import Tensor


def clip_grad_norm(
    parameters: Iterable[Tensor] | Tensor,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    """The deprecated spelling of clip_grad_norm_: warns as torch does, then clips in place."""
    from .nn.utils import clip_grad_norm_

    warnings.warn(
        "`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
        "`torch.nn.utils.clip_grad_norm_`.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of a flat vector into the parameters (inverse of
    parameters_to_vector)."""
    if not isinstance(vec, Tensor):
        raise TypeError(
            f"vector_to_parameters: expected vec to be a Tensor, got {type(vec).__name__}"
        )
    params = list(parameters)
    total = sum(int(p.numel()) for p in params)
    if vec.dim() != 1 or int(vec.numel()) != total:
        raise ValueError(
            f"vector_to_parameters: vec has shape {tuple(vec.shape)} but the parameters hold "
            f"{total} elements; pass a 1-D vector of exactly that length"
        )
    offset = 0
    with no_grad():
        for p in params:
            n = int(p.numel())
            p.copy_(vec[offset : offset + n].view_as(p))
            offset += n
