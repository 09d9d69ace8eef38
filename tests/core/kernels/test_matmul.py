"""Tests of the matmul kernels: accuracy against numpy and bitwise reproducibility."""

import subprocess
import sys
from fractions import Fraction

import duograd.core.kernels.matmul as mm
import numba
import numpy as np
import pytest
from duograd.core.kernels.matmul import matmul, matmul_out
from duograd.core.kernels.matmul_ukernel import fma
from hypothesis import given, settings
from hypothesis import strategies as st

DTYPES = [np.float32, np.float64]
FLAGS = [(False, False), (True, False), (False, True), (True, True)]
# Every driver; the direct drivers only apply to few rows and unit-stride rows of op(b).
PACKED_PATHS = ["serial", "batch", "split"]
ALL_PATHS = PACKED_PATHS + ["direct", "direct_parallel"]


@numba.njit
def _chain(a, b):
    """The contract, written plainly: C[i, j] = fma chain over k = 0..K-1 starting from 0."""
    m, k = a.shape
    n = b.shape[1]
    c = np.zeros((m, n), a.dtype)
    for i in range(m):
        for j in range(n):
            for p in range(k):
                c[i, j] = fma(a[i, p], b[p, j], c[i, j])
    return c


def _op(x, t):
    return np.swapaxes(x, -1, -2) if t else x


def reference(a, b, ta=False, tb=False):
    """Bitwise reference for matmul: the plain chain on contiguous copies, item by item."""
    oa, ob = _op(a, ta), _op(b, tb)
    batch = np.broadcast_shapes(oa.shape[:-2], ob.shape[:-2])
    oa = np.broadcast_to(oa, batch + oa.shape[-2:])
    ob = np.broadcast_to(ob, batch + ob.shape[-2:])
    out = np.empty(batch + (oa.shape[-2], ob.shape[-1]), a.dtype)
    for idx in np.ndindex(*batch):
        out[idx] = _chain(np.ascontiguousarray(oa[idx]), np.ascontiguousarray(ob[idx]))
    return out


def operands(rng, ashape, bshape, dtype, ta=False, tb=False):
    """Random operands whose op() has the given shapes (stored transposed when flagged)."""
    a = rng.standard_normal(ashape[:-2] + (ashape[-1], ashape[-2]) if ta else ashape)
    b = rng.standard_normal(bshape[:-2] + (bshape[-1], bshape[-2]) if tb else bshape)
    return a.astype(dtype), b.astype(dtype)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture
def force_path(monkeypatch):
    def force(path):
        monkeypatch.setattr(mm, "_force_path", path)

    return force


@pytest.fixture
def threads():
    before = numba.get_num_threads()
    yield numba.set_num_threads
    numba.set_num_threads(before)


def assert_bits(x, y):
    assert x.shape == y.shape and x.dtype == y.dtype
    np.testing.assert_array_equal(x.view(np.uint8), y.view(np.uint8))


@numba.njit
def _fma_array(x, y, z):
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = fma(x[i], y[i], z[i])
    return out


@pytest.mark.parametrize("dtype", DTYPES)
def test_fma_is_fused_and_correctly_rounded(dtype):
    # The reference chain above trusts fma, so check fma itself against exact rationals.
    rng = np.random.default_rng(5)
    x, y, z = (rng.standard_normal(300).astype(dtype) for _ in range(3))
    got = _fma_array(x, y, z)
    exact = [
        Fraction(float(p)) * Fraction(float(q)) + Fraction(float(r))
        for p, q, r in zip(x, y, z, strict=True)
    ]
    np.testing.assert_array_equal(got, np.array([float(e) for e in exact]).astype(dtype))
    # One rounding, not two: (1 + 2^-20)^2 - (1 + 2^-19) is 2^-40 exactly, 0 if a*b is rounded.
    one = dtype(1 + 2.0**-20)
    fused = _fma_array(np.array([one]), np.array([one]), np.array([-(1 + 2.0**-19)], dtype))
    assert fused[0] == 2.0**-40


# Shapes (M, K, N): single elements, thin and wide, edges of every tile size, several k blocks.
SHAPES = [
    (1, 1, 1),
    (1, 7, 1),
    (1, 300, 45),
    (45, 300, 1),
    (5, 1, 9),
    (6, 270, 70),
    (8, 32, 32),
    (8, 270, 150),
    (17, 33, 65),
    (70, 600, 50),
    (129, 64, 33),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ta,tb", FLAGS)
@pytest.mark.parametrize("mkn", SHAPES)
def test_bitwise_equal_to_plain_chain(rng, mkn, ta, tb, dtype):
    m, k, n = mkn
    a, b = operands(rng, (m, k), (k, n), dtype, ta, tb)
    assert_bits(matmul(a, b, ta, tb), reference(a, b, ta, tb))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("path", ALL_PATHS)
def test_every_path_gives_the_same_bits(rng, force_path, path, dtype):
    # Batched B keeps the items apart (a shared B would fold them into one tall product).
    a, b = operands(rng, (3, 5, 70), (3, 70, 90), dtype)
    want = reference(a, b)
    force_path(path)
    assert_bits(matmul(a, b), want)
    if path.startswith("direct"):
        return
    at, bt = np.ascontiguousarray(np.swapaxes(a, 1, 2)), np.ascontiguousarray(np.swapaxes(b, 1, 2))
    assert_bits(matmul(at, bt, True, True), want)
    a, b = operands(rng, (2, 41, 300), (300, 97), dtype)
    assert_bits(matmul(a, b), reference(a, b))


@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("direct_a", [False, True])
@pytest.mark.parametrize("path", PACKED_PATHS)
def test_packed_and_in_place_a_give_the_same_bits(rng, monkeypatch, force_path, path, direct_a, ta):
    monkeypatch.setattr(mm, "_force_direct_a", direct_a)
    force_path(path)
    a, b = operands(rng, (2, 41, 300), (300, 97), np.float32, ta)
    assert_bits(matmul(a, b, ta), reference(a, b, ta))


@pytest.mark.parametrize(
    "path,ashape",
    [("split", (150, 300)), ("batch", (4, 3, 150, 300)), ("direct_parallel", (3, 300))],
)
def test_thread_count_does_not_change_bits(rng, force_path, parallel_threads, path, ashape):
    a, b = operands(rng, ashape, (300, 2000), np.float32)
    force_path(path)
    numba.set_num_threads(1)
    one = matmul(a, b)
    numba.set_num_threads(parallel_threads)
    assert_bits(matmul(a, b), one)
    assert_bits(one, reference(a, b))


@pytest.mark.parametrize("dtype", DTYPES)
def test_layout_and_transpose_flags_do_not_change_bits(rng, dtype):
    a, b = operands(rng, (37, 123), (123, 51), dtype)
    want = matmul(a, b)
    assert_bits(matmul(a, np.ascontiguousarray(b.T), transpose_b=True), want)
    assert_bits(matmul(np.ascontiguousarray(a.T), b, transpose_a=True), want)
    assert_bits(matmul(np.asfortranarray(a), np.asfortranarray(b)), want)
    assert_bits(matmul(a.T.copy().T, b.T.copy(order="F").T), want)
    assert_bits(matmul(a[::-1].copy()[::-1], b[:, ::-1].copy()[:, ::-1]), want)
    # Non-contiguous views: every other row / column of a bigger array.
    big_a = np.zeros((74, 246), dtype)
    big_a[::2, ::2] = a
    big_b = np.zeros((123, 153), dtype)
    big_b[:, ::3] = b
    assert_bits(matmul(big_a[::2, ::2], big_b[:, ::3]), want)


@pytest.mark.parametrize("dtype", DTYPES)
def test_rows_and_elements_computed_alone_match_the_full_product(rng, dtype):
    a, b = operands(rng, (64, 300), (300, 80), dtype)
    full = matmul(a, b)
    for i in (0, 13, 63):
        assert_bits(matmul(a[i : i + 1], b), full[i : i + 1])
        assert_bits(matmul(a[i : i + 3], b), full[i : i + 3])
    for j in (0, 31, 79):
        assert_bits(matmul(a, b[:, j : j + 1]), full[:, j : j + 1])
    assert_bits(matmul(a[40:41], b[:, 77:78]), full[40:41, 77:78])
    # The same rows inside a batch, and one tall product folded from a batch.
    stacked = matmul(a.reshape(4, 16, 300), b)
    assert_bits(stacked.reshape(64, 80), full)
    assert_bits(matmul(a.reshape(8, 8, 300)[::2], b), full.reshape(8, 8, 80)[::2])


@pytest.mark.parametrize("dtype", DTYPES)
def test_broadcast_batch_matches_numpy_and_items(rng, dtype):
    a, b = operands(rng, (2, 1, 3, 4), (5, 4, 6), dtype)
    c = matmul(a, b)
    assert c.shape == (2, 5, 3, 6) and c.flags.c_contiguous
    np.testing.assert_allclose(c, np.matmul(a, b), rtol=1e-5, atol=1e-5)
    for i in range(2):
        for j in range(5):
            assert_bits(c[i, j], matmul(a[i, 0], b[j]))
    # Zero-stride views from broadcast_to read the same memory many times.
    bb = np.broadcast_to(b[:1], (5, 4, 6))
    assert_bits(matmul(a, bb), np.broadcast_to(matmul(a, b[:1]), (2, 5, 3, 6)))
    at, bt = operands(rng, (3, 2, 5, 7), (2, 7, 4), dtype, True, True)
    assert_bits(matmul(at, bt, True, True), reference(at, bt, True, True))
    # Negative strides on a batch axis.
    assert_bits(matmul(at[::-1], bt, True, True), reference(at, bt, True, True)[::-1])


def test_unaligned_and_odd_stride_inputs_are_handled(rng):
    a, b = operands(rng, (5, 9), (9, 7), np.float32)
    want = matmul(a, b)
    raw = np.zeros(a.nbytes + 1, np.uint8)
    unaligned = np.ndarray(a.shape, np.float32, buffer=raw, offset=1)
    unaligned[...] = a
    assert_bits(matmul(unaligned, b), want)
    # A float32 field of a packed record: strides that are not whole float32 elements.
    rec = np.zeros((5, 9), dtype=[("x", np.float32), ("pad", np.uint8)])
    rec["x"] = a
    assert_bits(matmul(rec["x"], b), want)
    out_raw = np.zeros(want.nbytes + 1, np.uint8)
    out = np.ndarray(want.shape, np.float32, buffer=out_raw, offset=1)
    assert_bits(matmul_out(a, b, out), want)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "n,ta,tb", [(n, ta, tb) for n in (1, 2, 31, 128) for ta, tb in FLAGS] + [(512, False, False)]
)
def test_accuracy_against_float64_numpy(rng, n, ta, tb, dtype):
    a, b = operands(rng, (n, n), (n, n), dtype, ta, tb)
    c = matmul(a, b, ta, tb)
    a64, b64 = _op(a, ta).astype(np.float64), _op(b, tb).astype(np.float64)
    want = a64 @ b64
    # Standard bound of a length-n dot product: |error| <= n * eps * (|a| @ |b|).
    bound = (n + 2) * np.finfo(dtype).eps * (np.abs(a64) @ np.abs(b64))
    assert np.all(np.abs(c - want) <= 2 * bound)


@pytest.mark.parametrize("dtype", DTYPES)
def test_degenerate_shapes(dtype):
    a = np.ones((3, 0), dtype)
    b = np.ones((0, 4), dtype)
    assert_bits(matmul(a, b), np.zeros((3, 4), dtype))
    out = np.full((3, 4), 7, dtype)
    assert matmul_out(a, b, out) is out and not out.any()
    assert matmul(np.ones((0, 5), dtype), np.ones((5, 4), dtype)).shape == (0, 4)
    assert matmul(np.ones((2, 5), dtype), np.ones((5, 0), dtype)).shape == (2, 0)
    assert matmul(np.ones((0, 2, 5), dtype), np.ones((5, 3), dtype)).shape == (0, 2, 3)
    assert_bits(
        matmul(np.full((1, 1), 3, dtype), np.full((1, 1), 2, dtype)), np.full((1, 1), 6, dtype)
    )


def test_column_blocks_of_wide_b(rng, force_path):
    # K * N above the packed-B cap forces several column blocks of packed B.
    a, b = operands(rng, (9, 2048), (2048, 2100), np.float32)
    want = _chain(a, b)
    for path in ("serial", "split"):
        force_path(path)
        assert_bits(matmul(a, b), want)


def test_non_finite_values_stay_in_their_rows_and_columns():
    # Zero padding of edge tiles meets inf / nan (0 * inf = nan) only in discarded lanes.
    a = np.ones((3, 2), np.float32)
    b = np.array([[np.inf, 1.0], [1.0, 1.0]], np.float32)
    np.testing.assert_array_equal(matmul(a, b), np.matmul(a, b))
    a[1, 0] = np.nan
    c = matmul(a, b)
    assert np.isnan(c[1]).all() and np.isfinite(c[[0, 2], 1]).all()


def test_matmul_out_writes_in_place_and_survives_aliasing(rng):
    a, b = operands(rng, (2, 6, 6), (6, 6), np.float64)
    want = matmul(a, b)
    out = np.full((2, 6, 6), np.nan)  # stale contents of a reused buffer are never read
    assert matmul_out(a, b, out) is out
    assert_bits(out, want)
    big = np.full((2, 300, 70), np.nan, np.float32)
    a32, b32 = operands(rng, (2, 300, 500), (500, 70), np.float32)
    assert_bits(matmul_out(a32, b32, big), matmul(a32, b32))
    assert_bits(matmul_out(a, b, a), want)  # out is also an input: computed aside first
    with pytest.raises(ValueError, match="shape"):
        matmul_out(a, b, np.empty((6, 6)))
    with pytest.raises(ValueError, match="C-contiguous"):
        matmul_out(a, b, np.empty((2, 6, 6)).transpose(0, 2, 1))
    with pytest.raises(TypeError):
        matmul_out(a, b, np.empty((2, 6, 6), np.float32))


def test_errors_name_the_problem():
    f32 = np.ones((2, 3), np.float32)
    with pytest.raises(TypeError, match="dtype"):
        matmul(f32, np.ones((3, 2), np.float64))
    with pytest.raises(TypeError, match="dtype"):
        matmul(np.ones((2, 3), np.int64), np.ones((3, 2), np.int64))
    with pytest.raises(ValueError, match="contraction mismatch"):
        matmul(f32, f32)
    with pytest.raises(ValueError, match="ndim"):
        matmul(np.ones(3, np.float32), f32)
    with pytest.raises(ValueError, match="broadcast"):
        matmul(np.ones((2, 2, 3), np.float32), np.ones((3, 3, 2), np.float32))


@settings(max_examples=40, deadline=None)
@given(
    m=st.integers(1, 20),
    k=st.integers(1, 40),
    n=st.integers(1, 40),
    ta=st.booleans(),
    tb=st.booleans(),
    layout=st.sampled_from(["c", "f", "strided", "reversed"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_layout_matches_plain_chain(m, k, n, ta, tb, layout, seed):
    rng = np.random.default_rng(seed)
    a, b = operands(rng, (m, k), (k, n), np.float32, ta, tb)

    def relayout(x):
        if layout == "f":
            return np.asfortranarray(x)
        if layout == "strided":
            big = np.zeros((x.shape[0] * 2, x.shape[1] * 3), x.dtype)
            big[::2, ::3] = x
            return big[::2, ::3]
        if layout == "reversed":
            return x[::-1, ::-1].copy()[::-1, ::-1]
        return x

    assert_bits(matmul(relayout(a), relayout(b), ta, tb), reference(a, b, ta, tb))


def test_import_compiles_nothing():
    code = (
        "import duograd.core.kernels.matmul as m\n"
        "from duograd.core.kernels import matmul_direct, matmul_gemm, matmul_ukernel\n"
        "from numba.core.registry import CPUDispatcher\n"
        "mods = (matmul_direct, matmul_gemm, matmul_ukernel)\n"
        "ds = [f for mod in mods for f in vars(mod).values() if isinstance(f, CPUDispatcher)]\n"
        "assert len(ds) > 10 and not any(d.signatures for d in ds), ds\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# Products at most one vector wide (the narrow tile): row counts around the tile height, one
# and several k blocks, every layout of A and B, batches with shared and separate B.
NARROW_SHAPES = [(16, 27, 16), (17, 144, 16), (40, 300, 10), (5, 8, 3), (100, 600, 1)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ta,tb", FLAGS)
@pytest.mark.parametrize("mkn", NARROW_SHAPES)
@pytest.mark.parametrize("path", ["narrow", "narrow_parallel", None])
def test_narrow_tile_gives_the_chain_bits(rng, force_path, path, mkn, ta, tb, dtype):
    m, k, n = mkn
    n = min(n, mm._VL[np.dtype(dtype).itemsize])
    a, b = operands(rng, (m, k), (k, n), dtype, ta, tb)
    want = reference(a, b, ta, tb)
    force_path(path)
    assert_bits(matmul(a, b, ta, tb), want)
    out = np.full(want.shape, np.nan, dtype)
    assert_bits(matmul_out(a, b, out, ta, tb), want)
    a3, b3 = operands(rng, (3, m, k), (3, k, n), dtype)
    assert_bits(matmul(a3, b3), reference(a3, b3))
    assert_bits(matmul(a3, b3[0]), reference(a3, b3[0]))


def test_narrow_tile_is_chosen_for_one_vector_wide_products(monkeypatch, rng):
    calls = []
    real = mm._narrow.narrow_serial
    monkeypatch.setattr(mm._narrow, "narrow_serial", lambda *a: calls.append(1) or real(*a))
    monkeypatch.setattr(mm, "_cpu_threads", lambda: 1)
    a, b = operands(rng, (4096, 144), (144, 16), np.float32)
    out = np.empty((4096, 16), np.float32)
    matmul_out(a, b, out)
    assert calls and np.array_equal(out, reference(a, b))


def test_forcing_the_narrow_tile_on_a_wide_product_is_refused(rng, force_path):
    a, b = operands(rng, (40, 30), (30, 70), np.float32)
    force_path("narrow")
    with pytest.raises(ValueError, match="narrow path forced"):
        matmul(a, b)
