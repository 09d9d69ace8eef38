"""Bad-input fuzzing of the whole public surface: every pair of public names (torch-style and
TF1-style) the parity tests run for the primitives of the record gets out-of-domain arguments.

The pairs are `PAIRS` of tests/parity/test_public_names_parity.py (their coverage of the record
is checked there: every primitive is reached by a pair or listed with the file that covers it).
For each pair, hypothesis picks an input and a mutation (a rank too small or too large, a
mismatched dim, an integer or bool dtype, NaN, Inf, an empty batch, indices out of range or
negative) and runs the pair in eager style (forward and backward) and in graph style with the
mutated value fed to a placeholder of unknown dims (so the run-time paths see it). Each style
must give a named error (a public type whose message names an operation of the program, never
an internal error, a numba message or a dumped array) or a result; where both return on a
value-only mutation they agree bit for bit (NaN's sign aside). Nothing changes: the inputs,
and a variable the graph would bump after the program, stay as they were after a failure.
"""

from __future__ import annotations

import importlib.util
import inspect
import pathlib
import re

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core.primitives import REGISTRY
from fuzz_support import budget
from hypothesis import given
from hypothesis import strategies as st

_PARITY = pathlib.Path(__file__).parents[1] / "parity" / "test_public_names_parity.py"
_spec = importlib.util.spec_from_file_location("_public_names_for_fuzz", _PARITY)
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)
PAIRS = _mod.PAIRS

INTERNAL = (ZeroDivisionError, KeyError, AttributeError, AssertionError, UnboundLocalError,
            NameError, RecursionError, SystemError)  # fmt: skip
PUBLIC = (ValueError, TypeError, IndexError, RuntimeError, NotImplementedError, MemoryError,
          tf.errors.OpError)  # fmt: skip
BAD_TEXT = ("tuple index out of range", "array([", "numba", "list index out of range",
            "negative dimensions are not allowed", "array is too big", "Traceback",
            "object has no attribute")  # fmt: skip
# operators a program may use, by the names an error of theirs carries
OPERATORS = ("add", "sub", "mul", "div", "truediv", "multiply", "subtract", "divide", "matmul",
             "neg", "getitem", "where", "pow", "broadcast", "cast")  # fmt: skip
VALUE_ONLY = ("nan", "inf", "empty", "index_out", "index_negative")
MUTATIONS = ("rank_down", "rank_up", "dim_mismatch", "int_dtype", "bool_dtype") + VALUE_ONLY


def _names(pair_id: str) -> set[str]:
    """The operations a pair's programs call (the names its errors may carry)."""
    eager, graph = PAIRS[pair_id][:2]
    names = {pair_id, *OPERATORS}
    for fn in (eager, graph):
        try:
            src = inspect.getsource(fn)
        except (OSError, TypeError):
            src = ""
        names |= set(re.findall(r"(\w+)\(", src))
        names.add(getattr(fn, "__name__", "<lambda>"))
    names |= {n for n in REGISTRY if n in names}
    return {n for n in names if n not in ("lambda", "<lambda>", "tensor", "float", "a", "b")}


def _mutate(x: np.ndarray, kind: str) -> np.ndarray:
    if kind == "rank_down":
        return x[0] if x.ndim else x.reshape(1)
    if kind == "rank_up":
        return x[None]
    if kind == "dim_mismatch":
        return np.concatenate([x, x[..., :1]], axis=-1) if x.ndim else x.reshape(1, 1)
    if kind == "int_dtype":
        return x.astype(np.int32) if x.dtype.kind == "f" else x.astype(np.float32)
    if kind == "bool_dtype":
        return x > 0
    if kind == "empty":
        return x[:0] if x.ndim else x.reshape(0)
    y = x.copy()
    flat = y.reshape(-1)
    if not flat.size:
        return y
    if x.dtype.kind == "f":
        flat[-1] = np.nan if kind in ("nan", "index_negative") else np.inf
    else:
        flat[-1] = -1 if kind == "index_negative" else 99
    return y


def _names_an_op(msg: str, names: set[str]) -> bool:
    """True when `msg` names one of `names` (as written, with spaces, or as a graph node's
    CamelCase type: sparse_softmax_cross_entropy_with_logits in 'SparseSoftmaxCrossEntropy...')."""
    low = msg.lower()
    forms = {f(n.lower()) for n in names for f in (str, lambda m: m.replace("_", " "))}
    forms |= {n.lower().replace("_", "") for n in names if "_" in n}
    return any(f in low for f in forms)


def _judge(where: str, outcome, names: set[str]) -> None:
    if not isinstance(outcome, Exception):
        return
    assert not isinstance(outcome, INTERNAL), f"{where}: internal error {outcome!r}"
    assert isinstance(outcome, PUBLIC), f"{where}: not a public error type {outcome!r}"
    msg = str(outcome)
    for bad in BAD_TEXT:
        assert bad not in msg, f"{where}: unclear message {msg!r}"
    assert _names_an_op(msg, names), f"{where}: the error names no operation: {msg!r}"


def _eager(pair_id: str, inputs: list, diff: tuple):
    program = PAIRS[pair_id][0]
    ts = [
        torch.tensor(x.copy(), requires_grad=(i in diff and x.dtype.kind == "f"))
        for i, x in enumerate(inputs)
    ]
    try:
        out = program(*ts)
        res = out.detach().numpy().copy()
        if any(t.requires_grad for t in ts) and out.dtype.is_floating_point:
            out.backward(torch.ones_like(out))
    except Exception as e:  # noqa: BLE001 - judged by the caller
        res = e
    for t, x in zip(ts, inputs, strict=True):
        assert t.detach().numpy().tobytes() == x.tobytes(), f"eager {pair_id}: an input changed"
    return res


def _graph(pair_id: str, inputs: list, diff: tuple):
    program = PAIRS[pair_id][1]
    g = tf.Graph()
    try:
        with g.as_default():
            phs = [tf.placeholder(tf.as_dtype(x.dtype), [None] * x.ndim) for x in inputs]
            out = program(tf, *phs)
            fetches = [out]
            wrt = [phs[i] for i in diff if inputs[i].dtype.kind == "f"]
            if wrt and tf.as_dtype(out.dtype).is_floating:
                fetches += [d for d in tf.gradients(out, wrt) if d is not None]
            bumped = tf.Variable(0.0, name="bumped")
            with tf.control_dependencies(fetches):
                bump = bumped.assign_add(1.0)
            with tf.Session() as s:
                s.run(tf.global_variables_initializer())
                try:
                    return s.run([bump, *fetches], dict(zip(phs, inputs, strict=True)))[1]
                except Exception:
                    assert s.run(bumped) == 0.0, f"graph {pair_id}: a variable changed"
                    raise
    except AssertionError:
        raise
    except Exception as e:  # noqa: BLE001 - judged by the caller
        return e


def _same(where: str, a: np.ndarray, b: np.ndarray) -> None:
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype, (
        f"{where}: {a.shape}{a.dtype} vs {b.shape}{b.dtype}"
    )
    if a.dtype.kind == "f":
        na, nb = np.isnan(a), np.isnan(b)
        assert (na == nb).all(), f"{where}: NaN in one style only"
        a, b = np.where(na, 0, a), np.where(nb, 0, b)
    assert a.tobytes() == b.tobytes(), f"{where}: eager and graph differ"


@pytest.mark.parametrize("pair_id", sorted(PAIRS))
def test_bad_inputs_to_public_names_get_a_named_error_or_agree(pair_id):
    _, _, inputs, diff = PAIRS[pair_id]
    names = _names(pair_id)

    @budget(4)
    @given(st.integers(0, len(inputs) - 1), st.sampled_from(MUTATIONS))
    def check(which, kind):
        bad = list(inputs)
        bad[which] = _mutate(inputs[which], kind)
        originals = [x.copy() for x in bad]
        where = f"{pair_id} input {which} {kind}"
        with np.errstate(all="ignore"):
            mine_e = _eager(pair_id, bad, diff)
            mine_g = _graph(pair_id, bad, diff)
        _judge(f"eager {where}", mine_e, names)
        _judge(f"graph {where}", mine_g, names)
        for x, y in zip(bad, originals, strict=True):
            assert x.tobytes() == y.tobytes(), f"{where}: an input array changed"
        both = not isinstance(mine_e, Exception) and not isinstance(mine_g, Exception)
        if both and kind in VALUE_ONLY:
            _same(where, mine_e, mine_g)

    check()
