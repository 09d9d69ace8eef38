"""ElementwiseKernel: a compiled elementwise program plus per-shape plans choosing a layout.

Layouts (see codegen.emit_kernels): "flat" when every operand is the full contiguous array or a
single element, "rows" when the output reads as (R, C) with row/column/scalar operands (bias
adds, per-row scales), else "nd": numpy-broadcast strided views with adjacent dims merged.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import DTypeLike

from . import codegen, elementwise_blocks
from .cpu_share import threads

# Below this much work a call takes the serial kernel: parallel=True costs ~3 us per call. Work
# is output elements times the program's cost per element relative to an add (see
# codegen.work_per_element), so a fused chain or a tanh goes parallel at fewer elements than a
# lone add. Read at call time so tests can lower it to exercise the parallel kernels.
PARALLEL_MIN = 1 << 16
_MAX_PLANS = 2048  # per kernel; plans are cheap to rebuild, so the cache is simply reset


def broadcast_shape(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    """Return the numpy broadcast of ``shapes``; raise ValueError naming them if incompatible."""
    if not shapes:
        return ()
    first = shapes[0]
    if all(s == first for s in shapes):
        return tuple(first)
    nd = max(len(s) for s in shapes)
    res = [1] * nd
    for s in shapes:
        off = nd - len(s)
        for i, d in enumerate(s):
            r = res[off + i]
            if d != r:
                if r == 1:
                    res[off + i] = d
                elif d != 1:
                    raise ValueError(
                        "shapes "
                        + ", ".join(str(tuple(x)) for x in shapes)
                        + f" cannot be broadcast together (axis {off + i - nd}: {r} vs {d})"
                    )
    return tuple(res)


def _coalesce(shape: tuple[int, ...], arrays: list[np.ndarray]) -> tuple[int, ...]:
    """Merge adjacent dims that every array walks as one (all already have ``shape``)."""
    dims = [i for i, d in enumerate(shape) if d != 1]
    out: list[int] = []
    strides: list[list[int]] = []
    for i in dims:
        st = [a.strides[i] for a in arrays]
        if out and all(strides[-1][k] == st[k] * shape[i] for k in range(len(arrays))):
            out[-1] *= shape[i]
            strides[-1] = st
        else:
            out.append(shape[i])
            strides.append(st)
    return tuple(out)


class ElementwiseKernel:
    """An elementwise program compiled for fixed input dtypes; call it on arrays to evaluate."""

    def __init__(
        self,
        program: Sequence[tuple],
        in_dtypes: Sequence[DTypeLike],
        out_dtype: DTypeLike | None = None,
    ) -> None:
        self.program = codegen.normalize_program(program)
        self.in_dtypes = tuple(np.dtype(d) for d in in_dtypes)
        self.out_dtype = codegen.infer_dtypes(self.program, self.in_dtypes)[-1]
        if out_dtype is not None and np.dtype(out_dtype) != self.out_dtype:
            raise TypeError(
                f"elementwise program {self.program} yields {self.out_dtype}, not {out_dtype}"
            )
        self.n_in = len(self.in_dtypes)
        self.work = codegen.work_per_element(self.program, self.n_in)
        self._plans: dict = {}
        self._kern: dict = {}

    def __repr__(self) -> str:
        return f"ElementwiseKernel({self.program}, {[d.name for d in self.in_dtypes]})"

    def kernels(self, layout: str, kinds: tuple[str, ...]):
        """Return (serial, parallel) numba kernels for a layout, generating them on first use."""
        key = (layout, kinds)
        k = self._kern.get(key)
        if k is None:
            if layout == "flat" and len(elementwise_blocks.segments(self.program)) > 1:
                src = elementwise_blocks.emit_flat_blocked(self.program, self.in_dtypes, kinds)
            else:
                src = codegen.emit_kernels(self.program, self.in_dtypes, layout, kinds)
            mod = codegen.load_source(src)
            k = self._kern[key] = (mod.kernel_serial, mod.kernel_parallel)
        return k

    def __call__(self, *arrays: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Evaluate the program elementwise over the broadcast of ``arrays`` (into ``out``)."""
        if out is None:
            key = tuple([(a.shape, a.dtype, a.flags.c_contiguous) for a in arrays])
        else:
            key = tuple([(a.shape, a.dtype, a.flags.c_contiguous) for a in arrays]) + (
                (out.shape, out.dtype, out.flags.c_contiguous),
            )
        plan = self._plans.get(key)
        if plan is None:
            plan = self._make_plan(arrays, out)
            if len(self._plans) >= _MAX_PLANS:
                self._plans.clear()
            self._plans[key] = plan
        if out is not None:
            if not out.flags.writeable:
                raise ValueError("out is read-only")
            arrays = _guard_overlap(arrays, out)
        return plan(arrays, out)

    def plan(self, arrays: tuple[np.ndarray, ...]):
        """Return the plan ``run(arrays, None) -> out`` for arrays shaped/laid out like these."""
        key = tuple([(a.shape, a.dtype, a.flags.c_contiguous) for a in arrays])
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._make_plan(arrays, None)
        return plan

    def _make_plan(self, arrays, out):
        if len(arrays) != self.n_in:
            raise TypeError(f"{self!r} takes {self.n_in} arrays, got {len(arrays)}")
        for i, (a, dt) in enumerate(zip(arrays, self.in_dtypes, strict=True)):
            if not isinstance(a, np.ndarray):
                raise TypeError(f"{self!r}: input {i} is {type(a).__name__}, not ndarray")
            if a.dtype != dt:
                raise TypeError(f"{self!r}: input {i} has dtype {a.dtype}, expected {dt}")
        oshape = broadcast_shape(*[a.shape for a in arrays])
        odt = self.out_dtype
        contig_out = True
        if out is not None:
            if out.shape != oshape or out.dtype != odt:
                raise ValueError(
                    f"out has shape {out.shape} dtype {out.dtype}; expected {oshape} {odt}"
                )
            contig_out = out.flags.c_contiguous
        n = int(np.prod(oshape, dtype=np.int64))
        if n == 0:
            return lambda arrays, out: np.empty(oshape, odt) if out is None else out
        if contig_out:
            kinds = _flat_kinds(arrays, n)
            if kinds is not None:
                return self._flat_plan(oshape, n, kinds)
            split = _rows_split(arrays, oshape, n)
            if split is not None:
                return self._rows_plan(oshape, n, *split)
        return self._nd_plan(oshape)

    def _flat_plan(self, oshape, n, kinds):
        ks, kp = self.kernels("flat", kinds)
        odt = self.out_dtype
        work = n * self.work

        if self.n_in == 2:  # the hot case, without the generic list/star-args overhead

            def run2(arrays, out):
                if out is None:
                    out = np.empty(oshape, odt)
                a, b = arrays
                k = _pick(kp, ks, work >= PARALLEL_MIN)
                k(a.reshape(-1), b.reshape(-1), out.reshape(-1))
                return out

            return run2

        def run(arrays, out):
            if out is None:
                out = np.empty(oshape, odt)
            k = _pick(kp, ks, work >= PARALLEL_MIN)
            k(*[a.reshape(-1) for a in arrays], out.reshape(-1))
            return out

        return run

    def _rows_plan(self, oshape, n, nr, nc, kinds):
        ks, kp = self.kernels("rows", kinds)
        odt = self.out_dtype
        full = [k == "F" for k in kinds]
        work = n * self.work

        def run(arrays, out):
            if out is None:
                out = np.empty(oshape, odt)
            # Row/column/scalar operands flatten to 1-D (copying if non-contiguous: they
            # are small next to the output).
            views = [
                a.reshape(nr, nc) if f else a.reshape(-1) for a, f in zip(arrays, full, strict=True)
            ]
            k = _pick(kp, ks, work >= PARALLEL_MIN and nr > 1)
            k(*views, out.reshape(nr, nc))
            return out

        return run

    def _nd_plan(self, oshape):
        ks, kp = self.kernels("nd", ("A",) * self.n_in)
        odt = self.out_dtype
        work = int(np.prod(oshape, dtype=np.int64)) * self.work

        def run(arrays, out):
            if out is None:
                out = np.empty(oshape, odt)
            # broadcast_to views are always read-only, so the nd kernels see one array type.
            views = [np.broadcast_to(a, oshape) for a in arrays]
            shape = _coalesce(oshape, views + [out])
            views = [v.reshape(shape) for v in views]
            o = out.reshape(shape)
            k = _pick(kp, ks, work >= PARALLEL_MIN)
            if len(shape) <= 4:
                pad = (1,) * (4 - len(shape))
                views = [_readonly(v.reshape(pad + shape)) for v in views]
                k(*views, o.reshape(pad + shape))
            else:  # rare: more than 4 dims that do not merge; loop over the leading ones
                for idx in np.ndindex(*shape[:-4]):
                    k(*[_readonly(v[idx]) for v in views], o[idx])
            return out

        return run


def _pick(kp, ks, parallel: bool):
    """The parallel kernel (with numba's thread count set to the cores free now, see
    cpu_share) for a large enough call, else the serial one."""
    if parallel:
        threads()
        return kp
    return ks


def _readonly(v: np.ndarray) -> np.ndarray:
    if v.flags.writeable:  # a reshape that had to copy; keep the kernel's argument types fixed
        v = v.view()
        v.flags.writeable = False
    return v


def _flat_kinds(arrays, n):
    kinds = []
    for a in arrays:
        if a.size == n and a.flags.c_contiguous:
            kinds.append("F")
        elif a.size == 1:
            kinds.append("S")
        else:
            return None
    return tuple(kinds)


def _rows_split(arrays, oshape, n):
    """Find (rows, cols, kinds) viewing the output as (R, C) with row/column operands."""
    nd = len(oshape)
    padded = [(1,) * (nd - a.ndim) + a.shape for a in arrays]
    for k in range(1, nd):
        lead, trail = oshape[:k], oshape[k:]
        kinds = []
        for a, p in zip(arrays, padded, strict=True):
            if a.size == n and a.flags.c_contiguous:
                kinds.append("F")
            elif a.size == 1:
                kinds.append("S")
            elif all(d == 1 for d in p[:k]) and p[k:] == trail:
                kinds.append("R")
            elif all(d == 1 for d in p[k:]) and p[:k] == lead:
                kinds.append("C")
            else:
                break
        else:
            nr = int(np.prod(lead, dtype=np.int64))
            return nr, n // nr, tuple(kinds)
    return None


def _guard_overlap(arrays, out):
    """Copy inputs that overlap ``out`` without being exactly ``out`` (as numpy does)."""
    res = None
    for i, a in enumerate(arrays):
        if a is out or not np.may_share_memory(a, out):
            continue
        if (
            a.shape == out.shape
            and a.strides == out.strides
            and a.__array_interface__["data"][0] == out.__array_interface__["data"][0]
        ):
            continue
        if res is None:
            res = list(arrays)
        res[i] = a.copy()
    return arrays if res is None else tuple(res)
