"""Inputs without a batch dimension, as torch takes them: convolutions, pooling, transposed
convolutions, attention and Transformer layers on one sample; values and input gradients
against torch with the same weights."""

import duograd.frontends.eager as dg
import numpy as np
import pytest

CASES = {
    "conv1d": ("Conv1d", (4, 2, 3), {}, (4, 6)),
    "conv2d": ("Conv2d", (3, 2, 3), {}, (3, 6, 6)),
    "conv_transpose2d": ("ConvTranspose2d", (3, 2, 3), {"stride": 2}, (3, 4, 4)),
    "max_pool2d": ("MaxPool2d", (2,), {}, (3, 6, 6)),
    "max_pool2d_indices": ("MaxPool2d", (2,), {"return_indices": True}, (3, 6, 6)),
    "avg_pool1d": ("AvgPool1d", (2,), {}, (3, 6)),
    "encoder_layer": ("TransformerEncoderLayer", (8, 2, 16), {"dropout": 0.0}, (5, 8)),
    "encoder_layer_batch_first": (
        "TransformerEncoderLayer", (8, 2, 16), {"dropout": 0.0, "batch_first": True}, (5, 8),
    ),
}  # fmt: skip


def _run(t, cls, args, kwargs, x, state=None):
    t.manual_seed(0)
    layer = getattr(t.nn, cls)(*args, **kwargs)
    if state is not None:
        layer.load_state_dict({k: t.tensor(v) for k, v in state.items()})
    xi = t.tensor(x, requires_grad=True)
    out = layer(xi)
    out = out[0] if isinstance(out, tuple) else out
    (out * out).sum().backward()
    return layer, out.detach().numpy(), xi.grad.numpy()


@pytest.mark.parametrize("case", sorted(CASES))
def test_unbatched_layers_match_torch(case):
    torch = pytest.importorskip("torch")
    cls, args, kwargs, shape = CASES[case]
    x = np.random.RandomState(1).rand(*shape).astype(np.float32)
    layer, *theirs = _run(torch, cls, args, kwargs, x)
    state = {k: v.detach().numpy() for k, v in layer.state_dict().items()}
    _, *ours = _run(dg, cls, args, kwargs, x, state)
    for a, b in zip(ours, theirs, strict=True):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_unbatched_attention_with_a_key_padding_mask():
    torch = pytest.importorskip("torch")
    q = np.random.RandomState(2).rand(4, 8).astype(np.float32)
    got = []
    reference = torch.nn.MultiheadAttention(8, 2).state_dict()
    for t in (torch, dg):
        mha = t.nn.MultiheadAttention(8, 2)
        mha.load_state_dict({k: t.tensor(v.detach().numpy()) for k, v in reference.items()})
        mask = t.tensor([False, False, True, False])
        out, weights = mha(t.tensor(q), t.tensor(q), t.tensor(q), key_padding_mask=mask)
        got.append((out.detach().numpy(), weights.detach().numpy()))
    for a, b in zip(got[0], got[1], strict=True):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
