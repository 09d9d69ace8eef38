"""``nn.AdaptiveLogSoftmaxWithLoss`` (Grave et al., 2017): a head over the frequent classes plus
one entry per tail cluster, each cluster a two-layer projection; forward gives each target's
log-probability and the mean loss, ``log_prob`` / ``predict`` the full distribution. Composed of
eager tensor operations, with torch's layer names and shapes."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from ....core import ops
from .. import functions as _fn
from ..tensor import Tensor
from .containers import ModuleList, Sequential
from .layers import Linear
from .module import Module

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    """Efficient softmax over many classes, split at `cutoffs` into a head and tail clusters."""

    def __init__(
        self,
        in_features: int,
        n_classes: int,
        cutoffs: Any,
        div_value: float = 4.0,
        head_bias: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if (
            cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
            or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs)
        ):  # fmt: skip
            raise ValueError(
                "cutoffs should be a sequence of unique, positive integers sorted in an "
                "increasing order, where each value is between 1 and n_classes-1"
            )
        self.in_features, self.n_classes = in_features, n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value, self.head_bias = div_value, head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(in_features, self.head_size, bias=head_bias, dtype=dtype)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hsz = int(in_features // (div_value ** (i + 1)))
            osz = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(
                Sequential(
                    Linear(in_features, hsz, bias=False, dtype=dtype),
                    Linear(hsz, osz, bias=False, dtype=dtype),
                )
            )

    def reset_parameters(self) -> None:
        """Every layer's own initialisation again."""
        for m in self.modules():
            if isinstance(m, Linear):
                m.reset_parameters()

    def forward(self, input_: Tensor, target_: Any) -> _ASMoutput:
        """(each target's log-probability, their mean negative) for (N, in) input and (N,)
        targets, or one unbatched sample."""
        target = target_ if isinstance(target_, Tensor) else Tensor(np.asarray(target_))
        batched = target.dim() == 1
        if target.dim() == 0 and input_.dim() == 1:
            input_, target = input_.unsqueeze(0), target.unsqueeze(0)
        elif not (batched and input_.dim() == 2):
            raise RuntimeError(
                "AdaptiveLogSoftmaxWithLoss: expected (N, in_features) input with (N,) target or "
                f"(in_features,) input with a 0-d target, got {tuple(input_.shape)} and "
                f"{tuple(target.shape)}"
            )
        if input_.shape[0] != target.shape[0]:
            raise RuntimeError("Input and target should have the same size in the batch dimension.")
        t = target._data.astype(np.int64)
        if t.size and (t.min() < 0 or t.max() >= self.n_classes):
            raise RuntimeError(
                f"Target values should be in [0, {self.n_classes - 1}], but values in range "
                f"[{t.min()}, {t.max()}] were found. "
            )
        gather_inds = t.copy()
        output = None
        bounds = [0] + self.cutoffs
        for i in range(1, len(bounds) - 1):
            lo, hi = bounds[i], bounds[i + 1]
            rows = np.nonzero((t >= lo) & (t < hi))[0]
            if not rows.size:
                continue
            gather_inds[rows] = self.shortlist_size + i - 1
            subset = input_[Tensor._make(rows)]
            logprob = _fn.log_softmax(self.tail[i - 1](subset), 1)
            local = logprob.gather(1, Tensor._make((t[rows] - lo)[:, None])).squeeze(1)
            zeros = ops.fill_like(ops.getitem(input_, (slice(None), 0)), 0.0)
            part = ops.scatter_add_like(local, zeros, rows, 0)
            output = part if output is None else output + part
        head_logprob = _fn.log_softmax(self.head(input_), 1)
        picked = head_logprob.gather(1, Tensor._make(gather_inds[:, None])).squeeze(1)
        output = picked if output is None else output + picked
        loss = (-output).mean()
        if not batched:
            output = output.squeeze(0)
        return _ASMoutput(output, loss)

    def _full_log_prob(self, input: Tensor, head_output: Tensor) -> Tensor:
        head_logprob = _fn.log_softmax(head_output, 1)
        pieces = [head_logprob[:, : self.shortlist_size]]
        for i in range(self.n_clusters):
            cluster = _fn.log_softmax(self.tail[i](input), 1)
            pieces.append(cluster + head_logprob[:, self.shortlist_size + i].unsqueeze(1))
        return ops.concat(pieces, 1)

    def log_prob(self, input: Tensor) -> Tensor:
        """log p(class) for every class: (N, n_classes), or (n_classes,) for one sample."""
        x = input.unsqueeze(0) if input.dim() == 1 else input
        out = self._full_log_prob(x, self.head(x))
        return out.squeeze(0) if input.dim() == 1 else out

    def predict(self, input: Tensor) -> Tensor:
        """The most likely class of each sample."""
        return self.log_prob(input).argmax(-1)


FUNCTIONS: list[str] = []
MODULES = ["AdaptiveLogSoftmaxWithLoss"]
