"""`tf.data`: input pipelines read through iterators in a Session (see dataset.py)."""

from __future__ import annotations

import types as _types

from .dataset import AUTOTUNE, Dataset
from .iterator import (
    Iterator,
    get_output_shapes,
    get_output_types,
    make_initializable_iterator,
    make_one_shot_iterator,
)
from .spec import TensorSpec

experimental = _types.ModuleType(
    f"{__name__}.experimental", "tf.data.experimental: AUTOTUNE and helpers."
)
experimental.AUTOTUNE = AUTOTUNE

__all__ = [
    "AUTOTUNE",
    "Dataset",
    "Iterator",
    "TensorSpec",
    "experimental",
    "get_output_shapes",
    "get_output_types",
    "make_initializable_iterator",
    "make_one_shot_iterator",
]
