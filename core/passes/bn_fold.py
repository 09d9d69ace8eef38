"""Inference BatchNorm folded into the preceding convolution's filter (opt-in: it changes rounding).

`tf.nn.batch_normalization` with fixed statistics computes ``conv2d(x, w) * a + b`` with a per
output channel ``a = scale / sqrt(var + eps)`` and ``b = offset - mean * a``. When `a` depends on
no feed (variables and constants only) and the convolution's output has no other reader, this
pass rewrites the product as ``conv2d(x, w * a)``: the filter is scaled once per run instead of
the activation once per element, and the multiply leaves the activation's pass over memory.
The results differ from the unfolded plan in the last bits (a product is rounded at a
different place), so the pass is off unless a session asks for it:
``Session(optimize={"fold_batch_norm": True})``. Only HWIO filters (TF's layout, NHWC or NCHW
data with `a` broadcasting along the filter's last axis) are folded; the decisions say why a
candidate was refused.
"""

from __future__ import annotations

from ..ir import Node, Value
from ..primitives.conv import CONV2D
from ..primitives.elementwise import MUL
from ..primitives.registry import AVal
from .program import FEED, OP, PLACEHOLDER, PlanGraph, PNode

PASS = "fold_batch_norm"


def _fixed(p: PNode, memo: dict) -> bool:
    """True when step p depends on no feed, placeholder or random draw (variables are fine)."""
    hit = memo.get(id(p))
    if hit is not None:
        return hit
    if p.kind in (FEED, PLACEHOLDER):
        ok = False
    elif p.kind == OP and (p.prim.random or p.prim.stateful):
        ok = False
    else:
        ok = all(_fixed(i, memo) for i in p.inputs)
    memo[id(p)] = ok
    return ok


def _per_out_channel(a_shape: tuple, conv: PNode) -> bool:
    """True when a (static) shape broadcasts along the conv's output-channel axis only."""
    if conv.params.get("filter_format") != "HWIO" or None in a_shape:
        return False
    o = conv.inputs[1].shape[3]
    axis = 3 if conv.params.get("data_format") == "NHWC" else 1
    if len(a_shape) > 4 or not a_shape or a_shape[-1 if axis == 3 else 0] != o:
        return False
    if axis == 3:  # (O,), (1, O), ..., (1, 1, 1, O): broadcasts against HWIO as it is
        return all(d == 1 for d in a_shape[:-1])
    return False  # NCHW statistics are (O, 1, 1): they would need a reshape for HWIO


def _scaled_filter(w: PNode, a: PNode, conv: PNode) -> PNode:
    """A step computing w * a (a detached IR node, so later passes treat it like any mul)."""
    node = Node(None, -1, "op", MUL, {}, (w.node.output, a.node.output), conv.name + "/folded_bn")
    node.output = Value(None, node, AVal(tuple(w.shape), w.dtype))
    step = PNode(OP, node, [w, a])
    step.origin = PASS
    return step


def fold_batch_norms(pg: PlanGraph) -> None:
    """Rewrite conv2d(x, w) * a as conv2d(x, w * a) where `a` is a fixed per-channel scale."""
    consumers = pg.consumers()
    outs = pg.outputs() | {id(t) for t in pg.targets}
    memo: dict = {}
    new_nodes: list[PNode] = []
    mapping: dict[int, PNode] = {}
    drop: list[PNode] = []
    for m in pg.nodes:
        if m.kind != OP or m.prim is not MUL or len(m.inputs) != 2:
            new_nodes.append(m)
            continue
        conv, a = m.inputs
        if conv.kind != OP or conv.prim is not CONV2D:
            conv, a = a, conv
        if conv.kind != OP or conv.prim is not CONV2D or id(conv) in mapping:
            new_nodes.append(m)
            continue
        why = ""
        if id(conv) in outs or len(consumers.get(id(conv), [])) != 1:
            why = "the convolution's output is used elsewhere (training reads it)"
        elif not _fixed(a, memo):
            why = "the scale depends on a feed (batch statistics)"
        elif not _per_out_channel(tuple(a.shape), conv) or m.shape != conv.shape:
            why = "the scale is not one value per output channel of an HWIO filter"
        elif a.dtype != conv.dtype:
            why = "the scale's dtype is not the convolution's"
        if why:
            pg.note(PASS, "refused", conv, why)
            new_nodes.append(m)
            continue
        x, w = conv.inputs
        wa = _scaled_filter(w, a, conv)
        folded = PNode(OP, conv.node, [x, wa])
        folded.origin = PASS
        folded.name = m.name
        new_nodes += [wa, folded]
        mapping[id(m)] = folded
        drop.append(conv)
        pg.note(PASS, "fused", conv, f"scale {m.name} folded into the filter")
    if not mapping:
        return
    pg.nodes = new_nodes
    gone = {id(c) for c in drop}
    for v, n in list(pg.value_map.items()):
        if id(n) in gone:
            del pg.value_map[v]
    pg.replace(mapping, drop)
