"""Whole tutorial-style programs in each anchor's everyday style, as a user would write them.

Each program trains on small synthetic data and must learn (its loss falls). Where the same
program is written in both styles from the same starting weights and the same batches, the two
runs must agree bit for bit: every loss and every final weight.
"""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.eager.nn as nn
import duograd.frontends.eager.nn.functional as F
import duograd.frontends.graph as tf
import numpy as np
from duograd.frontends.eager.utils.data import DataLoader, TensorDataset

N_IN, N_HIDDEN, N_CLASSES = 16, 32, 4


def _blobs(n: int = 120, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Four Gaussian blobs in 16 dimensions: float32 features, int64 labels."""
    rng = np.random.RandomState(seed)
    centres = rng.randn(N_CLASSES, N_IN).astype(np.float32) * 2
    y = rng.randint(0, N_CLASSES, n).astype(np.int64)
    x = (centres[y] + rng.randn(n, N_IN)).astype(np.float32)
    return x, y


def _init(seed: int = 1) -> list[np.ndarray]:
    """(out, in) weights and biases of a 16-32-4 MLP, as nn.Linear stores them."""
    rng = np.random.RandomState(seed)
    return [
        (rng.randn(N_HIDDEN, N_IN) * 0.2).astype(np.float32),
        np.zeros(N_HIDDEN, np.float32),
        (rng.randn(N_CLASSES, N_HIDDEN) * 0.2).astype(np.float32),
        np.zeros(N_CLASSES, np.float32),
    ]


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


# --- 1. MLP classifier: nn.Module + DataLoader + CrossEntropyLoss / placeholders + feed_dict ---


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()  # noqa: UP008 (the tutorials' spelling)
        self.fc1 = nn.Linear(N_IN, N_HIDDEN)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(N_HIDDEN, N_CLASSES)

    def forward(self, x):
        return self.fc2(self.relu(self.fc1(x)))


def mlp_eager(epochs: int = 5, batch_size: int = 20):
    x, y = _blobs()
    model = Net()
    with torch.no_grad():
        for p, v in zip(model.parameters(), _init(), strict=True):
            p.copy_(torch.from_numpy(v))
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loader = DataLoader(
        TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=batch_size
    )
    losses = []
    for _epoch in range(epochs):
        for images, labels in loader:
            outputs = model(images)
            loss = criterion(outputs, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    with torch.no_grad():
        _, predicted = torch.max(model(torch.from_numpy(x)).data, 1)
        accuracy = (predicted == torch.from_numpy(y)).sum().item() / len(y)
    return losses, [p.detach().numpy().copy() for p in model.parameters()], accuracy


def mlp_graph(epochs: int = 5, batch_size: int = 20):
    x_data, y_data = _blobs()
    w1_init, b1_init, w2_init, b2_init = _init()
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, N_IN])
        y = tf.placeholder(tf.int64, [None])
        w1 = tf.Variable(w1_init, name="w1")
        b1 = tf.Variable(b1_init, name="b1")
        w2 = tf.Variable(w2_init, name="w2")
        b2 = tf.Variable(b2_init, name="b2")
        hidden = tf.nn.relu(tf.matmul(x, w1, transpose_b=True) + b1)
        logits = tf.matmul(hidden, w2, transpose_b=True) + b2
        cost = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        )
        train_op = tf.train.GradientDescentOptimizer(0.1).minimize(cost)
        correct = tf.equal(tf.argmax(logits, 1), y)
        accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))
        losses = []
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _epoch in range(epochs):
                for start in range(0, len(x_data), batch_size):
                    feed = {
                        x: x_data[start : start + batch_size],
                        y: y_data[start : start + batch_size],
                    }
                    _, c = sess.run([train_op, cost], feed_dict=feed)
                    losses.append(float(c))
            acc = accuracy.eval({x: x_data, y: y_data})
            params = sess.run([w1, b1, w2, b2])
    return losses, params, float(acc)


def test_mlp_classifier_learns_and_both_styles_agree_bitwise():
    eager_losses, eager_params, eager_acc = mlp_eager()
    graph_losses, graph_params, graph_acc = mlp_graph()
    assert np.mean(eager_losses[-6:]) < 0.5 * np.mean(eager_losses[:6])
    assert eager_acc > 0.9
    assert eager_losses == graph_losses
    assert all(_same(a, b) for a, b in zip(eager_params, graph_params, strict=True))
    assert eager_acc == graph_acc


# --- 2. Polynomial regression with hand-written updates (no optimizer object) ---


def _poly_data():
    x = np.linspace(-1.0, 1.0, 64, dtype=np.float32)
    y = (0.5 - 1.5 * x + 2.0 * x**3).astype(np.float32)
    return x, y


def poly_eager(steps: int = 300, lr: float = 0.4):
    x_np, y_np = _poly_data()
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    features = torch.stack([x**i for i in range(1, 4)], 1)
    w = torch.zeros(3, 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    losses = []
    for _ in range(steps):
        y_pred = features.mm(w).squeeze(1) + b
        loss = (y_pred - y).pow(2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
            w.grad = None
            b.grad.zero_()
        losses.append(loss.item())
    return losses, w.detach().numpy().copy(), b.detach().numpy().copy()


def poly_graph(steps: int = 300, lr: float = 0.4):
    x_np, y_np = _poly_data()
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None])
        y = tf.placeholder(tf.float32, [None])
        features = tf.stack([x**i for i in range(1, 4)], 1)
        w = tf.Variable(tf.zeros([3, 1]))
        b = tf.Variable(tf.zeros([1]))
        y_pred = tf.squeeze(tf.matmul(features, w), 1) + b
        loss = tf.reduce_mean(tf.pow(y_pred - y, 2))
        grad_w, grad_b = tf.gradients(loss, [w, b])
        new_w = w.assign(w - lr * grad_w)
        new_b = b.assign(b - lr * grad_b)
        losses = []
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(steps):
                value, _, _ = sess.run([loss, new_w, new_b], feed_dict={x: x_np, y: y_np})
                losses.append(float(value))
            return losses, sess.run(w), sess.run(b)


def test_polynomial_regression_with_manual_updates_agrees_bitwise():
    eager_losses, we, be = poly_eager()
    graph_losses, wg, bg = poly_graph()
    assert eager_losses[-1] < 0.001 * eager_losses[0]
    assert eager_losses == graph_losses
    assert _same(we, wg) and _same(be, bg)


# --- 3. A VAE in the PyTorch style: reparameterisation, BCE summed, KL term ---


class VAE(nn.Module):
    def __init__(self, image_size=64, h_dim=32, z_dim=4):
        super(VAE, self).__init__()  # noqa: UP008 (the tutorials' spelling)
        self.fc1 = nn.Linear(image_size, h_dim)
        self.fc2 = nn.Linear(h_dim, z_dim)
        self.fc3 = nn.Linear(h_dim, z_dim)
        self.fc4 = nn.Linear(z_dim, h_dim)
        self.fc5 = nn.Linear(h_dim, image_size)

    def encode(self, x):
        h = F.relu(self.fc1(x))
        return self.fc2(h), self.fc3(h)

    def reparameterize(self, mu, log_var):
        std = torch.exp(log_var / 2)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        return torch.sigmoid(self.fc5(F.relu(self.fc4(z))))

    def forward(self, x):
        mu, log_var = self.encode(x)
        return self.decode(self.reparameterize(mu, log_var)), mu, log_var


def test_vae_in_pytorch_style_learns():
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    prototypes = (rng.rand(4, 64) > 0.5).astype(np.float32)
    images = prototypes[rng.randint(0, 4, 256)]
    loader = DataLoader(TensorDataset(torch.from_numpy(images)), batch_size=32, shuffle=True)
    model = VAE()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    epoch_losses = []
    for _epoch in range(8):
        total = 0.0
        for (x,) in loader:
            x_reconst, mu, log_var = model(x)
            reconst_loss = F.binary_cross_entropy(x_reconst, x, reduction="sum")
            kl_div = -0.5 * torch.sum(1 + log_var - mu.pow(2) - log_var.exp())
            loss = reconst_loss + kl_div
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        epoch_losses.append(total / len(images))
    assert epoch_losses[-1] < 0.6 * epoch_losses[0]
    with torch.no_grad():
        sample = model.decode(torch.randn(8, 4))
    assert tuple(sample.shape) == (8, 64)


# --- 4. A TF1 GAN: variable_scope reuse, tf.layers, scoped get_collection, two optimizers ---


def test_tf1_gan_with_scoped_variables_trains_each_net_on_its_own_variables():
    tf.set_random_seed(0)
    rng = np.random.RandomState(0)
    real = (rng.randn(512, 2) * 0.1 + [1.0, -1.0]).astype(np.float32)

    def generator(z, reuse=False):
        with tf.variable_scope("Generator", reuse=reuse):
            h = tf.layers.dense(z, 16, activation=tf.nn.relu)
            return tf.layers.dense(h, 2)

    def discriminator(x, reuse=False):
        with tf.variable_scope("Discriminator", reuse=reuse):
            h = tf.layers.dense(x, 16, activation=tf.nn.relu)
            return tf.layers.dense(h, 1)

    with tf.Graph().as_default():
        z = tf.placeholder(tf.float32, [None, 4])
        x = tf.placeholder(tf.float32, [None, 2])
        fake = generator(z)
        d_real = discriminator(x)
        d_fake = discriminator(fake, reuse=True)
        bce = tf.nn.sigmoid_cross_entropy_with_logits
        d_loss = tf.reduce_mean(bce(labels=tf.ones_like(d_real), logits=d_real)) + tf.reduce_mean(
            bce(labels=tf.zeros_like(d_fake), logits=d_fake)
        )
        g_loss = tf.reduce_mean(bce(labels=tf.ones_like(d_fake), logits=d_fake))
        g_vars = tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES, scope="Generator")
        d_vars = tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES, scope="Discriminator")
        assert len(g_vars) == 4 and len(d_vars) == 4
        assert len(tf.trainable_variables()) == 8  # reuse=True made no new variables
        train_d = tf.train.AdamOptimizer(0.01).minimize(d_loss, var_list=d_vars)
        train_g = tf.train.AdamOptimizer(0.01).minimize(g_loss, var_list=g_vars)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            z0 = rng.uniform(-1, 1, [256, 4]).astype(np.float32)
            start_gap = np.abs(sess.run(fake, {z: z0}).mean(0) - real.mean(0)).sum()
            g_before = sess.run(g_vars)
            sess.run(train_d, {x: real[:64], z: z0[:64]})
            # the discriminator's step leaves the generator's variables alone
            assert all(_same(a, b) for a, b in zip(g_before, sess.run(g_vars), strict=True))
            for i in range(300):
                batch = real[(i * 64) % 512 : (i * 64) % 512 + 64]
                noise = rng.uniform(-1, 1, [64, 4]).astype(np.float32)
                sess.run(train_d, {x: batch, z: noise})
                sess.run(train_g, {z: noise})
            end_gap = np.abs(sess.run(fake, {z: z0}).mean(0) - real.mean(0)).sum()
    assert end_gap < 0.6 * start_gap


# --- 5. TF1 save, restore in a new session, resume: the same as never stopping ---


def _saver_program(tmp_path, stop_after: int | None, steps: int = 40):
    x_data, y_data = _blobs()
    w1_init, b1_init, w2_init, b2_init = _init()
    with tf.Graph().as_default():
        x = tf.placeholder("float", [None, N_IN])
        y = tf.placeholder("float", [None, N_CLASSES])
        weights = {
            "h1": tf.Variable(w1_init.T.copy()),
            "out": tf.Variable(w2_init.T.copy()),
        }
        biases = {"b1": tf.Variable(b1_init), "out": tf.Variable(b2_init)}
        layer_1 = tf.nn.relu(tf.add(tf.matmul(x, weights["h1"]), biases["b1"]))
        pred = tf.matmul(layer_1, weights["out"]) + biases["out"]
        cost = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(logits=pred, labels=y))
        optimizer = tf.train.AdamOptimizer(learning_rate=0.01).minimize(cost)
        init = tf.global_variables_initializer()
        saver = tf.train.Saver()
        onehot = np.eye(N_CLASSES, dtype=np.float32)[y_data]
        feeds = [
            {x: x_data[i % 6 * 20 : i % 6 * 20 + 20], y: onehot[i % 6 * 20 : i % 6 * 20 + 20]}
            for i in range(steps)
        ]
        path = str(tmp_path / "model.ckpt")
        costs = []
        first = steps if stop_after is None else stop_after
        with tf.Session() as sess:
            sess.run(init)
            for feed in feeds[:first]:
                costs.append(float(sess.run([optimizer, cost], feed_dict=feed)[1]))
            save_path = saver.save(sess, path)
            if stop_after is None:
                return costs, sess.run(weights["h1"])
        with tf.Session() as sess:
            sess.run(init)
            saver.restore(sess, save_path)
            for feed in feeds[first:]:
                costs.append(float(sess.run([optimizer, cost], feed_dict=feed)[1]))
            return costs, sess.run(weights["h1"])


def test_tf1_save_restore_resume_matches_uninterrupted_training(tmp_path):
    straight, w_straight = _saver_program(tmp_path / "a", None)
    resumed, w_resumed = _saver_program(tmp_path / "b", 15)
    assert straight[-1] < 0.5 * straight[0]
    # Saver keeps Adam's slots and beta powers too, so resuming changes nothing
    assert straight == resumed
    assert _same(w_straight, w_resumed)
