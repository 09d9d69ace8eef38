"""Op-table rows of the complex and FFT primitives; complex operands and cotangents are checked
by finite differences in the conjugate Wirtinger convention (tests/core/test_op_table.py)."""

from __future__ import annotations

import numpy as np
from op_table import OpRow, Sample


def _c(rng, shape, dt):
    cdt = np.complex128 if dt == np.float64 else np.complex64
    return (rng.normal(size=shape) + 1j * rng.normal(size=shape)).astype(cdt)


def _r(rng, shape, dt):
    return rng.normal(size=shape).astype(dt)


def _one(make):
    def samples(rng, dt):
        return [Sample((make(rng, s, dt),)) for s in ((3, 4), (5,), (0, 2))]

    return samples


def _cbin(rng, dt):
    return [
        Sample((_c(rng, (3, 4), dt), _c(rng, sb, dt)), {"op": op})
        for op in ("add", "sub", "mul", "div")
        for sb in ((3, 4), (4,))
    ]


def _pair(rng, dt):
    return [Sample((_c(rng, (3, 4), dt), _c(rng, (3, 4), dt)))]


def _sum_to(rng, dt):
    return [Sample((_c(rng, (3, 4), dt), np.zeros((1, 4), _c(rng, (1,), dt).dtype)))]


def _fftc(rng, dt):
    return [
        Sample((_c(rng, (3, 8), dt),), {"n": n, "axis": 1, "norm": nm, "inverse": inv, "fit": None})
        for n in (None, 10, 6)
        for nm in ("backward", "ortho")
        for inv in (False, True)
    ]


def _rfft(rng, dt):
    return [
        Sample((_r(rng, (3, 8), dt),), {"n": n, "axis": 1, "norm": nm})
        for n in (None, 9, 6)
        for nm in ("backward", "forward")
    ]


def _irfft(rng, dt):
    return [
        Sample((_c(rng, (3, 5), dt),), {"n": n, "axis": 1, "norm": "backward"})
        for n in (None, 9, 6)
    ]


def _rfft_adj(rng, dt):
    return [Sample((_c(rng, (3, 5), dt),), {"n": 8, "axis": 1, "norm": "backward", "length": 8})]


def _irfft_adj(rng, dt):
    return [Sample((_r(rng, (3, 8), dt),), {"n": 8, "axis": 1, "norm": "backward", "bins": 5})]


_NO = {"rtol32": 1e-5}
_HELPER = {"grad": False, "rtol32": 1e-5}  # VJP-only helpers (no gradient of their own)
ROWS_EXTRA: list[OpRow] = [
    OpRow("view_as_real", _one(_c), **_NO),
    OpRow("view_as_complex", lambda rng, dt: [Sample((_r(rng, (3, 2), dt),))], **_NO),
    OpRow("conj", _one(_c), **_NO),
    OpRow("complex_abs", _one(_c), **_NO),
    OpRow(
        "complex_abs_grad",
        lambda rng, dt: [Sample((_r(rng, (3,), dt), _c(rng, (3,), dt)))],
        **_HELPER,
    ),
    OpRow("complex_angle", _one(_c), **_NO),
    OpRow(
        "complex_angle_grad",
        lambda rng, dt: [Sample((_r(rng, (3,), dt), _c(rng, (3,), dt)))],
        **_HELPER,
    ),
    OpRow("complex_neg", _one(_c), **_NO),
    OpRow("complex_binary", _cbin, **_NO),
    OpRow("complex_sum_to", _sum_to, **_NO),
    OpRow(
        "complex_broadcast_as",
        lambda rng, dt: [Sample((_c(rng, (1, 4), dt), np.zeros((3, 4), np.complex64)))],
        **_NO,
    ),
    OpRow("fft_c2c", _fftc, **_NO),
    OpRow("rfft", _rfft, rtol32=1e-5),
    OpRow("irfft", _irfft, **_NO),
    OpRow("rfft_adjoint", _rfft_adj, **_HELPER),
    OpRow("irfft_adjoint", _irfft_adj, **_HELPER),
]
