"""sort / argsort / topk / cumsum / prod, GroupNorm / InstanceNorm / F.normalize against torch."""

from __future__ import annotations

import duograd.frontends.eager as torch
import numpy as np
import pytest

rt = pytest.importorskip("torch")

RNG = np.random.default_rng(3)
X = RNG.standard_normal((3, 4, 5))
XZ = X.copy()
XZ[1, 2, 3] = 0.0  # prod's gradient must stay exact at a zero


def _run(lib, fn, data, dtype):
    x = lib.tensor(data.astype(dtype), requires_grad=True)
    out = fn(lib, x)
    out = out if isinstance(out, tuple) else (out,)
    vals = [o.detach().numpy() for o in out]
    floats = [o for o in out if o.is_floating_point()]
    w = [lib.tensor(RNG_W(o.shape, dtype)) for o in floats]
    if not floats:
        return vals, None
    sum((o * wi).sum() for o, wi in zip(floats, w, strict=True)).backward()
    return vals, x.grad.numpy() if x.grad is not None else None


def RNG_W(shape, dtype):  # noqa: N802 - weights that are the same for both libraries
    n = int(np.prod(shape)) if len(shape) else 1
    return np.cos(np.arange(n)).reshape(tuple(shape)).astype(dtype)


CASES = {
    "sort": lambda L, x: tuple(L.sort(x, dim=1)),
    "sort_desc": lambda L, x: tuple(x.sort(dim=-1, descending=True)),
    "argsort": lambda L, x: (x * 1).argsort(dim=0),
    "topk": lambda L, x: tuple(L.topk(x, 2, dim=-1)),
    "topk_small": lambda L, x: tuple(x.topk(3, dim=1, largest=False)),
    "cumsum": lambda L, x: L.cumsum(x, dim=1),
    "cumsum_m": lambda L, x: x.cumsum(-1),
    "prod_all": lambda L, x: L.prod(x),
    "prod_dim": lambda L, x: x.prod(dim=2, keepdim=True),
    "group_norm": lambda L, x: L.nn.functional.group_norm(x.reshape(3, 4, 5, 1), 2),
    "normalize": lambda L, x: L.nn.functional.normalize(x, dim=1),
    "instance_norm": lambda L, x: L.nn.functional.instance_norm(x),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matches_torch(name, dtype):
    data = XZ if name.startswith("prod") else X
    ours = _run(torch, CASES[name], data, dtype)
    theirs = _run(rt, CASES[name], data, dtype)
    tol = 1e-10 if dtype == np.float64 else 2e-5
    for a, b in zip(ours[0], theirs[0], strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
    if theirs[1] is None:
        assert ours[1] is None
    else:
        np.testing.assert_allclose(ours[1], theirs[1], rtol=tol, atol=tol)


@pytest.mark.parametrize("affine", [True, False])
def test_norm_modules_match_torch(affine):
    x = RNG.standard_normal((2, 6, 3, 4))
    results = []
    for lib in (torch, rt):
        lib.manual_seed(0)
        mods = [
            lib.nn.GroupNorm(3, 6, affine=affine),
            lib.nn.InstanceNorm2d(6, affine=affine),
            lib.nn.InstanceNorm1d(6, affine=affine),
        ]
        if affine:
            with lib.no_grad():
                for m in mods:
                    m.weight.copy_(lib.tensor(np.linspace(0.5, 1.5, 6)))
                    m.bias.copy_(lib.tensor(np.linspace(-1, 1, 6)))
        xt = lib.tensor(x, dtype=lib.float32, requires_grad=True)
        outs = [mods[0](xt), mods[1](xt), mods[2](xt.reshape(2, 6, 12))]
        sum((o * o.detach().cos()).sum() for o in outs).backward()
        grads = [xt.grad.numpy()] + [p.grad.numpy() for m in mods for p in m.parameters()]
        results.append(([o.detach().numpy() for o in outs], grads))
    for a, b in zip(results[0][0] + results[0][1], results[1][0] + results[1][1], strict=True):
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-5)


def test_broadcast_shapes_and_errors():
    assert torch.broadcast_shapes((3, 1), (1, 4), 4) == rt.broadcast_shapes((3, 1), (1, 4), 4)
    with pytest.raises(ValueError, match="groups"):
        torch.nn.functional.group_norm(torch.zeros(2, 5, 3), 2)
    with pytest.raises(RuntimeError, match="topk"):
        torch.topk(torch.zeros(3), 4)


@pytest.mark.parametrize("kind", ["FloatTensor", "DoubleTensor", "LongTensor", "IntTensor"])
def test_type_with_legacy_tensor_types_matches_torch(kind):
    for arg in (getattr(torch, kind), f"torch.{kind}"):
        ours = torch.tensor([1.5, -2.0]).type(arg)
        theirs = rt.tensor([1.5, -2.0]).type(getattr(rt, kind) if not isinstance(arg, str) else arg)
        assert ours.numpy().dtype == theirs.numpy().dtype
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        assert ours.type() == theirs.type()


def test_pad_and_padding_modules_match_torch():
    x0 = RNG.standard_normal((2, 3, 4, 5))
    outs = []
    for lib in (torch, rt):
        x = lib.tensor(x0, requires_grad=True)
        F = lib.nn.functional
        ys = [
            F.pad(x, (1, 2)),
            F.pad(x, (1, 0, 2, 1), value=0.5),
            F.pad(x, (-1, 1, 0, 0, 1, 1)),
            lib.nn.ZeroPad2d(2)(x),
            lib.nn.ConstantPad1d((0, 3), -1.0)(x),
        ]
        ys.append(F.cosine_similarity(x, x.flip(1), dim=1))
        ys.append(F.pairwise_distance(x[0, 0], x[1, 1]))
        sum((y * y.detach().sin()).sum() for y in ys).backward()
        outs.append([y.detach().numpy() for y in ys] + [x.grad.numpy()])
    for a, b in zip(*outs, strict=True):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_dropout2d_zeroes_whole_channels_and_parameter_list():
    torch.manual_seed(0)
    y = torch.nn.Dropout2d(0.5)(torch.ones(4, 8, 3, 3))
    per_channel = y.numpy().reshape(4, 8, -1)
    assert set(np.unique(per_channel)) <= {0.0, 2.0}
    assert (per_channel.min(-1) == per_channel.max(-1)).all()
    m = torch.nn.Dropout2d(0.5).eval()
    assert m(torch.ones(1, 2, 2, 2)).numpy().tolist() == torch.ones(1, 2, 2, 2).numpy().tolist()
    pl = torch.nn.ParameterList([torch.zeros(2), torch.nn.Parameter(torch.ones(3))])
    assert len(pl) == 2 and len(list(pl.parameters())) == 2 and pl[1].shape == (3,)


MATRIX_CASES = {
    "diagonal": lambda L, x: L.diagonal(x, 0, 1, 2),
    "diagonal_off": lambda L, x: x.diagonal(offset=1, dim1=-1, dim2=0),
    "diagonal_neg": lambda L, x: x.diagonal(-2, 1, 2),
    "trace": lambda L, x: L.trace(x[0]),
    "trace_m": lambda L, x: x[1].trace(),
    "repeat_interleave": lambda L, x: L.repeat_interleave(x, 2, dim=1),
    "repeat_interleave_flat": lambda L, x: x[0, 0].repeat_interleave(L.tensor([1, 0, 2, 1, 3])),
    "select": lambda L, x: x.select(1, -1),
    "meshgrid_ij": lambda L, x: L.meshgrid(x[0, 0], x[1, :, 0], indexing="ij"),
    "meshgrid_xy": lambda L, x: L.meshgrid(x[0, 0], x[1, :, 0], x[2, 1, :2], indexing="xy"),
}


@pytest.mark.parametrize("name", sorted(MATRIX_CASES))
def test_matrix_ops_match_torch(name):
    ours = _run(torch, MATRIX_CASES[name], X, np.float64)
    theirs = _run(rt, MATRIX_CASES[name], X, np.float64)
    for a, b in zip(ours[0], theirs[0], strict=True):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12)


def test_median_unique_nonzero_match_torch():
    x0 = np.array([[3.0, 1.0, 2.0, 1.0], [0.0, 5.0, 5.0, -1.0], [2.0, 2.0, 7.0, 0.0]])
    res = []
    for lib in (torch, rt):
        x = lib.tensor(x0, requires_grad=True)
        m_all = x.median()
        m, mi = lib.median(x, dim=1)
        mk = x.median(0, keepdim=True).values
        (m_all + (m * lib.tensor([1.0, 2.0, 3.0])).sum() + mk.sum()).backward()
        u, inv, cnt = lib.unique(x.detach(), return_inverse=True, return_counts=True)
        res.append(
            [m_all.detach(), m.detach(), mi, mk.detach(), x.grad, u, inv, cnt,
             x.detach().unique(), (x.detach() > 1).nonzero()]
        )  # fmt: skip
    for a, b in zip(*res, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
        assert a.numpy().dtype == b.numpy().dtype


def test_embedding_kl_div_prelu_hardswish_match_torch():
    rng = np.random.default_rng(5)
    x0 = rng.standard_normal((3, 4, 2))
    t0 = rng.random((3, 4, 2))
    t0[0, 0, 0] = 0.0
    w0 = rng.standard_normal((6, 3))
    res = []
    for lib in (torch, rt):
        F = lib.nn.functional
        x = lib.tensor(x0, requires_grad=True)
        w = lib.tensor(w0, requires_grad=True)
        logp = F.log_softmax(x, dim=1)
        outs = [
            F.embedding(lib.tensor([[0, 5], [2, 2]]), w),
            F.kl_div(logp, lib.tensor(t0), reduction="batchmean"),
            F.kl_div(logp, lib.tensor(t0), reduction="none"),
            F.kl_div(logp, lib.tensor(np.log(t0 + 0.1)), reduction="sum", log_target=True),
            F.hardswish(x * 3),
            lib.nn.Hardswish()(x),
            F.prelu(x, lib.tensor([0.1, 0.2, 0.3, 0.4], dtype=lib.float64)),
        ]
        m = lib.nn.PReLU(4).double()
        outs.append(m(x))
        sum((o * o.detach().cos()).sum() for o in outs).backward()
        res.append([o.detach().numpy() for o in outs] + [x.grad.numpy(), w.grad.numpy()])
    for a, b in zip(*res, strict=True):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_dropout2d_on_2d_and_3d_inputs_draws_per_sample_and_channel():
    """torch 2's rule: one keep/drop per (n, c); a 2-D input is dropped element by element (a
    single draw for the whole batch zeroed everything half the time)."""
    torch.manual_seed(0)
    with pytest.warns(UserWarning, match="2-D input"):
        y = torch.nn.functional.dropout2d(torch.ones(64, 32), 0.5).numpy()
    assert 0.3 < (y == 0).mean() < 0.7 and len({tuple(r) for r in y}) > 1
    with pytest.warns(UserWarning, match="3D input"):
        z = torch.nn.functional.dropout2d(torch.ones(8, 16, 5), 0.5).numpy()
    assert (z == z[:, :, :1]).all() and 0.2 < (z == 0).mean() < 0.8
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        torch.nn.functional.dropout2d(torch.ones(6), 0.5)
