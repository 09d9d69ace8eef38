"""Attention on blocks of query rows (`kernels.sdpa_blocked`) gives the row kernels' bits.

Shapes that take the blocked path (whole vectors of d, dv and keys, at least one whole block of
query rows), with tail rows and tail key rows, every mask kind, dropout, both dtypes, serial and
threaded; shapes that do not fit fall back to the row kernels.
"""

from __future__ import annotations

import numpy as np
import pytest
from duograd.core.kernels import sdpa as rows
from duograd.core.kernels import sdpa_blocked as blocked
from duograd.core.kernels.matmul_ukernel import NARROW_MR

RNG = np.random.default_rng(41)
pytestmark = pytest.mark.skipif(
    not blocked.fits(np.float32, NARROW_MR, 16, 16, 16), reason="no compiled micro-kernel"
)


def _operands(n, length, source, d, dv, dt, mask_kind, keep):
    q = RNG.standard_normal((n, 2, length, d)).astype(dt)
    k = RNG.standard_normal((n, 2, source, d)).astype(dt)
    v = RNG.standard_normal((n, 2, source, dv)).astype(dt)
    g = RNG.standard_normal((n, 2, length, dv)).astype(dt)
    mask, has_mask, causal = None, False, False
    if mask_kind == "causal":
        causal = True
    elif mask_kind == "bool":
        mask, has_mask = RNG.random((length, source)) < 0.3, True
        mask[:, 0] = False
    elif mask_kind == "additive":
        mask, has_mask = RNG.standard_normal((n, 2, length, source)).astype(dt), True
    elif mask_kind == "padding":
        mask, has_mask = np.zeros((n, 1, 1, source), dt), True
        mask[0, ..., -3:] = -np.inf
    drop = RNG.random((n, 2, length, source)) < keep if keep < 1 else None
    return (q, k, v, mask, drop, 1 / np.sqrt(d), has_mask, causal, keep), g


CASES = [  # (n, length, source, d, dv)
    (2, NARROW_MR, 16, 16, 16),
    (2, 3 * NARROW_MR + 5, 64, 32, 32),
    (1, 2 * NARROW_MR + 1, 48, 16, 32),
    (3, 64, 64, 32, 16),
    (1, NARROW_MR + 7, 80, 48, 16),
]


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("mask_kind", [None, "causal", "bool", "additive", "padding"])
@pytest.mark.parametrize("shape", CASES)
@pytest.mark.parametrize("threads", ["serial", "parallel"])
def test_blocked_gives_the_row_kernels_bits(shape, mask_kind, dt, threads, monkeypatch):
    args, g = _operands(*shape, dt, mask_kind, 1.0)
    if not blocked.fits(dt, shape[1], shape[3], shape[4], shape[2]):
        pytest.skip("shape does not take the blocked path on this CPU")
    monkeypatch.setattr(rows, "parallel", lambda *a: threads == "parallel")
    want_out, want_grads = rows.forward(*args), rows.backward(g, *args)
    monkeypatch.setattr(blocked.rows, "parallel", lambda *a: threads == "parallel")
    got_out, got_grads = blocked.forward(*args), blocked.backward(g, *args)
    assert got_out.dtype == want_out.dtype and np.array_equal(got_out, want_out, equal_nan=True)
    assert np.array_equal(got_grads, want_grads, equal_nan=True)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_blocked_with_dropout_gives_the_row_kernels_bits(dt):
    args, g = _operands(2, 2 * NARROW_MR + 3, 64, 32, 32, dt, "causal", 0.8)
    assert np.array_equal(blocked.forward(*args), rows.forward(*args))
    assert np.array_equal(blocked.backward(g, *args), rows.backward(g, *args))


def test_shapes_that_do_not_fit_fall_back_to_the_row_kernels():
    assert not blocked.fits(np.float32, NARROW_MR, 4, 16, 16)  # d not whole vectors
    assert not blocked.fits(np.float32, NARROW_MR - 1, 16, 16, 16)  # no whole row block
    assert not blocked.fits(np.float32, NARROW_MR, 16, 16, 5)  # keys not whole vectors
    args, g = _operands(2, 7, 5, 4, 6, np.float32, "bool", 1.0)
    assert np.array_equal(blocked.forward(*args), rows.forward(*args))
    assert np.array_equal(blocked.backward(g, *args), rows.backward(g, *args))
