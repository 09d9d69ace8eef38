"""Elementwise kernels: numpy agreement, broadcasting paths, fusion bit-identity, caching."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from duograd.core.kernels import codegen, elementwise, elementwise_kernel
from duograd.core.kernels import elementwise as E
from duograd.core.kernels.cache import kernel_cache_dir, reset_cache_dir
from hypothesis import given, settings
from hypothesis import strategies as st

FLOATS = [np.float32, np.float64]
SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 30.0, -30.0, np.inf, -np.inf, np.nan, 1e-30]


def _data(shape, dtype, seed=0, special=True):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * 2).astype(dtype)
    if special and x.size >= len(SPECIAL):
        x.reshape(-1)[: len(SPECIAL)] = SPECIAL
    return x


def _erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def _sigmoid(x):
    with np.errstate(over="ignore"):
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


# op -> (numpy reference, exact?)  exact ops are correctly rounded in both numba and numpy
UNARY_REF = {
    "neg": (np.negative, True),
    "abs": (np.abs, True),
    "square": (np.square, True),
    "reciprocal": (np.reciprocal, True),
    "sqrt": (np.sqrt, True),
    "floor": (np.floor, True),
    "relu": (lambda x: np.where(x > 0, x, np.where(np.isnan(x), x, 0)), True),
    "sign": (np.sign, True),
    "exp": (np.exp, False),
    "log": (np.log, False),
    "tanh": (np.tanh, False),
    "sin": (np.sin, False),
    "cos": (np.cos, False),
    "log1p": (np.log1p, False),
    "expm1": (np.expm1, False),
    "erf": (_erf, False),
    "sigmoid": (_sigmoid, False),
    "atan": (np.arctan, False),
    "asin": (np.arcsin, False),
    "acos": (np.arccos, False),
    "sinh": (np.sinh, False),
    "cosh": (np.cosh, False),
    "tan": (np.tan, False),
}


def test_every_unary_op_has_a_reference():
    assert set(UNARY_REF) == set(elementwise.UNARY_OPS)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", sorted(UNARY_REF))
def test_unary_matches_numpy(op, dtype):
    x = _data((3, 7), dtype)
    ref_fn, exact = UNARY_REF[op]
    got = E.unary(op, x)
    assert got.dtype == dtype and got.shape == x.shape
    with np.errstate(all="ignore"):
        ref = ref_fn(x.astype(np.float64))
    if exact:
        with np.errstate(all="ignore"):
            ref = ref_fn(x)  # same dtype: correctly rounded ops agree bit for bit
        np.testing.assert_array_equal(got, ref)
    else:
        tol = 4e-7 if dtype == np.float32 else 1e-15
        np.testing.assert_allclose(got, ref.astype(dtype), rtol=tol, atol=tol)


BINARY_REF = {
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "div": np.divide,
    "maximum": np.maximum,
    "minimum": np.minimum,
    "eq": np.equal,
    "ne": np.not_equal,
    "lt": np.less,
    "le": np.less_equal,
    "gt": np.greater,
    "ge": np.greater_equal,
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", sorted(BINARY_REF))
def test_binary_matches_numpy_exactly(op, dtype):
    a = _data((4, 6), dtype, 1)
    b = _data((4, 6), dtype, 2, special=False)
    b.reshape(-1)[:4] = [np.nan, 0.0, -0.0, np.inf]
    got = E.binary(op, a, b)
    with np.errstate(all="ignore"):
        ref = BINARY_REF[op](a, b)
    assert got.dtype == ref.dtype
    np.testing.assert_array_equal(got, ref)


@pytest.mark.parametrize("dtype", FLOATS)
def test_pow(dtype):
    a = np.abs(_data((20,), dtype, 3, special=False)) + dtype(0.1)
    b = _data((20,), dtype, 4, special=False)
    ref = np.power(a.astype(np.float64), b.astype(np.float64))
    tol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(E.binary("pow", a, b), ref, rtol=tol)


def test_maximum_minimum_propagate_nan_from_either_side():
    a = np.array([np.nan, 1.0, np.nan, 2.0], np.float32)
    b = np.array([1.0, np.nan, np.nan, 3.0], np.float32)
    for op in ("maximum", "minimum"):
        got = E.binary(op, a, b)
        assert np.isnan(got[:3]).all()
    assert E.binary("maximum", a, b)[3] == 3 and E.binary("minimum", a, b)[3] == 2


@pytest.mark.parametrize("dtype", FLOATS)
def test_fused_gradient_ops_bitwise_vs_same_dtype_numpy(dtype):
    x = _data((5, 9), dtype, 5)
    g = _data((5, 9), dtype, 6, special=False)
    y = _sigmoid(x.astype(np.float64)).astype(dtype)
    one, zero = dtype(1), dtype(0)
    # numpy in the same dtype, one rounding per op, in the documented order
    np.testing.assert_array_equal(E.grad_binary("relu_grad", x, g), np.where(x > 0, g, zero))
    np.testing.assert_array_equal(E.grad_binary("sigmoid_grad", y, g), (g * y) * (one - y))
    np.testing.assert_array_equal(E.grad_binary("tanh_grad", y, g), g * (one - y * y))


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_integer_ops(dtype):
    info = np.iinfo(dtype)
    a = np.array([info.max, info.min, -7, 0, 5, 3], dtype)
    b = np.array([1, -1, 2, 0, -5, 3], dtype)
    with np.errstate(over="ignore"):
        for op in ("add", "sub", "mul", "maximum", "minimum"):
            got = E.binary(op, a, b)
            assert got.dtype == dtype
            np.testing.assert_array_equal(got, BINARY_REF[op](a, b))  # wraps like numpy
        for op in ("eq", "ne", "lt", "le", "gt", "ge"):
            np.testing.assert_array_equal(E.binary(op, a, b), BINARY_REF[op](a, b))
        for op, fn in (("neg", np.negative), ("abs", np.abs), ("sign", np.sign)):
            got = E.unary(op, a)
            assert got.dtype == dtype
            np.testing.assert_array_equal(got, fn(a))
    np.testing.assert_array_equal(E.where(a > b, a, b), np.where(a > b, a, b))


def test_bool_ops():
    a = np.array([True, True, False, False])
    b = np.array([True, False, True, False])
    for op in ("add", "mul", "maximum", "minimum", "eq", "ne"):
        got = E.binary(op, a, b)
        assert got.dtype == np.bool_
        np.testing.assert_array_equal(got, BINARY_REF[op](a, b))
    np.testing.assert_array_equal(E.where(a, b, ~b), np.where(a, b, ~b))


def test_errors():
    i = np.arange(3, dtype=np.int64)
    f = np.ones(3, np.float32)
    with pytest.raises(TypeError, match="exp"):
        E.unary("exp", i)
    with pytest.raises(TypeError, match="dtypes differ"):
        E.binary("add", f, f.astype(np.float64))
    with pytest.raises(ValueError, match="unknown binary op 'plus'"):
        E.binary("plus", f, f)
    with pytest.raises(ValueError, match=r"\(3,\), \(4,\) cannot be broadcast"):
        E.binary("add", f, np.ones(4, np.float32))
    with pytest.raises(ValueError, match="out has shape"):
        E.binary("add", f, f, out=np.empty(4, np.float32))
    with pytest.raises(TypeError, match="condition must be bool"):
        E.where(f, f, f)


def test_broadcast_shape():
    assert E.broadcast_shape((2, 1, 3), (4, 1), ()) == (2, 4, 3)
    assert E.broadcast_shape((0, 3), (3,)) == (0, 3)
    assert E.broadcast_shape() == ()
    with pytest.raises(ValueError, match=r"\(2, 3\), \(4,\)"):
        E.broadcast_shape((2, 3), (4,))


_X = _data((4, 6, 5), np.float32, 7)
BROADCAST_CASES = {
    "same": (_X, _X + 1),
    "scalar-0d": (_X, np.array(2.5, np.float32)),
    "0d-left": (np.array(2.5, np.float32), _X),
    "both-0d": (np.array(1.5, np.float32), np.array(2.5, np.float32)),
    "row": (_X, _data((5,), np.float32, 8)),
    "col": (_X, _data((4, 6, 1), np.float32, 9)),
    "row-col": (_data((24, 1), np.float32, 10), _data((1, 5), np.float32, 11)),
    "col-left": (_data((4, 1, 1), np.float32, 12), _X),
    "middle": (_X, _data((6, 1), np.float32, 13)),
    "outer3": (_data((4, 1, 5), np.float32, 14), _data((6, 1), np.float32, 15)),
    "transposed": (_X.transpose(2, 0, 1), _X.transpose(2, 0, 1) * 2),
    "strided": (_X[:, ::2], _X[:, 1::2]),
    "reversed": (_X[::-1], _X),
    "empty": (np.ones((0, 5), np.float32), np.ones((5,), np.float32)),
    "empty2": (np.ones((3, 0), np.float32), np.ones((3, 1), np.float32)),
    "rank6": (_data((2, 3, 2, 3, 2, 3), np.float32, 16), _data((3, 1, 3, 1, 3), np.float32, 17)),
    "rank6-strided": (_data((2, 3, 4, 3, 2, 6), np.float32, 18)[..., ::2], np.float32(1)),
}


@pytest.mark.parametrize("case", sorted(BROADCAST_CASES))
def test_broadcasting_paths_match_numpy(case):
    a, b = BROADCAST_CASES[case]
    got = E.binary("sub", a, b)
    with np.errstate(invalid="ignore"):
        ref = np.subtract(a, b)
    assert got.shape == ref.shape and got.dtype == ref.dtype
    np.testing.assert_array_equal(got, ref)


def test_out_buffers_and_aliasing():
    a = _data((6, 5), np.float64, 20)
    b = _data((5,), np.float64, 21)
    out = np.empty((6, 5))
    assert E.binary("add", a, b, out=out) is out
    np.testing.assert_array_equal(out, a + b)
    big = np.zeros((6, 10))
    view = big[:, ::2]  # non-contiguous out takes the strided path
    assert E.binary("mul", a, b, out=view) is view
    np.testing.assert_array_equal(big[:, ::2], a * b)
    assert not big[:, 1::2].any()
    # in place with an operand that overlaps out but is not out: must read the old values
    c = a.copy()
    E.binary("add", c, c[0], out=c)
    np.testing.assert_array_equal(c, a + a[0])
    d = a.copy()
    E.unary("neg", d, out=d)
    np.testing.assert_array_equal(d, -a)
    with pytest.raises(ValueError, match="read-only"):
        E.unary("neg", a, out=np.broadcast_to(np.empty(5), (6, 5)))


def test_readonly_and_scalar_inputs():
    a = _data((3, 4), np.float32, 22)
    a.flags.writeable = False
    np.testing.assert_array_equal(E.binary("mul", a, np.float32(2)), a * np.float32(2))


@pytest.mark.parametrize("dtype", FLOATS)
def test_fused_program_is_bitwise_op_by_op(dtype):
    x, w, b = _data((8, 5), dtype, 30), _data((5,), dtype, 31), _data((8, 1), dtype, 32)
    prog = (("mul", 0, 1), ("add", -1, 2), ("sigmoid", -1), ("mul", -1, -2), ("tanh", -1))
    k = E.compile_elementwise(prog, [dtype] * 3)
    t1 = E.binary("mul", x, w)
    t2 = E.binary("add", t1, b)
    t3 = E.unary("sigmoid", t2)
    ref = E.unary("tanh", E.binary("mul", t3, t2))
    np.testing.assert_array_equal(k(x, w, b), ref)
    out = np.empty((8, 5), dtype)
    assert k(x, w, b, out=out) is out
    np.testing.assert_array_equal(out, ref)
    # mixed dtypes inside one program: comparison -> cast -> arithmetic
    prog2 = (("gt", 0, 1), ("cast_" + np.dtype(dtype).name, -1), ("mul", -1, 0))
    k2 = E.compile_elementwise(prog2, [dtype, dtype], out_dtype=dtype)
    mask = E.binary("gt", x, w).astype(dtype)
    np.testing.assert_array_equal(k2(x, w), E.binary("mul", mask, x))


_PROGRAM_OPS = ["add", "sub", "mul", "maximum", "neg", "tanh", "sigmoid", "relu", "square"]


@st.composite
def _programs(draw):
    steps = []
    for k in range(draw(st.integers(1, 5))):
        op = draw(st.sampled_from(_PROGRAM_OPS))
        arity = 2 if op in ("add", "sub", "mul", "maximum") else 1
        refs = st.one_of(st.integers(0, 1), st.integers(-k, -1)) if k else st.integers(0, 1)
        steps.append((op, *[draw(refs) for _ in range(arity)]))
    return tuple(steps)


@settings(max_examples=8, deadline=None)
@given(_programs())
def test_random_programs_fuse_bitwise(prog):
    a, b = _data((3, 4), np.float32, 40), _data((4,), np.float32, 41)
    vals = []
    for op, *args in prog:
        arrs = [(a, b)[i] if i >= 0 else vals[len(vals) + i] for i in args]
        vals.append(E.binary(op, *arrs) if len(arrs) == 2 else E.unary(op, *arrs))
    fused = E.compile_elementwise(prog, [np.float32, np.float32])(a, b)
    np.testing.assert_array_equal(fused, np.broadcast_to(vals[-1], fused.shape))


def test_program_validation():
    f32 = np.float32
    with pytest.raises(ValueError, match="unknown elementwise op"):
        E.compile_elementwise((("frob", 0),), [f32])
    with pytest.raises(ValueError, match="takes 2 operands"):
        E.compile_elementwise((("add", 0),), [f32])
    with pytest.raises(ValueError, match="bad operand reference"):
        E.compile_elementwise((("neg", -1),), [f32])
    with pytest.raises(TypeError, match="yields bool"):
        E.compile_elementwise((("gt", 0, 0),), [f32], out_dtype=f32)


@pytest.mark.parametrize("case", ["same", "scalar-0d", "row", "col", "transposed"])
def test_parallel_path_is_bitwise_serial(case, monkeypatch, parallel_threads):
    a, b = BROADCAST_CASES[case]
    serial = E.binary("mul", a, b)
    monkeypatch.setattr(elementwise_kernel, "PARALLEL_MIN", 0)
    np.testing.assert_array_equal(E.binary("mul", a, b), serial)


def test_large_arrays_take_the_parallel_path(parallel_threads):
    n = elementwise_kernel.PARALLEL_MIN + 12345
    a, b = _data((n,), np.float32, 50), _data((n,), np.float32, 51)
    got = E.binary("mul", a, b)
    np.testing.assert_array_equal(got, a * b)
    # the same elements computed in serial-sized pieces give the same bits
    pieces = [E.binary("mul", a[i : i + 50000], b[i : i + 50000]) for i in range(0, n, 50000)]
    np.testing.assert_array_equal(got, np.concatenate(pieces))


def test_cache_dir_and_atomic_source_files(tmp_path, monkeypatch):
    monkeypatch.setenv("DUOGRAD_CACHE_DIR", str(tmp_path / "kc"))
    reset_cache_dir()
    try:
        assert kernel_cache_dir() == tmp_path / "kc"
        src = "VALUE = 41 + 1\n"
        m1 = codegen.load_source(src)
        assert m1.VALUE == 42 and codegen.load_source(src) is m1
        files = [p.name for p in (tmp_path / "kc").iterdir()]
        assert len(files) == 1 and files[0].startswith("dg_") and files[0].endswith(".py")
        # two processes generating the same new kernel at once both succeed
        code = textwrap.dedent(
            """
            from duograd.core.kernels import codegen
            assert codegen.load_source("VALUE = 'race'\\n").VALUE == "race"
            """
        )
        env = dict(os.environ, DUOGRAD_CACHE_DIR=str(tmp_path / "kc2"))
        procs = [subprocess.Popen([sys.executable, "-c", code], env=env) for _ in range(2)]
        assert all(p.wait(60) == 0 for p in procs)
        assert len([p for p in (tmp_path / "kc2").iterdir() if p.suffix == ".py"]) == 1
    finally:
        monkeypatch.delenv("DUOGRAD_CACHE_DIR")
        reset_cache_dir()


def test_import_compiles_nothing_and_cache_loads_in_a_new_process():
    code = textwrap.dedent(
        """
        import numpy as np
        from numba.core.registry import CPUDispatcher
        from duograd.core.kernels import elementwise, indexing, reduce, softmax, update
        for mod in (elementwise, indexing, reduce, softmax, update):
            for name, obj in vars(mod).items():
                if isinstance(obj, CPUDispatcher):
                    assert not obj.signatures, (mod.__name__, name)
        a = np.ones((3, 4), np.float32)
        elementwise.binary("add", a, a)
        k = elementwise._single[("add", (a.dtype, a.dtype))].kernels("flat", ("F", "F"))[0]
        print(sum(k.stats.cache_hits.values()))
        """
    )
    run = [sys.executable, "-c", code]
    subprocess.run(run, check=True, capture_output=True)  # first run may compile and store
    out = subprocess.run(run, check=True, capture_output=True, text=True).stdout
    assert int(out.strip()) == 1  # second process loaded the machine code from disk


def test_heavier_programs_go_parallel_at_fewer_elements(monkeypatch):
    chosen = []
    real_pick = elementwise_kernel._pick

    def spy(kp, ks, parallel):
        chosen.append(parallel)
        return real_pick(kp, ks, parallel)

    monkeypatch.setattr(elementwise_kernel, "_pick", spy)
    n = elementwise_kernel.PARALLEL_MIN // 2  # half the work threshold of a lone add
    a, b = _data((n,), np.float32, 52), _data((n,), np.float32, 53)
    E.binary("add", a, b)
    E.unary("tanh", a)  # a transcendental costs several adds per element
    chain = E.compile_elementwise((("mul", 0, 1), ("add", -1, 0), ("tanh", -1)), [a.dtype] * 2)
    chain(a, b)
    assert chosen == [False, True, True]
