"""Turn elementwise programs into numba source files that numba can cache across processes.

numba cannot disk-cache closures built by a factory (their pickled form changes per process),
so each kernel is written out as plain Python source, named by a hash of that source, and
imported from the kernel cache folder; ``@njit(cache=True)`` then stores the machine code
beside the file and later processes only load it.

Program representation
----------------------
A program is a tuple of steps ``(op, arg, ...)``; ``op`` names an entry of
``elementwise_ops.OPS`` and each ``arg`` is an int: ``i >= 0`` is input ``i``, ``-k`` is the
result of the step ``k`` places earlier (``-1`` = the previous step). The last step is the
output. Example: ``(("mul", 0, 1), ("add", -1, 2), ("relu", -1))`` is ``relu(x0*x1 + x2)``.
Every step's value is held in a local of the step's own dtype, and each op expands to the same
scalar expression whether it runs alone or inside a longer program, so a fused program gives
the same bits as running its ops one by one through arrays.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
import threading
from types import ModuleType

import numpy as np

from . import pymath, threads
from .cache import kernel_cache_dir
from .elementwise_ops import OPS

Program = tuple[tuple, ...]

# Elements per parallel chunk; any chunking gives the same bits (elements are independent),
# it only has to be large enough to amortise the scheduling.
CHUNK = 1 << 12

_KINDS = {"float32": "f", "float64": "f", "int32": "i", "int64": "i", "bool": "b"}
# storage dtypes (core/dtypes.py) compute with the templates of their kind
_KINDS.update({"uint8": "i", "int8": "i", "int16": "i", "float16": "f"})
_modules: dict[str, ModuleType] = {}
_lock = threading.Lock()


def dtype_kind(dt: np.dtype) -> str:
    """Return 'f', 'i' or 'b' for a supported dtype, else raise TypeError."""
    k = _KINDS.get(dt.name)
    if k is None:
        raise TypeError(f"duograd kernels support float32/float64/int32/int64/bool, got {dt}")
    return k


def normalize_program(program) -> Program:
    """Validate a program's structure and return it as a tuple of tuples."""
    steps = tuple(tuple(s) for s in program)
    if not steps:
        raise ValueError("elementwise program is empty")
    for k, step in enumerate(steps):
        if not step or not isinstance(step[0], str):
            raise ValueError(f"program step {k} must be (op, arg, ...), got {step!r}")
        op = OPS.get(step[0])
        if op is None:
            raise ValueError(f"program step {k}: unknown elementwise op {step[0]!r}")
        if len(step) - 1 != op.arity:
            raise ValueError(
                f"program step {k}: op {step[0]!r} takes {op.arity} operands, got {len(step) - 1}"
            )
        for a in step[1:]:
            if not isinstance(a, (int, np.integer)) or (a < 0 and k + a < 0):
                raise ValueError(f"program step {k}: bad operand reference {a!r}")
    return steps


def infer_dtypes(program: Program, in_dtypes: tuple[np.dtype, ...]) -> list[np.dtype]:
    """Return each step's result dtype, raising TypeError for ill-typed steps."""
    out: list[np.dtype] = []
    for k, (name, *args) in enumerate(program):
        op = OPS[name]
        dts = []
        for a in args:
            if a >= 0:
                if a >= len(in_dtypes):
                    raise ValueError(f"program step {k}: input {a} but only {len(in_dtypes)} given")
                dts.append(in_dtypes[a])
            else:
                dts.append(out[k + a])
        vals = dts[1:] if op.cond_first else dts
        if op.cond_first and dts[0] != np.bool_:
            raise TypeError(f"{name}: condition must be bool, got {dts[0]}")
        if any(d != vals[0] for d in vals):
            raise TypeError(
                f"{name}: operand dtypes differ ({', '.join(map(str, vals))}); "
                "promote them before the op"
            )
        kind = dtype_kind(vals[0])
        if kind not in op.templates:
            raise TypeError(f"elementwise op {name!r} does not support dtype {vals[0]}")
        if op.result == "same":
            out.append(vals[0])
        else:
            out.append(np.dtype(op.result))
    return out


def work_per_element(program: Program, n_inputs: int) -> float:
    """A program's work per output element relative to one binary add (which is 1.0):
    memory streams (inputs and the output) plus the ops' costs, over the add's 3 + 1."""
    return (n_inputs + 1 + sum(OPS[step[0]].cost for step in program)) / 4.0


def _const(dt: np.dtype, v: int) -> str:
    if dt == np.bool_:
        return "True" if v else "False"
    return f"np.{dt.name}({v})"


def expand_op(
    name: str,
    operands: list[str],
    operand_dtype: np.dtype,
    result_dtype: np.dtype,
    zero: str,
    one: str,
    tmp: str,
) -> tuple[list[str], str]:
    """(statements, value expression) of one scalar op from its template (see elementwise_ops):
    operands, the typed zero/one constants and the temporaries' prefix are names to use."""
    op = OPS[name]
    kind = dtype_kind(operand_dtype)
    template = op.templates.get(operand_dtype.name) or op.templates[kind]
    lines = template.format(
        *operands, T=f"np.{result_dtype.name}", zero=zero, one=one, t=tmp
    ).split("\n")
    expr = lines[-1]
    if op.result == "same" and kind == "i":
        expr = f"np.{result_dtype.name}({expr})"
    return lines[:-1], expr


def emit_steps(
    program: Program, in_dtypes, indent: str
) -> tuple[list[str], list[list[str]], list[np.dtype]]:
    """Return (constant lines, each step's body lines, each step's dtype) for a program; step
    ``k`` reads ``x{i}`` (input i) and earlier ``v{j}``, and leaves its value in ``v{k}``."""
    dts = infer_dtypes(program, tuple(in_dtypes))
    consts: dict[str, str] = {}
    steps: list[list[str]] = []
    for k, (name, *args) in enumerate(program):
        names = [f"x{a}" if a >= 0 else f"v{k + a}" for a in args]
        opnd_dt = np.dtype(in_dtypes[args[-1]]) if args[-1] >= 0 else dts[k + args[-1]]
        tag = opnd_dt.name
        consts[f"zero_{tag}"] = _const(opnd_dt, 0)
        consts[f"one_{tag}"] = _const(opnd_dt, 1)
        stmts, expr = expand_op(name, names, opnd_dt, dts[k], f"zero_{tag}", f"one_{tag}", f"t{k}_")
        steps.append([indent + ln for ln in stmts] + [f"{indent}v{k} = {expr}"])
    const_lines = [f"    {n} = {v}" for n, v in consts.items()]
    return const_lines, steps, dts


def emit_body(program: Program, in_dtypes, indent: str) -> tuple[list[str], list[str], str]:
    """Return (constant lines, per-element body lines, name of the result) for a program."""
    const_lines, steps, _ = emit_steps(program, in_dtypes, indent)
    return const_lines, [ln for step in steps for ln in step], f"v{len(program) - 1}"


_HEADER = """\
# Generated by duograd.core.kernels.codegen; do not edit (the file name is a hash of its text).
{math_import}

import numpy as np
from numba import njit, prange

CHUNK = {chunk}
"""


def module_header() -> str:
    """The imports and constants every generated kernel module starts with."""
    return _HEADER.format(chunk=CHUNK, math_import=pymath.IMPORT_LINE)


def deco(parallel: bool) -> str:
    """The decorator line of a generated kernel (serial or parallel)."""
    extra = ", parallel=True" if parallel else ""
    return f'@njit(cache=True, error_model="numpy"{extra})'


def emit_kernels(program: Program, in_dtypes, layout: str, kinds: tuple[str, ...]) -> str:
    """Return module source with ``kernel_serial`` and ``kernel_parallel`` for one layout.

    layout "flat": inputs are 1-D of length n (kind "F") or 1-element arrays (kind "S");
    layout "rows": output (R, C); inputs (R, C) "F", (C,) "R" (a row broadcast down),
    (R,) "C" (a column broadcast across) or (1,) "S"; layout "nd": all operands 4-D strided.
    """
    n_in = len(in_dtypes)
    args = ", ".join([f"a{i}" for i in range(n_in)] + ["out"])
    src = [module_header()]
    for parallel in (False, True):
        rng = "prange" if parallel else "range"
        fn = "kernel_parallel" if parallel else "kernel_serial"
        ind = " " * (8 if layout == "flat" and not parallel else 12)
        consts, body, res = emit_body(program, in_dtypes, ind)
        lines = [deco(parallel), f"def {fn}({args}):", *consts]
        lines += [f"    x{i} = a{i}[0]" for i in range(n_in) if kinds[i] == "S"]
        if layout == "flat":
            lines.append("    n = out.shape[0]")
            if parallel:
                lines += [
                    "    for c in prange((n + CHUNK - 1) // CHUNK):",
                    "        lo = c * CHUNK",
                    "        hi = min(lo + CHUNK, n)",
                    "        o = out[lo:hi]",
                    *[f"        b{i} = a{i}[lo:hi]" for i in range(n_in) if kinds[i] == "F"],
                    "        for i in range(hi - lo):",
                    *[f"{ind}x{i} = b{i}[i]" for i in range(n_in) if kinds[i] == "F"],
                    *body,
                    f"{ind}o[i] = {res}",
                ]
            else:
                lines += [
                    "    for i in range(n):",
                    *[f"{ind}x{i} = a{i}[i]" for i in range(n_in) if kinds[i] == "F"],
                    *body,
                    f"{ind}out[i] = {res}",
                ]
        elif layout == "rows":
            lines += [
                "    nr, nc = out.shape",
                f"    for r in {rng}(nr):",
                "        o = out[r]",
                *[f"        b{i} = a{i}[r]" for i in range(n_in) if kinds[i] == "F"],
                *[f"        x{i} = a{i}[r]" for i in range(n_in) if kinds[i] == "C"],
                "        for j in range(nc):",
                *[f"{ind}x{i} = b{i}[j]" for i in range(n_in) if kinds[i] == "F"],
                *[f"{ind}x{i} = a{i}[j]" for i in range(n_in) if kinds[i] == "R"],
                *body,
                f"{ind}o[j] = {res}",
            ]
        else:  # nd: 4-D strided views, outer three dims flattened so prange sees one loop
            lines += [
                "    d0, d1, d2, d3 = out.shape",
                f"    for s in {rng}(d0 * d1 * d2):",
                "        i2 = s % d2",
                "        q = s // d2",
                "        i1 = q % d1",
                "        i0 = q // d1",
                "        for j in range(d3):",
                *[f"{ind}x{i} = a{i}[i0, i1, i2, j]" for i in range(n_in)],
                *body,
                f"{ind}out[i0, i1, i2, j] = {res}",
            ]
        src.append("\n\n" + "\n".join(lines) + "\n")
    return "".join(src)


def expand_macro(src: str, name: str, template: str) -> str:
    """Replace each call ``name(a, b, ...)`` in ``src`` by ``(template)`` with {0}, {1}, ...

    Arguments may contain brackets and nested calls (expanded too). Used to inline tiny
    scalar helpers textually: every separate numba function costs compile time.
    """
    head = name + "("
    out: list[str] = []
    i = 0
    while True:
        j = src.find(head, i)
        while j > 0 and (src[j - 1].isalnum() or src[j - 1] == "_"):
            j = src.find(head, j + 1)
        if j < 0:
            out.append(src[i:])
            return "".join(out)
        out.append(src[i:j])
        k = start = j + len(head)
        depth = 0
        args: list[str] = []
        while True:
            c = src[k]
            if c in "([":
                depth += 1
            elif c in ")]":
                if depth == 0:
                    args.append(src[start:k])
                    break
                depth -= 1
            elif c == "," and depth == 0:
                args.append(src[start:k])
                start = k + 1
            k += 1
        expanded = [expand_macro(a.strip(), name, template) for a in args]
        out.append("(" + template.format(*expanded) + ")")
        i = k + 1


def load_source(source: str) -> ModuleType:
    """Write ``source`` to the cache folder (once, atomically) and import it (once per process)."""
    digest = hashlib.sha256(source.encode()).hexdigest()[:24]
    mod = _modules.get(digest)
    if mod is not None:
        return mod
    with _lock:
        mod = _modules.get(digest)
        if mod is not None:
            return mod
        folder = kernel_cache_dir()
        path = folder / f"dg_{digest}.py"
        if not path.exists():
            # Temp file in the same folder + os.replace: concurrent writers both succeed and
            # a reader never sees a half-written file.
            fd, tmp = tempfile.mkstemp(prefix=".dg_", suffix=".tmp", dir=folder)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(source)
                os.replace(tmp, path)
            except BaseException:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise
        name = f"duograd._generated.dg_{digest}"
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
        threads.guard(mod)
        _modules[digest] = mod
        return mod
