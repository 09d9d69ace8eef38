"""Op-table rows of the attribution primitives (forward identity, rewritten gradient)."""

from __future__ import annotations

from op_table import OpRow, Sample


def _single(rng, dt):
    return [
        Sample((rng.uniform(-2, 2, (3, 4)).astype(dt),)),
        Sample((rng.uniform(-2, 2, ()).astype(dt),)),
    ]


# the gradient is rewritten on purpose (max(g, 0)), so it is not checked by finite differences;
# tests/explain/test_backprop_rules.py checks it
ROWS_EXTRA: list[OpRow] = [OpRow("rectify_grad", _single, grad=False)]
