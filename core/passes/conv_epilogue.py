"""conv + bias add + activation: a conv2d (or conv2d_input_grad) whose only reader is a fused
elementwise group of its own shape becomes one step that runs the group in place over the
convolution's output.

For an NHWC conv2d the group runs inside the kernel's block loop, on each block of images right
after its product is written (while the block is still in cache); otherwise over the whole
output right after the kernel. The convolution is the same kernel writing the same bits into a
buffer from the pool, and the group's generated kernel reads each element before writing that
element, so `relu(conv2d(x, w) + b)` (and `relu_grad(h, conv2d_input_grad(g, w))` on the way
back) matches the unfused steps to the bit while skipping one buffer and one pass over memory.
The pass runs under the `matmul_bias_act` switch (a product with its epilogue).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..kernels import conv as CK
from ..primitives.conv import CONV2D, CONV2D_INPUT_GRAD
from .program import FUSED, MATMUL_FUSED, OP, PlanGraph, PNode
from .runtime import _name, _squeeze, layout_key

PRODUCTS = (CONV2D, CONV2D_INPUT_GRAD)


@dataclass
class ConvEpilogue:
    """What a fused convolution step runs: the convolution, then the group over its output."""

    conv_node: object  # the conv IR node
    n_conv: int  # how many leading operands of the step are the convolution's
    members: list  # the group's IR nodes
    program: tuple
    in_dtypes: list
    at: int  # operand position of the convolution's output in the group's program
    checked: bool  # the group has dims unknown until run time
    product: str = "conv2d"

    @property
    def what(self) -> str:
        """The group's ops, for descriptions."""
        return "[" + ", ".join(m.prim.name for m in self.members) + "]"

    def runner(self, epilogue):
        """``run(pool, *conv operands, *others)`` for a fused runner `epilogue` of the group."""
        return conv_runner(self.conv_node, self.n_conv, epilogue, self.at)


def _in_place(epilogue, arrays: tuple, buf: np.ndarray) -> None:
    """Run the group over `arrays` (buf among them) writing into buf: in place once learnt."""
    ent = epilogue.cache.get(layout_key(arrays))
    if ent is not None and ent[1] == (buf.shape, buf.dtype):
        if ent[2] is not None:
            arrays = _squeeze(arrays, ent[2])
        ent[0](arrays, buf)
        return
    np.copyto(buf, epilogue(None, *arrays))  # first sight of these shapes (or a broadcast)


def _block_of(a, i0: int, i1: int, n: int, ndim: int):
    """An epilogue operand's rows for images [i0, i1) (a broadcast operand is taken whole)."""
    if isinstance(a, np.ndarray) and a.ndim == ndim and a.shape[0] == n and n != 1:
        return a[i0:i1]
    return a


def conv_runner(node, n_conv: int, epilogue, at: int):
    """The run function of a fused convolution step (see the module docstring)."""
    prim, params = node.prim, dict(node.params)
    blockwise = prim is CONV2D and params.get("data_format") == "NHWC"

    avals: dict = {}

    def out_aval(ins):
        key = tuple([(a.shape, a.dtype) for a in ins])
        hit = avals.get(key)
        if hit is None:
            try:
                aval = prim.shape_rule(*ins, **params)
            except Exception as e:
                raise _name(e, node) from None
            if len(avals) >= 64:
                avals.clear()
            hit = avals[key] = (tuple(aval.shape), np.dtype(aval.dtype))
        return hit

    def run(pool, *arrays):
        ins, others = arrays[:n_conv], arrays[n_conv:]
        shape, dt = out_aval(ins)
        buf = None
        if pool is not None:
            lst = pool.get((shape, dt))
            if lst:
                buf = lst.pop()
        if buf is None:
            buf = np.empty(shape, dt)
        if blockwise:
            n = shape[0]

            def after_block(i0, i1, block):
                part = tuple(_block_of(a, i0, i1, n, len(shape)) for a in others)
                _in_place(epilogue, part[:at] + (block,) + part[at:], block)

            CK.conv2d(*ins, **params, out=buf, after_block=after_block)
            return buf
        if prim is CONV2D:
            CK.conv2d(*ins, **params, out=buf)
        else:
            g, w, like = ins
            CK.conv2d_input_grad(g, w, like.shape, **params, out=buf)
        _in_place(epilogue, others[:at] + (buf,) + others[at:], buf)
        return buf

    return run


def fuse_conv_epilogues(pg: PlanGraph) -> None:
    """Merge each convolution into the fused group that is its only reader, when shapes agree."""
    consumers = pg.consumers()
    outs = pg.outputs() | {id(t) for t in pg.targets}
    mapping: dict[int, PNode] = {}
    drop: list[PNode] = []
    for g in pg.nodes:
        if g.kind != FUSED:
            continue
        for at, m in enumerate(g.inputs):
            if m.kind != OP or m.prim not in PRODUCTS or id(m) in mapping:
                continue
            if id(m) in outs or len(consumers.get(id(m), [])) != 1:
                pg.note("conv_bias_act", "refused", m, "the convolution's output is used elsewhere")
                continue
            if m.shape != g.shape or m.dtype != g.dtype:
                why = f"the group's shape {g.shape} is not the convolution's {m.shape}"
                pg.note("conv_bias_act", "refused", m, why)
                continue
            if sum(1 for i in g.inputs if i is m) != 1:
                continue
            others = [i for i in g.inputs if i is not m]
            ep = ConvEpilogue(
                conv_node=m.node,
                n_conv=len(m.inputs),
                members=g.members,
                program=g.program,
                in_dtypes=[i.dtype for i in g.inputs],
                at=at,
                checked=bool(g.group),
                product=m.prim.name,
            )
            step = PNode(MATMUL_FUSED, g.node, list(m.inputs) + others)
            step.members = [m.node] + list(g.members)
            step.group = ep
            step.origin = "conv_bias_act"
            step.name = g.name
            step.shape, step.dtype = g.shape, g.dtype
            mapping[id(g)] = step
            drop.append(m)
            pg.note("conv_bias_act", "fused", m, f"{m.prim.name} with {ep.what} in place",
                    group=g.name)  # fmt: skip
            break
    if not mapping:
        return
    pg.nodes = [mapping.get(id(n), n) for n in pg.nodes]
    gone = {id(m) for m in drop}
    for v, n in list(pg.value_map.items()):
        if id(n) in gone:
            del pg.value_map[v]
    pg.replace(mapping, drop)
