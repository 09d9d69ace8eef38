"""An MLP classifier in the PyTorch style: Linear-ReLU-Linear, CrossEntropyLoss, Adam."""

import _common
import duograd.frontends.eager as torch
import numpy as np
from _progress import Progress
from duograd.frontends.eager.utils.data import DataLoader, TensorDataset

SIZES = (4, 32, 3)


def build_model(params):
    """The network, starting from the given (out, in) weights and biases."""
    nn = torch.nn
    model = nn.Sequential(nn.Linear(SIZES[0], SIZES[1]), nn.ReLU(), nn.Linear(SIZES[1], SIZES[2]))
    with torch.no_grad():
        for p, v in zip(model.parameters(), params, strict=True):
            p.copy_(torch.from_numpy(v))
    return model


def train(steps: int, quiet: bool = False, batch: int = 64):
    """Train on blobs, full passes over shuffled batches; return (parameters, final loss, acc)."""
    x, y = _common.blobs()
    model = build_model(_common.mlp_init(SIZES))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    loss_fn = torch.nn.CrossEntropyLoss()
    torch.manual_seed(0)  # the shuffling order
    loader = DataLoader(
        TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=batch, shuffle=True
    )
    step = 0
    loss = None
    progress = Progress(steps, quiet, every=max(1, steps // 5))
    while step < steps:
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            progress.update(step, loss.item())
            step += 1
            if step == steps:
                break
    with torch.no_grad():
        acc = (model(torch.from_numpy(x)).argmax(dim=1) == torch.from_numpy(y)).float().mean()
    params = [p.detach().numpy().copy() for p in model.parameters()]
    return params, loss.item(), float(acc.item())


if __name__ == "__main__":
    args = _common.parse(__doc__, 100)
    params, loss, acc = train(args.steps, args.quiet)
    print(f"eager: loss {loss:.4f}, train accuracy {acc:.3f}, |W1| {np.abs(params[0]).sum():.4f}")
