"""The eager hot path (operators, math functions, recording) matches the general dispatch path.

The general path is the functional forms (`_convert.pair` / `floating`, then a core op through
``bind`` and ``Tensor.__dg_bind__``) with every primitive's cached dispatch switched off, so each
call runs the shape rule and the kernels' own plans.
"""

from __future__ import annotations

import threading

import duograd.frontends.eager as torch
import numpy as np
import pytest
from duograd.core.primitives import REGISTRY
from duograd.frontends.eager import dispatch
from duograd.frontends.eager import functions as F


@pytest.fixture
def general(monkeypatch):
    """Switch the cached dispatch off: bind and the tensor hook then run rule + impl each call."""

    def off():
        for p in REGISTRY.values():
            if p.fast is not None:
                monkeypatch.setattr(p, "fast", None)

    return off


def _bits(t) -> bytes:
    return t.detach().numpy().tobytes() if isinstance(t, torch.Tensor) else np.asarray(t).tobytes()


def _data(seed: int, shape=(4, 4), dtype=np.float32) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    x.flat[:6] = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 1e-40])[: x.size]
    return x


# Each program is written twice: with operators / torch.* functions (the fast paths) and with
# the general functional forms; both must give the same values and gradients, bit for bit.
def _fast_program(x, w, b):
    y = x * w + b
    y = torch.tanh(y) - x
    y = torch.sigmoid(y * y) + w
    y = torch.exp(y * 0.1) / b
    y = 2.0 - y + 1 - (-y) * 3
    y = y**2 + 0.5 ** torch.abs(y) + torch.sqrt(torch.relu(y)) + torch.square(y)
    y = 1.0 / (torch.log(torch.abs(y) + 1.0) + 2) + torch.sin(y) * torch.cos(y)
    return y.sum()


def test_fast_program_matches_general_program_bit_for_bit(general):
    def run(fast: bool):
        x = torch.tensor(_data(1), requires_grad=True)
        w = torch.tensor(_data(2), requires_grad=True)
        b = torch.tensor(np.abs(_data(3)) + 0.5)
        if fast:
            loss = _fast_program(x, w, b)
        else:
            g = F  # the functional forms, unwrapped to the general path
            y = g.add(g.mul(x, w), b)
            y = g.sub(g.tanh.__wrapped__(y), x)
            y = g.add(g.sigmoid.__wrapped__(g.mul(y, y)), w)
            y = g.div(g.exp.__wrapped__(g.mul(y, 0.1)), b)
            y = g.sub(g.add(g.sub(2.0, y), 1), g.mul(g.neg.__wrapped__(y), 3))
            y = g.add(
                g.add(g.add(g.pow(y, 2), g.pow(0.5, g.abs.__wrapped__(y))),
                      g.sqrt.__wrapped__(g.relu.__wrapped__(y))),
                g.square.__wrapped__(y),
            )  # fmt: skip
            y = g.add(
                g.div(1.0, g.add(g.log.__wrapped__(g.add(g.abs.__wrapped__(y), 1.0)), 2)),
                g.mul(g.sin.__wrapped__(y), g.cos.__wrapped__(y)),
            )
            loss = y.sum()
        loss.backward()
        return loss, x.grad, w.grad

    fast = run(True)
    general()
    slow = run(False)
    for f, s in zip(fast, slow, strict=True):
        assert _bits(f) == _bits(s)


SCALAR_CASES = [
    ("a + 2.5", lambda a: a + 2.5, lambda a: F.add(a, 2.5)),
    ("2.5 + a", lambda a: 2.5 + a, lambda a: F.add(2.5, a)),
    ("a - 3", lambda a: a - 3, lambda a: F.sub(a, 3)),
    ("3 - a", lambda a: 3 - a, lambda a: F.sub(3, a)),
    ("a * -0.0", lambda a: a * -0.0, lambda a: F.mul(a, -0.0)),
    ("-0.0 * a", lambda a: -0.0 * a, lambda a: F.mul(-0.0, a)),
    ("a + -0.0", lambda a: a + -0.0, lambda a: F.add(a, -0.0)),
    ("a * 0.0", lambda a: a * 0.0, lambda a: F.mul(a, 0.0)),
    ("a * nan", lambda a: a * float("nan"), lambda a: F.mul(a, float("nan"))),
    ("a / 7", lambda a: a / 7, lambda a: F.div(a, 7)),
    ("7 / a", lambda a: 7 / a, lambda a: F.div(7, a)),
    ("a ** 3", lambda a: a**3, lambda a: F.pow(a, 3)),
    ("1.5 ** a", lambda a: 1.5**a, lambda a: F.pow(1.5, a)),
    ("a * 1e300", lambda a: a * 1e300, lambda a: F.mul(a, 1e300)),
    ("a * 16777217", lambda a: a * 16777217, lambda a: F.mul(a, 16777217)),
    ("-a", lambda a: -a, lambda a: F.neg.__wrapped__(a)),
]


@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", SCALAR_CASES, ids=[c[0] for c in SCALAR_CASES])
def test_tensor_and_python_number(case, dtype, general):
    _, fast, slow = case
    a = torch.tensor(_data(4, dtype=dtype))
    got = fast(a)
    assert got.dtype == a.dtype
    got_again = fast(a)  # the second call uses the cached constant and dispatch entry
    general()
    want = slow(a)
    assert _bits(got) == _bits(want) == _bits(got_again)


def test_zero_and_nan_constants_are_not_shared():
    f32 = np.dtype(np.float32)
    assert dispatch.constant(-0.0, f32) is not dispatch.constant(0.0, f32)
    assert np.signbit(dispatch.constant(-0.0, f32)) and not np.signbit(dispatch.constant(0.0, f32))
    assert np.isnan(dispatch.constant(float("nan"), f32))
    assert dispatch.constant(2.0, f32) is dispatch.constant(2.0, f32)
    assert dispatch.constant(2, f32).dtype == f32
    a = torch.tensor([1.0, -1.0])
    assert np.signbit((a * -0.0).numpy()).tolist() == [True, False]
    assert np.signbit((a * 0.0).numpy()).tolist() == [False, True]


@pytest.mark.parametrize(
    "expr,dtype",
    [
        (lambda: torch.ones(3, dtype=torch.int64) * 2.5, torch.float32),
        (lambda: torch.ones(3, dtype=torch.int32) + 2, torch.int32),
        (lambda: torch.ones(3, dtype=torch.int64) / 2, torch.float32),
        (lambda: torch.ones(3, dtype=torch.int64) ** 2, torch.int64),
        (lambda: torch.ones(3) + torch.ones(3, dtype=torch.float64), torch.float64),
        (lambda: torch.ones(3, dtype=torch.bool) + 1, torch.int64),
        (lambda: torch.ones(3, dtype=torch.bool) * True, torch.bool),
        (lambda: torch.ones(3, dtype=torch.bool) + torch.ones(3, dtype=torch.bool), torch.bool),
        (lambda: torch.ones(3) * np.float64(2.0), torch.float32),
        (lambda: torch.ones(3) * torch.tensor(2.0, dtype=torch.float64), torch.float32),
        (lambda: torch.exp(torch.ones(3, dtype=torch.int64)), torch.float32),
        (lambda: -torch.ones(3, dtype=torch.int32), torch.int32),
        (lambda: torch.abs(torch.ones(3, dtype=torch.int64)), torch.int64),
    ],
)
def test_other_operands_keep_pytorch_promotion(expr, dtype):
    assert expr().dtype == dtype


def test_operator_errors_are_the_general_paths():
    a, b = torch.ones(3, 4), torch.ones(5)
    with pytest.raises(ValueError) as fast:
        a + b
    with pytest.raises(ValueError) as slow:
        torch.add(a, b)
    assert str(fast.value) == str(slow.value)
    assert "add: shapes (3, 4) and (5,) cannot be broadcast" in str(fast.value)
    with pytest.raises(TypeError) as fast:
        torch.ones(2, dtype=torch.bool) - torch.ones(2, dtype=torch.bool)
    with pytest.raises(TypeError) as slow:
        torch.sub(torch.ones(2, dtype=torch.bool), torch.ones(2, dtype=torch.bool))
    assert str(fast.value) == str(slow.value)


def test_recording_through_the_fast_paths():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    c = torch.tensor([2.0, 2.0, 2.0])
    y = torch.exp(x * c) - 2.0 * x
    assert y.grad_fn.name() == "SubBackward0"
    assert [type(k).__name__ for k, _ in y.grad_fn.next_functions] == ["Node", "Node"]
    with torch.no_grad():
        assert (x * c).grad_fn is None and not (x * c).requires_grad
        assert torch.exp(x).grad_fn is None
    assert (x > 1.0).grad_fn is None  # comparisons carry no gradient
    assert torch.sign(x).grad_fn is not None  # a zero gradient, as in PyTorch
    y.sum().backward()
    assert np.allclose(x.grad.numpy(), 2.0 * np.exp(2.0 * np.array([1.0, 2.0, 3.0])) - 2.0)


def test_inplace_changes_after_fast_recording_are_detected():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    c = torch.tensor([3.0, 4.0])
    y = x * c
    c.add_(1.0)  # mul's VJP reads c
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    e = torch.exp(x)
    e.add_(1.0)  # exp's VJP reads its output
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        e.sum().backward()


def test_grad_mode_is_per_thread():
    x = torch.ones(2, requires_grad=True)
    seen = {}
    inside, release = threading.Event(), threading.Event()

    def other():
        with torch.no_grad():
            inside.set()
            release.wait(5)
            seen["other"] = torch.is_grad_enabled()

    t = threading.Thread(target=other)
    t.start()
    inside.wait(5)
    seen["main"] = torch.is_grad_enabled()
    y = x * 2.0
    release.set()
    t.join()
    assert seen == {"main": True, "other": False}
    assert y.requires_grad and y.grad_fn is not None


def test_threads_running_forward_and_backward_get_the_single_thread_results():
    def step(seed: int):
        x = torch.tensor(_data(seed, (3, 5)), requires_grad=True)
        w = torch.tensor(_data(seed + 1, (3, 5)), requires_grad=True)
        y = torch.tanh(x * w + 1.0) * 3.0 - torch.exp(w * 0.25)
        z = (y * y).sum() + (x > 0.0).float().sum()
        z.backward()
        return _bits(z), _bits(x.grad), _bits(w.grad)

    want = {s: step(s) for s in range(6)}
    errors: list = []

    def work(offset: int) -> None:
        try:
            for i in range(60):
                s = (i + offset) % 6
                assert step(s) == want[s]
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
