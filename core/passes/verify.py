"""Verify mode: compare an optimised run with a plain run of the same signature, node by node.

Both plans run in record mode (every step's value kept, no buffer recycled) from the same
random-stream state. Every IR node whose value exists in both (a fused group's inner values
do not) is compared bitwise in creation order, then the fetches, the state writes and the
random stream's final state. The first difference raises `VerifyError` naming the node, the
optimised step that produced it and the pass that made that step.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .program import CONST, FEED


class VerifyError(AssertionError):
    """An optimised plan computed a different value than the plain plan."""


def same_bits(a: Any, b: Any) -> bool:
    """True when two results are identical arrays: dtype, shape and every bit, except that any
    NaN equals any NaN (which operand's NaN an add propagates, and so the NaN's sign and payload,
    is up to the compiler: LLVM may swap the operands of a commutative instruction)."""
    if a is None or b is None:
        return a is b
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.tobytes() == b.tobytes():
        return True
    if a.dtype.kind != "f":
        return False
    na, nb = np.isnan(a), np.isnan(b)
    if not np.array_equal(na, nb):
        return False
    keep = ~na
    return np.ascontiguousarray(a[keep]).tobytes() == np.ascontiguousarray(b[keep]).tobytes()


def _detail(a: Any, b: Any) -> str:
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return f"optimised {a.dtype}{a.shape} vs plain {b.dtype}{b.shape}"
    fa, fb = np.ascontiguousarray(a).reshape(-1), np.ascontiguousarray(b).reshape(-1)
    n = fa.size
    bytes_a = fa.view(np.uint8).reshape(n, -1)
    bytes_b = fb.view(np.uint8).reshape(n, -1)
    neq = (bytes_a != bytes_b).any(axis=1)
    if a.dtype.kind == "f":
        neq &= ~(np.isnan(fa) & np.isnan(fb))
    neq = np.flatnonzero(neq)
    i = int(neq[0]) if neq.size else 0
    where = np.unravel_index(i, a.shape) if a.shape else ()
    return (
        f"{neq.size} of {a.size} elements differ; first at index {tuple(int(x) for x in where)}: "
        f"optimised {fa[i]!r} vs plain {fb[i]!r}"
    )


def _value(plan, rec: dict, v) -> tuple[bool, Any, Any]:
    """(present, value, step) of IR value v in one run of `plan`."""
    p = plan.program.value_map.get(v)
    if p is None or p.kind == FEED:
        return False, None, None
    if p.kind == CONST:
        return True, p.value, p
    k = plan._index.get(id(p))
    if k is None or k not in rec:
        return False, None, None
    return True, rec[k], p


def compare_runs(plan, plain, rec, plain_rec, out, plain_out, writes, plain_writes, rng, rng_plain):
    """Raise VerifyError at the first node, fetch or write where the two runs differ."""
    for node in plain.program.ir_nodes:
        v = node.output
        ok, val, step = _value(plan, rec, v)
        ok2, ref, _ = _value(plain, plain_rec, v)
        if not (ok and ok2) or (val is None and ref is None):
            continue
        if not same_bits(val, ref):
            what = node.prim.name if node.prim is not None else node.kind
            made = ""
            if step is not None and step.origin:
                made = f"; the optimised value comes from step '{step.name}' ({step.what}) made by "
                made += f"the '{step.origin}' pass"
            raise VerifyError(
                f"verify: node '{node.name}' ({what}) differs between the optimised and the "
                f"plain plan: {_detail(val, ref)}{made}"
            )
    for i, (a, b) in enumerate(zip(out, plain_out, strict=True)):
        if not same_bits(a, b):
            raise VerifyError(f"verify: fetch {i} differs: {_detail(a, b)}")
    if set(writes) != set(plain_writes):
        raise VerifyError("verify: the optimised and plain plans wrote different variables")
    for k, a in writes.items():
        if not same_bits(a, plain_writes[k]):
            raise VerifyError(f"verify: the write to {k!r} differs: {_detail(a, plain_writes[k])}")
    if str(rng) != str(rng_plain):
        raise VerifyError("verify: the plans drew a different amount from the random stream")
