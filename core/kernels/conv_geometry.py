"""Geometry of 2-D convolution and pooling windows: padding modes, output sizes, checks.

Padding is always (top, bottom, left, right) in input pixels. The string modes follow TF:
"VALID" pads nothing; "SAME" gives ceil(in / stride) outputs and pads
max((out - 1) * stride + (k - 1) * dilation + 1 - in, 0) in total, the odd pixel going to the
bottom/right. PyTorch's "same" (stride 1 only there) is the same rule.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ShapeError

LAYOUTS = ("NCHW", "NHWC")
FILTER_LAYOUTS = ("OIHW", "HWIO")
MODES = ("SAME", "VALID")


def pair(value: int | Sequence[int], what: str, op: str, minimum: int = 1) -> tuple[int, int]:
    """An int or a pair of ints as (h, w), each at least `minimum`."""
    if hasattr(value, "__index__"):  # int, numpy integer
        hw = (int(value), int(value))
    else:
        vals = tuple(int(v) for v in value)
        if len(vals) != 2:
            raise ValueError(f"{op}: {what} must be an int or a pair (h, w), got {value!r}")
        hw = vals
    if hw[0] < minimum or hw[1] < minimum:
        raise ValueError(f"{op}: {what} must be at least {minimum}, got {value!r}")
    return hw


def check_layout(data_format: str, op: str) -> str:
    """data_format must be NCHW or NHWC."""
    if data_format not in LAYOUTS:
        raise ValueError(f"{op}: data_format must be 'NCHW' or 'NHWC', got {data_format!r}")
    return data_format


def check_filter_layout(filter_format: str, op: str) -> str:
    """filter_format must be OIHW (PyTorch) or HWIO (TF)."""
    if filter_format not in FILTER_LAYOUTS:
        raise ValueError(
            f"{op}: filter_format must be 'OIHW' (PyTorch) or 'HWIO' (TF), got {filter_format!r}"
        )
    return filter_format


def same_padding_1d(size: int, k: int, stride: int, dilation: int) -> tuple[int, int]:
    """TF's SAME padding along one axis: (before, after), the odd pixel after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + (k - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def normalize_padding(padding, op: str) -> tuple[int, int, int, int] | str:
    """An explicit padding spec as (top, bottom, left, right), or the mode "SAME"/"VALID".

    Accepts a mode string (any case), an int (all sides), a pair (h, w) as PyTorch's symmetric
    padding, ((top, bottom), (left, right)), or the 4-tuple itself.
    """
    if isinstance(padding, str):
        mode = padding.upper()
        if mode not in MODES:
            raise ValueError(f"{op}: padding must be 'SAME', 'VALID' or numbers, got {padding!r}")
        return mode
    if hasattr(padding, "__index__"):
        p = int(padding)
        pads = (p, p, p, p)
    else:
        items = tuple(padding)
        if len(items) == 2 and all(not hasattr(v, "__index__") for v in items):
            (t, b), (left, r) = (tuple(items[0]), tuple(items[1]))
            pads = (int(t), int(b), int(left), int(r))
        elif len(items) == 2:
            pads = (int(items[0]), int(items[0]), int(items[1]), int(items[1]))
        elif len(items) == 4:
            pads = tuple(int(v) for v in items)
        else:
            raise ValueError(
                f"{op}: padding must be an int, (h, w), ((top, bottom), (left, right)) or "
                f"(top, bottom, left, right), got {padding!r}"
            )
    if min(pads) < 0:
        raise ValueError(f"{op}: padding must be non-negative, got {padding!r}")
    return pads


def resolve_padding(
    padding, in_hw: Sequence, k_hw: Sequence, stride: Sequence, dilation: Sequence, op: str
) -> tuple[int, int, int, int] | str:
    """(top, bottom, left, right) for a spec; "SAME" stays a string while a size is unknown."""
    pads = normalize_padding(padding, op)
    if pads == "VALID":
        return (0, 0, 0, 0)
    if pads == "SAME":
        if any(d is None for d in tuple(in_hw) + tuple(k_hw)):
            return "SAME"
        t, b = same_padding_1d(in_hw[0], k_hw[0], stride[0], dilation[0])
        left, r = same_padding_1d(in_hw[1], k_hw[1], stride[1], dilation[1])
        return (t, b, left, r)
    return pads


def out_size(size, k, stride: int, dilation: int, before: int, after: int, what: str):
    """Output length along one axis (None when unknown); raises when the window does not fit."""
    if size is None or k is None:
        return None
    span = (k - 1) * dilation + 1
    padded = size + before + after
    if padded < span:
        raise ShapeError(f"{what}: {span} wide > {size} + padding {before} + {after} = {padded}")
    return (padded - span) // stride + 1


def output_hw(op: str, in_hw, k_hw, stride, dilation, padding, shapes: str):
    """(out_h, out_w, resolved padding); `shapes` names the operands in error messages."""
    pads = resolve_padding(padding, in_hw, k_hw, stride, dilation, op)
    if pads == "SAME":
        return None, None, pads
    try:
        oh = out_size(in_hw[0], k_hw[0], stride[0], dilation[0], pads[0], pads[1], "height")
        ow = out_size(in_hw[1], k_hw[1], stride[1], dilation[1], pads[2], pads[3], "width")
    except ShapeError as e:
        raise ShapeError(
            f"{op}: the (dilated) kernel is larger than the padded input for {shapes}: {e}; "
            "use a smaller kernel or dilation, or more padding"
        ) from None
    return oh, ow, pads
