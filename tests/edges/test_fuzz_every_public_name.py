"""Bad-input fuzzing of every public operation of each frontend, one style at a time.

`test_fuzz_public_surface.py` fuzzes the public-name PAIRS of the parity table (both styles at
once, bitwise against each other). This file reaches every other public operation: the
callables of the eager namespaces (``torch``, ``torch.nn.functional``, ``torch.linalg``,
``torch.special``, ``torch.fft``, the ``Tensor`` methods) and of the graph namespaces (``tf``,
``tf.nn``, ``tf.math``, ``tf.linalg``, ``tf.image``) whose first parameter takes a tensor,
minus the names the pairs' programs already call (derived from the parity table, so the
eager-only and graph-only names are all here). An operation's arguments are drawn from its
signature by parameter name: tensors of the wrong rank, empty, 0-d, integer or bool, holding NaN
or Inf; indices out of range or negative; dims out of range; zero, negative or huge sizes and
counts; NaN and Inf probabilities. Each call must either

- raise a public error type whose message names the operation called (its name or the name of
  the function it is an alias of; no internal error type, numba text, raw numpy message or
  dumped array), leaving every argument unchanged, or
- return the anchor's result: real PyTorch's (eager) or real TF1's run in graph mode (graph;
  the graph operation is also fed through placeholders, so its run-time checks see the value).
  Where the anchor raises and duograd returns, that is a silent answer and fails; where both
  return, shapes and values must agree (NaN where the anchor has NaN). Random operations (two
  calls differ) are compared by shape only.

The budget is fixed and derandomised in the suite; the README's campaign command runs it long.
"""

from __future__ import annotations

import importlib.util
import inspect
import pathlib
import re
import warnings

import anchor_runner
import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest
from fuzz_support import CAMPAIGN, budget
from hypothesis import given
from hypothesis import strategies as st

_PAIRS_FUZZ = pathlib.Path(__file__).with_name("test_fuzz_public_surface.py")
_spec = importlib.util.spec_from_file_location("_pairs_fuzz_for_names", _PAIRS_FUZZ)
_pairs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_pairs)

INTERNAL = _pairs.INTERNAL
PUBLIC = _pairs.PUBLIC
BAD_TEXT = _pairs.BAD_TEXT

# (label, duograd namespace, anchor path: module and attributes, style)
NAMESPACES = [
    ("torch", torch, "torch:", "eager"),
    ("torch.nn.functional", torch.nn.functional, "torch:nn.functional", "eager"),
    ("torch.linalg", torch.linalg, "torch:linalg", "eager"),
    ("torch.special", torch.special, "torch:special", "eager"),
    ("torch.fft", torch.fft, "torch:fft", "eager"),
    ("torch.Tensor", torch.Tensor, "torch:Tensor", "eager"),
    ("tf", tf, "tensorflow.compat.v1:", "graph"),
    ("tf.nn", tf.nn, "tensorflow.compat.v1:nn", "graph"),
    ("tf.math", tf.math, "tensorflow.compat.v1:math", "graph"),
    ("tf.linalg", tf.linalg, "tensorflow.compat.v1:linalg", "graph"),
    ("tf.image", tf.image, "tensorflow.compat.v1:image", "graph"),
]

# parameter names that take a tensor (the first parameter of an operation is one of them)
TENSORS = {
    "input", "x", "a", "b", "self", "other", "tensor", "t", "y", "logits", "labels", "features",
    "value", "values", "input_tensor", "image", "images", "mat", "mat1", "mat2", "vec", "vec1",
    "vec2", "weight", "target", "condition", "params", "exponent", "mask", "src", "source",
    "end", "x1", "x2", "input1", "input2", "predictions", "matrix", "rhs", "lhs", "tensors",
    "inputs", "elems", "arr", "A", "B", "data", "start", "elements", "anchor", "positive",
    "negative", "log_probs", "targets", "var", "mean", "variance", "tensor_list", "sp_input",
    "batch1", "batch2", "query", "key", "grid", "theta", "boundaries", "sorted_sequence",
    "indices_or_sections", "ref", "logits_or_probs", "y_true", "y_pred", "scores",
}  # fmt: skip
INDICES = {"index", "indices", "ids", "segment_ids", "label", "labels", "target", "targets",
           "sp_ids", "indices_or_sections"}  # fmt: skip
DIMS = {"dim", "axis", "dims", "axes", "dim0", "dim1", "dim2", "start_dim", "end_dim",
        "source", "destination", "perm", "reduction_indices", "seq_axis", "batch_axis"}  # fmt: skip
COUNTS = {"k", "n", "num", "chunks", "sections", "split_size_or_sections", "num_classes",
          "depth", "diagonal", "offset", "repeats", "shifts", "num_or_size_splits", "groups",
          "kernel_size", "stride", "padding", "dilation", "output_size", "size", "shape",
          "sizes", "multiples", "num_segments", "steps", "minlength", "bins", "ksize",
          "strides", "q", "ord", "p", "num_samples", "length", "window_length",
          "output_padding", "upscale_factor", "downscale_factor", "block_size", "num_split",
          "num_lower", "num_upper", "new_height", "new_width", "target_height",
          "target_width", "max_norm", "rate"}  # fmt: skip
FLOATS = {"eps", "alpha", "beta", "min", "max", "lambd", "negative_slope", "threshold",
          "scale", "margin", "momentum", "delta", "keep_prob", "epsilon", "temperature",
          "clip_value_min", "clip_value_max", "min_val", "max_val", "exponent", "other",
          "delta_t", "label_smoothing", "lower", "upper", "value", "weight_decay",
          "norm_type", "smoothing", "beta1", "max_delta", "contrast_factor", "gamma",
          "gain"}  # fmt: skip

R = np.random.default_rng(25)


def _f(*shape):
    return R.standard_normal(shape).astype(np.float32)


def _with(x, v):
    y = x.copy()
    y.reshape(-1)[-1] = v
    return y


BASE = _f(3, 4)
TENSOR_POOL = [
    BASE, _with(BASE, np.nan), _with(BASE, np.inf), BASE[:0], np.float32(1.5) * np.ones((),
    np.float32), _f(2, 3, 4), _f(4), _f(3, 3), np.arange(-2, 10).reshape(3, 4).astype(np.int64),
    BASE > 0, _f(2, 3, 5, 5),
]  # fmt: skip
INDEX_POOL = [
    np.array([2, 0, 1], np.int64), np.array([-1, 0, 1], np.int64), np.array([99, 0], np.int64),
    np.array([[1, 0, 2, 1]] * 3, np.int64), np.zeros(0, np.int64), np.array([0.5, 1.0],
    np.float32),
]  # fmt: skip
DIM_POOL = [0, 1, -1, 2, 5, -7, (0, 1), (0, 0), (3, -9)]
COUNT_POOL = [0, 1, 2, 3, -1, -3, 7, 2**62, (2, 2), (-1, 2), (0,), (2, 3, 4), 2.5]
FLOAT_POOL = [0.5, 2.0, -1.0, 0.0, float("nan"), float("inf"), -float("inf"), 1e30]

# calls that change state outside their arguments, or that wait or touch files: not operations
NOT_OPERATIONS = re.compile(
    r"^(set_|manual_seed|seed|save|load|compile|use_deterministic|print|Print|py_func|"
    r"numpy_function|write_file|read_file|assign|scatter_(nd_)?(update|add|sub|mul|div|max|"
    r"min)$|Assert$|assert_|check_numerics|no_op|group|tuple|while_loop|cond$|case$|"
    r"map_fn|foldl|foldr|scan|register_|backward|apply_|map_|share_memory_|pin_memory|"
    r"retain_grad|requires_grad_|detach_|record_stream|tolist|item$|numpy$|data_ptr|"
    r"storage|untyped_storage|new$|cuda|cpu$|to$|type$|element_size|is_|has_|get_device|"
    r"dim_order|stride$|size$|nelement$|numel$|ndimension$|dim$|reset_default_graph|"
    r"enable_|disable_|global_|local_|trainable_|initialize_|report_|make_template|"
    r"variable|get_variable|placeholder|constant|convert_to|Variable|device|name_scope|"
    r"variable_scope|control_dependencies|colocate|container|add_to_collection|"
    r"get_collection|summary|image_summary|scalar_summary)"
)  # fmt: skip


def _paired_names() -> set[str]:
    """The names the parity pairs' programs call (fuzzed by test_fuzz_public_surface.py)."""
    out: set[str] = set()
    for pair_id in _pairs.PAIRS:
        out |= _pairs._names(pair_id)
    return out


def _first_param(fn) -> str | None:
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None
    return params[0].name if params else None


def _operations() -> list[tuple[str, str]]:
    """(namespace label, name) of every public operation this file fuzzes."""
    paired = _paired_names()
    out = []
    for label, ns, _, _ in NAMESPACES:
        for name in sorted(dir(ns)):
            if name.startswith("_") or NOT_OPERATIONS.match(name):
                continue
            try:
                fn = getattr(ns, name)
            except Exception:  # noqa: BLE001 - a name that raises is not provided
                continue
            if inspect.isclass(fn) or inspect.ismodule(fn) or not callable(fn):
                continue
            if _first_param(fn) not in TENSORS:
                continue
            if label != "torch.Tensor" and name in paired:
                continue
            out.append((label, name))
    return out


OPERATIONS = _operations()


def _anchor_fn(label: str, name: str):
    return anchor_runner.anchor_fn(label, name)


# in a campaign the anchors run in a worker process with a time limit (see anchor_runner)
_WORKER = anchor_runner.Worker() if CAMPAIGN else None


def _call_anchor(label: str, name: str, style: str, args, kwargs):
    """(result, error) of the anchor; in a campaign None, None when it hung or crashed."""
    if _WORKER is None:
        if style == "eager":
            real = pytest.importorskip("torch")
            return _attempt(lambda: _call_eager(_anchor_fn(label, name), args, kwargs, real, False))
        return _attempt(lambda: _run_tf1(_anchor_fn(label, name), args, kwargs))
    try:
        return _WORKER.call(label, name, style, args, kwargs)
    except anchor_runner.AnchorTimeout as e:
        # no verdict from the anchor: the call is judged as for a name without one
        warnings.warn(f"{label}.{name}({_show(args, kwargs)}): {e}", stacklevel=2)
        return None, None


# ---- arguments ----------------------------------------------------------------------------------


def _value_for(param: inspect.Parameter, pick) -> object:
    """A hostile value for one parameter, by its name."""
    n = param.name
    if n in INDICES and pick((False, True)):
        return ("array", pick(INDEX_POOL))
    if n in ("tensors", "inputs", "values", "tensor_list", "elems") and pick((False, True)):
        k = pick([0, 1, 2])
        return ("list", [("array", pick(TENSOR_POOL)) for _ in range(k)])
    if n in TENSORS:
        return ("array", pick(TENSOR_POOL))
    if n in DIMS:
        return ("py", pick(DIM_POOL))
    if n in COUNTS:
        return ("py", pick(COUNT_POOL))
    if n in FLOATS:
        return ("py", pick(FLOAT_POOL))
    return ("array", pick(TENSOR_POOL))  # an unknown required argument


def _arguments(fn, pick) -> tuple[list, dict]:
    """Positional values for the required parameters, and maybe one hostile keyword."""
    params = list(inspect.signature(fn).parameters.values())
    args, kwargs = [], {}
    optional = []
    for p in params:
        if p.kind is p.VAR_POSITIONAL:
            if pick((False, True)):
                args.append(("py", pick(COUNT_POOL + DIM_POOL)))
            continue
        if p.kind is p.VAR_KEYWORD:
            continue
        if p.default is p.empty and p.kind is not p.KEYWORD_ONLY:
            args.append(_value_for(p, pick))
        elif p.default is p.empty:
            kwargs[p.name] = _value_for(p, pick)
        elif p.name in DIMS | COUNTS | FLOATS | INDICES | TENSORS and p.name != "name":
            optional.append(p)
    if optional and pick((False, True)):
        p = pick(optional)
        kwargs[p.name] = _value_for(p, pick)
    return args, kwargs


def _make(v, style: str, lib, graph_consts: list | None = None):
    kind, x = v
    if kind == "py":
        return x
    if kind == "list":
        return [_make(e, style, lib, graph_consts) for e in x]
    if style == "eager":
        return lib.tensor(x.copy())
    c = lib.constant(x.copy())
    if graph_consts is not None:
        graph_consts.append(x)
    return c


def _arrays(v) -> list[np.ndarray]:
    kind, x = v
    if kind == "array":
        return [x]
    if kind == "list":
        return [a for e in x for a in _arrays(e)]
    return []


# ---- judging ------------------------------------------------------------------------------------


def _names_the_op(msg: str, names: set[str]) -> bool:
    low = msg.lower()
    for n in names:
        n = n.lower().rstrip("_")
        forms = {n, n.replace("_", " "), n.replace("_", "")}
        if any(f and f in low for f in forms):
            return True
    return False


def _judge(where: str, e: BaseException, names: set[str]) -> None:
    assert not isinstance(e, INTERNAL), f"{where}: internal error {e!r}"
    assert isinstance(e, PUBLIC), f"{where}: not a public error type {e!r}"
    msg = str(e)
    for bad in BAD_TEXT + ("index out of bounds", "is out of bounds for axis", "float division"):
        assert bad not in msg, f"{where}: unclear message {msg!r}"
    assert _names_the_op(msg, names), f"{where}: the error names no operation of {names}: {msg!r}"


_outputs = anchor_runner.outputs  # a tensor or a tuple/list of them as arrays, else None


def _agree(where: str, ours, theirs, random: bool) -> None:
    a, b = _outputs(ours), _outputs(theirs)
    if a is None or b is None:
        return  # not tensors (a module, a graph op, a string): nothing to compare here
    assert len(a) == len(b), f"{where}: {len(a)} outputs, the anchor gives {len(b)}"
    for x, y in zip(a, b, strict=True):
        assert x.shape == y.shape, f"{where}: shape {x.shape}, the anchor gives {y.shape}"
        if random or x.dtype.kind not in "biuf" or y.dtype.kind not in "biuf":
            continue
        x64, y64 = x.astype(np.float64), y.astype(np.float64)
        assert np.allclose(x64, y64, rtol=1e-3, atol=1e-4, equal_nan=True), (
            f"{where}: values differ from the anchor's (max |diff| "
            f"{np.nanmax(np.abs(x64 - y64)) if x64.size else 0})"
        )


def _call_eager(fn, args, kwargs, lib, is_method: bool):
    a = [_make(v, "eager", lib) for v in args]
    k = {n: _make(v, "eager", lib) for n, v in kwargs.items()}
    with np.errstate(all="ignore"):
        return fn(*a, **k)


def _run_tf1(anchor, args, kwargs):
    return anchor_runner.run_tf1(anchor, args, kwargs)


def _run_graph(fn, args, kwargs, fed: bool):
    g = tf.Graph()
    with g.as_default():
        feeds = {}

        def make(v):
            kind, x = v
            if kind == "py":
                return x
            if kind == "list":
                return [make(e) for e in x]
            if fed and x.dtype.kind in "biuf":
                p = tf.placeholder(tf.as_dtype(x.dtype), [None] * x.ndim)
                feeds[p] = x.copy()
                return p
            return tf.constant(x.copy())

        a = [make(v) for v in args]
        k = {n: make(v) for n, v in kwargs.items()}
        with np.errstate(all="ignore"):
            out = fn(*a, **k)
        fetch = [o for o in (out if isinstance(out, (list, tuple)) else [out])]
        if not fetch or not all(isinstance(o, tf.Tensor) for o in fetch):
            return None
        with tf.Session() as s, np.errstate(all="ignore"):
            res = s.run(fetch, feeds)
    return res if isinstance(out, (list, tuple)) else res[0]


def _attempt(call):
    try:
        return call(), None
    except AssertionError:
        raise
    except Exception as e:  # noqa: BLE001 - judged by the caller
        return None, e


def _fuzz_one(label: str, name: str, style: str, args: list, kwargs: dict) -> None:
    ns = dict((lb, n) for lb, n, _, _ in NAMESPACES)[label]
    fn = getattr(ns, name)
    # the name called, and the name of the function it is an alias of (as the anchors do:
    # torch.concatenate's errors say cat)
    names = {name, getattr(fn, "__name__", name), str(getattr(fn, "__dg_named__", name))}
    where = f"{label}.{name}({_show(args, kwargs)})"
    originals = [x.copy() for v in [*args, *kwargs.values()] for x in _arrays(v)]
    anchor = _anchor_fn(label, name)
    if style == "eager":
        state = torch.get_rng_state()
        try:
            torch.manual_seed(1)
            ours, err = _attempt(lambda: _call_eager(fn, args, kwargs, torch, False))
        finally:
            torch.set_rng_state(state)

        def rerun(seed=2):  # another seed: a random operation then gives other values
            state = torch.get_rng_state()
            try:
                torch.manual_seed(seed)
                return _attempt(lambda: _call_eager(fn, args, kwargs, torch, False))[0]
            finally:
                torch.set_rng_state(state)

        theirs = terr = None
        if anchor is not None:
            pytest.importorskip("torch")
            theirs, terr = _call_anchor(label, name, style, args, kwargs)
    else:
        ours, err = _attempt(lambda: _run_graph(fn, args, kwargs, fed=False))
        fed, ferr = _attempt(lambda: _run_graph(fn, args, kwargs, fed=True))
        if ferr is not None:
            _judge(f"graph (fed) {where}", ferr, names)

        def rerun(seed=2):  # a fresh graph: a random operation draws again
            return _attempt(lambda: _run_graph(fn, args, kwargs, fed=False))[0]

        theirs = terr = None
        if anchor is not None:
            pytest.importorskip("tensorflow")
            theirs, terr = _call_anchor(label, name, style, args, kwargs)
    given_arrays = [x for v in [*args, *kwargs.values()] for x in _arrays(v)]
    for now, orig in zip(given_arrays, originals, strict=True):
        assert now.tobytes() == orig.tobytes(), f"{where}: an argument changed"
    if err is not None:
        _judge(f"{style} {where}", err, names)
        return
    if anchor is None or ours is None or (theirs is None and terr is None):
        return
    if isinstance(terr, (TypeError, NotImplementedError)):
        # the anchor's argument parsing is stricter (an int for a tuple) or it has no kernel
        # for the dtype ("not implemented for 'Long'"): a refusal of form, not of value
        return
    assert terr is None, f"{where}: returned a result where the anchor raises {terr!r}"
    # the anchors leave these values uninitialised: compare shapes only
    if name.startswith(("empty", "new_empty", "resize")):
        _agree(where, ours, theirs, random=True)
        return
    try:
        _agree(where, ours, theirs, random=False)
    except AssertionError:
        # a random operation with few outcomes (a coin flip) may repeat itself: several draws
        # (20: a fair coin then shows both sides but once in a million; five failed a campaign)
        outs_a = _outputs(ours)
        random = False
        for seed in range(2, 22):
            outs_b = _outputs(rerun(seed))
            random = (
                outs_a is not None
                and outs_b is not None
                and any(x.tobytes() != y.tobytes() for x, y in zip(outs_a, outs_b, strict=False))
            )
            if random:
                break
        if not random:
            raise
        _agree(where, ours, theirs, random=True)


def _show(args, kwargs) -> str:
    """The call's arguments, short (arrays as dtype, shape and NaN / Inf marks)."""

    def one(v):
        kind, x = v
        if kind == "py":
            return repr(x)
        if kind == "list":
            return "[" + ", ".join(one(e) for e in x) + "]"
        marks = ""
        if x.dtype.kind == "f":
            marks = (" nan" if np.isnan(x).any() else "") + (" inf" if np.isinf(x).any() else "")
        return f"<{x.dtype}{list(x.shape)}{marks}>"

    return ", ".join([one(v) for v in args] + [f"{k}={one(v)}" for k, v in kwargs.items()])


def test_the_derived_list_reaches_the_one_style_names():
    """Every namespace contributes, and names that exist in one style only are in the list."""
    assert {lb for lb, *_ in NAMESPACES} == {lb for lb, _ in OPERATIONS}
    ours = set(OPERATIONS)
    for one_style in [("torch.Tensor", "narrow"), ("torch.nn.functional", "one_hot"),
                      ("torch", "index_fill"), ("torch.nn.functional", "embedding"),
                      ("tf", "gather_nd"), ("tf", "unsorted_segment_sum"),
                      ("tf.nn", "embedding_lookup"), ("tf.image", "grayscale_to_rgb")]:  # fmt: skip
        assert one_style in ours, one_style
    paired = _paired_names()
    assert not {n for lb, n in OPERATIONS if lb != "torch.Tensor"} & paired


# Found by this file and not fixed yet (each is a defect or an anchor quirk, listed, not hidden:
# the test runs and may pass; the reason says what it found)
KNOWN = {
    ("tf", "svd"): "singular vectors are unique up to sign only; the signs differ from TF's",
    ("torch.Tensor", "svd"): "singular vectors are unique up to sign only; the signs differ "
    "from PyTorch's",
    ("tf", "self_adjoint_eig"): "eigenvectors are unique up to sign only; the signs differ "
    "from TF's",
    **dict.fromkeys(
        [("tf", "sort"), ("tf", "argsort"), ("tf.math", "top_k"), ("tf.nn", "top_k")],
        "NaN: TF's order is not a total order (NaN compares false both ways), so its NaN "
        "positions are arbitrary; duograd puts NaN first as the largest value, as PyTorch",
    ),
    ("torch.Tensor", "sign"): "sign(NaN): PyTorch gives 0, TF NaN; the one sign primitive "
    "gives NaN in both styles",
    ("torch", "sgn"): "sgn(NaN) of a real tensor: PyTorch gives 0, TF NaN (as sign)",
    ("torch.Tensor", "sgn"): "sgn(NaN) of a real tensor: PyTorch gives 0, TF NaN (as sign)",
    # the in-place forms share the convention (found by the seed-1616 campaign)
    ("torch.Tensor", "sign_"): "sign_(NaN): PyTorch gives 0, TF NaN (as sign)",
    ("torch.Tensor", "sgn_"): "sgn_(NaN) of a real tensor: PyTorch gives 0, TF NaN (as sign)",
    ("tf.linalg", "svd"): "singular vectors are unique up to sign only; the signs differ from TF's",
    **dict.fromkeys(
        [("tf", "searchsorted"), ("torch", "searchsorted"), ("torch", "bucketize")],
        "an unsorted sorted_sequence (NaN included): the anchor's result is undefined there",
    ),
    **dict.fromkeys(
        [("tf.linalg", "eigh"), ("torch.linalg", "eigh"), ("torch.linalg", "svd")],
        "singular vectors / eigenvectors are unique up to sign only; the signs differ from the "
        "anchor's (the values and singular values agree)",
    ),  # fmt: skip
    **dict.fromkeys(
        [
            ("tf", "qr"),
            ("tf.linalg", "qr"),
            ("tf", "matrix_solve"),
            ("torch.linalg", "solve"),
            ("torch.linalg", "qr"),
            ("torch", "svd"),
            ("torch.linalg", "lstsq"),
        ],
        "a matrix holding inf or NaN: where LAPACK's result holds NaN and where inf depends on "
        "its algorithm (undefined; the finite entries agree)",
    ),  # fmt: skip
    **dict.fromkeys(
        [
            ("torch.nn.functional", "multi_margin_loss"),
            ("torch.nn.functional", "multilabel_margin_loss"),
        ],
        "an empty batch with reduction='mean': PyTorch returns uninitialised memory (a different "
        "value each call); duograd gives NaN, the mean of nothing",
    ),  # fmt: skip
    ("torch.nn.functional", "gelu"): "gelu(inf): PyTorch's own paths disagree (float32 gives "
    "NaN at +-inf, float64 inf at +inf), TF gives inf; duograd gives inf",
    # found by the seed-3131 campaign
    **dict.fromkeys(
        [("torch.Tensor", "polygamma"), ("torch.Tensor", "polygamma_")],
        "polygamma(1, x) at a pole (x = 0, -1, -2, ...): PyTorch's reflection formula gives a "
        "large finite value from sin(pi x) rounding (3.2e14 at -2 in float32, 1.6e32 in "
        "float64); TF and duograd give inf, the limit from both sides",
    ),  # fmt: skip
}


def _function(label: str, name: str):
    return getattr(dict((lb, n) for lb, n, _, _ in NAMESPACES)[label], name)


# an alias (the same function object under another name or namespace: tf.linalg.solve is
# tf.matrix_solve) shares its KNOWN entry, as its anchor is the same function too
_KNOWN_BY_FUNCTION = {
    f: why for (lb, nm), why in KNOWN.items() if getattr(f := _function(lb, nm), "__hash__", None)
}


def _params():
    for label, name in OPERATIONS:
        fn = _function(label, name)
        reason = KNOWN.get((label, name)) or (
            _KNOWN_BY_FUNCTION.get(fn) if getattr(fn, "__hash__", None) else None
        )
        marks = [pytest.mark.xfail(strict=False, reason=reason)] if reason else []
        yield pytest.param(label, name, marks=marks, id=f"{label}.{name}")


def test_known_failures_are_real_names():
    assert set(KNOWN) <= set(OPERATIONS)


@pytest.mark.parametrize("label,name", list(_params()))
def test_bad_arguments_give_a_named_error_or_the_anchors_result(label, name):
    style = dict((lb, s) for lb, _, _, s in NAMESPACES)[label]
    fn = getattr(dict((lb, n) for lb, n, _, _ in NAMESPACES)[label], name)

    @budget(2)
    @given(st.data())
    def check(data):
        args, kwargs = _arguments(fn, lambda seq: data.draw(st.sampled_from(seq)))
        _fuzz_one(label, name, style, args, kwargs)

    check()
