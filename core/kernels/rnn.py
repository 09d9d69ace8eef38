"""Fused LSTM cell arithmetic: the state and output updates and their gradients, row by row.

An LSTM step after its gate matmuls is a dozen elementwise ops on column blocks of the gate
pre-activations. Run one by one, each costs a dispatch and a pass over memory; these kernels do
one pass each. Every scalar op is expanded from the same template as the standalone elementwise
op (`elementwise_ops.OPS`; float32 sigmoid and tanh from `vecmath_f32`), with every
intermediate rounded to the operand dtype as the standalone ops round it, so the forward values
are those of the op-by-op composition.

Layout: ``gates`` is (rows, 4H) holding the i, f, g, o blocks at column offsets given by
``offsets`` (PyTorch orders them i f g o, TF i g f o); ``c`` and the results are (rows, H).
"""

from __future__ import annotations

import numpy as np

from . import codegen

# elements from which a kernel runs its rows in parallel (the bits do not depend on it)
PARALLEL_MIN = 1 << 16

# Each kernel: its extra array operands (besides gates), the statements computing values from
# the loaded block values xi xf xg xo (gates) and the operands' elements, and what it stores.
# Statements are (name, op, args) expanded from the elementwise templates.
_FORGET = ("fp", "add", ("xf", "fb"))
_SF, _SI, _SO = ("sf", "sigmoid", ("fp",)), ("si", "sigmoid", ("xi",)), ("so", "sigmoid", ("xo",))
_TG = ("tg", "tanh", ("xg",))

KERNELS: dict[str, dict] = {
    # c' = sigmoid(f + fb) * c + sigmoid(i) * tanh(g)
    "state": {
        "operands": ("c",),
        "steps": [_FORGET, _SF, ("m1", "mul", ("sf", "c_j")), _SI, _TG,
                  ("m2", "mul", ("si", "tg")), ("y", "add", ("m1", "m2"))],
        "stores": {"out": "y"},
    },
    # h' = sigmoid(o) * tanh(c')
    "output": {
        "operands": ("cn",),
        "steps": [_SO, ("tc", "tanh", ("cn_j",)), ("y", "mul", ("so", "tc"))],
        "stores": {"out": "y"},
    },
    # d gates of the state update for its cotangent g (the o block is zero)
    "state_grad_gates": {
        "operands": ("c", "g"),
        "steps": [_FORGET, _SF, _SI, _TG,
                  ("gc", "mul", ("g_j", "c_j")), ("df", "sigmoid_grad", ("sf", "gc")),
                  ("gt", "mul", ("g_j", "tg")), ("di", "sigmoid_grad", ("si", "gt")),
                  ("gs", "mul", ("g_j", "si")), ("dg", "tanh_grad", ("tg", "gs"))],
        "stores": {"i": "di", "f": "df", "g": "dg", "o": "zero"},
    },
    # d c of the state update: g * sigmoid(f + fb)
    "state_grad_c": {
        "operands": ("g",),
        "steps": [_FORGET, _SF, ("y", "mul", ("g_j", "sf"))],
        "stores": {"out": "y"},
    },
    # d gates of the output update for its cotangent g (only the o block is non-zero)
    "output_grad_gates": {
        "operands": ("cn", "g"),
        "steps": [_SO, ("tc", "tanh", ("cn_j",)), ("gt", "mul", ("g_j", "tc")),
                  ("do", "sigmoid_grad", ("so", "gt"))],
        "stores": {"i": "zero", "f": "zero", "g": "zero", "o": "do"},
    },
    # d c' of the output update: tanh'(c') * g * sigmoid(o)
    "output_grad_c": {
        "operands": ("cn", "g"),
        "steps": [_SO, ("tc", "tanh", ("cn_j",)), ("gs", "mul", ("g_j", "so")),
                  ("y", "tanh_grad", ("tc", "gs"))],
        "stores": {"out": "y"},
    },
}  # fmt: skip

_BLOCKS = ("i", "f", "g", "o")


def _needed(steps: list, target: str) -> list:
    """The steps ``target`` depends on, in their original order."""
    want = {target}
    for name, _, args in reversed(steps):
        if name in want:
            want.update(args)
    return [s for s in steps if s[0] in want]


def _loop(steps: list, target: str, store: str, operands: tuple, dt: np.dtype) -> list[str]:
    """One inner loop over the columns of a row computing ``target`` and storing it."""
    ind = " " * 12
    lines = [
        "        for j in range(h):",
        f"{ind}xi = gates_row[oi + j]",
        f"{ind}xf = gates_row[of + j]",
        f"{ind}xg = gates_row[og + j]",
        f"{ind}xo = gates_row[oo + j]",
        *[f"{ind}{o}_j = {o}_row[j]" for o in operands],
    ]
    for k, (name, op, opargs) in enumerate(_needed(steps, target)):
        stmts, expr = codegen.expand_op(op, list(opargs), dt, dt, "zero", "one", f"t{k}_")
        lines += [ind + s for s in stmts] + [f"{ind}{name} = {expr}"]
    return lines + [f"{ind}{store} = {target}"]


def emit(kind: str, dt: np.dtype) -> str:
    """Module source with ``kernel_serial`` and ``kernel_parallel`` for one kernel and dtype.

    A kernel that fills gate blocks runs one inner loop per block, each storing through its own
    view: a single loop storing at four run-time offsets of one row could overlap itself as far
    as the compiler knows, and would not be vectorised.
    """
    spec = KERNELS[kind]
    operands = spec["operands"]
    steps = spec["steps"]
    stores = spec["stores"]
    args = ", ".join(["gates", *operands, "fb_arr", "oi", "of", "og", "oo", "out"])
    if "out" in stores:
        body = _loop(steps, stores["out"], "out_row[j]", operands, dt)
    else:
        body = []
        for b in _BLOCKS:
            if stores[b] == "zero":
                body += [f"        out_row[o{b} : o{b} + h] = zero"]
            else:
                body += [f"        block = out_row[o{b} : o{b} + h]"]
                body += _loop(steps, stores[b], "block[j]", operands, dt)
    src = [codegen.module_header()]
    for parallel in (False, True):
        deco = '@njit(cache=True, error_model="numpy"' + (", parallel=True)" if parallel else ")")
        lines = [
            deco,
            f"def kernel_{'parallel' if parallel else 'serial'}({args}):",
            f"    zero = np.{dt.name}(0)",
            f"    one = np.{dt.name}(1)",
            "    fb = fb_arr[0]",
            "    rows = out.shape[0]",
            "    h = gates.shape[1] // 4",
            f"    for r in {'prange' if parallel else 'range'}(rows):",
            "        gates_row = gates[r]",
            "        out_row = out[r]",
            *[f"        {o}_row = {o}[r]" for o in operands],
            *body,
        ]
        src.append("\n\n" + "\n".join(lines) + "\n")
    return "".join(src)


_loaded: dict = {}


def _kernels(kind: str, dt: np.dtype):
    key = (kind, dt)
    k = _loaded.get(key)
    if k is None:
        mod = codegen.load_source(emit(kind, dt))
        k = _loaded[key] = (mod.kernel_serial, mod.kernel_parallel)
    return k


ORDERS = {"torch": "ifgo", "tf": "igfo"}


def run(
    kind: str, gates: np.ndarray, operands: tuple, forget_bias: float, layout: str
) -> np.ndarray:
    """Apply one LSTM kernel; gates (..., 4H), operands (..., H) -> (..., H) or (..., 4H)."""
    dt = gates.dtype
    h = gates.shape[-1] // 4
    lead = gates.shape[:-1]
    g2 = np.ascontiguousarray(gates).reshape(-1, 4 * h)
    ops2 = [np.ascontiguousarray(a).reshape(-1, h) for a in operands]
    width = h if "out" in KERNELS[kind]["stores"] else 4 * h
    out = np.empty((g2.shape[0], width), dt)
    if out.size:
        order = ORDERS[layout]
        offs = [order.index(b) * h for b in _BLOCKS]
        serial, parallel = _kernels(kind, dt)
        big = g2.shape[0] > 1 and g2.shape[0] * h >= PARALLEL_MIN
        fb = np.full(1, forget_bias, dt)
        (parallel if big else serial)(g2, *ops2, fb, *offs, out)
    return out.reshape(lead + (width,))
