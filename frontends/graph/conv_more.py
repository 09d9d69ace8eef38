"""``tf.nn.conv3d`` (NDHWC input, DHWIO filters), composed in core.conv_more."""

from __future__ import annotations

from typing import Any

from ...core import conv_more
from .graph import graph_of
from .math_ops import _tensor, known_rank
from .tensor import Tensor


def _five(values: Any, what: str) -> tuple[int, int, int]:
    """TF's 5-entry strides/dilations [1, d, h, w, 1] (or 3 entries) as (d, h, w)."""
    v = [int(a) for a in values] if not isinstance(values, int) else [values] * 3
    if len(v) == 5:
        if v[0] != 1 or v[4] != 1:
            raise ValueError(f"conv3d: {what} over the batch or channel axis is not supported: {v}")
        v = v[1:4]
    if len(v) != 3:
        raise ValueError(f"conv3d: {what} must have 3 or 5 entries, got {values!r}")
    return tuple(v)  # type: ignore[return-value]


def conv3d(
    input: Any,  # noqa: A002
    filter: Any = None,  # noqa: A002
    strides: Any = None,
    padding: str = "VALID",
    data_format: str = "NDHWC",
    dilations: Any = None,
    name: str | None = None,
    filters: Any = None,
) -> Tensor:
    """3-D cross-correlation of NDHWC input with DHWIO filters, as tf.nn.conv3d."""
    if data_format != "NDHWC":
        raise NotImplementedError("conv3d: only data_format='NDHWC' is supported")
    x = _tensor(input)
    w = _tensor(filter if filter is not None else filters)
    known_rank("conv3d", x, w)
    if x.dtype != w.dtype:
        raise TypeError(f"conv3d: input {x} and filter {w} need one dtype")
    st = _five(strides if strides is not None else 1, "strides")
    dl = _five(dilations if dilations is not None else 1, "dilations")
    g = graph_of(x, w)
    return g.build_op(
        "Conv3D",
        name,
        lambda: conv_more.conv3d(x, w, None, st, padding, dl, "NDHWC", "DHWIO"),
    )
