"""Op-table rows of the fused LSTM cell primitives (both gate layouts, leading dims, empty)."""

from __future__ import annotations

from op_table import OpRow, Sample

# (leading dims, H)
SHAPES = [((3,), 2), ((2, 3), 3), ((1,), 5), ((0,), 2)]
SETTINGS = [(0.0, "torch"), (1.0, "tf")]


def _r(rng, shape, dt, scale=2.0):
    return rng.uniform(-scale, scale, size=shape).astype(dt)


def _samples(n_state: int, with_bias: bool):
    """Gates (..., 4H) then n_state (..., H) operands, over shapes and layouts."""

    def make(rng, dt):
        out = []
        for lead, h in SHAPES:
            for fb, layout in SETTINGS:
                args = (_r(rng, lead + (4 * h,), dt),) + tuple(
                    _r(rng, lead + (h,), dt) for _ in range(n_state)
                )
                params = {"forget_bias": fb, "layout": layout} if with_bias else {"layout": layout}
                out.append(Sample(args, params))
        return out

    return make


ROWS_EXTRA: list[OpRow] = [
    OpRow("lstm_state", _samples(1, True)),
    OpRow("lstm_output", _samples(1, False)),
    OpRow("lstm_state_grad_gates", _samples(2, True), grad=False),
    OpRow("lstm_state_grad_c", _samples(1, True), grad=False),
    OpRow("lstm_output_grad_gates", _samples(2, False), grad=False),
    OpRow("lstm_output_grad_c", _samples(2, False), grad=False),
]
