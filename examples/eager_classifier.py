"""A small MLP classifier on seeded synthetic data: three Gaussian blobs in 2-D.

Prints the falling training loss and the accuracy per epoch.

    python examples/eager_classifier.py --steps 10
"""

from __future__ import annotations

import argparse

import duograd.frontends.eager as torch
import duograd.frontends.eager.nn as nn
import duograd.frontends.eager.optim as optim
from duograd.frontends.eager.utils.data import DataLoader, TensorDataset


def make_data(n_per_class: int = 200) -> tuple[torch.Tensor, torch.Tensor]:
    """Three blobs around fixed centres, drawn from the seeded stream."""
    centres = torch.tensor([[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]])
    xs, ys = [], []
    for k in range(3):
        xs.append(torch.randn(n_per_class, 2) * 0.8 + centres[k])
        ys.append(torch.full((n_per_class,), k))
    return torch.cat(xs), torch.cat(ys)


class MLP(nn.Module):
    """2 -> 32 -> 32 -> 3 with ReLU."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 3)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits."""
        return self.net(x)


def main(argv: list[str] | None = None) -> tuple[float, float]:
    """Train; return (final epoch's mean loss, final accuracy)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=10, help="training epochs")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    X, Y = make_data()
    loader = DataLoader(TensorDataset(X, Y), batch_size=32, shuffle=True)
    model = MLP()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    mean_loss = acc = float("nan")
    for epoch in range(args.steps):
        model.train()
        total = 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item()
        mean_loss = total / len(loader)
        model.eval()
        with torch.no_grad():
            acc = (model(X).argmax(dim=1) == Y).float().mean().item()
        print(f"epoch {epoch:3d}  loss {mean_loss:.4f}  accuracy {acc:.3f}")
    return mean_loss, acc


if __name__ == "__main__":
    main()
