"""CTC compositions both frontends share: the reduced loss, target layouts and decoders.

`nn.CTCLoss` and `tf.nn.ctc_loss` both end in `ctc_loss` here, so the two styles run the same
primitives in the same order. Decoders run on the host (they pick discrete paths, nothing to
differentiate).
"""

from __future__ import annotations

import numpy as np

from . import ops
from .primitives.ctc import ctc_loss as _ctc_nll

REDUCTIONS = ("mean", "sum", "none")


def ctc_loss(
    log_probs,
    targets,
    input_lengths,
    target_lengths,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
    **flags,
):
    """CTC loss with PyTorch's reductions: 'mean' divides each loss by its target length."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"ctc_loss: reduction must be one of {REDUCTIONS}, got {reduction!r}")
    per = _ctc_nll(
        log_probs,
        targets,
        input_lengths,
        target_lengths,
        blank,
        zero_infinity=zero_infinity,
        **flags,
    )
    if reduction == "none":
        return per
    if reduction == "sum":
        return ops.sum(per)
    dt = np.dtype(log_probs.dtype)
    lengths = ops.maximum(ops.cast(target_lengths, dt), ops.scalar(1, per))
    return ops.mean(ops.div(per, lengths))


def pad_concatenated(targets: np.ndarray, target_lengths: np.ndarray) -> np.ndarray:
    """Concatenated 1-D targets (sum of target_lengths entries) as padded (N, max S) rows."""
    tl = np.asarray(target_lengths, np.int64).reshape(-1)
    t = np.asarray(targets).reshape(-1)
    if t.shape[0] != int(tl.sum()):
        raise ValueError(
            f"ctc_loss: 1-D targets hold {t.shape[0]} labels but target_lengths sum to "
            f"{int(tl.sum())}; pass padded (N, S) targets or make them agree"
        )
    out = np.zeros((tl.shape[0], max(int(tl.max(initial=0)), 1)), np.int64)
    start = 0
    for i, n in enumerate(tl):
        out[i, :n] = t[start : start + n]
        start += n
    return out


def sparse_to_padded(indices: np.ndarray, values: np.ndarray, shape) -> tuple:
    """(N, S) padded labels and (N,) lengths from a 2-D sparse label matrix (row-major)."""
    idx = np.asarray(indices, np.int64).reshape(-1, 2)
    n, s = int(shape[0]), int(shape[1])
    out = np.zeros((n, max(s, 1)), np.int64)
    lengths = np.zeros(n, np.int64)
    out[idx[:, 0], idx[:, 1]] = np.asarray(values, np.int64)
    if idx.shape[0]:
        np.maximum.at(lengths, idx[:, 0], idx[:, 1] + 1)
    return out, lengths


def greedy_decode(
    log_probs: np.ndarray, lengths: np.ndarray, blank: int = 0, merge_repeated: bool = True
) -> tuple[list[list[int]], np.ndarray]:
    """Best path per batch element of (T, N, C) scores: argmax, merge repeats, drop blanks.

    Returns the label lists and each path's negative summed score (TF's neg_sum_logits).
    """
    lp = np.asarray(log_probs)
    best = lp.argmax(-1)  # (T, N)
    out, scores = [], np.zeros(lp.shape[1], lp.dtype)
    for n in range(lp.shape[1]):
        t_n = int(lengths[n])
        path = best[:t_n, n]
        scores[n] = -lp[np.arange(t_n), n, path].sum()
        seq, prev = [], -1
        for c in path.tolist():
            if c != blank and not (merge_repeated and c == prev):
                seq.append(c)
            prev = c
        out.append(seq)
    return out, scores


def _lse(a: float, b: float) -> float:
    return float(np.logaddexp(a, b))


def beam_decode(
    log_probs: np.ndarray,
    lengths: np.ndarray,
    beam_width: int = 100,
    top_paths: int = 1,
    blank: int = 0,
    merge_repeated: bool = True,
) -> tuple[list[list[list[int]]], np.ndarray]:
    """Prefix beam search per batch element; returns top_paths label lists and log-probs each.

    With merge_repeated=False a repeated label extends the prefix again (TF's option).
    """
    lp = np.asarray(log_probs, np.float64)
    T, N, C = lp.shape
    if top_paths > beam_width:
        raise ValueError(
            f"ctc_beam_search_decoder: top_paths {top_paths} > beam_width {beam_width}"
        )
    all_paths, all_scores = [], np.full((N, top_paths), -np.inf)
    for n in range(N):
        # prefix -> (log p ending in blank, log p ending in a label)
        beams: dict[tuple, list[float]] = {(): [0.0, -np.inf]}
        for t in range(int(lengths[n])):
            nxt: dict[tuple, list[float]] = {}
            row = lp[t, n]
            for prefix, (pb, pnb) in beams.items():
                tot = _lse(pb, pnb)
                e = nxt.setdefault(prefix, [-np.inf, -np.inf])
                e[0] = _lse(e[0], tot + row[blank])
                last = prefix[-1] if prefix else None
                for c in range(C):
                    if c == blank:
                        continue
                    p = row[c]
                    if c == last and merge_repeated:
                        e[1] = _lse(e[1], pnb + p)  # stays on the same label
                        ext = nxt.setdefault(prefix + (c,), [-np.inf, -np.inf])
                        ext[1] = _lse(ext[1], pb + p)  # a blank separated the repeat
                    else:
                        ext = nxt.setdefault(prefix + (c,), [-np.inf, -np.inf])
                        ext[1] = _lse(ext[1], tot + p)
            ranked = sorted(nxt.items(), key=lambda kv: -_lse(*kv[1]))
            beams = dict(ranked[:beam_width])
        ranked = sorted(beams.items(), key=lambda kv: -_lse(*kv[1]))[:top_paths]
        all_paths.append([list(p) for p, _ in ranked])
        for k, (_, v) in enumerate(ranked):
            all_scores[n, k] = _lse(*v)
    return all_paths, all_scores


def edit_distance(a: list, b: list) -> int:
    """Levenshtein distance between two label sequences."""
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y))
        prev = cur
    return prev[-1]
