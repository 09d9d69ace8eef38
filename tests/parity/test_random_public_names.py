"""Every random primitive of the record, drawn through the public names of both styles.

The every-primitive parity test binds primitives directly; draws without tensor inputs cannot
become graph nodes that way. Here each random primitive in the record has a pair of public
calls (eager, graph) that reach it, and the two must give the same bits from the same seed. A
new random primitive fails `test_every_random_primitive_has_a_public_pair` until it gets one.
"""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core.primitives import REGISTRY

F = torch.nn.functional
X = np.random.default_rng(0).standard_normal((6, 7)).astype(np.float32)


def _glorot(tf, x):
    return tf.get_variable("w", [4, 5], initializer=tf.glorot_uniform_initializer())


# primitive -> (eager program of x, graph program of (tf, x), placeholder shape)
PAIRS = {
    "random_normal": (lambda x: torch.randn(3, 4), lambda tf, x: tf.random_normal([3, 4]), None),
    "random_uniform": (lambda x: torch.rand(3, 4), lambda tf, x: tf.random_uniform([3, 4]), None),
    "truncated_normal": (
        lambda x: torch.nn.init.trunc_normal_(torch.empty(3, 4), 0.5, 0.25, 0.0, 1.0),
        lambda tf, x: tf.truncated_normal([3, 4], 0.5, 0.25),
        None,
    ),
    "random_integers": (
        lambda x: torch.randint(0, 10, (3, 4), dtype=torch.int32),
        lambda tf, x: tf.random_uniform([3, 4], 0, 10, dtype=tf.int32),
        None,
    ),
    "dropout_mask_like": (
        lambda x: F.dropout(x, 0.3),
        lambda tf, x: tf.nn.dropout(x, keep_prob=0.7),
        X.shape,
    ),
    "dropout_mask_dynamic": (
        lambda x: F.dropout(x, 0.3),
        lambda tf, x: tf.nn.dropout(x, rate=0.3),
        (None, None),
    ),
    "attention_dropout_mask": (
        lambda x: F.scaled_dot_product_attention(x[None], x[None], x[None], dropout_p=0.3),
        lambda tf, x: tf.attention.scaled_dot_product_attention(
            x[None], x[None], x[None], dropout=0.3, training=True, need_weights=False
        )[0],
        X.shape,
    ),
    "random_normal_dynamic": (
        lambda x: torch.randn_like(x),
        lambda tf, x: tf.random_normal(tf.shape(x)),
        (None, None),
    ),
    "random_uniform_dynamic": (
        lambda x: torch.rand_like(x),
        lambda tf, x: tf.random_uniform(tf.shape(x)),
        (None, None),
    ),
    "random_gamma": (
        lambda x: torch.distributions.Gamma(torch.full((4,), 2.5), torch.full((4,), 2.0)).sample(
            (3,)
        ),
        lambda tf, x: tf.distributions.Gamma(np.full(4, 2.5, np.float32), 2.0).sample(3),
        None,
    ),
    "init_draw": (
        # torch's weight is (out, in), TF's (in, out); both fill their draws in row-major order
        lambda x: torch.nn.init.xavier_uniform_(torch.empty(5, 4)).reshape(4, 5),
        _glorot,
        None,
    ),
}


def _eager(program, seed: int) -> np.ndarray:
    torch.manual_seed(seed)
    return program(torch.tensor(X)).detach().numpy().copy()


def _graph(program, shape, seed: int) -> np.ndarray:
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, shape if shape is not None else X.shape)
        out = program(tf, x)
        with tf.Session() as sess:
            tf.set_random_seed(seed)  # the initializer and the fetch draw after this
            sess.run(tf.global_variables_initializer())
            return sess.run(out, {x: X})


def test_every_random_primitive_has_a_public_pair():
    random_prims = {name for name, prim in REGISTRY.items() if prim.random}
    assert random_prims == set(PAIRS), (
        f"random primitives without a public pair here: {sorted(random_prims - set(PAIRS))}"
    )


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_public_names_draw_the_same_bits(name):
    eager_program, graph_program, shape = PAIRS[name]
    eager, graph = _eager(eager_program, 11), _graph(graph_program, shape, 11)
    assert eager.dtype == graph.dtype and eager.shape == graph.shape
    assert eager.tobytes() == graph.tobytes()
    assert np.unique(eager).size > 1
    assert not np.array_equal(_eager(eager_program, 12), eager), "another seed, the same draw"


def test_trunc_normal_keeps_torch_absolute_bounds():
    torch.manual_seed(0)
    w = torch.nn.init.trunc_normal_(torch.empty(4000), mean=1.0, std=1.0, a=0.5, b=3.0).numpy()
    assert w.min() >= 0.5 and w.max() <= 3.0
    torch.manual_seed(0)
    vit = torch.nn.init.trunc_normal_(torch.empty(4000), std=0.02).numpy()  # a=-2, b=2: no cut
    assert 0.018 < vit.std() < 0.022
    with pytest.raises(ValueError, match="trunc_normal_.*mass"):
        torch.nn.init.trunc_normal_(torch.empty(3), std=1.0, a=10.0, b=11.0)
