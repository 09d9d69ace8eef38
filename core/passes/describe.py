"""Plan inspection: a text report (steps before and after the passes, groups, memory) and DOT."""

from __future__ import annotations

from typing import Any

from .program import CONST, FEED, FUSED, MATMUL_FUSED, REDUCE_FUSED, PNode


def _shape(p: PNode) -> str:
    return "(" + ", ".join("?" if d is None else str(d) for d in p.shape) + ")"


def _ref(p: PNode) -> str:
    if p.kind == FEED:
        return f"{p.name}[fed]"
    if p.kind == CONST:
        return f"{p.name}[const]"
    return p.name


def _fmt_bytes(n: int | None) -> str:
    if n is None:
        return "unknown"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def describe(plan: Any) -> str:
    """The plan as text."""
    pg = plan.program
    opts = plan.options
    on = [n for n in ("fold", "cse", "sum_fold", "fuse", "matmul_bias_act", "memory")
          if getattr(opts, n)]  # fmt: skip
    steps = [p for p in plan.steps if p.kind != CONST]
    lines = [
        f"plan: {len(pg.fetches)} fetch(es), {len(pg.feeds)} feed(s), {len(pg.targets)} target(s)",
        f"passes on: {', '.join(on) if on else 'none (plain)'}{'; verify' if opts.verify else ''}",
        f"graph nodes: {pg.graph_size}; needed: {pg.needed}; steps before passes: "
        f"{sum(1 for line in pg.before if '[const]' not in line)}; after: {len(steps)}",
        "",
        "before:",
    ]
    lines += [f"  {line}" for line in pg.before]
    lines += ["", "after:"]
    for k, p in enumerate(plan.steps):
        if p.kind == CONST:
            continue
        ins = ", ".join(_ref(i) for i in p.inputs)
        lines.append(f"  [{k}] {p.name} = {p.what}({ins}) -> {_shape(p)} {p.dtype}")
        if p.kind in (FUSED, MATMUL_FUSED, REDUCE_FUSED):
            lines.append(f"       members: {', '.join(m.name for m in p.members)}")
            prog = p.group.program if p.kind == MATMUL_FUSED else p.program
            lines.append(f"       program: {prog}")
    groups = [p for p in plan.steps if p.kind in (FUSED, MATMUL_FUSED, REDUCE_FUSED)]
    lines += ["", f"fused groups: {len(groups)}"]
    for p in groups:
        lines.append(f"  {p.name}: {len(p.members)} ops ({p.origin}): "
                     + ", ".join(f"{m.name}<{m.prim.name}>" for m in p.members))  # fmt: skip
    interesting = [d for d in pg.log if d["action"] in ("folded", "merged", "dropped", "refused",
                                                        "boundary")]  # fmt: skip
    if interesting:
        lines += ["", "decisions:"]
        for d in interesting:
            lines.append(f"  {d['pass']}: {d['action']} {d['node']}: {d['reason']}")
    mem = plan.memory
    lines += [
        "",
        f"memory: {len(mem.pooled)} recycled buffer(s); static peak estimate "
        f"{_fmt_bytes(mem.static_peak)} of {_fmt_bytes(mem.static_total)} allocated; "
        "measured peak "
        + (f"{_fmt_bytes(plan.peak_bytes)} of {_fmt_bytes(plan.allocated_bytes)} allocated"
           " (first run)" if plan.peak_bytes is not None else "not yet (runs once first)"),
    ]  # fmt: skip
    return "\n".join(lines)


def _q(s: str) -> str:
    return '"' + s.replace('"', '\\"') + '"'


def to_dot(plan: Any) -> str:
    """Graphviz DOT of the optimised steps; a fused step is a cluster listing its ops."""
    out = ["digraph plan {", "  rankdir=TB;", '  node [shape=box, fontname="monospace"];']
    ids: dict[int, str] = {}
    for p in plan.program.value_map.values():
        if p.kind == FEED and id(p) not in ids:
            ids[id(p)] = f"f{p.feed_index}"
            out.append(f"  f{p.feed_index} [label={_q(p.name + ' (fed)')}, shape=ellipse];")
    for k, p in enumerate(plan.steps):
        ids[id(p)] = f"s{k}"
        label = f"{p.name}\\n{p.what} {_shape(p)}"
        if p.kind in (FUSED, MATMUL_FUSED, REDUCE_FUSED):
            out.append(f"  subgraph cluster_{k} {{")
            out.append(f"    label={_q(p.origin + ': ' + p.name)}; style=rounded; color=blue;")
            members = "\\l".join(f"{m.name} <{m.prim.name}>" for m in p.members) + "\\l"
            out.append(f"    s{k} [label={_q(members)}];")
            out.append("  }")
        elif p.kind == CONST:
            out.append(f"  s{k} [label={_q(p.name + ' (const)')}, shape=note];")
        else:
            out.append(f"  s{k} [label={_q(label)}];")
    for k, p in enumerate(plan.steps):
        for i in p.inputs:
            src = ids.get(id(i))
            if src is not None:
                out.append(f"  {src} -> s{k};")
    for j, p in enumerate(plan.program.fetches):
        out.append(f"  out{j} [label={_q('fetch ' + str(j))}, shape=ellipse];")
        if id(p) in ids:
            out.append(f"  {ids[id(p)]} -> out{j};")
    out.append("}")
    return "\n".join(out) + "\n"
