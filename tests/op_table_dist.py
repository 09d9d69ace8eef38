"""Op-table rows of the collective primitives (outside a process group: a group of one)."""

from __future__ import annotations

from op_table import OpRow, Sample


def _samples(param: str, values: tuple):
    def make(rng, dt):
        out = []
        for shape in [(3, 4), (), (0,), (2, 3, 4)]:
            for v in values:
                out.append(Sample((rng.uniform(-2, 2, size=shape).astype(dt),), {param: v}))
        return out

    return make


ROWS_EXTRA: list[OpRow] = [
    OpRow("allreduce", _samples("op", ("mean", "sum"))),
    OpRow("broadcast", _samples("root", (0,)), grad=False),
]
