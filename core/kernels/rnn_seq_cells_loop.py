"""The GRU and plain-RNN sequence layers' time loops, forward and backward, each one compiled
function per cell kind and dtype.

As for the LSTM (`rnn_seq_lstm_loop`): the loop over the steps runs in compiled code, calling
the matmul kernels' drivers for the per-step hidden product (`rnn_seq_matmul.step_matmul`) and
the fused cell kernels of `rnn_seq_cells` (their serial form, included in the generated module)
for the elementwise math. Every sum is formed as the step-by-step code in `kernels.rnn_seq_gru`
forms it, in the same order, so the bits do not change.
"""

from __future__ import annotations

import numpy as np

from . import codegen
from . import rnn_seq_cells as KC


def _cell_source(kind: str, dt: np.dtype, name: str) -> str:
    """The serial kernel of `rnn_seq_cells` kind, renamed (the module header left out)."""
    src = KC.emit(kind, dt)
    start = src.index("@njit")
    end = src.index("@njit", src.index("def kernel_serial"))
    return "\n\n" + src[start:end].rstrip().replace("kernel_serial", name) + "\n"


_FWD = """

@njit(cache=True, error_model="numpy")
def forward(xp, bh, whf, init, initf, lengths, y, yf, hp, h, nthreads, aoffs, boffs):
    zero = np.DT(0)
    t_len, b, gh = xp.shape
    p = y.shape[2]
    hpf = hp.reshape(-1)
    for t in range(t_len):
        if t == 0:
            step_matmul(initf, h, p, whf, gh, hpf, b, gh, h, nthreads, aoffs, boffs)
            hs = init[:, h : 2 * h]
        else:
            step_matmul(yf, (t - 1) * b * p + h, p, whf, gh, hpf, b, gh, h, nthreads, aoffs,
                        boffs)
            hs = y[t - 1, :, h : 2 * h]
        for r in range(b):
            hr = hp[r]
            for j in range(gh):
                hr[j] = hr[j] + bh[j]
        yt = y[t]
        CALL_FWD
        for r in range(b):
            yr = yt[r]
            if lengths[r] > t:
                for j in range(h):
                    yr[j] = yr[h + j]
            else:
                for j in range(h):
                    yr[j] = zero
                for j in range(h):
                    yr[h + j] = hs[r, j]
"""

_BWD = """

@njit(cache=True, error_model="numpy")
def backward(y, gy, init, lengths, car_live, saved_live, whtf, dgx, dgh, dghf, direct, mat,
             dd, dh_tot, h, nthreads, aoffs, boffs):
    zero = np.DT(0)
    t_len, b, p = y.shape
    gh = dgx.shape[2]
    matf = mat.reshape(-1)
    for t in range(t_len - 1, -1, -1):
        for r in range(b):
            gr = gy[t, r]
            dr = direct[r]
            mr = mat[r]
            tr = dh_tot[r]
            for j in range(h):
                tr[j] = (gr[j] + dr[j]) + mr[j]
            if car_live[t]:
                for j in range(h):
                    tr[j] = tr[j] + gr[h + j]
        yt = y[t]
        hprev = init[:, h : 2 * h] if t == 0 else y[t - 1, :, h : 2 * h]
        CALL_BWD
        for r in range(b):
            dr = direct[r]
            if lengths[r] > t:
                for j in range(h):
                    dr[j] = LIVE_DIRECT
            else:
                # a stopped row's state passes through unchanged
                gr = gy[t, r]
                mr = mat[r]
                for j in range(h):
                    dr[j] = (dr[j] + mr[j]) + gr[h + j]
                for j in range(gh):
                    dgx[t, r, j] = zero
                for j in range(gh):
                    dgh[t, r, j] = zero
        if saved_live:  # the saved columns are outputs too
            for r in range(b):
                gr = gy[t, r]
                SAVED
        step_matmul(dghf, t * b * gh, gh, whtf, h, matf, b, h, gh, nthreads, aoffs, boffs)
"""

_SAVED_GRU = """for j in range(2 * h):
                    dgx[t, r, j] += gr[2 * h + j]
                for j in range(h):
                    dgx[t, r, 2 * h + j] += gr[4 * h + j]
                for j in range(2 * h):
                    dgh[t, r, j] += gr[2 * h + j]
                for j in range(h):
                    dgh[t, r, 2 * h + j] += gr[5 * h + j]"""

_SAVED_RNN = """for j in range(h):
                    dgx[t, r, j] += gr[2 * h + j]"""


def emit(cell: str, dt: np.dtype) -> str:
    """Module source with the ``forward`` and ``backward`` loops of one cell kind and dtype.

    forward(xp, bh, whf, init, initf, lengths, y, yf, hp, h, ...) runs the packed forward into
    y from the input projections xp (init's rows hold h0 where y's rows hold the carried h);
    backward(y, gy, init, lengths, car_live, saved_live, whtf, dgx, dgh, dghf, direct, mat, dd,
    dh_tot, h, ...) writes every step's cotangents of the x and h pre-activations into dgx,
    dgh (the same array for the plain RNN) and leaves h0's cotangent as direct + mat. Names
    ending in f are read-only flat aliases.
    """
    gru = cell == "gru"
    if gru:
        call_fwd = "cell_fwd(xp[t], hp, hs, yt, h)"
        call_bwd = "cell_bwd(yt, dh_tot, hprev, dgx[t], dgh[t], dd, h)"
    else:
        call_fwd = "cell_fwd(xp[t], hp, yt, h)"
        call_bwd = "cell_bwd(yt, dh_tot, dgx[t], h)"
    fwd = _FWD.replace("DT", dt.name).replace("CALL_FWD", call_fwd)
    bwd = _BWD.replace("DT", dt.name).replace("CALL_BWD", call_bwd)
    bwd = bwd.replace("LIVE_DIRECT", "dd[r, j]" if gru else "zero")
    bwd = bwd.replace("SAVED", _SAVED_GRU if gru else _SAVED_RNN)
    header = codegen.module_header() + (
        "from duograd.core.kernels.rnn_seq_matmul import step_matmul\n"
    )
    cells = _cell_source(f"{cell}_fwd", dt, "cell_fwd")
    cells += _cell_source(f"{cell}_bwd", dt, "cell_bwd")
    return header + cells + fwd + bwd


_loaded: dict = {}


def kernels(cell: str, dt: np.dtype):
    """(forward, backward) compiled loops of cell kind "gru", "tanh" or "relu" for dtype dt."""
    key = (cell, np.dtype(dt))
    k = _loaded.get(key)
    if k is None:
        mod = codegen.load_source(emit(cell, np.dtype(dt)))
        k = _loaded[key] = (mod.forward, mod.backward)
    return k
