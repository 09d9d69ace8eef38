"""Linear regression in the PyTorch style: fit y = w x + b with SGD."""

import _common
import duograd.frontends.eager as torch
from _progress import Progress


def train(steps: int, quiet: bool = False):
    """Fit and return (weight, bias, final loss) as numpy values."""
    x, y = _common.regression_data()
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    model = torch.nn.Linear(1, 1)
    with torch.no_grad():
        model.weight.fill_(0.0)
        model.bias.fill_(0.0)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = torch.nn.MSELoss()
    progress = Progress(steps, quiet, every=max(1, steps // 5))
    for step in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        progress.update(step, loss.item())
    return model.weight.detach().numpy(), model.bias.detach().numpy(), loss.item()


if __name__ == "__main__":
    args = _common.parse(__doc__, 200)
    w, b, loss = train(args.steps, args.quiet)
    print(f"eager: w = {w.ravel()[0]:.4f}, b = {b[0]:.4f}, loss = {loss:.5f}")
