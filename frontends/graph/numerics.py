"""`tf.check_numerics` and `tf.add_check_numerics_ops`: stop a run at the first NaN or Inf.

`check_numerics(t, message)` is an op that passes `t` through unchanged and raises
`InvalidArgumentError` (naming the checked tensor and `message`) when `t` holds a NaN or an
infinity; its gradient checks the incoming gradient the same way. `add_check_numerics_ops()`
adds one check per floating-point output of every op already in the graph and groups them:
running the group next to a train op stops the run at the first op that produced a bad value.
The checks are added after every other node, in creation order, and a run executes them in that
order, so the first failing check is the one of the earliest op in the graph that went bad.
A failed run commits no state change (the executor commits writes only when all steps succeed).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core.primitives.numerics import CHECK_NUMERICS
from ...core.primitives.registry import bind
from . import errors
from .control_flow import group
from .graph import get_default_graph
from .math_ops import _tensor
from .tensor import Operation


def _invalid(text: str) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(None, None, text)


def check_numerics(tensor: Any, message: str, name: str | None = None) -> Any:
    """`tensor` unchanged; running it raises InvalidArgumentError if it holds a NaN or an Inf."""
    x = _tensor(tensor)
    if not isinstance(message, str):
        raise TypeError(f"check_numerics: message must be a str, got {type(message).__name__}")
    tname = f"{x.node.name}:0"
    return x.graph.build_op(
        "CheckNumerics",
        name,
        lambda: bind(CHECK_NUMERICS, x, message=message, tensor_name=tname, error=_invalid),
    )


def verify_tensor_all_finite(t: Any, msg: str, name: str | None = None) -> Any:
    """TF1's alias of check_numerics (argument order (t, msg))."""
    return check_numerics(t, msg, name=name)


def add_check_numerics_ops() -> Operation:
    """Check every floating-point output of every op in the default graph; group the checks.

    As in TF, the checks cover every op present when this is called (placeholders included, so
    every placeholder of the graph must then be fed when the returned op runs); ops added later
    are not checked. Each check's message is "<op name>:0".
    """
    g = get_default_graph()
    checks = []
    for node in list(g.nodes):
        if node.kind == "effect" or node.attrs.get("no_output"):
            continue
        if node.kind == "op" and node.prim is CHECK_NUMERICS:
            continue
        out = node.output
        if out is None or np.dtype(out.dtype).kind != "f":
            continue
        # each check depends only on its own tensor (TF chains them with control deps to fix
        # their order; the executor already runs nodes in creation order)
        with g.control_dependencies(None):
            checks.append(check_numerics(out, f"{node.name}:0"))
    with g.control_dependencies(None):
        return group(*checks, name="CheckNumerics_group")
