"""Every primitive's declared aliasing and randomness match what its kernel does on real calls."""

from __future__ import annotations

import numpy as np
import pytest
from duograd.core.primitives import REGISTRY, bind
from duograd.core.primitives.registry import FRESH, VIEW
from op_table import OPS, cases

_CASES = [c for c in cases((np.float32,)) if not c[0].random]


@pytest.mark.parametrize("row, dt, sample, _id", _CASES, ids=[c[3] for c in _CASES])
def test_declared_alias_matches_the_kernel(row, dt, sample, _id):
    prim = REGISTRY[row.name]
    args = [a.copy() if isinstance(a, np.ndarray) else a for a in sample.args]
    out = bind(prim, *args, **sample.params)
    shared = [
        i for i, a in enumerate(args)
        if isinstance(a, np.ndarray) and a.size and np.shares_memory(out, a)
    ]  # fmt: skip
    alias = prim.aliases(sample.params)
    if alias == FRESH:
        assert not shared, f"{row.name} is declared FRESH but its result shares operand {shared}"
    elif alias == VIEW:
        assert shared in ([], [0]), f"{row.name} is a VIEW of operand 0, not of {shared}"
    else:
        assert set(shared) <= {0}


def test_every_primitive_is_covered():
    covered = {row.name for row in OPS}
    missing = sorted(set(REGISTRY) - covered)
    assert not missing, f"primitives without op-table rows (aliasing unchecked): {missing}"


_ALL = cases((np.float32,))


@pytest.mark.parametrize("row, dt, sample, _id", _ALL, ids=[c[3] for c in _ALL])
def test_declared_randomness_matches_the_kernel(row, dt, sample, _id):
    from duograd.core.random import default_generator

    prim = REGISTRY[row.name]
    before = repr(default_generator.get_state())
    bind(prim, *sample.args, **sample.params)
    drew = repr(default_generator.get_state()) != before
    assert drew == prim.random, f"{row.name}: declared random={prim.random}, the kernel drew={drew}"
