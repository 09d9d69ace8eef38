"""CNN training steps (conv-relu-pool x2, dense, softmax cross-entropy, SGD), both styles.

The eager program is PyTorch's idiom (NCHW, nn.Conv2d/MaxPool2d/Linear); the graph program is
TF1's (NHWC, tf.nn.conv2d/bias_add/max_pool on variables), transposing to NCHW before
flattening so the dense layer sees PyTorch's (C, H, W) order. Both start from the same weights,
so the parity column compares them bit for bit; real PyTorch and TF1 run the same programs.
"""

from __future__ import annotations

import numpy as np

from ..programs import Stepper, both, session
from ..workload import Case, Workload

LR = 0.05

# (name, image size, channels in, conv1 / conv2 filters, kernel, batch)
SHAPES = {
    "digits": (8, 1, 16, 32, 3, 64),
    "mnist": (28, 1, 32, 64, 5, 32),
}


def _init(shape: str):
    size, cin, c1, c2, k, batch = SHAPES[shape]
    rng = np.random.default_rng(size)
    flat = c2 * (size // 4) ** 2

    def u(s, fan_in):
        return (rng.uniform(-1, 1, s) / np.sqrt(fan_in)).astype(np.float32)

    params = [u((c1, cin, k, k), cin * k * k), u((c1,), cin * k * k),
              u((c2, c1, k, k), c1 * k * k), u((c2,), c1 * k * k),
              u((10, flat), flat), u((10,), flat)]  # fmt: skip
    x = rng.uniform(0, 1, (batch, cin, size, size)).astype(np.float32)
    y = rng.integers(0, 10, batch).astype(np.int64)
    return params, x, y


def _graph(shape: str):
    params, x, y = _init(shape)
    size, cin, c1, c2, k, batch = SHAPES[shape]

    def build(tf):
        graph, sess = session(tf)
        with graph.as_default():
            px = tf.placeholder(tf.float32, [None, size, size, cin])
            py = tf.placeholder(tf.int64, [None])
            hwio = [p.transpose(2, 3, 1, 0) if p.ndim == 4 else p for p in params]
            variables = [tf.Variable(p) for p in hwio]
            k1, b1, k2, b2, w, b = variables
            h = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(px, k1, [1, 1, 1, 1], "SAME"), b1))
            h = tf.nn.max_pool(h, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
            h = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(h, k2, [1, 1, 1, 1], "SAME"), b2))
            h = tf.nn.max_pool(h, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
            h = tf.reshape(tf.transpose(h, [0, 3, 1, 2]), [-1, c2 * (size // 4) ** 2])
            logits = tf.matmul(h, w, transpose_b=True) + b
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=py, logits=logits)
            )
            train = tf.train.GradientDescentOptimizer(LR).minimize(loss)
            sess.run(tf.global_variables_initializer())
        feed = {px: x.transpose(0, 2, 3, 1), py: y}

        def step():
            sess.run(train, feed_dict=feed)

        def step_and_read():
            step()
            vals = sess.run(variables)
            return [v.transpose(3, 2, 0, 1) if v.ndim == 4 else v for v in vals]

        return Stepper(step, step_and_read)

    return build


def _eager(shape: str):
    params, x, y = _init(shape)
    size, cin, c1, c2, k, batch = SHAPES[shape]

    def build(torch):
        nn = torch.nn
        model = nn.Sequential(
            nn.Conv2d(cin, c1, k, padding=k // 2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, k, padding=k // 2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(c2 * (size // 4) ** 2, 10),
        )  # fmt: skip
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

        def step_and_read():
            step()
            return [p.detach().numpy().copy() for p in model.parameters()]

        return Stepper(step, step_and_read)

    return build


def _flops(shape: str) -> float:
    size, cin, c1, c2, k, batch = SHAPES[shape]
    conv1 = 2 * batch * size * size * c1 * cin * k * k
    conv2 = 2 * batch * (size // 2) ** 2 * c2 * c1 * k * k
    dense = 2 * batch * c2 * (size // 4) ** 2 * 10
    return 3 * (conv1 + conv2 + dense)  # forward + two backward products each


def cases(quick: bool) -> list[Case]:
    """The digits-sized CNN (8x8, batch 64) and an MNIST-sized one (28x28, batch 32)."""
    shapes = ["digits"] if quick else list(SHAPES)
    out = []
    for s in shapes:
        size, cin, c1, c2, k, batch = SHAPES[s]
        name = f"CNN {size}x{size} conv{k}x{k} {c1}/{c2} SGD step b={batch}"
        out.append(Case(name, both(_graph(s), _eager(s)), flops=_flops(s), parity_steps=3))
    return out


WORKLOAD = Workload(
    "cnn", "CNN training steps: conv-relu-pool x2 + dense, SGD (digits- and MNIST-sized)", cases
)
