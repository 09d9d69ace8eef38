"""Fused per-step arithmetic of the GRU and plain-RNN sequence layers, generated from templates.

A kernel reads column blocks of H from a few (rows, k*H) arrays, runs a list of scalar ops
expanded from the same templates as the standalone elementwise ops (`elementwise_ops.OPS`), each
intermediate rounded to the operand dtype as the standalone ops round it, and stores named
values into column blocks of its result arrays. So a step's values are those of the op-by-op
cell composition (`core.functional.gru_cell` / `rnn_tanh_cell`) and of its reverse sweep.
"""

from __future__ import annotations

import numpy as np

from . import codegen

PARALLEL_MIN = 1 << 16  # elements from which rows run in parallel (the bits do not depend on it)

_GRU_FWD = [("ar", "add", ("xr", "hr")), ("r", "sigmoid", ("ar",)),
            ("az", "add", ("xz", "hz")), ("z", "sigmoid", ("az",)),
            ("m", "mul", ("r", "hn")), ("an", "add", ("xn", "m")), ("n", "tanh", ("an",)),
            ("omz", "sub", ("one", "z")), ("p1", "mul", ("omz", "n")),
            ("p2", "mul", ("z", "hv")), ("y", "add", ("p1", "p2"))]  # fmt: skip

# The reverse sweep of _GRU_FWD for the cotangent g of h': each VJP as the primitives' rules
# write it (mul: g*other, sub: neg(g) for the subtrahend, add: g to both, sigmoid_grad(y, g),
# tanh_grad(y, g)); z's two cotangents are summed (two terms: their order cannot matter).
_GRU_BWD = _GRU_FWD[:-3] + [
    ("gomz", "mul", ("g", "n")), ("gn", "mul", ("g", "omz")),
    ("gza", "mul", ("g", "hv")), ("gd", "mul", ("g", "z")),
    ("gzb", "neg", ("gomz",)), ("gz", "add", ("gza", "gzb")),
    ("gan", "tanh_grad", ("n", "gn")), ("gr", "mul", ("gan", "hn")),
    ("ghn", "mul", ("gan", "r")), ("gaz", "sigmoid_grad", ("z", "gz")),
    ("gar", "sigmoid_grad", ("r", "gr")),
]  # fmt: skip

# Each kernel: input arrays with their column blocks, steps, output arrays with the value stored
# in each block (None leaves a block untouched).
KERNELS: dict[str, dict] = {
    "gru_fwd": {
        "inputs": {"xp": ("xr", "xz", "xn"), "hp": ("hr", "hz", "hn"), "hs": ("hv",)},
        "steps": _GRU_FWD,
        "outputs": {"pk": (None, "y", "ar", "az", "xn", "hn")},
    },
    "gru_bwd": {
        "inputs": {"pk": (None, None, "ar", "az", "xn", "hn"), "gh": ("g",), "hs": ("hv",)},
        "steps": _GRU_BWD,
        "outputs": {"dx": ("gar", "gaz", "gan"), "dh": ("gar", "gaz", "ghn"), "dd": ("gd",)},
    },
    "tanh_fwd": {
        "inputs": {"xp": ("xv",), "hp": ("hv",)},
        "steps": [("a", "add", ("xv", "hv")), ("y", "tanh", ("a",))],
        "outputs": {"pk": (None, "y", "a")},
    },
    "tanh_bwd": {
        "inputs": {"pk": (None, None, "a"), "gh": ("g",)},
        "steps": [("y", "tanh", ("a",)), ("d", "tanh_grad", ("y", "g"))],
        "outputs": {"dx": ("d",)},
    },
    "relu_fwd": {
        "inputs": {"xp": ("xv",), "hp": ("hv",)},
        "steps": [("a", "add", ("xv", "hv")), ("y", "relu", ("a",))],
        "outputs": {"pk": (None, "y", "a")},
    },
    "relu_bwd": {
        "inputs": {"pk": (None, None, "a"), "gh": ("g",)},
        "steps": [("d", "relu_grad", ("a", "g"))],
        "outputs": {"dx": ("d",)},
    },
}


def _needed(steps: list, targets: set) -> list:
    want = set(targets)
    for name, _, args in reversed(steps):
        if name in want:
            want.update(args)
    return [s for s in steps if s[0] in want]


def emit(kind: str, dt: np.dtype) -> str:
    """Module source with ``kernel_serial`` and ``kernel_parallel`` for one kernel and dtype."""
    spec = KERNELS[kind]
    ins, outs = spec["inputs"], spec["outputs"]
    stored = {v for blocks in outs.values() for v in blocks if v is not None}
    loaded = {b for blocks in ins.values() for b in blocks if b is not None}
    # a value read from an input is not recomputed (backward loads the saved pre-activations)
    steps = _needed([s for s in spec["steps"] if s[0] not in loaded], stored)
    used = {a for _, _, args in steps for a in args} | stored
    ind = " " * 12
    body = ["        for j in range(h):"]
    for arr, blocks in ins.items():
        for k, b in enumerate(blocks):
            if b is not None and b in used:
                body.append(f"{ind}{b} = {arr}[row_, {k} * h + j]")
    for k, (name, op, opargs) in enumerate(steps):
        stmts, expr = codegen.expand_op(op, list(opargs), dt, dt, "zero", "one", f"t{k}_")
        body += [ind + s for s in stmts] + [f"{ind}{name} = {expr}"]
    for arr, blocks in outs.items():
        for k, v in enumerate(blocks):
            if v is not None:
                body.append(f"{ind}{arr}[row_, {k} * h + j] = {v}")
    args = ", ".join([*ins, *outs, "h"])
    src = [codegen.module_header()]
    for parallel in (False, True):
        deco = '@njit(cache=True, error_model="numpy"' + (", parallel=True)" if parallel else ")")
        lines = [
            deco,
            f"def kernel_{'parallel' if parallel else 'serial'}({args}):",
            f"    zero = np.{dt.name}(0)",
            f"    one = np.{dt.name}(1)",
            f"    rows = {next(iter(outs))}.shape[0]",
            f"    for row_ in {'prange' if parallel else 'range'}(rows):",
            *body,
        ]
        src.append("\n\n" + "\n".join(lines) + "\n")
    return "".join(src)


_loaded: dict = {}


def run(kind: str, h: int, *arrays: np.ndarray) -> None:
    """Run kernel `kind` on its input arrays then its (preallocated) output arrays."""
    dt = arrays[0].dtype
    key = (kind, dt)
    k = _loaded.get(key)
    if k is None:
        mod = codegen.load_source(emit(kind, dt))
        k = _loaded[key] = (mod.kernel_serial, mod.kernel_parallel)
    rows = arrays[0].shape[0]
    if rows == 0 or h == 0:
        return
    big = rows > 1 and rows * h >= PARALLEL_MIN
    (k[1] if big else k[0])(*arrays, h)
