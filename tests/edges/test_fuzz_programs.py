"""Differential fuzzing: random programs over the record's primitives, in both styles.

Each generated program is a list of steps over the record's elementwise primitives (every
registered one with a float kernel and a gradient rule, found by walking the record) and its
reductions. It runs once as eager code and once as a graph, with the graph optimiser on
(fusion, folding, CSE) and off: outputs and input gradients must be bitwise equal across the
three, and close to real PyTorch where installed. A failing example is minimised by hypothesis
and printed as the program's eager source.
"""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core.primitives import REGISTRY, bind
from fuzz_support import budget
from hypothesis import given
from hypothesis import strategies as st
from op_table import ROWS

SHAPES = [(3, 4), (4,), (1, 4), (3, 1), ()]
# operands that must stay in the op's domain get a safe wrapper (abs(x) + c) in the program
POSITIVE = {"log": (0, 0.5), "sqrt": (0, 0.0), "div": (1, 0.5), "pow": (0, 0.5)}
# names of the real torch functions, for the closeness check (absent: checked in-house only)
TORCH_NAMES = {
    "add": "add", "sub": "sub", "mul": "mul", "div": "div", "pow": "pow", "maximum": "maximum",
    "minimum": "minimum", "neg": "neg", "exp": "exp", "log": "log", "sqrt": "sqrt", "abs": "abs",
    "sign": "sign", "tanh": "tanh", "sigmoid": "sigmoid", "relu": "relu", "square": "square",
    "sin": "sin", "cos": "cos", "erf": "erf", "floor": "floor", "ceil": "ceil",
    "round": "round", "trunc": "trunc",
}  # fmt: skip


def _walk_record() -> tuple[list[str], list[str]]:
    """(unary, binary) elementwise primitives of the record with float kernels and rules."""
    unary, binary = [], []
    for name, prim in sorted(REGISTRY.items()):
        row = ROWS.get(name)
        if not prim.elementwise or prim.vjp is None or row is None or prim.nondiff:
            continue
        sample = row.samples(np.random.default_rng(0), np.float32)[0]
        if sample.params or np.float32 not in row.dtypes:
            continue
        (unary if len(sample.args) == 1 else binary if len(sample.args) == 2 else []).append(name)
    return unary, binary


UNARY, BINARY = _walk_record()
REDUCE = ["sum", "mean", "max", "min"]


@st.composite
def programs(draw):
    """Inputs (shapes and values) and steps: (op, operand indexes) over the values so far."""
    n_in = draw(st.integers(1, 3))
    shapes = [draw(st.sampled_from(SHAPES)) for _ in range(n_in)]
    values = [
        np.asarray(
            draw(st.lists(st.floats(-2, 2, width=32), min_size=int(np.prod(s)),
                          max_size=int(np.prod(s)))),
            np.float32,
        ).reshape(s)
        for s in shapes
    ]  # fmt: skip
    steps = []
    count = n_in
    for _ in range(draw(st.integers(1, 6))):
        if draw(st.booleans()):
            steps.append((draw(st.sampled_from(UNARY)), (draw(st.integers(0, count - 1)),)))
        else:
            a, b = draw(st.integers(0, count - 1)), draw(st.integers(0, count - 1))
            steps.append((draw(st.sampled_from(BINARY)), (a, b)))
        count += 1
    final = draw(st.sampled_from([None, *REDUCE]))
    return values, steps, final


def _safe(x, c):
    """abs(x) + c: keeps a log / sqrt / divisor / base operand in its domain."""
    return bind(REGISTRY["add"], bind(REGISTRY["abs"], x), np.asarray(c, np.float32))


def _build(values_in, steps, final, reduce_fn):
    vals = list(values_in)
    for name, idx in steps:
        args = [vals[i] for i in idx]
        if name in POSITIVE:
            k, c = POSITIVE[name]
            args[k] = _safe(args[k], c)
        vals.append(bind(REGISTRY[name], *args))
    out = vals[-1]
    return reduce_fn(out, final) if final else out


def _source(values, steps, final) -> str:
    lines = [
        f"x{i} = torch.tensor({v.tolist()!r}, requires_grad=True)" for i, v in enumerate(values)
    ]
    n = len(values)
    for k, (name, idx) in enumerate(steps):
        lines.append(f"x{n + k} = bind(REGISTRY[{name!r}], {', '.join(f'x{i}' for i in idx)})")
    if final:
        lines.append(f"out = x{n + len(steps) - 1}.{final}()")
    return "\n".join(lines)


def _eager(values, steps, final):
    ins = [torch.tensor(v, requires_grad=True) for v in values]
    out = _build(ins, steps, final, lambda t, f: getattr(torch, f)(t))
    out.sum().backward()
    grads = [
        np.zeros_like(v) if t.grad is None else t.grad.numpy()
        for t, v in zip(ins, values, strict=True)
    ]
    return out.detach().numpy(), grads


def _graph(values, steps, final, optimize: bool):
    g = tf.Graph()
    with g.as_default():
        ps = [tf.placeholder(tf.float32, v.shape) for v in values]
        red = {"sum": tf.reduce_sum, "mean": tf.reduce_mean, "max": tf.reduce_max,
               "min": tf.reduce_min}  # fmt: skip
        out = _build(ps, steps, final, lambda t, f: red[f](t))
        grads = tf.gradients(tf.reduce_sum(out), ps)
        fetch = [out] + [
            gr if gr is not None else tf.zeros_like(p) for gr, p in zip(grads, ps, strict=True)
        ]
        with tf.Session(graph=g, optimize=optimize) as s:
            res = s.run(fetch, dict(zip(ps, values, strict=False)))
    return res[0], res[1:]


def _torch(values, steps, final):
    real = pytest.importorskip("torch")
    ins = [real.tensor(v, requires_grad=True) for v in values]
    vals = list(ins)
    for name, idx in steps:
        args = [vals[i] for i in idx]
        if name in POSITIVE:
            k, c = POSITIVE[name]
            args[k] = real.abs(args[k]) + c
        vals.append(getattr(real, TORCH_NAMES[name])(*args))
    out = vals[-1]
    if final:
        out = getattr(real, final)(out) if final in ("sum", "mean") else getattr(out, final)()
    return out.detach().numpy()


def test_the_walk_finds_the_record_s_elementwise_primitives():
    assert {"add", "mul", "pow", "maximum"} <= set(BINARY)
    assert {"exp", "log", "sign", "floor", "round"} <= set(UNARY)


def _bits(x) -> bytes:
    # every bit, except a NaN's sign: the compiler may fold a negation into the operation that
    # made the NaN (-(a / b) as (-a) / b), and IEEE leaves the sign of such a NaN unspecified
    a = np.array(x, copy=True)
    if a.dtype.kind == "f":
        a[np.isnan(a)] = np.nan
    return a.tobytes()


@budget(40)
@given(programs())
def test_random_programs_agree_bitwise_in_both_styles_fusion_on_and_off(prog):
    values, steps, final = prog
    with np.errstate(all="ignore"):
        e_out, e_grads = _eager(values, steps, final)
        for optimize in (True, False):
            g_out, g_grads = _graph(values, steps, final, optimize)
            where = f"(optimize={optimize}) program:\n{_source(values, steps, final)}"
            assert _bits(e_out) == _bits(g_out), f"outputs differ {where}"
            for i, (a, b) in enumerate(zip(e_grads, g_grads, strict=True)):
                assert _bits(a) == _bits(b), f"grad {i} {where}"


@budget(25)
@given(programs())
def test_random_programs_are_close_to_real_torch(prog):
    values, steps, final = prog
    if any(name not in TORCH_NAMES for name, _ in steps):
        return
    with np.errstate(all="ignore"):
        want = _torch(values, steps, final)
        got, _ = _eager(values, steps, final)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(
        got, want, rtol=2e-4, atol=2e-5, equal_nan=True,
        err_msg=f"program:\n{_source(values, steps, final)}",
    )  # fmt: skip


# names of real TF1 functions (tf.compat.v1), for the closeness check in the graph style
TF_NAMES = {
    "add": "add", "sub": "subtract", "mul": "multiply", "div": "divide", "pow": "pow",
    "maximum": "maximum", "minimum": "minimum", "neg": "negative", "exp": "exp", "log": "log",
    "sqrt": "sqrt", "abs": "abs", "sign": "sign", "tanh": "tanh", "sigmoid": "sigmoid",
    "relu": "nn.relu", "square": "square", "sin": "sin", "cos": "cos", "erf": "math.erf",
    "floor": "floor", "ceil": "ceil", "round": "round",
}  # fmt: skip


def _tf1(values, steps, final):
    real = pytest.importorskip("tensorflow")
    real.compat.v1.disable_eager_execution()
    v1 = real.compat.v1

    def fn(name):
        f = v1
        for part in TF_NAMES[name].split("."):
            f = getattr(f, part)
        return f

    g = real.Graph()
    with g.as_default():
        ps = [v1.placeholder(real.float32, v.shape) for v in values]
        vals = list(ps)
        for name, idx in steps:
            args = [vals[i] for i in idx]
            if name in POSITIVE:
                k, c = POSITIVE[name]
                args[k] = v1.abs(args[k]) + c
            vals.append(fn(name)(*args))
        out = vals[-1]
        if final:
            out = getattr(v1, f"reduce_{final}")(out)
        with v1.Session(graph=g) as s:
            return s.run(out, dict(zip(ps, values, strict=True)))


@budget(25)
@given(programs())
def test_random_graph_programs_are_close_to_real_tf1(prog):
    values, steps, final = prog
    if any(name not in TF_NAMES for name, _ in steps):
        return
    with np.errstate(all="ignore"):
        want = _tf1(values, steps, final)
        got, _ = _graph(values, steps, final, optimize=True)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(
        got, want, rtol=2e-4, atol=2e-5, equal_nan=True,
        err_msg=f"program:\n{_source(values, steps, final)}",
    )  # fmt: skip
