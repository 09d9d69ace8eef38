"""Index checks of the PyTorch-style indexing ops (gather, scatter, index_add, index_fill,
put_, index_select of a 0-d tensor) run through the record's `index_bounds` guard, not a check
in the frontend: the same check fires in eager, on a graph constant at build and on a fed value
at run time, with the op name the user wrote, and each op accepts or refuses negative indices
as PyTorch does (with PyTorch's error type).
"""

from __future__ import annotations

import inspect

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core import domain
from duograd.core.primitives import REGISTRY
from duograd.core.primitives.bounds import index_bounds
from duograd.frontends.eager import scatter_ops, shaping


def test_the_frontends_hold_no_index_check_of_their_own():
    assert REGISTRY["index_bounds"].checks == (domain.index_bounds,)
    for fn in (shaping.gather, shaping.index_select, scatter_ops._grids, scatter_ops.index_add,
               scatter_ops.index_fill, scatter_ops.put):  # fmt: skip
        src = inspect.getsource(fn)
        assert "check_indices" not in src and "index_bounds(" in src, fn.__name__


X = torch.zeros(3, 4)
# (op call, index, PyTorch's type, the message's words)
EAGER = [
    ("gather", lambda i: torch.gather(X, 0, i.reshape(1, 1)), [-1], RuntimeError,
     ("gather: index holds -1", "dimension 0 of size 3", "negative indices")),
    ("gather-past-end", lambda i: torch.gather(X, 1, i.reshape(1, 1)), [4], RuntimeError,
     ("gather: index holds 4", "dimension 1 of size 4")),
    ("scatter", lambda i: X.scatter(0, i.reshape(1, 1), torch.ones(1, 1)), [3], RuntimeError,
     ("scatter: index holds 3",)),
    ("scatter_add", lambda i: X.scatter_add(0, i.reshape(1, 1), torch.ones(1, 1)), [-1],
     RuntimeError, ("scatter_add: index holds -1",)),
    ("index_add", lambda i: X.index_add(0, i, torch.ones(1, 4)), [-1], IndexError,
     ("index_add: index holds -1",)),
    ("index_fill", lambda i: X.index_fill(0, i, 1.0), [3], IndexError,
     ("index_fill: index holds 3", "[-3, 3)")),
    ("put_", lambda i: torch.zeros(3).put_(i, torch.ones(1)), [3], IndexError,
     ("put_: index holds 3", "[-3, 3)")),
    ("index_select-0d", lambda i: torch.index_select(torch.tensor(1.0), 0, i), [1], IndexError,
     ("index_select: index holds 1",)),
]  # fmt: skip


@pytest.mark.parametrize("case", EAGER, ids=[c[0] for c in EAGER])
def test_eager_index_errors_name_the_op_with_torchs_type(case):
    _, call, index, exc, words = case
    before = X.numpy().copy()
    with pytest.raises(exc) as e:
        call(torch.tensor(index))
    for w in words:
        assert w in str(e.value)
    assert "array(" not in str(e.value)
    np.testing.assert_array_equal(X.numpy(), before)


def test_negative_indices_wrap_where_torch_wraps_them():
    # index_fill and put_ take Python's negatives (PyTorch does); gather and scatter refuse them
    got = torch.zeros(3).put_(torch.tensor([-1]), torch.tensor([5.0]))
    np.testing.assert_array_equal(got.numpy(), [0, 0, 5])
    got = torch.zeros(3, 2).index_fill(0, torch.tensor([-1]), 2.0)
    np.testing.assert_array_equal(got.numpy(), [[0, 0], [0, 0], [2, 2]])


def test_eager_index_results_match_torch():
    real = pytest.importorskip("torch")
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    i = np.array([[2, 0, 1, 1]])
    np.testing.assert_array_equal(
        torch.gather(torch.tensor(x), 0, torch.tensor(i)).numpy(),
        real.gather(real.tensor(x), 0, real.tensor(i)).numpy(),
    )
    for ours, theirs in (
        (torch.zeros(3).put_(torch.tensor([-1, 0]), torch.tensor([5.0, 6.0])),
         real.zeros(3).put_(real.tensor([-1, 0]), real.tensor([5.0, 6.0]))),
        (torch.zeros(3, 2).index_fill(0, torch.tensor([-1]), 2.0),
         real.zeros(3, 2).index_fill(0, real.tensor([-1]), 2.0)),
    ):  # fmt: skip
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    for call in (
        lambda m: m.gather(m.zeros(3), 0, m.tensor([-1])),
        lambda m: m.zeros(3).scatter(0, m.tensor([3]), m.ones(1)),
    ):
        with pytest.raises(RuntimeError):
            call(real)
        with pytest.raises(RuntimeError):
            call(torch)
    for call in (
        lambda m: m.zeros(3).index_fill(0, m.tensor([3]), 1.0),
        lambda m: m.zeros(3).index_add(0, m.tensor([-1]), m.ones(1)),
        lambda m: m.zeros(3).put_(m.tensor([3]), m.ones(1)),
    ):
        with pytest.raises(IndexError):
            call(real)
        with pytest.raises(IndexError):
            call(torch)


def test_the_same_check_fires_at_graph_build_and_on_a_fed_value():
    words = ("gather: index holds -1", "dimension 0 of size 3")
    with pytest.raises(RuntimeError) as e:  # eager
        torch.gather(torch.zeros(3), 0, torch.tensor([-1]))
    for w in words:
        assert w in str(e.value)
    g = tf.Graph()
    with g.as_default():
        with pytest.raises(IndexError) as e:  # a known value: refused when the graph is built
            index_bounds(tf.constant(np.array([-1])), "gather", "index", (3,), dim=0,
                         error="runtime")  # fmt: skip
        for w in words:
            assert w in str(e.value)
        p = tf.placeholder(tf.int64, [None], name="fed_index")
        out = index_bounds(p, "gather", "index", (3,), dim=0, error="runtime")
        with tf.Session() as s:
            with pytest.raises(tf.errors.InvalidArgumentError) as e:  # a fed value: at run
                s.run(out, {p: np.array([-1])})
            assert isinstance(e.value, RuntimeError)
            for w in words:
                assert w in str(e.value)
            assert "fed_index" in str(e.value)
            np.testing.assert_array_equal(s.run(out, {p: np.array([2, 0])}), [2, 0])
