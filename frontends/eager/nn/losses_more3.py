"""More losses and distances: ``margin_ranking_loss``, ``cosine_embedding_loss``,
``gaussian_nll_loss``, ``triplet_margin_loss`` (and ``_with_distance``), ``pdist``, and the
modules ``KLDivLoss``, ``MarginRankingLoss``, ``CosineEmbeddingLoss``, ``GaussianNLLLoss``,
``TripletMarginLoss``, ``TripletMarginWithDistanceLoss``, ``NLLLoss2d``, ``CosineSimilarity``,
``PairwiseDistance``, composed of eager tensor operations."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _convert as C
from .. import functions as _fn
from ..tensor import Tensor
from . import functional as F
from .loss import NLLLoss, _Loss
from .module import Module


def _reduce(per: Tensor, reduction: str, op: str) -> Tensor:
    if reduction == "mean":
        return per.mean()
    if reduction == "sum":
        return per.sum()
    if reduction == "none":
        return per
    raise ValueError(f"{op}: {reduction!r} is not a valid value for reduction")


def _legacy(size_average: Any, reduce: Any, reduction: str) -> str:
    return F._reduction(size_average, reduce, reduction)


def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0.0,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """max(0, -target * (input1 - input2) + margin)."""
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(
            f"margin_ranking_loss: all input tensors should have the same number of dimensions, "
            f"got {input1.dim()}, {input2.dim()} and {target.dim()}"
        )
    red = _legacy(size_average, reduce, reduction)
    per = (-target * (input1 - input2) + margin).clamp_min(0)
    return _reduce(per, red, "margin_ranking_loss")


_COS_EPS = 1e-12  # torch's cosine_embedding_loss guard on the squared norms


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0.0,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where it is -1."""
    if input1.dim() not in (1, 2) or tuple(input1.shape) != tuple(input2.shape):
        raise RuntimeError(
            f"cosine_embedding_loss: inputs must be 1-D or 2-D and of one shape, got "
            f"{tuple(input1.shape)} and {tuple(input2.shape)}"
        )
    if isinstance(target, Tensor) and target.dim() > 1:
        raise RuntimeError(
            "cosine_embedding_loss: 0D or 1D target tensor expected, multi-target not supported"
        )
    if isinstance(target, Tensor) and target.dim() + 1 != input1.dim():
        raise RuntimeError(
            f"cosine_embedding_loss: {target.dim()}D target tensor expects {target.dim() + 1}D "
            f"input tensors, but found inputs with sizes {list(input1.shape)} and "
            f"{list(input2.shape)}."
        )
    red = _legacy(size_average, reduce, reduction)
    dim = input1.dim() - 1
    prod = (input1 * input2).sum(dim)
    m1 = (input1 * input1).sum(dim) + _COS_EPS
    m2 = (input2 * input2).sum(dim) + _COS_EPS
    cos = prod / (m1 * m2).sqrt()
    zeros = cos * 0.0
    pos = 1.0 - cos
    neg = (cos - margin).clamp_min(0)
    per = _fn.where(target == 1, pos, zeros) + _fn.where(target == -1, neg, zeros)
    return _reduce(per, red, "cosine_embedding_loss")


def gaussian_nll_loss(
    input: Tensor,
    target: Tensor,
    var: Any,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """0.5 * (log(max(var, eps)) + (input - target)^2 / max(var, eps)) (+ 0.5 log(2 pi) when
    `full`); the clamp passes gradients straight through, as torch's does."""
    if not isinstance(var, Tensor):
        var = C.as_tensor_operand(var, like=input)
        if var.dim() == 0:
            var = var.expand(*input.shape)
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.shape[-1] == 1:
            pass
        else:
            raise ValueError(
                f"gaussian_nll_loss: var of shape {tuple(var.shape)} is incorrectly sized for "
                f"input of shape {tuple(input.shape)}"
            )
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"gaussian_nll_loss: {reduction!r} is not a valid value for reduction")
    if bool((var < 0).any()):
        raise ValueError("gaussian_nll_loss: var has negative entry/entries")
    var = var + (var.clamp_min(eps) - var).detach()
    per = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        per = per + 0.5 * math.log(2 * math.pi)
    return _reduce(per, reduction, "gaussian_nll_loss")


def triplet_margin_with_distance_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    *,
    distance_function: Callable | None = None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """max(d(a, p) - d(a, n) + margin, 0), d defaulting to pairwise_distance; with `swap`,
    d(a, n) is replaced by d(p, n) where that is smaller."""
    if not margin > 0:  # NaN too
        raise ValueError(f"triplet_margin_with_distance_loss: margin must be > 0, got {margin}")
    dims = {anchor.dim(), positive.dim(), negative.dim()}
    if len(dims) != 1 or dims.pop() not in (1, 2):
        raise RuntimeError(
            "triplet_margin_with_distance_loss: anchor, positive and negative must all be 1-D "
            f"or all 2-D, got {anchor.dim()}, {positive.dim()} and {negative.dim()} dims"
        )
    dist = distance_function if distance_function is not None else F.pairwise_distance
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = _fn.minimum(d_neg, dist(positive, negative))
    per = (d_pos - d_neg + margin).clamp_min(0)
    return _reduce(per, reduction, "triplet_margin_with_distance_loss")


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """max(||a - p + eps||_p - ||a - n + eps||_p + margin, 0)."""
    red = _legacy(size_average, reduce, reduction)
    dims = {anchor.dim(), positive.dim(), negative.dim()}
    if len(dims) != 1 or dims.pop() not in (1, 2):
        raise RuntimeError(
            "triplet_margin_loss: anchor, positive and negative must all be 1-D or all 2-D, "
            f"got {anchor.dim()}, {positive.dim()} and {negative.dim()} dims"
        )

    def dist(x: Tensor, y: Tensor) -> Tensor:
        return F.pairwise_distance(x, y, p, eps)

    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = _fn.minimum(d_neg, dist(positive, negative))
    per = (d_pos - d_neg + margin).clamp_min(0)
    return _reduce(per, red, "triplet_margin_loss")


def pdist(input: Tensor, p: float = 2) -> Tensor:
    """||x_i - x_j||_p for every row pair i < j of the (N, M) input, in row-major order."""
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if not p >= 0:  # NaN too
        raise RuntimeError(f"pdist only supports non-negative p values, got {p}")
    n = input.shape[0]
    i, j = np.triu_indices(n, 1)
    if not len(i):
        return input[:0, 0]
    diff = input[i] - input[j]
    return diff.norm(p, dim=1)


# ---- modules -----------------------------------------------------------------------------------


class KLDivLoss(_Loss):
    """kl_div as a module (input: log-probabilities; target: probabilities or, with
    `log_target`, log-probabilities)."""

    def __init__(
        self,
        size_average: Any = None,
        reduce: Any = None,
        reduction: str = "mean",
        log_target: bool = False,
    ) -> None:
        Module.__init__(self)
        self.reduction = _legacy(size_average, reduce, reduction)
        if self.reduction not in ("mean", "sum", "none", "batchmean"):
            raise ValueError(f"KLDivLoss: {self.reduction!r} is not a valid value for reduction")
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The loss."""
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class MarginRankingLoss(_Loss):
    """margin_ranking_loss as a module."""

    def __init__(
        self,
        margin: float = 0.0,
        size_average: Any = None,
        reduce: Any = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        """The loss."""
        return margin_ranking_loss(input1, input2, target, self.margin, reduction=self.reduction)


class CosineEmbeddingLoss(MarginRankingLoss):
    """cosine_embedding_loss as a module."""

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        """The loss."""
        return cosine_embedding_loss(input1, input2, target, self.margin, reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """gaussian_nll_loss as a module."""

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean"):
        super().__init__(None, None, reduction)
        self.full, self.eps = full, eps

    def forward(self, input: Tensor, target: Tensor, var: Any) -> Tensor:
        """The loss."""
        return gaussian_nll_loss(input, target, var, self.full, self.eps, self.reduction)


class TripletMarginLoss(_Loss):
    """triplet_margin_loss as a module."""

    def __init__(
        self,
        margin: float = 1.0,
        p: float = 2.0,
        eps: float = 1e-6,
        swap: bool = False,
        size_average: Any = None,
        reduce: Any = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        if not margin > 0:  # NaN too
            raise ValueError(f"TripletMarginLoss: margin must be greater than 0, got {margin}")
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        """The loss."""
        return triplet_margin_loss(
            anchor, positive, negative, self.margin, self.p, self.eps, self.swap,
            reduction=self.reduction,
        )  # fmt: skip


class TripletMarginWithDistanceLoss(_Loss):
    """triplet_margin_with_distance_loss as a module."""

    def __init__(
        self,
        *,
        distance_function: Callable | None = None,
        margin: float = 1.0,
        swap: bool = False,
        reduction: str = "mean",
    ) -> None:
        super().__init__(None, None, reduction)
        if not margin > 0:  # NaN too
            raise ValueError(
                f"TripletMarginWithDistanceLoss: margin must be greater than 0, got {margin}"
            )
        self.distance_function = distance_function
        self.margin, self.swap = margin, swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        """The loss."""
        return triplet_margin_with_distance_loss(
            anchor, positive, negative, distance_function=self.distance_function,
            margin=self.margin, swap=self.swap, reduction=self.reduction,
        )  # fmt: skip


class NLLLoss2d(NLLLoss):
    """The old name of NLLLoss for (N, C, H, W) log-probabilities."""


class CosineSimilarity(Module):
    """cosine_similarity as a module."""

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        """Cosine similarity along `dim`."""
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """pairwise_distance as a module."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        """p-norm distance of the rows."""
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


FUNCTIONS = [
    "cosine_embedding_loss", "gaussian_nll_loss", "margin_ranking_loss", "pdist",
    "triplet_margin_loss", "triplet_margin_with_distance_loss",
]  # fmt: skip
MODULES = [
    "CosineEmbeddingLoss", "CosineSimilarity", "GaussianNLLLoss", "KLDivLoss", "MarginRankingLoss",
    "NLLLoss2d", "PairwiseDistance", "TripletMarginLoss", "TripletMarginWithDistanceLoss",
]  # fmt: skip
