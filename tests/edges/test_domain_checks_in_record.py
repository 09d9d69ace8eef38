"""Domain checks are a field of the primitive record, applied in one place for both styles.

`Primitive.checks` holds callables of core/domain.py; `bind` and the eager dispatch run them on
every call, the graph runs them when an op is built (on what is known: static dims, constants),
when it folds constants, and on every run (fed values). A frontend that shows the primitive
under another name (embedding, index_select) only renames the error.
"""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core import domain, ops
from duograd.core.primitives import REGISTRY, bind
from duograd.core.primitives.registry import Primitive, register

X = np.arange(12, dtype=np.float32).reshape(3, 4)


def test_the_record_declares_the_checks():
    assert REGISTRY["gather"].checks == (domain.gather_indices,)
    assert REGISTRY["arange"].checks == (domain.range_step,)
    assert all(isinstance(p.checks, tuple) for p in REGISTRY.values())


def test_a_primitive_cannot_declare_checks_its_cached_dispatch_would_skip():
    with pytest.raises(ValueError, match="checks and a cached dispatch"):
        register(
            Primitive(
                "__checked_fast",
                impl=lambda x: x,
                shape_rule=lambda x: None,
                fast=lambda x: x,
                checks=(lambda x: None,),
            )
        )
    assert "__checked_fast" not in REGISTRY


@pytest.mark.parametrize("bad", [-1, 3, 7])
def test_bind_on_arrays_runs_the_check(bad):
    with pytest.raises(IndexError, match=rf"gather: indices holds {bad}, .*size 3"):
        bind(REGISTRY["gather"], X, np.array([0, bad]), axis=0)


def test_eager_ops_show_the_name_the_user_called():
    x = torch.tensor(X)
    with pytest.raises(IndexError, match=r"^index_select: indices holds -1"):
        torch.index_select(x, 0, torch.tensor([-1]))
    torch.manual_seed(0)
    emb = torch.nn.Embedding(10, 3)
    with pytest.raises(IndexError, match=r"^embedding: indices holds -1.*size 10"):
        emb(torch.tensor([-1]))
    with pytest.raises(IndexError, match=r"^gather: indices holds 4"):
        ops.gather(x, np.array([4]), 0)
    with pytest.raises(IndexError, match=r"^gather: indices holds -1"):
        ops.gather(x, [0, -1], 0)  # a Python list is checked as well


def test_eager_keeps_python_semantics_for_plain_indexing():
    x = torch.tensor(X)
    np.testing.assert_array_equal(x[-1].numpy(), X[-1])
    np.testing.assert_array_equal(x[torch.tensor([-1, 0])].numpy(), X[[-1, 0]])


def test_graph_build_checks_constant_indices_and_names_the_op():
    g = tf.Graph()
    with g.as_default():
        c = tf.constant(X)
        with pytest.raises(IndexError, match=r"gather: indices holds -1.*in op 'GatherV2'"):
            tf.gather(c, tf.constant([-1]))
        with pytest.raises(IndexError, match=r"gather: indices holds 3"):
            tf.gather(c, [3])
        with pytest.raises(ValueError, match=r"range: step must be nonzero"):
            tf.range(0, 10, 0)


def test_graph_run_checks_fed_indices_names_the_placeholder_and_changes_nothing():
    g = tf.Graph()
    with g.as_default():
        w = tf.Variable(X, name="w")
        idx = tf.placeholder(tf.int32, [None], name="idx")
        out = tf.gather(w, idx)
        with tf.control_dependencies([out]):
            step = w.assign_add(tf.ones_like(w))
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            with pytest.raises(IndexError, match=r"gather: indices holds -2.*'idx' \(None,\)"):
                s.run([step, out], {idx: [0, -2]})
            np.testing.assert_array_equal(s.run(w), X)
            np.testing.assert_array_equal(s.run(out, {idx: [2, 0]}), X[[2, 0]])


def test_graph_fold_never_folds_an_out_of_domain_value():
    g = tf.Graph()
    with g.as_default():
        y = tf.gather(tf.constant(X), tf.identity(tf.constant([9])))
        with tf.Session() as s, pytest.raises(IndexError, match="gather: indices holds 9"):
            s.run(y)


def test_both_styles_raise_the_same_message_for_the_same_bad_indices():
    msgs = []
    try:
        ops.gather(torch.tensor(X), np.array([5]), 0)
    except IndexError as e:
        msgs.append(str(e))
    g = tf.Graph()
    with g.as_default():
        p = tf.placeholder(tf.int64, [1])
        y = tf.gather(tf.constant(X), p)
        with tf.Session() as s:
            try:
                s.run(y, {p: [5]})
            except IndexError as e:
                msgs.append(str(e).split(" (while running")[0])
    assert len(msgs) == 2 and msgs[0] == msgs[1]
