"""Graph breaks split a compiled function: captured segments, Python between, eager's bits."""

from __future__ import annotations

import duograd.frontends.eager as torch
import numpy as np
import pytest
from duograd.frontends.eager.capture import GraphBreak, Read, Segment

RNG = np.random.default_rng(3)


def _bits(*ts) -> tuple:
    return tuple((t.dtype, t.shape, t.tobytes()) for t in (np.asarray(a) for a in ts))


def _run(fn, xa, wa) -> tuple:
    """fn's output and the gradients of x and w, as bytes."""
    x = torch.tensor(xa, requires_grad=True)
    w = torch.tensor(wa, requires_grad=True)
    out = fn(x, w)
    out.sum().backward()
    return _bits(out.detach().numpy(), x.grad.numpy(), w.grad.numpy())


def item_in_middle(x, w):
    y = torch.tanh(x * w)
    s = y.sum().item()  # Python reads a value: the segment ends here
    return torch.sigmoid(y * s + 1.0) * w


def branch_on_value(x, w):
    y = x * w + 0.5
    if y.mean() > 0:  # a branch on a tensor's value
        y = torch.exp(y * 0.1)
    else:
        y = torch.tanh(y) - 1.0
    return y * w


def prints(x, w):
    y = x * w
    print("y is", y)
    return torch.sigmoid(y) + w


@pytest.mark.parametrize("fn", [item_in_middle, branch_on_value, prints])
def test_outputs_and_gradients_bitwise_across_calls_with_changing_values(fn, capsys):
    cf = torch.compile(fn)
    wa = RNG.standard_normal((3, 4)).astype(np.float32)
    for i in range(6):
        xa = RNG.standard_normal((3, 4)).astype(np.float32) * (1.0 if i % 2 else -1.0) + (
            2.0 if i % 2 else -2.0
        )
        assert _run(cf, xa, wa) == _run(fn, xa, wa)
        assert _run(cf, xa, wa) == _run(fn, xa, wa)  # the replay, after the capture
    assert cf.breaks and cf.breaks[0].filename.endswith("test_compile_breaks.py")
    if fn is prints:
        out = capsys.readouterr().out
        assert out.count("y is") == 24  # printed again at every call


def test_branch_replays_each_path_after_one_capture_per_path():
    cf = torch.compile(branch_on_value)
    wa = RNG.standard_normal((3, 4)).astype(np.float32)
    pos = np.full((3, 4), 3.0, np.float32)
    for xa in (pos, -pos, pos, -pos, pos * 2, -pos):
        assert _run(cf, xa, wa) == _run(branch_on_value, xa, wa)
    (entry,) = cf.cache.values()
    # one capture per distinct value read: the value read is the comparison's bool, so
    # `pos * 2` takes the path captured for `pos`
    assert len(entry.programs) == cf.captures == 2
    kinds = [type(s) for s in entry.programs[0].steps]
    assert kinds == [Segment, Read, Segment]


def test_replay_runs_segments_as_plans_not_the_python():
    calls = []

    def fn(x):
        calls.append(1)  # Python outside the reads: runs only at captures
        y = x * 2.0
        if y.sum() > 0:
            return y + 1.0
        return y - 1.0

    cf = torch.compile(fn)
    x = torch.tensor(np.ones((2, 2), np.float32))
    for _ in range(4):
        assert _bits(cf(x).numpy()) == _bits(fn(x).numpy())
    assert cf.captures == 1 and len(calls) == 4 + 1  # 4 eager calls + 1 capture


def test_explain_counts_one_graph_per_segment():
    x = torch.tensor(RNG.standard_normal((3, 4)).astype(np.float32))
    w = torch.tensor(RNG.standard_normal((3, 4)).astype(np.float32))
    rep = torch._dynamo.explain(item_in_middle)(x, w)
    assert rep.graph_count == 2 and rep.graph_break_count == 1
    assert "item()" in str(rep) and "test_compile_breaks.py" in str(rep)
    assert "tanh" in rep.ops_per_graph[0] and "sigmoid" in rep.ops_per_graph[1]


@pytest.mark.parametrize("fn, reason", [(item_in_middle, "item()"), (branch_on_value, "bool")])
def test_fullgraph_still_raises_naming_file_and_line(fn, reason):
    cf = torch.compile(fn, fullgraph=True)
    x = torch.tensor(np.ones((3, 4), np.float32))
    with pytest.raises(GraphBreak, match=r"test_compile_breaks\.py:\d+: .*" + reason[:4]):
        cf(x, x)


def test_read_after_a_random_draw_splits_and_keeps_the_stream():
    def fn(x):
        y = torch.nn.functional.dropout(x, 0.5, training=True)
        return y * 2.0 if y.sum() > 0 else y

    cf = torch.compile(fn)
    x = torch.tensor(np.ones((4, 4), np.float32))
    torch.manual_seed(1)
    got = [cf(x).numpy().copy() for _ in range(3)] + [torch.rand(3).numpy()]
    torch.manual_seed(1)
    want = [fn(x).numpy().copy() for _ in range(3)] + [torch.rand(3).numpy()]
    assert _bits(*got) == _bits(*want)
    (entry,) = cf.cache.values()
    assert entry.programs is not None and entry.programs[0].undo.rng


UNNAMED = 0  # a global the compiled function below never names


def test_a_global_the_function_does_not_name_is_not_guarded():
    global UNNAMED

    def fn(x):
        return x * 2.0

    cf = torch.compile(fn)
    x = torch.tensor(np.ones((2, 2), np.float32))
    for i in range(4):
        UNNAMED = i  # e.g. a script's loop counter
        assert _bits(cf(x).numpy()) == _bits(fn(x).numpy())
    assert cf.captures == 1


def test_torch_compile_peer_column_needs_a_c_compiler(monkeypatch):
    import shutil

    from duograd.benchmarks import peers

    monkeypatch.delenv("CC", raising=False)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delitem(peers._cache, "torch.compile", raising=False)
    try:
        assert peers.torch_compile() is None
        why = peers.why_missing("torch.compile")
        assert "C compiler" in why or "torch missing" in why
    finally:
        peers._cache.pop("torch.compile", None)


def test_a_large_value_read_guards_on_every_byte():
    # `.numpy()` of a 4 KiB value is a value read compared at each replay (any changed byte,
    # also the last of an odd-sized array, captures again)
    x = torch.tensor(np.linspace(-1, 1, 1001, dtype=np.float32))

    def fn(x):
        arr = (x * 2.0).numpy()
        return arr, bool(arr[-1] > 0)

    cf = torch.compile(fn)
    first = cf(x)
    again = cf(x)
    assert cf.captures == 1 and again[0].tobytes() == first[0].tobytes() and again[1]
    x.data[-1] = -1.0  # only the last element changes: the branch's value flips
    arr, positive = cf(x)
    assert cf.captures == 2 and not positive and arr[-1] == -2.0
