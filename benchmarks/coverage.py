"""`duograd coverage`: how much of the real PyTorch / TF1 surface duograd provides, per namespace.

Two figures per namespace:

- unweighted: public names of the installed anchor (real `torch` / `tensorflow.compat.v1`) that
  duograd also provides, over all the anchor's public names;
- usage-weighted: over the names real programs use (benchmarks/usage/counts.json, built by
  benchmarks/usage/build_corpus.py), each weighted by how many corpus files use it, the share of
  that weight duograd provides. Names the installed anchor no longer has (removed APIs) are left
  out of the weighted figure, since those programs fail on the anchor too.

A name counts as provided when looking it up on duograd's namespace gives an object: a name that
raises (AttributeError or the NotImplementedError of a missing name) is not provided.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

COUNTS = Path(__file__).parent / "usage" / "counts.json"


@dataclass(frozen=True)
class Namespace:
    """One row: a dotted name as programs write it, where duograd and the anchor keep it."""

    label: str  # canonical spelling in the counts: "torch.nn", "tf.train", "torch.Tensor"
    ours: str  # "module:attr.path" inside duograd
    anchor: str  # "module:attr.path" of the real library
    table: str  # counts table: "torch", "tf", "torch_methods"


EAGER = "duograd.frontends.eager"
GRAPH = "duograd.frontends.graph"
TF1 = "tensorflow.compat.v1"

NAMESPACES: tuple[Namespace, ...] = (
    Namespace("torch", f"{EAGER}:", "torch:", "torch"),
    Namespace("torch.nn", f"{EAGER}:nn", "torch:nn", "torch"),
    Namespace("torch.nn.functional", f"{EAGER}:nn.functional", "torch:nn.functional", "torch"),
    Namespace("torch.nn.init", f"{EAGER}:nn.init", "torch:nn.init", "torch"),
    Namespace("torch.optim", f"{EAGER}:optim", "torch:optim", "torch"),
    Namespace(
        "torch.optim.lr_scheduler",
        f"{EAGER}:optim.lr_scheduler",
        "torch.optim.lr_scheduler:",
        "torch",
    ),
    Namespace("torch.utils.data", f"{EAGER}:utils.data", "torch.utils.data:", "torch"),
    Namespace("torch.autograd", f"{EAGER}:autograd", "torch:autograd", "torch"),
    Namespace("torch.Tensor", f"{EAGER}:Tensor", "torch:Tensor", "torch_methods"),
    Namespace("tf", f"{GRAPH}:", f"{TF1}:", "tf"),
    Namespace("tf.nn", f"{GRAPH}:nn", f"{TF1}:nn", "tf"),
    Namespace("tf.train", f"{GRAPH}:train", f"{TF1}:train", "tf"),
    Namespace("tf.layers", f"{GRAPH}:layers", f"{TF1}:layers", "tf"),
    Namespace("tf.losses", f"{GRAPH}:losses", f"{TF1}:losses", "tf"),
    Namespace("tf.math", f"{GRAPH}:math", f"{TF1}:math", "tf"),
    Namespace("tf.random", f"{GRAPH}:random", f"{TF1}:random", "tf"),
    Namespace("tf.image", f"{GRAPH}:image", f"{TF1}:image", "tf"),
    Namespace("tf.app", f"{GRAPH}:app", f"{TF1}:app", "tf"),
    Namespace("tf.flags", f"{GRAPH}:flags", f"{TF1}:flags", "tf"),
    Namespace("tf.summary", f"{GRAPH}:summary", f"{TF1}:summary", "tf"),
)


def lookup(spec: str) -> Any:
    """The object at "module:attr.path", or None when the module or an attribute is missing."""
    module, _, attrs = spec.partition(":")
    if module.startswith("tensorflow"):
        # tf.compat.v1.layers and some rnn_cell paths load only with the legacy Keras
        os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        obj = importlib.import_module(module)
    except Exception:  # an absent or broken anchor leaves that column empty
        return None
    for part in filter(None, attrs.split(".")):
        obj = provided(obj, part)
        if obj is None:
            return None
    return obj


def provided(obj: Any, name: str) -> Any:
    """`obj.name` if it exists, else None (missing names may raise NotImplementedError)."""
    try:
        return getattr(obj, name)
    except (AttributeError, NotImplementedError):
        return None
    except Exception:  # a property that fails on the class object still exists
        return True


def public_names(obj: Any) -> set[str]:
    """The public attribute names of a module or class."""
    try:
        names = dir(obj)
    except Exception:  # a lazily loaded module that cannot load has no names we can list
        return set()
    return {n for n in names if not n.startswith("_")}


def usage_by_child(counts: dict[str, int], label: str, labels: set[str]) -> dict[str, int]:
    """Weights of the names directly under `label` (paths under a deeper listed label excluded)."""
    out: dict[str, int] = {}
    prefix = label + "."
    for path, n in counts.items():
        if not path.startswith(prefix):
            continue
        deeper = [lb for lb in labels if lb != label and path.startswith(lb + ".")]
        if any(len(lb) > len(label) for lb in deeper):
            continue
        child = path[len(prefix) :].split(".", 1)[0]
        out[child] = max(out.get(child, 0), n)
    return out


@dataclass
class Row:
    """The coverage figures of one namespace."""

    label: str
    ours_n: int | None
    anchor_n: int | None
    weight_covered: int
    weight_total: int
    used_names: int
    missing: list[tuple[str, int]]
    not_in_anchor: list[str]

    def unweighted(self) -> str:
        """ "12 / 34 (35.3%)" or "n/a"."""
        if self.ours_n is None or not self.anchor_n:
            return "n/a (anchor not installed)" if self.anchor_n is None else "n/a"
        return f"{self.ours_n} / {self.anchor_n} ({100 * self.ours_n / self.anchor_n:.1f}%)"

    def weighted(self) -> str:
        """ "99.1% of 321 uses" or "n/a"."""
        if not self.weight_total:
            return "n/a (no uses in corpus)"
        pct = 100 * self.weight_covered / self.weight_total
        return f"{pct:.1f}% ({self.weight_covered}/{self.weight_total}, {self.used_names} names)"


def measure(ns: Namespace, doc: dict, labels: set[str]) -> Row:
    """Compute one namespace's row."""
    ours = lookup(ns.ours)
    anchor = lookup(ns.anchor)
    anchor_names = public_names(anchor) if anchor is not None else None
    ours_n = None
    if anchor_names is not None:
        have = [n for n in anchor_names if ours is not None and provided(ours, n) is not None]
        ours_n = len(have)
    table = doc["counts"].get(ns.table, {})
    if ns.table.endswith("_methods"):
        weights = dict(table)
        if anchor_names is None:
            weights = {}  # without the anchor a value's attribute cannot be told a Tensor method
        else:
            weights = {k: v for k, v in weights.items() if k in anchor_names}
    else:
        weights = usage_by_child(table, ns.label, labels)
    not_in_anchor = []
    if anchor_names is not None and not ns.table.endswith("_methods"):
        not_in_anchor = sorted(k for k in weights if k not in anchor_names)
        weights = {k: v for k, v in weights.items() if k in anchor_names}
    covered = 0
    missing = []
    for name, w in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0])):
        if ours is not None and provided(ours, name) is not None:
            covered += w
        else:
            missing.append((name, w))
    return Row(
        ns.label,
        ours_n,
        len(anchor_names) if anchor_names is not None else None,
        covered,
        sum(weights.values()),
        len(weights),
        missing,
        not_in_anchor,
    )


def coverage(args: argparse.Namespace) -> int:
    """Print the coverage table (and, with --missing N, the most-used missing names)."""
    doc = json.loads(Path(args.counts).read_text(encoding="utf-8"))
    chosen = [ns for ns in NAMESPACES if not args.only or ns.label in args.only.split(",")]
    if args.style != "both":
        chosen = [ns for ns in chosen if ns.label.startswith(args.style)]
    labels = {ns.label for ns in NAMESPACES}
    rows = [measure(ns, doc, labels) for ns in chosen]
    print(
        f"usage corpus: {doc['files']} files from {doc['repos']} repositories "
        f"({', '.join(f'{k}: {v}' for k, v in doc['files_by_style'].items())})"
    )
    head = ("namespace", "unweighted (duograd / anchor)", "usage-weighted")
    width = (26, 32)
    print(f"{head[0]:<{width[0]}} {head[1]:<{width[1]}} {head[2]}")
    for r in rows:
        print(f"{r.label:<{width[0]}} {r.unweighted():<{width[1]}} {r.weighted()}")
    if args.missing:
        for r in rows:
            if r.missing:
                top = ", ".join(f"{n} ({w})" for n, w in r.missing[: args.missing])
                print(f"missing in {r.label}: {top}")
    return 0


def add_parser(sub: Any) -> None:
    """Register the `coverage` subcommand on the `duograd` command's subparsers."""
    c = sub.add_parser("coverage", help="name coverage against real torch / TF, by usage")
    c.add_argument("--style", choices=("torch", "tf", "both"), default="both")
    c.add_argument("--only", default="", help="comma-separated namespaces, e.g. torch.nn")
    c.add_argument("--missing", type=int, default=0, help="list the N most-used missing names")
    c.add_argument("--counts", default=str(COUNTS), help="usage counts JSON")
    c.set_defaults(run=coverage)
