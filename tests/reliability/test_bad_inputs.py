"""The bad-input catalogue: each row is a mistake a user makes, in either style.

Every row must raise an error of a fitting type whose message names what went wrong (the op,
the shapes or dtypes, the placeholder, parameter or key involved), or, where PyTorch only warns,
a warning; and it must leave every parameter, gradient, variable and optimizer slot of the
program it ran in bitwise unchanged. Each row runs in a fresh program that has already trained
one step, so optimizer state exists and is part of what must not change.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core.checkpoint import CheckpointError
from duograd.core.errors import ShapeError
from duograd.core.kernels import update as U
from duograd.frontends.graph import interop as graph_interop

nn = torch.nn
F = torch.nn.functional

# ---- the two programs every row runs in ------------------------------------------------------


class EagerWorld:
    """A two-layer model, its Adam optimizer after one step, and gradients of a second pass."""

    style = "eager"

    def __init__(self, tmp: str) -> None:
        self.tmp = tmp
        torch.manual_seed(0)
        self.model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
        self.opt = torch.optim.Adam(self.model.parameters(), lr=0.1)
        self.x = torch.randn(5, 3)
        self.t = torch.randn(5, 2)
        self.opt.zero_grad()
        self.loss().backward()
        self.opt.step()
        self.opt.zero_grad()
        self.loss().backward()  # gradients present: they too must survive a failed call

    @property
    def w(self):
        """The first layer's weight (a leaf that requires grad)."""
        return self.model[0].weight

    def loss(self):
        """The training loss on the fixed batch."""
        return F.mse_loss(self.model(self.x), self.t)

    def context(self):
        """Where a row's call runs (nothing to enter for eager programs)."""
        return contextlib.nullcontext()

    def snapshot(self) -> dict:
        """Copies of every parameter, gradient and optimizer state value."""
        snap: dict = {}
        for name, p in self.model.named_parameters():
            snap[f"param {name}"] = p.detach().numpy().copy()
            snap[f"grad {name}"] = None if p.grad is None else p.grad.numpy().copy()
        for idx, st in self.opt.state_dict()["state"].items():
            for k, v in st.items():
                snap[f"opt {idx} {k}"] = np.array(v.numpy() if hasattr(v, "numpy") else v)
        snap["hyper"] = [(g["lr"], g["betas"], g["eps"]) for g in self.opt.param_groups]
        return snap


class GraphWorld:
    """A linear model trained one step with Adam in a session (variables plus slots)."""

    style = "graph"

    def __init__(self, tmp: str) -> None:
        self.tmp = tmp
        self.g = tf.Graph()
        with self.g.as_default():
            tf.set_random_seed(0)
            self.xp = tf.placeholder(tf.float32, [None, 3], name="x")
            self.tp = tf.placeholder(tf.float32, [None, 2], name="t")
            self.W = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2) / 7, name="W")
            self.b = tf.Variable(np.zeros(2, np.float32), name="b")
            self.y = tf.matmul(self.xp, self.W) + self.b
            self.loss = tf.reduce_mean(tf.square(self.y - self.tp))
            self.train = tf.train.AdamOptimizer(0.1).minimize(self.loss)
            self.sess = tf.Session(graph=self.g)
            self.sess.run(tf.global_variables_initializer())
        rng = np.random.default_rng(0)
        self.X = rng.standard_normal((4, 3)).astype(np.float32)
        self.T = rng.standard_normal((4, 2)).astype(np.float32)
        self.feed = {self.xp: self.X, self.tp: self.T}
        self.sess.run(self.train, self.feed)

    def context(self):
        """Where a row's call runs: with the program's graph as the default graph."""
        return self.g.as_default()

    def snapshot(self) -> dict:
        """Copies of every variable in the session (model variables and optimizer slots)."""
        return {k.node.name: np.array(v, copy=True) for k, v in self.sess._state.items()}


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    return a == b


# ---- the catalogue -----------------------------------------------------------------------------


@dataclass
class Row:
    """One bad input: `make(world)` prepares it and returns the call that must fail."""

    id: str
    style: str
    make: Callable
    exc: type | tuple | None  # None: a warning row
    fragments: tuple[str, ...]
    warning: type | None = None


ROWS: list[Row] = []


def row(id: str, style: str, exc, *fragments: str, warning=None):
    """Register the decorated `make(world)` as a catalogue row."""

    def deco(make):
        ROWS.append(Row(id, style, make, exc, fragments, warning))
        return make

    return deco


o = torch.ones

# -- eager: shapes in broadcasting ops, matmul, reshape, conv, losses --


@row("eager-add-broadcast", "eager", ShapeError, "add", "(2, 3)", "(4,)")
def _(w):
    return lambda: w.w[:2] + o(4)


@row("eager-sub-broadcast", "eager", ShapeError, "sub", "(2, 3)", "(3, 2)")
def _(w):
    return lambda: w.w[:2] - o(3, 2)


@row("eager-mul-broadcast", "eager", ShapeError, "mul", "(4, 3)", "(2, 4)")
def _(w):
    return lambda: torch.mul(w.w, o(2, 4))


@row("eager-div-broadcast", "eager", ShapeError, "div", "(4, 3)", "(4, 2)")
def _(w):
    return lambda: w.w / o(4, 2)


@row("eager-maximum-broadcast", "eager", ShapeError, "maximum", "(4, 3)", "(5, 3)")
def _(w):
    return lambda: torch.maximum(w.w, o(5, 3))


@row("eager-minimum-broadcast", "eager", ShapeError, "minimum", "(4, 3)", "(2,)")
def _(w):
    return lambda: torch.minimum(w.w, o(2))


@row("eager-pow-broadcast", "eager", ShapeError, "pow", "(4, 3)", "(3, 4)")
def _(w):
    return lambda: torch.pow(w.w, o(3, 4))


@row("eager-where-broadcast", "eager", ShapeError, "where", "(4,)")
def _(w):
    return lambda: torch.where(w.w > 0, w.w, o(4))


@row("eager-matmul-inner", "eager", ShapeError, "matmul", "inner dimensions", "(4, 3)", "3 vs 5")
def _(w):
    return lambda: w.w @ o(5, 2)


@row("eager-bmm-batch", "eager", ShapeError, "matmul", "(2, 3, 4)", "(3, 4, 5)", "batch")
def _(w):
    return lambda: torch.bmm(o(2, 3, 4), o(3, 4, 5))


@row("eager-linear-features", "eager", ShapeError, "matmul", "(5, 2)", "2 vs 3")
def _(w):
    return lambda: w.model(o(5, 2))


@row("eager-reshape-size", "eager", ShapeError, "reshape", "(4, 3)", "12 elements", "(5, 2)")
def _(w):
    return lambda: w.w.reshape(5, 2)


@row("eager-transpose-dim", "eager", IndexError, "Dimension out of range", "got 2")
def _(w):
    return lambda: w.w.transpose(0, 2)


@row(
    "eager-conv-channels", "eager", ShapeError, "conv2d", "(1, 3, 8, 8)", "(4, 2, 3, 3)", "channels"
)
def _(w):
    return lambda: F.conv2d(o(1, 3, 8, 8), o(4, 2, 3, 3))


@row("eager-conv-rank", "eager", RuntimeError, "conv2d", "4-D", "(8, 8)")
def _(w):
    return lambda: nn.Conv2d(3, 4, 3)(o(8, 8))


@row("eager-conv-kernel-too-big", "eager", ShapeError, "conv2d", "larger than the padded input")
def _(w):
    return lambda: F.conv2d(o(1, 3, 2, 2), o(4, 3, 5, 5))


@row("eager-mse-n1-vs-n", "eager", None, "target size", "[5]", "[5, 1]", warning=UserWarning)
def _(w):
    # PyTorch warns (and broadcasts to (5, 5)); silently doing so would be the real bug
    return lambda: nn.MSELoss()(w.model(w.x)[:, :1], w.t[:, 0])


@row("eager-mse-mismatch", "eager", ShapeError, "(5, 2)", "(3, 2)")
def _(w):
    return lambda: nn.MSELoss()(w.model(w.x), o(3, 2))


@row("eager-ce-target-shape", "eager", ValueError, "cross_entropy", "(5,)", "(4,)")
def _(w):
    return lambda: nn.CrossEntropyLoss()(w.model(w.x), torch.zeros(4, dtype=torch.int64))


@row("eager-ce-class-range", "eager", IndexError, "cross_entropy", "Target 7", "[0, 2)")
def _(w):
    return lambda: nn.CrossEntropyLoss()(w.model(w.x), torch.tensor([0, 1, 7, 0, 1]))


@row("eager-nll-target-shape", "eager", ValueError, "nll_loss", "(5,)", "(3,)")
def _(w):
    return lambda: nn.NLLLoss()(w.model(w.x), torch.tensor([0, 1, 1]))


@row("eager-bce-shape", "eager", ValueError, "binary_cross_entropy", "[3]", "[2]")
def _(w):
    return lambda: nn.BCELoss()(torch.tensor([0.5, 0.2]), torch.tensor([1.0, 0.0, 1.0]))


@row("eager-cat-shapes", "eager", ShapeError, "concat", "(4, 3)", "(4, 2)")
def _(w):
    return lambda: torch.cat([w.w, o(4, 2)], 0)


@row("eager-index-range", "eager", (IndexError, ShapeError), "index 9", "size 4")
def _(w):
    return lambda: w.w[9]


# -- eager: dtypes --


@row("eager-inplace-float-into-int", "eager", RuntimeError, "add_", "Float", "int64")
def _(w):
    return lambda: torch.ones(3, dtype=torch.int64).add_(1.5)


@row("eager-int-requires-grad", "eager", RuntimeError, "floating point", "int64")
def _(w):
    return lambda: torch.tensor([1, 2], requires_grad=True)


# -- eager: autograd misuse --


@row("eager-backward-twice", "eager", RuntimeError, "backward through the graph a second time")
def _(w):
    loss = w.loss()
    w.opt.zero_grad()
    loss.backward()  # the first backward frees the graph
    return lambda: loss.backward()


@row("eager-backward-non-scalar", "eager", RuntimeError, "scalar outputs", "(5, 2)")
def _(w):
    return lambda: w.model(w.x).backward()


@row(
    "eager-inplace-on-saved-output", "eager", RuntimeError, "ExpBackward0", "output 0", "version 1"
)
def _(w):
    y = torch.exp(w.w)
    y.add_(1.0)  # exp's VJP reads its output
    return lambda: y.sum().backward()


@row("eager-inplace-on-saved-input", "eager", RuntimeError, "MulBackward0", "input 0", "inplace")
def _(w):
    a = w.w * 2.0
    y = a * a
    a.mul_(3.0)
    return lambda: y.sum().backward()


@row("eager-inplace-on-leaf", "eager", RuntimeError, "leaf Variable", "add_")
def _(w):
    return lambda: w.w.add_(1.0)


@row("eager-grad-unused-input", "eager", RuntimeError, "input 1", "allow_unused")
def _(w):
    return lambda: torch.autograd.grad(w.loss(), [w.w, torch.ones(2, requires_grad=True)])


# -- eager: state dicts and optimizers --


@row("eager-load-state-missing-key", "eager", RuntimeError, "Missing key", '"2.bias"')
def _(w):
    sd = w.model.state_dict()
    del sd["2.bias"]
    sd = {k: v * 0.0 for k, v in sd.items()}
    return lambda: w.model.load_state_dict(sd)


@row("eager-load-state-unexpected-key", "eager", RuntimeError, "Unexpected key", '"3.weight"')
def _(w):
    sd = {k: v * 0.0 for k, v in w.model.state_dict().items()}
    sd["3.weight"] = o(2)
    return lambda: w.model.load_state_dict(sd)


@row("eager-load-state-shape", "eager", RuntimeError, "size mismatch for 0.weight", "[3, 4]")
def _(w):
    sd = {k: v * 0.0 for k, v in w.model.state_dict().items()}
    sd["0.weight"] = o(3, 4)
    return lambda: w.model.load_state_dict(sd)


@row("eager-optimizer-no-grad-tensor", "eager", ValueError, "param 1", "(4,)", "requires_grad")
def _(w):
    return lambda: torch.optim.SGD([w.w, torch.ones(4)], lr=0.1)


@row("eager-optimizer-bad-lr", "eager", ValueError, "learning rate", "nan")
def _(w):
    return lambda: torch.optim.SGD(w.model.parameters(), lr=float("nan"))


@row("eager-step-fails-in-second-group", "eager", RuntimeError, "param 0", "contiguous")
def _(w):
    bad = nn.Parameter(torch.ones(2, 3))
    bad._data = np.ones((3, 2), np.float32).T  # a transposed view cannot be updated in place
    bad.grad = torch.ones(2, 3)
    opt = torch.optim.Adam([{"params": list(w.model.parameters())}, {"params": [bad]}], lr=0.1)
    return opt.step


@row("eager-step-kernel-fails-midway", "eager", MemoryError, "simulated")
def _(w):
    real = U.adam_
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # two parameters stepped in place, then a failure
            raise MemoryError("simulated failure in the third update")
        return real(*args, **kwargs)

    def step():
        U.adam_ = flaky
        try:
            w.opt.step()
        finally:
            U.adam_ = real

    return step


@row("eager-optimizer-load-groups", "eager", ValueError, "2 parameter groups", "has 1")
def _(w):
    sd = w.opt.state_dict()
    sd["param_groups"] = sd["param_groups"] * 2
    return lambda: w.opt.load_state_dict(sd)


# -- eager: NaN with anomaly detection --


@row("eager-anomaly-forward", "eager", RuntimeError, "anomaly", "'log'", "nan", "produced it")
def _(w):
    def run():
        with torch.autograd.set_detect_anomaly(True):
            torch.log(w.w - 10.0)

    return run


@row("eager-anomaly-backward", "eager", RuntimeError, "MulBackward0", "nan values", "0th output")
def _(w):
    def run():
        with torch.autograd.set_detect_anomaly(True):
            # forward is finite (sqrt(0) = 0); sqrt's VJP gives inf, then 0 * inf = nan
            torch.sqrt(w.w * 0.0).sum().backward()

    return run


# -- eager: files --


@row("eager-load-garbage-file", "eager", CheckpointError, "bad.pt", "not an .npz")
def _(w):
    path = os.path.join(w.tmp, "bad.pt")
    with open(path, "wb") as f:
        f.write(b"garbage, not a checkpoint" * 4)
    return lambda: w.model.load_state_dict(torch.load(path))


@row("eager-load-truncated-file", "eager", CheckpointError, "m.pt", "truncated or corrupted")
def _(w):
    path = os.path.join(w.tmp, "m.pt")
    torch.save(w.model.state_dict(), path)
    data = open(path, "rb").read()
    with open(path, "wb") as f:
        f.write(data[: len(data) // 2])
    return lambda: w.model.load_state_dict(torch.load(path))


# -- graph: dtypes, shapes, feeds, runs --


@row("graph-add-int32-float32", "graph", TypeError, "Add", "int32", "float")
def _(w):
    with w.g.as_default():
        return lambda: tf.add(tf.constant([1, 2], tf.int32), tf.constant([1.0, 2.0]))


@row("graph-repeat-too-many", "graph", ValueError, "repeat", "repeats", "can be allocated")
def _(w):
    with w.g.as_default():
        return lambda: tf.repeat(tf.ones((3, 4)), 2**62)


@row("graph-matmul-float32-float64", "graph", TypeError, "MatMul", "double", "float")
def _(w):
    with w.g.as_default():
        return lambda: tf.matmul(w.xp, tf.constant(np.ones((3, 2))))


@row("graph-matmul-inner", "graph", ShapeError, "matmul", "(None, 3)", "(4, 2)", "MatMul")
def _(w):
    with w.g.as_default():
        return lambda: tf.matmul(w.xp, tf.ones([4, 2]))


@row("graph-add-broadcast", "graph", ShapeError, "add", "(None, 2)", "(3,)")
def _(w):
    with w.g.as_default():
        return lambda: w.y + tf.ones([3])


@row("graph-multiply-broadcast", "graph", ShapeError, "mul", "(3, 2)", "(2, 3)")
def _(w):
    with w.g.as_default():
        return lambda: tf.multiply(w.W, tf.ones([2, 3]))


@row("graph-subtract-broadcast", "graph", ShapeError, "sub", "(None, 2)", "(4,)")
def _(w):
    with w.g.as_default():
        return lambda: tf.subtract(w.y, tf.ones([4]))


@row("graph-divide-broadcast", "graph", ShapeError, "div", "(3, 2)", "(3,)")
def _(w):
    with w.g.as_default():
        return lambda: tf.divide(w.W, tf.ones([3]))


@row("graph-maximum-broadcast", "graph", ShapeError, "maximum", "(3, 2)", "(5, 2)")
def _(w):
    with w.g.as_default():
        return lambda: tf.maximum(w.W, tf.ones([5, 2]))


@row("graph-where-broadcast", "graph", ShapeError, "where", "(3, 2)", "(4,)")
def _(w):
    with w.g.as_default():
        return lambda: tf.where(w.W > 0, w.W, tf.ones([4]))


@row("graph-reshape-size", "graph", ShapeError, "reshape", "(3, 2)", "(4, 2)")
def _(w):
    with w.g.as_default():
        return lambda: tf.reshape(w.W, [4, 2])


@row("graph-concat-rank", "graph", ShapeError, "concat", "rank 2", "(2,)")
def _(w):
    with w.g.as_default():
        return lambda: tf.concat([w.W, tf.ones([2])], 0)


@row("graph-conv-channels", "graph", ShapeError, "conv2d", "(1, 8, 8, 3)", "(3, 3, 2, 4)")
def _(w):
    with w.g.as_default():
        x = tf.ones([1, 8, 8, 3])
        return lambda: tf.nn.conv2d(x, tf.ones([3, 3, 2, 4]), [1, 1, 1, 1], "SAME")


@row("graph-mse-n1-vs-n", "graph", ValueError, "mean_squared_error", "(None,)", "(None, 1)")
def _(w):
    with w.g.as_default():
        return lambda: tf.losses.mean_squared_error(w.tp[:, 0], w.y[:, :1])


@row("graph-softmax-ce-shapes", "graph", ValueError, "softmax_cross_entropy", "(4, 2)", "(4, 3)")
def _(w):
    with w.g.as_default():
        return lambda: tf.nn.softmax_cross_entropy_with_logits(
            labels=tf.ones([4, 2]), logits=tf.ones([4, 3])
        )


@row("graph-sparse-ce-float-labels", "graph", TypeError, "sparse_softmax", "int32 or int64")
def _(w):
    with w.g.as_default():
        return lambda: tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.ones([4]), logits=tf.ones([4, 3])
        )


@row("graph-assign-shape", "graph", ValueError, "assign", "'W'", "(3, 2)", "(5, 5)")
def _(w):
    with w.g.as_default():
        return lambda: tf.assign(w.W, np.ones((5, 5), np.float32))


@row("graph-unfed-placeholder", "graph", tf.errors.InvalidArgumentError, "must feed", "'t'")
def _(w):
    return lambda: w.sess.run(w.train, {w.xp: w.X})


@row("graph-feed-wrong-shape", "graph", ValueError, "shape (4, 4)", "x:0", "(None, 3)")
def _(w):
    return lambda: w.sess.run(w.train, {w.xp: np.ones((4, 4), np.float32), w.tp: w.T})


@row("graph-feed-wrong-dtype", "graph", TypeError, "float64", "ip:0", "int32")
def _(w):
    with w.g.as_default():
        ip = tf.placeholder(tf.int32, [None], name="ip")
    return lambda: w.sess.run(ip, {ip: np.array([1.5, 2.5])})


@row("graph-feed-string", "graph", TypeError, "x:0", "<U3")
def _(w):
    return lambda: w.sess.run(w.train, {w.xp: "abc", w.tp: w.T})


@row("graph-feed-unknown-name", "graph", TypeError, "feed_dict key", "nope:0")
def _(w):
    return lambda: w.sess.run(w.train, {"nope:0": w.X, w.tp: w.T})


@row("graph-fetch-other-graph", "graph", ValueError, "Fetch argument", "not an element")
def _(w):
    other = tf.Graph()
    with other.as_default():
        c = tf.constant(1.0)
    return lambda: w.sess.run(c)


@row("graph-uninitialized-variable", "graph", tf.errors.FailedPreconditionError, "'fresh'")
def _(w):
    with w.g.as_default():
        v = tf.Variable(np.ones(2, np.float32), name="fresh")
    return lambda: w.sess.run(v)


@row("graph-train-fails-at-run-time", "graph", ShapeError, "sub", "(4, 2)", "(5, 2)")
def _(w):
    # both batches fit their placeholders' (None, k) shapes; they only clash when run
    return lambda: w.sess.run(w.train, {w.xp: w.X, w.tp: np.ones((5, 2), np.float32)})


@row("graph-train-kernel-fails-midway", "graph", MemoryError, "simulated")
def _(w):
    real = U.adam_
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # W updated (in the effect's copy), then b fails
            raise MemoryError("simulated failure in the second update")
        return real(*args, **kwargs)

    def run():
        U.adam_ = flaky
        try:
            w.sess.run(w.train, w.feed)
        finally:
            U.adam_ = real

    return run


@row("graph-check-numerics", "graph", tf.errors.InvalidArgumentError, "input batch", "NaN", "x:0")
def _(w):
    with w.g.as_default():
        checked = tf.check_numerics(w.xp, "input batch")
    bad = w.X.copy()
    bad[1, 2] = np.nan
    return lambda: w.sess.run(checked, {w.xp: bad})


@row("graph-add-check-numerics-ops", "graph", tf.errors.InvalidArgumentError, "Log:0", "NaN")
def _(w):
    with w.g.as_default():
        logged = tf.log(w.y, name="Log")  # the first op that can make a NaN from finite data
        total = tf.reduce_sum(logged) + w.loss
        train = tf.train.GradientDescentOptimizer(0.1).minimize(total)
        check = tf.add_check_numerics_ops()
    return lambda: w.sess.run([train, check], w.feed)


# -- graph: checkpoints --


@row("graph-restore-missing-file", "graph", tf.errors.NotFoundError, "nope")
def _(w):
    with w.g.as_default():
        saver = tf.train.Saver()
    return lambda: saver.restore(w.sess, os.path.join(w.tmp, "nope"))


@row("graph-restore-wrong-shape", "graph", tf.errors.InvalidArgumentError, "'W'", "(2, 2)")
def _(w):
    other = tf.Graph()
    with other.as_default():
        tf.Variable(np.ones((2, 2), np.float32), name="W")
        tf.Variable(np.ones(2, np.float32), name="b")
        s = tf.Session(graph=other)
        s.run(tf.global_variables_initializer())
        prefix = tf.train.Saver().save(s, os.path.join(w.tmp, "small"))
    with w.g.as_default():
        saver = tf.train.Saver([w.W, w.b])
    return lambda: saver.restore(w.sess, prefix)


@row("graph-restore-missing-key", "graph", tf.errors.NotFoundError, "Key b", "onlyW")
def _(w):
    with w.g.as_default():
        prefix = tf.train.Saver([w.W]).save(w.sess, os.path.join(w.tmp, "onlyW"))
        saver = tf.train.Saver([w.W, w.b])
    return lambda: saver.restore(w.sess, prefix)


@row("graph-restore-truncated", "graph", CheckpointError, "truncated or corrupted")
def _(w):
    with w.g.as_default():
        saver = tf.train.Saver()
        prefix = saver.save(w.sess, os.path.join(w.tmp, "full"))
    data = open(prefix + ".npz", "rb").read()
    with open(prefix + ".npz", "wb") as f:
        f.write(data[: len(data) * 2 // 3])
    return lambda: saver.restore(w.sess, prefix)


@row("graph-load-torch-untransposed", "graph", ValueError, "'weight'", "'W'", "(3, 2)", "(2, 3)")
def _(w):
    path = os.path.join(w.tmp, "lin.pt")
    torch.save(nn.Linear(3, 2).state_dict(), path)
    # the (out, in) weight needs transposed("W"): loading it as-is must be refused
    mapping = {"weight": "W", "bias": "b"}
    return lambda: graph_interop.load_torch_state_dict(w.sess, path, mapping)


# -- malformed checkpoint headers (well-formed zips whose structure text is wrong) --


def _crafted(folder: str, name: str, header, **arrays) -> str:
    """An .npz holding `header` as its structure text (JSON) and the given arrays."""
    import json

    path = os.path.join(folder, name)
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        np.savez(f, __tree__=np.frombuffer(text, np.uint8), **arrays)
    return path


@row("eager-load-header-json-list", "eager", CheckpointError, "hdr.pt", "JSON list")
def _(w):
    path = _crafted(w.tmp, "hdr.pt", ["duograd-checkpoint", 1])
    return lambda: w.model.load_state_dict(torch.load(path))


@row("eager-load-header-version-text", "eager", CheckpointError, "ver.pt", "version 'x'")
def _(w):
    path = _crafted(w.tmp, "ver.pt", {"format": "duograd-checkpoint", "version": "x", "tree": 1})
    return lambda: w.model.load_state_dict(torch.load(path))


@row("graph-restore-header-no-tree", "graph", CheckpointError, "notree.npz", "'tree'")
def _(w):
    _crafted(w.tmp, "notree.npz", {"format": "duograd-checkpoint", "version": 1})
    with w.g.as_default():
        saver = tf.train.Saver()
    return lambda: saver.restore(w.sess, os.path.join(w.tmp, "notree"))


@row("graph-restore-header-missing-array", "graph", CheckpointError, "noarr.npz", "array 3")
def _(w):
    tree = {"__dict__": [["variables", {"__dict__": [["W", {"__array__": 3}]]}]]}
    header = {"format": "duograd-checkpoint", "version": 1, "tree": tree}
    _crafted(w.tmp, "noarr.npz", header, a0=np.zeros(2, np.float32))
    with w.g.as_default():
        saver = tf.train.Saver()
    return lambda: saver.restore(w.sess, os.path.join(w.tmp, "noarr"))


# -- edges: indices, extents, degenerate inputs and messages naming the user's op (issue 25) --


@row("eager-embedding-negative-index", "eager", IndexError, "embedding", "-1", "[0, 10)")
def _(w):
    return lambda: nn.Embedding(10, 3)(torch.tensor([-1]))


@row("eager-gather-negative-index", "eager", IndexError, "gather", "-1", "dimension 0")
def _(w):
    return lambda: torch.gather(w.w, 0, torch.tensor([[-1, 0, 0]]))


@row("eager-gather-out-of-range", "eager", IndexError, "gather", "holds 9", "size 4")
def _(w):
    return lambda: torch.gather(w.w, 0, torch.tensor([[9, 0, 0]]))


@row("eager-index-select-negative", "eager", IndexError, "index_select", "-1", "[0, 4)")
def _(w):
    return lambda: torch.index_select(w.w, 0, torch.tensor([-1]))


@row("eager-narrow-past-the-end", "eager", IndexError, "narrow", "start 2", "length 5", "size 4")
def _(w):
    return lambda: torch.ones(4).narrow(0, 2, 5)


@row("eager-split-sizes", "eager", RuntimeError, "split_with_sizes", "[1, 2]", "sum exactly to 4")
def _(w):
    return lambda: torch.ones(4).split([1, 2])


@row("eager-chunk-zero", "eager", RuntimeError, "chunk", "greater than 0", "got 0")
def _(w):
    return lambda: torch.ones(4).chunk(0)


@row("eager-bce-input-outside-0-1", "eager", RuntimeError, "binary_cross_entropy", "1.5")
def _(w):
    return lambda: F.binary_cross_entropy(torch.tensor([1.5]), torch.tensor([1.0]))


@row("eager-one-hot-empty-no-classes", "eager", RuntimeError, "one_hot", "empty", "num_classes")
def _(w):
    return lambda: F.one_hot(torch.tensor([], dtype=torch.int64))


@row("eager-arange-wrong-direction", "eager", RuntimeError, "arange", "start=10", "end=0")
def _(w):
    return lambda: torch.arange(10, 0)


@row("eager-view-transposed", "eager", RuntimeError, "view", "stride", "reshape")
def _(w):
    return lambda: torch.ones(2, 3).t().view(6)


@row("eager-cross-entropy-0d", "eager", IndexError, "cross_entropy", "0-d", "(N, C")
def _(w):
    return lambda: F.cross_entropy(torch.tensor(1.0), torch.tensor(0))


@row("eager-squeeze-dim-range", "eager", IndexError, "squeeze", "dim 4", "2-D", "[-2, 1]")
def _(w):
    return lambda: torch.ones(2, 3).squeeze(4)


@row("eager-zeros-negative-size", "eager", RuntimeError, "zeros", "-1", ">= 0")
def _(w):
    return lambda: torch.zeros(-1, 2)


@row("eager-zeros-huge", "eager", MemoryError, "zeros", "4611686018427387904", "smaller size")
def _(w):
    return lambda: torch.zeros(2**62)


@row("eager-batchnorm-channels", "eager", ValueError, "BatchNorm2d(3)", "4 channels", "expected 3")
def _(w):
    return lambda: nn.BatchNorm2d(3)(torch.ones(2, 4, 2, 2))


@row("eager-mv-size", "eager", RuntimeError, "mv", "(2, 3)", "(4,)")
def _(w):
    return lambda: torch.mv(torch.ones(2, 3), torch.ones(4))


@row("eager-dot-size", "eager", RuntimeError, "dot", "[3]", "[4]")
def _(w):
    return lambda: torch.dot(torch.ones(3), torch.ones(4))


@row("eager-randint-low-high", "eager", RuntimeError, "randint", "low=5", "high=2")
def _(w):
    return lambda: torch.randint(5, 2, (3,))


@row("graph-gather-negative-index", "graph", IndexError, "gather", "-1", "[0, 3)")
def _(w):
    with w.g.as_default():
        return lambda: tf.gather(w.W, [-1])


@row("graph-embedding-lookup-negative", "graph", IndexError, "gather", "-1", "[0, 3)")
def _(w):
    with w.g.as_default():
        return lambda: tf.nn.embedding_lookup(w.W, [-1])


@row("graph-gather-fed-out-of-range", "graph", IndexError, "gather", "3", "'GatherV2'")
def _(w):
    with w.g.as_default():
        ids = tf.placeholder(tf.int64, [None])
        out = tf.gather(w.W, ids)
    return lambda: w.sess.run(out, {ids: np.array([0, 3])})


@row("graph-slice-past-the-end", "graph", IndexError, "slice", "start 2", "length 2", "size 3")
def _(w):
    with w.g.as_default():
        return lambda: tf.slice(tf.zeros((3, 4)), [2, 0], [2, 4])


@row("graph-range-zero-step", "graph", ValueError, "range", "step must be nonzero")
def _(w):
    with w.g.as_default():
        return lambda: tf.range(0, 10, 0)


@row("graph-zeros-negative-size", "graph", ValueError, "zeros", "-1", ">= 0")
def _(w):
    with w.g.as_default():
        return lambda: tf.zeros((-1, 2))


@row("eager-permute-duplicate-dims", "eager", RuntimeError, "permute", "duplicate", "(0, 0)")
def _(w):
    return lambda: w.w.permute(0, 0)


@row("eager-expand-negative-size", "eager", RuntimeError, "expand", "-2", "(2, -2)")
def _(w):
    return lambda: w.w[0].expand(2, -2)


@row("eager-expand-leading-minus-one", "eager", RuntimeError, "expand", "-1", "leading")
def _(w):
    return lambda: w.w[0].expand(-1, -1)


@row("eager-repeat-negative-count", "eager", RuntimeError, "repeat", "-1", ">= 0")
def _(w):
    return lambda: w.w.repeat(-1, 1)


@row("eager-masked-fill-mask-shape", "eager", RuntimeError, "masked_fill", "(2,)", "(4, 3)")
def _(w):
    return lambda: w.w.masked_fill(torch.tensor([True, False]), 0.0)


@row("eager-permute-dim-range", "eager", IndexError, "permute", "dim 2", "2-D")
def _(w):
    return lambda: w.w.permute(0, 2)


@row("graph-gather-nd-negative-component", "graph", IndexError, "gather_nd", "[..., 1]", "-1")
def _(w):
    # [1, -1] would land on a valid flat entry (row 0, column 1): it must be refused
    with w.g.as_default():
        return lambda: tf.gather_nd(w.W, [[1, -1]])


@row("graph-gather-nd-fed-out-of-range", "graph", IndexError, "gather_nd", "3", "'nd_ids'")
def _(w):
    with w.g.as_default():
        ids = tf.placeholder(tf.int32, [None, 2], name="nd_ids")
        out = tf.gather_nd(w.W, ids)
    return lambda: w.sess.run(out, {ids: np.array([[0, 0], [3, 1]])})


@row("graph-segment-id-too-large", "graph", IndexError, "unsorted_segment_sum", "holds 5")
def _(w):
    with w.g.as_default():
        return lambda: tf.unsorted_segment_sum(w.W, [0, 5, 1], 3)


@row("graph-reshape-fed-negative-size", "graph", ValueError, "reshape", "(-2, 3)", "'shape'")
def _(w):
    with w.g.as_default():
        shape = tf.placeholder(tf.int32, [2], name="shape")
        out = tf.reshape(w.W, shape)
    return lambda: w.sess.run(out, {shape: np.array([-2, 3])})


@row("graph-split-axis-range", "graph", IndexError, "split", "axis 2", "2-D")
def _(w):
    with w.g.as_default():
        return lambda: tf.split(w.W, 1, axis=2)


@row("graph-split-zero-parts", "graph", ValueError, "split", "num_or_size_splits", "positive")
def _(w):
    with w.g.as_default():
        return lambda: tf.split(w.W, 0)


@row("graph-tile-negative-multiple", "graph", ValueError, "tile", "multiples[0] = -1")
def _(w):
    with w.g.as_default():
        return lambda: tf.tile(w.W, [-1, 1])


@row("graph-gather-fed-names-placeholder", "graph", IndexError, "gather", "-1", "'gather_ids'")
def _(w):
    with w.g.as_default():
        ids = tf.placeholder(tf.int64, [None], name="gather_ids")
        out = tf.gather(w.W, ids)
    return lambda: w.sess.run(out, {ids: np.array([0, -1])})


@row("graph-slice-fed-past-the-end", "graph", tf.errors.InvalidArgumentError, "slice",
     "start 2 + length 2", "size 3", "'slice_in'")  # fmt: skip
def _(w):
    with w.g.as_default():
        x = tf.placeholder(tf.float32, [None, 2], name="slice_in")
        out = tf.slice(x, [2, 0], [2, 2])
    return lambda: w.sess.run(out, {x: np.zeros((3, 2), np.float32)})


@row("graph-split-fed-sizes-short", "graph", tf.errors.InvalidArgumentError, "split", "[1, 1]",
     "sum exactly to 3")  # fmt: skip
def _(w):
    with w.g.as_default():
        x = tf.placeholder(tf.float32, [None])
        parts = tf.split(x, [1, 1])
    return lambda: w.sess.run(parts, {x: np.zeros(3, np.float32)})


@row("graph-split-rest-of-unknown-length", "graph", ValueError, "split", "-1", "no static length")
def _(w):
    with w.g.as_default():
        x = tf.placeholder(tf.float32, [None])
        return lambda: tf.split(x, [1, -1])


@row("graph-sparse-xent-label-rank", "graph", ValueError,
     "sparse_softmax_cross_entropy_with_logits", "rank 0", "(3,)")  # fmt: skip
def _(w):
    with w.g.as_default():
        return lambda: tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.constant([0, 1, 2]), logits=tf.zeros(3)
        )


@row("eager-narrow-negative-length", "eager", RuntimeError, "narrow", "length -1")
def _(w):
    return lambda: torch.ones(4).narrow(0, 2, -1)


@row("eager-gather-index-past-the-end", "eager", RuntimeError, "gather", "index holds 4")
def _(w):
    return lambda: torch.gather(w.w, 0, torch.tensor([[4, 0, 0]]))


@row("eager-size-index-out-of-range", "eager", IndexError, "shape: dimension 2", "2 dims")
def _(w):
    return lambda: w.w.shape[2]


@row("eager-one-hot-class-too-large", "eager", RuntimeError, "one_hot", "smaller than num_classes")
def _(w):
    return lambda: F.one_hot(torch.tensor([0, 3]), 3)


@row("graph-one-hot-negative-depth", "graph", ValueError, "one_hot", "depth", "-1")
def _(w):
    with w.g.as_default():
        return lambda: tf.one_hot([1, 0], -1)


@row("graph-sparse-xent-integer-logits", "graph", TypeError,
     "sparse_softmax_cross_entropy_with_logits", "must be float32 or float64", "int32")  # fmt: skip
def _(w):
    with w.g.as_default():
        return lambda: tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.constant([0, 1]), logits=tf.zeros((2, 3), tf.int32)
        )


# ---- found by tests/edges/test_fuzz_every_public_name.py (every public operation) -------------


@row("eager-scatter-index-runtime", "eager", RuntimeError, "scatter", "index holds 3")
def _(w):
    return lambda: torch.zeros(3).scatter(0, torch.tensor([3]), torch.ones(1))


@row("eager-index-fill-past-the-end", "eager", IndexError, "index_fill", "index holds 5")
def _(w):
    return lambda: torch.zeros(3).index_fill(0, torch.tensor([5]), 1.0)


@row("eager-movedim-out-of-range", "eager", IndexError, "movedim", "destination 5")
def _(w):
    return lambda: w.w.movedim(0, 5)


@row("eager-diagonal-dim-out-of-range", "eager", IndexError, "diagonal", "dim2 5")
def _(w):
    return lambda: w.w.diagonal(0, 0, 5)


@row("eager-flip-dim-out-of-range", "eager", IndexError, "flip", "dims 5")
def _(w):
    return lambda: w.w.flip(5)


@row("eager-unbind-dim-out-of-range", "eager", IndexError, "unbind", "dim 4")
def _(w):
    return lambda: w.w.unbind(4)


@row("eager-cumsum-dim-out-of-range", "eager", IndexError, "cumsum", "dim 5")
def _(w):
    return lambda: w.w.cumsum(5)


@row("eager-outer-of-matrices", "eager", RuntimeError, "outer", "Expected 1-D")
def _(w):
    return lambda: torch.outer(w.w, w.w)


@row("eager-meshgrid-nothing", "eager", RuntimeError, "meshgrid", "non-empty")
def _(w):
    return lambda: torch.meshgrid()


@row("eager-dropout2d-p-above-one", "eager", ValueError, "dropout2d", "between 0 and 1")
def _(w):
    return lambda: F.dropout2d(torch.ones(2, 3, 4), 2.0)


@row("eager-new-ones-negative-size", "eager", ValueError, "new_ones", "negative dimension -3")
def _(w):
    return lambda: w.w.new_ones(-3)


@row("eager-multinomial-negative-count", "eager", RuntimeError, "multinomial", "n_sample")
def _(w):
    return lambda: torch.multinomial(torch.ones(3), -1)


@row("eager-histogram-huge-bins", "eager", RuntimeError, "histogram", "bins")
def _(w):
    return lambda: torch.histogram(torch.ones(3), 2**62)


@row("eager-argsort-dim-out-of-range", "eager", IndexError, "argsort", "dim 5")
def _(w):
    return lambda: torch.argsort(w.w, 5)


@row("eager-searchsorted-0d-boundaries", "eager", RuntimeError, "searchsorted", "1 dimension")
def _(w):
    return lambda: torch.searchsorted(torch.tensor(1.0), torch.ones(2))


@row("eager-addmv-names-addmv", "eager", RuntimeError, "addmv", "mv: expects")
def _(w):
    return lambda: torch.addmv(w.w, w.w, w.w)


@row("eager-max-pool1d-names-itself", "eager", RuntimeError, "max_pool1d", "2-D (unbatched)")
def _(w):
    return lambda: F.max_pool1d(torch.ones(4), 2)  # (a 2-D input is one unbatched sample)


@row("graph-reverse-axis-out-of-range", "graph", ValueError, "reverse", "axis 5")
def _(w):
    with w.g.as_default():
        return lambda: tf.reverse(tf.ones((2, 3)), [5])


@row("graph-unstack-axis-out-of-range", "graph", ValueError, "unstack", "axis 5")
def _(w):
    with w.g.as_default():
        return lambda: tf.unstack(tf.ones((2, 3)), axis=5)


@row("graph-repeat-axis-out-of-range", "graph", ValueError, "repeat", "axis 2")
def _(w):
    with w.g.as_default():
        return lambda: tf.repeat(tf.ones((2, 3)), 2, axis=2)


@row("graph-pad-negative", "graph", ValueError, "pad", "non-negative")
def _(w):
    with w.g.as_default():
        return lambda: tf.pad(tf.ones((2, 3)), [[-1, 0], [0, 0]])


@row("graph-sort-scalar", "graph", ValueError, "sort", "rank >= 1")
def _(w):
    with w.g.as_default():
        return lambda: tf.sort(tf.constant(1.0))


@row("graph-reduce-sum-names-itself", "graph", ValueError, "reduce_sum", "axis 5")
def _(w):
    with w.g.as_default():
        return lambda: tf.reduce_sum(tf.ones((2, 3)), 5)


@row("eager-repeat-interleave-huge-count", "eager", RuntimeError, "repeat_interleave", "too many")
def _(w):
    return lambda: torch.ones(3, 4).repeat_interleave(2**62)  # numpy's repeat crashed here


@row("eager-repeat-interleave-negative", "eager", RuntimeError, "repeat_interleave", "non-negative")
def _(w):
    return lambda: torch.repeat_interleave(torch.ones(3), -1)


@row("eager-svd-integer-input", "eager", RuntimeError, "linalg.svd", "floating point")
def _(w):
    return lambda: torch.linalg.svd(torch.ones(3, 4, dtype=torch.int64))


@row("eager-norm-bool-input", "eager", RuntimeError, "norm", "floating point")
def _(w):
    return lambda: (torch.ones(3, 4) > 0).norm()


@row("eager-prod-axis-of-0d-names-prod", "eager", IndexError, "prod", "axis 3")
def _(w):
    return lambda: torch.prod(torch.tensor(1.5), dim=3)


@row("eager-hardtanh-min-above-max", "eager", ValueError, "hardtanh", "min_val")
def _(w):
    return lambda: F.hardtanh(w.x, min_val=2.0, max_val=1.0)


@row("eager-softshrink-infinite-lambda", "eager", RuntimeError, "softshrink", "lambda")
def _(w):
    return lambda: F.softshrink(w.x, float("inf"))


@row("eager-rrelu-nan-bound", "eager", ValueError, "rrelu", "lower bound")
def _(w):
    return lambda: F.rrelu(w.x, lower=float("nan"))


@row("eager-flip-repeated-dim", "eager", RuntimeError, "flip", "multiple times")
def _(w):
    return lambda: torch.flip(w.x, (0, 0))


@row("eager-diff-negative-order", "eager", RuntimeError, "diff", "non-negative")
def _(w):
    return lambda: w.x.diff(-3)


@row("eager-histc-infinite-range", "eager", RuntimeError, "histc", "not finite")
def _(w):
    return lambda: torch.histc(w.x, max=float("inf"))


@row("eager-remainder-integer-zero", "eager", RuntimeError, "remainder", "ZeroDivisionError")
def _(w):
    return lambda: torch.remainder(torch.ones(3, dtype=torch.int64), 0)  # was Python's own type


@row("eager-sub-infinite-alpha-on-ints", "eager", RuntimeError, "sub_", "must not be a floating")
def _(w):
    x = torch.ones(3, dtype=torch.int64)
    return lambda: x.sub_(x, alpha=-float("inf"))  # was an OverflowError


@row("eager-std-of-integers", "eager", RuntimeError, "std", "floating point")
def _(w):
    return lambda: torch.std(torch.ones(3, 4, dtype=torch.int64))


@row("eager-take-along-dim-negative", "eager", RuntimeError, "take_along_dim", "index -1")
def _(w):
    return lambda: torch.take_along_dim(w.x, torch.tensor([-1, 0]))


@row("eager-histc-of-nan-data", "eager", RuntimeError, "histc", "not finite")
def _(w):
    return lambda: torch.histc(torch.tensor([1.0, float("nan")]))


@row("graph-cumsum-of-scalar", "graph", ValueError, "cumsum", "rank 1")
def _(w):
    with w.g.as_default():
        return lambda: tf.cumsum(tf.constant(1.5))  # was ZeroDivisionError


@row("graph-tensordot-axis-of-scalar", "graph", ValueError, "tensordot", "scalar")
def _(w):
    with w.g.as_default():
        return lambda: tf.tensordot(tf.ones((4,)), tf.constant(1.5), (0, 1))


@row("graph-matrix-band-part-too-wide", "graph", ValueError, "matrix_band_part", "num_lower")
def _(w):
    with w.g.as_default():
        return lambda: tf.matrix_band_part(tf.ones((3, 4)), 7, -1)


@row("graph-composed-op-run-time-error-names-it", "graph", tf.errors.InvalidArgumentError,
     "multiply_no_nan", "MulNoNan/")  # fmt: skip
def _(w):
    with w.g.as_default():
        a = tf.placeholder(tf.float32, [None, None], name="a")
        b = tf.placeholder(tf.float32, [None, None], name="b")
        out = tf.math.multiply_no_nan(a, b)  # a where inside: its node failed, unnamed before
    return lambda: w.sess.run(out, {a: np.ones((3, 4), np.float32), b: np.ones((2, 4), np.float32)})


@row("graph-relu-layer-run-time-error-names-it", "graph", tf.errors.InvalidArgumentError,
     "relu_layer", "matmul")  # fmt: skip
def _(w):
    with w.g.as_default():
        x = tf.placeholder(tf.float32, [None, None], name="rx")
        out = tf.nn.relu_layer(x, tf.ones((3, 4)), tf.zeros((4,)))
    return lambda: w.sess.run(out, {x: np.ones((3, 4), np.float32)})


@row("eager-sub-of-bools", "eager", RuntimeError, "sub", "bool")
def _(w):
    return lambda: (o(3) > 0) - (o(3) > 0)


@row("eager-inplace-int-result-into-bool", "eager", RuntimeError, "mul_", "Bool")
def _(w):
    return lambda: (o(3) > 0).mul_(2)


@row("eager-max-unpool-negative-index", "eager", ValueError, "max_unpool1d", "-1", "[0, 4)")
def _(w):
    # the offending index is named, not the largest one
    return lambda: torch.nn.functional.max_unpool1d(o(1, 1, 2), torch.tensor([[[3, -1]]]), 2)


WORLDS = {"eager": EagerWorld, "graph": GraphWorld}


def test_the_catalogue_is_large_and_covers_both_styles():
    assert len(ROWS) == 177  # the real size: a row lost by a bad merge or refactor fails here
    assert len({r.id for r in ROWS}) == len(ROWS)
    assert sum(r.style == "eager" for r in ROWS) >= 15
    assert sum(r.style == "graph" for r in ROWS) >= 15


@pytest.mark.parametrize("case", ROWS, ids=[r.id for r in ROWS])
def test_bad_input_fails_clearly_and_changes_nothing(case: Row, tmp_path):
    world = WORLDS[case.style](str(tmp_path))
    attempt = case.make(world)
    before = world.snapshot()
    if case.exc is None:
        with world.context(), pytest.warns(case.warning) as record:
            attempt()
        message = " | ".join(str(r.message) for r in record)
    else:
        with world.context(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. numpy's NaN warnings on the way to the error
            with pytest.raises(case.exc) as info:
                attempt()
        message = str(info.value)
    for fragment in case.fragments:
        assert fragment in message, f"{fragment!r} missing from: {message}"
    after = world.snapshot()
    assert after.keys() == before.keys()
    changed = [k for k in before if not _same(before[k], after[k])]
    assert not changed, f"state changed by a failed call: {changed}"
