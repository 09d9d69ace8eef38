"""The GRU and plain-RNN sequence layers' time loops, forward and backward, each one compiled
function per cell kind and dtype.

As for the LSTM (`rnn_seq_lstm_loop`): the loop over the steps runs in compiled code, running
the per-step hidden product on the weight packed once (`rnn_seq_matmul.packed_matmul`) and
the fused cell kernels of `rnn_seq_cells` (their serial form, included in the generated module)
for the elementwise math. Every sum is formed as the step-by-step code in `kernels.rnn_seq_gru`
forms it, in the same order, so the bits do not change.
"""

from __future__ import annotations

import numpy as np

from . import codegen
from . import rnn_seq_cells as KC
from .rnn_seq_matmul import PACKED_IMPORT_LINE, start_pool

# The GRU cell as loops that each store one stream (what the compiler vectorises; the generic
# kernels of `rnn_seq_cells` store several per loop), the activations through a scratch row
# once. Same signatures and the same steps as the "gru_fwd" / "gru_bwd" kernels there.
_GRU_CELLS = """

@njit(cache=True, error_model="numpy")
def cell_fwd(xp, hp, hs, pk, h):
    zero = np.DT(0)
    one = np.DT(1)
    for row_ in range(pk.shape[0]):
        x_r = xp[row_, :h]
        x_z = xp[row_, h : 2 * h]
        x_n = xp[row_, 2 * h : 3 * h]
        h_r = hp[row_, :h]
        h_z = hp[row_, h : 2 * h]
        h_n = hp[row_, 2 * h : 3 * h]
        hv_ = hs[row_]
        p_y = pk[row_, h : 2 * h]
        p_ar = pk[row_, 2 * h : 3 * h]
        p_az = pk[row_, 3 * h : 4 * h]
        p_xn = pk[row_, 4 * h : 5 * h]
        p_hn = pk[row_, 5 * h : 6 * h]
        for j in range(h):
            p_ar[j] = x_r[j] + h_r[j]
        for j in range(h):
            p_az[j] = x_z[j] + h_z[j]
        for j in range(h):
            p_xn[j] = x_n[j]
        for j in range(h):
            p_hn[j] = h_n[j]
FWD_Y


@njit(cache=True, error_model="numpy")
def cell_bwd(pk, gh, hs, dx, dh, dd, h):
    zero = np.DT(0)
    one = np.DT(1)
    scratch = np.empty(4 * h, pk.dtype)
    a_r = scratch[:h]
    a_z = scratch[h : 2 * h]
    a_n = scratch[2 * h : 3 * h]
    a_gan = scratch[3 * h :]
    for row_ in range(pk.shape[0]):
        p_ar = pk[row_, 2 * h : 3 * h]
        p_az = pk[row_, 3 * h : 4 * h]
        p_xn = pk[row_, 4 * h : 5 * h]
        p_hn = pk[row_, 5 * h : 6 * h]
        g_ = gh[row_]
        hv_ = hs[row_]
        dx_r = dx[row_, :h]
        dx_z = dx[row_, h : 2 * h]
        dx_n = dx[row_, 2 * h : 3 * h]
        dh_r = dh[row_, :h]
        dh_z = dh[row_, h : 2 * h]
        dh_n = dh[row_, 2 * h : 3 * h]
        dd_ = dd[row_]
BWD_LOOPS
"""

_GFWD = [
    ("r", "sigmoid", ("ar",)),
    ("z", "sigmoid", ("az",)),
    ("m", "mul", ("r", "hn")),
    ("an", "add", ("xn", "m")),
    ("n", "tanh", ("an",)),
    ("omz", "sub", ("one", "z")),
    ("p1", "mul", ("omz", "n")),
    ("p2", "mul", ("z", "hv")),
    ("y", "add", ("p1", "p2")),
]
_GBWD_GAN = [
    ("omz", "sub", ("one", "z")),
    ("gn", "mul", ("g", "omz")),
    ("gan", "tanh_grad", ("n", "gn")),
]
_GBWD_GAR = [("gr", "mul", ("gan", "hn")), ("gar", "sigmoid_grad", ("r", "gr"))]
_GBWD_GAZ = [("gomz", "mul", ("g", "n")), ("gza", "mul", ("g", "hv")),
             ("gzb", "neg", ("gomz",)), ("gz", "add", ("gza", "gzb")),
             ("gaz", "sigmoid_grad", ("z", "gz"))]  # fmt: skip


def _steps(steps: list, dt: np.dtype, ind: str) -> list[str]:
    out = []
    for k, (name, op, args) in enumerate(steps):
        stmts, expr = codegen.expand_op(op, list(args), dt, dt, "zero", "one", f"t{k}_")
        out += [ind + s for s in stmts] + [f"{ind}{name} = {expr}"]
    return out


def _loop(loads: list[str], steps: list, stores: list[str], dt: np.dtype) -> str:
    ind = " " * 12
    lines = [" " * 8 + "for j in range(h):", *[ind + ld for ld in loads],
             *_steps(steps, dt, ind), *[ind + st for st in stores]]  # fmt: skip
    return "\n".join(lines)


def _gru_cells(dt: np.dtype) -> str:
    """Source of the GRU's cell_fwd and cell_bwd for dtype dt."""
    fwd_y = _loop(["ar = p_ar[j]", "az = p_az[j]", "xn = p_xn[j]", "hn = p_hn[j]",
                   "hv = hv_[j]"], _GFWD, ["p_y[j] = y"], dt)  # fmt: skip
    acts = [
        _loop(["ar = p_ar[j]"], [("r", "sigmoid", ("ar",))], ["a_r[j] = r"], dt),
        _loop(["az = p_az[j]"], [("z", "sigmoid", ("az",))], ["a_z[j] = z"], dt),
        _loop(
            ["r = a_r[j]", "xn = p_xn[j]", "hn = p_hn[j]"],
            [("m", "mul", ("r", "hn")), ("an", "add", ("xn", "m")), ("n", "tanh", ("an",))],
            ["a_n[j] = n"],
            dt,
        ),
        _loop(["g = g_[j]", "z = a_z[j]", "n = a_n[j]"], _GBWD_GAN, ["a_gan[j] = gan"], dt),
        _loop(["gan = a_gan[j]"], [], ["dx_n[j] = gan"], dt),
        _loop(
            ["gan = a_gan[j]", "r = a_r[j]"], [("ghn", "mul", ("gan", "r"))], ["dh_n[j] = ghn"], dt
        ),
        _loop(["gan = a_gan[j]", "r = a_r[j]", "hn = p_hn[j]"], _GBWD_GAR, ["dx_r[j] = gar"], dt),
        _loop(["gar = dx_r[j]"], [], ["dh_r[j] = gar"], dt),
        _loop(
            ["g = g_[j]", "z = a_z[j]", "n = a_n[j]", "hv = hv_[j]"],
            _GBWD_GAZ,
            ["dx_z[j] = gaz"],
            dt,
        ),
        _loop(["gaz = dx_z[j]"], [], ["dh_z[j] = gaz"], dt),
        _loop(["g = g_[j]", "z = a_z[j]"], [("gd", "mul", ("g", "z"))], ["dd_[j] = gd"], dt),
    ]
    src = _GRU_CELLS.replace("DT", dt.name).replace("FWD_Y", fwd_y)
    return src.replace("BWD_LOOPS", "\n".join(acts))


def _cell_source(kind: str, dt: np.dtype, name: str) -> str:
    """The serial kernel of `rnn_seq_cells` kind, renamed (the module header left out)."""
    src = KC.emit(kind, dt)
    start = src.index("@njit")
    end = src.index("@njit", src.index("def kernel_serial"))
    return "\n\n" + src[start:end].rstrip().replace("kernel_serial", name) + "\n"


_FWD = """

@njit(cache=True)
def _rows(src, h, dst):
    for r in range(dst.shape[0]):
        for j in range(h):
            dst[r, j] = src[r, h + j]

@njit(cache=True, error_model="numpy")
def forward(xp, bh, whf, init, initf, lengths, y, yf, hp, h, nthreads, aoffs, boffs, joint, bx):
    zero = np.DT(0)
    t_len, b, gh = xp.shape
    p = y.shape[2]
    hs = np.empty((b, h), y.dtype)  # the carried h, contiguous (strided rows defeat SIMD)
    hpf = hp.reshape(-1)
    whp = pack_weight(whf, gh, gh, h)
    ap, tmp = packed_scratch(whp, b, h)
    for t in range(t_len):
        if joint:
            # xp holds each gate's chain over the input terms: the hidden terms go on from it
            # (one chain over [x, h]), and the step's input term becomes bx
            for r in range(b):
                for j in range(gh):
                    hp[r, j] = xp[t, r, j]
                    xp[t, r, j] = bx[j]
        src, ao = (initf, h) if t == 0 else (yf, (t - 1) * b * p + h)
        if joint:
            packed_matmul_from(src, ao, p, whp, hpf, b, gh, h, ap, tmp, nthreads)
        else:
            packed_matmul(src, ao, p, whp, hpf, b, gh, h, ap, tmp, nthreads)
        _rows(init if t == 0 else y[t - 1], h, hs)
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
    hprev = np.empty((b, h), y.dtype)
    whtp = pack_weight(whtf, h, h, gh)
    ap, tmp = packed_scratch(whtp, b, gh)
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
        _rows(init if t == 0 else y[t - 1], h, hprev)
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
        packed_matmul(dghf, t * b * gh, gh, whtp, matf, b, h, gh, ap, tmp, nthreads)
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
    y from the input projections xp (init's rows hold h0 where y's rows hold the carried h;
    with joint, xp holds the chains over the input terms, continued over the hidden ones, and
    bx is the step's input term);
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
    header = codegen.module_header() + PACKED_IMPORT_LINE
    if gru:
        cells = _gru_cells(dt)
    else:
        cells = _cell_source(f"{cell}_fwd", dt, "cell_fwd")
        cells += _cell_source(f"{cell}_bwd", dt, "cell_bwd")
    return header + cells + fwd + bwd


_loaded: dict = {}


def kernels(cell: str, dt: np.dtype):
    """(forward, backward) compiled loops of cell kind "gru", "tanh" or "relu" for dtype dt."""
    key = (cell, np.dtype(dt))
    k = _loaded.get(key)
    if k is None:
        start_pool()
        mod = codegen.load_source(emit(cell, np.dtype(dt)))
        k = _loaded[key] = (mod.forward, mod.backward)
    return k
