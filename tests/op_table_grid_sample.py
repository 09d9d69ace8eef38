"""Op-table rows of grid_sample and its two gradients (every mode, padding and align_corners)."""

from __future__ import annotations

import itertools

from op_table import OpRow, Sample

_MODES = ("bilinear", "nearest")
_PADS = ("zeros", "border", "reflection")


def _calls(rng, dt, mode_set=_MODES):
    out = []
    for mode, pad, align in itertools.product(mode_set, _PADS, (False, True)):
        x = rng.uniform(-2, 2, size=(2, 3, 4, 5)).astype(dt)
        grid = rng.uniform(-1.3, 1.3, size=(2, 3, 2, 2)).astype(dt)
        out.append(Sample((x, grid), dict(mode=mode, padding_mode=pad, align_corners=align)))
    return out


def _with_cotangent(rng, dt):
    return [
        Sample((rng.standard_normal((2, 3, 3, 2)).astype(dt),) + s.args, s.params)
        for s in _calls(rng, dt)
    ]


ROWS_EXTRA: list[OpRow] = [
    OpRow("grid_sample", _calls, rtol32=1e-5),
    OpRow("grid_sample_input_grad", _with_cotangent, rtol32=1e-5),
    OpRow("grid_sample_grid_grad", _with_cotangent, grad=False, rtol32=1e-4),
]
