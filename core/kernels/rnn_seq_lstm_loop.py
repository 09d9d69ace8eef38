"""The LSTM sequence layer's time loops, forward and backward, each one compiled function.

`kernels.rnn_seq` used to step through time in Python: per step a hidden matmul and a few fused
cell kernels, each a call from the interpreter. Here each direction is one generated
``@njit`` function that loops over the steps itself, runs the per-step product on the weight
packed once per sequence (`rnn_seq_matmul.packed_matmul`: the tiles and the chain every matmul
path runs) and does the cell's elementwise math inline, expanded from the same templates as the
cell primitives (`kernels.rnn`; float32 sigmoid and tanh from `vecmath_f32`). Every value is
computed as the step-by-step code computed it (the same operations on the same operands in the
same order, each rounded to the dtype), so the bits do not change; what goes away is the
interpreter, the temporaries, the per-step repacking of the weight, and the backward's second
evaluation of each sigmoid and tanh (the cell-gradient kernels each recomputed the activations
they needed).

The layout of the gate blocks comes in as run-time column offsets, so one function per dtype
serves both layouts.
"""

from __future__ import annotations

import numpy as np

from . import codegen
from .rnn_seq_matmul import PACKED_IMPORT_LINE, start_pool

# Each inner loop below stores one stream and reads a few (what the compiler vectorises, with
# run-time overlap checks); values several loops need (the activations) go through a scratch
# row once. Steps are (name, op, args) expanded from the elementwise templates.
_STATE = [("fp", "add", ("xf", "fb")), ("sf", "sigmoid", ("fp",)), ("m1", "mul", ("sf", "c_j")),
          ("si", "sigmoid", ("xi",)), ("tg", "tanh", ("xg",)), ("m2", "mul", ("si", "tg")),
          ("cn", "add", ("m1", "m2"))]  # fmt: skip
_OUTPUT = [("so", "sigmoid", ("xo",)), ("tc", "tanh", ("cn",)), ("hn", "mul", ("so", "tc"))]
# The backward's loops: the cell-gradient kernels' arithmetic (output_grad_c, output_grad_gates,
# state_grad_gates, state_grad_c) on the activations computed once, with the sums the
# step-by-step code formed (its zero blocks included: 0 + x is not always x).
_DCT = [("gs", "mul", ("g_j", "so")), ("ogc", "tanh_grad", ("tc", "gs")),
        ("dct", "add", ("dca", "ogc"))]  # fmt: skip
_DO = [("gt", "mul", ("g_j", "tc")), ("do", "sigmoid_grad", ("so", "gt")),
       ("v", "add", ("do", "zero"))]  # fmt: skip
_DI = [("gt", "mul", ("dct", "tg")), ("di", "sigmoid_grad", ("si", "gt")),
       ("v", "add", ("zero", "di"))]  # fmt: skip
_DF = [("gc", "mul", ("dct", "c_j")), ("df", "sigmoid_grad", ("sf", "gc")),
       ("v", "add", ("zero", "df"))]  # fmt: skip
_DG = [("gs", "mul", ("dct", "si")), ("dg", "tanh_grad", ("tg", "gs")),
       ("v", "add", ("zero", "dg"))]  # fmt: skip


def _steps(steps: list, dt: np.dtype, ind: str) -> list[str]:
    out = []
    for k, (name, op, args) in enumerate(steps):
        stmts, expr = codegen.expand_op(op, list(args), dt, dt, "zero", "one", f"t{k}_")
        out += [ind + s for s in stmts] + [f"{ind}{name} = {expr}"]
    return out


def _loop(ind: str, loads: list[str], steps: list, store: str, dt: np.dtype) -> str:
    """A loop over the h columns: loads ("name = expr"), steps, then one store."""
    inner = ind + "    "
    lines = [f"{ind}for j in range(h):", *[inner + ld for ld in loads],
             *_steps(steps, dt, inner), inner + store]  # fmt: skip
    return "\n".join(lines)


def _act(ind: str, name: str, op: str, src: str, dt: np.dtype, pre=None) -> str:
    """A loop storing one activation into its scratch row."""
    steps = ([pre] if pre else []) + [(name, op, (pre[0] if pre else "x",))]
    return _loop(ind, [f"x = {src}"], steps, f"a_{name}[j] = {name}", dt)


_FWD = """

@njit(cache=True, error_model="numpy")
def forward(xp, bh, whf, init, initf, lengths, fb_arr, oi, of, og, oo, y, yf, hp, nthreads,
            aoffs, boffs, joint, bx):
    zero = np.DT(0)
    one = np.DT(1)
    fb = fb_arr[0]
    t_len, b, g4 = xp.shape
    h = g4 // 4
    p = 7 * h
    g0 = 3 * h
    hpf = hp.reshape(-1)
    whp = pack_weight(whf, g4, g4, h)
    ap, tmp = packed_scratch(whp, b, h)
    for t in range(t_len):
        if joint:
            # xp holds each gate's chain over the input terms: the hidden terms go on from it
            # (one chain over [x, h]), and the step's input term becomes bx
            for r in range(b):
                for j in range(g4):
                    hp[r, j] = xp[t, r, j]
                    xp[t, r, j] = bx[j]
        src, ao = (initf, np.int64(h)) if t == 0 else (yf, (t - 1) * b * p + h)
        if joint:
            packed_matmul_from(src, ao, p, whp, hpf, b, g4, h, ap, tmp, nthreads)
        else:
            packed_matmul(src, ao, p, whp, hpf, b, g4, h, ap, tmp, nthreads)
        for r in range(b):
            yr = y[t, r]
            xr = xp[t, r]
            hr = hp[r]
            prev = init[r] if t == 0 else y[t - 1, r]
            y_g = yr[g0 : g0 + g4]
            for j in range(g4):
                y_g[j] = xr[j] + (hr[j] + bh[j])
            y_o = yr[:h]
            y_h = yr[h : 2 * h]
            y_c = yr[2 * h : 3 * h]
            h_prev = prev[h : 2 * h]
            c_prev = prev[2 * h : 3 * h]
            if lengths[r] > t:
                g_i = y_g[oi : oi + h]
                g_f = y_g[of : of + h]
                g_g = y_g[og : og + h]
                g_o = y_g[oo : oo + h]
STATE
OUTPUT
                for j in range(h):
                    y_o[j] = y_h[j]
            else:
                for j in range(h):
                    y_o[j] = zero
                for j in range(h):
                    y_h[j] = h_prev[j]
                for j in range(h):
                    y_c[j] = c_prev[j]
"""

_BWD = """

@njit(cache=True, error_model="numpy")
def backward(y, gy, init, lengths, fb_arr, oi, of, og, oo, whtf, dgates, dgf, dh, dc, mat,
             nthreads, aoffs, boffs):
    zero = np.DT(0)
    one = np.DT(1)
    fb = fb_arr[0]
    t_len, b, p = y.shape
    h = p // 7
    g4 = 4 * h
    g0 = 3 * h
    matf = mat.reshape(-1)
    scratch = np.empty(6 * h, y.dtype)
    a_si = scratch[:h]
    a_sf = scratch[h : 2 * h]
    a_tg = scratch[2 * h : 3 * h]
    a_so = scratch[3 * h : 4 * h]
    a_tc = scratch[4 * h : 5 * h]
    a_dct = scratch[5 * h :]
    whtp = pack_weight(whtf, h, h, g4)
    ap, tmp = packed_scratch(whtp, b, g4)
    for t in range(t_len - 1, -1, -1):
        for r in range(b):
            yr = y[t, r]
            gr = gy[t, r]
            prev = init[r] if t == 0 else y[t - 1, r]
            c_prev = prev[2 * h : 3 * h]
            c_t = yr[2 * h : 3 * h]
            dgr = dgates[t, r]
            dhr = dh[r]
            dcr = dc[r]
            go = gr[:h]
            gh = gr[h : 2 * h]
            gc = gr[2 * h : 3 * h]
            gg = gr[g0:]
            for j in range(h):
                dhr[j] = dhr[j] + gh[j]
            if lengths[r] > t:
                y_g = yr[g0:]
                g_i = y_g[oi : oi + h]
                g_f = y_g[of : of + h]
                g_g = y_g[og : og + h]
                g_o = y_g[oo : oo + h]
                d_i = dgr[oi : oi + h]
                d_f = dgr[of : of + h]
                d_g = dgr[og : og + h]
                d_o = dgr[oo : oo + h]
                gg_i = gg[oi : oi + h]
                gg_f = gg[of : of + h]
                gg_g = gg[og : og + h]
                gg_o = gg[oo : oo + h]
ACTS
DCT
GRADS
                for j in range(h):
                    dcr[j] = a_dct[j] * a_sf[j]
            else:
                for j in range(g4):
                    dgr[j] = zero + gg[j]
                for j in range(h):
                    dcr[j] = dcr[j] + gc[j]
        packed_matmul(dgf, t * b * g4, g4, whtp, matf, b, h, g4, ap, tmp, nthreads)
        for r in range(b):
            dhr = dh[r]
            mr = mat[r]
            if lengths[r] > t:
                for j in range(h):
                    dhr[j] = mr[j]
            else:
                for j in range(h):
                    dhr[j] = mr[j] + dhr[j]
"""


def emit(dt: np.dtype) -> str:
    """Module source with the ``forward`` and ``backward`` loops for one dtype.

    forward(xp, bh, whf, init, initf, lengths, fb_arr, oi, of, og, oo, y, yf, hp, nthreads,
    aoffs, boffs) runs the packed forward into y from the input projections xp; init's rows
    hold h0, c0 where y's rows hold the carried h, c. backward(y, gy, init, ..., whtf, dgates,
    dgf, dh, dc, mat, ...) writes every step's gate cotangents into dgates and leaves the
    initial state's cotangents in dh, dc. Names ending in f are read-only flat aliases.
    """
    ind = " " * 16
    state = _loop(ind, ["xi = g_i[j]", "xf = g_f[j]", "xg = g_g[j]", "c_j = c_prev[j]"], _STATE,
                  "y_c[j] = cn", dt)  # fmt: skip
    output = _loop(ind, ["xo = g_o[j]", "cn = y_c[j]"], _OUTPUT, "y_h[j] = hn", dt)
    acts = "\n".join([
        _act(ind, "si", "sigmoid", "g_i[j]", dt),
        _act(ind, "sf", "sigmoid", "g_f[j]", dt, ("fp", "add", ("x", "fb"))),
        _act(ind, "tg", "tanh", "g_g[j]", dt),
        _act(ind, "so", "sigmoid", "g_o[j]", dt),
        _act(ind, "tc", "tanh", "c_t[j]", dt),
    ])  # fmt: skip
    g_j = "g_j = dhr[j] + go[j]"
    dct = _loop(ind, [g_j, "dca = dcr[j] + gc[j]", "so = a_so[j]", "tc = a_tc[j]"], _DCT,
                "a_dct[j] = dct", dt)  # fmt: skip
    grads = "\n".join([
        _loop(ind, [g_j, "so = a_so[j]", "tc = a_tc[j]"], _DO, "d_o[j] = v + gg_o[j]", dt),
        _loop(ind, ["dct = a_dct[j]", "si = a_si[j]", "tg = a_tg[j]"], _DI,
              "d_i[j] = v + gg_i[j]", dt),
        _loop(ind, ["dct = a_dct[j]", "sf = a_sf[j]", "c_j = c_prev[j]"], _DF,
              "d_f[j] = v + gg_f[j]", dt),
        _loop(ind, ["dct = a_dct[j]", "si = a_si[j]", "tg = a_tg[j]"], _DG,
              "d_g[j] = v + gg_g[j]", dt),
    ])  # fmt: skip
    fwd = _FWD.replace("DT", dt.name).replace("STATE", state).replace("OUTPUT", output)
    bwd = _BWD.replace("DT", dt.name).replace("ACTS", acts).replace("DCT", dct)
    bwd = bwd.replace("GRADS", grads)
    header = codegen.module_header() + PACKED_IMPORT_LINE
    return header + fwd + bwd


_loaded: dict = {}


def kernels(dt: np.dtype):
    """(forward, backward) compiled loops for dtype dt."""
    k = _loaded.get(dt)
    if k is None:
        start_pool()
        mod = codegen.load_source(emit(np.dtype(dt)))
        k = _loaded[dt] = (mod.forward, mod.backward)
    return k
