"""The TF-layout GRU sequence layer's time loops, forward and backward, each one compiled
function per dtype.

As for the other sequence layers (`rnn_seq_lstm_loop`, `rnn_seq_cells_loop`): the loop over the
steps runs in compiled code. Forward continues each step's chains over the h (or r * h) rows
with the chain-continuation kernel of `kernels.rnn_seq_gru_tf` (the matmul drivers start a chain
from zero, these start from the x part's partial sums), backward's two per-step products call
the matmul kernels' drivers (`rnn_seq_matmul.step_matmul`), and the cell's elementwise steps are
the serial form of the generated kernels the step-by-step code calls. Every sum is formed as
that code forms it, in the same order, so the bits do not change. Operands the kernels read
row by row are copied to contiguous rows first (strided rows defeat the compiler's SIMD).
"""

from __future__ import annotations

import numpy as np

from . import (
    codegen,
    rnn_seq_gru_tf,  # noqa: F401  (registers the TF-GRU cell kernels)
)
from .rnn_seq_cells_loop import _cell_source
from .rnn_seq_matmul import start_pool

_SRC = """

@njit(cache=True)
def _cols(src, c0, dst):
    for r in range(dst.shape[0]):
        for j in range(dst.shape[1]):
            dst[r, j] = src[r, c0 + j]


@njit(cache=True, error_model="numpy")
def forward(xg, xc, kgh, kch, bg, bc, h0, lengths, y, h):
    zero = np.DT(0)
    t_len, b = xg.shape[:2]
    hs = np.empty((b, h), y.dtype)
    rh = np.empty((b, h), y.dtype)
    hn = np.empty((b, h), y.dtype)
    acc_g = np.empty((b, 2 * h), y.dtype)
    acc_c = np.empty((b, h), y.dtype)
    _cols(h0, 0, hs)
    for t in range(t_len):
        yt = y[t]
        for r in range(b):
            for j in range(2 * h):
                acc_g[r, j] = xg[t, r, j]
        _continue(hs, kgh, acc_g)
        for r in range(b):
            for j in range(2 * h):
                yt[r, 2 * h + j] = acc_g[r, j] + bg[j]
        cell_gate(yt, hs, rh, h)
        for r in range(b):
            for j in range(h):
                yt[r, 5 * h + j] = rh[r, j]
        for r in range(b):
            for j in range(h):
                acc_c[r, j] = xc[t, r, j]
        _continue(rh, kch, acc_c)
        for r in range(b):
            for j in range(h):
                yt[r, 4 * h + j] = acc_c[r, j] + bc[j]
        cell_out(yt, hs, hn, h)
        for r in range(b):
            if lengths[r] > t:
                for j in range(h):
                    yt[r, j] = hn[r, j]
                for j in range(h):
                    yt[r, h + j] = hn[r, j]
            else:
                for j in range(h):
                    yt[r, j] = zero
                for j in range(h):
                    yt[r, h + j] = hs[r, j]
        _cols(yt, h, hs)


@njit(cache=True, error_model="numpy")
def backward(y, gy, init, lengths, car_live, saved_live, kghtf, kchtf, dag, dagf, dac, dacf,
             use_u, use_r, mat, h, nthreads, aoffs, boffs):
    zero = np.DT(0)
    t_len, b = y.shape[:2]
    dh_tot = np.empty((b, h), y.dtype)
    passing = np.empty((b, h), y.dtype)
    hprev = np.empty((b, h), y.dtype)
    new_u = np.empty((b, h), y.dtype)
    drh = np.empty((b, h), y.dtype)
    drhf = drh.reshape(-1)
    matf = mat.reshape(-1)
    for t in range(t_len - 1, -1, -1):
        for r in range(b):
            gr = gy[t, r]
            live = lengths[r] > t
            for j in range(h):
                v = ((gr[j] + use_u[r, j]) + use_r[r, j]) + mat[r, j]
                if car_live[t]:
                    v = v + gr[h + j]
                # a stopped row's h' is not used: only its saved columns' cotangents enter
                dh_tot[r, j] = v if live else zero
            if not live:  # and its state passes through unchanged
                for j in range(h):
                    passing[r, j] = ((use_u[r, j] + use_r[r, j]) + mat[r, j]) + gr[h + j]
        yt = y[t]
        _cols(init if t == 0 else y[t - 1], h, hprev)
        cell_bwd_out(yt, dh_tot, hprev, dac[t], dag[t], new_u, h)
        if saved_live:  # the saved pre-activations and r * h are outputs too
            for r in range(b):
                for j in range(h):
                    dac[t, r, j] += gy[t, r, 4 * h + j]
        step_matmul(dacf, t * b * h, h, kchtf, h, drhf, b, h, h, nthreads, aoffs, boffs)
        if saved_live:
            for r in range(b):
                for j in range(h):
                    drh[r, j] = drh[r, j] + gy[t, r, 5 * h + j]
        cell_bwd_gate(yt, drh, hprev, dag[t], use_r, h)
        if saved_live:
            for r in range(b):
                for j in range(2 * h):
                    dag[t, r, j] += gy[t, r, 2 * h + j]
        for r in range(b):
            if lengths[r] > t:
                for j in range(h):
                    use_u[r, j] = new_u[r, j]
            else:
                for j in range(h):
                    use_u[r, j] = passing[r, j]
        step_matmul(dagf, t * b * 2 * h, 2 * h, kghtf, h, matf, b, h, 2 * h, nthreads, aoffs,
                    boffs)
"""


def emit(dt: np.dtype) -> str:
    """Module source with the ``forward`` and ``backward`` loops for dtype dt.

    forward(xg, xc, kgh, kch, bg, bc, h0, lengths, y, h) fills the packed y from the x parts
    of the products (xg, xc); backward(y, gy, init, lengths, car_live, saved_live, kghtf,
    kchtf, dag, dagf, dac, dacf, use_u, use_r, mat, h, ...) writes every step's pre-activation
    cotangents into dag, dac and leaves h0's cotangent as (use_u + use_r) + mat (all three
    start at zero). Names ending in f are read-only flat aliases.
    """
    cells = "".join(
        _cell_source(kind, dt, name)
        for kind, name in (("tfgru_gate", "cell_gate"), ("tfgru_out", "cell_out"),
                           ("tfgru_bwd_out", "cell_bwd_out"), ("tfgru_bwd_gate", "cell_bwd_gate"))
    )  # fmt: skip
    header = codegen.module_header() + (
        "from duograd.core.kernels.rnn_seq_matmul import step_matmul\n"
        "from duograd.core.kernels.rnn_seq_gru_tf import _continue\n"
    )
    return header + cells + _SRC.replace("DT", dt.name)


_loaded: dict = {}


def kernels(dt: np.dtype):
    """(forward, backward) compiled loops for dtype dt."""
    key = np.dtype(dt)
    k = _loaded.get(key)
    if k is None:
        start_pool()
        mod = codegen.load_source(emit(key))
        k = _loaded[key] = (mod.forward, mod.backward)
    return k
