"""Count the PyTorch / TF1 attribute paths a folder of Python files uses, and write them as JSON.

Usage: python -m duograd.benchmarks.usage.build_corpus CORPUS_DIR [-o counts.json]

Each file in CORPUS_DIR may start with a line `# source: OWNER/REPO PATH COMMIT` (an extract of a
repository) or `# source: NAME==VERSION PATH KIND` (a file of a PyPI package, written by
fetch_corpus.py; KIND is program or library) naming where it came from; those lines become the
JSON's list of sources. Every file is parsed with `ast`; import
aliases (`import torch.nn as nn`, `from torch.nn import functional as F`,
`import tensorflow.compat.v1 as tf`, `tf = tf.compat.v1`, `FLAGS = tf.app.flags.FLAGS`) are
resolved, and each attribute path is written in canonical form: `torch.…` for PyTorch and `tf.…`
for TensorFlow (`tensorflow.compat.v1.X` and `tensorflow.X` both become `tf.X`). Counts are the
number of files that use a path (a name used 40 times in one file still counts once), so a name
weighs by how many programs need it. Attribute names read or called on values that are not modules
(`x.view(...)`, `loss.backward()`, `sess.run(...)`) are counted in a separate table per style;
`self.<name>` is skipped (those are the program's own fields).
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from collections import Counter
from pathlib import Path

# Markers of graph-style (TF1) programs: a TensorFlow file using none of these is TF2 style and
# is listed among the sources but left out of the counts.
TF1_MARKERS = (
    "tf.Session",
    "tf.InteractiveSession",
    "tf.placeholder",
    "tf.get_variable",
    "tf.variable_scope",
    "tf.global_variables_initializer",
    "tf.initialize_all_variables",
    "tf.train.",
    "tf.layers.",
    "tf.contrib.",
    "tf.app.",
    "tf.losses.",
    "tf.Graph",
    "tf.get_default_graph",
    "tf.name_scope",
    "tf.nn.rnn_cell.",
)


def canonical(path: str) -> str | None:
    """The canonical spelling of a module path, or None when it is not PyTorch or TensorFlow."""
    head = path.split(".", 1)[0]
    if head == "torch":
        return path
    if head == "tensorflow":
        rest = path[len("tensorflow") :]
        for prefix in (".compat.v1", ".compat.v2"):
            if rest.startswith(prefix):
                rest = rest[len(prefix) :]
        return "tf" + rest
    return None


def flatten(node: ast.AST) -> list[str] | None:
    """`a.b.c` as ["a", "b", "c"]; None when the chain does not start at a plain name."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return parts[::-1]
    return None


class FileUsage(ast.NodeVisitor):
    """Collects the canonical paths and the value-attribute names one module uses."""

    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}
        self.paths: Counter[str] = Counter()
        self.methods: Counter[str] = Counter()

    def resolve(self, node: ast.AST) -> str | None:
        """The canonical path an expression names, if it names a framework object."""
        parts = flatten(node)
        if not parts or parts[0] not in self.aliases:
            return None
        return ".".join([self.aliases[parts[0]], *parts[1:]])

    def visit_Import(self, node: ast.Import) -> None:
        for a in node.names:
            full = canonical(a.name)
            if full is None:
                continue
            if a.asname:
                self.aliases[a.asname] = full
            else:  # `import torch.nn` binds `torch`
                top = a.name.split(".", 1)[0]
                self.aliases[top] = canonical(top) or top

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if not node.module or node.level:
            return
        base = canonical(node.module)
        if base is None:
            return
        for a in node.names:
            if a.name != "*":
                self.aliases[a.asname or a.name] = f"{base}.{a.name}"

    def visit_Assign(self, node: ast.Assign) -> None:
        self.generic_visit(node)
        target = self.resolve(node.value)
        if target is not None:  # `tf = tf.compat.v1`, `FLAGS = flags.FLAGS`, `nn = torch.nn`
            target = (
                canonical(target.replace("tf.", "tensorflow.", 1))
                if target.startswith("tf.")
                else target
            )
            for t in node.targets:
                if isinstance(t, ast.Name):
                    self.aliases[t.id] = target

    def visit_Attribute(self, node: ast.Attribute) -> None:
        full = self.resolve(node)
        if full is not None:
            self.paths[full] += 1
            return  # the whole chain is one path; its prefixes are not separate uses
        base = node.value
        if not (isinstance(base, ast.Name) and base.id == "self"):
            self.methods[node.attr] += 1
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load) and node.id in self.aliases:
            full = self.aliases[node.id]
            if full.count(".") >= 1:  # a name imported from a framework module
                self.paths[full] += 1


def style_of(paths: Counter[str]) -> str | None:
    """'torch', 'tf1', 'tf2' or None (no framework use)."""
    if any(p.startswith("torch") for p in paths):
        return "torch"
    tf_paths = [p for p in paths if p.startswith("tf")]
    if not tf_paths:
        return None
    if any(p.startswith(m) or p == m.rstrip(".") for p in tf_paths for m in TF1_MARKERS):
        return "tf1"
    return "tf2"


def read_source(path: Path, text: str) -> dict:
    """The `# source:` line of a corpus file as {repo, path, commit}."""
    for line in text.splitlines()[:3]:
        if line.startswith("# source:"):
            fields = line[len("# source:") :].strip().split(" ")
            if len(fields) >= 3 and "==" in fields[0]:  # NAME==VERSION PATH KIND (fetch_corpus)
                name, version = fields[0].split("==", 1)
                path, kind = " ".join(fields[1:-1]), fields[-1]
                return {"repo": name, "version": version, "path": path, "kind": kind}
            if len(fields) >= 3:
                return {"repo": fields[0], "path": " ".join(fields[1:-1]), "commit": fields[-1]}
    return {"repo": path.parent.name, "path": path.name, "commit": None}


def build(corpus: Path) -> dict:
    """Parse every .py file under `corpus` and return the counts document."""
    tables: dict[str, Counter[str]] = {
        k: Counter() for k in ("torch", "tf", "torch_methods", "tf_methods")
    }
    sources: list[dict] = []
    for f in sorted(corpus.rglob("*.py")):
        text = f.read_text(encoding="utf-8", errors="replace")
        src = read_source(f, text)
        try:
            tree = ast.parse(text)
        except SyntaxError as e:
            src["style"] = f"unparsed: {e.msg}"
            sources.append(src)
            continue
        u = FileUsage()
        u.visit(tree)
        style = style_of(u.paths)
        src["style"] = style
        sources.append(src)
        if style == "torch":
            tables["torch"].update(set(p for p in u.paths if p.startswith("torch")))
            tables["torch_methods"].update(set(u.methods))
        elif style == "tf1":
            tables["tf"].update(set(p for p in u.paths if p.startswith("tf")))
            tables["tf_methods"].update(set(u.methods))
    counted = [s for s in sources if s["style"] in ("torch", "tf1")]
    return {
        "about": (
            "Number of corpus files using each attribute path (canonical torch.* / tf.*), "
            "and each attribute name used on non-module values, per style. Built by "
            "benchmarks/usage/build_corpus.py."
        ),
        "files": len(counted),
        "repos": len({s["repo"] for s in counted}),
        "files_by_style": dict(Counter(s["style"] for s in sources)),
        # extracts of repositories' tutorials and examples carry no kind: they are programs
        "files_by_kind": {
            style: dict(Counter(s.get("kind", "program") for s in counted if s["style"] == style))
            for style in ("torch", "tf1")
        },
        "counts": {
            k: dict(sorted(v.items(), key=lambda kv: (-kv[1], kv[0]))) for k, v in tables.items()
        },
        "sources": sources,
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: build the counts of CORPUS_DIR and write them as JSON."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("corpus", type=Path)
    p.add_argument("-o", "--out", type=Path, default=Path(__file__).with_name("counts.json"))
    args = p.parse_args(argv)
    doc = build(args.corpus)
    args.out.write_text(json.dumps(doc, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    print(
        f"{doc['files']} files from {doc['repos']} repositories "
        f"({doc['files_by_style']}) -> {args.out}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
