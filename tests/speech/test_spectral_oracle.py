"""Complex tensors and spectral ops against real PyTorch and real TensorFlow (values and
gradients), float64 finite differences, and eager vs graph bitwise parity."""

from __future__ import annotations

import duograd.frontends.eager as dt
import duograd.frontends.graph as dg
import numpy as np
import pytest

R = np.random.RandomState(5)
X = R.normal(size=(2, 1600)).astype(np.float32)


def _stft_program(m, x, **kw):
    xt = m.tensor(x, requires_grad=True)
    w = kw.pop("window_fn", None)
    win = None if w is None else getattr(m, w)(kw.get("win_length") or kw["n_fft"], dtype=xt.dtype)
    s = m.stft(xt, window=win, return_complex=True, **kw)
    # sin(angle): the angle itself jumps by 2 pi on the negative real axis (real DC bins)
    loss = (s.abs() ** 2).sum() + s.abs().sum() + m.view_as_real(s).sum() + s.angle().sin().sum()
    loss.backward()
    return s.detach().numpy(), float(loss), xt.grad.numpy()


STFT_CASES = [
    {"n_fft": 512, "hop_length": 160, "win_length": 400, "window_fn": "hann_window"},
    {"n_fft": 256, "hop_length": 64, "center": False, "window_fn": "hamming_window"},
    {"n_fft": 128, "pad_mode": "constant", "normalized": True, "window_fn": "blackman_window"},
    {"n_fft": 64, "hop_length": 32, "onesided": False, "pad_mode": "replicate"},
    {"n_fft": 100, "hop_length": 50, "pad_mode": "circular", "window_fn": "hann_window"},
]


@pytest.mark.parametrize("kw", STFT_CASES, ids=lambda k: str(k["n_fft"]))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stft_matches_torch(kw, dtype):
    torch = pytest.importorskip("torch")
    want = _stft_program(torch, X.astype(dtype), **dict(kw))
    got = _stft_program(dt, X.astype(dtype), **dict(kw))
    assert got[0].dtype == want[0].dtype and got[0].shape == want[0].shape
    tol = 1e-4 if dtype == np.float32 else 1e-9
    np.testing.assert_allclose(got[0], want[0], rtol=tol, atol=tol * np.abs(want[0]).max())
    np.testing.assert_allclose(got[1], want[1], rtol=tol)
    np.testing.assert_allclose(got[2], want[2], rtol=tol, atol=tol * np.abs(want[2]).max())


def test_istft_round_trip_matches_torch():
    torch = pytest.importorskip("torch")
    out = []
    for m in (torch, dt):
        s = m.stft(m.tensor(X), 256, 64, window=m.hann_window(256), return_complex=True)
        st = m.tensor(s.detach().numpy(), requires_grad=True)
        y = m.istft(st, 256, 64, window=m.hann_window(256), length=1600)
        (y * y).sum().backward()
        out.append((y.detach().numpy(), st.grad.numpy()))
    np.testing.assert_allclose(out[1][0], out[0][0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out[1][0], X, atol=1e-4)
    np.testing.assert_allclose(out[1][1], out[0][1], rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("name", ["fft", "ifft"])
@pytest.mark.parametrize("n,norm", [(None, None), (80, "ortho"), (40, "forward")])
def test_complex_ffts_match_torch(name, n, norm):
    torch = pytest.importorskip("torch")
    z = (X[:, :64] + 0.5j * X[:, 64:128]).astype(np.complex64)
    res = []
    for m in (torch, dt):
        zt = m.tensor(z, requires_grad=True)
        y = getattr(m.fft, name)(zt, n=n, norm=norm)
        (y.abs().sum() + m.view_as_real(y * y).sum()).backward()
        res.append((y.detach().numpy(), zt.grad.numpy()))
    np.testing.assert_allclose(res[1][0], res[0][0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(res[1][1], res[0][1], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("n_in,n_out", [(None, None), (70, 70), (50, 64), (64, 63)])
def test_rfft_irfft_match_torch(n_in, n_out):
    torch = pytest.importorskip("torch")
    res = []
    for m in (torch, dt):
        xt = m.tensor(X[:, :64].astype(np.float64), requires_grad=True)
        s = m.fft.rfft(xt, n=n_in)
        y = m.fft.irfft(s * s.conj() + s, n=n_out)
        (y * y).sum().backward()
        res.append((y.detach().numpy(), xt.grad.numpy()))
    np.testing.assert_allclose(res[1][0], res[0][0], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(res[1][1], res[0][1], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(dt.fft.rfftfreq(10, 0.5).numpy(), torch.fft.rfftfreq(10, 0.5))
    np.testing.assert_allclose(dt.fft.fftfreq(9).numpy(), torch.fft.fftfreq(9))


def test_complex_parts_and_arithmetic_match_torch():
    torch = pytest.importorskip("torch")
    a, b = X[0, :8].astype(np.float64), X[1, :8].astype(np.float64)
    res = []
    for m in (torch, dt):
        re, im = m.tensor(a, requires_grad=True), m.tensor(b, requires_grad=True)
        z = m.complex(re, im)
        p = m.polar(re.abs() + 0.1, im)
        w = (z * p - z / (p + 2) + 3 * z.conj() - 1.5) / z
        loss = (
            w.abs()
            + w.angle()
            + w.real * 2
            + w.imag
            + m.view_as_complex(m.view_as_real(w) * 2).abs()
        ).sum()
        loss.backward()
        res.append((w.detach().numpy(), float(loss), re.grad.numpy(), im.grad.numpy()))
        assert z.dtype == m.complex128
    for g, w in zip(res[1], res[0], strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)


def test_complex_gradient_finite_differences_float64():
    x0 = R.normal(size=(2, 40))

    def f(v):
        s = dt.stft(
            dt.tensor(v), 16, 4, window=dt.hann_window(16, dtype=dt.float64), return_complex=True
        )
        return float((s.abs() + 0.5 * s.angle().sin() * s.abs()).sum())

    xt = dt.tensor(x0, requires_grad=True)
    s = dt.stft(xt, 16, 4, window=dt.hann_window(16, dtype=dt.float64), return_complex=True)
    (s.abs() + 0.5 * s.angle().sin() * s.abs()).sum().backward()
    num = np.zeros_like(x0)
    for i in np.ndindex(x0.shape):
        e = np.zeros_like(x0)
        e[i] = 1e-6
        num[i] = (f(x0 + e) - f(x0 - e)) / 2e-6
    np.testing.assert_allclose(xt.grad.numpy(), num, rtol=1e-5, atol=1e-6)


def _tf_program(tf, x):
    xin = tf.compat.v1.placeholder(tf.float32, [2, 1600])
    s = tf.signal.stft(xin, 400, 160, 512)
    mag = tf.abs(s)
    w = tf.signal.linear_to_mel_weight_matrix(40, 257, 16000, 20.0, 8000.0)
    logmel = tf.math.log(tf.matmul(tf.reshape(mag, [-1, 257]), w) + 1e-6)
    mf = tf.signal.mfccs_from_log_mel_spectrograms(tf.reshape(logmel, [2, -1, 40]))
    inv = tf.signal.inverse_stft(s, 400, 160, 512)
    fr = tf.signal.frame(xin, 300, 100, pad_end=True)
    ola = tf.signal.overlap_and_add(fr, 100)
    c = tf.complex(xin, 2 * xin)
    r = tf.math.real(c * c)
    a = tf.math.angle(c)
    f = tf.signal.irfft(
        tf.signal.rfft(xin[:, :64], [70]) * tf.complex(xin[:, :36], xin[:, 1:37]), [70]
    )
    win = tf.signal.hamming_window(10) + tf.signal.hann_window(10, periodic=False)
    loss = (
        tf.reduce_sum(mf)
        + tf.reduce_sum(inv)
        + tf.reduce_sum(ola * ola)
        + tf.reduce_sum(r)
        + tf.reduce_sum(a)
        + tf.reduce_sum(f * f)
        + tf.reduce_sum(tf.abs(tf.signal.fft(c)))
        + tf.reduce_sum(tf.math.imag(tf.signal.ifft(c)))
    )
    g = tf.gradients(loss, xin)[0]
    with tf.compat.v1.Session() as sess:
        return sess.run([s, mf, inv, ola, r, a, f, win, g], {xin: x})


def test_tf_signal_matches_tensorflow():
    real = pytest.importorskip("tensorflow")
    real.compat.v1.disable_eager_execution()
    with real.Graph().as_default():
        want = _tf_program(real, X)
    with dg.Graph().as_default():
        got = _tf_program(dg, X)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5 * max(np.abs(w).max(), 1))


def test_stft_eager_and_graph_are_bitwise_equal():
    xt = dt.tensor(X, requires_grad=True)
    s = dt.stft(xt, 512, 160, window=dt.hann_window(512), center=False, return_complex=True)
    mag = s.abs()
    (mag + 1e-6).log().sum().backward()
    with dg.Graph().as_default():
        xin = dg.placeholder(dg.float32, [2, 1600])
        sg = dg.signal.stft(xin, 512, 160, 512)
        lg = dg.reduce_sum(dg.math.log(dg.abs(sg) + 1e-6))
        gg = dg.gradients(lg, xin)[0]
        with dg.Session() as sess:
            s_g, g_g = sess.run([sg, gg], {xin: X})
    assert np.array_equal(s_g, s.detach().numpy().transpose(0, 2, 1))
    assert np.array_equal(g_g, xt.grad.numpy())


def test_mel_spectrogram_helper():
    torch = pytest.importorskip("torch")
    x = X.astype(np.float64)
    mel = dt.audio.MelSpectrogram(16000, n_fft=512, hop_length=160, n_mels=40)
    xt = dt.tensor(x, requires_grad=True)
    m = mel(xt)
    (m + 1e-6).log().sum().backward()
    assert tuple(m.shape) == (2, 40, 11)
    spec = (
        torch.stft(
            torch.tensor(x),
            512,
            160,
            window=torch.hann_window(512, dtype=torch.float64),
            return_complex=True,
        ).abs()
        ** 2
    )
    want = (spec.transpose(-1, -2) @ torch.tensor(mel.fb.astype(np.float64))).transpose(-1, -2)
    np.testing.assert_allclose(m.detach().numpy(), want.numpy(), rtol=1e-6)
    fb = mel.fb
    assert fb.shape == (257, 40) and (fb >= 0).all() and (fb.max(0) > 0).all()


def test_errors_name_the_op():
    with pytest.raises(ValueError, match="reflect padding"):
        dt.stft(dt.randn(100), 512, return_complex=True)
    with pytest.raises(RuntimeError, match="return_complex"):
        dt.stft(dt.randn(1000), 64)
    with pytest.raises(Exception, match="view_as_complex"):
        dt.view_as_complex(dt.randn(3, 3))
