"""The tiny-product kernel: a few thousand multiply-adds, where the call itself is the cost.

For products this small the packed and direct drivers spend more time getting ready (eleven
arguments to unbox, scratch tiles to allocate, a partial tile to pack) than computing. This
kernel takes four arguments and allocates nothing. Each C[i, j] is accumulated in place over
k in order from 0, acc = fma(op(a)[i, k], op(b)[k, j], acc): the chain every matmul path runs,
so its bits are those of the other drivers.
"""

from numba import njit

from .matmul_ukernel import fma

# Products up to this many multiply-adds in one item take the tiny kernel (see matmul.plan):
# past it the register-tiled micro-kernel's vector FMAs win.
TINY_MAX_WORK = 1 << 12


@njit(cache=True)
def tiny(a, b, c, dims):
    """C = op(A) @ op(B) for one item, C (dims[0] x dims[1], C order) in c, dims[2] = K.

    op(A)[i, k] = a[i * dims[3] + k * dims[4]], op(B)[k, j] = b[k * dims[5] + j * dims[6]].
    """
    m, n, kk = dims[0], dims[1], dims[2]
    ars, acs, brs, bcs = dims[3], dims[4], dims[5], dims[6]
    zero = c.dtype.type(0)
    for i in range(m):
        # one row of C at a time, k outermost: the j loop reads a row of op(B) and vectorises
        # when that row is contiguous (0-based slices keep it free of wraparound checks)
        ci = c[i * n : i * n + n]
        for j in range(n):
            ci[j] = zero
        ai = i * ars
        if bcs == 1:
            for k in range(kk):
                x = a[ai + k * acs]
                bk = b[k * brs : k * brs + n]
                for j in range(n):
                    ci[j] = fma(x, bk[j], ci[j])
        else:
            for k in range(kk):
                x = a[ai + k * acs]
                bk = k * brs
                for j in range(n):
                    ci[j] = fma(x, b[bk + j * bcs], ci[j])
