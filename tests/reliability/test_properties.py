"""Property-based tests over random shapes, broadcasts and values.

1. Every checked primitive's VJP rule agrees with float64 central finite differences along a
   random direction, on random shapes (empty and 0-d included), for linear and bilinear ops
   also at magnitudes from 1e-30 to 1e30. The rules run through the core's own reverse sweep,
   handed plain arrays by a minimal recording hook (no frontend involved).
2. IEEE-exact kernels (add, sub, mul, div, sqrt, ...) equal numpy exactly on float32 values
   spanning subnormals to the largest finite numbers, signed zeros, infinities and NaN.
3. Random small programs written in both styles give the same bits: outputs and gradients.

Examples are derandomised (the same examples every run) and few, so the run stays short; set
DUOGRAD_FUZZ=1 for fresh random examples and more of them.
"""

from __future__ import annotations

import os

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from duograd.core import ops
from duograd.core.autodiff import reverse_sweep
from duograd.core.primitives.registry import bind
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

_FUZZ = os.environ.get("DUOGRAD_FUZZ") == "1"
SETTINGS = settings(
    max_examples=200 if _FUZZ else 30,
    deadline=None,
    derandomize=not _FUZZ,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# ---- a minimal recording hook: the core's rules and sweep, handed arrays ------------------------


class _Node:
    __slots__ = ("prim", "params", "inputs", "output", "input_keys", "output_key")


class Rec:
    """A value that records every primitive applied to it (the core's `__dg_bind__` protocol)."""

    def __init__(self, array: np.ndarray, tape: list) -> None:
        self.a = array
        self.tape = tape
        self.shape = array.shape
        self.dtype = array.dtype

    def __dg_bind__(self, prim, args, params):
        arrays = tuple(x.a if isinstance(x, Rec) else x for x in args)
        out = Rec(np.asarray(bind(prim, *arrays, **params)), self.tape)
        node = _Node()
        node.prim, node.params, node.inputs, node.output = prim, params, arrays, out.a
        node.input_keys = tuple(x if isinstance(x, Rec) else None for x in args)
        node.output_key = out
        self.tape.append(node)
        return out


def vjp(fn, xs: list[np.ndarray], g: np.ndarray) -> list[np.ndarray]:
    """The cotangents of fn's inputs for output cotangent g, by the core sweep."""
    tape: list = []
    recs = [Rec(x, tape) for x in xs]
    out = fn(*recs)
    cts = reverse_sweep(tape, [(out, g)], recs)
    return [cts.get(r, np.zeros_like(x)) for r, x in zip(recs, xs, strict=True)]


def check_vjp(fn, xs: list[np.ndarray], rng: np.random.Generator, scale: float = 1.0) -> None:
    """<vjp(g), v> == d/dt <fn(x + t v), g> for a random cotangent g and direction v."""
    out = np.asarray(fn(*xs))
    g = rng.standard_normal(out.shape)
    grads = vjp(fn, xs, g)
    for i, x in enumerate(xs):
        assert grads[i].shape == x.shape
        v = rng.standard_normal(x.shape)
        h = 1e-6 * scale

        def f(t, i=i, v=v, x=x):
            moved = list(xs)
            moved[i] = x + t * v
            return float(np.sum(np.asarray(fn(*moved)) * g))

        fd = (f(h) - f(-h)) / (2 * h)
        an = float(np.sum(grads[i] * v))
        noise = 1e-9 * float(np.sum(np.abs(g) * np.abs(out))) / scale
        assert abs(fd - an) <= 1e-5 * abs(an) + noise + 1e-12, (i, fd, an)


# ---- strategies -------------------------------------------------------------------------------

SCALES = st.sampled_from([1e-30, 1e-6, 1.0, 1e6, 1e30])


def shapes(min_side: int = 0, max_dims: int = 3):
    """Array shapes with 0 to max_dims dims, sides from min_side to 4 (empty when 0)."""
    return hnp.array_shapes(min_dims=0, max_dims=max_dims, min_side=min_side, max_side=4)


def values(draw, shape, lo: float, hi: float, away: float = 0.0) -> np.ndarray:
    """float64 values in [lo, hi] (kept `away` from 0 for kinks), seeded by hypothesis."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x = rng.uniform(lo, hi, size=shape)
    if away:
        x = np.where(np.abs(x) < away, np.copysign(away, x) + x, x)
    return x


UNARY = {
    "exp": (ops.exp, -4, 4, 0.0),
    "log": (ops.log, 0.2, 5, 0.0),
    "sqrt": (ops.sqrt, 0.2, 5, 0.0),
    "tanh": (ops.tanh, -3, 3, 0.0),
    "sigmoid": (ops.sigmoid, -5, 5, 0.0),
    "sin": (ops.sin, -3, 3, 0.0),
    "cos": (ops.cos, -3, 3, 0.0),
    "relu": (ops.relu, -2, 2, 0.05),
    "abs": (ops.abs, -2, 2, 0.05),
}
LINEAR_UNARY = {"neg": ops.neg, "square": ops.square}


@SETTINGS
@given(data=st.data(), name=st.sampled_from(sorted(UNARY)), shape=shapes())
def test_unary_vjp_matches_finite_differences(data, name, shape):
    fn, lo, hi, away = UNARY[name]
    x = values(data.draw, shape, lo, hi, away)
    check_vjp(fn, [x], np.random.default_rng(0))


@SETTINGS
@given(data=st.data(), name=st.sampled_from(sorted(LINEAR_UNARY)), shape=shapes(), scale=SCALES)
def test_linear_unary_vjp_at_any_magnitude(data, name, shape, scale):
    x = values(data.draw, shape, -2, 2) * scale
    check_vjp(LINEAR_UNARY[name], [x], np.random.default_rng(1), scale)


BINARY = {
    "add": (ops.add, (-3, 3), (-3, 3)),
    "sub": (ops.sub, (-3, 3), (-3, 3)),
    "mul": (ops.mul, (-3, 3), (-3, 3)),
    "div": (ops.div, (-3, 3), (0.5, 3)),
    "pow": (ops.pow, (0.5, 2), (-2, 2)),
    "maximum": (ops.maximum, (-3, 3), (-3, 3)),
    "minimum": (ops.minimum, (-3, 3), (-3, 3)),
}


@SETTINGS
@given(
    data=st.data(),
    name=st.sampled_from(sorted(BINARY)),
    pair=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
    scale=SCALES,
)
def test_binary_broadcast_vjp_matches_finite_differences(data, name, pair, scale):
    fn, (alo, ahi), (blo, bhi) = BINARY[name]
    sa, sb = pair.input_shapes
    a = values(data.draw, sa, alo, ahi)
    b = values(data.draw, sb, blo, bhi)
    if name in ("maximum", "minimum"):  # ties have no derivative: keep the operands apart
        assume(np.all(np.abs(np.subtract(a, b)) > 1e-3))
    if name in ("add", "sub", "mul", "maximum", "minimum"):
        a, b = a * scale, b * scale  # homogeneous ops: check them at every magnitude
    else:
        scale = 1.0
    check_vjp(fn, [a, b], np.random.default_rng(2), scale)


@st.composite
def reduction_case(draw, min_side: int):
    shape = draw(shapes(min_side=min_side, max_dims=3))
    nd = len(shape)
    axes = draw(st.one_of(st.none(), st.lists(st.integers(0, max(nd - 1, 0)), unique=True)))
    if nd == 0:
        axes = None
    return shape, None if axes is None else tuple(axes), draw(st.booleans())


@SETTINGS
@given(data=st.data(), case=reduction_case(min_side=0), scale=SCALES)
def test_sum_vjp_on_any_axes(data, case, scale):
    shape, axes, keep = case
    x = values(data.draw, shape, -2, 2) * scale
    check_vjp(lambda x: ops.sum(x, axes, keep), [x], np.random.default_rng(3), scale)


@SETTINGS
@given(
    data=st.data(), case=reduction_case(min_side=1), name=st.sampled_from(["mean", "max", "min"])
)
def test_mean_max_min_vjp_on_any_axes(data, case, name):
    shape, axes, keep = case
    size = int(np.prod(shape))
    # distinct values, so max and min have one winner per slice (ties have no derivative)
    seed = data.draw(st.integers(0, 2**32 - 1))
    x = np.random.default_rng(seed).permutation(size).reshape(shape).astype(np.float64) / 7
    fn = getattr(ops, name)
    check_vjp(lambda x: fn(x, axes, keep), [x], np.random.default_rng(4))


@SETTINGS
@given(
    data=st.data(),
    shape=shapes(min_side=1),
    name=st.sampled_from(["softmax", "log_softmax", "logsumexp"]),
)
def test_softmax_family_vjp_on_any_axis(data, shape, name):
    assume(len(shape) >= 1)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = values(data.draw, shape, -4, 4)
    fn = getattr(ops, name)
    check_vjp(lambda x: fn(x, axis), [x], np.random.default_rng(5))


@st.composite
def matmul_case(draw):
    m, k, n = (draw(st.integers(0, 4)) for _ in range(3))
    batch = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3))
    ba, bb = batch.input_shapes
    ta, tb = draw(st.booleans()), draw(st.booleans())
    sa = ba + ((k, m) if ta else (m, k))
    sb = bb + ((n, k) if tb else (k, n))
    if draw(st.booleans()):  # numpy's 1-D rules (no transpose flags then)
        ta = tb = False
        sa, sb = draw(st.sampled_from([((k,), (k, n)), ((m, k), (k,)), ((k,), (k,))]))
    return sa, sb, ta, tb


@SETTINGS
@given(data=st.data(), case=matmul_case(), scale=SCALES)
def test_matmul_vjp_with_batches_transposes_and_vectors(data, case, scale):
    sa, sb, ta, tb = case
    a = values(data.draw, sa, -2, 2) * scale
    b = values(data.draw, sb, -2, 2) * scale
    check_vjp(
        lambda a, b: ops.matmul(a, b, transpose_a=ta, transpose_b=tb),
        [a, b],
        np.random.default_rng(6),
        scale,
    )


@SETTINGS
@given(data=st.data(), shape=shapes(max_dims=4))
def test_shaping_vjps(data, shape):
    x = values(data.draw, shape, -2, 2)
    nd = len(shape)
    perm = tuple(data.draw(st.permutations(range(nd))))
    check_vjp(lambda x: ops.transpose(x, perm), [x], np.random.default_rng(7))
    check_vjp(lambda x: ops.reshape(x, (-1,)), [x], np.random.default_rng(8))
    target = (2,) + tuple(shape)
    check_vjp(lambda x: ops.broadcast_to(x, target), [x], np.random.default_rng(9))
    if nd:
        other = values(data.draw, shape, -2, 2)
        axis = data.draw(st.integers(0, nd - 1))
        check_vjp(lambda a, b: ops.concat([a, b], axis), [x, other], np.random.default_rng(10))
        stop = data.draw(st.integers(0, shape[0]))
        check_vjp(lambda a: ops.getitem(a, (slice(0, stop),)), [x], np.random.default_rng(11))


# ---- IEEE-exact kernels against numpy at extreme values ---------------------------------------

F32_SPECIAL = np.array(
    [0.0, -0.0, 1e-45, -1e-45, 1e-40, 1.1754944e-38, 3.4028235e38, -3.4028235e38, 1.0, -1.0,
     np.inf, -np.inf, np.nan, 1e-20, 1e20, 123.456, -7.5e-3],
    dtype=np.float32,
)  # fmt: skip
EXACT = {
    "add": (ops.add, np.add),
    "sub": (ops.sub, np.subtract),
    "mul": (ops.mul, np.multiply),
    "div": (ops.div, np.divide),
    "maximum": (ops.maximum, np.maximum),
    "minimum": (ops.minimum, np.minimum),
}
EXACT_UNARY = {
    "neg": (ops.neg, np.negative),
    "abs": (ops.abs, np.abs),
    "sqrt": (ops.sqrt, np.sqrt),
    "square": (ops.square, np.square),
}


def _extreme_arrays(draw, shape) -> np.ndarray:
    pick = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, len(F32_SPECIAL) - 1)))
    return F32_SPECIAL[pick]


@SETTINGS
@given(
    data=st.data(),
    name=st.sampled_from(sorted(EXACT)),
    pair=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=5),
)
def test_exact_binary_kernels_equal_numpy_at_extremes(data, name, pair):
    a = _extreme_arrays(data.draw, pair.input_shapes[0])
    b = _extreme_arrays(data.draw, pair.input_shapes[1])
    ours, ref = EXACT[name]
    with np.errstate(all="ignore"):
        expected = ref(a, b)
    got = ours(a, b)
    assert got.dtype == np.float32 and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)  # NaN where numpy has NaN; -0 == 0


@SETTINGS
@given(data=st.data(), name=st.sampled_from(sorted(EXACT_UNARY)), shape=shapes())
def test_exact_unary_kernels_equal_numpy_at_extremes(data, name, shape):
    x = _extreme_arrays(data.draw, shape)
    ours, ref = EXACT_UNARY[name]
    with np.errstate(all="ignore"):
        expected = ref(x)
    np.testing.assert_array_equal(ours(x), expected)


# ---- eager vs graph on random programs --------------------------------------------------------

# (name, arity, eager form, graph form); reductions and axis ops take the drawn `arg`
PROGRAM_OPS = [
    ("tanh", 1, torch.tanh, tf.tanh),
    ("sigmoid", 1, torch.sigmoid, tf.sigmoid),
    ("relu", 1, torch.relu, tf.nn.relu),
    ("square", 1, torch.square, tf.square),
    ("exp_tanh", 1, lambda x: torch.exp(torch.tanh(x)), lambda x: tf.exp(tf.tanh(x))),
    ("add", 2, lambda a, b: a + b, lambda a, b: a + b),
    ("sub", 2, lambda a, b: a - b, lambda a, b: a - b),
    ("mul", 2, lambda a, b: a * b, lambda a, b: a * b),
    ("maximum", 2, torch.maximum, tf.maximum),
    ("scale", 1, lambda x: x * 0.5 + 1.0, lambda x: x * 0.5 + 1.0),
]


@st.composite
def program(draw):
    pair = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3))
    shapes_ = list(pair.input_shapes)
    steps = []
    pool = list(shapes_)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["elementwise"] * 4 + ["sum", "mean", "softmax", "dense"]))
        i = draw(st.integers(0, len(pool) - 1))
        s = pool[i]
        if kind == "elementwise":
            k = draw(st.integers(0, len(PROGRAM_OPS) - 1))
            if PROGRAM_OPS[k][1] == 2:
                j = draw(st.integers(0, len(pool) - 1))
                try:
                    out = np.broadcast_shapes(s, pool[j])
                except ValueError:
                    continue
                steps.append(("op", k, i, j))
            else:
                steps.append(("op", k, i, None))
                out = s
        elif kind in ("sum", "mean"):
            axis = None if not s else draw(st.one_of(st.none(), st.integers(0, len(s) - 1)))
            keep = draw(st.booleans())
            steps.append((kind, axis, i, keep))
            if axis is None:
                out = tuple(1 for _ in s) if keep else ()
            else:
                out = s[:axis] + ((1,) if keep else ()) + s[axis + 1 :]
        elif kind == "softmax":
            if not s:
                continue
            axis = draw(st.integers(0, len(s) - 1))
            steps.append(("softmax", axis, i, None))
            out = s
        else:  # x @ W with a fresh weight input of shape (last, 3)
            if not s:
                continue
            shapes_.append((s[-1], 3))
            steps.append(("dense", len(shapes_) - 1, i, None))
            out = s[:-1] + (3,)
        pool.append(tuple(out))
    seed = draw(st.integers(0, 2**32 - 1))
    mag = draw(st.sampled_from([1e-20, 1e-3, 1.0, 1e3, 1e15]))
    rng = np.random.default_rng(seed)
    inputs = [(rng.standard_normal(s) * mag).astype(np.float32) for s in shapes_]
    return inputs, steps


def _run(style, inputs, steps):
    """Evaluate a program in one style: (output, gradients of sum(output) for every input)."""
    if style == "eager":
        xs = [torch.tensor(a, requires_grad=True) for a in inputs]
        pool = list(xs[:2])
        for step in steps:
            pool.append(_apply(step, pool, xs, torch, eager=True))
        out = pool[-1]
        loss = out.sum()
        grads = torch.autograd.grad(loss, xs, allow_unused=True, materialize_grads=True)
        return out.detach().numpy(), loss.detach().numpy(), [g.numpy() for g in grads]
    g = tf.Graph()
    with g.as_default():
        xs = [tf.placeholder(tf.float32, a.shape) for a in inputs]
        pool = list(xs[:2])
        for step in steps:
            pool.append(_apply(step, pool, xs, tf, eager=False))
        out = pool[-1]
        loss = tf.reduce_sum(out)
        grads = tf.gradients(loss, xs)
        grads = [
            gr if gr is not None else tf.zeros_like(x) for gr, x in zip(grads, xs, strict=True)
        ]
        sess = tf.Session(graph=g)
        o, lv, gs = sess.run([out, loss, grads], dict(zip(xs, inputs, strict=True)))
    return o, lv, gs


def _apply(step, pool, xs, mod, eager: bool):
    kind, a, i, b = step
    x = pool[i]
    if kind == "op":
        _, arity, e, gr = PROGRAM_OPS[a]
        f = e if eager else gr
        return f(x, pool[b]) if arity == 2 else f(x)
    if kind in ("sum", "mean"):
        if eager:
            fn = x.sum if kind == "sum" else x.mean
            return fn() if a is None and not b else fn(dim=a, keepdim=b)
        fn = tf.reduce_sum if kind == "sum" else tf.reduce_mean
        return fn(x, axis=a, keepdims=b)
    if kind == "softmax":
        return torch.softmax(x, a) if eager else tf.nn.softmax(x, axis=a)
    return (
        torch.matmul(x, xs[a])
        if eager
        else tf.matmul(x, xs[a])
        if len(x.shape) > 1
        else (tf.squeeze(tf.matmul(tf.expand_dims(x, 0), xs[a]), [0]))
    )


@SETTINGS
@given(prog=program())
def test_random_programs_give_the_same_bits_in_both_styles(prog):
    inputs, steps = prog
    e_out, e_loss, e_grads = _run("eager", inputs, steps)
    g_out, g_loss, g_grads = _run("graph", inputs, steps)
    assert np.asarray(e_out).shape == np.asarray(g_out).shape
    assert np.asarray(e_out).tobytes() == np.asarray(g_out).tobytes()
    assert np.asarray(e_loss).tobytes() == np.asarray(g_loss).tobytes()
    for ge, gg in zip(e_grads, g_grads, strict=True):
        assert np.asarray(ge).tobytes() == np.asarray(gg).tobytes()


def test_the_recording_hook_sees_composite_ops():
    # 1-D matmul is expand_dims + matmul + squeeze: all three reach the sweep
    tape: list = []
    a, b = Rec(np.ones(3), tape), Rec(np.ones((3, 2)), tape)
    ops.matmul(a, b)
    assert [n.prim.name for n in tape] == ["expand_dims", "matmul", "squeeze"]


@pytest.mark.parametrize("name", sorted(UNARY))
def test_a_wrong_rule_would_be_caught(name):
    # the check has teeth: a VJP scaled by 1.01 fails it
    fn = UNARY[name][0]
    x = np.linspace(0.3, 2.0, 6)

    def wrong(x):
        return ops.add(fn(x), ops.mul(ops.stop_gradient(x), np.asarray(0.01)))

    with pytest.raises(AssertionError):
        check_vjp(wrong, [x], np.random.default_rng(0))
