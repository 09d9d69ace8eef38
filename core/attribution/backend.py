"""What an attribution method needs from a frontend: run the model, differentiate, draw noise.

The methods hand a backend values of its style (arrays in eager style, graph tensors in graph
style) and do all arithmetic in between with core operations, so both styles run the same kernels
in the same order and give the same bits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import ops


class Backend:
    """The interface each frontend implements for the attribution methods."""

    name = "attribution"

    def leaf(self, x: Any) -> Any:
        """`x` as a value gradients can be taken with respect to."""
        raise NotImplementedError

    def forward(self, inputs: Sequence[Any], extra: Sequence[Any]) -> Any:
        """The model's output on `inputs` (with the additional forward arguments `extra`)."""
        raise NotImplementedError

    def grad(self, y: Any, xs: Sequence[Any]) -> tuple:
        """d(sum of y)/dx for each x in `xs`, as plain values (zeros where x does not reach y)."""
        raise NotImplementedError

    def value(self, y: Any) -> Any:
        """A forward result as a plain value (eager: its array; graph: the tensor itself)."""
        return y

    def random(self, kind: str, shape: tuple, dtype: np.dtype, a: float, b: float) -> Any:
        """Draws from the shared stream: "normal" (mean a, std b) or "uniform" on [a, b)."""
        raise NotImplementedError

    def scalar(self, value: float, like: Any) -> Any:
        """A 0-d constant in the dtype of `like`."""
        return np.asarray(value, dtype=dtype_of(like))


def dtype_of(x: Any) -> np.dtype:
    """The numpy dtype of an array, eager tensor or graph tensor."""
    dt = x.dtype
    return np.dtype(getattr(dt, "as_numpy_dtype", dt))


def shape_of(x: Any) -> tuple:
    """The static shape of `x` as a tuple of ints (None where only known at run time)."""
    return tuple(None if d is None else int(d) for d in x.shape)


def rest_shape(name: str, x: Any) -> tuple:
    """The non-batch dims of `x`, which must be known when the attribution is built."""
    shape = shape_of(x)
    if not shape or None in shape[1:]:
        raise ValueError(
            f"{name}: every dimension but the batch of an input must be known, got shape {shape}"
        )
    return shape[1:]


def tile_batch(x: Any, times: int) -> Any:
    """`x` repeated `times` times along the batch, block after block (step-major)."""
    return x if times == 1 else ops.concat([x] * times, axis=0)


def per_example_sum(x: Any) -> Any:
    """Sum over all non-batch dims: shape (batch,)."""
    rest = shape_of(x)[1:]
    if not rest:
        return x
    return ops.sum(ops.reshape(x, (-1, int(np.prod(rest)))), axes=(1,))


def select_target(name: str, out: Any, target: Any, repeat: int = 1) -> Any:
    """The model output each example's attribution explains, one value per example.

    `target` is None (the output has one value per example), an int, a tuple of ints indexing the
    non-batch dims, or one int per example (list, array or integer tensor), repeated `repeat`
    times block after block for batches expanded step-major.
    """
    shape = shape_of(out)
    if target is None:
        if len(shape) > 1 and any(d != 1 for d in shape[1:]):
            raise ValueError(
                f"{name}: the model's output has shape {shape}: give a target (the output index "
                "to explain) when the output has more than one value per example"
            )
        return ops.reshape(out, (-1,)) if len(shape) > 1 else out
    if isinstance(target, (int, np.integer)):
        target = (int(target),)
    if isinstance(target, tuple):
        if len(target) != len(shape) - 1:
            raise ValueError(
                f"{name}: target {target} must index the {len(shape) - 1} non-batch dims of the "
                f"model's output of shape {shape}"
            )
        for t, d in zip(target, shape[1:], strict=True):
            if d is not None and not -d <= t < d:
                raise IndexError(
                    f"{name}: target {t} is out of range for the model's output of shape {shape}"
                )
        return ops.getitem(out, (slice(None),) + tuple(int(t) for t in target))
    labels = np.asarray(getattr(target, "_data", target))
    if labels.ndim == 0 and labels.dtype.kind in "iu":
        return select_target(name, out, int(labels), repeat)
    if labels.ndim == 2 and labels.dtype.kind in "iu":
        return _select_tuples(name, out, labels, repeat)
    if labels.ndim != 1 or (labels.size and labels.dtype.kind not in "iu"):
        raise ValueError(
            f"{name}: target must be an int, a tuple of ints or one int per example, got {target!r}"
        )
    if len(shape) != 2:
        raise ValueError(
            f"{name}: one target per example needs a 2-d model output (batch, classes), got {shape}"
        )
    n = shape[1]
    if labels.size and (labels.min() < -n or labels.max() >= n):
        raise IndexError(
            f"{name}: targets must lie in [0, {n}) for the model's output of shape {shape}, "
            f"got {labels.tolist()}"
        )
    labels = np.tile(np.where(labels < 0, labels + n, labels).astype(np.int64), repeat)
    if shape[0] is not None and labels.size != shape[0]:
        raise ValueError(
            f"{name}: {labels.size // repeat} targets for a batch of {shape[0] // repeat} "
            "examples; give one target per example or one int for all"
        )
    return ops.pick(out, labels)


def _select_tuples(name: str, out: Any, labels: np.ndarray, repeat: int) -> Any:
    """One output element per example, each picked by its own tuple of non-batch indices."""
    shape = shape_of(out)
    rest = shape[1:]
    if labels.shape[1] != len(rest) or None in rest:
        raise ValueError(
            f"{name}: each target tuple must index the {len(rest)} non-batch dims of the model's "
            f"output of shape {shape}, got tuples of {labels.shape[1]}"
        )
    if ((labels < -np.array(rest)) | (labels >= np.array(rest))).any():
        raise IndexError(
            f"{name}: target tuples {labels.tolist()} are out of range for the model's output "
            f"of shape {shape}"
        )
    flat = np.ravel_multi_index(tuple((labels % np.array(rest)).T), rest).astype(np.int64)
    flat = np.tile(flat, repeat)
    if shape[0] is not None and flat.size != shape[0]:
        raise ValueError(
            f"{name}: {flat.size // repeat} targets for a batch of {shape[0] // repeat} "
            "examples; give one target per example or one for all"
        )
    return ops.pick(ops.reshape(out, (-1, int(np.prod(rest)))), flat)


def target_grads(
    be: Backend, inputs: Sequence[Any], extra: Sequence[Any], target: Any, repeat: int = 1
) -> tuple:
    """Gradients of the targeted outputs with respect to `inputs` (leaves of the backend)."""
    out = be.forward(inputs, extra)
    return be.grad(ops.sum(select_target(be.name, out, target, repeat)), inputs)


def target_values(
    be: Backend, inputs: Sequence[Any], extra: Sequence[Any], target: Any, repeat: int = 1
) -> Any:
    """The targeted outputs, one per example, as plain values (no gradient)."""
    return be.value(select_target(be.name, be.forward(inputs, extra), target, repeat))


def expand_extra(extra: Sequence[Any], times: int) -> tuple:
    """Additional forward arguments repeated `times` along the batch (tensors only)."""
    return tuple(
        tile_batch(a, times)
        if len(getattr(a, "shape", ())) and not isinstance(a, (int, float))
        else a
        for a in extra
    )


def check_baseline(name: str, x: Any, b: Any, index: int) -> Any:
    """A baseline for input `index`: a number, or a tensor of the input's or one example's shape."""
    if isinstance(b, (int, float, np.number)):
        return ops.fill_like(x, float(b))
    xs, bs = shape_of(x), shape_of(b)
    if bs == xs:
        return b
    if bs == xs[1:]:
        b = ops.reshape(b, (1,) + bs)
        bs = (1,) + bs
    if len(bs) == len(xs) and bs[0] == 1 and bs[1:] == xs[1:]:
        return ops.add(ops.fill_like(x, 0.0), b)
    raise ValueError(
        f"{name}: baseline {index} has shape {bs}, but input {index} has shape {xs}: give a "
        f"number, one example's shape {xs[1:]}, a batch of one or the input's shape"
    )


def as_tuple(name: str, what: str, value: Any, n: int) -> tuple:
    """`value` for each of `n` inputs: a tuple/list of n, or one value used for all."""
    if isinstance(value, (tuple, list)):
        if len(value) != n:
            raise ValueError(f"{name}: {len(value)} {what} for {n} inputs; give one per input")
        return tuple(value)
    return (value,) * n


class LayerBackend(Backend):
    """A backend that can also reach one inner layer of the model (its output value)."""

    def forward_layer(
        self, inputs: Sequence[Any], extra: Sequence[Any], layer: Any, replace: Any = None
    ) -> tuple:
        """(model output, the layer's output) on `inputs`; with `replace`, the layer's output is
        replaced by that value (made a leaf) and the model continues from it."""
        raise NotImplementedError
