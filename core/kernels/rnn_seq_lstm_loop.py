"""The LSTM sequence layer's time loops, forward and backward, each one compiled function.

`kernels.rnn_seq` used to step through time in Python: per step a hidden matmul and a few fused
cell kernels, each a call from the interpreter. Here each direction is one generated
``@njit`` function that loops over the steps itself, calls the matmul kernels' drivers for the
per-step product (`rnn_seq_matmul.step_matmul`, the chain every matmul path runs) and does the
cell's elementwise math inline, expanded from the same templates as the standalone elementwise
ops. Every value is computed as the step-by-step code computed it (the same operations on the
same operands in the same order, each rounded to the dtype), so the bits do not change; what
goes away is the interpreter, the temporaries, and the backward's second evaluation of each
sigmoid and tanh (the cell-gradient kernels each recomputed the activations they needed).

The layout of the gate blocks comes in as run-time column offsets, so one function per dtype
serves both layouts.
"""

from __future__ import annotations

import numpy as np

from . import codegen

# Forward: the state update then the output update (kernels.rnn "state" and "output").
_FWD = [("fp", "add", ("xf", "fb")), ("sf", "sigmoid", ("fp",)), ("m1", "mul", ("sf", "c_j")),
        ("si", "sigmoid", ("xi",)), ("tg", "tanh", ("xg",)), ("m2", "mul", ("si", "tg")),
        ("cn", "add", ("m1", "m2")), ("so", "sigmoid", ("xo",)), ("tc", "tanh", ("cn",)),
        ("hn", "mul", ("so", "tc"))]  # fmt: skip

# Backward of one step for the carried cotangents dh_j, dc_j and the step's own cotangents
# (go_j output, gh_j carried h, gc_j carried c): the activations once, then the cell-gradient
# kernels' arithmetic (output_grad_c, output_grad_gates, state_grad_gates, state_grad_c) and
# the sums the step-by-step code formed (its zero blocks included: 0 + x is not always x).
_BWD = [("fp", "add", ("xf", "fb")), ("sf", "sigmoid", ("fp",)), ("si", "sigmoid", ("xi",)),
        ("tg", "tanh", ("xg",)), ("so", "sigmoid", ("xo",)), ("tc", "tanh", ("cn_j",)),
        ("dha", "add", ("dh_j", "gh_j")), ("dca", "add", ("dc_j", "gc_j")),
        ("g_j", "add", ("dha", "go_j")),
        ("gs", "mul", ("g_j", "so")), ("ogc", "tanh_grad", ("tc", "gs")),
        ("dct", "add", ("dca", "ogc")),
        ("gt", "mul", ("g_j", "tc")), ("do", "sigmoid_grad", ("so", "gt")),
        ("gc", "mul", ("dct", "c_j")), ("df", "sigmoid_grad", ("sf", "gc")),
        ("gt2", "mul", ("dct", "tg")), ("di", "sigmoid_grad", ("si", "gt2")),
        ("gs2", "mul", ("dct", "si")), ("dgg", "tanh_grad", ("tg", "gs2")),
        ("dcp", "mul", ("dct", "sf")),
        ("vi", "add", ("zero", "di")), ("vf", "add", ("zero", "df")),
        ("vg", "add", ("zero", "dgg")), ("vo", "add", ("do", "zero"))]  # fmt: skip


def _steps(steps: list, dt: np.dtype, ind: str) -> list[str]:
    out = []
    for k, (name, op, args) in enumerate(steps):
        stmts, expr = codegen.expand_op(op, list(args), dt, dt, "zero", "one", f"t{k}_")
        out += [ind + s for s in stmts] + [f"{ind}{name} = {expr}"]
    return out


def emit(dt: np.dtype) -> str:
    """Module source with the ``forward`` and ``backward`` loops for one dtype."""
    ind = " " * 16
    gates = [f"{ind}x{b} = yr[g0 + o{b} + j]" for b in "ifgo"]
    fwd = f'''

@njit(cache=True, error_model="numpy")
def forward(xp, bh, whf, init, initf, lengths, fb_arr, oi, of, og, oo, y, yf, hp, nthreads,
            aoffs, boffs):
    """Steps of the packed LSTM forward (see kernels.rnn_seq) into y; init rows hold h0, c0
    where y's rows hold h, c; yf, initf: read-only flat aliases of y, init."""
    zero = np.{dt.name}(0)
    one = np.{dt.name}(1)
    fb = fb_arr[0]
    t_len, b, g4 = xp.shape
    h = g4 // 4
    p = 7 * h
    g0 = 3 * h
    hpf = hp.reshape(-1)
    for t in range(t_len):
        if t == 0:
            step_matmul(initf, np.int64(h), p, whf, g4, hpf, b, g4, h, nthreads, aoffs, boffs)
        else:
            ao = (t - 1) * b * p + h
            step_matmul(yf, ao, p, whf, g4, hpf, b, g4, h, nthreads, aoffs, boffs)
        for r in range(b):
            yr = y[t, r]
            xr = xp[t, r]
            hr = hp[r]
            prev = init[r] if t == 0 else y[t - 1, r]
            for j in range(g4):
                yr[g0 + j] = xr[j] + (hr[j] + bh[j])
            live = lengths[r] > t
            for j in range(h):
{chr(10).join(gates)}
                c_j = prev[2 * h + j]
{chr(10).join(_steps(_FWD, dt, ind))}
                if live:
                    yr[j] = hn
                    yr[h + j] = hn
                    yr[2 * h + j] = cn
                else:
                    yr[j] = zero
                    yr[h + j] = prev[h + j]
                    yr[2 * h + j] = c_j
'''
    bwd = f'''

@njit(cache=True, error_model="numpy")
def backward(y, gy, init, lengths, fb_arr, oi, of, og, oo, whtf, dgates, dgf, dh, dc, mat,
             nthreads, aoffs, boffs):
    """Backward through time of the packed LSTM: the gate cotangents of every step into
    dgates (dgf its read-only flat alias), the initial state's cotangents left in dh, dc."""
    zero = np.{dt.name}(0)
    one = np.{dt.name}(1)
    fb = fb_arr[0]
    t_len, b, p = y.shape
    h = p // 7
    g4 = 4 * h
    g0 = 3 * h
    matf = mat.reshape(-1)
    for t in range(t_len - 1, -1, -1):
        for r in range(b):
            yr = y[t, r]
            gr = gy[t, r]
            prev = init[r] if t == 0 else y[t - 1, r]
            dgr = dgates[t, r]
            dhr = dh[r]
            dcr = dc[r]
            live = lengths[r] > t
            for j in range(h):
{chr(10).join(gates)}
                cn_j = yr[2 * h + j]
                c_j = prev[2 * h + j]
                dh_j = dhr[j]
                dc_j = dcr[j]
                go_j = gr[j]
                gh_j = gr[h + j]
                gc_j = gr[2 * h + j]
{chr(10).join(_steps(_BWD, dt, ind))}
                if not live:
                    vi = zero
                    vf = zero
                    vg = zero
                    vo = zero
                    dcp = dca
                dgr[oi + j] = vi + gr[g0 + oi + j]
                dgr[of + j] = vf + gr[g0 + of + j]
                dgr[og + j] = vg + gr[g0 + og + j]
                dgr[oo + j] = vo + gr[g0 + oo + j]
                dhr[j] = dha
                dcr[j] = dcp
        step_matmul(dgf, t * b * g4, g4, whtf, h, matf, b, h, g4, nthreads, aoffs, boffs)
        for r in range(b):
            dhr = dh[r]
            mr = mat[r]
            if lengths[r] > t:
                for j in range(h):
                    dhr[j] = mr[j]
            else:
                for j in range(h):
                    dhr[j] = mr[j] + dhr[j]
'''
    header = codegen.module_header() + (
        "from duograd.core.kernels.rnn_seq_matmul import step_matmul\n"
    )
    return header + fwd + bwd


_loaded: dict = {}


def kernels(dt: np.dtype):
    """(forward, backward) compiled loops for dtype dt."""
    k = _loaded.get(dt)
    if k is None:
        mod = codegen.load_source(emit(np.dtype(dt)))
        k = _loaded[dt] = (mod.forward, mod.backward)
    return k
