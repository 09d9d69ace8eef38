"""Speech: CTC loss forward + backward (T=200, N=32, C=30, S=40), the STFT of 32 x 1 s at 16 kHz
(n_fft 512, hop 160) and a whole acoustic-model training step, in both styles.

The step is a batch of 32 one-second 16 kHz waveforms -> log |STFT| features -> conv1d (k 5,
stride 2) -> bidirectional GRU -> linear -> CTC loss -> SGD. The eager program is PyTorch's idiom
(torch.stft, nn.Conv1d, nn.GRU(bidirectional=True), nn.Linear, F.ctc_loss); the graph program is
TF1's (tf.signal.stft, tf.nn.conv1d, tf.nn.bidirectional_dynamic_rnn, tf.nn.ctc_loss_v2).
"""

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


# the training step: |STFT| features -> conv1d -> bidirectional GRU -> linear -> CTC, SGD
BINS = N_FFT // 2 + 1
CONV, K, HID, S_STEP = 128, 5, 128, 20
STEP_LR = 1e-3


def _frames() -> int:
    return 1 + (RATE - N_FFT) // HOP


def _conv_frames() -> int:
    return (_frames() + 2 * (K // 2) - K) // 2 + 1


def _step_init() -> tuple[dict, np.ndarray]:
    """Weights in PyTorch's layouts (conv (out, in, k), GRU, linear (out, in)) and labels."""
    rng = np.random.default_rng(3)

    def u(shape, fan_in):
        b = 1.0 / np.sqrt(fan_in)
        return rng.uniform(-b, b, shape).astype(np.float32)

    p = {"conv.weight": u((CONV, BINS, K), BINS * K), "conv.bias": u((CONV,), BINS * K)}
    for sfx in ("", "_reverse"):
        p[f"weight_ih_l0{sfx}"] = u((3 * HID, CONV), HID)
        p[f"weight_hh_l0{sfx}"] = u((3 * HID, HID), HID)
        p[f"bias_ih_l0{sfx}"] = u((3 * HID,), HID)
        p[f"bias_hh_l0{sfx}"] = u((3 * HID,), HID)
    p["fc.weight"], p["fc.bias"] = u((C, 2 * HID), 2 * HID), u((C,), 2 * HID)
    labels = rng.integers(1, C, (32, S_STEP)).astype(np.int32)
    return p, labels


_GRU = [f"{w}_l0{sfx}" for sfx in ("", "_reverse")
        for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]  # fmt: skip


def _gru_cell(tf):
    """Our GRU cell in PyTorch's convention, or real TF1's own GRUCell (TF's convention: the
    reset gate applied before the candidate matmul; the same cost, a slightly different
    function, so only our two styles are compared for parity)."""
    if tf.__name__.startswith("duograd"):
        return tf.nn.rnn_cell.GRUCell(HID, layout="torch")
    from tensorflow.python.keras.layers.legacy_rnn import rnn_cell_impl

    return rnn_cell_impl.GRUCell(HID)


def _train_graph(tf):
    params, labels = _step_init()
    x = _wave()
    ours = tf.__name__.startswith("duograd")
    graph, sess = session(tf)
    with graph.as_default():
        px = tf.placeholder(tf.float32, [32, RATE])
        spec = tf.abs(tf.signal.stft(px, N_FFT, HOP, N_FFT))  # (32, frames, bins)
        feats = tf.log(spec * spec + 1e-6)
        kernel = tf.Variable(params["conv.weight"].transpose(2, 1, 0).copy())  # (k, in, out)
        bias = tf.Variable(params["conv.bias"])
        h = tf.pad(feats, [[0, 0], [K // 2, K // 2], [0, 0]])
        h = tf.nn.relu(tf.nn.conv1d(h, kernel, 2, "VALID") + bias)
        (fw, bw), _ = tf.nn.bidirectional_dynamic_rnn(
            _gru_cell(tf), _gru_cell(tf), h, dtype=tf.float32, scope="gru"
        )
        gru_vars = [v for v in tf.trainable_variables() if v.name.startswith("gru")]
        w, b = tf.Variable(params["fc.weight"]), tf.Variable(params["fc.bias"])
        h = tf.reshape(tf.concat([fw, bw], 2), [-1, 2 * HID])
        logits = tf.reshape(tf.matmul(h, w, transpose_b=True) + b, [32, _conv_frames(), C])
        lengths = np.full(32, S_STEP, np.int32)
        frames = np.full(32, _conv_frames(), np.int32)
        loss = tf.reduce_sum(tf.nn.ctc_loss_v2(labels, logits, lengths, frames,
                                               logits_time_major=False, blank_index=0))  # fmt: skip
        train = tf.train.GradientDescentOptimizer(STEP_LR).minimize(loss)
        sess.run(tf.global_variables_initializer())
        if ours:
            for v, name in zip(gru_vars, _GRU, strict=True):
                v.load(params[name], sess)
        variables = [kernel, bias, *gru_vars, w, b]

    def step():
        sess.run(train, {px: x})

    def read():
        step()
        values = sess.run(variables)
        return [values[0].transpose(2, 1, 0), *values[1:]]

    return Stepper(step, read)


def _train_eager(torch):
    params, labels = _step_init()
    nn = torch.nn
    conv = nn.Conv1d(BINS, CONV, K, stride=2, padding=K // 2)
    gru = nn.GRU(CONV, HID, batch_first=True, bidirectional=True)
    fc = nn.Linear(2 * HID, C)
    with torch.no_grad():
        for name, p in [("conv.weight", conv.weight), ("conv.bias", conv.bias),
                        ("fc.weight", fc.weight), ("fc.bias", fc.bias)]:  # fmt: skip
            p.copy_(torch.from_numpy(params[name]))
        for name in _GRU:
            getattr(gru, name).copy_(torch.from_numpy(params[name]))
    modules = [conv, gru, fc]
    opt = torch.optim.SGD([p for m in modules for p in m.parameters()], lr=STEP_LR)
    x = torch.from_numpy(_wave())
    win = torch.hann_window(N_FFT)
    tl = torch.from_numpy(labels.astype(np.int64))
    lengths = torch.full((32,), S_STEP, dtype=torch.int64)
    frames = torch.full((32,), _conv_frames(), dtype=torch.int64)

    def step():
        opt.zero_grad()
        s = torch.stft(x, N_FFT, HOP, window=win, center=False, return_complex=True).abs()
        feats = (s * s + 1e-6).log()  # (32, bins, frames): already Conv1d's layout
        h = torch.relu(conv(feats))
        h, _ = gru(h.transpose(1, 2))
        logits = fc(h.reshape(-1, 2 * HID)).reshape(32, _conv_frames(), C)
        lp = logits.transpose(0, 1).log_softmax(2)
        loss = torch.nn.functional.ctc_loss(lp, tl, frames, lengths, reduction="sum")
        loss.backward()
        opt.step()

    def read():
        step()
        return [p.detach().numpy().copy() for m in modules for p in m.parameters()]

    return Stepper(step, read)


def cases(quick: bool) -> list[Case]:
    """CTC forward+backward, STFT magnitude, and the whole acoustic-model SGD step."""
    return [
        Case(f"CTC fwd+bwd T={T} N={N} C={C} S={S}", both(_ctc_graph, _ctc_eager)),
        Case(f"|STFT| 32x1s@16k n_fft={N_FFT} hop={HOP}", both(_stft_graph, _stft_eager)),
        Case(
            f"STFT-conv1d-biGRU{HID}-linear-CTC SGD step b=32 1s@16k",
            both(_train_graph, _train_eager),
            note="real TF1 runs its own GRUCell (TF's reset-gate placement), the same cost",
        ),
    ]


WORKLOAD = Workload(
    "speech",
    "CTC loss, STFT features and an STFT -> conv1d -> biGRU -> linear -> CTC training step",
    cases,
)
