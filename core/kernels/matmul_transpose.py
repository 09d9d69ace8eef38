"""A square block transposed through vector registers, for packing transposed operands.

Packing op(B) into panels reads each panel row (a k step) across NR columns; when B is stored
transposed (a Linear layer's (out, in) weight read as W^T), those elements are a row stride
apart, and an element-by-element copy runs at a fraction of an element per cycle. Copying
VL x VL blocks instead (VL rows loaded as vectors, transposed with log2(VL) rounds of
interleaving shuffles, stored as vectors) moves whole vectors. Only values are moved, so the
products' bits do not change.
"""

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from .matmul_ukernel import TILES, _dtype_key


def _emit_transpose(context, builder, signature, args, vl):
    """Emit the block copy; args as documented on transpose_block."""
    tys = signature.args

    def as_intp(i):
        return context.cast(builder, args[i], tys[i], types.intp)

    def data(i):
        return context.make_array(tys[i])(context, builder, args[i]).data

    sov, ldsv, dov, lddv = (as_intp(i) for i in (1, 2, 4, 5))
    i64 = ir.IntType(64)
    i32 = ir.IntType(32)
    dtype = tys[0].dtype
    vty = ir.VectorType(context.get_value_type(dtype), vl)
    vptr = vty.as_pointer()
    align = dtype.bitwidth // 8  # rows are only element-aligned
    ps = builder.gep(data(0), [sov])
    pd = builder.gep(data(3), [dov])
    rows = [
        builder.load(
            builder.bitcast(builder.gep(ps, [builder.mul(ldsv, i64(r))]), vptr), align=align
        )
        for r in range(vl)
    ]
    half = vl // 2
    lo = ir.Constant(ir.VectorType(i32, vl), [v for m in range(half) for v in (m, vl + m)])
    hi = ir.Constant(
        ir.VectorType(i32, vl), [v for m in range(half) for v in (half + m, vl + half + m)]
    )
    # each round interleaves row i with row i + VL/2; after log2(VL) rounds row c holds what
    # was column c (a perfect-shuffle transpose)
    steps = vl.bit_length() - 1
    for _ in range(steps):
        nxt = []
        for i in range(half):
            x, y = rows[i], rows[i + half]
            nxt.append(builder.shuffle_vector(x, y, lo))
            nxt.append(builder.shuffle_vector(x, y, hi))
        rows = nxt
    for c in range(vl):
        dst = builder.bitcast(builder.gep(pd, [builder.mul(lddv, i64(c))]), vptr)
        builder.store(rows[c], dst, align=align)
    return context.get_dummy_value()


@intrinsic
def transpose_block(typingctx, src, so, lds, dst, do, ldd):
    """dst[do + c * ldd + r] = src[so + r * lds + c] for r, c < VL (VL = tile_vl of dst).

    Both arrays are 1-D of one float dtype; rows of the block are contiguous in src and its
    columns contiguous in dst. The two regions must not overlap.
    """
    if not (isinstance(src, types.Array) and isinstance(dst, types.Array)):
        return None
    if src.dtype != dst.dtype:
        return None
    vl = TILES[_dtype_key(dst)][2]

    def codegen(context, builder, signature, args):
        return _emit_transpose(context, builder, signature, args, vl)

    return types.void(src, so, lds, dst, do, ldd), codegen
