"""Printing tensors the way PyTorch prints them: ``tensor([[1., 2.]], requires_grad=True)``."""

from __future__ import annotations

import math

import numpy as np

_THRESHOLD = 1000  # more elements than this are summarised with "..."
_EDGE = 3
_LINE = 80


def _float_formatter(values: np.ndarray):
    """Pick PyTorch's float style (integer-like, fixed 4 decimals or scientific) for `values`."""
    finite = values[np.isfinite(values)]
    nonzero = np.abs(finite[finite != 0]).astype(np.float64)
    int_mode = bool(np.all(finite == np.round(finite)))
    sci = False
    if nonzero.size:
        hi, lo = float(nonzero.max()), float(nonzero.min())
        sci = hi / lo > 1000.0 or hi > 1e8 or (not int_mode and lo < 1e-4)

    def fmt(v: float) -> str:
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        if sci:
            return f"{v:.4e}"
        if int_mode:
            return f"{v:.0f}."
        return f"{v:.4f}"

    return fmt


def _formatter(arr: np.ndarray, shown: np.ndarray):
    if arr.dtype.kind == "f":
        fmt = _float_formatter(shown)
    elif arr.dtype.kind == "b":
        return lambda v: str(bool(v)).rjust(5)
    else:
        fmt = str
    flat = shown.reshape(-1)
    width = max((len(fmt(v.item())) for v in flat), default=1)
    return lambda v: fmt(v.item() if hasattr(v, "item") else v).rjust(width)


def _shown_values(arr: np.ndarray) -> np.ndarray:
    """The values that will be printed (the edges only when the tensor is summarised)."""
    if arr.size <= _THRESHOLD or arr.ndim == 0:
        return arr
    parts = arr
    for ax in range(arr.ndim):
        if parts.shape[ax] > 2 * _EDGE:
            idx = list(range(_EDGE)) + list(range(parts.shape[ax] - _EDGE, parts.shape[ax]))
            parts = np.take(parts, idx, axis=ax)
    return parts


def format_tensor(arr: np.ndarray, suffixes: list[str], prefix: str = "tensor(") -> str:
    """The full repr: prefix, the values laid out like PyTorch, then ", key=value" suffixes."""
    from .dtype import from_np, get_default_dtype

    dt = from_np(arr.dtype)
    extra: list[str] = []
    if arr.size == 0 and arr.ndim != 1:
        extra.append(f"size={tuple(arr.shape)}")
    if dt.is_floating_point and dt != get_default_dtype() or dt.name in ("int32",):
        extra.append(f"dtype={dt!r}")
    if arr.size == 0:
        body = "[]"
    else:
        fmt = _formatter(arr, _shown_values(arr))
        kind = "float" if arr.dtype.kind == "f" else "int" if arr.dtype.kind in "iu" else "bool"
        body = np.array2string(
            arr,
            separator=", ",
            prefix=prefix,
            max_line_width=_LINE,
            threshold=_THRESHOLD,
            edgeitems=_EDGE,
            formatter={f"{kind}_kind": fmt} if kind != "bool" else {"bool": fmt},
        )
    return prefix + ", ".join([body] + extra + suffixes) + ")"
