"""Register-blocked matmul micro-kernel and scalar FMA, emitted as LLVM IR intrinsics."""

import llvmlite.binding as llb
import numba
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic


def _vector_bits() -> int:
    """Width of the SIMD registers the micro-kernel targets (512 with AVX-512, else 256)."""
    # Follow numba's own target choice: when it is told to compile for a named CPU, only
    # the features it is told about exist, so do not emit 512-bit vectors it would split.
    name = numba.config.CPU_NAME
    if name and name != "host":
        return 512 if "+avx512f" in (numba.config.CPU_FEATURES or "") else 256
    try:
        return 512 if llb.get_host_cpu_features().get("avx512f", False) else 256
    except RuntimeError:  # LLVM cannot describe the host: stay with the portable width
        return 256


VECTOR_BITS = _vector_bits()

# Micro-tile shape per dtype: MR rows x NR columns of C held in MR * (NR / VL) vector
# registers. Any shape gives the same bits (each C element is one FMA chain over k in
# order), so these are pure speed knobs chosen per host; 16 accumulators keep both FMA
# pipes busy through the 4-cycle FMA latency with registers to spare.
_MR = 8 if VECTOR_BITS == 512 else 6
TILES = {
    "float32": (_MR, 2 * VECTOR_BITS // 32, VECTOR_BITS // 32),  # (MR, NR, VL)
    "float64": (_MR, 2 * VECTOR_BITS // 64, VECTOR_BITS // 64),
}


def _dtype_key(ty: types.Type) -> str:
    """Tile-table key of a numba array type, rejecting dtypes the kernels do not cover."""
    key = str(ty.dtype)
    if key not in TILES:
        raise numba.core.errors.TypingError(f"matmul kernels support float32/float64, got {key}")
    return key


@intrinsic
def tile_mr(typingctx, arr):
    """Micro-tile row count MR for arr's dtype, as a compile-time constant."""
    mr = TILES[_dtype_key(arr)][0]

    def codegen(context, builder, signature, args):
        return context.get_constant(types.intp, mr)

    return types.intp(arr), codegen


@intrinsic
def tile_nr(typingctx, arr):
    """Micro-tile column count NR for arr's dtype, as a compile-time constant."""
    nr = TILES[_dtype_key(arr)][1]

    def codegen(context, builder, signature, args):
        return context.get_constant(types.intp, nr)

    return types.intp(arr), codegen


@intrinsic
def tile_vl(typingctx, arr):
    """Vector length VL (elements per SIMD register) for arr's dtype, as a constant."""
    vl = TILES[_dtype_key(arr)][2]

    def codegen(context, builder, signature, args):
        return context.get_constant(types.intp, vl)

    return types.intp(arr), codegen


def _fma_decl(builder: ir.IRBuilder, ty: ir.Type) -> ir.Function:
    """Declare llvm.fma for a scalar or vector float type in the current module."""
    if isinstance(ty, ir.VectorType):
        elem = "f32" if isinstance(ty.element, ir.FloatType) else "f64"
        name = f"llvm.fma.v{ty.count}{elem}"
    else:
        name = "llvm.fma.f32" if isinstance(ty, ir.FloatType) else "llvm.fma.f64"
    return cgutils.get_or_insert_function(builder.module, ir.FunctionType(ty, [ty] * 3), name)


@intrinsic
def fma(typingctx, x, y, z):
    """Correctly rounded x * y + z (one rounding), the only accumulation step of all paths."""
    if not (isinstance(x, types.Float) and x == y == z):
        return None

    def codegen(context, builder, signature, args):
        return builder.call(_fma_decl(builder, args[0].type), list(args))

    return x(x, y, z), codegen


def _emit_ukernel(context, builder, signature, args, mr, nv, vl):
    """Emit the (mr x nv*vl) register-tile loop; args as documented on ukernel."""
    # args: kc, ap, ao, lak, lar, bp, bo, ldb, c, co, ldc, load (ukernel_rows adds m)
    tys = signature.args

    def as_intp(i):
        return context.cast(builder, args[i], tys[i], types.intp)

    def data(i):
        return context.make_array(tys[i])(context, builder, args[i]).data

    kcv, aov, lakv, larv, bov, ldbv, cov, ldcv, loadv = (
        as_intp(i) for i in (0, 2, 3, 4, 6, 7, 9, 10, 11)
    )
    i64 = ir.IntType(64)
    i32 = ir.IntType(32)
    dtype = tys[1].dtype
    vty = ir.VectorType(context.get_value_type(dtype), vl)
    vptr = vty.as_pointer()
    align = dtype.bitwidth // 8  # panels and rows of C are only element-aligned
    pa = builder.gep(data(1), [aov])
    pb = builder.gep(data(5), [bov])
    pc = builder.gep(data(8), [cov])
    vfma = _fma_decl(builder, vty)

    # Accumulators live in allocas that mem2reg turns into registers.
    accs = [[cgutils.alloca_once(builder, vty) for _ in range(nv)] for _ in range(mr)]
    cptr = [
        [
            builder.bitcast(
                builder.gep(pc, [builder.add(builder.mul(ldcv, i64(r)), i64(v * vl))]), vptr
            )
            for v in range(nv)
        ]
        for r in range(mr)
    ]
    with builder.if_else(builder.icmp_signed("!=", loadv, i64(0))) as (then, otherwise):
        with then:
            for r in range(mr):
                for v in range(nv):
                    builder.store(builder.load(cptr[r][v], align=align), accs[r][v])
        with otherwise:
            for r in range(mr):
                for v in range(nv):
                    builder.store(ir.Constant(vty, None), accs[r][v])

    undef = ir.Constant(vty, ir.Undefined)
    splat = ir.Constant(ir.VectorType(i32, vl), [0] * vl)
    with cgutils.for_range(builder, kcv) as loop:
        bk = builder.gep(pb, [builder.mul(loop.index, ldbv)])
        bvec = [
            builder.load(builder.bitcast(builder.gep(bk, [i64(v * vl)]), vptr), align=align)
            for v in range(nv)
        ]
        ak = builder.gep(pa, [builder.mul(loop.index, lakv)])
        for r in range(mr):
            s = builder.load(builder.gep(ak, [builder.mul(larv, i64(r))]), align=align)
            sv = builder.shuffle_vector(builder.insert_element(undef, s, i32(0)), undef, splat)
            for v in range(nv):
                acc = builder.call(vfma, [sv, bvec[v], builder.load(accs[r][v])])
                builder.store(acc, accs[r][v])

    for r in range(mr):
        for v in range(nv):
            builder.store(builder.load(accs[r][v]), cptr[r][v], align=align)
    return context.get_dummy_value()


@intrinsic
def ukernel(typingctx, kc, ap, ao, lak, lar, bp, bo, ldb, c, co, ldc, load):
    """C[MR, NR] (+)= A panel @ B panel over kc steps; C rows at c[co + r * ldc].

    A[r, k] is ap[ao + k * lak + r * lar]: a packed, zero-padded panel (lak = MR, lar = 1)
    or op(A) read in place. B row k is the NR contiguous elements at bp[bo + k * ldb] (a
    packed panel when ldb == NR, or op(B) read in place).
    With load != 0 the accumulators start from C (continuing the chain of an earlier k
    block, which is exact because C has the accumulator's dtype), otherwise from zero.
    """
    mr, nr, vl = TILES[_dtype_key(ap)]

    def codegen(context, builder, signature, args):
        return _emit_ukernel(context, builder, signature, args, mr, nr // vl, vl)

    return types.void(kc, ap, ao, lak, lar, bp, bo, ldb, c, co, ldc, load), codegen


@njit(cache=True)
def rows_nv(m: int) -> int:
    """Vectors per row of the m-row kernel: at least 8 accumulators to cover FMA latency."""
    return max(2, (8 + m - 1) // m)


@intrinsic
def ukernel_rows(typingctx, kc, ap, ao, lak, lar, bp, bo, ldb, c, co, ldc, load, m):
    """ukernel for a tile of exactly m rows (literal 1..MR) and rows_nv(m) vectors per row.

    Serves products with few rows of C, where padding A to MR rows would multiply the work;
    arguments as for ukernel. Same chain per element as ukernel.
    """
    if not isinstance(m, types.IntegerLiteral):
        return None
    mr = m.literal_value
    vl = TILES[_dtype_key(ap)][2]

    def codegen(context, builder, signature, args):
        return _emit_ukernel(context, builder, signature, args, mr, rows_nv.py_func(mr), vl)

    return types.void(kc, ap, ao, lak, lar, bp, bo, ldb, c, co, ldc, load, m), codegen
