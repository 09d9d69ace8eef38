"""Packing a transposed B through vector-register blocks moves exactly the values it should."""

import duograd.core.kernels.matmul as mm
import numpy as np
import pytest
from duograd.core.kernels.matmul_gemm import KC, _pack_b
from duograd.core.kernels.matmul_ukernel import TILES
from numba.core import config

pytestmark = pytest.mark.skipif(
    bool(config.DISABLE_JIT), reason="the packing uses compiled intrinsics (NUMBA_DISABLE_JIT=1)"
)


def _expected_panels(opb: np.ndarray, nr: int, nbpad: int, j0: int, q: int) -> np.ndarray:
    """Panel q of a column block as _pack_b lays it out: [k block][panel][k][c], zero-padded."""
    K, N = opb.shape
    out = {}
    j = j0 + q * nr
    cols = min(nr, N - j)
    for pc in range(0, K, KC):
        kc = min(KC, K - pc)
        d = pc * nbpad + q * kc * nr
        tile = np.zeros((kc, nr), opb.dtype)
        tile[:, :cols] = opb[pc : pc + kc, j : j + cols]
        out[d] = tile.reshape(-1)
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("K,N", [(1, 1), (7, 5), (16, 32), (33, 70), (300, 45), (600, 64)])
def test_transposed_b_panels_hold_op_b(K, N, dtype):
    _, nr, _ = TILES[np.dtype(dtype).name]
    rng = np.random.default_rng(K * 1000 + N)
    w = rng.standard_normal((N, K)).astype(dtype)  # op(B) = w.T: rows of w are columns
    flat = w.ravel()
    flat.setflags(write=False)
    nq = -(-N // nr)
    nbpad = nq * nr
    bp = np.full(nbpad * K, np.nan, dtype)
    for q in range(nq):
        # op(B)[k, j] = w[j, k]: k stride 1, j stride K
        _pack_b(flat, 0, 1, K, N, K, bp, 0, nbpad, q)
        for d, want in _expected_panels(w.T, nr, nbpad, 0, q).items():
            np.testing.assert_array_equal(bp[d : d + want.size], want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mkn", [(64, 784, 256), (9, 33, 70), (30, 300, 17)])
def test_linear_layer_products_match_a_contiguous_b(mkn, dtype):
    # x @ W^T with W stored (out, in), as nn.Linear keeps it, against W^T made contiguous
    m, k, n = mkn
    rng = np.random.default_rng(m + k + n)
    x = rng.standard_normal((m, k)).astype(dtype)
    w = rng.standard_normal((n, k)).astype(dtype)
    got = mm.matmul(x, w, False, True)
    want = mm.matmul(x, np.ascontiguousarray(w.T))
    assert got.tobytes() == want.tobytes()
