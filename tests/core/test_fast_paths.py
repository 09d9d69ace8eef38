"""The cached elementwise dispatch (``Primitive.fast``) gives the general path's bits and errors.

The general path is ``shape_rule`` then ``impl`` (the kernels' own plans, which weigh contiguity
and pick flat/rows/strided kernels); the fast path checks the rule once per operand shapes and
dtypes and runs small outputs on the flat kernel over ``ravel()`` views.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from duograd.core import DTypeError, ShapeError, ops
from duograd.core.errors import BoolOperandError
from duograd.core.kernels import elementwise as K
from duograd.core.primitives import REGISTRY, bind

FAST = sorted(name for name, p in REGISTRY.items() if p.fast is not None)
F32, F64, I32, I64, B = (np.dtype(d) for d in ("float32", "float64", "int32", "int64", "bool"))


def test_every_elementwise_primitive_has_a_fast_path():
    # a primitive whose scalar op depends on its params (cast) has no parameterless fast path
    missing = [
        n for n, p in REGISTRY.items() if p.elementwise and p.scalar is None and p.fast is None
    ]
    assert missing == []
    assert {"add", "mul", "exp", "tanh", "where", "relu_grad", "eq"} <= set(FAST)


def _specials(dt: np.dtype) -> np.ndarray:
    if dt.kind == "f":
        fi = np.finfo(dt)
        return np.array(
            [np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, fi.tiny, -fi.tiny, fi.tiny / 8,
             -fi.smallest_subnormal, fi.max, -fi.max, 1.0, -1.0, 0.5, 2.0, 88.0, -104.0, 1e-3],
            dt,
        )  # fmt: skip
    if dt.kind == "i":
        info = np.iinfo(dt)
        return np.array([0, 1, -1, 2, -7, info.max, info.min, 3], dt)
    return np.array([True, False, True, True, False], dt)


def _data(shape: tuple, dt: np.dtype, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape, dtype=np.int64))
    if dt.kind == "f":
        vals = rng.standard_normal(n) * rng.choice([1e-3, 1.0, 30.0], n)
    elif dt.kind == "i":
        vals = rng.integers(-50, 50, n)
    else:
        vals = rng.random(n) < 0.5
    arr = vals.astype(dt)
    sp = _specials(dt)
    k = min(n, len(sp))
    arr[rng.choice(n, k, replace=False)] = sp[rng.permutation(len(sp))[:k]] if n else sp[:0]
    return arr.reshape(shape)


# (operand shapes) -> a layout the fast path sees; "T" marks a transposed (non-contiguous) view
LAYOUTS = {
    "same": [(4, 4), (4, 4)],
    "scalar right": [(3, 5), ()],
    "scalar left": [(), (3, 5)],
    "one-element": [(2, 3), (1,)],
    "0-d both": [(), ()],
    "row broadcast": [(3, 4), (4,)],
    "column broadcast": [(3, 1), (3, 4)],
    "transposed": [(5, 3, "T"), (3, 5)],
    "both transposed": [(4, 6, "T"), (4, 6, "T")],
    "strided slice": [(7, 8, "S"), (7, 4)],
    "large": [(K.SMALL_MAX + 3,), (K.SMALL_MAX + 3,)],
    "empty": [(0, 3), (0, 3)],
}


def _operand(spec: tuple, dt: np.dtype, seed: int) -> np.ndarray:
    if spec and spec[-1] == "T":
        return _data(spec[:-1], dt, seed).T
    if spec and spec[-1] == "S":
        return _data(spec[:-1], dt, seed)[:, ::2]
    return _data(spec, dt, seed)


def _dtypes_for(name: str) -> list:
    p = REGISTRY[name]
    out = []
    for dt in (F32, F64, I32, I64, B):
        arity = 3 if name == "where" else (1 if p.fast.__code__.co_argcount == 1 else 2)
        args = [np.zeros(2, dt) for _ in range(arity)]
        if name == "where":
            args[0] = np.zeros(2, B)
        try:
            p.shape_rule(*args)
            p.impl(*args)
        except (TypeError, ValueError):
            continue
        out.append(dt)
    return out


def _same_bits(got: np.ndarray, want: np.ndarray) -> None:
    assert type(got) is np.ndarray
    assert got.dtype == want.dtype and got.shape == want.shape
    assert got.tobytes() == np.ascontiguousarray(want).tobytes()


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("name", FAST)
def test_fast_path_matches_the_general_path_bit_for_bit(name, layout):
    p = REGISTRY[name]
    arity = 3 if name == "where" else p.fast.__code__.co_argcount
    specs = LAYOUTS[layout]
    if arity == 1:
        specs = specs[:1]
    elif arity == 3:
        specs = [specs[0], *specs]
    dts = _dtypes_for(name)
    if layout not in ("same", "scalar left", "0-d both"):
        # every layout in float32; the other dtypes share the layout code (kept few: each new
        # (op, dtype, layout) compiles a kernel on a cold cache)
        dts = [d for d in dts if d == F32] or dts[:1]
    for dt in dts:
        arrays = [_operand(s, dt, seed=11 * i + 3) for i, s in enumerate(specs)]
        if name == "where":
            arrays[0] = _operand(specs[0], B, seed=5)
        want = p.impl(*arrays)  # the general path (the rule passes for these operands)
        for _ in range(2):  # the first call fills the cache, the second one uses it
            _same_bits(p.fast(*arrays), want)
            _same_bits(bind(p, *arrays), want)


def test_transcendental_results_do_not_depend_on_the_layout():
    # exp/tanh/sigmoid/log run the same scalar code in the flat kernel (fast path on a copy of
    # a strided operand) and in the strided kernel (general path)
    x = _data((64, 48), F32, 7)
    for name in ("exp", "log", "tanh", "sigmoid", "sqrt", "sin", "cos"):
        p = REGISTRY[name]
        view = x.T[::2]
        _same_bits(p.fast(view), p.impl(view))
        _same_bits(p.fast(view), p.impl(np.ascontiguousarray(view)))


def _nans(n: int, dt: np.dtype, seed: int) -> np.ndarray:
    """Quiet NaNs with random payloads and signs (and some ordinary numbers)."""
    rng = np.random.default_rng(seed)
    if dt == F32:
        ut, quiet, payload = np.uint32, 0x7FC00000, 1 << 22
    else:
        ut, quiet, payload = np.uint64, 0x7FF8000000000000, 1 << 51
    bits = rng.integers(0, payload, n).astype(ut) | ut(quiet)
    bits |= (rng.random(n) < 0.5).astype(ut) << ut(dt.itemsize * 8 - 1)
    out = bits.view(dt)
    out[::5] = rng.standard_normal(len(out[::5]))
    return out


@pytest.mark.parametrize("dt", [F32, F64])
def test_nan_payloads_survive_the_layout_change(dt):
    # two NaN operands: which payload and sign come out is up to the kernel's instruction
    # order; the flat kernel on copies must agree with the strided kernel on the views
    x, y = _nans(400, dt, 1).reshape(20, 20), _nans(400, dt, 2).reshape(20, 20)
    for name in ("add", "sub", "mul", "div", "maximum", "minimum", "pow", "where"):
        p = REGISTRY[name]
        args = [x.T, y.T] if name != "where" else [x.T > 0, x.T, y.T]
        _same_bits(p.fast(*args), p.impl(*args))
    for name in ("neg", "abs", "exp", "sqrt", "tanh", "sigmoid", "relu", "square", "sign"):
        _same_bits(REGISTRY[name].fast(x.T), REGISTRY[name].impl(x.T))


def _error(fn, *args):
    with pytest.raises(Exception) as info:
        fn(*args)
    return type(info.value), str(info.value)


BAD = [
    ("add", [np.zeros((3, 4), F32), np.zeros((5,), F32)]),
    ("mul", [np.zeros((2, 3), F32), np.zeros((3, 2), F32)]),
    ("sub", [np.zeros(3, F32), np.zeros(3, F64)]),
    ("div", [np.zeros(3, I64), np.zeros(3, I64)]),
    ("pow", [np.zeros(3, I32), np.zeros(3, I32)]),
    ("eq", [np.zeros((2, 2), F32), np.zeros((3,), F32)]),
    ("exp", [np.zeros(3, I64)]),
    ("tanh", [np.zeros((), B)]),
    ("relu_grad", [np.zeros(3, F32), np.zeros(3, F64)]),
    ("where", [np.zeros(3, F32), np.zeros(3, F32), np.zeros(3, F32)]),
    ("where", [np.zeros(3, B), np.zeros(3, F32), np.zeros(3, I64)]),
    ("where", [np.zeros(3, B), np.zeros((2, 3), F32), np.zeros((4, 1), F32)]),
]


@pytest.mark.parametrize("name,arrays", BAD, ids=[f"{n}-{i}" for i, (n, _) in enumerate(BAD)])
def test_fast_path_raises_the_rules_errors(name, arrays):
    p = REGISTRY[name]
    want = _error(p.shape_rule, *arrays)
    assert issubclass(want[0], (ShapeError, DTypeError))
    # a failing check is never cached: every call raises the same error
    for _ in range(3):
        assert _error(p.fast, *arrays) == want
        assert _error(bind, p, *arrays) == want


def test_bool_refusal_is_the_rules_on_both_paths():
    # sub's rule refuses bool operands (as both anchors do): the fast entry and the general
    # bind raise the rule's error, every time (a failure is never cached)
    a = np.zeros((2, 2), B)
    want = _error(bind, REGISTRY["sub"], a, a)
    assert issubclass(want[0], BoolOperandError)
    for _ in range(2):
        assert _error(ops.sub, a, a) == want


def test_error_messages_still_name_op_and_shapes():
    ops.add(np.zeros((3, 4), F32), np.zeros((3, 4), F32))  # cache an unrelated entry first
    with pytest.raises(ShapeError, match=r"add: shapes \(3, 4\) and \(5,\) cannot be broadcast"):
        ops.add(np.zeros((3, 4), F32), np.zeros((5,), F32))
    with pytest.raises(DTypeError, match="add: operands have different dtypes"):
        ops.add(np.zeros((3, 4), F32), np.zeros((3, 4), F64))


def test_non_arrays_and_params_take_the_general_path():
    # numpy scalars and Python lists are not exact ndarrays: bind checks and runs them as before
    got = ops.add(np.float32(1.5), np.ones(3, F32))
    _same_bits(got, REGISTRY["add"].impl(np.float32(1.5), np.ones(3, F32)))
    with pytest.raises(AttributeError):
        ops.add(1.0, np.ones(3, F32))

    class Sub(np.ndarray):
        pass

    s = _data((2, 3), F32, 9).view(Sub)
    _same_bits(np.asarray(ops.mul(s, s)), REGISTRY["mul"].impl(s.view(np.ndarray), s))


def test_tables_are_bounded(monkeypatch):
    monkeypatch.setattr(K, "_MAX_ENTRIES", 4)
    table = REGISTRY["neg"].fast.table
    table.clear()
    for n in range(1, 12):
        x = np.arange(n, dtype=F32)
        _same_bits(ops.neg(x), -x)
        assert len(table) <= 4


def test_concurrent_calls_share_the_tables_safely(monkeypatch):
    # a tiny table forces constant resets while threads read and fill it
    monkeypatch.setattr(K, "_MAX_ENTRIES", 3)
    shapes = [(n, 3) for n in range(1, 9)] + [(), (5,), (2, 2, 2)]
    inputs = [(_data(s, F32, 1), _data(s, F32, 2)) for s in shapes]
    want = [(REGISTRY["mul"].impl(a, b), REGISTRY["tanh"].impl(a)) for a, b in inputs]
    errors: list = []

    def work(seed: int) -> None:
        order = np.random.default_rng(seed).permutation(len(inputs) * 20) % len(inputs)
        try:
            for i in order:
                a, b = inputs[i]
                assert ops.mul(a, b).tobytes() == want[i][0].tobytes()
                assert ops.tanh(a).tobytes() == want[i][1].tobytes()
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
