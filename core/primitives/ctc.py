"""CTC loss primitives: per-example negative log-likelihood and its gradient rule.

Operands: log-probabilities (T, N, C), padded int targets (N, S), input lengths (N,) and
target lengths (N,). The gradient is the true partial derivative with respect to the
log-probabilities (minus the posterior of each class per frame), so finite differences check
it; through a log_softmax it gives the same gradient at the logits as PyTorch and TensorFlow.
"""

from __future__ import annotations

import numpy as np

from ..errors import DTypeError, ShapeError, fmt_shape
from ..kernels import ctc as K
from . import rules
from .registry import AVal, Primitive, bind, register

_PARAMS = ("blank", "collapse", "merge", "zero_inf", "strict")


def _check_ints(op: str, what: str, x) -> None:
    if np.dtype(x.dtype).kind not in "iu":
        raise DTypeError(f"{op}: {what} must be integers, got {np.dtype(x.dtype)}")


def _rule(lp, targets, in_len, tgt_len, blank, collapse, merge, zero_inf, strict) -> AVal:
    op = "ctc_loss"
    rules.require_float(op, lp)
    for what, x in (("targets", targets), ("input_lengths", in_len), ("target_lengths", tgt_len)):
        _check_ints(op, what, x)
    ls = tuple(lp.shape)
    if len(ls) != 3:
        raise ShapeError(f"{op}: log_probs must be (T, N, C), got {fmt_shape(ls)}")
    n = ls[1]
    if len(targets.shape) != 2:
        raise ShapeError(f"{op}: targets must be padded (N, S), got {fmt_shape(targets.shape)}")
    for what, s in (
        ("targets", targets.shape[:1]),
        ("input_lengths", in_len.shape),
        ("target_lengths", tgt_len.shape),
    ):
        if len(s) != 1 or (s[0] is not None and n is not None and s[0] != n):
            raise ShapeError(
                f"{op}: {what} has shape {fmt_shape(s)}, expected batch {n} "
                f"(log_probs {fmt_shape(ls)})"
            )
    c = ls[2]
    if c is not None and not 0 <= blank < c:
        raise ValueError(f"{op}: blank index {blank} is out of range for {c} classes")
    return AVal((n,), np.dtype(lp.dtype))


def _values(lp, targets, in_len, tgt_len, blank, strict):
    """Check the values a shape rule cannot see; return int64 contiguous copies."""
    op = "ctc_loss"
    T, N, C = lp.shape
    il = np.ascontiguousarray(in_len, np.int64)
    tl = np.ascontiguousarray(tgt_len, np.int64)
    tg = np.ascontiguousarray(targets, np.int64)
    if N and (il.min() < 0 or il.max() > T):
        raise ValueError(f"{op}: input_lengths {il.tolist()} must lie in [0, {T}] (T of log_probs)")
    if N and (tl.min() < 0 or tl.max() > tg.shape[1]):
        raise ValueError(
            f"{op}: target_lengths {tl.tolist()} must lie in [0, {tg.shape[1]}] (S of targets)"
        )
    for i in range(N):
        row = tg[i, : tl[i]]
        if row.size and (row.min() < 0 or row.max() >= C or (row == blank).any()):
            raise ValueError(
                f"{op}: targets of batch element {i} ({row.tolist()}) must be classes in "
                f"[0, {C}) other than the blank {blank}"
            )
    if strict:
        for i in range(N):
            need = tl[i] + int(np.count_nonzero(tg[i, 1 : tl[i]] == tg[i, : max(tl[i] - 1, 0)]))
            if need > il[i]:
                raise ValueError(
                    f"{op}: batch element {i} has {il[i]} frames, too few for its {tl[i]} "
                    "labels (not enough time for the target sequence); pass "
                    "ignore_longer_outputs_than_inputs=True to give it a zero loss"
                )
    return np.ascontiguousarray(lp), tg, il, tl


def _impl(lp, targets, in_len, tgt_len, blank, collapse, merge, zero_inf, strict):
    lp, tg, il, tl = _values(lp, targets, in_len, tgt_len, blank, strict)
    return K.ctc_forward(lp, tg, il, tl, blank, collapse, merge, zero_inf)


def _grad_impl(lp, targets, in_len, tgt_len, g, blank, collapse, merge, zero_inf, strict):
    lp, tg, il, tl = _values(lp, targets, in_len, tgt_len, blank, False)
    g = np.ascontiguousarray(g, lp.dtype)
    return K.ctc_backward(lp, tg, il, tl, g, blank, collapse, merge, zero_inf)


def _vjp(g, out, lp, targets, in_len, tgt_len, wants, **p):
    return (ctc_loss_grad(lp, targets, in_len, tgt_len, g, **p), None, None, None)


def _ref(lp, targets, in_len, tgt_len, blank, collapse, merge, zero_inf, strict):
    """A plain probability-space sum over all alignments (small cases only)."""
    import itertools

    T, N, C = lp.shape
    out = np.empty(N, lp.dtype)
    for n in range(N):
        lab = [int(c) for c in targets[n, : tgt_len[n]]]
        if collapse:
            lab = [c for i, c in enumerate(lab) if i == 0 or lab[i - 1] != c]
        total = 0.0
        for path in itertools.product(range(C), repeat=int(in_len[n])):
            seq, prev = [], None
            for c in path:
                if c != blank and (c != prev or not merge):
                    seq.append(c)
                prev = c
            if seq == lab:
                total += np.exp(sum(float(lp[t, n, c]) for t, c in enumerate(path)))
        v = -np.log(total) if total > 0 else np.inf
        out[n] = 0.0 if (zero_inf and v == np.inf) else v
    return out


def _ref_grad(lp, targets, in_len, tgt_len, g, blank, collapse, merge, zero_inf, strict):
    """Minus g times each (t, class)'s share of the total probability (small cases only)."""
    import itertools

    T, N, C = lp.shape
    out = np.zeros(lp.shape, lp.dtype)
    for n in range(N):
        lab = [int(c) for c in targets[n, : tgt_len[n]]]
        if collapse:
            lab = [c for i, c in enumerate(lab) if i == 0 or lab[i - 1] != c]
        share, total = np.zeros((T, C)), 0.0
        for path in itertools.product(range(C), repeat=int(in_len[n])):
            seq, prev = [], None
            for c in path:
                if c != blank and (c != prev or not merge):
                    seq.append(c)
                prev = c
            if seq == lab:
                p = np.exp(sum(float(lp[t, n, c]) for t, c in enumerate(path)))
                total += p
                for t, c in enumerate(path):
                    share[t, c] += p
        if total > 0:
            out[:, n, :] = -float(g[n]) * share / total
        elif not zero_inf:
            out[: int(in_len[n]), n, :] = np.nan
    return out


CTC_LOSS = register(
    Primitive(
        "ctc_loss",
        impl=_impl,
        shape_rule=_rule,
        vjp=_vjp,
        reference=_ref,
        nondiff=(1, 2, 3),
    )
)


def _grad_rule(lp, targets, in_len, tgt_len, g, **p) -> AVal:
    _rule(lp, targets, in_len, tgt_len, **p)
    return AVal(tuple(lp.shape), np.dtype(lp.dtype))


CTC_LOSS_GRAD = register(
    Primitive(
        "ctc_loss_grad",
        impl=_grad_impl,
        shape_rule=_grad_rule,
        reference=_ref_grad,
        nondiff=(0, 1, 2, 3, 4),
        derivative_of="ctc_loss",
        shape_from=0,
    )
)


def ctc_loss(
    log_probs,
    targets,
    input_lengths,
    target_lengths,
    blank: int = 0,
    *,
    collapse: bool = False,
    merge: bool = True,
    zero_infinity: bool = False,
    strict: bool = False,
):
    """Per-example CTC negative log-likelihood of padded `targets` under (T, N, C) `log_probs`.

    `collapse` merges repeated labels of the targets first (TF's preprocess_collapse_repeated);
    `merge=False` forbids a label repeating over frames (TF's ctc_merge_repeated=False);
    `zero_infinity` gives impossible alignments a zero loss and gradient; `strict` raises
    for a target longer than its input instead of returning an infinite loss.
    """
    return bind(
        CTC_LOSS,
        log_probs,
        targets,
        input_lengths,
        target_lengths,
        blank=int(blank),
        collapse=bool(collapse),
        merge=bool(merge),
        zero_inf=bool(zero_infinity),
        strict=bool(strict),
    )


def ctc_loss_grad(log_probs, targets, input_lengths, target_lengths, g, **params):
    """The VJP of ctc_loss with respect to the log-probabilities, for cotangent `g` (N,)."""
    return bind(CTC_LOSS_GRAD, log_probs, targets, input_lengths, target_lengths, g, **params)
