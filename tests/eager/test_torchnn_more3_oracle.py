"""The torch.nn functions and modules of activations_more3, losses_more3, layers_more3,
norm_more3 and pool_more3 against real torch: values and every input gradient, in float32 and
float64, through the functional form and (where one exists) the module."""

from __future__ import annotations

import duograd.frontends.eager as torch
import numpy as np
import pytest

T = pytest.importorskip("torch")
F = torch.nn.functional
TF = T.nn.functional
R = np.random.default_rng(14)


def _n(*shape):
    return R.standard_normal(shape) * 1.5


def _pos(*shape):
    return np.abs(R.standard_normal(shape)) + 0.2


def _sign(*shape):
    return np.where(R.standard_normal(shape) > 0, 1.0, -1.0)


def _log_probs(*shape):
    p = _pos(*shape)
    return np.log(p / p.sum(-1, keepdims=True))


X4 = _n(2, 6, 5, 4)
X3 = _n(2, 6, 7)
X5 = _n(2, 3, 5, 6, 7)
A, B, C = _n(6, 4), _n(6, 4), _n(6, 4)
Y = _sign(6)
SAMPLES2 = R.random((2, 6, 2))
SAMPLES3 = R.random((2, 3, 3))
W_BIL, B_BIL = _n(5, 4, 3), _n(5)
W_CT3, B_CT3 = _n(3, 2, 2, 3, 2), _n(2)
_W4 = _pos(4)


def _both(fn):
    """The same call on duograd's and torch's namespaces: fn(F, nn) -> function of inputs."""
    return (lambda *a: fn(F, torch.nn)(*a), lambda *a: fn(TF, T.nn)(*a))


# id -> (fn(F, nn) giving a function of the inputs, inputs, differentiable input indexes)
CASES = {
    # activations
    # alphas whose reciprocal is exact in float32: torch's celu gradient uses a float32 1 / alpha
    "celu": (lambda F, nn: lambda x: F.celu(x, 0.5), (X3,), (0,)),
    "CELU": (lambda F, nn: nn.CELU(2.0), (X3,), (0,)),
    "glu": (lambda F, nn: lambda x: F.glu(x, 1), (X3,), (0,)),
    "GLU": (lambda F, nn: nn.GLU(), (X4,), (0,)),
    "hardshrink": (lambda F, nn: lambda x: F.hardshrink(x, 0.6), (X3,), (0,)),
    "Hardshrink": (lambda F, nn: nn.Hardshrink(), (X3,), (0,)),
    "hardsigmoid": (lambda F, nn: F.hardsigmoid, (X3 * 3,), (0,)),
    "Hardsigmoid": (lambda F, nn: nn.Hardsigmoid(), (X3 * 3,), (0,)),
    "mish": (lambda F, nn: F.mish, (X3 * 3,), (0,)),
    "Mish": (lambda F, nn: nn.Mish(), (X3,), (0,)),
    "softshrink": (lambda F, nn: lambda x: F.softshrink(x, 0.8), (X3,), (0,)),
    "Softshrink": (lambda F, nn: nn.Softshrink(0.3), (X3,), (0,)),
    "tanhshrink": (lambda F, nn: F.tanhshrink, (X3,), (0,)),
    "Tanhshrink": (lambda F, nn: nn.Tanhshrink(), (X3,), (0,)),
    "threshold": (lambda F, nn: lambda x: F.threshold(x, 0.3, -2.0), (X3,), (0,)),
    "Threshold": (lambda F, nn: nn.Threshold(0.1, 20.0), (X3,), (0,)),
    "softmin": (lambda F, nn: lambda x: F.softmin(x, dim=1), (X3,), (0,)),
    "Softmin": (lambda F, nn: nn.Softmin(-1), (X3,), (0,)),
    "Softmax2d": (lambda F, nn: nn.Softmax2d(), (X4,), (0,)),
    "rrelu_eval": (lambda F, nn: lambda x: F.rrelu(x, 0.1, 0.3), (X3,), (0,)),
    "RReLU_eval": (lambda F, nn: nn.RReLU(0.2, 0.4).eval(), (X3,), (0,)),
    # losses and distances
    "margin_ranking_loss": (
        lambda F, nn: lambda a, b, y: F.margin_ranking_loss(a, b, y, margin=0.3),
        (A[:, 0], B[:, 0], Y),
        (0, 1),
    ),  # fmt: skip
    "MarginRankingLoss_sum": (
        lambda F, nn: nn.MarginRankingLoss(0.5, reduction="sum"),
        (A[:, 0], B[:, 0], Y),
        (0, 1),
    ),
    "cosine_embedding_loss": (
        lambda F, nn: lambda a, b, y: F.cosine_embedding_loss(a, b, y, margin=0.1),
        (A, B, Y),
        (0, 1),
    ),  # fmt: skip
    "CosineEmbeddingLoss_none": (
        lambda F, nn: nn.CosineEmbeddingLoss(reduction="none"),
        (A, B, Y),
        (0, 1),
    ),
    "gaussian_nll_loss_full": (
        lambda F, nn: lambda a, b, v: F.gaussian_nll_loss(a, b, v, full=True),
        (A, B, _pos(6, 4)),
        (0, 1, 2),
    ),  # fmt: skip
    "GaussianNLLLoss_var_one_less_dim": (
        lambda F, nn: nn.GaussianNLLLoss(),
        (A, B, _pos(6)),
        (0, 1, 2),
    ),
    "GaussianNLLLoss_var_last_1_sum": (
        lambda F, nn: nn.GaussianNLLLoss(reduction="sum"),
        (A, B, _pos(6, 1)),
        (0, 1, 2),
    ),
    "gaussian_nll_loss_clamped_var": (
        lambda F, nn: lambda a, b, v: F.gaussian_nll_loss(a, b, v, eps=0.5),
        (A, B, _pos(6, 4)),
        (0, 1, 2),
    ),  # fmt: skip
    "triplet_margin_loss": (
        lambda F, nn: lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=2.0),
        (A, B, C),
        (0, 1, 2),
    ),  # fmt: skip
    "TripletMarginLoss_p1_swap": (
        lambda F, nn: nn.TripletMarginLoss(p=1, swap=True),
        (A, B, C),
        (0, 1, 2),
    ),
    "TripletMarginWithDistanceLoss": (
        lambda F, nn: nn.TripletMarginWithDistanceLoss(margin=2.0, swap=True),
        (A, B, C),
        (0, 1, 2),
    ),  # fmt: skip
    "triplet_with_cosine_distance": (
        lambda F, nn: (
            lambda a, p, n: F.triplet_margin_with_distance_loss(
                a,
                p,
                n,
                distance_function=lambda x, y: 1.0 - F.cosine_similarity(x, y),
                reduction="sum",
            )
        ),
        (A, B, C),
        (0, 1, 2),
    ),  # fmt: skip
    "KLDivLoss_batchmean": (
        lambda F, nn: nn.KLDivLoss(reduction="batchmean"),
        (_log_probs(6, 4), _pos(6, 4)),
        (0, 1),
    ),
    "KLDivLoss_log_target": (
        lambda F, nn: nn.KLDivLoss(reduction="sum", log_target=True),
        (_log_probs(6, 4), _log_probs(6, 4)),
        (0, 1),
    ),  # fmt: skip
    "NLLLoss2d": (
        lambda F, nn: lambda x: nn.NLLLoss2d()(x, (T if nn is T.nn else torch).tensor(_LABELS2D)),
        (_log_probs(2, 3, 5, 4).transpose(0, 3, 1, 2).copy(),),
        (0,),
    ),  # fmt: skip
    # class and element weights of the everyday losses (weights are inputs without gradient)
    "cross_entropy_weight": (
        lambda F, nn: lambda x, w: F.cross_entropy(x, _labels(nn, _LABELS1D), w),
        (A, _W4),
        (0,),
    ),
    "cross_entropy_weight_ignore_sum": (
        lambda F, nn: (
            lambda x, w: F.cross_entropy(x, _labels(nn, _LABELS1D_IGN), w, reduction="sum")
        ),
        (A, _W4),
        (0,),
    ),  # fmt: skip
    "cross_entropy_weight_smoothing_4d": (
        lambda F, nn: (
            lambda x, w: F.cross_entropy(x, _labels(nn, _LABELS2D), w, label_smoothing=0.1)
        ),
        (_n(2, 4, 3, 5), _W4),
        (0,),
    ),  # fmt: skip
    "cross_entropy_smoothing_4d_none": (
        lambda F, nn: (
            lambda x: F.cross_entropy(
                x, _labels(nn, _LABELS2D), reduction="none", label_smoothing=0.2
            )
        ),
        (_n(2, 4, 3, 5),),
        (0,),
    ),  # fmt: skip
    "cross_entropy_probs_weight": (
        lambda F, nn: lambda x, p, w: F.cross_entropy(x, p, w),
        (A, np.exp(_log_probs(6, 4)), _W4),
        (0,),
    ),  # fmt: skip
    "CrossEntropyLoss_weight": (
        lambda F, nn: lambda x, w: nn.CrossEntropyLoss(weight=w)(x, _labels(nn, _LABELS1D)),
        (A, _W4),
        (0,),
    ),  # fmt: skip
    "NLLLoss_weight_none": (
        lambda F, nn: lambda x, w: nn.NLLLoss(w, reduction="none")(x, _labels(nn, _LABELS2D)),
        (_log_probs(2, 3, 5, 4).transpose(0, 3, 1, 2).copy(), _W4),
        (0,),
    ),  # fmt: skip
    "BCELoss_weight": (
        lambda F, nn: lambda p, t, w: nn.BCELoss(w)(p, t),
        (1 / (1 + np.exp(-A)), (R.random((6, 4)) > 0.5) * 1.0, _W4),
        (0,),
    ),  # fmt: skip
    "BCEWithLogitsLoss_pos_weight": (
        lambda F, nn: lambda z, t, w: nn.BCEWithLogitsLoss(pos_weight=w)(z, t),
        (A, (R.random((6, 4)) > 0.5) * 1.0, _W4),
        (0, 1),
    ),  # fmt: skip
    "bce_with_logits_weight_and_pos_weight": (
        lambda F, nn: (
            lambda z, t, w: F.binary_cross_entropy_with_logits(
                z, t, w[None, :], reduction="sum", pos_weight=w * 2
            )
        ),
        (A, R.random((6, 4)), _W4),
        (0, 1),
    ),  # fmt: skip
    "mse_loss_weight": (
        lambda F, nn: lambda a, b, w: F.mse_loss(a, b, weight=w),
        (A, B, _pos(6, 4)),
        (0, 1),
    ),
    "l1_loss_weight_sum": (
        lambda F, nn: lambda a, b, w: F.l1_loss(a, b, reduction="sum", weight=w),
        (A, B, _pos(6, 4)),
        (0, 1),
    ),
    "huber_loss_weight": (
        lambda F, nn: lambda a, b, w: F.huber_loss(a, b, delta=0.5, weight=w),
        (A, B, _pos(6, 4)),
        (0, 1),
    ),
    # embedding options: padding row without gradient, frequency scaling, max_norm renorm
    "embedding_padding_idx": (
        lambda F, nn: lambda w: F.embedding(_labels(nn, _EMB_IDX), w, padding_idx=2),
        (_n(7, 3),),
        (0,),
    ),
    "embedding_scale_grad_by_freq": (
        lambda F, nn: (
            lambda w: F.embedding(_labels(nn, _EMB_IDX), w, padding_idx=-1, scale_grad_by_freq=True)
        ),
        (_n(7, 3),),
        (0,),
    ),
    "embedding_max_norm": (
        lambda F, nn: (
            lambda w: F.embedding(_labels(nn, _EMB_IDX), w * 1.0, max_norm=1.0, norm_type=1.0)
        ),
        (_n(7, 3),),
        (0,),
    ),
    "Embedding_from_pretrained_padding": (
        lambda F, nn: (
            lambda w: nn.Embedding.from_pretrained(w, freeze=False, padding_idx=0)(
                _labels(nn, _EMB_IDX)
            )
        ),
        (_n(7, 3),),
        (),  # the module wraps the table in a new leaf, in torch too
    ),
    "AvgPool2d_divisor_override": (
        lambda F, nn: nn.AvgPool2d(3, 2, 1, divisor_override=4),
        (X4,),
        (0,),
    ),
    "Hardtanh_old_keywords": (
        lambda F, nn: nn.Hardtanh(min_value=-0.5, max_value=0.5),
        (X3,),
        (0,),
    ),
    "CosineSimilarity": (lambda F, nn: nn.CosineSimilarity(dim=0), (A, B), (0, 1)),
    "PairwiseDistance": (lambda F, nn: nn.PairwiseDistance(p=3, keepdim=True), (A, B), (0, 1)),
    "pdist": (lambda F, nn: F.pdist, (A,), (0,)),
    "pdist_p1": (lambda F, nn: lambda x: F.pdist(x, 1), (A,), (0,)),
    # shapes, padding, layers
    "pixel_shuffle": (lambda F, nn: lambda x: F.pixel_shuffle(x, 2), (_n(2, 8, 3, 4),), (0,)),
    "PixelUnshuffle": (lambda F, nn: nn.PixelUnshuffle(2), (_n(2, 3, 4, 6),), (0,)),
    "ChannelShuffle": (lambda F, nn: nn.ChannelShuffle(3), (X4,), (0,)),
    "Unflatten": (lambda F, nn: nn.Unflatten(1, (2, 3)), (X4,), (0,)),
    "bilinear": (lambda F, nn: F.bilinear, (_n(7, 4), _n(7, 3), W_BIL, B_BIL), (0, 1, 2, 3)),
    "fold": (
        lambda F, nn: lambda c: F.fold(c, (5, 6), 2, padding=1, stride=2),
        (_n(2, 12, 12),),
        (0,),
    ),  # fmt: skip
    "Fold_dilated": (
        lambda F, nn: nn.Fold((5, 6), (3, 2), dilation=(1, 2)),
        (_n(2, 18, 12),),
        (0,),
    ),
    "upsample_nearest": (
        lambda F, nn: lambda x: F.upsample_nearest(x, scale_factor=2),
        (X4,),
        (0,),
    ),
    "upsample_bilinear": (lambda F, nn: lambda x: F.upsample_bilinear(x, size=(7, 9)), (X4,), (0,)),
    "pad_reflect_1d": (lambda F, nn: lambda x: F.pad(x, (3, 2), mode="reflect"), (X3,), (0,)),
    "pad_replicate_2d": (
        lambda F, nn: lambda x: F.pad(x, (1, 3, 2, 0), mode="replicate"),
        (X4,),
        (0,),
    ),
    "pad_circular_3d": (
        lambda F, nn: lambda x: F.pad(x, (1, 1, 2, 0, 1, 2), mode="circular"),
        (X5,),
        (0,),
    ),
    "ReflectionPad2d": (lambda F, nn: nn.ReflectionPad2d((1, 2, 3, 0)), (X4,), (0,)),
    "ReflectionPad3d": (lambda F, nn: nn.ReflectionPad3d(1), (X5,), (0,)),
    "ReplicationPad1d": (lambda F, nn: nn.ReplicationPad1d(3), (X3,), (0,)),
    "ReplicationPad3d": (lambda F, nn: nn.ReplicationPad3d((0, 1, 2, 0, 1, 1)), (X5,), (0,)),
    "CircularPad1d": (lambda F, nn: nn.CircularPad1d((2, 1)), (X3,), (0,)),
    "CircularPad2d": (lambda F, nn: nn.CircularPad2d(2), (X4,), (0,)),
    "ZeroPad3d": (lambda F, nn: nn.ZeroPad3d((1, 0, 0, 2, 1, 1)), (X5,), (0,)),
    "ConstantPad3d": (lambda F, nn: nn.ConstantPad3d(1, 2.5), (X5,), (0,)),
    # normalisation
    "local_response_norm": (
        lambda F, nn: lambda x: F.local_response_norm(x, 3, alpha=0.3, beta=0.6, k=1.5),
        (X4,),
        (0,),
    ),  # fmt: skip
    "LocalResponseNorm_even_3d": (lambda F, nn: nn.LocalResponseNorm(4, 0.2), (X3,), (0,)),
    "LocalResponseNorm_5d": (lambda F, nn: nn.LocalResponseNorm(5, 0.5), (X5,), (0,)),
    "CrossMapLRN2d_forward": (lambda F, nn: nn.CrossMapLRN2d(3, 0.3, 0.6, 1.5), (X4,), ()),
    "rms_norm": (lambda F, nn: lambda x, w: F.rms_norm(x, (5, 4), w), (X4, _n(5, 4)), (0, 1)),
    "rms_norm_eps": (lambda F, nn: lambda x: F.rms_norm(x, [4], eps=1e-3), (X4,), (0,)),
    # pooling and convolution
    "avg_pool3d": (lambda F, nn: lambda x: F.avg_pool3d(x, 2), (X5,), (0,)),
    "AvgPool3d_pad_exclude": (
        lambda F, nn: nn.AvgPool3d(3, stride=2, padding=1, count_include_pad=False),
        (X5,),
        (0,),
    ),
    "AvgPool3d_divisor": (
        lambda F, nn: nn.AvgPool3d((2, 3, 2), stride=1, padding=1, divisor_override=5),
        (X5,),
        (0,),
    ),  # fmt: skip
    "AdaptiveAvgPool3d": (lambda F, nn: nn.AdaptiveAvgPool3d((2, 4, 3)), (X5,), (0,)),
    "AdaptiveMaxPool3d": (lambda F, nn: nn.AdaptiveMaxPool3d((3, None, 2)), (X5,), (0,)),
    "lp_pool1d": (lambda F, nn: lambda x: F.lp_pool1d(x, 2, 3, stride=2), (_pos(2, 3, 9),), (0,)),
    "LPPool2d": (lambda F, nn: nn.LPPool2d(3, 2), (_pos(2, 3, 6, 5),), (0,)),
    "LPPool3d": (lambda F, nn: nn.LPPool3d(1.5, (2, 2, 3)), (_pos(2, 3, 4, 4, 6),), (0,)),
    "fractional_max_pool2d": (
        lambda F, nn: (
            lambda x, s: F.fractional_max_pool2d(x, 2, output_size=(3, 2), _random_samples=s)
        ),
        (X4, SAMPLES2),
        (0,),
    ),  # fmt: skip
    "FractionalMaxPool2d_ratio": (
        lambda F, nn: (
            lambda x, s: nn.FractionalMaxPool2d((2, 3), output_ratio=(0.5, 0.5), _random_samples=s)(
                x
            )
        ),
        (X4, SAMPLES2),
        (0,),
    ),  # fmt: skip
    "fractional_max_pool3d": (
        lambda F, nn: (
            lambda x, s: F.fractional_max_pool3d(x, 2, output_size=(3, 4, 3), _random_samples=s)
        ),
        (X5, SAMPLES3),
        (0,),
    ),  # fmt: skip
    "conv_transpose3d": (
        lambda F, nn: F.conv_transpose3d,
        (_n(2, 3, 3, 4, 3), W_CT3, B_CT3),
        (0, 1, 2),
    ),
    "conv_transpose3d_strided": (
        lambda F, nn: (
            lambda x, w, b: F.conv_transpose3d(
                x,
                w,
                b,
                stride=(2, 1, 2),
                padding=(1, 0, 1),
                output_padding=(1, 0, 0),
                dilation=(1, 2, 1),
            )
        ),
        (_n(2, 3, 3, 4, 3), W_CT3, B_CT3),
        (0, 1, 2),
    ),  # fmt: skip
    "conv_tbc": (
        lambda F, nn: lambda x, w, b: (F.conv_tbc if F is not TF else T.conv_tbc)(x, w, b, 1),
        (_n(7, 2, 3), _n(3, 3, 4), _n(4)),
        (0, 1, 2),
    ),  # fmt: skip
}
_LABELS2D = R.integers(0, 4, (2, 3, 5))
_LABELS2D[0, 1, 2] = -100  # an ignored target
_LABELS1D = R.integers(0, 4, 6)
_EMB_IDX = np.array([[0, 2, 2, 5], [6, 0, 2, 1]])
_LABELS1D_IGN = np.where(np.arange(6) == 3, -100, _LABELS1D)


def _labels(nn, labels):
    return (T if nn is T.nn else torch).tensor(labels)


# torch's hardsigmoid backward multiplies by 1.0f / 6.0f, a float32 constant, also in float64
F32_CONSTANT_IN_TORCH_GRAD = {"hardsigmoid", "Hardsigmoid"}


def _run(lib, fn, inputs, diff, dtype, cot_seed):
    mk = torch.tensor if lib == "duo" else T.tensor
    ts = [mk(x.astype(dtype), requires_grad=(i in diff)) for i, x in enumerate(inputs)]
    out = fn(*ts)
    res = [np.asarray(out.detach().numpy(), dtype=np.float64)]
    if diff:
        g = np.random.default_rng(cot_seed).standard_normal(tuple(out.shape)).astype(dtype)
        out.backward(mk(g) if out.dim() else None)
        res += [np.asarray(ts[i].grad.numpy(), dtype=np.float64) for i in diff]
    return res, str(out.dtype).replace("torch.", "")


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_value_and_gradients_match_torch(name, dtype):
    build, inputs, diff = CASES[name]
    ours, real = build(F, torch.nn), build(TF, T.nn)
    got, got_dt = _run("duo", ours, inputs, diff, dtype, 3)
    want, want_dt = _run("torch", real, inputs, diff, dtype, 3)
    assert got_dt == want_dt
    tol = dict(rtol=2e-4, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-9, atol=1e-11)
    if dtype == np.float64 and name in F32_CONSTANT_IN_TORCH_GRAD:
        tol = dict(rtol=1e-7, atol=1e-9)
    assert len(got) == len(want)
    for i, (a, b) in enumerate(zip(got, want, strict=True)):
        assert a.shape == b.shape, (name, i)
        np.testing.assert_allclose(a, b, **tol, err_msg=f"{name}: output {i}")


# ---- indices, in-place forms -------------------------------------------------------------------


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_pooling_indices_match_torch(nd):
    x = X5[:, :, 0, 0] if nd == 1 else X5[:, :, 0] if nd == 2 else X5
    for fn in (f"max_pool{nd}d_with_indices", f"adaptive_max_pool{nd}d_with_indices"):
        size = 2 if fn.startswith("max") else 3
        got = getattr(F, fn)(torch.tensor(x), size)
        want = getattr(TF, fn)(T.tensor(x), size)
        np.testing.assert_array_equal(got[1].numpy(), want[1].numpy(), err_msg=fn)
        np.testing.assert_allclose(got[0].numpy(), want[0].numpy(), err_msg=fn)
    if nd > 1:
        pool = getattr(torch.nn, f"AdaptiveMaxPool{nd}d")(3, return_indices=True)
        _, idx = pool(torch.tensor(x))
        want = getattr(TF, f"adaptive_max_pool{nd}d")(T.tensor(x), 3, return_indices=True)[1]
        np.testing.assert_array_equal(idx.numpy(), want.numpy())


@pytest.mark.parametrize("nd", [2, 3])
def test_fractional_indices_match_torch(nd):
    x, s = (X4, SAMPLES2) if nd == 2 else (X5, SAMPLES3)
    out = (3, 2) if nd == 2 else (3, 4, 3)
    for dtype in (np.float32, np.float64):
        got = getattr(F, f"fractional_max_pool{nd}d_with_indices")(
            torch.tensor(x.astype(dtype)), 2, out, _random_samples=torch.tensor(s.astype(dtype))
        )
        want = getattr(TF, f"fractional_max_pool{nd}d")(
            T.tensor(x.astype(dtype)), 2, out, return_indices=True,
            _random_samples=T.tensor(s.astype(dtype)),
        )  # fmt: skip
        np.testing.assert_array_equal(got[1].numpy(), want[1].numpy())
        np.testing.assert_array_equal(got[0].numpy(), want[0].numpy())


INPLACE = {
    "relu_": ((), {}),
    "elu_": ((0.5,), {}),
    "selu_": ((), {}),
    "celu_": ((), {"alpha": 2.0}),
    "leaky_relu_": ((0.2,), {}),
    "hardtanh_": ((-0.5, 0.7), {}),
    "threshold_": ((0.1, -3.0), {}),
    "rrelu_": ((0.1, 0.3), {}),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_forms_write_into_the_input_as_torch(name):
    args, kwargs = INPLACE[name]
    x = torch.tensor(X3.copy())
    out = getattr(F, name)(x, *args, **kwargs)
    want = getattr(TF, name)(T.tensor(X3.copy()), *args, **kwargs)
    assert out is x
    np.testing.assert_allclose(x.numpy(), want.numpy(), rtol=1e-12)


def test_inplace_form_records_its_gradient():
    leaf = torch.tensor(X3.copy(), requires_grad=True)
    y = leaf * 2.0
    F.elu_(y, 0.5)
    y.sum().backward()
    tleaf = T.tensor(X3.copy(), requires_grad=True)
    ty = tleaf * 2.0
    TF.elu_(ty, 0.5)
    ty.sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), tleaf.grad.numpy(), rtol=1e-12)


def test_inplace_keyword_of_activations():
    x = torch.tensor(X3.copy())
    assert F.celu(x, 0.5, inplace=True) is x
    np.testing.assert_allclose(x.numpy(), TF.celu(T.tensor(X3), 0.5).numpy(), rtol=1e-12)
    x = torch.tensor(X3.copy())
    torch.nn.Threshold(0.0, 9.0, inplace=True)(x)
    np.testing.assert_allclose(x.numpy(), TF.threshold(T.tensor(X3), 0.0, 9.0).numpy())


# ---- random layers: what torch guarantees --------------------------------------------------------


def test_rrelu_training_slopes_lie_in_the_range_and_follow_the_seed():
    x = torch.tensor(-np.abs(X3) - 0.1)
    torch.manual_seed(3)
    a = F.rrelu(x, 0.1, 0.3, training=True)
    slope = (a / x).numpy()
    assert slope.min() >= 0.1 and slope.max() <= 0.3 and slope.std() > 0.01
    torch.manual_seed(3)
    np.testing.assert_array_equal(F.rrelu(x, 0.1, 0.3, training=True).numpy(), a.numpy())
    pos = torch.tensor(np.abs(X3))
    np.testing.assert_array_equal(torch.nn.RReLU()(pos).numpy(), pos.numpy())


def test_gumbel_softmax_soft_and_hard():
    logits = torch.tensor(X3, requires_grad=True)
    soft = F.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(soft.sum(-1).detach().numpy(), 1.0, rtol=1e-12)
    hard = F.gumbel_softmax(logits, tau=0.5, hard=True, dim=1)
    h = hard.detach().numpy()
    assert set(np.unique(h)) <= {0.0, 1.0}
    np.testing.assert_array_equal(h.sum(1), 1.0)
    hard.sum().backward()  # the straight-through gradient reaches the logits
    assert logits.grad is not None and logits.grad.shape == logits.shape


@pytest.mark.parametrize("name,shape,spatial", [
    ("dropout1d", (4, 50, 6), 1), ("dropout3d", (4, 50, 2, 3, 2), 3),
    ("feature_alpha_dropout", (4, 50, 6, 2), 2),
])  # fmt: skip
def test_channel_dropouts_drop_whole_channels(name, shape, spatial):
    x = torch.ones(*shape)
    y = getattr(F, name)(x, 0.4, training=True).numpy()
    per_channel = y.reshape(shape[0], shape[1], -1)
    assert (per_channel == per_channel[..., :1]).all()  # one value per channel
    assert 0.2 < (per_channel[..., 0] != per_channel.max()).mean() < 0.6
    np.testing.assert_array_equal(getattr(F, name)(x, 0.4, training=False).numpy(), x.numpy())


def test_alpha_dropout_keeps_zero_mean_unit_variance():
    x = torch.tensor(R.standard_normal((400, 250)))
    y = torch.nn.AlphaDropout(0.3).train()(x).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1.0) < 0.02
    assert F.alpha_dropout(x, 0.3) is x  # training defaults to False, as torch's


def test_fractional_max_pool_draws_windows_from_the_shared_stream():
    x = torch.tensor(X4)
    torch.manual_seed(5)
    a = torch.nn.FractionalMaxPool2d(2, output_size=3)(x)
    torch.manual_seed(5)
    b = torch.nn.FractionalMaxPool2d(2, output_size=3)(x)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert tuple(a.shape) == (2, 6, 3, 3)


# ---- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("call,exc,words", [
    (lambda: F.glu(torch.ones(3, 5)), RuntimeError, "halving dimension must be even"),
    (lambda: F.softshrink(torch.ones(3), -1.0), RuntimeError, "lambda"),
    (lambda: F.pixel_shuffle(torch.ones(1, 3, 2, 2), 2), RuntimeError, "upscale_factor"),
    (lambda: F.pad(torch.ones(1, 2, 3), (3, 0), mode="reflect"), RuntimeError, "less than"),
    (lambda: F.pad(torch.ones(3), (1, 1), mode="replicate"), NotImplementedError, "2-D or 3-D"),
    (lambda: F.pad(torch.ones(1, 2, 3), (1, 1), mode="wrap"), NotImplementedError, "'wrap'"),
    (lambda: F.fold(torch.ones(1, 12, 5), (5, 6), 2), RuntimeError, "blocks"),
    (lambda: F.local_response_norm(torch.ones(2, 3), 2), ValueError, "3D or higher"),
    (lambda: F.rms_norm(torch.ones(2, 3), [4]), RuntimeError, "normalized_shape"),
    (lambda: F.pdist(torch.ones(2, 3, 4)), RuntimeError, "2D"),
    (lambda: F.gaussian_nll_loss(torch.ones(4, 3), torch.ones(4, 3), torch.ones(2)),
     ValueError, "incorrectly sized"),
    (lambda: F.gaussian_nll_loss(torch.ones(3), torch.ones(3), -torch.ones(3)),
     ValueError, "negative"),
    (lambda: torch.nn.TripletMarginLoss(margin=0.0), ValueError, "margin"),
    (lambda: torch.nn.KLDivLoss(reduction="avg"), ValueError, "reduction"),
    (lambda: F.conv_transpose3d(torch.ones(1, 2, 2, 2, 2), torch.ones(3, 1, 1, 1, 1)),
     RuntimeError, "C_in"),
    (lambda: F.fractional_max_pool2d(torch.ones(1, 1, 4, 4), 2), ValueError, "output_size"),
    (lambda: torch.nn.Softmax2d()(torch.ones(2, 3)), ValueError, "3D or 4D"),
    (lambda: F.dropout1d(torch.ones(2, 3, 4, 5)), RuntimeError, "3-D"),
    (lambda: F.avg_pool3d(torch.ones(1, 1, 4, 4, 4), 2, ceil_mode=True), NotImplementedError,
     "ceil_mode"),
])  # fmt: skip
def test_bad_input_gets_a_clear_error(call, exc, words):
    with pytest.raises(exc, match=words):
        call()
