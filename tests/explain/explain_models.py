"""Small models built twice with the same weights: duograd eager, real torch, duograd graph."""

from __future__ import annotations

import numpy as np


def weights(seed: int = 0) -> dict:
    """Weights of a tiny CNN on (N, 1, 8, 8) inputs: conv(1->4) relu pool, linear(4*4*4 -> 3)."""
    rng = np.random.default_rng(seed)
    return {
        "conv.weight": (rng.standard_normal((4, 1, 3, 3)) * 0.5).astype(np.float32),
        "conv.bias": (rng.standard_normal(4) * 0.1).astype(np.float32),
        "fc.weight": (rng.standard_normal((3, 64)) * 0.3).astype(np.float32),
        "fc.bias": (rng.standard_normal(3) * 0.1).astype(np.float32),
    }


def eager_cnn(w: dict, pool: bool = True):
    """The CNN as a duograd eager module."""
    import duograd.frontends.eager as torch

    nn = torch.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 4, 3, padding=1)
            self.relu = nn.ReLU()
            self.pool = nn.MaxPool2d(2) if pool else nn.AvgPool2d(2)
            self.fc = nn.Linear(64, 3)

        def forward(self, x):
            return self.fc(torch.flatten(self.pool(self.relu(self.conv(x))), 1))

    m = Net()
    with torch.no_grad():
        for k, p in m.named_parameters():
            p.copy_(torch.from_numpy(w[k]))
    return m


def torch_cnn(w: dict, pool: bool = True):
    """The CNN in real torch."""
    import torch

    nn = torch.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 4, 3, padding=1)
            self.relu = nn.ReLU()
            self.pool = nn.MaxPool2d(2) if pool else nn.AvgPool2d(2)
            self.fc = nn.Linear(64, 3)

        def forward(self, x):
            return self.fc(torch.flatten(self.pool(self.relu(self.conv(x))), 1))

    m = Net()
    with torch.no_grad():
        for k, p in m.named_parameters():
            p.copy_(torch.from_numpy(w[k]))
    return m.eval()


def graph_cnn(w: dict, batch: int | None = None, pool: bool = True):
    """The CNN in the graph style (NCHW, as the eager one): (x, conv activations, logits)."""
    import duograd.frontends.graph as tf

    x = tf.placeholder(tf.float32, [batch, 1, 8, 8], name="x")
    k = tf.constant(w["conv.weight"].transpose(2, 3, 1, 0))
    h = tf.nn.conv2d(x, k, strides=1, padding="SAME", data_format="NCHW")
    h = h + tf.reshape(tf.constant(w["conv.bias"]), [1, 4, 1, 1])
    act = tf.nn.relu(h)
    if pool:
        p = tf.nn.max_pool(act, 2, 2, "VALID", data_format="NCHW")
    else:
        p = tf.nn.avg_pool(act, 2, 2, "VALID", data_format="NCHW")
    flat = tf.reshape(p, [-1, 64])
    logits = tf.matmul(flat, tf.constant(w["fc.weight"].T)) + tf.constant(w["fc.bias"])
    return x, act, logits


def images(n: int = 4, seed: int = 1) -> np.ndarray:
    """Random inputs of shape (n, 1, 8, 8)."""
    return np.random.default_rng(seed).standard_normal((n, 1, 8, 8)).astype(np.float32)


def mlp_weights(seed: int = 0) -> dict:
    """Weights of a small MLP on (N, 1, 8, 8) inputs: 64 -> 16 -> 16 -> relu -> 16 -> tanh -> 3."""
    rng = np.random.default_rng(seed)
    shapes = {"0": (16, 64), "1": (16, 16), "3": (16, 16), "6": (3, 16)}
    w = {}
    for k, s in shapes.items():
        w[f"layers.{k}.weight"] = (rng.standard_normal(s) * 0.4).astype(np.float32)
        w[f"layers.{k}.bias"] = (rng.standard_normal(s[0]) * 0.2).astype(np.float32)
    return w


def mlp(lib, w: dict):
    """The MLP as a module of `lib` (duograd eager or real torch), eval mode, weights `w`."""
    nn = lib.nn

    class Mlp(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.Sequential(
                nn.Linear(64, 16), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(),
                nn.Dropout(0.5), nn.Linear(16, 3),
            )  # fmt: skip

        def forward(self, x):
            return self.layers(lib.flatten(x, 1))

    m = Mlp()
    with lib.no_grad():
        for k, p in m.named_parameters():
            p.copy_(lib.from_numpy(w[k]))
    return m.eval()


def graph_mlp(w: dict, batch: int | None = None):
    """The MLP in the graph style: (x, logits, {layer index: layer output tensor})."""
    import duograd.frontends.graph as tf

    x = tf.placeholder(tf.float32, [batch, 1, 8, 8], name="x")
    h = tf.reshape(x, [-1, 64])
    outs = {}
    for k, act in (("0", None), ("1", tf.nn.relu), ("3", tf.tanh), ("6", None)):
        h = tf.matmul(h, tf.constant(w[f"layers.{k}.weight"].T)) + tf.constant(
            w[f"layers.{k}.bias"]
        )
        outs[k] = h
        if act is not None:
            h = act(h)
    return x, h, outs
