"""Graph-style fuzzing: bad and good inputs against real TF1, and the eager style bit for bit.

For indexing (gather, gather_nd, slice, segment sums with negative and out-of-range indices),
shape ops (reshape, transpose, concat, split, squeeze, tile with bad sizes), matmul and conv2d
shape mismatches and ranges, hypothesis draws arguments in and out of the op's domain. Indices
and shapes reach the graph either as constants (checked when the op is built) or through a
placeholder (checked when the graph runs). Each program runs in duograd's graph style and, when
installed, in real TF1 (graph mode): where TF raises, duograd must raise an error of a public type
that names the op (and, for a fed value, the placeholder or the fed shape); where TF returns,
duograd must return the same shape, dtype and values. Where an eager-style counterpart exists it
must give the same bytes, or raise too.
"""

from __future__ import annotations

import duograd.frontends.eager as dt
import duograd.frontends.graph as dtf
import numpy as np
import pytest
from fuzz_support import budget
from hypothesis import given
from hypothesis import strategies as st

INTERNAL = (ZeroDivisionError, KeyError, AttributeError, AssertionError, UnboundLocalError,
            NameError, RecursionError)  # fmt: skip
BAD_TEXT = ("tuple index out of range", "array([", "numba", "list index out of range",
            "negative dimensions are not allowed", "array is too big")  # fmt: skip

X = (np.arange(12, dtype=np.float32).reshape(3, 4) - 5) / 7
small = st.integers(-6, 6)
axes = st.integers(-3, 2)
idx1 = st.lists(small, min_size=0, max_size=4)
fed = st.booleans()  # through a placeholder (checked at run) or as a constant (at build)


def _in(m, value, through_placeholder: bool, dtype=None, name: str = "fed", shape=None):
    """A constant, or a placeholder (of unknown dims unless `shape`) and its feed."""
    value = np.asarray(value, dtype=dtype)
    if not through_placeholder:
        return m.constant(value), {}
    shape = [None] * value.ndim if shape is None else shape
    p = m.placeholder(m.as_dtype(value.dtype), shape, name=name)
    return p, {p: value}


def _gather(m, a):
    axis, idx, f = a
    i, feeds = _in(m, idx, f, np.int32)
    return m.gather(m.constant(X), i, axis=axis), feeds


def _gather_nd(m, a):
    idx, f = a
    i, feeds = _in(m, np.asarray(idx, np.int32).reshape(-1, 2), f, shape=[None, 2])
    return m.gather_nd(m.constant(X), i), feeds


def _slice(m, a):
    begin, size = a
    return m.slice(m.constant(X), list(begin), list(size)), {}


def _segment(m, a):
    ids, f = a
    i, feeds = _in(m, ids, f, np.int32)
    return m.unsorted_segment_sum(m.constant(X), i, 3), feeds


def _reshape(m, a):
    shape, f = a
    s, feeds = _in(m, shape, f, np.int32)
    return m.reshape(m.constant(X), s), feeds


def _transpose(m, a):
    return m.transpose(m.constant(X), list(a)), {}


def _concat(m, a):
    rows, cols, axis = a
    other = np.ones((rows, cols), np.float32)
    return m.concat([m.constant(X), m.constant(other)], axis), {}


def _split(m, a):
    sizes, axis = a
    return m.split(m.constant(X), sizes, axis=axis), {}


def _squeeze(m, a):
    return m.squeeze(m.constant(X.reshape(3, 1, 4)), [a]), {}


def _tile(m, a):
    return m.tile(m.constant(X), list(a)), {}


def _matmul(m, a):
    (r, k), (k2, c), f = a
    x, feeds = _in(m, np.ones((r, k), np.float32), f, name="lhs")
    return m.matmul(x, m.constant(np.ones((k2, c), np.float32))), feeds


def _conv(m, a):
    cin, kin, f = a
    x, feeds = _in(m, np.ones((1, 5, 5, cin), np.float32), f, name="images")
    w = m.constant(np.ones((3, 3, kin, 2), np.float32) / 9)
    return m.nn.conv2d(x, w, strides=[1, 1, 1, 1], padding="VALID"), feeds


def _range(m, a):
    return m.range(*a), {}


dims2 = st.tuples(st.integers(1, 4), st.integers(1, 4))
CASES = {
    "gather": (st.tuples(axes, idx1, fed), _gather, ("gather",)),
    "gather_nd": (st.tuples(st.lists(st.tuples(small, small), min_size=1, max_size=3), fed),
                  _gather_nd, ("gather_nd",)),
    "slice": (st.tuples(st.lists(st.integers(-1, 4), min_size=2, max_size=2),
                        st.lists(st.integers(-2, 5), min_size=2, max_size=2)), _slice, ("slice",)),
    "unsorted_segment_sum": (st.tuples(st.lists(st.integers(-1, 4), min_size=3, max_size=3), fed),
                             _segment, ("unsorted_segment_sum", "segment")),
    "reshape": (st.tuples(st.lists(st.integers(-2, 12), min_size=1, max_size=3), fed),
                _reshape, ("reshape",)),
    "transpose": (st.lists(st.integers(-1, 2), min_size=1, max_size=3), _transpose,
                  ("transpose",)),
    "concat": (st.tuples(st.integers(1, 4), st.integers(1, 5), axes), _concat, ("concat",)),
    "split": (st.tuples(st.one_of(st.integers(1, 5), st.lists(st.integers(-1, 4), max_size=3)),
                        axes), _split, ("split",)),
    "squeeze": (axes, _squeeze, ("squeeze",)),
    "tile": (st.lists(st.integers(-1, 2), min_size=1, max_size=3), _tile, ("tile",)),
    "matmul": (st.tuples(dims2, dims2, fed), _matmul, ("matmul", "MatMul")),
    "conv2d": (st.tuples(st.integers(1, 3), st.integers(1, 3), fed), _conv, ("conv2d", "Conv2D")),
    "range": (st.tuples(small, small, st.integers(-3, 3)), _range, ("range",)),
}  # fmt: skip

# eager-style counterparts (duograd's eager frontend): same bytes when both return
EAGER = {
    "gather": lambda a: (
        dt.index_select(dt.tensor(X), a[0], dt.tensor(a[1], dtype=dt.int64)) if a[0] >= -2 else None
    ),
    "reshape": lambda a: dt.tensor(X).reshape(*a[0]) if a[0].count(-1) <= 1 else None,
    "transpose": lambda a: dt.tensor(X).permute(*a),
    "concat": lambda a: dt.cat([dt.tensor(X), dt.ones(a[0], a[1])], a[2]) if a[2] >= -2 else None,
    "matmul": lambda a: dt.matmul(dt.ones(*a[0]), dt.ones(*a[1])),
}


# where TF returns but duograd refuses, saying so: features duograd does not have (the
# message carries this text); listed in the README's edges section
UNSUPPORTED = {"conv2d": "grouped convolution is not supported"}


def _run(m, build, args):
    """(result or exception, where it was raised: 'build' or 'run')."""
    g = m.Graph()
    with g.as_default():
        try:
            fetch, feeds = build(m, args)
        except Exception as e:  # noqa: BLE001 - judged by the caller
            return e, "build"
        with m.Session(graph=g) as s:
            try:
                return s.run(fetch, feeds), "run"
            except Exception as e:  # noqa: BLE001 - judged by the caller
                return e, "run"


def _real():
    try:
        import tensorflow as tf
    except ImportError:
        return None
    tf.compat.v1.disable_eager_execution()
    return tf.compat.v1


def _judge(name, args, mine, stage, theirs, fed_names):
    where = f"{name}{args!r}"
    names = CASES[name][2]
    if isinstance(mine, Exception):
        assert not isinstance(mine, INTERNAL), f"{where}: internal error {mine!r}"
        msg = str(mine)
        for bad in BAD_TEXT:
            assert bad not in msg, f"{where}: unclear message {msg!r}"
        assert any(n in msg for n in names), f"{where}: the error does not name the op: {msg!r}"
        if stage == "run" and fed_names:
            assert any(n in msg for n in fed_names), (
                f"{where}: a run-time error does not name the placeholder or shape: {msg!r}"
            )
    if theirs is None:
        return
    if isinstance(theirs, Exception):
        assert isinstance(mine, Exception), f"{where}: TF raises {theirs!r}; duograd returned"
        return
    if isinstance(mine, Exception) and UNSUPPORTED.get(name, "\0") in str(mine):
        return
    assert not isinstance(mine, Exception), f"{where}: TF returns; duograd raised {mine!r}"
    ms = mine if isinstance(mine, list) else [mine]
    ts = theirs if isinstance(theirs, list) else [theirs]
    assert len(ms) == len(ts), where
    for a, b in zip(ms, ts, strict=True):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape and a.dtype == b.dtype, (
            f"{where}: {a.shape}{a.dtype} vs TF {b.shape}{b.dtype}"
        )
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=where)


def _fed_names(name, args):
    """What a run-time error about a fed value may name: the placeholder, or the fed shape."""
    if not (isinstance(args, tuple) and args and args[-1] is True):
        return ()
    g = dtf.Graph()
    with g.as_default():
        try:
            _, feeds = CASES[name][1](dtf, args)
        except Exception:  # noqa: BLE001 - refused when built: nothing was fed
            return ()
    out = []
    for p, v in feeds.items():
        out += [p.op.name, str(tuple(np.shape(v)))]
        if np.ndim(v) == 1:  # a fed shape: the message may quote it
            out.append(str(tuple(int(d) for d in v)))
    return tuple(out)


def _eager_matches(name, args, mine):
    fn = EAGER.get(name)
    if fn is None:
        return
    try:
        got = fn(args)
    except Exception as e:  # noqa: BLE001 - judged below
        assert isinstance(mine, Exception), f"{name}{args!r}: eager raised {e!r}, graph returned"
        return
    if got is None:  # no eager counterpart for these arguments
        return
    if isinstance(mine, Exception):
        return  # the graph style is stricter here (e.g. TF refuses what torch allows)
    assert got.numpy().tobytes() == np.asarray(mine).tobytes(), f"{name}{args!r}: eager differs"


@pytest.mark.parametrize("name", sorted(CASES))
def test_graph_bad_inputs_named_error_or_tf1_s_result_and_eager_bitwise(name):
    strategy, build, _ = CASES[name]
    real = _real()

    @budget(25)
    @given(strategy)
    def check(args):
        with np.errstate(all="ignore"):
            mine, stage = _run(dtf, build, args)
            theirs = _run(real, build, args)[0] if real is not None else None
        _judge(name, args, mine, stage, theirs, _fed_names(name, args))
        _eager_matches(name, args, mine)

    check()
