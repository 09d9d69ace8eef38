"""The fused, blocked scaled-dot-product attention (sdpa): the composed form's bits forward and
backward (masks, causal, several blocks), at most one block of scores at a time, oracles against
torch, and the same bits from both styles' attention."""

from __future__ import annotations

import duograd.frontends.eager as torch
import numpy as np
import pytest
from duograd.core import functional as CF
from duograd.core.errors import ShapeError
from duograd.core.kernels import sdpa as KA
from duograd.core.primitives.attention import sdpa

RNG = np.random.default_rng(9)


def _qkv(n=2, h=3, length=7, source=5, d=4, dv=6, dt=np.float32):
    return (RNG.standard_normal((n, h, length, d)).astype(dt),
            RNG.standard_normal((n, h, source, d)).astype(dt),
            RNG.standard_normal((n, h, source, dv)).astype(dt))  # fmt: skip


def _run(fused, arrays, mask=None, causal=False):
    q, k, v = (torch.tensor(a, requires_grad=True) for a in arrays)
    out, w = CF.scaled_dot_product_attention(q, k, v, mask, need_weights=not fused,
                                             causal=causal)  # fmt: skip
    assert (w is None) == fused
    wt = np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape))
    wt = wt.astype(out.dtype.np_dtype)
    (out * torch.tensor(wt)).sum().backward()
    return [out.detach().numpy(), q.grad.numpy(), k.grad.numpy(), v.grad.numpy()]


def _mask(kind, arrays):
    n, h, length, _ = arrays[0].shape
    source = arrays[1].shape[-2]
    if kind == "bool":
        m = RNG.random((length, source)) < 0.3
        m[:, 0] = False
        return m
    if kind == "additive":
        return RNG.standard_normal((n, h, length, source)).astype(np.float32)
    if kind == "padding":
        m = np.zeros((n, 1, 1, source), np.float32)
        m[1, ..., -2:] = -np.inf
        return m
    return None


def _compare(arrays, mask=None, causal=False):
    got = _run(True, arrays, mask, causal)
    want = _run(False, arrays, mask, causal)
    for name, a, b in zip(["out", "dq", "dk", "dv"], got, want, strict=True):
        assert a.dtype == arrays[0].dtype and np.array_equal(a, b, equal_nan=True), name


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("rows", [16, 3, 1])
@pytest.mark.parametrize("kind", [None, "bool", "additive", "padding", "causal"])
def test_bits_of_the_composed_form(monkeypatch, dt, rows, kind):
    """Any number of query rows per task: always the composed form's bits, values and every
    gradient, in float32 and float64."""
    monkeypatch.setattr(KA, "ROWS", rows)
    arrays = _qkv(source=7 if kind == "causal" else 5, dt=dt)
    mask = _mask(kind, arrays)
    if mask is not None and mask.dtype != np.bool_:
        mask = mask.astype(dt)
    _compare(arrays, mask, kind == "causal")


@pytest.mark.parametrize("threads", ["serial", "parallel"])
@pytest.mark.parametrize("sizes", [(1, 1, 1, 1, 1, 1), (3, 1, 13, 9, 7, 11), (1, 2, 33, 17, 5, 3),
                                   (2, 1, 4, 19, 1, 2)])  # fmt: skip
def test_bits_at_odd_sizes_serial_and_parallel(monkeypatch, threads, sizes):
    monkeypatch.setattr(KA, "PARALLEL_MIN_WORK", 0 if threads == "parallel" else 1 << 60)
    arrays = _qkv(*sizes)
    _compare(arrays)
    _compare(arrays, causal=True)
    length, source = sizes[2], sizes[3]
    bool_mask = RNG.random((sizes[1], length, source)) < 0.4
    _compare(arrays, bool_mask)
    additive = RNG.standard_normal((sizes[0], 1, 1, source)).astype(np.float32)
    _compare(arrays, additive)


def test_a_fully_masked_row_gives_the_composed_nan():
    arrays = _qkv(1, 1, 3, 4, 2, 2)
    m = np.zeros((3, 4), bool)
    m[1] = True  # every key of row 1 masked: softmax of all -inf
    _compare(arrays, m)


def test_bits_at_the_transformer_bench_size():
    arrays = _qkv(32, 4, 64, 64, 32, 32)
    got, want = _run(True, arrays, causal=True), _run(False, arrays, causal=True)
    for a, b in zip(got, want, strict=True):
        assert np.array_equal(a, b)


def test_no_composed_kernel_runs(monkeypatch):
    """Forward and backward are the compiled kernels alone: no matmul or softmax call from
    Python, so no (..., L, S) array of scores or weights is made."""
    from duograd.core.kernels import matmul as MM
    from duograd.core.kernels import softmax as SM

    calls = []

    def spy(name, real):
        def wrapped(*a, **kw):
            calls.append((name, np.asarray(a[0]).shape))
            return real(*a, **kw)

        return wrapped

    monkeypatch.setattr(MM, "matmul", spy("matmul", MM.matmul))
    monkeypatch.setattr(SM, "softmax", spy("softmax", SM.softmax))
    monkeypatch.setattr(SM, "softmax_grad", spy("softmax_grad", SM.softmax_grad))
    q, k, v = _qkv(2, 2, 16, 16, 4, 4)
    out = sdpa(q, k, v, causal=True)
    from duograd.core.primitives.attention import sdpa_grad

    sdpa_grad(np.ones_like(out), q, k, v, np.zeros((), np.float32), np.zeros((), bool), 0.5,
              False, True, 1.0)  # fmt: skip
    assert calls == []


def test_float64_against_the_reference():
    arrays = _qkv(dt=np.float64)
    out = sdpa(*arrays, scale=0.3)
    s = np.einsum("nhld,nhsd->nhls", arrays[0] * 0.3, arrays[1])
    w = np.exp(s - s.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    np.testing.assert_allclose(out, np.einsum("nhls,nhsd->nhld", w, arrays[2]), rtol=1e-12)


def test_matches_torch_sdpa():
    real = pytest.importorskip("torch")
    arrays = _qkv(length=6, source=6)
    attend = RNG.random((6, 6)) < 0.7
    attend[:, 0] = True
    for kw in ({"is_causal": True}, {"attn_mask": attend}, {"scale": 0.5}):
        ins_r = [real.tensor(a, requires_grad=True) for a in arrays]
        ins_m = [torch.tensor(a, requires_grad=True) for a in arrays]
        kw_r = {k: real.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        kw_m = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        out_r = real.nn.functional.scaled_dot_product_attention(*ins_r, **kw_r)
        out_m = torch.nn.functional.scaled_dot_product_attention(*ins_m, **kw_m)
        (out_r.square().sum()).backward()
        (out_m * out_m).sum().backward()
        np.testing.assert_allclose(out_m.detach().numpy(), out_r.detach().numpy(), rtol=1e-5,
                                   atol=1e-6)  # fmt: skip
        for a, b in zip(ins_m, ins_r, strict=True):
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_errors_name_the_op():
    q, k, v = _qkv()
    with pytest.raises(ShapeError, match="sdpa: expected q"):
        sdpa(q, k[..., :3], v)
    with pytest.raises(ShapeError, match="sdpa: the mask"):
        sdpa(q, k, v, np.zeros((3, 3), np.float32))
    with pytest.raises(ValueError, match="sdpa: give either"):
        sdpa(q, k, v, np.zeros((7, 5), np.float32), causal=True)
