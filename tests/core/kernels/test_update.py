"""Optimizer update kernels: references, in-place semantics, size/thread independence."""

from __future__ import annotations

import math

import numpy as np
import pytest
from duograd.core.kernels import update as U

FLOATS = [np.float32, np.float64]


def _arr(n, dtype, seed, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(n) * scale).astype(dtype)


def _tol(dtype):
    return dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-14)


# ---- plain float64 transcriptions of the documented formulas --------------------------------


def ref_sgd(p, g, lr, wd):
    return p - lr * (g + wd * p)


def ref_momentum(p, g, buf, lr, mu, damp, nesterov, wd, first):
    g = g + wd * p
    buf = g.copy() if first else mu * buf + (1 - damp) * g
    d = g + mu * buf if nesterov else buf
    return p - lr * d, buf


def ref_adam(p, g, m, v, step, lr, b1, b2, eps, wd, decoupled, mode, vmax):
    if decoupled:
        p = p * (1 - lr * wd)
    else:
        g = g + wd * p
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    vv = v if vmax is None else np.maximum(vmax, v)
    bc1, bc2 = 1 - b1**step, 1 - b2**step
    if mode == "tf":
        p = p - lr * math.sqrt(bc2) / bc1 * m / (np.sqrt(vv) + eps)
    else:
        p = p - lr / bc1 * m / (np.sqrt(vv) / math.sqrt(bc2) + eps)
    return p, m, v, (None if vmax is None else vv)


def ref_rmsprop(p, g, ms, mom, lr, a, eps, mu, mg, mode):
    ms = a * ms + (1 - a) * g * g
    s = ms
    if mg is not None:
        mg = a * mg + (1 - a) * g
        s = ms - mg * mg
    if mode == "tf":
        mom = mu * mom + lr * g / np.sqrt(s + eps)
        return p - mom, ms, mom, mg
    avg = np.sqrt(s) + eps
    if mu:
        mom = mu * mom + g / avg
        return p - lr * mom, ms, mom, mg
    return p - lr * g / avg, ms, mom, mg


# ---- tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("wd", [0.0, 0.01])
def test_sgd(dtype, wd):
    p, g = _arr(257, dtype, 0), _arr(257, dtype, 1)
    ref = ref_sgd(p.astype(np.float64), g.astype(np.float64), 0.1, wd)
    p0 = p
    assert U.sgd_(p, g, 0.1, wd) is None and p is p0
    np.testing.assert_allclose(p, ref, **_tol(dtype))


def test_sgd_is_bitwise_same_dtype_numpy():
    # one rounding per operation in float32, no contraction into FMA, no float64 detour
    p, g = _arr(1000, np.float32, 2), _arr(1000, np.float32, 3)
    lr, wd = np.float32(0.1), np.float32(0.01)
    ref = p - lr * (g + wd * p)
    U.sgd_(p, g, 0.1, 0.01)
    np.testing.assert_array_equal(p, ref)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum(dtype, nesterov):
    p, buf = _arr(100, dtype, 4), np.zeros(100, dtype)
    rp, rb = p.astype(np.float64), buf.astype(np.float64)
    for step in range(3):
        g = _arr(100, dtype, 10 + step)
        args = (0.05, 0.9, 0.1, nesterov, 0.01, step == 0)
        U.momentum_(p, g, buf, *args)
        rp, rb = ref_momentum(rp, g.astype(np.float64), rb, *args)
        np.testing.assert_allclose(p, rp, **_tol(dtype))
        np.testing.assert_allclose(buf, rb, **_tol(dtype))


@pytest.mark.parametrize("nesterov", [False, True])
def test_tf_momentum_form_equals_torch_form(nesterov):
    # TF: accum starts at zeros, accum = momentum*accum + g -> this kernel with first_step=False
    p1, p2 = _arr(64, np.float32, 5), _arr(64, np.float32, 5)
    b1, b2 = np.zeros(64, np.float32), np.zeros(64, np.float32)
    for step in range(3):
        g = _arr(64, np.float32, 20 + step)
        U.momentum_(p1, g, b1, 0.1, 0.9, nesterov=nesterov, first_step=step == 0)
        U.momentum_(p2, g, b2, 0.1, 0.9, nesterov=nesterov, first_step=False)
        np.testing.assert_array_equal(p1, p2)
        np.testing.assert_array_equal(b1, b2)


ADAM_CASES = {
    "torch": dict(weight_decay=0.0, decoupled=False, eps_mode="torch"),
    "torch-l2": dict(weight_decay=0.1, decoupled=False, eps_mode="torch"),
    "adamw": dict(weight_decay=0.1, decoupled=True, eps_mode="torch"),
    "tf": dict(weight_decay=0.0, decoupled=False, eps_mode="tf"),
    "amsgrad": dict(weight_decay=0.0, decoupled=False, eps_mode="torch", ams=True),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("case", sorted(ADAM_CASES))
def test_adam(dtype, case):
    kw = dict(ADAM_CASES[case])
    ams = kw.pop("ams", False)
    n = 300
    p, m, v = _arr(n, dtype, 6), np.zeros(n, dtype), np.zeros(n, dtype)
    vmax = np.zeros(n, dtype) if ams else None
    r = [p.astype(np.float64), m.astype(np.float64), v.astype(np.float64)]
    rmax = np.zeros(n) if ams else None
    for step in range(1, 5):
        g = _arr(n, dtype, 30 + step, scale=0.5 if step % 2 else 2.0)
        U.adam_(p, g, m, v, step, 1e-2, 0.9, 0.999, 1e-8, amsgrad_max=vmax, **kw)
        g64 = g.astype(np.float64)
        wd, dec, mode = kw["weight_decay"], kw["decoupled"], kw["eps_mode"]
        r[0], r[1], r[2], rmax = ref_adam(
            r[0], g64, r[1], r[2], step, 1e-2, 0.9, 0.999, 1e-8, wd, dec, mode, rmax
        )
        np.testing.assert_allclose(p, r[0], **_tol(dtype))
        np.testing.assert_allclose(m, r[1], **_tol(dtype))
        np.testing.assert_allclose(v, r[2], **_tol(dtype))
        if ams:
            np.testing.assert_allclose(vmax, rmax, **_tol(dtype))


RMS_CASES = {
    "torch": dict(momentum=0.0, centered=False, eps_mode="torch"),
    "torch-mom": dict(momentum=0.9, centered=False, eps_mode="torch"),
    "torch-centered": dict(momentum=0.5, centered=True, eps_mode="torch"),
    "tf": dict(momentum=0.9, centered=False, eps_mode="tf"),
    "tf-centered": dict(momentum=0.0, centered=True, eps_mode="tf"),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("case", sorted(RMS_CASES))
def test_rmsprop(dtype, case):
    kw = RMS_CASES[case]
    n = 200
    tf = kw["eps_mode"] == "tf"
    p = _arr(n, dtype, 7)
    ms = np.ones(n, dtype) if tf else np.zeros(n, dtype)  # TF1 starts ms at ones
    mom = np.zeros(n, dtype)
    mg = np.zeros(n, dtype) if kw["centered"] else None
    r = [p.astype(np.float64), ms.astype(np.float64), mom.astype(np.float64)]
    rmg = None if mg is None else mg.astype(np.float64)
    for step in range(4):
        g = _arr(n, dtype, 40 + step)
        U.rmsprop_(p, g, ms, mom, 0.01, 0.9, 1e-6, kw["momentum"], mg, kw["eps_mode"])
        g64 = g.astype(np.float64)
        r[0], r[1], r[2], rmg = ref_rmsprop(
            r[0], g64, r[1], r[2], 0.01, 0.9, 1e-6, kw["momentum"], rmg, kw["eps_mode"]
        )
        np.testing.assert_allclose(p, r[0], **_tol(dtype))
        np.testing.assert_allclose(ms, r[1], **_tol(dtype))
        if kw["momentum"] or tf:
            np.testing.assert_allclose(mom, r[2], **_tol(dtype))


def _inputs(n):
    rng = np.random.default_rng(0)
    d = {f"p{i}": rng.standard_normal(n).astype(np.float32) for i in range(4)}
    d["g"] = rng.standard_normal(n).astype(np.float32)
    d["ms"] = rng.random(n).astype(np.float32)
    for k in ("buf", "m", "v", "vmax", "mom", "mg"):
        d[k] = np.zeros(n, np.float32)
    return d


def _run_all(d):
    """One step of every optimizer (most options on); returns every array it updated."""
    U.sgd_(d["p0"], d["g"], 0.1, 0.01)
    U.momentum_(d["p1"], d["g"], d["buf"], 0.1, 0.9, 0.0, True, 0.01, True)
    U.adam_(d["p2"], d["g"], d["m"], d["v"], 3, 1e-3, 0.9, 0.999, 1e-8, 0.01, True, "torch",
            d["vmax"])  # fmt: skip
    U.rmsprop_(d["p3"], d["g"], d["ms"], d["mom"], 0.01, 0.9, 1e-8, 0.9, d["mg"], "torch")
    return [v for k, v in sorted(d.items()) if k != "g"]


def test_bits_do_not_depend_on_size_or_threads(monkeypatch, parallel_threads):
    n = 2 * U.CHUNK + 1234  # several parallel chunks
    whole = _run_all(_inputs(n))
    prefix = _run_all({k: v[:1000].copy() for k, v in _inputs(n).items()})
    for w, pre in zip(whole, prefix, strict=True):
        np.testing.assert_array_equal(w[:1000], pre)
    monkeypatch.setattr(U, "PARALLEL_MIN", 0)
    for w, par in zip(whole, _run_all(_inputs(n)), strict=True):
        np.testing.assert_array_equal(w, par)


def test_errors():
    p = np.zeros((4, 4), np.float32)
    with pytest.raises(ValueError, match="C-contiguous"):
        U.sgd_(p.T, np.zeros((4, 4), np.float32), 0.1)
    with pytest.raises(ValueError, match="grad has shape"):
        U.sgd_(p, np.zeros(3, np.float32), 0.1)
    with pytest.raises(ValueError, match="dtype float64"):
        U.sgd_(p, np.zeros((4, 4)), 0.1)
    q = np.array(1.0, np.float32)  # 0-d parameters work
    U.sgd_(q, np.array(2.0, np.float32), 0.5)
    assert q == 0.0
    with pytest.raises(ValueError, match="step counts from 1"):
        U.adam_(p, p, p.copy(), p.copy(), 0, 1e-3, 0.9, 0.999, 1e-8)
    with pytest.raises(ValueError, match="momentum buffer is required"):
        U.rmsprop_(p, p, p.copy(), None, 0.1, 0.9, 1e-8, momentum=0.9)
    with pytest.raises(TypeError, match="float32/float64"):
        U.sgd_(np.zeros(3, np.int64), np.zeros(3, np.int64), 0.1)
