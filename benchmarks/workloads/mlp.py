"""An MLP 784-256-10 training step with SGD at batch 64 and 512, the same math in both styles."""

from __future__ import annotations

import numpy as np

from ..programs import Stepper, both, session
from ..workload import Case, Workload

LR = 0.05


def _init(batch: int):
    rng = np.random.default_rng(batch)
    w1 = (rng.standard_normal((256, 784)) * 0.05).astype(np.float32)  # (out, in) as nn.Linear
    b1 = np.zeros(256, np.float32)
    w2 = (rng.standard_normal((10, 256)) * 0.05).astype(np.float32)
    b2 = np.zeros(10, np.float32)
    x = rng.standard_normal((batch, 784)).astype(np.float32)
    y = rng.integers(0, 10, batch).astype(np.int64)
    return (w1, b1, w2, b2), x, y


def _graph(batch: int):
    params, x, y = _init(batch)

    def build(tf):
        graph, sess = session(tf)
        with graph.as_default():
            px = tf.placeholder(tf.float32, [None, 784])
            py = tf.placeholder(tf.int64, [None])
            w1, b1, w2, b2 = (tf.Variable(p) for p in params)
            # (out, in) weights, as the eager program's nn.Linear keeps them
            h = tf.nn.relu(tf.matmul(px, w1, transpose_b=True) + b1)
            logits = tf.matmul(h, w2, transpose_b=True) + b2
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=py, logits=logits)
            )
            train = tf.train.GradientDescentOptimizer(LR).minimize(loss)
            sess.run(tf.global_variables_initializer())
        feed = {px: x, py: y}
        weights = [w1, b1, w2, b2]

        def step():
            sess.run(train, feed_dict=feed)
            return weights

        def step_and_read():
            step()
            return sess.run(weights)

        return Stepper(step, step_and_read)

    return build


def _eager(batch: int):
    params, x, y = _init(batch)

    def build(torch):
        nn = torch.nn
        model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
        with torch.no_grad():
            for p, v in zip(model.parameters(), params, strict=True):
                p.copy_(torch.from_numpy(v.copy()))
        opt = torch.optim.SGD(model.parameters(), lr=LR)
        loss_fn = nn.CrossEntropyLoss()
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)

        def step():
            opt.zero_grad()
            loss = loss_fn(model(tx), ty)
            loss.backward()
            opt.step()
            return loss

        def step_and_read():
            step()
            return [p.detach().numpy().copy() for p in model.parameters()]

        return Stepper(step, step_and_read)

    return build


def cases(quick: bool) -> list[Case]:
    """Batch 64 and 512."""
    out = []
    for batch in (64, 512):
        flops = 2 * 3 * batch * (784 * 256 + 256 * 10)  # forward + two backward matmuls each
        out.append(
            Case(
                f"784-256-10 SGD step b={batch}",
                both(_graph(batch), _eager(batch)),
                flops=flops,
                parity_steps=3,
            )
        )
    return out


WORKLOAD = Workload("mlp", "an MLP 784-256-10 SGD training step at batch 64 and 512", cases)
