"""Start-up: importing each framework, and a new process's first MLP training step.

Each step here is a whole new Python process, timed from outside. "warm cache" runs with the
kernel caches every earlier run filled; "empty cache" points both kernel caches
(DUOGRAD_CACHE_DIR and NUMBA_CACHE_DIR) at a new empty folder for every run, so every kernel the
step needs compiles from scratch.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

from .. import peers
from ..workload import Case, Workload

_MLP_EAGER = """
import numpy as np
import duograd.frontends.eager as torch
nn = torch.nn
model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
x = torch.from_numpy(np.ones((64, 784), np.float32))
y = torch.from_numpy(np.zeros(64, np.int64))
loss = nn.CrossEntropyLoss()(model(x), y)
opt.zero_grad(); loss.backward(); opt.step()
"""

_MLP_GRAPH = """
import numpy as np
import duograd.frontends.graph as tf
x = tf.placeholder(tf.float32, [None, 784]); y = tf.placeholder(tf.int64, [None])
h = tf.layers.dense(x, 256, activation=tf.nn.relu); logits = tf.layers.dense(h, 10)
loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    sess.run(train, {x: np.ones((64, 784), np.float32), y: np.zeros(64, np.int64)})
"""

_MLP_COMPILED = """
import numpy as np
import duograd.frontends.eager as torch
nn = torch.nn
model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
x = torch.from_numpy(np.ones((64, 784), np.float32))
y = torch.from_numpy(np.zeros(64, np.int64))
@torch.compile
def step(x, y):
    loss = nn.CrossEntropyLoss()(model(x), y)
    opt.zero_grad(); loss.backward(); opt.step()
step(x, y)
"""

_MLP_TORCH = _MLP_EAGER.replace("import duograd.frontends.eager as torch", "import torch")


def _process(code: str, empty_cache: bool = False):
    def build():
        def step():
            env = dict(os.environ)
            if empty_cache:
                folder = tempfile.mkdtemp(prefix="duograd-cold-")
                env["DUOGRAD_CACHE_DIR"] = folder
                env["NUMBA_CACHE_DIR"] = os.path.join(folder, "numba")
            out = subprocess.run(
                [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600
            )
            if out.returncode != 0:
                raise RuntimeError(out.stderr.strip().splitlines()[-1])

        return step

    return build


def cases(quick: bool) -> list[Case]:
    """Imports, first step with a warm cache, and (full run only) with an empty cache."""
    imports = {
        "eager": _process("import duograd.frontends.eager"),
        "graph": _process("import duograd.frontends.graph"),
    }
    first = {
        "eager": _process(_MLP_EAGER),
        "compiled": _process(_MLP_COMPILED),
        "graph": _process(_MLP_GRAPH),
    }
    if peers._cache.get("torch") is not None:
        imports["torch"] = _process("import torch")
        first["torch"] = _process(_MLP_TORCH)
    if peers._cache.get("tf1") is not None:
        imports["tf1"] = _process("import tensorflow.compat.v1")
    out = [
        Case(
            "import",
            imports,
            parity=False,
            rounds=5,
            absent={"compiled": "torch.compile comes with the eager import: nothing else to time"},
        ),
        Case("new process: first MLP step, warm cache", first, parity=False, rounds=5),
    ]
    if not quick:
        cold = {
            "eager": _process(_MLP_EAGER, True),
            "compiled": _process(_MLP_COMPILED, True),
            "graph": _process(_MLP_GRAPH, True),
        }
        out.append(Case("new process: first MLP step, empty cache", cold, parity=False, rounds=2))
    return out


WORKLOAD = Workload(
    "startup", "import time and a new process's first training step", cases, in_quick=False
)
