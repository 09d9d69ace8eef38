"""Flat fused kernels that run their transcendental ops one loop each, block by block.

A fused program evaluated as one loop over the elements puts every op of an element in one
long dependent chain; with two or more transcendental ops (tanh, sigmoid, exp, ...) in it, the
vectorised loop ran 1.5-3x slower than the same ops as separate kernels, although it was SIMD
code with fewer instructions per element (see README "Compiling eager code"). So a program with
several such ops is split into segments holding at most one each; the elements are taken in
blocks that stay in the L1 cache, and each segment is its own inner loop over the block, which
the compiler vectorises as it does the single-op kernel. Values a later segment reads are kept
in per-block buffers of the step's own dtype, and every op still expands the same scalar text
on the same operands, so the bits are those of the single loop (and of the ops one by one).
"""

from __future__ import annotations

import numpy as np

from . import codegen
from .elementwise_ops import OPS

# Elements per block: buffers of 4 KB per float32 value stay in L1 next to the inputs and the
# output, and a block is long enough that entering a loop costs little. codegen.CHUNK (a
# parallel task) is a multiple of it.
BLOCK = 1 << 10
# An op costs this much (elementwise_ops.ScalarOp.cost) or more: a transcendental function.
HEAVY = 8


def segments(program: codegen.Program) -> list[range]:
    """The step ranges of a program's loops: each holds at most one heavy op (a new segment
    starts at every heavy op after the first; cheap steps stay with the segment before them)."""
    starts = [0]
    seen = False
    for k, step in enumerate(program):
        if OPS[step[0]].cost >= HEAVY:
            if seen:
                starts.append(k)
            seen = True
    ends = starts[1:] + [len(program)]
    return [range(a, b) for a, b in zip(starts, ends, strict=True)]


def _reads(program: codegen.Program, seg: range) -> tuple[set[int], set[int]]:
    """(inputs, earlier steps outside ``seg``) that the steps of ``seg`` read."""
    inputs: set[int] = set()
    steps: set[int] = set()
    for k in seg:
        for a in program[k][1:]:
            if a >= 0:
                inputs.add(a)
            elif k + a < seg.start:
                steps.add(k + a)
    return inputs, steps


def _np_name(dt: np.dtype) -> str:
    return "np.bool_" if dt == np.bool_ else f"np.{dt.name}"


def emit_flat_blocked(program: codegen.Program, in_dtypes, kinds: tuple[str, ...]) -> str:
    """Module source with ``kernel_serial`` and ``kernel_parallel`` for the "flat" layout
    (inputs 1-D of length n, kind "F", or one element, kind "S"), one loop per segment."""
    segs = segments(program)
    n_in = len(in_dtypes)
    ind = " " * 12
    consts, steps, dts = codegen.emit_steps(program, in_dtypes, ind)
    reads = [_reads(program, seg) for seg in segs]
    kept = sorted(set().union(*[r[1] for r in reads]))  # values crossing a segment boundary
    last = len(program) - 1
    args = ", ".join([f"a{i}" for i in range(n_in)] + ["out"])
    src = [codegen.module_header() + f"BLOCK = {BLOCK}\n"]
    for parallel in (False, True):
        fn = "kernel_parallel" if parallel else "kernel_serial"
        lines = [codegen.deco(parallel), f"def {fn}({args}):", *consts]
        lines += [f"    x{i} = a{i}[0]" for i in range(n_in) if kinds[i] == "S"]
        lines.append("    n = out.shape[0]")
        if parallel:
            # the buffers' size depends on the task, so they are never hoisted out of it and
            # shared between threads
            lines += [
                "    for c in prange((n + CHUNK - 1) // CHUNK):",
                "        start = c * CHUNK",
                "        stop = min(start + CHUNK, n)",
                *[
                    f"        w{k} = np.empty(min(BLOCK, stop - start), {_np_name(dts[k])})"
                    for k in kept
                ],
                "        for lo in range(start, stop, BLOCK):",
            ]
            pad = "    "
        else:
            lines += [f"    w{k} = np.empty(min(BLOCK, n), {_np_name(dts[k])})" for k in kept]
            lines.append("    for lo in range(0, n, BLOCK):")
            pad = ""
        block = [
            "        hi = min(lo + BLOCK, n)",
            "        m = hi - lo",
            *[f"        b{i} = a{i}[lo:hi]" for i in range(n_in) if kinds[i] == "F"],
            "        o = out[lo:hi]",
        ]
        for seg, (inputs, earlier) in zip(segs, reads, strict=True):
            block.append("        for i in range(m):")
            block += [f"{ind}x{i} = b{i}[i]" for i in sorted(inputs) if kinds[i] == "F"]
            block += [f"{ind}v{k} = w{k}[i]" for k in sorted(earlier)]
            for k in seg:
                block += steps[k]
            block += [f"{ind}w{k}[i] = v{k}" for k in kept if k in seg]
            if last in seg:
                block.append(f"{ind}o[i] = v{last}")
        lines += [pad + ln for ln in block]
        src.append("\n\n" + "\n".join(lines) + "\n")
    return "".join(src)
