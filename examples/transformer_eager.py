"""A 2-layer Transformer encoder in the PyTorch style, learning to reverse digit sequences.

Run: python examples/transformer_eager.py [--steps N]. Token embeddings plus learned positions,
two nn.TransformerEncoderLayer blocks (post-norm, ReLU, no dropout), a linear head predicting
the reversed sequence at every position. transformer_graph.py builds the same network from
`attention.multi_head_attention`, `attention.layer_norm` and dense layers in the TF1 style; from
the same initial weights and batches the two give bit-identical losses and weights.
"""

import _model_data as data
import duograd.frontends.eager as torch
import numpy as np

nn = torch.nn
VOCAB, LENGTH, D, HEADS, FF, LAYERS, BATCH, LR = 10, 10, 32, 4, 64, 2, 64, 0.003


class Reverser(nn.Module):
    """Embedding + positions -> TransformerEncoder(2 layers) -> linear head."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB, D)
        self.pos = nn.Parameter(torch.zeros(LENGTH, D))
        layer = nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, LAYERS, enable_nested_tensor=False)
        self.head = nn.Linear(D, VOCAB)

    def forward(self, x):
        return self.head(self.encoder(self.embed(x) + self.pos))


def train(steps: int, quiet: bool = False, eval_size: int = 1000) -> dict:
    """Train with Adam on fresh random batches; return losses, token accuracy and weights."""
    model = Reverser()
    init = data.transformer_init(VOCAB, LENGTH, D, FF, LAYERS)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.from_numpy(init[name]))
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(1)
    progress = data.Progress(steps, quiet)
    losses = []
    for step in range(steps):
        xb, yb = data.reversal_batch(rng, BATCH, LENGTH, VOCAB)
        opt.zero_grad()
        logits = model(torch.from_numpy(xb))
        loss = loss_fn(logits.reshape(-1, VOCAB), torch.from_numpy(yb).reshape(-1))
        loss.backward()
        opt.step()
        losses.append(loss.item())
        progress.update(step, losses[-1])
    xt, yt = data.reversal_batch(np.random.default_rng(2), eval_size, LENGTH, VOCAB)
    model.eval()
    with torch.no_grad():
        pred = model(torch.from_numpy(xt)).argmax(dim=-1).numpy()
    weights = {n: p.detach().numpy().copy() for n, p in model.named_parameters()}
    return {"losses": losses, "accuracy": float(np.mean(pred == yt)),
            "sequences": float(np.mean((pred == yt).all(axis=1))), "weights": weights,
            "seconds": progress.elapsed()}  # fmt: skip


def report(style: str, result: dict) -> None:
    """Print the final loss and the held-out accuracy."""
    print(f"{style} Transformer: final loss {result['losses'][-1]:.4f}, token accuracy "
          f"{result['accuracy']:.4f}, whole sequences {result['sequences']:.3f} "
          f"({result['seconds']:.1f}s)")  # fmt: skip


def main(argv=None) -> dict:
    """Parse --steps/--quiet, train, print the result."""
    args = data.parse(__doc__.splitlines()[0], 300, argv)
    result = train(args.steps, args.quiet)
    report("eager", result)
    return result


if __name__ == "__main__":
    main()
