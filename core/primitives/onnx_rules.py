"""How each core primitive is written as ONNX nodes (read by `core/onnx_export.py`).

A rule takes the export context, the IR node and its input names and returns the name of the
ONNX value holding the node's output. Elementwise primitives map one to one; the others (matmul
with transposed operands, conv2d in either layout, indexing, the LSTM cell's two steps) expand
into a few standard ONNX operators (opset 17). A primitive without a rule cannot be exported and
the exporter says so, naming it.

Sizes are read through the context (`cx.dims`), never from the example's shapes directly, so a
dimension that follows a dynamic axis is computed at run time; a rule whose parameters hold
sizes (a reshape's target, a broadcast's shape) is marked `dynamic_params` and writes those
that change with the dynamic axes as run-time shapes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..kernels.conv import oihw
from ..kernels.rnn import ORDERS
from .conv import conv_padding

Rule = Callable[[Any, Any, list[str]], str]

_UNARY = {
    "neg": "Neg", "exp": "Exp", "log": "Log", "sqrt": "Sqrt", "tanh": "Tanh",
    "sigmoid": "Sigmoid", "relu": "Relu", "abs": "Abs", "sign": "Sign", "sin": "Sin",
    "cos": "Cos", "identity": "Identity", "stop_gradient": "Identity",
    "with_shape": "Identity",  # a static shape checked when run: ONNX checks shapes itself
    # guards (domain checks that hand their operand back): ONNX runtimes check extents and
    # values their own way, so the exported model keeps the value and drops the check
    "extent_bounds": "Identity", "unit_interval": "Identity", "class_values": "Identity",
}  # fmt: skip
_BINARY = {
    "add": "Add", "sub": "Sub", "mul": "Mul", "div": "Div", "pow": "Pow",
    "maximum": "Max", "minimum": "Min",
}  # fmt: skip


def _rank(v: Any) -> int:
    return len(tuple(v.shape))


def _axes(axes: Any, rank: int) -> list[int]:
    if axes is None:
        return list(range(rank))
    if isinstance(axes, (int, np.integer)):
        axes = (axes,)
    return [int(a) % rank for a in axes]


def _unary(op: str) -> Rule:
    return lambda cx, node, ins: cx.emit(op, ins)


def _binary(op: str) -> Rule:
    return lambda cx, node, ins: cx.emit(op, cx.same_dtype(node, ins))


def _square(cx, node, ins):
    return cx.emit("Mul", [ins[0], ins[0]])


def _matmul(cx, node, ins):
    for i, flag in ((0, "transpose_a"), (1, "transpose_b")):
        if node.params.get(flag):
            r = _rank(node.inputs[i])
            perm = list(range(r - 2)) + [r - 1, r - 2]
            ins[i] = cx.emit("Transpose", [ins[i]], perm=perm)
    a, b = ins
    return cx.emit("MatMul", [a, b])


def _dynamic(rule: Rule) -> Rule:
    rule.dynamic_params = True  # type: ignore[attr-defined]
    return rule


@_dynamic
def _reshape(cx, node, ins):
    shape = [int(d) for d in node.params["shape"]]
    twin = cx.alt_params(node)
    other = shape if twin is None else [int(d) for d in twin["shape"]]
    moving = [i for i, (a, b) in enumerate(zip(shape, other, strict=True)) if a != b]
    if len(moving) == 1 and -1 not in shape:
        shape[moving[0]] = -1  # the one size that follows the dynamic axes is inferred
    elif moving:
        dims = [cx.dim_of(a, b) if a != b else a for a, b in zip(shape, other, strict=True)]
        return cx.emit("Reshape", [ins[0], cx.shape_tensor(dims, node)])
    return cx.emit("Reshape", [ins[0], cx.const(np.asarray(shape, dtype=np.int64))])


def _reshape_like(cx, node, ins):
    return cx.emit("Reshape", [ins[0], cx.emit("Shape", [ins[1]])])


def _transpose(cx, node, ins):
    perm = node.params.get("perm")
    if perm is None:
        perm = list(reversed(range(_rank(node.inputs[0]))))
    return cx.emit("Transpose", ins, perm=[int(p) for p in perm])


def _reduce(op: str) -> Rule:
    def rule(cx, node, ins):
        axes = _axes(node.params.get("axes"), _rank(node.inputs[0]))
        keep = int(bool(node.params.get("keepdims", False)))
        if op == "ReduceSum":  # axes are an input from opset 13 on
            return cx.emit(op, [ins[0], cx.const(np.asarray(axes, np.int64))], keepdims=keep)
        return cx.emit(op, ins, axes=axes, keepdims=keep)

    return rule


def _softmax(op: str) -> Rule:
    def rule(cx, node, ins):
        axis = int(node.params.get("axis", -1)) % _rank(node.inputs[0])
        return cx.emit(op, ins, axis=axis)

    return rule


def _cast(cx, node, ins):
    return cx.emit("Cast", ins, to=cx.onnx_dtype(node.output.dtype))


def _expand_dims(cx, node, ins):
    axis = int(node.params["axis"]) % (_rank(node.inputs[0]) + 1)
    return cx.emit("Unsqueeze", [ins[0], cx.const(np.asarray([axis], np.int64))])


def _squeeze(cx, node, ins):
    shape = cx.dims(node.inputs[0])
    axes = node.params.get("axes", node.params.get("axis"))
    axes = [i for i, d in enumerate(shape) if d == 1] if axes is None else _axes(axes, len(shape))
    return cx.emit("Squeeze", [ins[0], cx.const(np.asarray(axes, np.int64))])


@_dynamic
def _broadcast_to(cx, node, ins):
    out, x = cx.dims(node.output), cx.dims(node.inputs[0])
    x = [1] * (len(out) - len(x)) + x
    # a dynamic size the input already has is kept by Expand's 1; others are computed
    shape = [1 if not isinstance(o, int) and o == i else o for o, i in zip(out, x, strict=True)]
    return cx.emit("Expand", [ins[0], cx.shape_tensor(shape, node)])


def _concat(cx, node, ins):
    axis = int(node.params["axis"]) % _rank(node.output)
    return cx.emit("Concat", ins, axis=axis)


def _stack(cx, node, ins):
    axis = int(node.params["axis"]) % _rank(node.output)
    ax = cx.const(np.asarray([axis], np.int64))
    return cx.emit("Concat", [cx.emit("Unsqueeze", [i, ax]) for i in ins], axis=axis)


def _getitem(cx, node, ins):
    index = node.params["index"]
    index = index if isinstance(index, tuple) else (index,)
    if sum(i is Ellipsis for i in index) == 1:  # `...` stands for the axes not named
        at, rank = index.index(Ellipsis), _rank(node.inputs[0])
        fill = (slice(None),) * (rank - len(index) + 1)
        index = index[:at] + fill + index[at + 1 :]
    if any(i is None or i is Ellipsis or isinstance(i, np.ndarray) for i in index):
        raise NotImplementedError(
            f"ONNX export: getitem with index {index!r} (only ints and slices are exported)"
        )
    starts, ends, axes, steps, picks = [], [], [], [], []
    for ax, ix in enumerate(index):
        if isinstance(ix, slice):
            # ONNX's Slice clamps and counts from the end as Python does, so the slice is
            # written as given (not resolved against the example's size, which may change)
            st = 1 if ix.step is None else int(ix.step)
            s = int(ix.start) if ix.start is not None else (0 if st > 0 else -1)
            e = int(ix.stop) if ix.stop is not None else (2**62 if st > 0 else -(2**62))
            if (s, e, st) != (0, 2**62, 1):
                starts.append(s), ends.append(e), axes.append(ax), steps.append(st)
        else:
            picks.append((ax, int(ix)))
    x = ins[0]
    if axes:
        c = [cx.const(np.asarray(v, np.int64)) for v in (starts, ends, axes, steps)]
        x = cx.emit("Slice", [x, *c])
    for ax, i in sorted(picks, reverse=True):  # later axes first, so earlier ones keep place
        x = cx.emit("Gather", [x, cx.const(np.asarray(i, np.int64))], axis=ax)
    return x if x != ins[0] else cx.emit("Identity", [x])


def _pads(node) -> list[int]:
    p = node.params["padding"]
    if isinstance(p, str):
        x, w = node.inputs[0], node.inputs[1] if len(node.inputs) > 1 else None
        fmt = node.params.get("data_format", "NCHW")
        hw = tuple(x.shape)[2:] if fmt == "NCHW" else tuple(x.shape)[1:3]
        if w is not None and node.prim.name == "conv2d":
            k = oihw(tuple(w.shape), node.params["filter_format"])[2:]
        else:
            k = tuple(node.params["ksize"])
        p = conv_padding(p, hw, k, node.params["stride"], node.params.get("dilation", 1))
        if isinstance(p, str):
            raise NotImplementedError(
                "ONNX export: 'SAME' padding needs the input's height and width; give the "
                "placeholder a static spatial shape"
            )
    top, bottom, left, right = (int(v) for v in p)
    return [top, left, bottom, right]


def _nchw(cx, node, x):
    if node.params.get("data_format", "NCHW") == "NHWC":
        return cx.emit("Transpose", [x], perm=[0, 3, 1, 2])
    return x


def _back(cx, node, y):
    if node.params.get("data_format", "NCHW") == "NHWC":
        return cx.emit("Transpose", [y], perm=[0, 2, 3, 1])
    return y


def _conv2d(cx, node, ins):
    x, w = ins
    if node.params["filter_format"] == "HWIO":
        w = cx.emit("Transpose", [w], perm=[3, 2, 0, 1])
    y = cx.emit(
        "Conv", [_nchw(cx, node, x), w], strides=list(node.params["stride"]),
        dilations=list(node.params["dilation"]), pads=_pads(node),
    )  # fmt: skip
    return _back(cx, node, y)


def _batch_norm_infer(cx, node, ins):
    """x * a + b with a = (1 / sqrt(var + eps)) * scale, b = offset - mean * a, per channel: the
    composed form's operations in its order (ONNX's BatchNormalization rounds differently)."""
    x, mean, var, scale, offset = ins
    dt = node.output.dtype
    eps = cx.const(np.asarray(node.params["eps"], dt))
    inv = cx.emit(
        "Div", [cx.const(np.asarray(1, dt)), cx.emit("Sqrt", [cx.emit("Add", [var, eps])])]
    )
    a = cx.emit("Mul", [inv, scale])
    b = cx.emit("Sub", [offset, cx.emit("Mul", [mean, a])])
    axis = node.params["axis"]
    shape = [-1 if i == axis else 1 for i in range(_rank(node.output))]
    shape = cx.const(np.asarray(shape, np.int64))
    a, b = cx.emit("Reshape", [a, shape]), cx.emit("Reshape", [b, shape])
    return cx.emit("Add", [cx.emit("Mul", [x, a]), b])


def _pool(op: str) -> Rule:
    def rule(cx, node, ins):
        attrs = {"kernel_shape": list(node.params["ksize"]), "strides": list(node.params["stride"]),
                 "pads": _pads(node)}  # fmt: skip
        if op == "AveragePool":
            attrs["count_include_pad"] = int(bool(node.params.get("count_include_pad", True)))
        return _back(cx, node, cx.emit(op, [_nchw(cx, node, ins[0])], **attrs))

    return rule


def _gates(cx, node, gates):
    parts = cx.emit_n("Split", [gates], 4, axis=-1)
    return dict(zip(ORDERS[node.params["layout"]], parts, strict=True))


def _lstm_state(cx, node, ins):
    g = _gates(cx, node, ins[0])
    f = g["f"]
    fb = float(node.params.get("forget_bias", 0.0))
    if fb:
        f = cx.emit("Add", [f, cx.const(np.asarray(fb, node.output.dtype))])
    keep = cx.emit("Mul", [cx.emit("Sigmoid", [f]), ins[1]])
    new = cx.emit("Mul", [cx.emit("Sigmoid", [g["i"]]), cx.emit("Tanh", [g["g"]])])
    return cx.emit("Add", [keep, new])


def _lstm_output(cx, node, ins):
    g = _gates(cx, node, ins[0])
    return cx.emit("Mul", [cx.emit("Sigmoid", [g["o"]]), cx.emit("Tanh", [ins[1]])])


def _lstm_seq(cx, node, ins):
    """The whole-sequence LSTM unrolled over its static steps into the packed (T, B, 7H)."""
    x, h, c, wx, wh, bx, bh, lengths = ins
    t_len = cx.dims(node.inputs[0])[0]
    if not isinstance(t_len, int):
        raise NotImplementedError(
            "ONNX export: the LSTM is unrolled over its time steps, so the sequence length "
            "must be fixed (make only the batch axis dynamic)"
        )
    dt = np.dtype(node.output.dtype)
    fb = float(node.params.get("forget_bias", 0.0))
    ldt = np.dtype(node.inputs[7].dtype)
    zero = cx.const(np.zeros((), dt))
    steps = []
    for t in range(t_len):
        xt = cx.emit("Gather", [x, cx.const(np.asarray(t, np.int64))], axis=0)
        xp = cx.emit("Add", [cx.emit("MatMul", [xt, wx]), bx])
        gates = cx.emit("Add", [xp, cx.emit("Add", [cx.emit("MatMul", [h, wh]), bh])])
        g = dict(zip(ORDERS[node.params["layout"]], cx.emit_n("Split", [gates], 4, axis=-1),
                     strict=True))  # fmt: skip
        f = g["f"] if not fb else cx.emit("Add", [g["f"], cx.const(np.asarray(fb, dt))])
        keep = cx.emit("Mul", [cx.emit("Sigmoid", [f]), c])
        c_new = cx.emit("Add", [keep, cx.emit("Mul", [cx.emit("Sigmoid", [g["i"]]),
                                                      cx.emit("Tanh", [g["g"]])])])  # fmt: skip
        h_new = cx.emit("Mul", [cx.emit("Sigmoid", [g["o"]]), cx.emit("Tanh", [c_new])])
        live = cx.emit("Less", [cx.const(np.asarray(t, ldt)), lengths])
        live = cx.emit("Unsqueeze", [live, cx.const(np.asarray([1], np.int64))])
        out = cx.emit("Where", [live, h_new, zero])
        h, c = cx.emit("Where", [live, h_new, h]), cx.emit("Where", [live, c_new, c])
        step = cx.emit("Concat", [out, h, c, gates], axis=-1)
        steps.append(cx.emit("Unsqueeze", [step, cx.const(np.asarray([0], np.int64))]))
    return cx.emit("Concat", steps, axis=0)


def _sdpa(cx, node, ins):
    """Fused attention as its composed ONNX ops: scale, q k^T, + mask, Softmax, @ v."""
    q, k, v, mask = ins[:4]
    if node.params.get("keep", 1.0) < 1.0:
        raise NotImplementedError(
            "sdpa: attention dropout (training mode) has no ONNX form; export in eval mode"
        )
    rank = _rank(node.inputs[0])
    dt = np.dtype(node.output.dtype)
    qs = cx.emit("Mul", [q, cx.const(np.asarray(node.params["scale"], dt))])
    perm = list(range(rank - 2)) + [rank - 1, rank - 2]
    scores = cx.emit("MatMul", [qs, cx.emit("Transpose", [k], perm=perm)])
    if node.params["has_mask"]:
        if np.dtype(node.inputs[3].dtype) == np.bool_:
            inf, zero = cx.const(np.asarray(-np.inf, dt)), cx.const(np.asarray(0, dt))
            mask = cx.emit("Where", [mask, inf, zero])
        scores = cx.emit("Add", [scores, mask])
    elif node.params["causal"]:
        length, source = tuple(node.inputs[0].shape)[-2], tuple(node.inputs[1].shape)[-2]
        tri = np.triu(np.full((length, source), -np.inf, dt), 1)
        scores = cx.emit("Add", [scores, cx.const(tri)])
    return cx.emit("MatMul", [cx.emit("Softmax", [scores], axis=rank - 1), v])


def _layer_norm(cx, node, ins):
    """The fused layer norm as ONNX's LayerNormalization over the trailing `naxes` axes."""
    x, scale, offset = ins
    p = node.params
    rank = _rank(node.inputs[0])
    tail = tuple(node.inputs[0].shape)[rank - p["naxes"] :]
    if not p["has_scale"]:
        if None in tail:
            raise NotImplementedError(
                "layer_norm_fused: without a scale the normalised axes must be static to export"
            )
        scale = cx.const(np.ones(tail, np.dtype(node.output.dtype)))
    args = [x, scale] + ([offset] if p["has_offset"] else [])
    return cx.emit("LayerNormalization", args, axis=rank - p["naxes"], epsilon=float(p["eps"]))


def _seq_cells(cx, node, ins):
    """The whole-sequence GRU / plain RNN unrolled over its static steps into its packed result."""
    x, h, wx, wh, bx, bh, lengths = ins
    t_len = tuple(node.inputs[0].shape)[0]
    dt = np.dtype(node.output.dtype)
    act = node.params.get("nonlinearity")  # None: the GRU
    ldt = np.dtype(node.inputs[6].dtype)
    zero, one = cx.const(np.zeros((), dt)), cx.const(np.ones((), dt))
    steps = []
    for t in range(t_len):
        xt = cx.emit("Gather", [x, cx.const(np.asarray(t, np.int64))], axis=0)
        xp = cx.emit("Add", [cx.emit("MatMul", [xt, wx]), bx])
        hp = cx.emit("Add", [cx.emit("MatMul", [h, wh]), bh])
        if act is None:
            xr, xz, xn = cx.emit_n("Split", [xp], 3, axis=-1)
            hr, hz, hn = cx.emit_n("Split", [hp], 3, axis=-1)
            ar, az = cx.emit("Add", [xr, hr]), cx.emit("Add", [xz, hz])
            r, z = cx.emit("Sigmoid", [ar]), cx.emit("Sigmoid", [az])
            n = cx.emit("Tanh", [cx.emit("Add", [xn, cx.emit("Mul", [r, hn])])])
            keep = cx.emit("Mul", [cx.emit("Sub", [one, z]), n])
            h_new = cx.emit("Add", [keep, cx.emit("Mul", [z, h])])
            saved = [ar, az, xn, hn]
        else:
            a = cx.emit("Add", [xp, hp])
            h_new = cx.emit("Tanh" if act == "tanh" else "Relu", [a])
            saved = [a]
        live = cx.emit("Less", [cx.const(np.asarray(t, ldt)), lengths])
        live = cx.emit("Unsqueeze", [live, cx.const(np.asarray([1], np.int64))])
        out = cx.emit("Where", [live, h_new, zero])
        h = cx.emit("Where", [live, h_new, h])
        step = cx.emit("Concat", [out, h, *saved], axis=-1)
        steps.append(cx.emit("Unsqueeze", [step, cx.const(np.asarray([0], np.int64))]))
    return cx.emit("Concat", steps, axis=0)


def _gru_tf_seq(cx, node, ins):
    """TF's GRUCell over the static steps into the packed result of gru_tf_seq."""
    x, h, kg, bg, kc, bc, lengths = ins
    t_len = tuple(node.inputs[0].shape)[0]
    dt = np.dtype(node.output.dtype)
    ldt = np.dtype(node.inputs[6].dtype)
    zero, one = cx.const(np.zeros((), dt)), cx.const(np.ones((), dt))
    steps = []
    for t in range(t_len):
        xt = cx.emit("Gather", [x, cx.const(np.asarray(t, np.int64))], axis=0)
        ag = cx.emit("Add", [cx.emit("MatMul", [cx.emit("Concat", [xt, h], axis=-1), kg]), bg])
        r, u = cx.emit_n("Split", [cx.emit("Sigmoid", [ag])], 2, axis=-1)
        rh = cx.emit("Mul", [r, h])
        ac = cx.emit("Add", [cx.emit("MatMul", [cx.emit("Concat", [xt, rh], axis=-1), kc]), bc])
        cand = cx.emit("Mul", [cx.emit("Sub", [one, u]), cx.emit("Tanh", [ac])])
        h_new = cx.emit("Add", [cx.emit("Mul", [u, h]), cand])
        live = cx.emit("Less", [cx.const(np.asarray(t, ldt)), lengths])
        live = cx.emit("Unsqueeze", [live, cx.const(np.asarray([1], np.int64))])
        out = cx.emit("Where", [live, h_new, zero])
        h = cx.emit("Where", [live, h_new, h])
        step = cx.emit("Concat", [out, h, ag, ac, rh], axis=-1)
        steps.append(cx.emit("Unsqueeze", [step, cx.const(np.asarray([0], np.int64))]))
    return cx.emit("Concat", steps, axis=0)


def _fill_like(cx, node, ins):
    value = np.asarray([node.params["value"]], np.dtype(node.output.dtype))
    return cx.emit(
        "ConstantOfShape", [cx.emit("Shape", [ins[0]])],
        value=cx.onnx.numpy_helper.from_array(value),
    )  # fmt: skip


def _shape_of(cx, node, ins):
    return _cast_to(cx, cx.emit("Shape", ins), node.output.dtype)


def _cast_to(cx, name, dtype, have=np.int64):
    if np.dtype(dtype) == np.dtype(have):
        return name
    return cx.emit("Cast", [name], to=cx.onnx_dtype(dtype))


def _fill_dynamic(cx, node, ins):
    shape = cx.emit("Cast", [ins[0]], to=cx.onnx_dtype(np.int64))
    return cx.emit("Expand", [_cast_to(cx, ins[1], node.output.dtype, node.inputs[1].dtype), shape])


def _gather(cx, node, ins):
    # np.take semantics; ONNX's Gather takes int32/int64 indices the same way
    return cx.emit("Gather", ins, axis=int(node.params.get("axis", 0)))


def _where(cx, node, ins):
    return cx.emit("Where", [cx.as_bool(node.inputs[0], ins[0]), ins[1], ins[2]])


RULES: dict[str, Rule] = {
    **{k: _unary(v) for k, v in _UNARY.items()},
    **{k: _binary(v) for k, v in _BINARY.items()},
    "square": _square, "matmul": _matmul, "reshape": _reshape, "reshape_like": _reshape_like,
    "transpose": _transpose, "sum": _reduce("ReduceSum"), "mean": _reduce("ReduceMean"),
    "max": _reduce("ReduceMax"), "min": _reduce("ReduceMin"), "softmax": _softmax("Softmax"),
    "log_softmax": _softmax("LogSoftmax"), "cast": _cast, "expand_dims": _expand_dims,
    "squeeze": _squeeze, "broadcast_to": _broadcast_to, "concat": _concat, "stack": _stack,
    "getitem": _getitem, "conv2d": _conv2d, "max_pool2d": _pool("MaxPool"),
    "avg_pool2d": _pool("AveragePool"), "lstm_state": _lstm_state, "lstm_output": _lstm_output,
    "lstm_seq": _lstm_seq, "fill_like": _fill_like, "sdpa": _sdpa, "gru_seq": _seq_cells,
    "rnn_seq": _seq_cells, "gru_tf_seq": _gru_tf_seq,
    "where": _where, "gather": _gather, "shape_of": _shape_of,
    "fill_dynamic": _fill_dynamic, "batch_norm_infer": _batch_norm_infer,
    "layer_norm_fused": _layer_norm,
}  # fmt: skip


def onnx_rule(prim: Any) -> Rule | None:
    """The ONNX rule of a primitive, or None when it has none."""
    return RULES.get(prim.name)
