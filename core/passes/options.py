"""Which passes a plan runs: one switch per pass, plus verify mode.

Every pass is on by default. `DUOGRAD_PASSES=0` in the environment turns them all off (plain
plans), `DUOGRAD_PASSES=fold,cse` keeps only the named ones, and `DUOGRAD_VERIFY_PASSES=1` turns
verify mode on (each run also runs the plain plan and raises on the first differing node).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from typing import Any

PASS_NAMES = ("fold", "cse", "fuse", "matmul_bias_act", "sum_fold", "memory")


@dataclass(frozen=True)
class Options:
    """Switches of the plan optimiser (each pass can be turned off on its own)."""

    fold: bool = True  # constant folding
    cse: bool = True  # common-subexpression elimination
    fuse: bool = True  # elementwise fusion into generated kernels
    matmul_bias_act: bool = True  # matmul with its elementwise epilogue run in place
    sum_fold: bool = True  # un-broadcast sums that are identities at run time become free
    memory: bool = True  # reuse intermediate buffers (across steps and runs)
    verify: bool = False  # run optimised and plain plans side by side, raise on a difference
    # inference BatchNorm folded into the conv filter: opt-in, it changes rounding (bn_fold.py)
    fold_batch_norm: bool = False

    @property
    def any(self) -> bool:
        """True when at least one pass is on."""
        return any(getattr(self, n) for n in PASS_NAMES)

    def key(self) -> tuple:
        """Hashable form (plans are cached per options)."""
        return tuple(getattr(self, f.name) for f in fields(self))


PLAIN = Options(**{n: False for n in PASS_NAMES})


def from_env() -> Options:
    """The default options, as adjusted by DUOGRAD_PASSES and DUOGRAD_VERIFY_PASSES."""
    opts = Options()
    spec = os.environ.get("DUOGRAD_PASSES", "").strip().lower()
    if spec in ("0", "off", "false", "none", "no"):
        opts = PLAIN
    elif spec and spec not in ("1", "on", "true", "all", "yes"):
        names = {s.strip() for s in spec.split(",") if s.strip()}
        unknown = names - set(PASS_NAMES)
        if unknown:
            raise ValueError(
                f"DUOGRAD_PASSES: unknown pass(es) {sorted(unknown)}; "
                f"known: {', '.join(PASS_NAMES)}"
            )
        opts = Options(**{n: n in names for n in PASS_NAMES})
    if os.environ.get("DUOGRAD_VERIFY_PASSES", "").strip().lower() in ("1", "true", "on", "yes"):
        opts = replace(opts, verify=True)
    return opts


def resolve(spec: Any, base: Options | None = None) -> Options:
    """Options from None (defaults), a bool (all on / all off), a dict of switches or Options."""
    base = from_env() if base is None else base
    if spec is None:
        return base
    if isinstance(spec, Options):
        return spec
    if spec is True:
        return replace(Options(), verify=base.verify)
    if spec is False:
        return replace(PLAIN, verify=base.verify)
    if isinstance(spec, dict):
        names = {f.name for f in fields(Options)}
        unknown = set(spec) - names
        if unknown:
            raise ValueError(
                f"optimize: unknown option(s) {sorted(unknown)}; known: {', '.join(sorted(names))}"
            )
        return replace(base, **{k: bool(v) for k, v in spec.items()})
    raise TypeError(
        f"optimize must be None, a bool, a dict of pass switches or Options, got {spec!r}"
    )
