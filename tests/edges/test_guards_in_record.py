"""Extents, one_hot's class values and binary cross entropy's probabilities are checked by the
record (core/primitives/guards.py), so each check fires in eager, on a graph constant at build
and on a fed placeholder at run time; a run-time failure in the graph style is TF's
`tf.errors.InvalidArgumentError` (also the Python type raised before), eager keeps torch's type.
"""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core import domain
from duograd.core.primitives import REGISTRY

F = torch.nn.functional
X = np.arange(12, dtype=np.float32).reshape(3, 4)


def test_the_record_declares_the_guards_checks():
    assert REGISTRY["extent_bounds"].checks == (domain.slice_extents,)
    assert REGISTRY["unit_interval"].checks == (domain.unit_interval,)
    assert REGISTRY["class_values"].checks == (domain.class_values,)


# ---- each check: eager, a graph constant (at build), a fed placeholder (at run) ---------------

EXTENTS = [
    # (id, eager program, graph program, fed value, the message's words, a good fed length)
    ("narrow-slice-past-end", lambda x: x.narrow(0, 2, 2),
     lambda tf, x: tf.slice(x, [2, 0], [2, 4]), X, ("start 2 + length 2", "size 3"), 6),
    ("narrow-slice-start-past-end", lambda x: x.narrow(0, 4, 0),
     lambda tf, x: tf.slice(x, [4, 0], [-1, 4]), X, ("start 4", "size 3"), 6),
    ("split-sizes-short", lambda x: x.split([1, 1]),
     lambda tf, x: tf.split(x, [1, 1]), X, ("[1, 1]", "sum exactly to 3"), 2),
    ("split-sizes-long", lambda x: x.split([2, 2]),
     lambda tf, x: tf.split(x, [2, 2]), X, ("[2, 2]", "sum exactly to 3"), 4),
]  # fmt: skip


@pytest.mark.parametrize("case", EXTENTS, ids=[c[0] for c in EXTENTS])
def test_extent_checks_fire_in_every_style(case):
    _, eager, graph, value, words, good_length = case
    with pytest.raises((RuntimeError, IndexError)) as e:  # torch types (see EAGER_TYPES)
        eager(torch.tensor(value))
    for w in words:
        assert w in str(e.value)
    g = tf.Graph()
    with g.as_default():
        with pytest.raises(IndexError) as e:  # a static shape: refused at build
            graph(tf, tf.constant(value))
        for w in words:
            assert w in str(e.value)
        p = tf.placeholder(tf.float32, [None, 4], name="fed")
        out = graph(tf, p)
        with tf.Session() as s:
            with pytest.raises(tf.errors.InvalidArgumentError) as e:  # at run: TF's type
                s.run(out, {p: value})
            assert isinstance(e.value, IndexError)  # and the type raised before
            for w in words:
                assert w in str(e.value)
            assert "'fed' (None, 4)" in str(e.value)
            good = s.run(out, {p: np.ones((good_length, 4), np.float32)})  # later runs work
            assert np.concatenate([np.reshape(a, -1) for a in np.atleast_1d(good)]).all()


def test_a_fed_extent_error_changes_no_variable():
    g = tf.Graph()
    with g.as_default():
        w = tf.Variable(X, name="w")
        p = tf.placeholder(tf.float32, [None, 4])
        out = tf.slice(p, [1, 0], [2, 4])
        with tf.control_dependencies([out]):
            step = w.assign_add(tf.ones_like(w))
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            with pytest.raises(tf.errors.InvalidArgumentError, match="slice: start 1"):
                s.run([step, out], {p: X[:2]})
            np.testing.assert_array_equal(s.run(w), X)


def test_slice_and_narrow_gradients_pass_through_the_guard_bitwise():
    x = torch.tensor(X, requires_grad=True)
    x.narrow(0, 1, 2).exp().sum().backward()
    g = tf.Graph()
    with g.as_default():
        p = tf.placeholder(tf.float32, [None, 4])
        y = tf.reduce_sum(tf.exp(tf.slice(p, [1, 0], [2, -1])))
        (dx,) = tf.gradients(y, [p])
        with tf.Session() as s:
            got = s.run(dx, {p: X})
    assert got.tobytes() == x.grad.numpy().tobytes()


def test_one_hot_class_values_follow_each_anchor():
    with pytest.raises(
        RuntimeError, match=r"^one_hot: class values must be non-negative, found -1"
    ):
        F.one_hot(torch.tensor([0, -1]), 3)
    with pytest.raises(RuntimeError, match=r"smaller than num_classes \(3\), found 3"):
        F.one_hot(torch.tensor([3]), 3)
    assert F.one_hot(torch.tensor([], dtype=torch.int64), 4).shape == (0, 4)
    with pytest.raises(RuntimeError, match="empty tensor; pass num_classes"):
        F.one_hot(torch.tensor([], dtype=torch.int64))
    # TF's one_hot gives a row of zeros for a label outside [0, depth), fed or constant
    g = tf.Graph()
    with g.as_default():
        p = tf.placeholder(tf.int32, [None])
        y = tf.one_hot(p, 3)
        yc = tf.one_hot(tf.constant([-1, 3, 1]), 3)
        with tf.Session() as s:
            want = np.array([[0, 0, 0], [0, 0, 0], [0, 1, 0]], np.float32)
            np.testing.assert_array_equal(s.run(y, {p: [-1, 3, 1]}), want)
            np.testing.assert_array_equal(s.run(yc), want)


@pytest.mark.parametrize("bad", [1.5, -0.25, float("nan"), float("inf")])
def test_binary_cross_entropy_refuses_probabilities_outside_0_1(bad):
    p = torch.tensor([0.5, bad], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^binary_cross_entropy: all elements of input"):
        F.binary_cross_entropy(p, torch.ones(2))
    assert p.grad is None
    loss = F.binary_cross_entropy(torch.tensor([0.0, 1.0, 0.5]), torch.tensor([0.0, 1.0, 1.0]))
    assert np.isfinite(loss.item())


def test_var_and_std_of_too_few_elements_are_nan_in_both_styles():
    one = np.ones((1, 3), np.float32)
    assert np.isnan(torch.tensor(one).var(0).numpy()).all()
    assert np.isnan(torch.tensor(one).std(0).numpy()).all()
    assert np.isnan(torch.tensor(one[:0]).var(0, unbiased=False).numpy()).all()
    g = tf.Graph()
    with g.as_default():
        p = tf.placeholder(tf.float32, [None, 3])
        v = tf.math.reduce_variance(p, 0)
        with tf.Session() as s:
            assert np.isnan(s.run(v, {p: one[:0]})).all()
            np.testing.assert_array_equal(s.run(v, {p: one}), np.zeros(3, np.float32))


# ---- against the anchors: the same cases in real torch / real TF1 raise the types we do ------


def _tf1():
    tf1 = pytest.importorskip("tensorflow")
    tf1.compat.v1.disable_eager_execution()
    return tf1.compat.v1


RUN_TIME = [
    # (id, program(tf, placeholder), placeholder dtype and shape, the bad fed value)
    ("gather", lambda tf, p: tf.gather(tf.constant(X), p), "int32", [None], [0, 5]),
    ("gather-neg", lambda tf, p: tf.gather(tf.constant(X), p), "int32", [None], [-1]),
    ("slice", lambda tf, p: tf.slice(p, [2, 0], [2, 4]), "float32", [None, 4], X),
    ("slice-begin", lambda tf, p: tf.slice(p, [4, 0], [-1, 4]), "float32", [None, 4], X),
    ("split", lambda tf, p: tf.split(p, [1, 1])[0], "float32", [None, 4], X),
    ("reshape-negative", lambda tf, p: tf.reshape(tf.constant(X), p), "int32", [None], [-2, -6]),
    ("reshape-size", lambda tf, p: tf.reshape(tf.constant(X), p), "int32", [None], [5]),
    ("range-zero-step", lambda tf, p: tf.range(0, 10, p), "int32", [], 0),
    ("range-wrong-sign", lambda tf, p: tf.range(0, 10, p), "int32", [], -1),
    ("gather_nd", lambda tf, p: tf.gather_nd(tf.constant(X), p), "int32", [None, 2], [[0, 4]]),
    ("segment_sum", lambda tf, p: tf.math.unsorted_segment_sum(tf.ones(2), p, 2), "int32",
     [None], [0, 5]),
]  # fmt: skip


def _run(tfm, case):
    _, program, dtype, shape, value = case
    g = tfm.Graph()
    with g.as_default():
        p = tfm.placeholder(getattr(tfm, dtype), shape)
        y = program(tfm, p)
        with tfm.Session() as s:
            try:
                return s.run(y, {p: value})
            except Exception as e:  # noqa: BLE001 - compared by the caller
                return e


@pytest.mark.parametrize("case", RUN_TIME, ids=[c[0] for c in RUN_TIME])
def test_run_time_domain_errors_are_tf_invalid_argument_errors(case):
    theirs = _run(_tf1(), case)
    assert type(theirs).__name__ == "InvalidArgumentError", theirs  # the anchor's type
    mine = _run(tf, case)
    assert isinstance(mine, tf.errors.InvalidArgumentError), repr(mine)
    name = case[0].split("-")[0]
    assert name in str(mine) or name.replace("_", " ") in str(mine), str(mine)
    assert "while running node" in str(mine)


EAGER_TYPES = [
    ("narrow-past-end", lambda t: t.ones(4).narrow(0, 2, 5)),
    ("narrow-negative-length", lambda t: t.ones(4).narrow(0, 2, -1)),
    ("narrow-start-out-of-range", lambda t: t.ones(4).narrow(0, 5, 0)),
    ("split-sizes", lambda t: t.ones(4).split([1, 2])),
    ("one_hot-negative", lambda t: t.nn.functional.one_hot(t.tensor([-1]), 3)),
    ("one_hot-too-large", lambda t: t.nn.functional.one_hot(t.tensor([3]), 3)),
    ("bce-above-one", lambda t: t.nn.functional.binary_cross_entropy(
        t.tensor([1.5]), t.tensor([1.0]))),
    ("gather-out-of-range", lambda t: t.gather(t.ones(3, 2), 0, t.tensor([[3, 0]]))),
]  # fmt: skip


@pytest.mark.parametrize("case", EAGER_TYPES, ids=[c[0] for c in EAGER_TYPES])
def test_eager_domain_errors_are_torch_s_types(case):
    real = pytest.importorskip("torch")
    _, program = case
    with pytest.raises(Exception) as theirs:  # noqa: PT011 - the anchor's type is the answer
        program(real)
    with pytest.raises(type(theirs.value)) as mine:
        program(torch)
    assert not isinstance(mine.value, tf.errors.OpError)
