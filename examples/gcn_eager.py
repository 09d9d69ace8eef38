"""A two-layer graph convolutional network in the PyTorch style, on a synthetic citation graph.

The normalised adjacency is a sparse COO tensor; each layer is `torch.sparse.mm(adj, x @ W) + b`
(Kipf and Welling's propagation rule), trained full-batch with Adam on the labelled nodes.
"""

import _common
import duograd.frontends.eager as torch
import numpy as np
from _citation_data import citation_graph, gcn_init
from _progress import Progress

HIDDEN = 16


class GCN(torch.nn.Module):
    """Two graph convolutions with a ReLU between them."""

    def __init__(self, params):
        super().__init__()
        w1, b1, w2, b2 = (torch.nn.Parameter(torch.from_numpy(p)) for p in params)
        self.w1, self.b1, self.w2, self.b2 = w1, b1, w2, b2

    def forward(self, adj, x):
        h = torch.relu(torch.sparse.mm(adj, x @ self.w1) + self.b1)
        return torch.sparse.mm(adj, h @ self.w2) + self.b2


def train(steps: int, quiet: bool = False):
    """Train; return (parameters, final loss, accuracy on the unlabelled nodes)."""
    feats, labels, idx, vals, mask = citation_graph()
    adj = torch.sparse_coo_tensor(torch.from_numpy(idx), torch.from_numpy(vals), (len(labels),) * 2)
    x, y = torch.from_numpy(feats), torch.from_numpy(labels)
    train_idx = torch.from_numpy(np.flatnonzero(mask))
    model = GCN(gcn_init(feats.shape[1], HIDDEN, int(labels.max()) + 1))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    loss = None
    progress = Progress(steps, quiet)
    for step in range(steps):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(adj, x)[train_idx], y[train_idx])
        loss.backward()
        opt.step()
        progress.update(step, loss.item())
    with torch.no_grad():
        pred = model(adj, x).argmax(1).numpy()
    acc = float((pred[~mask] == labels[~mask]).mean())
    return [p.detach().numpy().copy() for p in model.parameters()], loss.item(), acc


if __name__ == "__main__":
    args = _common.parse(__doc__, 100)
    params, loss, acc = train(args.steps, args.quiet)
    print(f"eager: loss {loss:.4f}, accuracy on unlabelled nodes {acc:.3f}")
