"""Spoken-symbol recognition, PyTorch style: log-mel features, Conv1d + bidirectional GRU, CTC.

Run: python examples/speech_eager.py [--epochs N]. The utterances are synthesised offline by
_speech_data.py (five vowel-like symbols with random pitch, duration, pauses and noise). Features
are log-mel spectrograms from torch.stft; the acoustic model is a Conv1d (stride 2), a
bidirectional GRU and a linear layer trained with CTC and Adam; greedy decoding gives the label
error rate. speech_graph.py is the same program in the TF1 style: the two end with bit-identical
weights.
"""

import _speech_data as data
import duograd.frontends.eager as torch
import numpy as np

nn = torch.nn
F = torch.nn.functional


class AcousticModel(nn.Module):
    """conv1d(mels -> channels, k 5, stride 2) relu, bidirectional GRU, linear to the classes."""

    def __init__(self, hidden: int, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(data.N_MELS, channels, 5, stride=2, padding=2)
        self.gru = nn.GRU(channels, hidden, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, data.CLASSES)

    def forward(self, feats):
        """(batch, frames, mels) features -> (frames', batch, classes) log-probabilities."""
        h = F.relu(self.conv(feats.transpose(1, 2)))  # (batch, channels, frames')
        h, _ = self.gru(h.transpose(1, 2))
        return self.fc(h).transpose(0, 1).log_softmax(2)


def features(waves: np.ndarray, mel: np.ndarray) -> np.ndarray:
    """(n, frames, mels) log-mel features of (n, samples) waveforms, from torch.stft."""
    window = torch.hann_window(data.N_FFT)
    spec = torch.stft(torch.from_numpy(waves), data.N_FFT, data.HOP, window=window,
                      center=False, return_complex=True).abs()  # fmt: skip
    power = (spec * spec).transpose(1, 2)  # (n, frames, bins)
    n, t, bins = power.shape
    mels = power.reshape(n * t, bins) @ torch.from_numpy(mel)
    return torch.log(mels + 1e-6).reshape(n, t, data.N_MELS).numpy()


def train(
    epochs: int,
    quiet: bool = False,
    n_train: int = 384,
    n_test: int = 96,
    batch: int = 32,
    hidden: int = 48,
    channels: int = 64,
    lr: float = 0.01,
    max_steps: int | None = None,
) -> dict:
    """Train for `epochs` (at most `max_steps` steps): per-epoch losses, LERs, times, weights."""
    waves, labels, lengths = data.utterances(n_train + n_test, seed=0)
    mel = data.mel_filterbank()
    feats, _ = data.normalise(features(waves, mel))
    x_tr, x_te = feats[:n_train], feats[n_train:]
    y_tr, l_tr = labels[:n_train], lengths[:n_train]
    y_te, l_te = labels[n_train:], lengths[n_train:]
    t_out = data.out_frames(feats.shape[1])
    model = AcousticModel(hidden, channels)
    init = data.init(hidden, channels)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.from_numpy(init[name]))
    opt = torch.optim.Adam(model.parameters(), lr=lr)

    def evaluate() -> float:
        with torch.no_grad():
            lp = model(torch.from_numpy(x_te))
        decoded = F.ctc_greedy_decode(lp, np.full(n_test, t_out), blank=data.BLANK)
        return data.label_error_rate(decoded, y_te, l_te)

    def train_step(idx: np.ndarray) -> float:
        opt.zero_grad()
        lp = model(torch.from_numpy(x_tr[idx]))
        loss = F.ctc_loss(lp, torch.from_numpy(y_tr[idx]), torch.full((batch,), t_out),
                          torch.from_numpy(l_tr[idx]), blank=data.BLANK,
                          reduction="none").mean()  # fmt: skip
        loss.backward()
        opt.step()
        return loss.item()

    ler0 = evaluate()
    history = data.run_epochs(train_step, evaluate, epochs, n_train, batch, max_steps, quiet)
    weights = {n: p.detach().numpy().copy() for n, p in model.named_parameters()}
    return {**history, "ler0": ler0, "weights": weights, "features": feats}


def main(argv=None) -> dict:
    """Parse --epochs/--quiet, train, print the result."""
    return data.main(train, "eager", __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    main()
