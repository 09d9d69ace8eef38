"""Measured script for the data/sparse goals: sparse-dense matmul vs torch.sparse.mm, TFRecord
read throughput vs real TF, DataLoader(num_workers=2) / tf.data prefetch vs pre-built batches.

Run: python -m duograd.benchmarks.data_goals [--only spmm|tfrecord|loader]. Medians of several
runs after a warm-up; figures depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable

import numpy as np


def _median(fn: Callable[[], object], runs: int = 5) -> float:
    fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def spmm() -> None:
    """10k x 10k with 100k nnz times 10k x 64: forward, and forward + backward."""
    import duograd.frontends.eager as dg
    import torch

    rng = np.random.default_rng(0)
    n, nnz, k = 10_000, 100_000, 64
    flat = np.unique(rng.integers(0, n * n, int(nnz * 1.01)))[:nnz]
    rng.shuffle(flat)
    flat = np.sort(flat)  # coalesced order, so torch needs no coalesce in the loop
    idx = np.stack(np.unravel_index(flat, (n, n))).astype(np.int64)
    nnz = idx.shape[1]
    vals = rng.standard_normal(nnz).astype(np.float32)
    dense = rng.standard_normal((n, k)).astype(np.float32)

    dv = dg.tensor(vals, requires_grad=True)
    dd = dg.tensor(dense, requires_grad=True)
    ds = dg.sparse_coo_tensor(idx, dv, (n, n))
    tv = torch.tensor(vals, requires_grad=True)
    td = torch.tensor(dense, requires_grad=True)
    ts = torch.sparse_coo_tensor(torch.tensor(idx), tv, (n, n), is_coalesced=True)

    def d_fwd():
        with dg.no_grad():
            dg.sparse.mm(ds, dd)

    def t_fwd():
        with torch.no_grad():
            torch.sparse.mm(ts, td)

    tidx = torch.tensor(idx)

    # torch builds the sparse tensor from its values inside the step (it records the
    # construction in its graph, so it cannot be reused across backward passes); duograd keeps
    # one sparse tensor over leaf values, whose CSR order is sorted once and reused
    def d_both():
        dv.grad = dd.grad = None
        dg.sparse.mm(ds, dd).sum().backward()

    def t_both():
        tv.grad = td.grad = None
        s = torch.sparse_coo_tensor(tidx, tv, (n, n), is_coalesced=True)
        torch.sparse.mm(s, td).sum().backward()

    for name, a, b in (("forward", d_fwd, t_fwd), ("forward+backward", d_both, t_both)):
        ta, tb = _median(a), _median(b)
        print(
            f"spmm {name}: duograd {ta * 1e3:.2f} ms, torch {tb * 1e3:.2f} ms, ratio {ta / tb:.2f}x"
        )


def tfrecord() -> None:
    """Reading a ~100 MB TFRecord file of 28x28 float32 examples (records and parsed images)."""
    import duograd.frontends.graph as tf
    import tensorflow as real
    from duograd.frontends.graph.data.tfrecord import read_records

    n = 100 * 2**20 // (28 * 28 * 4 + 40)
    img = np.random.default_rng(0).standard_normal(28 * 28).astype(np.float32)
    path = os.path.join(tempfile.mkdtemp(), "images.tfrecord")
    ex = tf.train.Example(
        features=tf.train.Features(
            feature={"image": tf.train.Feature(float_list=tf.train.FloatList(value=img))}
        )
    ).SerializeToString()
    with tf.python_io.TFRecordWriter(path) as w:
        for _ in range(n):
            w.write(ex)
    size = os.path.getsize(path) / 2**20
    feats = {"image": tf.FixedLenFeature([28 * 28], tf.float32)}
    rfeats = {"image": real.io.FixedLenFeature([28 * 28], real.float32)}

    def ours_raw():
        for _ in read_records(path):
            pass

    def theirs_raw():
        for _ in real.data.TFRecordDataset(path):
            pass

    def ours_parsed():
        for r in read_records(path):
            tf.parse_single_example(r, feats)

    def theirs_parsed():
        ds = real.data.TFRecordDataset(path).map(lambda r: real.io.parse_single_example(r, rfeats))
        for _ in ds:
            pass

    for name, a, b in (("records", ours_raw, theirs_raw), ("parsed", ours_parsed, theirs_parsed)):
        ta, tb = _median(a, 3), _median(b, 3)
        print(
            f"tfrecord {name} ({size:.0f} MB, {n} records): duograd {size / ta:.0f} MB/s, "
            f"TF {size / tb:.0f} MB/s, throughput ratio {tb / ta:.2f}x"
        )


def loader() -> None:
    """MLP steps at batch 512: DataLoader(num_workers=2) and tf.data prefetch vs pre-built
    (data_feeding.py's measurement: 3 interleaved rounds of 20 steps per style)."""
    from . import data_feeding

    data_feeding.eager(steps=20, rounds=3)
    data_feeding.graph(steps=20, rounds=3)


def main(argv: list[str] | None = None) -> None:
    """Run the chosen measurements."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--only", choices=["spmm", "tfrecord", "loader"], default=None)
    args = p.parse_args(argv)
    for name, fn in (("spmm", spmm), ("tfrecord", tfrecord), ("loader", loader)):
        if args.only in (None, name):
            fn()


if __name__ == "__main__":
    main()
