"""The op table: one row per primitive, driving the generic tests (in the spirit of OpInfo).

Each row names a primitive and gives sample calls: operand arrays and static params. Generic
tests check, for every sample: kernel vs the primitive's numpy reference (float32 and float64),
the shape rule vs the kernel's actual output, every VJP vs float64 central finite differences,
and eager vs graph bitwise parity. Adding a primitive means adding a row here.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Sample:
    """One call of a primitive: operands and static params."""

    args: tuple
    params: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        shapes = ",".join(str(getattr(a, "shape", a)) for a in self.args)
        return f"[{shapes}]{self.params or ''}"


@dataclass
class OpRow:
    """A primitive and how to sample it for a dtype."""

    name: str
    samples: Callable[[np.random.Generator, np.dtype], list[Sample]]
    dtypes: tuple = (np.float32, np.float64)
    grad: bool = True  # run the finite-difference check on differentiable inputs
    random: bool = False  # draws from the random stream: no reference comparison
    rtol32: float = 2e-6  # tolerance vs the numpy reference in float32


def _r(rng, shape, dtype, lo=-2.0, hi=2.0):
    return rng.uniform(lo, hi, size=shape).astype(dtype)


def _away(rng, shape, dtype, gap=0.2):
    """Values kept away from 0 (kinks of abs/relu/sign)."""
    x = rng.uniform(gap, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    return np.asarray(x).astype(dtype)


BIN_SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (3,)), ((0, 3), (3,))]


def _binary(lo=-2.0, hi=2.0, lo_b=None, hi_b=None):
    def make(rng, dt):
        out = []
        for sa, sb in BIN_SHAPES:
            a = _r(rng, sa, dt, lo, hi)
            b = _r(rng, sb, dt, lo if lo_b is None else lo_b, hi if hi_b is None else hi_b)
            out.append(Sample((a, b)))
        a = _r(rng, (4, 3), dt, lo, hi).T  # a non-contiguous view
        out.append(Sample((a, _r(rng, (3, 4), dt, lo, hi))))
        return out

    return make


def _unary(lo=-2.0, hi=2.0, away=False):
    def make(rng, dt):
        shapes = [(3, 4), (), (0,), (2, 3, 4)]
        gen = (lambda s: _away(rng, s, dt)) if away else (lambda s: _r(rng, s, dt, lo, hi))
        out = [Sample((gen(s),)) for s in shapes]
        out.append(Sample((gen((4, 5)).T,)))
        return out

    return make


def _compare(rng, dt):
    a = rng.integers(-2, 3, size=(3, 4)).astype(dt)
    b = rng.integers(-2, 3, size=(4,)).astype(dt)
    return [Sample((a, b)), Sample((a, a.copy())), Sample((a[:0], b))]


def _grad_pair(lo=-2.0, hi=2.0, away=False):
    def make(rng, dt):
        x = _away(rng, (3, 4), dt) if away else _r(rng, (3, 4), dt, lo, hi)
        return [Sample((x, _r(rng, (3, 4), dt))), Sample((x[0], _r(rng, (2, 4), dt)))]

    return make


def _where(rng, dt):
    c = rng.random((3, 4)) > 0.5
    return [
        Sample((c, _r(rng, (3, 4), dt), _r(rng, (4,), dt))),
        Sample((c[:, :1], _r(rng, (3, 4), dt), _r(rng, (), dt))),
    ]


def _reduce(distinct=False):
    def make(rng, dt):
        x = _r(rng, (2, 3, 4), dt)
        if distinct:  # no ties, so max/min are differentiable
            x = (rng.permutation(24).reshape(2, 3, 4) / 7.0).astype(dt)
        out = []
        for axes in [(0, 1, 2), (0,), (2,), (0, 2)]:
            for keep in (False, True):
                out.append(Sample((x,), {"axes": axes, "keepdims": keep}))
        out.append(Sample((x.transpose(2, 0, 1),), {"axes": (1,), "keepdims": False}))
        return out

    return make


def _argreduce(rng, dt):
    x = (rng.permutation(24).reshape(2, 3, 4) / 7.0).astype(dt)
    return [
        Sample((x,), {"axis": None, "keepdims": False}),
        Sample((x,), {"axis": 1, "keepdims": False}),
        Sample((x,), {"axis": 2, "keepdims": True}),
    ]


def _matmul(rng, dt):
    out = []
    for ta in (False, True):
        for tb in (False, True):
            a = _r(rng, (5, 3) if ta else (3, 5), dt)
            b = _r(rng, (4, 5) if tb else (5, 4), dt)
            out.append(Sample((a, b), {"transpose_a": ta, "transpose_b": tb}))
    out.append(
        Sample(
            (_r(rng, (2, 1, 3, 5), dt), _r(rng, (4, 5, 2), dt)),
            {"transpose_a": False, "transpose_b": False},
        )
    )
    out.append(
        Sample(
            (_r(rng, (1, 1), dt), _r(rng, (1, 7), dt)), {"transpose_a": False, "transpose_b": False}
        )
    )
    return out


def _axis_samples(rng, dt):
    x = _r(rng, (3, 5), dt, -3, 3)
    return [
        Sample((x,), {"axis": 1}),
        Sample((x,), {"axis": 0}),
        Sample((_r(rng, (2, 3, 4), dt),), {"axis": 2}),
    ]


def _axis_grad_samples(rng, dt):
    y = _r(rng, (3, 5), dt, 0.05, 0.5)
    return [
        Sample((y, _r(rng, (3, 5), dt)), {"axis": 1}),
        Sample((y, _r(rng, (3, 5), dt)), {"axis": 0}),
    ]


def _lse(rng, dt):
    x = _r(rng, (3, 5), dt, -3, 3)
    return [
        Sample((x,), {"axes": (1,), "keepdims": False}),
        Sample((x,), {"axes": (0, 1), "keepdims": True}),
    ]


def _sum_like(rng, dt):
    return [
        Sample((_r(rng, (2, 3, 4), dt), np.zeros((3, 1), dt))),
        Sample((_r(rng, (3, 4), dt), np.zeros((4,), dt))),
        Sample((_r(rng, (3, 4), dt), np.zeros((), dt))),
    ]


def _broadcast_like(rng, dt):
    return [
        Sample((_r(rng, (3, 1), dt), np.zeros((2, 3, 4), dt))),
        Sample((_r(rng, (), dt), np.zeros((3, 4), dt))),
    ]


def _broadcast_to(rng, dt):
    return [Sample((_r(rng, (3, 1), dt),), {"shape": (2, 3, 4)})]


def _reshape(rng, dt):
    x = _r(rng, (2, 3, 4), dt)
    return [
        Sample((x,), {"shape": (6, 4)}),
        Sample((x,), {"shape": (-1,)}),
        Sample((x.transpose(1, 0, 2),), {"shape": (3, 8)}),
    ]


def _reshape_like(rng, dt):
    return [Sample((_r(rng, (2, 6), dt), np.zeros((3, 4), dt)))]


def _transpose(rng, dt):
    return [
        Sample((_r(rng, (2, 3, 4), dt),), {"perm": (2, 0, 1)}),
        Sample((_r(rng, (3, 4), dt),), {"perm": (1, 0)}),
    ]


def _expand_dims(rng, dt):
    return [Sample((_r(rng, (3, 4), dt),), {"axis": 1}), Sample((_r(rng, (), dt),), {"axis": 0})]


def _squeeze(rng, dt):
    return [Sample((_r(rng, (3, 1, 4, 1), dt),), {"axes": (1, 3)})]


def _getitem(rng, dt):
    x = _r(rng, (4, 5), dt)
    return [
        Sample((x,), {"index": (slice(1, 3),)}),
        Sample((x,), {"index": (1, slice(None, None, 2))}),
        Sample((x,), {"index": (np.array([0, 2, 2]),)}),  # repeated rows: gradients add up
        Sample((x,), {"index": (None, Ellipsis, 3)}),
        Sample((x,), {"index": (x[:, 0] > 0,)}),
    ]


def _getitem_grad(rng, dt):
    like = np.zeros((4, 5), dt)
    return [
        Sample((_r(rng, (2, 5), dt), like), {"index": (slice(1, 3),)}),
        Sample((_r(rng, (3, 5), dt), like), {"index": (np.array([0, 2, 2]),)}),
    ]


def _scatter_last(rng, dt):
    # distinct slots only: with a repeated slot the kept value ignores the other writers while the
    # VJP (PyTorch's) still gathers for them, which finite differences cannot see. Repeated slots
    # are checked against the reference in tests/eager/test_max_unpool_duplicates_oracle.py.
    like = np.zeros((4, 5), dt)
    rows = np.array([[0, 0, 0], [3, 3, 3]])
    return [
        Sample((_r(rng, (2, 5), dt), like), {"index": (slice(1, 3),)}),
        Sample((_r(rng, (3, 5), dt), like), {"index": (np.array([2, 0, 3]),)}),
        Sample((_r(rng, (2, 3), dt), like), {"index": (rows, np.array([[4, 0, 2], [1, 3, 0]]))}),
    ]


def _concat(rng, dt):
    return [
        Sample((_r(rng, (2, 3), dt), _r(rng, (4, 3), dt)), {"axis": 0}),
        Sample((_r(rng, (2, 3), dt), _r(rng, (2, 1), dt), _r(rng, (2, 2), dt)), {"axis": 1}),
    ]


def _stack(rng, dt):
    return [
        Sample((_r(rng, (2, 3), dt), _r(rng, (2, 3), dt)), {"axis": 0}),
        Sample((_r(rng, (2, 3), dt), _r(rng, (2, 3), dt)), {"axis": 2}),
    ]


def _cast(rng, dt):
    x = _r(rng, (3, 4), dt, -5, 5)
    # float64 -> float64 keeps the finite-difference check exact; float32 -> float64 widens
    return [
        Sample((x,), {"dtype": np.dtype(np.float64)}),
        Sample((x,), {"dtype": np.dtype(np.int64)}),
    ]


def _single(rng, dt):
    return [Sample((_r(rng, (3, 4), dt),)), Sample((_r(rng, (), dt),))]


def _fill_like(rng, dt):
    return [Sample((_r(rng, (3, 4), dt),), {"value": 1.5, "dtype": None})]


def _count_like(rng, dt):
    return [Sample((_r(rng, (3, 4, 5), dt),), {"axes": (0, 2)})]


def _gather(rng, dt):
    x = _r(rng, (5, 3), dt)
    return [
        Sample((x, np.array([4, 0, 4, 1])), {"axis": 0}),
        Sample((x, np.array([[2, 1], [0, 2]])), {"axis": 1}),
    ]


def _scatter(rng, dt):
    like = np.zeros((5, 3), dt)
    return [Sample((_r(rng, (4, 3), dt), like, np.array([4, 0, 4, 1])), {"axis": 0})]


def _pick(rng, dt):
    return [
        Sample((_r(rng, (4, 3), dt), np.array([2, 0, 1, 2]))),
        Sample((_r(rng, (2, 2, 3), dt), np.array([[0, 1], [2, 2]]))),
    ]


def _pick_grad(rng, dt):
    return [Sample((_r(rng, (4,), dt), np.zeros((4, 3), dt), np.array([2, 0, 1, 2])))]


def _random(rng, dt):
    return [Sample((), {"shape": (3, 4), "dtype": np.dtype(dt), "mean": 0.0, "std": 1.0})]


def _random_uniform(rng, dt):
    return [Sample((), {"shape": (3, 4), "dtype": np.dtype(dt), "low": 0.0, "high": 1.0})]


def _dropout_mask(rng, dt):
    return [Sample((_r(rng, (3, 4), dt),), {"keep": 0.75})]


OPS: list[OpRow] = [
    OpRow("add", _binary()),
    OpRow("sub", _binary()),
    OpRow("mul", _binary()),
    OpRow("div", _binary(lo_b=0.5, hi_b=2.0)),
    OpRow("pow", _binary(lo=0.5, hi=2.0)),
    OpRow("maximum", _binary()),
    OpRow("minimum", _binary()),
    OpRow("eq", _compare, dtypes=(np.float32, np.float64, np.int64), grad=False),
    OpRow("ne", _compare, dtypes=(np.float32, np.float64, np.int64), grad=False),
    OpRow("lt", _compare, dtypes=(np.float32, np.float64, np.int64), grad=False),
    OpRow("le", _compare, dtypes=(np.float32, np.float64, np.int64), grad=False),
    OpRow("gt", _compare, dtypes=(np.float32, np.float64, np.int64), grad=False),
    OpRow("ge", _compare, dtypes=(np.float32, np.float64, np.int64), grad=False),
    OpRow("neg", _unary()),
    OpRow("exp", _unary()),
    OpRow("log", _unary(0.1, 3.0)),
    OpRow("sqrt", _unary(0.1, 3.0)),
    OpRow("abs", _unary(away=True)),
    OpRow("sign", _unary(away=True)),
    OpRow("tanh", _unary()),
    OpRow("sigmoid", _unary()),
    OpRow("relu", _unary(away=True)),
    OpRow("square", _unary()),
    OpRow("sin", _unary()),
    OpRow("cos", _unary()),
    OpRow("erf", _unary()),
    OpRow("relu_grad", _grad_pair(away=True)),
    OpRow("sigmoid_grad", _grad_pair(0.1, 0.9)),
    OpRow("tanh_grad", _grad_pair(-0.9, 0.9)),
    OpRow("where", _where),
    OpRow("sum", _reduce()),
    OpRow("mean", _reduce()),
    OpRow("max", _reduce(distinct=True)),
    OpRow("min", _reduce(distinct=True)),
    OpRow("argmax", _argreduce, grad=False),
    OpRow("argmin", _argreduce, grad=False),
    OpRow("count_like", _count_like, grad=False),
    OpRow("matmul", _matmul, rtol32=1e-5),
    OpRow("softmax", _axis_samples),
    OpRow("log_softmax", _axis_samples),
    OpRow("softmax_grad", _axis_grad_samples),
    OpRow("log_softmax_grad", _axis_grad_samples),
    OpRow("logsumexp", _lse),
    OpRow("sum_like", _sum_like),
    OpRow("broadcast_like", _broadcast_like),
    OpRow("broadcast_to", _broadcast_to),
    OpRow("reshape", _reshape),
    OpRow("reshape_like", _reshape_like),
    OpRow("transpose", _transpose),
    OpRow("expand_dims", _expand_dims),
    OpRow("squeeze", _squeeze),
    OpRow("getitem", _getitem),
    OpRow("getitem_grad", _getitem_grad),
    OpRow("scatter_last", _scatter_last),
    OpRow("concat", _concat),
    OpRow("stack", _stack),
    OpRow("cast", _cast),
    OpRow("identity", _single),
    OpRow("stop_gradient", _single, grad=False),
    OpRow("fill_like", _fill_like, grad=False),
    OpRow("gather", _gather),
    OpRow("scatter_add_like", _scatter),
    OpRow("pick", _pick),
    OpRow("pick_grad", _pick_grad),
    OpRow("random_normal", _random, grad=False, random=True),
    OpRow("random_uniform", _random_uniform, grad=False, random=True),
    OpRow("truncated_normal", _random, grad=False, random=True),
    OpRow("dropout_mask_like", _dropout_mask, grad=False, random=True),
]


def _extend() -> None:
    """Rows of other families live in their own files (op_table_*.py) and join the table here."""
    import importlib
    import pathlib

    for path in sorted(pathlib.Path(__file__).parent.glob("op_table_*.py")):
        OPS.extend(importlib.import_module(path.stem).ROWS_EXTRA)


_extend()
ROWS = {row.name: row for row in OPS}


def cases(dtypes: tuple | None = None):
    """(row, dtype, sample) triples for parametrising tests, with readable ids."""
    out = []
    for row in OPS:
        for dt in dtypes or row.dtypes:
            if dt not in row.dtypes:
                continue
            rng = np.random.default_rng(zlib.crc32(f"{row.name}-{np.dtype(dt).name}".encode()))
            for i, s in enumerate(row.samples(rng, np.dtype(dt))):
                out.append((row, np.dtype(dt), s, f"{row.name}-{np.dtype(dt).name}-{i}"))
    return out
