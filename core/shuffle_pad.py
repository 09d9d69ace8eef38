"""Channel/space shuffles and index-based padding, composed from core operations (both frontends
can call these).

`pixel_shuffle` / `pixel_unshuffle` move channel blocks to and from spatial tiles in the
channel-major (C, r, r) order of PyTorch's NCHW layout; `pad_index` pads one axis by gathering
existing positions (reflect, replicate, circular), so its gradient is the gather's scatter-add.
"""

from __future__ import annotations

import numpy as np

from . import ops


def pixel_shuffle(x, r: int):
    """(*, C * r * r, H, W) -> (*, C, H * r, W * r)."""
    shape = tuple(int(s) for s in x.shape)
    if len(shape) < 3 or r < 1 or shape[-3] % (r * r):
        raise RuntimeError(
            f"pixel_shuffle expects an input of at least 3 dims whose channel dim (-3) divides "
            f"by upscale_factor squared ({r}^2); got shape {list(shape)}"
        )
    *lead, c, h, w = shape
    lead = tuple(lead)
    n = len(lead)
    y = ops.reshape(x, lead + (c // (r * r), r, r, h, w))
    y = ops.transpose(y, tuple(range(n)) + (n, n + 3, n + 1, n + 4, n + 2))
    return ops.reshape(y, lead + (c // (r * r), h * r, w * r))


def pixel_unshuffle(x, r: int):
    """(*, C, H * r, W * r) -> (*, C * r * r, H, W), the inverse of pixel_shuffle."""
    shape = tuple(int(s) for s in x.shape)
    if len(shape) < 3 or r < 1 or shape[-1] % r or shape[-2] % r:
        raise RuntimeError(
            f"pixel_unshuffle expects an input of at least 3 dims whose height and width divide "
            f"by downscale_factor {r}; got shape {list(shape)}"
        )
    *lead, c, h, w = shape
    lead = tuple(lead)
    n = len(lead)
    y = ops.reshape(x, lead + (c, h // r, r, w // r, r))
    y = ops.transpose(y, tuple(range(n)) + (n, n + 2, n + 4, n + 1, n + 3))
    return ops.reshape(y, lead + (c * r * r, h // r, w // r))


def channel_shuffle(x, groups: int):
    """(N, C, *) with its C channels seen as (groups, C / groups), transposed to (C / groups,
    groups)."""
    shape = tuple(int(s) for s in x.shape)
    if len(shape) < 3 or groups < 1 or shape[1] % groups:
        raise ValueError(
            f"channel_shuffle: the number of channels must divide by groups={groups} and the "
            f"input needs at least 3 dims; got shape {list(shape)}"
        )
    n, c, rest = shape[0], shape[1], shape[2:]
    y = ops.reshape(x, (n, groups, c // groups) + rest)
    y = ops.transpose(y, (0, 2, 1) + tuple(range(3, 3 + len(rest))))
    return ops.reshape(y, shape)


def pad_positions(n: int, before: int, after: int, mode: str) -> np.ndarray:
    """The source position of each of the n + before + after output positions of one axis."""
    pos = np.arange(-before, n + after)
    if mode == "replicate":
        return np.clip(pos, 0, n - 1)
    if mode == "circular":
        return np.mod(pos, n)
    if mode == "reflect":
        period = 2 * (n - 1)
        if period == 0:
            return np.zeros_like(pos)
        m = np.mod(pos, period)
        return np.where(m < n, m, period - m)
    raise ValueError(f"pad: unknown mode {mode!r}")


def pad_index(x, axis: int, before: int, after: int, mode: str):
    """Pad `axis` of x by `before` / `after` positions copied as `mode` says (reflect is
    `mirror_pad`, the others one gather)."""
    if mode == "reflect":
        return mirror_pad(x, axis, before, after, 1)
    n = int(x.shape[axis])
    return ops.gather(x, pad_positions(n, before, after, mode).astype(np.int64), axis)


def mirror_pad(x, axis: int, before: int, after: int, offset: int):
    """Mirror `axis` of x: offset 1 leaves the edge out (reflect, TF's REFLECT), offset 0 repeats
    it (TF's SYMMETRIC). Reversed slices joined to x, as tf.pad builds them, so the two frontends'
    gradients sum in the same order."""
    n = int(x.shape[axis])
    parts = []
    if before:
        parts.append(_take_step(x, axis, before - 1 + offset, offset - 1 if offset else None))
    parts.append(x)
    if after:
        stop = n - 1 - offset - after
        parts.append(_take_step(x, axis, n - 1 - offset, stop if stop >= 0 else None))
    return ops.concat(parts, axis)


def _take_step(x, axis: int, start: int, stop):
    key = (slice(None),) * axis + (slice(start, stop, -1),)
    return ops.getitem(x, key)


def window_sum(x, axis: int, before: int, after: int):
    """sum of x[j] for j in [i - before, i + after] along `axis`, positions outside counting as
    zero (the channel window of local response normalisation)."""
    axis = axis % len(x.shape)
    n = int(x.shape[axis])
    total = None
    for k in range(-before, after + 1):
        lo, hi = max(0, k), min(n, n + k)  # sources j = i + k that exist
        if lo >= hi:
            continue
        pieces = []
        if lo - k > 0:  # outputs i < lo - k have no source at offset k
            pieces.append(ops.fill_like(_take(x, axis, 0, lo - k), 0.0))
        pieces.append(_take(x, axis, lo, hi))
        if n - (hi - k) > 0:
            pieces.append(ops.fill_like(_take(x, axis, 0, n - (hi - k)), 0.0))
        shifted = pieces[0] if len(pieces) == 1 else ops.concat(pieces, axis)
        total = shifted if total is None else ops.add(total, shifted)
    return total


def _take(x, axis: int, start: int, stop: int):
    key = (slice(None),) * axis + (slice(start, stop),)
    return ops.getitem(x, key)


def local_response_norm(x, axis: int, before: int, after: int, bias, alpha, beta):
    """x / (bias + alpha * window_sum(x^2)) ** beta: torch's local_response_norm (axis 1,
    alpha / size) and tf.nn.lrn (last axis, radius on both sides) are both this."""
    s = window_sum(ops.square(x), axis, before, after)
    denom = ops.pow(ops.add(ops.scalar(bias, x), ops.mul(ops.scalar(alpha, x), s)),
                    ops.scalar(beta, x))  # fmt: skip
    return ops.div(x, denom)
