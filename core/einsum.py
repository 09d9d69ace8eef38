"""`einsum(equation, *operands)` lowered to core ops: diagonals, sums, transposes, reshapes, matmul.

Both frontends call this one function, so `torch.einsum` and `tf.einsum` run the same primitives
in the same order (bitwise parity) and get their gradients from those primitives' rules. The
operands are contracted left to right, two at a time, each pair as one (batched) matmul:
labels both share and still need become the batch, labels only one has become rows / columns,
labels nothing later needs are summed by the matmul (or summed away early when only one operand
has them).
"""

from __future__ import annotations

import string
from typing import Any

import numpy as np

from . import ops
from .errors import ShapeError

_LETTERS = set(string.ascii_letters)
_ELLIPSIS_BASE = 0x100  # labels of the dims an ellipsis stands for (never a letter)


def _shape(op: str, x: Any) -> tuple:
    shape = tuple(x.shape)
    if any(d is None for d in shape):
        raise ShapeError(f"{op}: operand shapes must be known, got {shape}")
    return tuple(int(d) for d in shape)


def _parse(equation: str, shapes: list[tuple]) -> tuple[list[list[str]], list[str]]:
    """Per-operand label lists and the output labels, ellipses expanded to private labels."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(
            f"einsum(): the equation {equation!r} names {len(terms)} operand(s) but "
            f"{len(shapes)} were given"
        )
    parts = []
    n_ell = 0
    for i, (term, shape) in enumerate(zip(terms, shapes, strict=True)):
        head, dots, tail = term.partition("...")
        for ch in head + tail:
            if ch not in _LETTERS:
                raise ValueError(f"einsum(): invalid subscript {ch!r} in {equation!r}")
        named = len(head) + len(tail)
        if (not dots and named != len(shape)) or (dots and named > len(shape)):
            raise ValueError(
                f"einsum(): the subscripts {term!r} of operand {i} name {named} dimension(s) "
                f"but the operand has shape {shape}"
            )
        k = len(shape) - named if dots else 0
        n_ell = max(n_ell, k)
        parts.append((head, k, tail))
    # an operand with fewer ellipsis dims lines them up with the trailing ones (broadcasting)
    labels = [
        list(head) + [chr(_ELLIPSIS_BASE + n_ell - k + j) for j in range(k)] + list(tail)
        for head, k, tail in parts
    ]
    all_ell = [chr(_ELLIPSIS_BASE + j) for j in range(n_ell)]
    if arrow:
        head, dots, tail = rhs.partition("...")
        for ch in head + tail:
            if ch not in _LETTERS:
                raise ValueError(f"einsum(): invalid output subscript {ch!r} in {equation!r}")
        out = list(head) + (all_ell if dots else []) + list(tail)
        seen = set()
        for ch in out:
            if ch in seen:
                raise ValueError(f"einsum(): output subscript {ch!r} appears more than once")
            if not any(ch in lb for lb in labels):
                raise ValueError(
                    f"einsum(): output subscript {ch!r} does not appear in the equation's inputs"
                )
            seen.add(ch)
    else:
        counts: dict[str, int] = {}
        for lb in labels:
            for ch in lb:
                counts[ch] = counts.get(ch, 0) + 1
        once = sorted(ch for ch, c in counts.items() if c == 1 and ch in _LETTERS)
        out = all_ell + once
    return labels, out


def _diagonal(x: Any, lab: list[str], shape: tuple) -> tuple[Any, list[str]]:
    """Take the diagonal over every label an operand repeats ('ii->i'), as a gather (getitem)."""
    while len(set(lab)) < len(lab):
        ch = next(c for c in lab if lab.count(c) > 1)
        i = lab.index(ch)
        j = lab.index(ch, i + 1)
        if shape[i] != shape[j]:
            raise ShapeError(
                f"einsum(): subscript {ch!r} is repeated for dimensions of sizes {shape[i]} "
                f"and {shape[j]}"
            )
        rest = [p for p in range(len(lab)) if p not in (i, j)]
        x = ops.transpose(x, tuple(rest + [i, j]))
        ar = np.arange(shape[i])
        x = ops.getitem(x, (slice(None),) * len(rest) + (ar, ar))
        lab = [lab[p] for p in rest] + [ch]
        shape = tuple(shape[p] for p in rest) + (shape[i],)
    return x, lab


def _align(x: Any, lab: list[str], sizes: dict[str, int]) -> Any:
    """Broadcast size-1 dims whose label is longer elsewhere (ellipsis broadcasting)."""
    shape = _shape("einsum", x)
    want = tuple(sizes[c] for c in lab)
    return x if shape == want else ops.broadcast_to(x, want)


def _contract(a, la, b, lb, keep: set[str], sizes: dict[str, int]):
    """One pair: batch = shared and kept, k = shared and not kept, m / n = one side only."""
    batch = [c for c in la if c in lb and c in keep]
    k = [c for c in la if c in lb and c not in keep]
    m = [c for c in la if c not in lb]
    n = [c for c in lb if c not in la]
    pa = [la.index(c) for c in batch + m + k]
    pb = [lb.index(c) for c in batch + k + n]
    if pa != list(range(len(pa))):
        a = ops.transpose(a, tuple(pa))
    if pb != list(range(len(pb))):
        b = ops.transpose(b, tuple(pb))
    bs = [sizes[c] for c in batch]
    ms, ks, ns = (int(np.prod([sizes[c] for c in g], dtype=np.int64)) for g in (m, k, n))
    a = ops.reshape(a, tuple(bs) + (ms, ks))
    b = ops.reshape(b, tuple(bs) + (ks, ns))
    y = ops.matmul(a, b)
    out_lab = batch + m + n
    return ops.reshape(y, tuple(sizes[c] for c in out_lab)), out_lab


def einsum(equation: str, *operands: Any) -> Any:
    """Einstein summation over `operands` as `equation` says ('ij,jk->ik', '...ij->...ji')."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError("einsum(): must provide at least one operand")
    shapes = [_shape("einsum", x) for x in operands]
    labels, out = _parse(equation, shapes)
    sizes: dict[str, int] = {}
    for lab, shape in zip(labels, shapes, strict=True):
        for c, d in zip(lab, shape, strict=True):
            prev = sizes.get(c)
            if prev is not None and prev != d and 1 not in (prev, d):
                name = "..." if ord(c) >= _ELLIPSIS_BASE else repr(c)
                raise ShapeError(
                    f"einsum(): subscript {name} has size {d} for an operand of shape {shape} "
                    f"which does not broadcast with size {prev} of an earlier operand "
                    f"(operand shapes {shapes})"
                )
            sizes[c] = max(prev or d, d) if prev is not None else d
    xs, labs = [], []
    for x, lab, shape in zip(operands, labels, shapes, strict=True):
        x, lab = _diagonal(x, lab, shape)
        xs.append(_align(x, lab, sizes))
        labs.append(lab)
    # labels only one operand has and the output does not need: sum them away first
    for i, lab in enumerate(labs):
        others = set(out).union(*(set(lb) for j, lb in enumerate(labs) if j != i))
        drop = [p for p, c in enumerate(lab) if c not in others]
        if drop:
            xs[i] = ops.sum(xs[i], axes=tuple(drop))
            labs[i] = [c for c in lab if c in others]
    x, lab = xs[0], labs[0]
    for i in range(1, len(xs)):
        keep = set(out).union(*(set(lb) for lb in labs[i + 1 :]))
        x, lab = _contract(x, lab, xs[i], labs[i], keep, sizes)
    perm = [lab.index(c) for c in out]
    if perm != list(range(len(lab))):
        x = ops.transpose(x, tuple(perm))
    return x
