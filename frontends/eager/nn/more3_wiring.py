"""Collects the functions and modules of the `*_more3` files, for one import line each in
``torch.nn.functional`` and ``torch.nn``."""

from __future__ import annotations

from types import ModuleType


def _sources() -> tuple[ModuleType, ...]:
    from . import (
        activations_more3,
        adaptive_softmax,
        conv_grad,
        layers_more3,
        lazy_more3,
        linear_ce,
        losses_more3,
        norm_more3,
        pool_more3,
    )

    return (
        activations_more3, losses_more3, layers_more3, norm_more3, pool_more3, lazy_more3,
        adaptive_softmax, linear_ce, conv_grad,
    )  # fmt: skip


def functions() -> dict:
    """The ``torch.nn.functional`` names, by name."""
    return {n: getattr(m, n) for m in _sources() for n in m.FUNCTIONS}


def modules() -> dict:
    """The ``torch.nn`` names, by name."""
    return {n: getattr(m, n) for m in _sources() for n in m.MODULES}
