"""A small CNN on scikit-learn's 8x8 digits in the PyTorch style (conv-relu-pool x2, linear).

Run: python examples/cnn_digits_eager.py [--steps N]. Needs scikit-learn (the examples extra).
cnn_digits_graph.py is the same program in the TF1 style: from the same initial weights and
batches the two print bit-identical losses and end with bit-identical weights.
"""

import _model_data as data
import duograd.frontends.eager as torch
import numpy as np

nn = torch.nn
F = torch.nn.functional


class Net(nn.Module):
    """conv(1->16, 3x3, pad 1) relu pool2, conv(16->32) relu pool2, flatten (C, H, W), linear."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(32 * 2 * 2, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        return self.fc(torch.flatten(x, 1))


def train(steps: int, quiet: bool = False, batch: int = 64, lr: float = 0.005) -> dict:
    """Train with Adam on shuffled batches; return losses, test accuracy and the weights."""
    x_train, y_train, x_test, y_test = data.digits()
    model = Net()
    init = data.cnn_init()
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.from_numpy(init[name]))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    progress = data.Progress(steps, quiet)
    losses = []
    for step, idx in enumerate(data.batches(len(y_train), batch, steps)):
        opt.zero_grad()
        loss = loss_fn(model(torch.from_numpy(x_train[idx])), torch.from_numpy(y_train[idx]))
        loss.backward()
        opt.step()
        losses.append(loss.item())
        progress.update(step, losses[-1])
    model.eval()
    with torch.no_grad():
        pred = model(torch.from_numpy(x_test)).argmax(dim=1).numpy()
    weights = {n: p.detach().numpy().copy() for n, p in model.named_parameters()}
    return {"losses": losses, "accuracy": float(np.mean(pred == y_test)),
            "weights": weights, "seconds": progress.elapsed()}  # fmt: skip


def main(argv=None) -> dict:
    """Parse --steps/--quiet, train, print the result."""
    args = data.parse(__doc__.splitlines()[0], 400, argv)
    result = train(args.steps, args.quiet)
    print(f"eager CNN: final loss {result['losses'][-1]:.4f}, test accuracy "
          f"{result['accuracy']:.4f} ({result['seconds']:.1f}s)")  # fmt: skip
    return result


if __name__ == "__main__":
    main()
