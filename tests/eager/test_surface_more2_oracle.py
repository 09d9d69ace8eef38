"""einsum, the new math functions, writes at indices, layout / dtype helpers and tensor hooks,
each against real torch: values, dtypes and input gradients."""

from __future__ import annotations

import duograd.frontends.eager as torch
import numpy as np
import pytest

rt = pytest.importorskip("torch")

R = np.random.default_rng(21)


def _u(*shape, lo=-2.0, hi=2.0, dt=np.float32):
    return R.uniform(lo, hi, shape).astype(dt)


def _weights(o):
    w = np.cos(np.arange(o.numel())).reshape(tuple(o.shape))
    return w.astype(o.detach().numpy().dtype)


def _run(lib, fn, inputs, diff):
    ts = [
        lib.tensor(a.copy(), requires_grad=i in diff) if isinstance(a, np.ndarray) else a
        for i, a in enumerate(inputs)
    ]
    out = fn(lib, *ts)
    outs = out if isinstance(out, tuple) else (out,)
    vals = [(o.detach().numpy(), str(o.dtype).replace("torch.", "")) for o in outs]
    grads = []
    floats = [o for o in outs if o.is_floating_point() and o.requires_grad]
    if diff and floats:
        loss = sum((o * lib.tensor(_weights(o))).sum() for o in floats)
        loss.backward()
        grads = [None if ts[i].grad is None else ts[i].grad.numpy() for i in diff]
    return vals, grads


def check(fn, inputs, diff=(0,), rtol=1e-5, atol=1e-6):
    """fn(lib, *tensors) gives the same values, dtypes and gradients in duograd and torch."""
    ours = _run(torch, fn, inputs, diff)
    theirs = _run(rt, fn, inputs, diff)
    assert len(ours[0]) == len(theirs[0])
    for (a, da), (b, db) in zip(ours[0], theirs[0], strict=True):
        assert da == db, (da, db)
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
    assert len(ours[1]) == len(theirs[1])
    for a, b in zip(ours[1], theirs[1], strict=True):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


EINSUM = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("ij->ji", [(3, 4)]),
    ("i,j->ij", [(3,), (4,)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (4, 5)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
    ("ij,ij->", [(3, 4), (3, 4)]),
    ("ijk,ikl,ilm->ijm", [(2, 3, 4), (2, 4, 5), (2, 5, 3)]),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
    ("...i->...", [(2, 3, 4)]),
    ("iij->j", [(3, 3, 2)]),
    ("b i d, b j d -> b i j", [(2, 3, 4), (2, 5, 4)]),
]


@pytest.mark.parametrize("eq,shapes", EINSUM, ids=[e for e, _ in EINSUM])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_einsum(eq, shapes, dt):
    arrs = [_u(*s, dt=dt) for s in shapes]
    check(lambda L, *xs: L.einsum(eq, *xs), arrs, diff=tuple(range(len(arrs))))


def test_einsum_list_operands_and_ints():
    a, b = _u(3, 4), _u(4, 2)
    check(lambda L, x, y: L.einsum("ij,jk", [x, y]), [a, b], diff=(0, 1))
    ia = R.integers(-3, 4, (3, 4)).astype(np.int64)
    check(lambda L, x: L.einsum("ij->j", x), [ia], diff=())


def test_einsum_errors_name_the_problem():
    with pytest.raises(ValueError, match="einsum"):
        torch.einsum("ij,jk->ik", torch.ones(2, 3))
    with pytest.raises(Exception, match="einsum"):
        torch.einsum("ij,jk->ik", torch.ones(2, 3), torch.ones(4, 2))


UNARY = {
    "acos": (-0.9, 0.9), "asin": (-0.9, 0.9), "atan": (-3, 3), "sinh": (-2, 2), "cosh": (-2, 2),
    "tan": (-1.2, 1.2), "log1p": (-0.5, 3), "expm1": (-2, 2), "log10": (0.1, 4), "log2": (0.1, 4),
    "deg2rad": (-90, 90), "frac": (-3, 3), "logit": (0.05, 0.95), "arctan": (-2, 2),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_unary_math(name, dt):
    lo, hi = UNARY[name]
    x = _u(3, 4, lo=lo, hi=hi, dt=dt)
    check(lambda L, t: getattr(L, name)(t), [x])
    check(lambda L, t: getattr(t * 1, name)(), [x])
    if name != "logit":
        check(lambda L, t: getattr(t * 1, name + "_")(), [x])


def test_predicates_and_products():
    x = np.array([1.0, np.inf, -np.inf, np.nan, 0.0], np.float32)
    for name in ("isfinite", "isinf", "isnan", "isreal"):
        check(lambda L, t, n=name: getattr(L, n)(t), [x], diff=())
    a, b = _u(3, 4), _u(3, 4)
    check(lambda L, p, q: L.isclose(p, p + 1e-7 * q), [a, b], diff=())
    c, m1, m2 = _u(3, 5), _u(3, 4), _u(4, 5)
    check(lambda L, i, p, q: L.addmm(i, p, q, beta=0.5, alpha=2.0), [c, m1, m2], diff=(0, 1, 2))
    check(lambda L, i, p, q: L.addcmul(i, p, q, value=0.3), [a, a * 2, b], diff=(0, 1, 2))
    check(lambda L, i, p, q: i.addcdiv(p, q + 3, value=0.3), [a, b, b], diff=(0, 1, 2))
    check(lambda L, p, q: L.ger(p, q), [_u(3), _u(4)], diff=(0, 1))
    check(lambda L, t: L.var_mean(t, 1), [a])
    check(lambda L, p, q: p.logical_or(q > 0), [a > 0, b], diff=())
    check(lambda L, p, q: p.multiply(q), [a, b], diff=(0, 1))


def _idx(*shape, hi):
    return R.integers(0, hi, shape).astype(np.int64)


def test_scatter_family():
    x, src = _u(3, 5), _u(3, 5)
    idx = np.array([[0, 1, 2, 3, 4], [1, 2, 0, 3, 4], [4, 3, 2, 1, 0]], np.int64)  # unique rows
    check(lambda L, t, i, s: t.scatter(1, i, s), [x, idx, src], diff=(0, 2))
    check(lambda L, t, i, s: (t * 1).scatter_(1, i, s), [x, idx, src], diff=(0, 2))
    check(lambda L, t, i: (t * 1).scatter_(1, i, 2.5), [x, idx], diff=(0,))
    dup = _idx(4, 5, hi=3)
    check(lambda L, t, i, s: L.scatter_add(t, 0, i, s), [x, dup, _u(4, 5)], diff=(0, 2))
    check(lambda L, t, i, s: (t * 1).scatter_add_(0, i, s), [x, dup, _u(4, 5)], diff=(0, 2))
    onehot = np.array([[2], [0], [1]], np.int64)
    check(lambda L, i: L.zeros(3, 4).scatter_(1, i, 1), [onehot], diff=())
    ii = np.array([0, 2, 2, 1], np.int64)
    check(lambda L, t, i, s: t.index_add(0, i, s, alpha=0.5), [_u(3, 2), ii, _u(4, 2)], diff=(0, 2))
    check(lambda L, t, i, s: (t * 1).index_add_(1, i, s), [_u(2, 3), ii, _u(2, 4)], diff=(0, 2))
    mask = R.random((3, 5)) > 0.5
    check(lambda L, t, m, s: (t * 1).masked_scatter_(m, s), [x, mask, _u(15)], diff=(0, 2))
    check(lambda L, t, m: t.masked_select(m), [x, mask], diff=(0,))
    check(lambda L, t, m: L.masked_select(t, m), [x, mask[0]], diff=(0,))
    flat = np.array([0, 7, 3], np.int64)
    check(lambda L, t, i, s: (t * 1).put_(i, s), [x, flat, _u(3)], diff=(0, 2))
    check(lambda L, t, i, s: t.put(i, s, accumulate=True), [x, flat, _u(3)], diff=(0, 2))
    check(lambda L, t, i: t.index_fill(1, i, -1.0), [x, np.array([0, 3])], diff=(0,))


def test_counting_and_search():
    a = np.array([0, 1, 1, 3, 2, 1, 7], np.int64)
    check(lambda L, t: L.bincount(t), [a], diff=())
    check(lambda L, t, w: L.bincount(t, w, minlength=9), [a, _u(7)], diff=())
    s = np.sort(_u(6)).astype(np.float32)
    check(lambda L, q, v: L.searchsorted(q, v), [s, _u(2, 3)], diff=())
    check(lambda L, q, v: L.searchsorted(q, v, right=True), [s, s[[1, 3]]], diff=())


def test_layout_and_selection():
    x = _u(2, 3, 4)
    for fn in (
        lambda L, t: t.movedim(0, -1),
        lambda L, t: L.movedim(t, (0, 1), (2, 0)),
        lambda L, t: L.moveaxis(t, 1, 0),
        lambda L, t: L.diag(t[0]),
        lambda L, t: L.diag(t[0, 0], 1),
        lambda L, t: t[0].diag(),
        lambda L, t: t[:, 0].diag(-1),
        lambda L, t: L.broadcast_tensors(t, t[0, 0])[1],
        lambda L, t: L.atleast_2d(t[0, 0]),
        lambda L, t: L.atleast_3d(t[0]),
        lambda L, t: L.as_strided(t, (3, 2), (2, 1), 1),
        lambda L, t: L.kthvalue(t, 2, 1),
        lambda L, t: t.kthvalue(3, keepdim=True),
        lambda L, t: t.diag_embed(),
    ):
        check(fn, [x])
    ints = R.integers(0, 3, (4, 6)).astype(np.int64)
    check(lambda L, t: L.mode(t, 1), [ints], diff=())
    check(lambda L, t: L.argwhere(t), [ints], diff=())
    check(lambda L, t: (t * 1).fill_diagonal_(7.0), [_u(4, 4)])
    check(lambda L, t: (t * 1).fill_diagonal_(7.0), [_u(3, 5)])
    y = torch.ones(4, 5)
    assert y.stride() == rt.ones(4, 5).stride() and y.stride(1) == 1
    assert torch.ones(2, 3, 4).stride() == rt.ones(2, 3, 4).stride()


def test_dtypes_uint8_float16_and_casts():
    img = R.integers(0, 256, (2, 3), dtype=np.uint8)
    check(lambda L, t: t.float() / 255, [img], diff=())
    check(lambda L, t: (t + t, t > 100, t.sum(), t.long()), [img], diff=())
    check(lambda L, t: t.byte(), [_u(2, 3, lo=0, hi=200)], diff=())
    x = _u(3, 4)
    check(lambda L, t: (t.half(), t.half().float(), t.to(L.float16) * 2), [x], diff=(), atol=1e-3)
    check(lambda L, t: (t.char(), t.to(L.int8)), [x * 10], diff=())
    check(lambda L, t: t.short(), [x * 100], diff=())
    check(lambda L, t: L.zeros(2, dtype=L.uint8) + 3, [x], diff=())
    assert torch.promote_types(torch.uint8, torch.int8) == torch.int16
    assert str(torch.promote_types(torch.int64, torch.float32)) == "torch.float32"
    assert torch.finfo(torch.float32).eps == rt.finfo(rt.float32).eps
    assert torch.finfo(torch.float16).max == rt.finfo(rt.float16).max
    assert torch.iinfo(torch.int64).max == rt.iinfo(rt.int64).max
    assert torch.typename(torch.ones(2)) == rt.typename(rt.ones(2))
    assert torch.typename(torch.ones(2).long()) == rt.typename(rt.ones(2).long())
    assert torch.is_complex(torch.ones(2)) is False
    assert torch.scalar_tensor(3).dtype == torch.float32


def test_dense_sparse_only_names_fail_as_torch():
    x = torch.ones(2, 2)
    with pytest.raises(RuntimeError, match="sparse tensor layout"):
        x.values()
    with pytest.raises(RuntimeError, match="sparse tensor layout"):
        x.indices()
    assert x.to_dense() is x
    assert x.name is None and x.is_mps is False and x.is_shared() is False
    with pytest.raises(RuntimeError, match="linalg.solve"):
        x.solve(x)
    assert tuple(x.new(2, 3).shape) == (2, 3) and x.new([1, 2]).dtype == torch.float32


def test_bernoulli_and_rng_state():
    torch.manual_seed(0)
    p = torch.full((2000,), 0.3)
    draws = torch.bernoulli(p)
    assert draws.dtype == torch.float32 and set(np.unique(draws.numpy())) <= {0.0, 1.0}
    assert abs(draws.mean().item() - 0.3) < 0.05
    state = torch.get_rng_state()
    a = torch.rand(3)
    torch.set_rng_state(state)
    assert np.array_equal(a.numpy(), torch.rand(3).numpy())
    y = torch.zeros(1000).bernoulli_(0.7)
    assert abs(y.mean().item() - 0.7) < 0.06


def _hook_program(L, x, w):
    seen = []
    x.register_hook(lambda g: g * 2)
    h = x * w
    h.register_hook(lambda g: seen.append(g.clone()))
    h.register_hook(lambda g: g + 1)
    y = (h * h).sum() + h.sum()
    return y, seen


def test_register_hook_on_leaves_and_intermediates():
    xa, wa = _u(3, 4), _u(3, 4)
    results = []
    for L in (torch, rt):
        x = L.tensor(xa, requires_grad=True)
        w = L.tensor(wa, requires_grad=True)
        y, seen = _hook_program(L, x, w)
        y.backward()
        results.append((x.grad.numpy(), w.grad.numpy(), seen[0].numpy()))
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_hook_handle_remove_and_errors():
    x = torch.ones(3, requires_grad=True)
    h = x.register_hook(lambda g: g * 10)
    h.remove()
    (x * 2).sum().backward()
    assert np.array_equal(x.grad.numpy(), np.full(3, 2.0, np.float32))
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        torch.ones(2).register_hook(lambda g: g)
    y = torch.ones(3, requires_grad=True)
    y.register_hook(lambda g: torch.ones(4))
    with pytest.raises(RuntimeError, match="changed the size"):
        (y * 2).sum().backward()


def test_module_hooks_still_work_with_tensor_hooks():
    lin = torch.nn.Linear(3, 2)
    grads = []
    lin.weight.register_hook(lambda g: grads.append(g.shape))
    lin.register_forward_hook(lambda m, i, o: o * 2)
    lin(torch.ones(4, 3)).sum().backward()
    assert grads == [torch.Size([2, 3])]
    assert np.allclose(lin.bias.grad.numpy(), 8.0)


def test_save_load_numpy_arrays_as_torch(tmp_path):
    data = np.sin(np.arange(12.0)).reshape(3, 4)
    for lib, name in ((torch, "ours.pt"), (rt, "theirs.pt")):
        path = tmp_path / name
        with open(path, "wb") as f:
            lib.save(data, f)
        with pytest.raises(Exception, match="(?i)weights_only"):
            lib.load(path)
        back = lib.load(path, weights_only=False)
        assert type(back) is np.ndarray and np.array_equal(back, data)
        assert np.array_equal(lib.from_numpy(back).numpy(), data)


def _view_inplace_program(L, w):
    forces = L.zeros(3, 2)
    for i, j in ((0, 1), (1, 2)):
        f = (w[j] - w[i]) * 2.0
        forces[i] += f
        forces[j] -= f
    forces[:, 1] -= 9.81
    v = forces[2]
    v.mul_(w[0, 0])
    return (forces * forces).sum() + v.sum()


def test_inplace_on_slices_while_recording_matches_torch():
    w0 = _u(3, 2)
    res = []
    for L in (torch, rt):
        w = L.tensor(w0, requires_grad=True)
        y = _view_inplace_program(L, w)
        y.backward()
        res.append((y.item(), w.grad.numpy()))
    assert np.isclose(res[0][0], res[1][0], rtol=1e-6)
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-5, atol=1e-6)


def test_inplace_on_a_slice_of_a_leaf_is_refused_as_torch():
    w = torch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        w[0:2].add_(1)


def test_inplace_change_of_a_value_only_the_other_gradient_would_read():
    # y = v * 2.0 reads v only for the gradient of the 2.0, which needs none: changing v in
    # place afterwards is fine (torch saves per call); v * w needs v for w's gradient: refused
    for L in (torch, rt):
        w = L.ones(3, requires_grad=True)
        v = w * 1.0
        y = v * L.tensor(2.0)
        v[0] = 5.0
        y.sum().backward()
        assert np.allclose(w.grad.numpy(), 2.0)
        u = w * 1.0
        z = u * w
        u[0] = 5.0
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.sum().backward()
