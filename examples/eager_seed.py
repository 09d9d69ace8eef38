"""The seed program made correct: fit y = 2x + 2 with one Parameter, MSELoss and SGD.

The original snippet used an undefined `model` and integer tensors with MSELoss; here the data
is float and the model is a small Module with a weight and a bias Parameter.

    python examples/eager_seed.py --steps 100
"""

from __future__ import annotations

import argparse

import duograd.frontends.eager as torch


class Model(torch.nn.Module):
    """y = w * x + b with scalar parameters."""

    def __init__(self) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))
        self.b = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The line."""
        return self.w * x + self.b


def main(argv: list[str] | None = None) -> float:
    """Train and return the final loss."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=100, help="training epochs")
    parser.add_argument("--lr", type=float, default=0.05)
    args = parser.parse_args(argv)

    x = torch.tensor([1.0, 2.0, 3.0])
    y = torch.tensor([4.0, 6.0, 8.0])
    model = Model()
    loss_fn = torch.nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    loss = None
    for epoch in range(args.steps):
        y_pred = model(x)
        loss = loss_fn(y_pred, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if epoch % max(1, args.steps // 5) == 0 or epoch == args.steps - 1:
            print(f"epoch {epoch:4d}  loss {loss.item():.6f}")
    print(f"w = {model.w.item():.4f}, b = {model.b.item():.4f}")
    return loss.item()


if __name__ == "__main__":
    main()
