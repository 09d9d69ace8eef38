"""Speech: CTC loss forward + backward (T=200, N=32, C=30, S=40), the STFT of 32 x 1 s at 16 kHz
(n_fft 512, hop 160) and a log-spectrogram -> linear -> CTC SGD step, in both styles."""

from __future__ import annotations

import numpy as np

from ..programs import Stepper, both, session
from ..workload import Case, Workload

T, N, C, S = 200, 32, 30, 40
N_FFT, HOP, RATE = 512, 160, 16000
LR = 0.01


def _ctc_data():
    rng = np.random.default_rng(22)
    x = rng.standard_normal((T, N, C)).astype(np.float32)
    labels = rng.integers(1, C, (N, S)).astype(np.int32)
    lengths = np.full(N, S, np.int32)
    frames = np.full(N, T, np.int32)
    return x, labels, lengths, frames


def _ctc_graph(tf):
    x, labels, lengths, frames = _ctc_data()
    graph, sess = session(tf)
    with graph.as_default():
        px = tf.placeholder(tf.float32, [T, N, C])
        loss = tf.reduce_sum(tf.nn.ctc_loss_v2(labels, px, lengths, frames, blank_index=0))
        grad = tf.gradients(loss, px)[0]

    def step():
        return sess.run(grad, {px: x})

    return Stepper(step, lambda: [step()])


def _ctc_eager(torch):
    x, labels, lengths, frames = _ctc_data()
    tl, tt, tf_ = (torch.from_numpy(a.astype(np.int64)) for a in (labels, lengths, frames))

    def step():
        xt = torch.from_numpy(x).requires_grad_()
        loss = torch.nn.functional.ctc_loss(xt.log_softmax(2), tl, tf_, tt, reduction="sum")
        loss.backward()
        return xt.grad

    return Stepper(step, lambda: [step().numpy()])


def _wave():
    return np.random.default_rng(7).standard_normal((32, RATE)).astype(np.float32)


def _stft_graph(tf):
    x = _wave()
    graph, sess = session(tf)
    with graph.as_default():
        px = tf.placeholder(tf.float32, [32, RATE])
        mag = tf.abs(tf.signal.stft(px, N_FFT, HOP, N_FFT))

    def step():
        return sess.run(mag, {px: x})

    return Stepper(step, lambda: [step()])


def _stft_eager(torch):
    x = torch.from_numpy(_wave())
    w = torch.hann_window(N_FFT)

    def step():
        s = torch.stft(x, N_FFT, HOP, window=w, center=False, return_complex=True)
        return s.abs()

    # (batch, bins, frames) -> TF's (batch, frames, bins) for the parity check
    return Stepper(step, lambda: [step().numpy().transpose(0, 2, 1)])


def _step_init():
    rng = np.random.default_rng(3)
    w = (rng.standard_normal((N_FFT // 2 + 1, C)) * 0.01).astype(np.float32)
    labels = rng.integers(1, C, (32, 20)).astype(np.int32)
    return w, labels


def _frames():
    return 1 + (RATE - N_FFT) // HOP


def _train_graph(tf):
    w0, labels = _step_init()
    x = _wave()
    graph, sess = session(tf)
    with graph.as_default():
        px = tf.placeholder(tf.float32, [32, RATE])
        w = tf.Variable(w0)
        spec = tf.abs(tf.signal.stft(px, N_FFT, HOP, N_FFT, window_fn=None))
        feats = tf.log(spec * spec + 1e-6)  # (32, frames, bins)
        flat = tf.matmul(tf.reshape(feats, [-1, N_FFT // 2 + 1]), w)
        logits = tf.transpose(tf.reshape(flat, [32, _frames(), C]), [1, 0, 2])
        lengths = np.full(32, 20, np.int32)
        frames = np.full(32, _frames(), np.int32)
        loss = tf.reduce_sum(tf.nn.ctc_loss_v2(labels, logits, lengths, frames, blank_index=0))
        train = tf.train.GradientDescentOptimizer(LR).minimize(loss)
        sess.run(tf.global_variables_initializer())

    def step():
        sess.run(train, {px: x})

    def read():
        step()
        return [sess.run(w)]

    return Stepper(step, read)


def _train_eager(torch):
    w0, labels = _step_init()
    x = torch.from_numpy(_wave())
    w = torch.nn.Parameter(torch.from_numpy(w0.copy()))
    opt = torch.optim.SGD([w], lr=LR)
    win = torch.ones(N_FFT)
    tl = torch.from_numpy(labels.astype(np.int64))
    lengths = torch.full((32,), 20, dtype=torch.int64)
    frames = torch.full((32,), _frames(), dtype=torch.int64)

    def step():
        opt.zero_grad()
        s = torch.stft(x, N_FFT, HOP, window=win, center=False, return_complex=True).abs()
        feats = (s * s + 1e-6).log().transpose(1, 2)  # (32, frames, bins)
        logits = (feats.reshape(-1, N_FFT // 2 + 1) @ w).reshape(32, _frames(), C)
        lp = logits.transpose(0, 1).log_softmax(2)
        loss = torch.nn.functional.ctc_loss(lp, tl, frames, lengths, reduction="sum")
        loss.backward()
        opt.step()

    def read():
        step()
        return [w.detach().numpy().copy()]

    return Stepper(step, read)


def cases(quick: bool) -> list[Case]:
    """CTC forward+backward, STFT magnitude, and a features -> linear -> CTC SGD step."""
    return [
        Case(f"CTC fwd+bwd T={T} N={N} C={C} S={S}", both(_ctc_graph, _ctc_eager)),
        Case(f"|STFT| 32x1s@16k n_fft={N_FFT} hop={HOP}", both(_stft_graph, _stft_eager)),
        Case(
            "log|STFT| -> linear -> CTC SGD step b=32",
            both(_train_graph, _train_eager),
            note="a reduced speech step: no conv1d / bidirectional GRU yet",
        ),
    ]


WORKLOAD = Workload(
    "speech", "CTC loss, STFT features and a features -> linear -> CTC training step", cases
)
