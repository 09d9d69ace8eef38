"""Register-blocked matmul micro-kernel and scalar FMA, emitted as LLVM IR intrinsics."""

import llvmlite.binding as llb
import numba
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils, config
from numba.extending import intrinsic

from .pymath import exact_fma

# CPUs whose default LLVM features include AVX-512 (used only when numba is given a CPU
# name with an empty feature string, so the name's defaults apply).
_AVX512_CPUS = frozenset(
    "skx skylake-avx512 cascadelake cooperlake cannonlake icelake-client icelake-server "
    "tigerlake rocketlake sapphirerapids emeraldrapids graniterapids knl knm znver4 znver5".split()
)


def vector_bits_for(cpu_name: str | None, cpu_features: str | None, host_avx512: bool) -> int:
    """SIMD width numba's target really has, given numba's CPU name and feature settings."""
    # numba compiles with exactly NUMBA_CPU_FEATURES when set; when it is unset numba adds
    # the host's own features even to a named CPU, so the host decides then.
    if cpu_features is None:
        return 512 if host_avx512 else 256
    if "+avx512f" in cpu_features:
        return 512
    if cpu_features == "" and cpu_name:
        return 512 if cpu_name in _AVX512_CPUS else 256
    return 256


def _vector_bits() -> int:
    """Width of the SIMD registers the micro-kernel targets (512 with AVX-512, else 256)."""
    try:
        host = bool(llb.get_host_cpu_features().get("avx512f", False))
    except RuntimeError:  # LLVM cannot describe the host: stay with the portable width
        host = False
    return vector_bits_for(numba.config.CPU_NAME, numba.config.CPU_FEATURES, host)


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


# k steps per iteration of the micro-kernel's loop.
UNROLL = 4


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


if config.DISABLE_JIT:
    # an intrinsic has no plain-Python form; the coverage pass runs the exact rounding instead
    fma = exact_fma  # noqa: F811


def _emit_ukernel(context, builder, signature, args, mr, nv, vl, packed=False):
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
    if packed:
        # A packed panel has compile-time strides (lak = MR, lar = 1): every broadcast is a
        # constant offset from one pointer, so no loop-carried chain of address additions.
        lakv, larv = i64(mr), i64(1)
    # Row offsets of A hoisted out of the k loop.
    aro = [builder.mul(larv, i64(r)) for r in range(mr)]

    def step(k):
        bk = builder.gep(pb, [builder.mul(k, ldbv)])
        bvec = [
            builder.load(builder.bitcast(builder.gep(bk, [i64(v * vl)]), vptr), align=align)
            for v in range(nv)
        ]
        ak = builder.gep(pa, [builder.mul(k, lakv)])
        for r in range(mr):
            s = builder.load(builder.gep(ak, [aro[r]]), align=align)
            sv = builder.shuffle_vector(builder.insert_element(undef, s, i32(0)), undef, splat)
            for v in range(nv):
                acc = builder.call(vfma, [sv, bvec[v], builder.load(accs[r][v])])
                builder.store(acc, accs[r][v])

    # k steps in groups of UNROLL (fewer loop-control instructions per FMA), then the rest;
    # each accumulator still sees k in increasing order.
    groups = builder.sdiv(kcv, i64(UNROLL))
    with cgutils.for_range(builder, groups) as loop:
        k0 = builder.mul(loop.index, i64(UNROLL))
        for u in range(UNROLL):
            step(builder.add(k0, i64(u)))
    with cgutils.for_range(builder, builder.sub(kcv, builder.mul(groups, i64(UNROLL)))) as loop:
        step(builder.add(builder.mul(groups, i64(UNROLL)), loop.index))

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


@intrinsic
def ukernel_packed(typingctx, kc, ap, ao, lak, lar, bp, bo, ldb, c, co, ldc, load):
    """ukernel for a packed A panel (lak = MR, lar = 1 taken as constants; the args ignored)."""
    mr, nr, vl = TILES[_dtype_key(ap)]

    def codegen(context, builder, signature, args):
        return _emit_ukernel(context, builder, signature, args, mr, nr // vl, vl, packed=True)

    return types.void(kc, ap, ao, lak, lar, bp, bo, ldb, c, co, ldc, load), codegen


# Rows of the narrow micro-tile (one vector of C per row, for products at most VL wide): as
# many accumulators as the packed tile has, leaving registers for B and the broadcasts.
NARROW_MR = 16 if VECTOR_BITS == 512 else 12


@intrinsic
def ukernel_narrow(typingctx, kc, ap, ao, lak, lar, bp, bo, ldb, c, co, ldc, load):
    """ukernel for a NARROW_MR x VL tile (one vector per row): products at most VL wide, such
    as a convolution with 16 output channels, would waste half of the MR x NR tile."""
    vl = TILES[_dtype_key(ap)][2]

    def codegen(context, builder, signature, args):
        return _emit_ukernel(context, builder, signature, args, NARROW_MR, 1, vl)

    return types.void(kc, ap, ao, lak, lar, bp, bo, ldb, c, co, ldc, load), codegen


@intrinsic
def narrow_mr(typingctx, arr):
    """NARROW_MR as a compile-time constant."""

    def codegen(context, builder, signature, args):
        return context.get_constant(types.intp, NARROW_MR)

    return types.intp(arr), codegen


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
