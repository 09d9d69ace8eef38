"""The wider torch surface (elementwise math, shaping, index writes, reductions, statistics,
products, tensor facts and the torch.* aliases of nn.functional) against real torch: values,
dtypes and the gradients of every float input, in float32 and float64."""

from __future__ import annotations

import warnings

import duograd.frontends.eager as dg
import numpy as np
import pytest

torch = pytest.importorskip("torch")


def _arr(spec, dt, rng):
    """An input from its spec: (shape, lo, hi) floats, ("int", array), ("const", array)."""
    if spec[0] == "int":
        return np.asarray(spec[1], np.int64)
    if spec[0] == "const":
        return np.asarray(spec[1], dt)
    shape, lo, hi = spec
    return rng.uniform(lo, hi, shape).astype(dt)


def _run(mod, fn, arrays, grad):
    ts = [
        mod.tensor(a.copy(), requires_grad=grad and a.dtype.kind == "f" and a.ndim > -1)
        for a in arrays
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fn(mod, *ts)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    vals = [o.detach().numpy() if hasattr(o, "detach") else o for o in outs]
    dts = [str(o.dtype) if hasattr(o, "dtype") else type(o).__name__ for o in outs]
    grads = []
    if grad:
        diff = [o for o in outs if hasattr(o, "requires_grad") and o.requires_grad]
        if diff:
            loss = None
            for k, o in enumerate(diff):
                cot = np.cos(np.arange(o.numel()) + k).reshape(tuple(o.shape))
                term = (o * mod.tensor(cot.astype(vals[0].dtype))).sum()
                loss = term if loss is None else loss + term
            loss.backward()
        grads = [t.grad.numpy() if t.grad is not None else None for t in ts if t.requires_grad]
    return vals, dts, grads


F = ((3, 4), -2.0, 2.0)
POS = ((3, 4), 0.2, 2.0)
ROW = ((4,), -2.0, 2.0)
M44 = ((4, 4), -1.0, 1.0)
I3 = ("int", [7, 7, -5])

# name: (fn(mod, *tensors), input specs, differentiable)
CASES = {
    # elementwise, two operands
    "atan2": (lambda m, a, b: m.atan2(a, b), [F, ROW], True),
    "atan2_origin": (lambda m, a, b: m.atan2(a, b), [("const", [0.0, 1.0]), ("const", [0.0, -2.0])],
                     True),
    "arctan2_method": (lambda m, a, b: a.arctan2(b), [F, F], True),
    "hypot": (lambda m, a, b: m.hypot(a, b), [POS, POS], True),
    "copysign": (lambda m, a, b: m.copysign(a, b), [POS, F], True),
    "fmod": (lambda m, a, b: m.fmod(a, b), [F, ((3, 4), 0.3, 1.5)], True),
    "fmod_scalar": (lambda m, a: a.fmod(0.7), [F], True),
    "remainder": (lambda m, a, b: m.remainder(a, b), [F, ((4,), -1.5, -0.3)], True),
    "mod_operator": (lambda m, a: a % 0.75, [F], True),
    "rmod_operator": (lambda m, a: 5.0 % a, [POS], False),
    "floor_divide": (lambda m, a, b: m.floor_divide(a, b), [F, ((4,), 0.3, 1.5)], False),
    "div_floor": (lambda m, a, b: m.div(a, b, rounding_mode="floor"), [F, POS], False),
    "div_trunc": (lambda m, a, b: a.div(b, rounding_mode="trunc"), [F, POS], False),
    "true_divide": (lambda m, a, b: m.true_divide(a, b), [F, POS], True),
    "divide": (lambda m, a, b: a.divide(b), [F, POS], True),
    "subtract": (lambda m, a, b: m.subtract(a, b, alpha=2), [F, ROW], True),
    "negative": (lambda m, a: m.negative(a), [F], True),
    "positive": (lambda m, a: m.positive(a) * 2, [F], True),
    "logaddexp": (lambda m, a, b: m.logaddexp(a, b), [F, ROW], True),
    "logaddexp_tie": (lambda m, a: m.logaddexp(a, a * 1), [F], True),
    "logaddexp2": (lambda m, a, b: a.logaddexp2(b), [F, F], True),
    "xlogy": (lambda m, a, b: m.xlogy(a, b), [F, POS], True),
    "xlogy_zero": (lambda m, a, b: m.xlogy(a, b), [("const", [0.0, 1.0, 0.0, 2.0]),
                                                   ("const", [0.5, 2.0, 3.0, 0.7])], True),
    "float_power": (lambda m, a, b: m.float_power(a, b), [POS, F], True),
    "ldexp": (lambda m, a: m.ldexp(a, m.tensor([1, 2, 3, 0])), [F], True),
    "lerp_scalar": (lambda m, a, b: m.lerp(a, b, 0.3), [F, F], True),
    "lerp_tensor": (lambda m, a, b, w: a.lerp(b, w), [F, F, ((3, 4), -0.5, 1.5)], True),
    "fmax": (lambda m, a, b: m.fmax(a, b), [F, F], True),
    "fmin_nan": (lambda m, a, b: m.fmin(a, b), [("const", [np.nan, 1.0, 2.0, np.nan]),
                                                 ("const", [0.5, np.nan, 3.0, np.nan])], False),
    "heaviside": (lambda m, a: m.heaviside(a, m.tensor([0.5], dtype=a.dtype)),
                  [("const", [-1.0, 0.0, 2.0])], False),
    # elementwise, one operand
    "asinh": (lambda m, a: m.asinh(a), [F], True),
    "arcsinh": (lambda m, a: a.arcsinh(), [F], True),
    "acosh": (lambda m, a: m.acosh(a), [((3, 4), 1.2, 3.0)], True),
    "atanh": (lambda m, a: m.arctanh(a), [((3, 4), -0.9, 0.9)], True),
    "erfc": (lambda m, a: m.erfc(a), [((3, 4), -3.0, 5.0)], True),
    "exp2": (lambda m, a: m.exp2(a), [F], True),
    "sinc": (lambda m, a: m.sinc(a), [F], True),
    "sinc_zero": (lambda m, a: m.sinc(a), [("const", [0.0, 0.5, -1.0])], True),
    "signbit": (lambda m, a: m.signbit(a), [("const", [-1.0, -0.0, 0.0, 2.0])], False),
    "sgn": (lambda m, a: m.sgn(a), [F], False),
    "nan_to_num": (lambda m, a: m.nan_to_num(a, 0.5, 9.0),
                   [("const", [np.nan, np.inf, -np.inf, 1.5])], True),
    "nan_to_num_default": (lambda m, a: a.nan_to_num(), [("const", [np.nan, np.inf, -1.0])],
                           True),
    "int_atan2": (lambda m, a: m.atan2(a, a + 1), [("int", [1, 2, -3])], False),
    "int_remainder": (lambda m, a: m.remainder(a, m.tensor([3, -3, 2])), [I3], False),
    "int_fmod": (lambda m, a: m.fmod(a, m.tensor([3, -3, 2])), [I3], False),
    "int_floor_divide": (lambda m, a: a // m.tensor([3, -3, 2]), [I3], False),
    "bitwise_and": (lambda m, a: m.bitwise_and(a, m.tensor([3, 6, 5])), [I3], False),
    "bitwise_ops": (lambda m, a: ((a | 8) ^ 5, ~a, a << 2, a >> 1, m.bitwise_not(a)),
                    [("int", [7, 2, 12])], False),
    "gcd_lcm": (lambda m, a: (m.gcd(a, m.tensor([4, 6, 9])), a.lcm(m.tensor([4, 6, 9]))),
                [("int", [8, 15, 12])], False),
    "compare_aliases": (lambda m, a, b: (m.greater(a, b), a.greater_equal(b), m.less(a, b),
                                         a.less_equal(b), m.not_equal(a, b)), [F, F], False),
    # shaping
    "roll_flat": (lambda m, a: m.roll(a, 3), [F], True),
    "roll_dims": (lambda m, a: a.roll((1, -1), (0, 1)), [F], True),
    "rot90": (lambda m, a: m.rot90(a, 1, (0, 1)), [F], True),
    "rot90_neg": (lambda m, a: a.rot90(-1, [1, 0]), [F], True),
    "tile": (lambda m, a: m.tile(a, (2, 1, 2)), [F], True),
    "fliplr_flipud": (lambda m, a: (m.fliplr(a), a.flipud()), [F], True),
    "swapaxes": (lambda m, a: (m.swapaxes(a, 0, 1), a.swapdims(1, 0)), [F], True),
    "broadcast_to_method": (lambda m, a: a.broadcast_to((2, 4)), [ROW], True),
    "take": (lambda m, a: m.take(a, m.tensor([[0, 5], [-1, 3]])), [F], True),
    "take_along_dim": (lambda m, a: m.take_along_dim(a, m.tensor([[0], [2], [1]]), 1), [F], True),
    "take_along_dim_flat": (lambda m, a: a.take_along_dim(m.tensor([1, 7])), [F], True),
    "tensor_split": (lambda m, a: m.tensor_split(a, 3, 1), [F], True),
    "tensor_split_idx": (lambda m, a: a.tensor_split([1, 3], dim=1), [F], True),
    "hsplit": (lambda m, a: m.hsplit(a, 2), [F], True),
    "vsplit": (lambda m, a: a.vsplit([1]), [F], True),
    "dsplit": (lambda m, a: m.dsplit(a.reshape(1, 3, 4), 2), [F], True),
    "split_with_sizes": (lambda m, a: a.split_with_sizes([1, 3], 1), [F], True),
    "unfold": (lambda m, a: a.unfold(1, 2, 1), [F], True),
    "unfold_step": (lambda m, a: a.unfold(0, 2, 2), [((5, 3), -2.0, 2.0)], True),
    "diff": (lambda m, a: m.diff(a, 1, 0), [F], True),
    "diff_prepend": (lambda m, a, b: a.diff(dim=1, prepend=b.reshape(3, 1), n=2),
                     [F, ((3,), -1.0, 1.0)], True),
    "column_stack": (lambda m, a, b: m.column_stack([a, b]), [ROW, ROW], True),
    "dstack": (lambda m, a, b: m.dstack([a, b]), [F, F], True),
    "diagflat": (lambda m, a: m.diagflat(a, -1), [((2, 2), -1.0, 1.0)], True),
    "block_diag": (lambda m, a, b: m.block_diag(a, b), [((2, 3), -1.0, 1.0), ROW], True),
    "cartesian_prod": (lambda m, a, b: m.cartesian_prod(a, b), [((2,), -1, 1), ((3,), -1, 1)],
                       True),
    "combinations": (lambda m, a: m.combinations(a, 2), [ROW], True),
    "combinations_repl": (lambda m, a: m.combinations(a, 2, with_replacement=True), [ROW], True),
    # writes at indices
    "index_copy": (lambda m, a, s: a.index_copy(1, m.tensor([3, 0]), s), [F, ((3, 2), -1, 1)],
                   True),
    "index_put": (lambda m, a, v: a.index_put((m.tensor([0, 2]), m.tensor([1, 3])), v),
                  [F, ((2,), -1, 1)], True),
    "index_put_acc": (lambda m, a, v: a.index_put((m.tensor([0, 2, 0]),), v, accumulate=True),
                      [F, ((4,), -1, 1)], True),
    "index_reduce_prod": (lambda m, a, s: a.index_reduce(0, m.tensor([0, 2, 0]), s, "prod"),
                          [F, ((3, 4), 0.5, 1.5)], True),
    "index_reduce_mean": (lambda m, a, s: a.index_reduce(0, m.tensor([1, 1, 0]), s, "mean",
                                                         include_self=False),
                          [F, ((3, 4), -1, 1)], True),
    "select_scatter": (lambda m, a, s: m.select_scatter(a, s, 1, 2), [F, ((3,), -1, 1)], True),
    "slice_scatter": (lambda m, a, s: m.slice_scatter(a, s, 1, 1, 4, 2), [F, ((3, 2), -1, 1)],
                      True),
    "diagonal_scatter": (lambda m, a, s: m.diagonal_scatter(a, s, 1), [F, ((3,), -1, 1)], True),
}  # fmt: skip
for _red in ("sum", "prod", "mean", "amax", "amin"):
    for _inc in (True, False):
        CASES[f"scatter_reduce_{_red}_{_inc}"] = (
            (lambda r, i: lambda m, a, s: a.scatter_reduce(
                1, m.tensor([[0, 1, 0, 3, 1]] * 3), s, r, include_self=i))(_red, _inc),
            [F, ((3, 5), 0.5, 1.5)], True,
        )  # fmt: skip

CASES.update({
    # running reductions, NaN-aware reductions, statistics
    "cumprod": (lambda m, a: m.cumprod(a, 1), [F], True),
    "cumprod_int": (lambda m, a: a.cumprod(0), [("int", [1, 2, 3, 4])], False),
    "cummax": (lambda m, a: m.cummax(a, 1), [F], True),
    "cummin": (lambda m, a: a.cummin(0), [F], True),
    "cummax_ties": (lambda m, a: m.cummax(a, 0), [("const", [1.0, 3.0, 3.0, 2.0, np.nan, 1.0])],
                    False),
    "logcumsumexp": (lambda m, a: m.logcumsumexp(a, 1), [F], True),
    "nansum": (lambda m, a: (m.nansum(a), a.nansum(1)),
               [("const", [[1.0, np.nan, 2.0], [np.nan, 0.5, 1.0]])], True),
    "nanmean": (lambda m, a: m.nanmean(a, 0, keepdim=True),
                [("const", [[1.0, np.nan, 2.0], [np.nan, 0.5, 1.0]])], True),
    "nanmedian": (lambda m, a: (m.nanmedian(a), a.nanmedian(1)[0], a.nanmedian(1)[1]),
                  [("const", [[1.0, np.nan, 2.0, 5.0], [np.nan, 0.5, 1.5, -1.0]])], True),
    "quantile": (lambda m, a: m.quantile(a, 0.3), [F], True),
    "quantile_dim": (lambda m, a: a.quantile(m.tensor([0.25, 0.5, 0.9], dtype=a.dtype), dim=1,
                                             keepdim=True), [F], True),
    "nanquantile": (lambda m, a: m.nanquantile(a, 0.4, dim=1),
                    [("const", [[1.0, np.nan, 2.0, 5.0], [np.nan, 0.5, 1.0, -1.0]])], True),
    "count_nonzero": (lambda m, a: (m.count_nonzero(a), a.count_nonzero(0)),
                      [("int", [[0, 1, 2], [0, 0, 3]])], False),
    "aminmax": (lambda m, a: tuple(m.aminmax(a, dim=1)), [F], True),
    "histc": (lambda m, a: m.histc(a, 5, -1, 1), [F], False),
    "bucketize": (lambda m, a: m.bucketize(a, m.tensor([-1.0, 0.0, 1.0], dtype=a.dtype),
                                           right=True), [F], False),
    "dist": (lambda m, a, b: m.dist(a, b, 3), [F, F], True),
    "cov": (lambda m, a: m.cov(a), [F], True),
    "cov_weights": (lambda m, a: m.cov(a, correction=0, fweights=m.tensor([1, 2, 1, 3]),
                                       aweights=m.tensor([0.5, 1.0, 2.0, 1.0], dtype=a.dtype)),
                    [F], True),
    "corrcoef": (lambda m, a: m.corrcoef(a), [F], True),
    "renorm": (lambda m, a: a.renorm(2, 0, 1.5), [F], True),
    "cumulative_trapezoid": (lambda m, a: m.cumulative_trapezoid(a, dim=1), [F], True),
    "trapezoid": (lambda m, a: (m.trapezoid(a), m.trapz(a, dim=0)), [F], True),
    "trapezoid_x": (lambda m, a, x: m.trapezoid(a, x, dim=1), [F, ((4,), 0.0, 3.0)], True),
    "frexp": (lambda m, a: tuple(m.frexp(a * 10)), [F], True),
    "clamp_min_max": (lambda m, a: (m.clamp_min(a, 0.2), m.clamp_max(a, -0.1)), [F], True),
    "vander": (lambda m, a: (m.vander(a, 3), m.vander(a, increasing=True)), [ROW], False),
    "tri_indices": (lambda m: (m.tril_indices(3, 4, 1), m.triu_indices(4, 3, -1)), [], False),
    # products
    "kron": (lambda m, a, b: m.kron(a, b), [((2, 2), -1, 1), ((2, 3), -1, 1)], True),
    "inner": (lambda m, a, b: m.inner(a, b), [F, ((2, 4), -1, 1)], True),
    "mv": (lambda m, a, b: a.mv(b), [F, ROW], True),
    "addr": (lambda m, a, u, v: m.addr(a, u, v, beta=0.5, alpha=2), [F, ((3,), -1, 1), ROW], True),
    "addbmm": (lambda m, a, b, c: a.addbmm(b, c, alpha=0.5),
               [((3, 2), -1, 1), ((2, 3, 4), -1, 1), ((2, 4, 2), -1, 1)], True),
    "chain_matmul": (lambda m, a, b: m.chain_matmul(a, b.t(), a), [F, F], True),
    "matrix_power": (lambda m, a: m.matrix_power(a, 3), [M44], True),
    "matrix_power_neg": (lambda m, a: a.matrix_power(-2),
                         [("const", [[2.0, 0.5], [0.3, 1.5]])], True),
    "matrix_exp": (lambda m, a: m.matrix_exp(a), [M44], True),
    "cross": (lambda m, a, b: m.cross(a, b, dim=1), [((4, 3), -1, 1), ((4, 3), -1, 1)], True),
    # torch.* names of nn.functional
    "torch_conv1d": (lambda m, x, w: m.conv1d(x, w, None, 1, 1), [((2, 3, 6), -1, 1),
                                                                   ((4, 3, 3), -1, 1)], True),
    "torch_conv2d": (lambda m, x, w: m.conv2d(x, w), [((1, 2, 5, 5), -1, 1),
                                                       ((3, 2, 3, 3), -1, 1)], True),
    "torch_layer_norm": (lambda m, x: m.layer_norm(x, (4,)), [F], True),
    "torch_batch_norm": (lambda m, x, w, b: m.batch_norm(x, w, b, None, None, True, 0.1, 1e-5,
                                                         False),
                         [((4, 3), -1, 1), ((3,), 0.5, 1.5), ((3,), -1, 1)], True),
    "torch_embedding": (lambda m, w: m.embedding(w, m.tensor([[0, 2], [1, 1]])), [F], True),
    "torch_dropout_eval": (lambda m, x: m.dropout(x, 0.5, False), [F], True),
    "torch_max_pool1d": (lambda m, x: m.max_pool1d(x, 2), [((2, 3, 6), -1, 1)], True),
    "torch_cosine_similarity": (lambda m, a, b: m.cosine_similarity(a, b), [F, F], True),
})  # fmt: skip


def _close(a, b, dt):
    rtol, atol = (2e-5, 1e-5) if dt == np.float32 else (1e-10, 1e-12)
    if isinstance(b, np.ndarray) and b.dtype.kind == "f":
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True)
    else:
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name, dt):
    fn, specs, grad = CASES[name]
    rng = np.random.default_rng(sum(map(ord, name)))
    arrays = [_arr(s, dt, rng) for s in specs]
    got_v, got_dt, got_g = _run(dg, fn, arrays, grad)
    want_v, want_dt, want_g = _run(torch, fn, arrays, grad)
    assert got_dt == want_dt
    assert len(got_v) == len(want_v)
    for a, b in zip(got_v, want_v, strict=True):
        assert np.shape(a) == np.shape(b)
        _close(a, b, dt)
    assert len(got_g) == len(want_g)
    for a, b in zip(got_g, want_g, strict=True):
        assert (a is None) == (b is None)
        if b is not None:
            _close(a, b, dt)


def test_facts_and_utilities_match_torch():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    for m in (dg, torch):
        x = m.tensor(a)
        assert m.equal(x, x.clone()) and not m.equal(x, x[:2]) and x.equal(x)
        assert m.allclose(x, x * (1 + 1e-6)) and not x.allclose(x + 1)
        nan = m.tensor([np.nan, 1.0])
        assert m.allclose(nan, nan, equal_nan=True) and not m.allclose(nan, nan)
        assert m.is_nonzero(m.tensor([2])) and not m.tensor(0.0).is_nonzero()
        assert m.is_same_size(x, x * 2) and not x.is_same_size(x.t())
        assert x.is_signed() and not m.tensor([1], dtype=m.uint8).is_signed()
        assert (x.nbytes, x.itemsize, x.is_cpu, x.get_device()) == (48, 4, True, -1)
        assert x[1].storage_offset() == 4 and x.storage_offset() == 0
        assert isinstance(x.data_ptr(), int)
        assert tuple(x.mH.shape) == (4, 3) and tuple(x.H.shape) == (4, 3)
        assert tuple(x.adjoint().shape) == (4, 3)
        assert tuple(x.new_empty_strided((2, 3), (3, 1)).shape) == (2, 3)
        assert tuple(m.empty_strided((2, 3), (3, 1)).shape) == (2, 3)
        with pytest.raises(RuntimeError):
            m.tensor([1, 2]).is_nonzero()
    for periodic in (True, False):
        np.testing.assert_allclose(
            dg.bartlett_window(7, periodic).numpy(),
            torch.bartlett_window(7, periodic).numpy(),
            rtol=1e-6,
        )
    seq = [1, 1, 2, 2, 3, 1, 1, 2]
    got = dg.unique_consecutive(dg.tensor(seq), return_inverse=True, return_counts=True)
    want = torch.unique_consecutive(torch.tensor(seq), return_inverse=True, return_counts=True)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g.numpy(), w.numpy())
    assert np.shares_memory(dg.asarray(a).numpy(), a)
    assert dg.asarray([1, 2]).dtype == dg.int64


@pytest.mark.parametrize("method,args", [("exponential_", (2.0,)), ("geometric_", (0.3,)),
                                         ("cauchy_", ()), ("log_normal_", (0.0, 0.5)),
                                         ("random_", (0, 5))])  # fmt: skip
def test_random_fills_follow_their_distributions(method, args):
    x = dg.zeros(20000, dtype=dg.float64)
    v = x._version
    assert getattr(x, method)(*args) is x and x._version == v + 1
    d = x.numpy()
    ref = getattr(torch.zeros(20000, dtype=torch.float64), method)(*args).numpy()
    if method == "cauchy_":  # no mean: compare medians and quartiles
        np.testing.assert_allclose(np.percentile(d, [25, 50, 75]),
                                   np.percentile(ref, [25, 50, 75]), atol=0.08)  # fmt: skip
    else:
        np.testing.assert_allclose(d.mean(), ref.mean(), rtol=0.06)
    if method in ("geometric_", "random_"):
        assert np.all(d == np.round(d))
        assert set(np.unique(d)) <= set(np.unique(np.concatenate([ref, np.arange(0, 60)])))


def test_bad_input_errors_name_the_op():
    x = dg.randn(3, 4)
    with pytest.raises(RuntimeError, match="roll"):
        dg.roll(x, (1, 2), (0,))
    with pytest.raises(RuntimeError, match="rot90"):
        dg.rot90(x, 1, (0, 0))
    with pytest.raises(RuntimeError, match="hsplit"):
        dg.hsplit(x, 3)
    with pytest.raises(RuntimeError, match="split_with_sizes"):
        x.split_with_sizes([1, 1], 0)
    with pytest.raises(RuntimeError, match="unfold"):
        x.unfold(1, 9, 1)
    with pytest.raises(RuntimeError, match="quantile"):
        dg.quantile(x, 1.5)
    with pytest.raises(RuntimeError, match="hypot"):
        dg.hypot(dg.tensor([1]), dg.tensor([2]))
    with pytest.raises(RuntimeError, match="remainder: ZeroDivisionError"):  # as PyTorch's
        dg.remainder(dg.tensor([1]), 0)
    with pytest.raises(RuntimeError, match="bitwise_and"):
        dg.bitwise_and(x, x)
    with pytest.raises(RuntimeError, match="scatter_reduce"):
        x.scatter_reduce(0, dg.tensor([[0]]), x, "median")
    with pytest.raises(ValueError, match="rounding_mode"):
        dg.div(x, 2, rounding_mode="round")
    with pytest.raises(RuntimeError, match="size 3"):
        dg.cross(x[:2], x[:2])
