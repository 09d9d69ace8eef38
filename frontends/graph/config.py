"""Session optimisation options: TF's `GraphOptions` / `OptimizerOptions`, and duograd's own form.

Every pass of the core's plan optimiser is on by default. Two ways to switch them:

- TF1's form, accepted for compatibility::

      tf.Session(config=tf.ConfigProto(graph_options=tf.GraphOptions(
          optimizer_options=tf.OptimizerOptions(opt_level=tf.OptimizerOptions.L0,
                                                global_jit_level=tf.OptimizerOptions.OFF))))

  `opt_level=L0` turns off constant folding and CSE unless `do_constant_folding` /
  `do_common_subexpression_elimination` ask for them (as in TF, L1 forces both on);
  `global_jit_level=OFF` turns off fusion (elementwise groups and matmul epilogues).

- duograd's form, one switch per pass (names: fold, cse, fuse, matmul_bias_act, sum_fold,
  memory, verify), overriding the config::

      tf.Session(optimize={"fuse": False, "verify": True})
      tf.Session(optimize=False)  # a plain plan: no passes at all

Verify mode (`"verify": True`, or DUOGRAD_VERIFY_PASSES=1) runs the plain plan beside the
optimised one on every run and raises on the first node whose value differs.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ...core.passes.options import Options, resolve


class OptimizerOptions:
    """TF's graph optimizer options (opt_level, constant folding, CSE, jit level)."""

    L1 = 0
    L0 = -1
    DEFAULT = 0
    OFF = -1
    ON_1 = 1
    ON_2 = 2

    def __init__(self, **kwargs: Any) -> None:
        self.do_common_subexpression_elimination = False
        self.do_constant_folding = False
        self.max_folded_constant_in_bytes = 0
        self.do_function_inlining = False
        self.opt_level = OptimizerOptions.L1
        self.global_jit_level = OptimizerOptions.DEFAULT
        self.__dict__.update(kwargs)


class GraphOptions:
    """TF's graph options; `optimizer_options` selects the passes."""

    def __init__(self, **kwargs: Any) -> None:
        self.optimizer_options = OptimizerOptions()
        self.enable_recv_scheduling = False
        self.build_cost_model = 0
        self.infer_shapes = False
        self.place_pruned_graph = False
        self.enable_bfloat16_sendrecv = False
        self.timeline_step = 0
        self.__dict__.update(kwargs)


def plan_options(config: Any, optimize: Any) -> Options:
    """The plan options a session uses, from its ConfigProto and its `optimize` argument."""
    base = resolve(None)
    go = getattr(config, "graph_options", None) if config is not None else None
    oo = getattr(go, "optimizer_options", None) if go is not None else None
    if oo is not None:
        l0 = getattr(oo, "opt_level", OptimizerOptions.L1) == OptimizerOptions.L0
        fold = bool(getattr(oo, "do_constant_folding", False)) if l0 else base.fold
        cse = bool(getattr(oo, "do_common_subexpression_elimination", False)) if l0 else base.cse
        jit_off = getattr(oo, "global_jit_level", 0) == OptimizerOptions.OFF
        base = replace(
            base,
            fold=fold,
            cse=cse,
            fuse=base.fuse and not jit_off,
            matmul_bias_act=base.matmul_bias_act and not jit_off,
        )
    return resolve(optimize, base)
