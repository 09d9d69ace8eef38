"""Generic tests driven by the op table: reference, shape rule, gradient check, coverage."""

from __future__ import annotations

import numpy as np
import pytest
from duograd.core.primitives import REGISTRY, bind
from op_table import OPS, ROWS, cases

ALL = cases()
GRAD = [c for c in cases((np.float64,)) if c[0].grad]


def _ids(cs):
    return [c[3] for c in cs]


def _copy_args(args):
    return tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args)


def test_every_primitive_has_a_row():
    missing = sorted(set(REGISTRY) - set(ROWS))
    assert not missing, f"primitives without an op-table row: {missing}"
    unknown = sorted(set(ROWS) - set(REGISTRY))
    assert not unknown, f"op-table rows naming no primitive: {unknown}"


@pytest.mark.parametrize("row,dt,sample,_id", ALL, ids=_ids(ALL))
def test_kernel_matches_reference(row, dt, sample, _id):
    prim = REGISTRY[row.name]
    args = _copy_args(sample.args)
    out = np.asarray(bind(prim, *args, **sample.params))
    # operands are never modified by a kernel
    for a, b in zip(args, sample.args, strict=True):
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b)
    if row.random:
        assert np.all(np.isfinite(out))
        return
    ref = np.asarray(prim.reference(*sample.args, **sample.params))
    assert out.shape == ref.shape
    if out.dtype.kind in "biu" or ref.dtype.kind in "biu":
        np.testing.assert_array_equal(out, ref)
    elif dt == np.float32:
        np.testing.assert_allclose(out, ref, rtol=row.rtol32, atol=1e-6)
    else:
        np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("row,dt,sample,_id", ALL, ids=_ids(ALL))
def test_shape_rule_matches_kernel(row, dt, sample, _id):
    prim = REGISTRY[row.name]
    aval = prim.shape_rule(*sample.args, **sample.params)
    out = np.asarray(bind(prim, *sample.args, **sample.params))
    assert aval.shape == out.shape, f"{row.name}: rule says {aval.shape}, kernel gave {out.shape}"
    assert aval.dtype == out.dtype, f"{row.name}: rule says {aval.dtype}, kernel gave {out.dtype}"


def _differentiable_inputs(prim, args):
    return [
        i
        for i, a in enumerate(args)
        if i not in prim.nondiff and isinstance(a, np.ndarray) and a.dtype.kind in "fc"
    ]


@pytest.mark.parametrize("row,dt,sample,_id", GRAD, ids=_ids(GRAD))
def test_vjp_matches_finite_differences(row, dt, sample, _id):
    prim = REGISTRY[row.name]
    args = tuple(np.ascontiguousarray(a) if isinstance(a, np.ndarray) else a for a in sample.args)
    params = sample.params
    out = np.asarray(bind(prim, *args, **params))
    rng = np.random.default_rng(0)
    g = rng.standard_normal(out.shape)
    if out.dtype.kind == "c":  # a complex cotangent; the loss below is Re(sum(conj(g) * out))
        g = (g + 1j * rng.standard_normal(out.shape)).astype(out.dtype)
    diff = _differentiable_inputs(prim, args)
    assert diff, f"{row.name}: marked differentiable but no float input"
    wants = tuple(i in diff for i in range(len(args)))
    grads = prim.vjp(g, out, *args, wants=wants, **params)
    assert len(grads) == len(args)
    eps = 1e-6
    for i in diff:
        x = args[i]
        num = np.zeros(x.shape, x.dtype if x.dtype.kind == "c" else np.float64)
        flat = num.reshape(-1)
        # complex inputs: d/dRe + i d/dIm (the conjugate Wirtinger convention of the VJPs)
        for step in (1, 1j) if x.dtype.kind == "c" else (1,):
            for j in range(x.size):
                plus = x.copy().reshape(-1)
                minus = x.copy().reshape(-1)
                plus[j] += eps * step
                minus[j] -= eps * step
                a_p = args[:i] + (plus.reshape(x.shape),) + args[i + 1 :]
                a_m = args[:i] + (minus.reshape(x.shape),) + args[i + 1 :]
                f_p = np.sum(np.real(np.asarray(bind(prim, *a_p, **params)) * np.conj(g)))
                f_m = np.sum(np.real(np.asarray(bind(prim, *a_m, **params)) * np.conj(g)))
                flat[j] += step * (f_p - f_m) / (2 * eps)
        got = np.zeros(x.shape) if grads[i] is None else np.asarray(grads[i])
        assert got.shape == x.shape, f"{row.name}: cotangent {got.shape} for input {x.shape}"
        np.testing.assert_allclose(got, num, rtol=1e-5, atol=1e-6, err_msg=f"input {i}")


def test_table_has_float64_grad_rows_for_every_differentiable_primitive():
    with_vjp = {name for name, p in REGISTRY.items() if p.vjp is not None and not p.vjp_rewritten}
    checked = {row.name for row in OPS if row.grad and np.float64 in row.dtypes}
    # second-order-only rules (relu_grad) and shape references are checked through their rows too
    assert with_vjp <= checked, f"VJPs without a gradient check: {sorted(with_vjp - checked)}"
