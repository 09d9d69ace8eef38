"""A character-level LSTM language model in the PyTorch style, trained on the docstrings of the
Python standard library (gathered at run time, so nothing is downloaded), then sampled.

Run: python examples/char_lstm_eager.py [--steps N]. char_lstm_graph.py is the same model in the
TF1 style (tf.nn.dynamic_rnn over an LSTMCell with layout="torch"): from the same initial
weights and batches the two print bit-identical losses and sample the same text.
"""

import _model_data as data
import duograd.frontends.eager as torch
import numpy as np

nn = torch.nn
SEQ, BATCH, EMBED, HIDDEN, LR = 32, 32, 32, 128, 0.005


class CharLSTM(nn.Module):
    """Embedding -> one-layer LSTM (batch first) -> linear head over the vocabulary."""

    def __init__(self, vocab: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, EMBED)
        self.lstm = nn.LSTM(EMBED, HIDDEN, batch_first=True)
        self.head = nn.Linear(HIDDEN, vocab)

    def forward(self, x, state=None):
        h, state = self.lstm(self.embed(x), state)
        return self.head(h), state


def sample(model, chars, prime: str = "The ", length: int = 200, seed: int = 0) -> str:
    """Feed `prime`, then draw `length` characters one at a time, carrying the LSTM state."""
    index = {c: i for i, c in enumerate(chars)}
    rng = np.random.default_rng(seed)
    out, state, probs = list(prime), None, None

    def step(code, state):
        logits, state = model(torch.tensor([[code]]), state)
        return torch.softmax(logits[0, -1], dim=-1).numpy(), state

    with torch.no_grad():
        for ch in prime:
            probs, state = step(index[ch], state)
        for _ in range(length):
            code = data.sample_next(probs, rng)
            out.append(chars[code])
            probs, state = step(code, state)
    return "".join(out)


def train(steps: int, quiet: bool = False, sample_length: int = 200) -> dict:
    """Train with Adam on random windows of the text; return losses, weights and a sample."""
    chars, codes = data.char_vocab(data.stdlib_text())
    vocab = len(chars)
    model = CharLSTM(vocab)
    init = data.lstm_init(vocab, EMBED, HIDDEN)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.from_numpy(init[name]))
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = nn.CrossEntropyLoss()
    progress = data.Progress(steps, quiet)
    losses = []
    for step, (xb, yb) in enumerate(data.char_windows(codes, SEQ, BATCH, steps)):
        opt.zero_grad()
        logits, _ = model(torch.from_numpy(xb))
        loss = loss_fn(logits.reshape(-1, vocab), torch.from_numpy(yb).reshape(-1))
        loss.backward()
        opt.step()
        losses.append(loss.item())
        progress.update(step, losses[-1])
    text = sample(model, chars, length=sample_length) if sample_length else ""
    weights = {n: p.detach().numpy().copy() for n, p in model.named_parameters()}
    return {"losses": losses, "weights": weights, "sample": text, "vocab": vocab,
            "chars": len(codes), "seconds": progress.elapsed()}  # fmt: skip


def report(style: str, result: dict) -> None:
    """Print the loss at the start and the end, and the sampled text."""
    losses = result["losses"]
    k = max(1, min(10, len(losses) // 4))
    print(f"{style} char-LSTM: {result['chars']} characters, vocabulary {result['vocab']}; "
          f"mean loss of the first {k} steps {np.mean(losses[:k]):.3f}, of the last {k} "
          f"{np.mean(losses[-k:]):.3f} ({result['seconds']:.1f}s)")  # fmt: skip
    print("sample:", repr(result["sample"]))


def main(argv=None) -> dict:
    """Parse --steps/--quiet, train, print the result."""
    args = data.parse(__doc__.splitlines()[0], 300, argv)
    result = train(args.steps, args.quiet)
    report("eager", result)
    return result


if __name__ == "__main__":
    main()
