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


@pytest.mark.parametrize("block", [1 << 16, 20, 3])
@pytest.mark.parametrize("kind", [None, "bool", "additive", "padding", "causal"])
def test_bits_of_the_composed_form(monkeypatch, block, kind):
    """Several slices per block, one slice per block and (block < S) a few query rows per
    block: always the composed form's bits, values and every gradient."""
    monkeypatch.setattr(KA, "BLOCK", block)
    arrays = _qkv(source=7 if kind == "causal" else 5)
    mask = _mask(kind, arrays)
    got = _run(True, arrays, mask, kind == "causal")
    want = _run(False, arrays, mask, kind == "causal")
    for name, a, b in zip(["out", "dq", "dk", "dv"], got, want, strict=True):
        assert a.dtype == np.float32 and np.array_equal(a, b), name


def test_bits_at_the_transformer_bench_size():
    arrays = _qkv(32, 4, 64, 64, 32, 32)
    got, want = _run(True, arrays, causal=True), _run(False, arrays, causal=True)
    for a, b in zip(got, want, strict=True):
        assert np.array_equal(a, b)


def test_at_most_one_block_of_scores_at_a_time(monkeypatch):
    sizes = []
    real_softmax = KA.softmax

    def spy(x, axis):
        sizes.append(np.asarray(x).size)
        return real_softmax(x, axis)

    monkeypatch.setattr(KA, "softmax", spy)
    monkeypatch.setattr(KA, "BLOCK", 64)
    arrays = _qkv(2, 2, 16, 16, 4, 4)
    _run(True, arrays, causal=True)
    assert sizes and max(sizes) <= 16 * 16  # backward: one slice (L x S); forward: <= BLOCK
    fwd = sizes[: len(sizes) // 2]
    assert max(fwd) <= 64


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
