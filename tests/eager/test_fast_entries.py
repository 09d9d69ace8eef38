"""The direct entries of torch.matmul and torch.sum give the general path's bits and errors.

`dispatch.matmul_function` and `dispatch.full_reduction` hand two matrices (or a full
reduction) straight to the tensors' bind hook; the general path they skip is the wrapped
function (``__wrapped__``), run here on the same operands.
"""

from __future__ import annotations

import duograd.frontends.eager as torch
import numpy as np
import pytest
from duograd.core import ops
from duograd.frontends.eager import functions, reductions


def _bits(t) -> tuple:
    a = t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)
    return a.shape, a.dtype, a.tobytes()


def _leaf(arr, grad=True):
    return torch.tensor(arr, requires_grad=grad)


def _both(fn, slow, *arrays, grad=True, **kw):
    """(value bits, grad bits) of fn and of slow on fresh leaves holding the same arrays."""
    out = []
    for f in (fn, slow):
        leaves = [_leaf(a, grad and a.dtype.kind == "f") for a in arrays]
        y = f(*leaves, **kw)
        grads = []
        if grad and y.requires_grad:
            (y * y).sum().backward()
            grads = [_bits(t.grad) for t in leaves if t.grad is not None]
        out.append((_bits(y), grads))
    return out


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("shapes", [((4, 4), (4, 4)), ((3, 7), (7, 2)), ((1, 5), (5, 1))])
def test_matmul_entry_matches_the_general_path(shapes, dt):
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(s).astype(dt) for s in shapes)
    fast, slow = _both(torch.matmul, functions.matmul.__wrapped__, a, b)
    assert fast == slow
    fast, slow = _both(torch.matmul, functions.matmul.__wrapped__, a, b, grad=False)
    assert fast == slow


def test_matmul_entry_leaves_other_operands_to_the_general_path():
    rng = np.random.default_rng(1)
    a = torch.tensor(rng.standard_normal((2, 3, 4)).astype(np.float32))
    m = torch.tensor(rng.standard_normal((4, 5)).astype(np.float32))
    v = torch.tensor(rng.standard_normal(4).astype(np.float32))
    d = torch.tensor(rng.standard_normal((4, 5)))  # float64: refused by the general path
    slow = functions.matmul.__wrapped__
    for x, y in ((a, m), (m.T, v), (v, m), (a, m.numpy())):
        assert _bits(torch.matmul(x, y)) == _bits(slow(x, y))
    # mixed float dtypes: PyTorch refuses them; the entry hands them on, the same error results
    with pytest.raises(RuntimeError) as fast:
        torch.matmul(m.T, d)
    with pytest.raises(RuntimeError) as general:
        slow(m.T, d)
    assert str(fast.value) == str(general.value)
    assert "same dtype" in str(fast.value)


def test_matmul_entry_errors_are_the_general_paths():
    a = torch.ones(2, 3)
    b = torch.ones(4, 2)
    messages = []
    for f in (torch.matmul, functions.matmul.__wrapped__):
        with pytest.raises(ValueError) as e:
            f(a, b)
        messages.append(str(e.value))
    assert messages[0] == messages[1] and "(3 vs 4)" in messages[0]
    with pytest.raises(TypeError):
        torch.matmul(torch.ones(2, 2, dtype=torch.int64), torch.ones(2, 2, dtype=torch.int64))


def test_matmul_entry_is_checked_in_anomaly_mode():
    a = torch.tensor([[np.inf, 0.0], [1.0, 1.0]])
    b = torch.tensor([[0.0, 1.0], [1.0, 1.0]])
    with torch.autograd.set_detect_anomaly(True):
        with pytest.raises(RuntimeError, match="'matmul' returned nan"):
            torch.matmul(a, b)  # inf * 0: recorded or not, the result is checked
        with pytest.raises(RuntimeError, match="'matmul' returned nan"):
            torch.matmul(a.requires_grad_(), b)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize(
    "arr",
    [
        np.linspace(-3, 3, 16, dtype=np.float32).reshape(4, 4),
        np.linspace(-3, 3, 300).reshape(3, 10, 10),
        np.float32(2.5) * np.ones((), np.float32),
        np.arange(12, dtype=np.int32).reshape(3, 4),
        np.array([True, False, True]),
    ],
    ids=["f32", "f64-3d", "0d", "int32", "bool"],
)
def test_sum_entry_matches_the_general_path(arr, keepdim):
    slow = reductions.sum.__wrapped__
    fast, ref = _both(torch.sum, slow, arr, keepdim=keepdim)
    assert fast == ref
    t = torch.tensor(arr)
    assert _bits(t.sum(keepdim=keepdim)) == _bits(slow(t, keepdim=keepdim))


def test_sum_entry_leaves_dims_and_dtypes_to_the_general_path():
    t = torch.tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    slow = reductions.sum.__wrapped__
    assert _bits(torch.sum(t, 1)) == _bits(slow(t, 1))
    assert _bits(torch.sum(t, dtype=torch.float64)) == _bits(slow(t, dtype=torch.float64))
    assert _bits(torch.sum(t, keepdim=1)) == _bits(slow(t, keepdim=1))
    assert _bits(torch.sum(t.numpy())) == _bits(slow(t.numpy()))


def test_label_range_check_gives_the_checked_paths_bits_and_errors():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((8, 5)).astype(np.float32)
    labels = np.array([0, 4, 1, 1, 4, 0, 4, 1])  # no 2: ignore_index=2 is in range but absent
    F = torch.nn.functional
    results = []
    for ignore_index in (-100, 2):  # the range check alone, then the full checks
        logits = torch.tensor(x, requires_grad=True)
        loss = F.cross_entropy(logits, torch.tensor(labels), ignore_index=ignore_index)
        loss.backward()
        results.append((_bits(loss), _bits(logits.grad)))
    assert results[0] == results[1]
    logits = torch.tensor(x)
    for bad, fragment in (([0, 5], "Target 5 is out of bounds"), ([-1, 0], "Target -1")):
        with pytest.raises(IndexError, match=fragment):
            F.cross_entropy(logits[:2], torch.tensor(np.array(bad)))
    with pytest.raises(ValueError, match=r"expected target of shape \(8,\) for input of shape"):
        F.cross_entropy(logits, torch.tensor(labels[:3]))


@pytest.mark.parametrize(
    "sa,sb", [((4, 4), (4, 4)), ((70, 70), (70, 70)), ((3, 4), (4,)), ((1,), (5, 1)), ((), (2,))]
)
def test_operator_table_entries_match_the_dispatcher(sa, sb):
    # small same-size operands hit a flat kernel entry, the others the general entry
    rng = np.random.default_rng(5)
    a = rng.standard_normal(sa).astype(np.float32)
    b = rng.standard_normal(sb).astype(np.float32)
    ta, tb = torch.tensor(a), torch.tensor(b)
    for _ in range(2):  # the second time through the cached entries
        assert _bits(ta * tb) == _bits(ops.mul(a, b))
        assert _bits(tb - ta) == _bits(ops.sub(b, a))
        assert _bits(2.5 / ta) == _bits(ops.div(np.asarray(2.5, np.float32), a))
        assert _bits(torch.tanh(ta)) == _bits(ops.tanh(a))


def test_operator_shape_errors_are_raised_every_time():
    a, b = torch.ones(2, 3), torch.ones(3, 2)
    for _ in range(2):
        with pytest.raises(ValueError, match="cannot broadcast|broadcast"):
            a + b


def test_sum_entry_is_checked_in_anomaly_mode():
    t = torch.tensor([1.0, float("nan")])
    with torch.autograd.set_detect_anomaly(True):
        with pytest.raises(RuntimeError, match="'sum' returned nan"):
            t.sum()
        with pytest.raises(RuntimeError, match="'sum' returned nan"):
            torch.sum(t.requires_grad_())
    assert torch.sum(t).isnan().item()  # and off again: the direct entry, no check
