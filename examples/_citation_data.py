"""A synthetic citation-like graph for the GCN examples: communities, sparse links, noisy words."""

from __future__ import annotations

import numpy as np


def citation_graph(nodes: int = 300, classes: int = 3, words: int = 32, seed: int = 0):
    """Features (float32), labels (int64), the normalised adjacency D^-1/2 (A + I) D^-1/2 as
    COO (indices (2, nnz) int64 sorted by row, values float32), and a train mask."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, nodes)
    # papers cite their own community far more often than others (an assortative graph)
    same = labels[:, None] == labels[None, :]
    p = np.where(same, 0.05, 0.004)
    upper = np.triu(rng.random((nodes, nodes)) < p, 1)
    adj = upper | upper.T | np.eye(nodes, dtype=bool)
    # each class has its own few topic words; every paper uses a noisy sample of words
    topics = rng.random((classes, words)) < 0.2
    feats = (rng.random((nodes, words)) < 0.05) | (
        topics[labels] & (rng.random((nodes, words)) < 0.4)
    )
    deg = adj.sum(1).astype(np.float64)
    rows, cols = np.nonzero(adj)  # row-major: sorted by row, then column
    vals = (1.0 / np.sqrt(deg[rows] * deg[cols])).astype(np.float32)
    train = rng.random(nodes) < 0.3
    return (
        feats.astype(np.float32),
        labels.astype(np.int64),
        np.stack([rows, cols]).astype(np.int64),
        vals,
        train,
    )


def gcn_init(words: int, hidden: int, classes: int, seed: int = 0) -> list[np.ndarray]:
    """Glorot-uniform weights (in, out) for the two graph-convolution layers, zero biases."""
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in ((words, hidden), (hidden, classes)):
        bound = np.sqrt(6.0 / (fan_in + fan_out))
        params.append(rng.uniform(-bound, bound, (fan_in, fan_out)).astype(np.float32))
        params.append(np.zeros(fan_out, np.float32))
    return params
