"""``F.ctc_loss`` and ``nn.CTCLoss``: PyTorch's CTC loss over the core's CTC primitive."""

from __future__ import annotations

from typing import Any

import numpy as np

from ....core import ctc as CC
from ....core import ops
from .. import _convert as C
from ..tensor import Tensor
from .module import Module


def _host_ints(x: Any, what: str) -> np.ndarray:
    """Lengths and targets as int64 numpy (tensors, tuples and lists alike)."""
    arr = x._data if isinstance(x, Tensor) else np.asarray(x)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"ctc_loss: {what} must be integers, got {arr.dtype}")
    return np.asarray(arr, np.int64)


def ctc_loss(
    log_probs: Tensor,
    targets: Any,
    input_lengths: Any,
    target_lengths: Any,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
) -> Tensor:
    """Connectionist temporal classification loss of (T, N, C) log-probabilities.

    Targets are padded (N, S) or concatenated 1-D; lengths are tensors, tuples or lists.
    """
    x = C.floating(log_probs)
    unbatched = x.ndim == 2
    if unbatched:  # (T, C) with (S,) targets and scalar lengths
        x = ops.expand_dims(x, 1)
    if x.ndim != 3:
        raise ValueError(f"ctc_loss: log_probs must be (T, N, C) or (T, C), got {tuple(x.shape)}")
    il = _host_ints(input_lengths, "input_lengths").reshape(-1)
    tl = _host_ints(target_lengths, "target_lengths").reshape(-1)
    tg = _host_ints(targets, "targets")
    if unbatched:
        tg = tg.reshape(1, -1)
    elif tg.ndim == 1:
        tg = CC.pad_concatenated(tg, tl)
    out = CC.ctc_loss(x, tg, il, tl, blank, reduction, zero_infinity)
    if unbatched and reduction == "none":
        out = ops.squeeze(out, (0,))
    return out


class CTCLoss(Module):
    """The CTC loss as a module (blank, reduction, zero_infinity as in PyTorch)."""

    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False):
        super().__init__()
        self.blank, self.reduction, self.zero_infinity = blank, reduction, zero_infinity

    def forward(
        self, log_probs: Tensor, targets: Any, input_lengths: Any, target_lengths: Any
    ) -> Tensor:
        """The loss."""
        return ctc_loss(
            log_probs,
            targets,
            input_lengths,
            target_lengths,
            self.blank,
            self.reduction,
            self.zero_infinity,
        )


def ctc_greedy_decode(log_probs: Any, input_lengths: Any = None, blank: int = 0) -> list[list[int]]:
    """Best-path decoding of (T, N, C) scores: one label list per batch element."""
    lp = log_probs._data if isinstance(log_probs, Tensor) else np.asarray(log_probs)
    if lp.ndim != 3:
        raise ValueError(f"ctc_greedy_decode: log_probs must be (T, N, C), got shape {lp.shape}")
    lengths = (
        np.full(lp.shape[1], lp.shape[0])
        if input_lengths is None
        else _host_ints(input_lengths, "input_lengths").reshape(-1)
    )
    return CC.greedy_decode(lp, lengths, blank)[0]


def ctc_beam_decode(
    log_probs: Any, input_lengths: Any = None, beam_width: int = 10, blank: int = 0
) -> list[list[int]]:
    """Prefix beam-search decoding of (T, N, C) log-probabilities: the best label list each."""
    lp = log_probs._data if isinstance(log_probs, Tensor) else np.asarray(log_probs)
    if lp.ndim != 3:
        raise ValueError(
            f"ctc_beam_decode: log_probs must be (T, N, C) log-probabilities, got shape {lp.shape}"
        )
    lengths = (
        np.full(lp.shape[1], lp.shape[0])
        if input_lengths is None
        else _host_ints(input_lengths, "input_lengths").reshape(-1)
    )
    return [p[0] for p in CC.beam_decode(lp, lengths, beam_width, 1, blank)[0]]
