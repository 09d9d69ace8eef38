"""Every primitive's op-table samples under ``torch.compile``: eager's bits, replayed.

Each sample runs once as plain eager code and twice through a compiled function (the capture
call, then the replay of the captured plan), with ``backward(gradient)`` after each; forward
results and the gradient of every differentiable input must be identical to the bit.
"""

from __future__ import annotations

import duograd.frontends.eager as torch
import numpy as np
import pytest
from duograd.core import random as core_random
from duograd.core.primitives import REGISTRY, bind
from op_table import cases

# as in test_parity_primitives: random primitives take part when they have tensor inputs
CASES = [c for c in cases() if not c[0].random or len(c[2].args) > 0]
SEED = 2024


def _diff(prim, args):
    if prim.vjp is None:
        return []
    return [i for i, a in enumerate(args) if i not in prim.nondiff and a.dtype.kind == "f"]


def _run(fn, args, g, diff):
    ts = [torch.tensor(a.copy(), requires_grad=(i in diff)) for i, a in enumerate(args)]
    out = fn(*ts)
    res = [out.detach().numpy().copy()]
    if diff:
        out.backward(torch.tensor(g))
        res += [None if ts[i].grad is None else ts[i].grad.numpy().copy() for i in diff]
    return res


@pytest.mark.parametrize("row,dt,sample,_id", CASES, ids=[c[3] for c in CASES])
def test_compiled_and_eager_agree_bitwise(row, dt, sample, _id):
    prim = REGISTRY[row.name]
    args = tuple(np.asarray(a) for a in sample.args)
    out = np.asarray(bind(prim, *args, **sample.params))
    diff = _diff(prim, args) if out.dtype.kind == "f" else []
    g = np.random.default_rng(3).standard_normal(out.shape).astype(out.dtype)

    def fn(*ts):
        return bind(prim, *ts, **sample.params)

    cf = torch.compile(fn)
    core_random.manual_seed(SEED)
    want = [_run(fn, args, g, diff) for _ in range(2)]
    core_random.manual_seed(SEED)
    got = [_run(cf, args, g, diff) for _ in range(2)]  # the capture, then the replay
    assert cf.captures == 1
    (entry,) = cf.cache.values()
    assert entry.programs is not None, f"{row.name} did not replay: {cf.breaks}"
    for call, (e_res, c_res) in enumerate(zip(want, got, strict=True)):
        for k, (e, c) in enumerate(zip(e_res, c_res, strict=True)):
            what = f"call {call}: " + ("forward" if k == 0 else f"gradient of input {diff[k - 1]}")
            assert (e is None) == (c is None), f"{what}: only one produced it"
            if e is None:
                continue
            assert e.shape == c.shape and e.dtype == c.dtype, what
            assert e.tobytes() == c.tobytes(), f"{what} differs: max {np.max(np.abs(e - c))}"
