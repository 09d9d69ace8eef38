"""Moving parameters between the two styles' checkpoints: names and memory layouts.

The eager style names parameters as PyTorch does ("0.weight") and stores a linear layer's weight
as (out, in) and a convolution's as (out, in, kh, kw); the graph style names variables as TF
does ("dense/kernel") and stores a dense kernel as (in, out) and a conv2d filter as
(kh, kw, in, out). A *mapping* says, for each eager parameter name, which graph variable holds
it and how its axes are permuted::

    mapping = {
        "0.weight": transposed("dense/kernel"),   # (out, in) -> (in, out)
        "0.bias": "dense/bias",                   # same layout
        "conv.weight": permuted("conv2d/kernel", CONV2D_OIHW_TO_HWIO),
    }

`linear_pairs` writes the two entries of a linear/dense layer. The graph frontend
(`frontends/graph/interop.py`) reads eager checkpoints with such a mapping and writes them; the
eager frontend (`frontends/eager/interop.py`) does the same with graph (`tf.train.Saver`)
checkpoints. Moving values only permutes axes (a copy), so the numbers are unchanged and both
styles compute identical outputs from them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

LINEAR_OUT_IN_TO_IN_OUT = (1, 0)
CONV2D_OIHW_TO_HWIO = (2, 3, 1, 0)


@dataclass(frozen=True)
class Permuted:
    """A graph variable (name or variable object) holding an eager parameter with axes permuted.

    `perm` maps the eager layout to the graph one, as numpy's transpose: graph = eager.transpose(
    perm). An empty perm means the same layout.
    """

    target: Any
    perm: tuple[int, ...] = ()

    def to_graph(self, eager_value: np.ndarray) -> np.ndarray:
        """The eager parameter's value in the graph variable's layout."""
        a = np.asarray(eager_value)
        return np.ascontiguousarray(a.transpose(self.perm) if self.perm else a)

    def to_eager(self, graph_value: np.ndarray) -> np.ndarray:
        """The graph variable's value in the eager parameter's layout."""
        a = np.asarray(graph_value)
        return np.ascontiguousarray(a.transpose(np.argsort(self.perm)) if self.perm else a)


def transposed(target: Any) -> Permuted:
    """A 2-D graph variable holding the transpose of the eager parameter (linear weights)."""
    return Permuted(target, LINEAR_OUT_IN_TO_IN_OUT)


def permuted(target: Any, perm: Iterable[int]) -> Permuted:
    """A graph variable holding the eager parameter with its axes permuted by `perm`."""
    return Permuted(target, tuple(int(p) for p in perm))


def as_entry(value: Any) -> Permuted:
    """Normalise one mapping value (a name, a variable or a Permuted) to a Permuted."""
    return value if isinstance(value, Permuted) else Permuted(value)


def linear_pairs(eager_prefix: str, graph_scope: str, bias: bool = True) -> dict[str, Permuted]:
    """Entries for an ``nn.Linear`` named `eager_prefix` and a ``dense`` layer in `graph_scope`."""
    out = {f"{eager_prefix}.weight": transposed(f"{graph_scope}/kernel")}
    if bias:
        out[f"{eager_prefix}.bias"] = Permuted(f"{graph_scope}/bias")
    return out


def check_shape(key: str, target_name: str, value: np.ndarray, shape: tuple, where: str) -> None:
    """Raise ValueError naming both sides when a moved value does not fit its destination."""
    if tuple(value.shape) != tuple(shape):
        raise ValueError(
            f"{where}: '{key}' maps to '{target_name}' of shape {tuple(shape)}, but the value "
            f"has shape {tuple(value.shape)} after the mapping's permutation; check the mapping "
            "(a linear weight needs transposed(...), a conv filter permuted(..., "
            "CONV2D_OIHW_TO_HWIO))"
        )


def check_keys(available: Iterable[str], mapping: Mapping[str, Any], where: str,
               strict: bool) -> None:  # fmt: skip
    """Raise ValueError for mapped names the file lacks (and, if strict, unmapped names it has)."""
    have = set(available)
    missing = [k for k in mapping if k not in have]
    if missing:
        raise ValueError(
            f"{where}: the checkpoint has no entries {missing} named in the mapping (it holds "
            f"{sorted(have)})"
        )
    if strict:
        extra = sorted(have - set(mapping))
        if extra:
            raise ValueError(
                f"{where}: the checkpoint holds entries {extra} that the mapping does not place; "
                "map them or pass strict=False"
            )
