"""nn.Transformer and its parts: torch's state_dict loads, outputs and gradients match real torch,
and the graph style's `attention.transformer` computes the eager module's bits."""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest

RNG = np.random.default_rng(3)
D, NH, FF = 16, 4, 32
S, T, N = 5, 4, 3
PAD = np.array([[False] * S, [False] * 3 + [True] * 2, [False] * 4 + [True]])


def _model(lib, **kw):
    opts = dict(d_model=D, nhead=NH, num_encoder_layers=2, num_decoder_layers=2,
                dim_feedforward=FF, dropout=0.0)  # fmt: skip
    opts.update(kw)
    return lib.nn.Transformer(**opts)


def _inputs(batch_first):
    src = RNG.standard_normal((N, S, D) if batch_first else (S, N, D)).astype(np.float32)
    tgt = RNG.standard_normal((N, T, D) if batch_first else (T, N, D)).astype(np.float32)
    return src, tgt


def _eager_run(model, src, tgt, lib):
    s = lib.tensor(src, requires_grad=True)
    t = lib.tensor(tgt, requires_grad=True)
    mask = lib.nn.Transformer.generate_square_subsequent_mask(T)
    pad = lib.tensor(PAD)
    out = model(s, t, tgt_mask=mask, src_key_padding_mask=pad, memory_key_padding_mask=pad)
    w = lib.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)).astype(np.float32))
    (out * w).sum().backward()
    grads = {k: p.grad.numpy() for k, p in model.named_parameters()}
    return out.detach().numpy(), s.grad.numpy(), t.grad.numpy(), grads


def test_state_dict_names_and_shapes_are_torchs():
    real = pytest.importorskip("torch")
    ref = _model(real, num_encoder_layers=1, num_decoder_layers=1, bias=False)
    mine = _model(torch, num_encoder_layers=1, num_decoder_layers=1, bias=False)
    want = {k: tuple(v.shape) for k, v in ref.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in mine.state_dict().items()}
    assert list(got) == list(want) and got == want


@pytest.mark.parametrize(
    "kw", [{}, {"batch_first": True, "norm_first": True, "activation": "gelu"}]
)
def test_matches_real_torch_values_and_gradients(kw):
    real = pytest.importorskip("torch")
    real.manual_seed(0)
    ref, mine = _model(real, **kw), _model(torch, **kw)
    mine.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    src, tgt = _inputs(kw.get("batch_first", False))
    got, want = _eager_run(mine, src, tgt, torch), _eager_run(ref, src, tgt, real)
    for a, b in zip(got[:3], want[:3], strict=True):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-5)
    assert list(got[3]) == list(want[3])
    for k in want[3]:
        np.testing.assert_allclose(got[3][k], want[3][k], rtol=1e-3, atol=5e-5, err_msg=k)


def test_decoder_layer_and_encoder_alone_match_real_torch():
    real = pytest.importorskip("torch")
    real.manual_seed(1)
    for make in (
        lambda lib: lib.nn.TransformerDecoderLayer(D, NH, FF, dropout=0.0, batch_first=True),
        lambda lib: lib.nn.TransformerEncoder(
            lib.nn.TransformerEncoderLayer(D, NH, FF, dropout=0.0, batch_first=True), 2,
            lib.nn.LayerNorm(D), enable_nested_tensor=False),
    ):  # fmt: skip
        ref, mine = make(real), make(torch)
        mine.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ref.state_dict().items()})
        x = RNG.standard_normal((N, T, D)).astype(np.float32)
        mem = RNG.standard_normal((N, S, D)).astype(np.float32)
        mask = np.triu(np.ones((T, T), bool), 1)
        if isinstance(ref, real.nn.TransformerDecoderLayer):
            want = ref(real.tensor(x), real.tensor(mem), tgt_mask=real.tensor(mask))
            got = mine(torch.tensor(x), torch.tensor(mem), tgt_mask=torch.tensor(mask))
        else:
            want = ref(real.tensor(x), mask=real.tensor(mask))
            got = mine(torch.tensor(x), mask=torch.tensor(mask))
        np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-4,
                                   atol=2e-5)  # fmt: skip


def test_a_subclass_of_nn_transformer_runs():
    class Seq2Seq(torch.nn.Transformer):
        def __init__(self):
            super().__init__(d_model=D, nhead=NH, num_encoder_layers=1, num_decoder_layers=1,
                             dim_feedforward=FF, dropout=0.0, batch_first=True)  # fmt: skip
            self.embed = torch.nn.Embedding(10, D)
            self.head = torch.nn.Linear(D, 10)

        def forward(self, src, tgt):
            mask = self.generate_square_subsequent_mask(tgt.shape[1])
            memory = self.encoder(self.embed(src))
            return self.head(self.decoder(self.embed(tgt), memory, tgt_mask=mask))

    model = Seq2Seq()
    out = model(
        torch.tensor(RNG.integers(0, 10, (2, 5))), torch.tensor(RNG.integers(0, 10, (2, 4)))
    )
    assert tuple(out.shape) == (2, 4, 10)
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_bad_shapes_raise_clear_errors():
    model = _model(torch, num_encoder_layers=1, num_decoder_layers=1)
    src, tgt = _inputs(False)
    with pytest.raises(RuntimeError, match="d_model"):
        model(torch.tensor(src[..., :8]), torch.tensor(tgt))
    with pytest.raises(RuntimeError, match="batch number"):
        model(torch.tensor(src), torch.tensor(tgt[:, :2]))
    with pytest.raises(RuntimeError, match="relu/gelu"):
        torch.nn.TransformerEncoderLayer(D, NH, activation="swish")


@pytest.mark.parametrize("kw", [{}, {"norm_first": True, "activation": "gelu"}])
def test_graph_transformer_bitwise_equal_to_eager(kw):
    torch.manual_seed(2)
    model = _model(torch, **kw)
    src, tgt = _inputs(False)
    out_e, ds_e, dt_e, grads_e = _eager_run(model, src, tgt, torch)
    with tf.Graph().as_default():
        s = tf.placeholder(tf.float32, src.shape)
        t = tf.placeholder(tf.float32, tgt.shape)
        out = tf.attention.transformer(
            s, t, D, NH, 2, 2, FF, tgt_mask=tf.attention.causal_mask(T),
            src_key_padding_mask=PAD, memory_key_padding_mask=PAD, **kw,
        )  # fmt: skip
        variables = tf.attention.transformer_variables("transformer")
        assert list(variables) == list(model.state_dict())
        w = np.linspace(-1, 1, out_e.size).reshape(out_e.shape).astype(np.float32)
        names = list(variables)
        grads = tf.gradients(tf.reduce_sum(out * w), [s, t] + [variables[k] for k in names])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for k, v in model.state_dict().items():
                variables[k].load(v.numpy(), sess)
            got = sess.run([out] + grads, {s: src, t: tgt})
    assert np.array_equal(got[0], out_e)
    assert np.array_equal(got[1], ds_e) and np.array_equal(got[2], dt_e)
    for k, g in zip(names, got[3:], strict=True):
        assert np.array_equal(g, grads_e[k]), k


def test_graph_transformer_encoder_bitwise_equal_to_eager():
    """A causal encoder stack with a final norm: tf.attention.transformer_encoder against
    nn.TransformerEncoder, values and gradients."""
    torch.manual_seed(5)
    layer = torch.nn.TransformerEncoderLayer(D, NH, FF, dropout=0.0, batch_first=True)
    model = torch.nn.TransformerEncoder(layer, 2, torch.nn.LayerNorm(D))
    x = RNG.standard_normal((N, S, D)).astype(np.float32)
    xt = torch.tensor(x, requires_grad=True)
    out = model(xt, is_causal=True)
    w = np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)).astype(np.float32)
    (out * torch.tensor(w)).sum().backward()
    want = [out.detach().numpy(), xt.grad.numpy()]
    want += [p.grad.numpy() for p in model.parameters()]
    with tf.Graph().as_default():
        xp = tf.placeholder(tf.float32, [None, S, D])
        y = tf.attention.transformer_encoder(
            xp, 2, D, NH, FF, batch_first=True, norm=True, is_causal=True, name="enc"
        )
        variables = tf.attention.transformer_variables("enc")
        assert list(variables) == list(model.state_dict())
        grads = tf.gradients(tf.reduce_sum(y * w), [xp, *variables.values()])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for k, v in model.state_dict().items():
                variables[k].load(v.numpy(), sess)
            got = sess.run([y, *grads], {xp: x})
    for a, b in zip(got, want, strict=True):
        assert np.array_equal(a, b)
