"""Static parameter checks in one place: a dim / axis out of range is refused by the record's
shape rules (`rules.normalize_axis` / `normalize_axes`, run by `bind` and by graph build) with
one message for both styles, as `domain.DomainAxisError`: an IndexError for PyTorch-style code
and a ValueError (ShapeError) for TF-style code. The eager frontends' own dim checks of
unsqueeze, cat and stack are gone; the record's error carries the name the user called.
"""

from __future__ import annotations

import inspect

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core import domain
from duograd.core.errors import ShapeError
from duograd.frontends.eager import shaping

X = np.ones((2, 3), np.float32)

# (eager call, its name, graph call, its name, the words both messages share)
CASES = [
    (lambda t: t.unsqueeze(5), "unsqueeze", lambda c: tf.expand_dims(c, 5), "expand_dims",
     "axis 5 is out of range for a 3-D tensor (expected to be in range of [-3, 2])"),
    (lambda t: torch.cat([t, t], 4), "cat", lambda c: tf.concat([c, c], 4), "concat",
     "axis 4 is out of range for a 2-D tensor (expected to be in range of [-2, 1])"),
    (lambda t: torch.stack([t, t], -4), "stack", lambda c: tf.stack([c, c], -4), "stack",
     "axis -4 is out of range for a 3-D tensor (expected to be in range of [-3, 2])"),
    (lambda t: t.sum(2), "sum", lambda c: tf.reduce_sum(c, 2), "reduce_sum",
     "axis 2 is out of range for a 2-D tensor (expected to be in range of [-2, 1])"),
    (lambda t: torch.softmax(t, 3), "softmax", lambda c: tf.nn.softmax(c, 3), "softmax",
     "axis 3 is out of range for a 2-D tensor (expected to be in range of [-2, 1])"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c[1] for c in CASES])
def test_a_dim_out_of_range_has_one_message_in_both_styles(case):
    eager, eager_name, graph, graph_name, words = case
    with pytest.raises(IndexError) as e:  # PyTorch's type
        eager(torch.tensor(X))
    assert isinstance(e.value, domain.DomainAxisError)
    assert str(e.value).startswith(f"{eager_name}: ")
    assert words in str(e.value)
    g = tf.Graph()
    with g.as_default():
        with pytest.raises(ValueError) as e:  # TF's type, at graph build
            graph(tf.constant(X))
    assert isinstance(e.value, (domain.DomainAxisError, ShapeError))
    assert str(e.value).startswith(f"{graph_name}: ")
    assert words in str(e.value)
    assert len(g.nodes) == 1  # only the constant: a refused op adds nothing


def test_the_checks_live_in_the_record_not_the_frontend():
    for fn in (shaping.unsqueeze, shaping.cat, shaping.stack):
        src = inspect.getsource(fn)
        assert "check_dim" not in src and "domain.as_op" in src, fn.__name__
    from duograd.core.primitives import rules

    with pytest.raises(domain.DomainAxisError, match="expand_dims: axis 4"):
        rules.normalize_axis("expand_dims", 4, 3)
    with pytest.raises(domain.DomainAxisError, match="sum: axis -3"):
        rules.normalize_axes("sum", (-3,), 2)


def test_in_range_dims_still_work_and_match_torch():
    real = pytest.importorskip("torch")
    t, r = torch.tensor(X), real.tensor(X)
    for ours, theirs in (
        (t.unsqueeze(-1), r.unsqueeze(-1)),
        (torch.cat([t, t], -1), real.cat([r, r], -1)),
        (torch.stack([t, t], -3), real.stack([r, r], -3)),
    ):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    for call in (lambda m, x: x.unsqueeze(3), lambda m, x: m.cat([x, x], 2),
                 lambda m, x: m.stack([x, x], 3)):  # fmt: skip
        with pytest.raises(IndexError):
            call(real, r)
        with pytest.raises(IndexError):
            call(torch, t)
