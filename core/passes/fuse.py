"""Elementwise fusion: maximal groups of elementwise ops become one generated numba kernel each.

Groups grow from their output backwards (producer into consumer, as XLA does). An elementwise
producer joins the group of its consumers when all of them are in that one group and it is not
fetched, so each group has one output. A cheap producer (arithmetic, no transcendental) whose
readers sit in several groups is computed inside each of them instead of being stored once and
read back: recomputing is exact (the same expression on the same inputs) and saves a pass over
memory. A `broadcast_like`/`broadcast_to` inside a group costs nothing: the kernel broadcasts
its operand, provided the group's other operands already span the output shape (checked on
symbolic dims, so dims unknown until run time are fine when provably equal).

Each group compiles with `kernels.elementwise.compile_elementwise`, whose generated code
evaluates every step with the same scalar expression, in the same dtype, as the op's own kernel:
the fused result is bit-identical. Broadcasting inside a group is exact too (an elementwise op
commutes with broadcasting) but recomputes a smaller intermediate at every output position, so
a producer whose shape differs from the group's output joins only when it is a single element.
"""

from __future__ import annotations

from ..kernels.codegen import infer_dtypes
from ..kernels.elementwise_ops import OPS
from .program import FUSED, OP, PlanGraph, PNode
from .sum_fold import broadcast_dims, same_dims, symbolic_dims

MAX_INPUTS = 10  # more arrays per loop defeat LLVM's alias checks and the loop stays scalar
MAX_MEMBERS = 64
_DTYPES = frozenset({"float32", "float64", "int32", "int64", "bool"})
BCAST = "<broadcast>"  # a broadcast member: no program step, its operand stands for it
# a scalar op costing more than this (in adds per element, `ScalarOp.cost`) is too costly to
# compute twice; the others cost less than a pass over memory
_RECOMPUTE_COST = 4


def scalar_op(p: PNode) -> tuple[str | None, str]:
    """(name of the scalar op computing this step, "") or (None, why it cannot be fused)."""
    if p.kind != OP:
        return None, f"a {p.kind} step"
    prim = p.prim
    if prim.broadcast:
        if p.dtype.name not in _DTYPES:
            return None, f"dtype {p.dtype} has no generated kernels"
        return BCAST, ""
    for v in p.inputs:
        if v.dtype.name not in _DTYPES:
            return None, f"dtype {v.dtype} has no generated kernels"
    if p.dtype.name not in _DTYPES:
        return None, f"dtype {p.dtype} has no generated kernels"
    op, why = prim.scalar_op([v.dtype for v in p.inputs], p.dtype)
    if op is None:
        return None, why
    if op not in OPS:
        return None, f"no scalar template for {op!r}"
    if p.params and prim.scalar is None:  # a `scalar` rule reads the params it needs itself
        return None, "has parameters"
    if OPS[op].arity != len(p.inputs):
        return None, "operand count differs from the scalar op"
    return op, ""


def _single(p: PNode) -> bool:
    return not p.unknown_rank and all(d == 1 for d in p.shape)


class _Group:
    __slots__ = ("root", "members", "ids")

    def __init__(self, root: PNode) -> None:
        self.root = root
        self.members = [root]
        self.ids = {id(root)}

    def n_inputs(self, extra: PNode, ops: dict) -> int:
        """Full-size arrays the group would read in its inner loop with `extra` joined."""
        ids = self.ids | {id(extra)}
        ins = set()
        full = self.root.shape
        for m in [*self.members, extra]:
            for i in _operands(m, ops):
                # single elements, rows and columns are read outside the inner loop
                if id(i) not in ids and (i.shape == full or i.unknown_rank):
                    ins.add(id(i))
        return len(ins)


def _operands(m: PNode, ops: dict) -> list[PNode]:
    # a broadcast member reads only its operand (a broadcast_like's `like` is shape-only)
    return m.inputs[:1] if ops.get(id(m)) == BCAST else m.inputs


def fuse_elementwise(pg: PlanGraph) -> None:
    """Group elementwise steps and replace each group by one fused step."""
    consumers = pg.consumers()
    outs = pg.outputs() | {id(t) for t in pg.targets}
    dims = symbolic_dims(pg)
    ops: dict[int, str] = {}
    groups_of: dict[int, list[_Group]] = {}
    groups: list[_Group] = []
    for p in reversed(pg.nodes):
        op, why = scalar_op(p)
        if op is None:
            if p.kind == OP and p.prim.elementwise:
                pg.note("fuse", "refused", p, why)
            continue
        ops[id(p)] = op
        cons = consumers.get(id(p), [])
        joined: list[_Group] = []
        reason = ""
        if id(p) in outs:
            reason = "its value is fetched"
        elif not cons:
            reason = "no consumer"
        else:
            targets: list[_Group] = []
            for c in cons:
                gs = groups_of.get(id(c))
                # a broadcast member reads its operand as an input: nothing joins through it
                if not gs or ops.get(id(c)) == BCAST:
                    targets = []
                    break
                for g in gs:
                    if all(g is not t for t in targets):
                        targets.append(g)
            if not targets:
                names = [c.name for c in cons if not groups_of.get(id(c)) or ops[id(c)] == BCAST]
                reason = "read outside a fused group (by " + ", ".join(names[:3]) + ")"
            elif len(targets) > 1 and op != BCAST and OPS[op].cost > _RECOMPUTE_COST:
                reason = f"read by {len(targets)} groups and too costly to compute in each"
            else:
                for g in targets:
                    why = _refuse(p, op, g, ops, dims)
                    if why:
                        reason = why
                        break
                else:
                    joined = targets
        if not joined:
            if op == BCAST:
                if reason and cons:
                    pg.note("fuse", "boundary", p, reason)
                continue  # a broadcast on its own stays the view it is
            g = _Group(p)
            groups.append(g)
            groups_of[id(p)] = [g]
            if reason and cons:
                pg.note("fuse", "boundary", p, reason)
            continue
        for g in joined:
            g.members.append(p)
            g.ids.add(id(p))
        groups_of[id(p)] = joined
        if len(joined) > 1:
            pg.note("fuse", "duplicated", p, f"recomputed in {len(joined)} groups",
                    groups=[g.root.name for g in joined])  # fmt: skip
    _replace(pg, groups, ops, dims)


def _refuse(p: PNode, op: str, g: _Group, ops: dict, dims: dict) -> str:
    """Why p may not join g ("" when it may)."""
    if op == BCAST:
        if not same_dims(dims[id(p)], dims[id(g.root)]):
            return "a broadcast to a shape other than the group's"
    elif p.shape != g.root.shape and not _single(p):
        return (f"shape {p.shape} differs from the group's {g.root.shape}: it would be "
                "recomputed at every output position")  # fmt: skip
    if len(g.members) >= MAX_MEMBERS:
        return f"the group has {MAX_MEMBERS} ops already"
    if g.n_inputs(p, ops) > MAX_INPUTS:
        return f"the group would read more than {MAX_INPUTS} arrays"
    return ""


def _replace(pg: PlanGraph, groups: list[_Group], ops: dict, dims: dict) -> None:
    order = {id(p): k for k, p in enumerate(pg.nodes)}
    mapping: dict[int, PNode] = {}
    members_of: dict[int, list[PNode]] = {}
    for g in groups:
        members = sorted(g.members, key=lambda m: order[id(m)])
        members = _check_broadcasts(pg, g, members, ops, dims)
        step = _build(pg, members, ops, dims)
        if step is not None:
            mapping[id(g.root)] = step
            members_of[id(step)] = members
    if not mapping:
        return
    # keep a member as a step of its own when something outside its groups still reads it
    # (a broadcast a group gave back); every other member's value no longer exists
    absorbed = {id(m) for ms in members_of.values() for m in ms} - set(mapping)
    nodes = [mapping.get(id(n), n) for n in pg.nodes]
    live: set[int] = {id(n) for n in pg.fetches} | {id(n) for n in pg.targets}
    for n in reversed(nodes):
        if id(n) in absorbed and id(n) not in live:
            continue
        for i in n.inputs:
            live.add(id(i))
    keep = [n for n in nodes if id(n) not in absorbed or id(n) in live]
    gone = {id(n) for n in nodes if id(n) in absorbed and id(n) not in live}
    pg.nodes = keep
    for v, n in list(pg.value_map.items()):
        if id(n) in gone:
            del pg.value_map[v]
    pg.replace(mapping)


def _check_broadcasts(pg, g: _Group, members: list, ops: dict, dims: dict) -> list:
    """Drop broadcast members when the group's other operands do not span its output."""
    if not any(ops[id(m)] == BCAST for m in members):
        return members
    ids = {id(m) for m in members}
    ext = []
    for m in members:
        for i in _operands(m, ops):
            if id(i) not in ids:
                ext.append(dims[id(i)])
    if same_dims(broadcast_dims(ext, g.root.shape), dims[id(g.root)]):
        return members
    for m in members:
        if ops[id(m)] == BCAST:
            pg.note("fuse", "refused", m, "the group's operands do not span the broadcast shape")
    return [m for m in members if ops[id(m)] != BCAST]


def _build(pg: PlanGraph, members: list[PNode], ops: dict[int, str], dims: dict) -> PNode | None:
    pos: dict[int, int] = {}  # member -> program step (a broadcast member: its operand's ref)
    alias: dict[int, tuple] = {}
    inputs: list[PNode] = []
    index: dict[int, int] = {}
    program: list[tuple] = []
    steps: list[PNode] = []

    def ref(i: PNode, k: int) -> int:
        if id(i) in alias:
            kind, j = alias[id(i)]
            return j - k if kind == "step" else j
        j = pos.get(id(i))
        if j is not None:
            return j - k
        if id(i) not in index:
            index[id(i)] = len(inputs)
            inputs.append(i)
        return index[id(i)]

    ids = {id(m) for m in members}
    for m in members:
        k = len(program)
        if ops[id(m)] == BCAST:
            src = m.inputs[0]
            r = ref(src, k)
            alias[id(m)] = ("step", k + r) if r < 0 and id(src) in ids else ("input", r)
            continue
        args = [ref(i, k) for i in m.inputs]
        program.append((ops[id(m)], *args))
        pos[id(m)] = k
        steps.append(m)
    root = members[-1]
    if not program or ops[id(root)] == BCAST:
        return None
    program = tuple(program)
    try:
        dts = infer_dtypes(program, tuple(i.dtype for i in inputs))
    except (TypeError, ValueError) as e:
        pg.note("fuse", "refused", root, f"the program does not type-check: {e}")
        return None
    bad = [m for m, dt in zip(steps, dts, strict=True) if dt != m.dtype]
    if bad:
        pg.note("fuse", "refused", bad[0], "the generated step's dtype differs from the op's")
        return None
    step = PNode(FUSED, root.node, inputs)
    step.members = [m.node for m in steps]
    step.program = program
    step.origin = "fuse"
    step.name = root.name
    step.shape, step.dtype = root.shape, root.dtype
    # dims unknown until run time: the members' shape rules run on each new signature
    step.group = any(d is None for m in steps for i in m.inputs for d in i.shape)
    pg.note("fuse", "fused", root, f"{len(steps)} ops into one kernel",
            members=[m.name for m in members], program=program)  # fmt: skip
    return step
