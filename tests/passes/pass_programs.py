"""Random programs written once and run in either style (graph via `tf`, eager via `torch`).

A program is a list of steps `(op, operand indexes)` over a growing list of values that starts
with the inputs. Shapes come from a small broadcast-compatible family ((R, C), (1, C), (C,),
(R, 1), ()), so any elementwise op can combine any two values; reductions, matmuls and `where`
mix in the non-elementwise steps the passes must work around.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

UNARY = ("relu", "tanh", "sigmoid", "exp", "neg", "square", "abs", "scale", "shift")
BINARY = ("add", "sub", "mul", "div", "maximum", "minimum")
OTHER = ("sum_last", "mean_first", "sum_all", "matmul", "where")
SHAPES = ("RC", "1C", "C", "R1", "S")


def concrete(code: str, r: int, c: int) -> tuple:
    """The shape a code stands for."""
    return {"RC": (r, c), "1C": (1, c), "C": (c,), "R1": (r, 1), "S": ()}[code]


def _bshape(a: str, b: str) -> str:
    """The broadcast of two shape codes."""
    order = {"S": 0, "C": 1, "1C": 2, "R1": 3, "RC": 4}
    if a == b:
        return a
    pair = {a, b}
    if pair == {"C", "1C"}:
        return "1C"
    if "RC" in pair or pair == {"R1", "C"} or pair == {"R1", "1C"}:
        return "RC"
    return max(a, b, key=order.get)


@st.composite
def programs(draw, max_steps: int = 8):
    """(input shape codes, steps, dtype, r, c, unknown leading dim?)."""
    n_in = draw(st.integers(2, 3))
    shapes = ["RC"] + [draw(st.sampled_from(SHAPES)) for _ in range(n_in - 1)]
    codes = list(shapes)
    steps = []
    for _ in range(draw(st.integers(2, max_steps))):
        kind = draw(st.sampled_from(("u", "b", "b", "o")))
        if kind == "u":
            i = draw(st.integers(0, len(codes) - 1))
            steps.append((draw(st.sampled_from(UNARY)), (i,)))
            codes.append(codes[i])
        elif kind == "b":
            i, j = draw(st.integers(0, len(codes) - 1)), draw(st.integers(0, len(codes) - 1))
            steps.append((draw(st.sampled_from(BINARY)), (i, j)))
            codes.append(_bshape(codes[i], codes[j]))
        else:
            op = draw(st.sampled_from(OTHER))
            i = draw(st.integers(0, len(codes) - 1))
            if op == "sum_last" and codes[i] == "RC":
                steps.append((op, (i,)))
                codes.append("R1")
            elif op == "mean_first" and codes[i] == "RC":
                steps.append((op, (i,)))
                codes.append("1C")
            elif op == "matmul" and codes[i] in ("RC", "1C"):
                steps.append((op, (i,)))
                codes.append(codes[i])
            elif op == "where":
                j, k = draw(st.integers(0, len(codes) - 1)), draw(st.integers(0, len(codes) - 1))
                steps.append((op, (i, j, k)))
                codes.append(_bshape(_bshape(codes[i], codes[j]), codes[k]))
            else:
                steps.append(("sum_all", (i,)))
                codes.append("S")
    dtype = draw(st.sampled_from((np.float32, np.float32, np.float64)))
    r, c = draw(st.integers(2, 5)), draw(st.integers(2, 6))
    unknown = draw(st.booleans())
    extra = draw(st.integers(0, len(codes) - 1))  # a second fetched value (may be an input)
    return shapes, steps, np.dtype(dtype), r, c, unknown, extra


def inputs(shapes, dtype, r, c, seed: int = 0) -> list[np.ndarray]:
    """Input arrays for a program, with a few exact zeros and ties to stress relu/max masks."""
    rng = np.random.default_rng(seed)
    out = []
    for code in shapes:
        a = rng.standard_normal(concrete(code, r, c)).astype(dtype)
        if a.size > 2:
            a.reshape(-1)[0] = 0
        out.append(a)
    return out


def weight(dtype, c: int) -> np.ndarray:
    """The matmul weight of the programs (C, C)."""
    return (np.random.default_rng(99).standard_normal((c, c)) * 0.5).astype(dtype)


class GraphAPI:
    """The steps in TF1 style."""

    def __init__(self, tf, w):
        self.tf = tf
        self.w = tf.constant(w)

    def step(self, op, args):
        tf = self.tf
        if op in ("relu",):
            return tf.nn.relu(args[0])
        if op in ("tanh", "sigmoid", "exp", "square", "abs"):
            return getattr(tf, op)(args[0])
        if op == "neg":
            return -args[0]
        if op == "scale":
            return args[0] * 0.5
        if op == "shift":
            return 1.0 - args[0]
        if op in BINARY:
            a, b = args
            return {"add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b,
                    "div": lambda: a / b, "maximum": lambda: tf.maximum(a, b),
                    "minimum": lambda: tf.minimum(a, b)}[op]()  # fmt: skip
        if op == "sum_last":
            return tf.reduce_sum(args[0], axis=-1, keepdims=True)
        if op == "mean_first":
            return tf.reduce_mean(args[0], axis=0, keepdims=True)
        if op == "sum_all":
            return tf.reduce_sum(args[0])
        if op == "matmul":
            return tf.matmul(args[0], self.w)
        if op == "where":
            a, b, c = args
            return tf.where(a > b, b, c)
        raise AssertionError(op)

    def total(self, t):
        return self.tf.reduce_sum(t)


class EagerAPI:
    """The same steps in PyTorch style."""

    def __init__(self, torch, w):
        self.torch = torch
        self.w = torch.tensor(w)

    def step(self, op, args):
        torch = self.torch
        if op in ("relu", "tanh", "sigmoid", "exp", "square", "abs"):
            return getattr(torch, op)(args[0])
        if op == "neg":
            return -args[0]
        if op == "scale":
            return args[0] * 0.5
        if op == "shift":
            return 1.0 - args[0]
        if op in BINARY:
            a, b = args
            return {"add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b,
                    "div": lambda: a / b, "maximum": lambda: torch.maximum(a, b),
                    "minimum": lambda: torch.minimum(a, b)}[op]()  # fmt: skip
        if op == "sum_last":
            return args[0].sum(dim=-1, keepdim=True)
        if op == "mean_first":
            return args[0].mean(dim=0, keepdim=True)
        if op == "sum_all":
            return args[0].sum()
        if op == "matmul":
            return args[0] @ self.w
        if op == "where":
            a, b, c = args
            return torch.where(a > b, b, c)
        raise AssertionError(op)

    def total(self, t):
        return t.sum()


def build(api, ins, steps):
    """Run the steps over the inputs; returns every value."""
    vals = list(ins)
    for op, idx in steps:
        vals.append(api.step(op, [vals[i] for i in idx]))
    return vals
