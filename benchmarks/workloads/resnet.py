"""ResNet-8 at real image sizes: a training step (batch 128, 32x32x3), batch-1 inference, peak RSS.

The network: a 3x3 stem (16 channels), three stages of one basic block each (two 3x3 convs with
BatchNorm and ReLU) at 16/32/64 channels, stride-2 downsampling with 1x1 projection shortcuts
(conv + BatchNorm), global average pool and a linear layer; SGD with momentum 0.9. The eager
program is PyTorch's idiom (NCHW, nn.Conv2d(bias=False)/BatchNorm2d/AdaptiveAvgPool2d); the graph
program is TF1's (NHWC, tf.nn.conv2d with explicit padding, tf.nn.fused_batch_norm in training
and tf.nn.batch_normalization with fixed statistics at inference, tf.reduce_mean over H and W).
Both start from the same weights, so the parity column compares them bit for bit. Peak memory
runs each column in a fresh process (so numba's, numpy's and the peers' allocations all count)
and reads its peak RSS.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys

import numpy as np

from .. import peers
from ..programs import Stepper, both, session
from ..workload import Case, Workload

LR, MOMENTUM, EPS = 0.05, 0.9, 1e-5
SIZE, BATCH, CLASSES = 32, 128, 10
WIDTHS = (16, 32, 64)
STEPS_FOR_MEMORY = 3


def convs() -> list[tuple[str, int, int, int, int]]:
    """(name, in channels, out channels, kernel, stride) of every conv, in parameter order."""
    out = [("stem", 3, WIDTHS[0], 3, 1)]
    cin = WIDTHS[0]
    for i, w in enumerate(WIDTHS):
        s = 1 if i == 0 else 2
        out += [(f"s{i}a", cin, w, 3, s), (f"s{i}b", w, w, 3, 1)]
        if s != 1 or cin != w:
            out.append((f"s{i}p", cin, w, 1, s))
        cin = w
    return out


def init_params(seed: int = 8) -> dict[str, np.ndarray]:
    """Deterministic float32 weights: OIHW conv kernels, BN gamma/beta, the linear layer."""
    rng = np.random.default_rng(seed)
    p: dict[str, np.ndarray] = {}
    for name, cin, cout, k, _ in convs():
        fan = cin * k * k
        p[name] = (rng.standard_normal((cout, cin, k, k)) * np.sqrt(2.0 / fan)).astype(np.float32)
        p[name + ".g"] = rng.uniform(0.8, 1.2, cout).astype(np.float32)
        p[name + ".b"] = rng.uniform(-0.1, 0.1, cout).astype(np.float32)
    p["fc.w"] = (rng.uniform(-1, 1, (CLASSES, WIDTHS[-1])) / 8).astype(np.float32)
    p["fc.b"] = np.zeros(CLASSES, np.float32)
    return p


def batch(n: int, seed: int = 9) -> tuple[np.ndarray, np.ndarray]:
    """NCHW float32 images in [0, 1) and int64 labels."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (n, 3, SIZE, SIZE)).astype(np.float32)
    return x, rng.integers(0, CLASSES, n).astype(np.int64)


# ---- eager (PyTorch idiom) ---------------------------------------------------------------------


def eager_model(torch, params: dict[str, np.ndarray]):
    """The ResNet-8 as an nn.Module of `torch` (ours or real), loaded with `params`."""
    nn = torch.nn

    def conv_bn(name, cin, cout, k, s):
        return nn.Sequential(
            nn.Conv2d(cin, cout, k, stride=s, padding=k // 2, bias=False), nn.BatchNorm2d(cout)
        )

    class Block(nn.Module):
        def __init__(self, i, cin, cout, s):
            super().__init__()
            self.a = conv_bn(f"s{i}a", cin, cout, 3, s)
            self.b = conv_bn(f"s{i}b", cout, cout, 3, 1)
            self.proj = conv_bn(f"s{i}p", cin, cout, 1, s) if (s != 1 or cin != cout) else None
            self.relu = nn.ReLU()

        def forward(self, x):
            h = self.b(self.relu(self.a(x)))
            return self.relu(h + (x if self.proj is None else self.proj(x)))

    class ResNet8(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = conv_bn("stem", 3, WIDTHS[0], 3, 1)
            blocks, cin = [], WIDTHS[0]
            for i, w in enumerate(WIDTHS):
                blocks.append(Block(i, cin, w, 1 if i == 0 else 2))
                cin = w
            self.blocks = nn.Sequential(*blocks)
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(WIDTHS[-1], CLASSES)

        def forward(self, x):
            h = self.blocks(torch.relu(self.stem(x)))
            return self.fc(torch.flatten(self.pool(h), 1))

    model = ResNet8()
    mods = {"stem": model.stem}
    for i, blk in enumerate(model.blocks):
        mods[f"s{i}a"], mods[f"s{i}b"] = blk.a, blk.b
        if blk.proj is not None:
            mods[f"s{i}p"] = blk.proj
    with torch.no_grad():
        for name, seq in mods.items():
            seq[0].weight.copy_(torch.from_numpy(params[name].copy()))
            seq[1].weight.copy_(torch.from_numpy(params[name + ".g"].copy()))
            seq[1].bias.copy_(torch.from_numpy(params[name + ".b"].copy()))
        model.fc.weight.copy_(torch.from_numpy(params["fc.w"].copy()))
        model.fc.bias.copy_(torch.from_numpy(params["fc.b"].copy()))
    return model, mods


def _eager_read(model, mods) -> list[np.ndarray]:
    out = []
    for seq in mods.values():
        out += [seq[0].weight, seq[1].weight, seq[1].bias]
    out += [model.fc.weight, model.fc.bias]
    return [t.detach().numpy().copy() for t in out]


def _eager_train(torch):
    params = init_params()
    x, y = batch(BATCH)
    model, mods = eager_model(torch, params)
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    loss_fn = torch.nn.CrossEntropyLoss()
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(tx), ty)
        loss.backward()
        opt.step()

    def final():
        step()
        return _eager_read(model, mods)

    return Stepper(step, final)


def _eager_infer(torch):
    model, _ = eager_model(torch, init_params())
    model.eval()
    tx = torch.from_numpy(batch(1)[0])

    def step():
        with torch.no_grad():
            return model(tx).numpy()

    return Stepper(step, step)


# ---- graph (TF1 idiom) -------------------------------------------------------------------------


def graph_logits(tf, x, params: dict[str, np.ndarray], training: bool):
    """Build the ResNet-8 on NHWC `x` with variables from `params`; (logits, [variables])."""
    variables = []

    def var(v):
        variables.append(tf.Variable(v))
        return variables[-1]

    def conv_bn(h, name, k, s):
        w = var(params[name].transpose(2, 3, 1, 0))
        gamma, beta = var(params[name + ".g"]), var(params[name + ".b"])
        pad = [[0, 0], [k // 2, k // 2], [k // 2, k // 2], [0, 0]]
        h = tf.nn.conv2d(h, w, [1, s, s, 1], pad)
        if training:  # TF1's fused training batch norm (one op, as nn.BatchNorm2d)
            return tf.nn.fused_batch_norm(h, gamma, beta, epsilon=EPS, is_training=True)[0]
        # a fresh network's running statistics
        mean, variance = tf.zeros_like(gamma), tf.ones_like(gamma)
        return tf.nn.batch_normalization(h, mean, variance, beta, gamma, EPS)

    h = tf.nn.relu(conv_bn(x, "stem", 3, 1))
    cin = WIDTHS[0]
    for i, w in enumerate(WIDTHS):
        s = 1 if i == 0 else 2
        a = tf.nn.relu(conv_bn(h, f"s{i}a", 3, s))
        b = conv_bn(a, f"s{i}b", 3, 1)
        short = conv_bn(h, f"s{i}p", 1, s) if (s != 1 or cin != w) else h
        h = tf.nn.relu(b + short)
        cin = w
    pooled = tf.reduce_mean(h, [1, 2])
    fw, fb = var(params["fc.w"]), var(params["fc.b"])
    return tf.matmul(pooled, fw, transpose_b=True) + fb, variables


def _graph_read(values: list[np.ndarray]) -> list[np.ndarray]:
    return [v.transpose(3, 2, 0, 1) if v.ndim == 4 else v for v in values]


def _graph_train(tf):
    params = init_params()
    x, y = batch(BATCH)
    graph, sess = session(tf)
    with graph.as_default():
        px = tf.placeholder(tf.float32, [None, SIZE, SIZE, 3])
        py = tf.placeholder(tf.int64, [None])
        logits, variables = graph_logits(tf, px, params, training=True)
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=py, logits=logits)
        )
        train = tf.train.MomentumOptimizer(LR, MOMENTUM).minimize(loss)
        sess.run(tf.global_variables_initializer())
    feed = {px: np.ascontiguousarray(x.transpose(0, 2, 3, 1)), py: y}

    def step():
        sess.run(train, feed_dict=feed)

    def final():
        step()
        return _graph_read(sess.run(variables))

    return Stepper(step, final)


def _graph_infer(tf):
    params = init_params()
    x = np.ascontiguousarray(batch(1)[0].transpose(0, 2, 3, 1))
    graph, sess = session(tf)
    with graph.as_default():
        px = tf.placeholder(tf.float32, [None, SIZE, SIZE, 3])
        logits, _ = graph_logits(tf, px, params, training=False)
        sess.run(tf.global_variables_initializer())

    def step():
        return sess.run(logits, feed_dict={px: x})

    return Stepper(step, step)


# ---- peak memory: one fresh process per column -------------------------------------------------


def _peer(column: str):
    from .. import programs

    return {
        "eager": programs.eager_module,
        "compiled": programs.eager_module,
        "graph": programs.graph_module,
        "torch": peers.torch,
        "tf1": peers.tf1,
    }[column]()


def peak_rss_mib() -> float:
    """This process's peak resident memory in MiB.

    Linux's VmHWM belongs to the process image, while ru_maxrss survives exec and would report
    the parent's (the bench's) peak in a child it started.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return peak / 1024 if sys.platform == "darwin" else peak  # bytes on macOS, KiB on Linux


def measure_peak(column: str) -> dict:
    """Run in a child process: build the training program, take a few steps, report peak RSS."""
    mod = _peer(column)
    after_import = peak_rss_mib()
    build = _graph_train if column in ("graph", "tf1") else _eager_train
    if column == "compiled":  # the eager training step under torch.compile
        from .. import programs

        step = programs.compiled(_eager_train)
    else:
        step = build(mod)
    for _ in range(STEPS_FOR_MEMORY):
        step()
    return {"peak_rss_mib": round(peak_rss_mib(), 1), "import_rss_mib": round(after_import, 1)}


def _memory(column: str):
    def build():
        code = (
            "import json, sys; from duograd.benchmarks.workloads import resnet; "
            f"print(json.dumps(resnet.measure_peak({column!r})))"
        )
        out = subprocess.run(
            [sys.executable, "-c", code],
            env=dict(os.environ),
            capture_output=True,
            text=True,
            timeout=900,
        )
        if out.returncode != 0:
            lines = out.stderr.strip().splitlines() or ["no output"]
            raise RuntimeError(f"peak-memory child failed: {lines[-1]}")
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        figures["summary"] = (
            f"{figures['peak_rss_mib']:.0f} MiB (import {figures['import_rss_mib']:.0f})"
        )
        case_extra[column] = figures
        return lambda: None

    return build


case_extra: dict = {}


def _flops() -> float:
    total, size = 0, SIZE
    for _, cin, cout, k, s in convs():
        if s == 2 and k == 3:
            size //= 2
        total += 2 * BATCH * size * size * cout * cin * k * k
    return 3.0 * total  # forward + the two backward products


def cases(quick: bool) -> list[Case]:
    """Training step at batch 128, batch-1 inference, and each column's peak RSS."""
    train = Case(
        f"ResNet-8 {SIZE}x{SIZE}x3 SGD-momentum step b={BATCH}",
        both(_graph_train, _eager_train),
        flops=_flops(),
        parity_steps=2,
        settle_s=0.5,
        rounds=5 if quick else 8,
        note="BN in training is TF1's tf.nn.fused_batch_norm (FusedBatchNormV3 in real TF)",
    )
    infer = Case(
        "ResNet-8 forward b=1 (inference, BN running stats)",
        both(_graph_infer, _eager_infer),
        parity_steps=1,
        settle_s=0.2,
    )
    memory = Case(
        f"ResNet-8 peak RSS, {STEPS_FOR_MEMORY} training steps b={BATCH} (fresh process each)",
        {col: _memory(col) for col in both(_graph_train, _eager_train)},
        parity=False,
        rounds=1,
        extra=case_extra,
    )
    return [train, infer, memory]


WORKLOAD = Workload("resnet", "ResNet-8 training step b=128, b=1 inference, peak RSS", cases)
