"""interpolate, unfold, max_pool3d / return_indices, max_unpool1d/2d/3d and the margin / Poisson
losses (functions and modules) against real torch: values, dtypes and input gradients."""

from __future__ import annotations

import duograd.frontends.eager as torch
import numpy as np
import pytest

rt = pytest.importorskip("torch")
R = np.random.default_rng(12)


def _u(*shape, lo=-2.0, hi=2.0, dt=np.float32):
    return R.uniform(lo, hi, shape).astype(dt)


def _run(lib, fn, inputs, diff):
    ts = [lib.tensor(a.copy(), requires_grad=i in diff) for i, a in enumerate(inputs)]
    out = fn(lib, *ts)
    outs = out if isinstance(out, tuple) else (out,)
    vals = [(o.detach().numpy(), str(o.dtype)) for o in outs]
    grads = []
    if diff:
        o = outs[0]
        w = np.cos(np.arange(o.numel())).reshape(tuple(o.shape)).astype(o.detach().numpy().dtype)
        (o * lib.tensor(w)).sum().backward()
        grads = [ts[i].grad.numpy() for i in diff]
    return vals, grads


def check(fn, inputs, diff=(0,), rtol=1e-5, atol=1e-5):
    """The same values, dtypes and gradients in duograd and torch."""
    (va, ga), (vb, gb) = _run(torch, fn, inputs, diff), _run(rt, fn, inputs, diff)
    for (a, da), (b, db) in zip(va, vb, strict=True):
        assert da == db and a.shape == b.shape, (da, db, a.shape, b.shape)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
    for a, b in zip(ga, gb, strict=True):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


INTERP = {
    "nearest_size": lambda F, x: F.interpolate(x, size=(7, 5)),
    "nearest_scale": lambda F, x: F.interpolate(x, scale_factor=2),
    "nearest_down": lambda F, x: F.interpolate(x, scale_factor=0.5),
    "nearest_exact": lambda F, x: F.interpolate(x, size=(5, 9), mode="nearest-exact"),
    "bilinear": lambda F, x: F.interpolate(x, size=(7, 9), mode="bilinear", align_corners=False),
    "bilinear_ac": lambda F, x: F.interpolate(x, size=(7, 9), mode="bilinear", align_corners=True),
    "bilinear_scale": lambda F, x: F.interpolate(x, scale_factor=1.5, mode="bilinear"),
    "bilinear_down": lambda F, x: F.interpolate(x, size=(3, 2), mode="bilinear"),
    "area": lambda F, x: F.interpolate(x, size=(2, 3), mode="area"),
}


@pytest.mark.parametrize("name", sorted(INTERP))
def test_interpolate_2d(name):
    check(lambda L, x: INTERP[name](L.nn.functional, x), [_u(2, 3, 4, 6)])


def test_interpolate_1d_3d_and_modules():
    check(lambda L, x: L.nn.functional.interpolate(x, size=9, mode="linear"), [_u(2, 3, 5)])
    check(lambda L, x: L.nn.functional.interpolate(x, scale_factor=3), [_u(2, 3, 5)])
    check(
        lambda L, x: L.nn.functional.interpolate(
            x, size=(3, 4, 5), mode="trilinear", align_corners=True
        ),
        [_u(1, 2, 2, 3, 4)],
    )
    check(lambda L, x: L.nn.Upsample(scale_factor=2, mode="nearest")(x), [_u(1, 2, 3, 3)])
    check(lambda L, x: L.nn.UpsamplingBilinear2d(scale_factor=2)(x), [_u(1, 2, 3, 3)])
    check(lambda L, x: L.nn.Upsample(size=(5, 4), mode="bilinear")(x), [_u(1, 2, 3, 3)])
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        torch.nn.functional.interpolate(torch.ones(1, 1, 2, 2))


def test_unfold():
    F = "nn.functional"  # noqa: N806
    check(lambda L, x: L.nn.functional.unfold(x, 3), [_u(2, 3, 5, 6)])
    check(lambda L, x: L.nn.functional.unfold(x, (2, 3), padding=1, stride=2), [_u(2, 3, 5, 6)])
    check(lambda L, x: L.nn.functional.unfold(x, 2, dilation=2), [_u(1, 2, 5, 5)])
    check(lambda L, x: L.nn.Unfold(kernel_size=(2, 2), stride=2)(x), [_u(1, 2, 4, 4)])
    assert F


def test_pooling_with_indices_and_unpooling():
    x2 = _u(2, 3, 6, 8)
    check(lambda L, x: L.nn.functional.max_pool2d(x, 2, return_indices=True), [x2])
    check(lambda L, x: L.nn.functional.max_pool2d(x, 3, 2, 1, return_indices=True), [x2])
    check(lambda L, x: L.nn.functional.max_pool2d(x, 2, 1, dilation=2), [x2])
    check(lambda L, x: L.nn.MaxPool2d(2, return_indices=True)(x), [x2])
    check(lambda L, x: L.nn.functional.max_pool1d(x, 3, 2, 1, return_indices=True), [_u(2, 3, 9)])
    x3 = _u(2, 2, 4, 6, 6)
    check(lambda L, x: L.nn.functional.max_pool3d(x, 2), [x3])
    check(lambda L, x: L.nn.functional.max_pool3d(x, (2, 3, 3), (1, 2, 2), (1, 1, 0)), [x3])
    check(lambda L, x: L.nn.MaxPool3d(2, return_indices=True)(x), [x3])

    def unpool2(L, x):
        v, i = L.nn.functional.max_pool2d(x, 2, return_indices=True)
        return L.nn.functional.max_unpool2d(v * 3, i, 2)

    def unpool1(L, x):
        v, i = L.nn.MaxPool1d(2, stride=2, return_indices=True)(x)
        return L.nn.MaxUnpool1d(2)(v, i, output_size=x.shape)

    def unpool3(L, x):
        v, i = L.nn.functional.max_pool3d(x, 2, return_indices=True)
        return L.nn.MaxUnpool3d(2)(v, i)

    check(unpool2, [x2])
    check(unpool1, [_u(2, 3, 9)])
    check(unpool3, [x3])


def _labels(n, c):
    return R.integers(0, c, n).astype(np.int64)


def test_losses():
    x, pm = _u(4, 5), np.sign(_u(4, 5)).astype(np.float32)
    F = lambda L: L.nn.functional  # noqa: E731
    for red in ("mean", "sum", "none"):
        check(lambda L, a, y, red=red: F(L).hinge_embedding_loss(a, y, reduction=red), [x, pm])
        check(lambda L, a, y, red=red: F(L).soft_margin_loss(a, y, reduction=red), [x, pm])
        check(
            lambda L, a, y, red=red: F(L).multilabel_soft_margin_loss(a, y, reduction=red),
            [x, (pm > 0).astype(np.float32)],
        )
        check(
            lambda L, a, y, red=red: F(L).poisson_nll_loss(a, y, reduction=red), [x, np.abs(x) * 3]
        )
    check(lambda L, a, y: F(L).hinge_embedding_loss(a, y, margin=0.5), [x, pm])
    check(
        lambda L, a, y: F(L).poisson_nll_loss(a, y, log_input=False, full=True),
        [np.abs(x) + 0.1, np.abs(pm) * 3],
    )
    lab = _labels(4, 5)
    for p in (1, 2):
        check(lambda L, a, y, p=p: F(L).multi_margin_loss(a, y, p=p, margin=0.7), [x, lab])
    check(lambda L, a, y, w: F(L).multi_margin_loss(a, y, weight=w), [x, lab, _u(5, lo=0.1)])
    ml = np.array([[3, 0, -1, 1, 1], [1, 2, 4, -1, 0], [-1, 0, 0, 0, 0], [0, 1, 2, 3, 4]])
    check(lambda L, a, y: F(L).multilabel_margin_loss(a, y), [x, ml.astype(np.int64)])
    check(
        lambda L, a, y: F(L).multilabel_margin_loss(a, y, reduction="none"),
        [x, ml.astype(np.int64)],
    )
    check(lambda L, a, y: L.nn.MultiMarginLoss(margin=2.0)(a, y), [x, lab])
    check(lambda L, a, y: L.nn.HingeEmbeddingLoss(margin=2.0)(a, y), [x, pm])
    check(lambda L, a, y: L.nn.SoftMarginLoss(reduction="sum")(a, y), [x, pm])
    check(lambda L, a, y: L.nn.PoissonNLLLoss()(a, y), [x, np.abs(x)])
    check(lambda L, a, y: L.nn.MultiLabelMarginLoss()(a, y), [x, ml.astype(np.int64)])
    check(lambda L, a, y: L.nn.MultiLabelSoftMarginLoss()(a, y), [x, (pm > 0).astype(np.float32)])


def test_embedding_bag():
    w = _u(10, 3)
    flat = np.array([1, 2, 4, 5, 4, 3, 2, 9], np.int64)
    off = np.array([0, 4], np.int64)
    for mode in ("sum", "mean", "max"):
        check(
            lambda L, wt, i, o, m=mode: L.nn.functional.embedding_bag(i, wt, o, mode=m),
            [w, flat, off],
        )
        check(
            lambda L, wt, i, m=mode: L.nn.functional.embedding_bag(i, wt, mode=m),
            [w, flat.reshape(2, 4)],
        )
    check(
        lambda L, wt, i, o, p: L.nn.functional.embedding_bag(
            i, wt, o, mode="sum", per_sample_weights=p
        ),
        [w, flat, off, _u(8)],
        diff=(0, 3),
    )
    check(
        lambda L, wt, i, o: L.nn.EmbeddingBag.from_pretrained(wt, freeze=False, mode="mean")(i, o),
        [w, flat, off],
        diff=(),
    )


def test_cdist():
    check(lambda L, a, b: L.cdist(a, b), [_u(4, 3), _u(5, 3)], diff=(0, 1))
    check(lambda L, a, b: L.cdist(a, b, p=1), [_u(2, 4, 3), _u(2, 5, 3)], diff=(0, 1))


def test_parameter_dict_rnnbase_and_modules_namespace():
    pd = torch.nn.ParameterDict({"a": torch.nn.Parameter(torch.ones(2)), "b": torch.zeros(3)})
    assert set(pd.keys()) == {"a", "b"} and len(pd) == 2 and "a" in pd
    m = torch.nn.Module()
    m.params = pd
    assert sorted(n for n, _ in m.named_parameters()) == ["params.a", "params.b"]
    assert isinstance(torch.nn.GRU(2, 3), torch.nn.RNNBase)
    assert torch.nn.modules.loss.CrossEntropyLoss is torch.nn.CrossEntropyLoss
    assert torch.nn.modules.Module is torch.nn.Module
    assert torch.version.cuda is None
