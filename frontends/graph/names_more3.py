"""Small TF1 names real programs use: `tf.TensorSpec`, `tf.VERSION` / `tf.version`,
`tf.nest`, `tf.resource_loader`, `tf.register_tensor_conversion_function`, `tf.strided_slice`,
`tf.guarantee_const`, `tf.variable_op_scope`."""

from __future__ import annotations

import inspect
import os
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from . import convert
from .data.spec import TensorSpec as _DataSpec
from .tensor import Tensor

# the TF1 API this frontend follows (programs compare it with "1.x" strings)
VERSION = "1.15.0"


class TensorSpec(_DataSpec):
    """The dtype, static shape and optional name of a tensor."""

    __slots__ = ("name",)

    def __init__(self, shape: Any, dtype: Any = None, name: str | None = None) -> None:
        from .dtypes import float32

        super().__init__(shape, float32 if dtype is None else dtype)
        self.name = name

    def __repr__(self) -> str:
        return f"TensorSpec(shape={self.shape}, dtype=tf.{self.dtype.name}, name={self.name!r})"

    def __eq__(self, other: Any) -> bool:
        return super().__eq__(other) and getattr(other, "name", None) == self.name

    def __hash__(self) -> int:
        return hash((super().__hash__(), self.name))

    @classmethod
    def from_tensor(cls, tensor: Tensor, name: str | None = None) -> TensorSpec:
        """The spec of `tensor` (its name without the ':0' unless `name` is given)."""
        base = tensor.name.split(":")[0] if name is None else name
        return cls(tensor.shape, tensor.dtype, base)

    @classmethod
    def from_spec(cls, spec: Any, name: str | None = None) -> TensorSpec:
        """A copy of `spec`, optionally renamed."""
        return cls(
            spec.shape, spec.dtype, name if name is not None else getattr(spec, "name", None)
        )

    def is_compatible_with(self, other: Any) -> bool:
        """Same dtype and compatible shapes (a tensor or a spec)."""
        return self.dtype == other.dtype and self.shape.is_compatible_with(other.shape)


# ---- tf.nest ------------------------------------------------------------------------------------


def _is_seq(x: Any) -> bool:
    return isinstance(x, (list, tuple, dict)) and not isinstance(x, (str, bytes))


def _children(x: Any) -> list:
    if isinstance(x, dict):
        return [x[k] for k in sorted(x)]
    return list(x)


def nest_flatten(structure: Any, expand_composites: bool = False) -> list:
    """The leaves of nested lists, tuples, namedtuples and dicts (dict keys sorted)."""
    if not _is_seq(structure):
        return [structure]
    return [leaf for c in _children(structure) for leaf in nest_flatten(c)]


def _rebuild(template: Any, it: Any) -> Any:
    if not _is_seq(template):
        return next(it)
    kids = [_rebuild(c, it) for c in _children(template)]
    if isinstance(template, dict):
        by_key = dict(zip(sorted(template), kids, strict=True))
        return type(template)((k, by_key[k]) for k in template)
    if hasattr(template, "_fields"):
        return type(template)(*kids)
    return type(template)(kids)


def pack_sequence_as(structure: Any, flat_sequence: Any, expand_composites: bool = False) -> Any:
    """`flat_sequence` arranged like `structure`."""
    flat = list(flat_sequence)
    n = len(nest_flatten(structure))
    if len(flat) != n:
        raise ValueError(
            f"pack_sequence_as: the structure has {n} leaves but flat_sequence has {len(flat)}"
        )
    return _rebuild(structure, iter(flat))


def assert_same_structure(nest1: Any, nest2: Any, check_types: bool = True,
                          expand_composites: bool = False) -> None:  # fmt: skip
    """ValueError (TypeError for differing sequence types) unless both nest alike."""
    if _is_seq(nest1) != _is_seq(nest2):
        raise ValueError(
            f"The two structures don't have the same nested structure: {nest1!r} vs {nest2!r}"
        )
    if not _is_seq(nest1):
        return
    if check_types and type(nest1) is not type(nest2):
        raise TypeError(
            f"The two structures don't have the same sequence type: {type(nest1).__name__} vs "
            f"{type(nest2).__name__}"
        )
    a, b = _children(nest1), _children(nest2)
    if len(a) != len(b) or (isinstance(nest1, dict) and sorted(nest1) != sorted(nest2)):
        raise ValueError(
            f"The two structures don't have the same number of elements: {nest1!r} vs {nest2!r}"
        )
    for x, y in zip(a, b, strict=True):
        assert_same_structure(x, y, check_types)


def map_structure(func: Callable, *structure: Any, **kwargs: Any) -> Any:
    """`func` applied leaf-wise over structures of one shape."""
    check_types = kwargs.pop("check_types", True)
    for s in structure[1:]:
        assert_same_structure(structure[0], s, check_types)
    flats = [nest_flatten(s) for s in structure]
    return pack_sequence_as(structure[0], [func(*xs) for xs in zip(*flats, strict=True)])


def is_nested(seq: Any) -> bool:
    """True for lists, tuples and dicts."""
    return _is_seq(seq)


# ---- tf.resource_loader -------------------------------------------------------------------------


def _caller_dir() -> str:
    frame = inspect.stack()[2]
    return os.path.dirname(os.path.abspath(frame.filename))


def get_data_files_path() -> str:
    """The directory of the calling module."""
    return _caller_dir()


def get_path_to_datafile(path: str) -> str:
    """`path` relative to the directory of the calling module."""
    return os.path.join(_caller_dir(), path)


def get_root_dir_with_all_resources() -> str:
    """The directory of the calling module (no runfiles tree here)."""
    return _caller_dir()


def load_resource(path: str) -> bytes:
    """The bytes of a data file (a path relative to the working directory)."""
    with open(path, "rb") as f:
        return f.read()


def readahead_file_path(path: str, readahead: str = "128M") -> str:
    """`path` itself."""
    return path


# ---- small graph names --------------------------------------------------------------------------


def register_tensor_conversion_function(
    base_type: Any, conversion_func: Callable, priority: int = 100
) -> None:
    """Have convert_to_tensor turn instances of `base_type` into tensors with
    `conversion_func(value, dtype=None, name=None, as_ref=False)`."""
    types_ = base_type if isinstance(base_type, tuple) else (base_type,)
    if not all(isinstance(t, type) for t in types_):
        raise TypeError(
            f"register_tensor_conversion_function: base_type must be a type, got {base_type!r}"
        )
    if any(issubclass(t, (np.ndarray, np.generic, int, float)) for t in types_):
        raise TypeError(
            f"register_tensor_conversion_function: cannot register a conversion for {base_type!r}"
            " (Python numbers and numpy values are converted already)"
        )
    if not callable(conversion_func):
        raise TypeError("register_tensor_conversion_function: conversion_func must be callable")
    convert.CONVERSIONS.append((types_, conversion_func, priority))
    convert.CONVERSIONS.sort(key=lambda e: e[2])


def _mask_bits(mask: int, n: int) -> list:
    return [bool(int(mask) >> i & 1) for i in range(n)]


def strided_slice(
    input_: Any, begin: Any, end: Any, strides: Any = None, begin_mask: int = 0,
    end_mask: int = 0, ellipsis_mask: int = 0, new_axis_mask: int = 0,
    shrink_axis_mask: int = 0, var: Any = None, name: str | None = None,
) -> Tensor:  # fmt: skip
    """x[begin:end:strides] in each axis, with TF's masks (begin/end/strides known when built)."""
    from .array_ops import slice_tensor

    def ints(v: Any, what: str) -> list:
        if isinstance(v, Tensor):
            raise TypeError(f"strided_slice: {what} must be known when the graph is built")
        return [int(i) for i in np.asarray(v).reshape(-1)]

    b, e = ints(begin, "begin"), ints(end, "end")
    s = ints(strides, "strides") if strides is not None else [1] * len(b)
    if not (len(b) == len(e) == len(s)):
        raise ValueError(
            f"strided_slice: begin, end and strides need one entry each, got {b}, {e}, {s}"
        )
    if 0 in s:
        raise ValueError(f"strided_slice: strides must be non-zero, got {s}")
    n = len(b)
    bm, em = _mask_bits(begin_mask, n), _mask_bits(end_mask, n)
    el, na, sh = (
        _mask_bits(ellipsis_mask, n),
        _mask_bits(new_axis_mask, n),
        _mask_bits(shrink_axis_mask, n),
    )
    index: list = []
    for i in range(n):
        if el[i]:
            index.append(Ellipsis)
        elif na[i]:
            index.append(None)
        elif sh[i]:
            index.append(b[i])
        else:
            index.append(slice(None if bm[i] else b[i], None if em[i] else e[i], s[i]))
    x = convert.convert_to_tensor(input_)
    with x.graph.name_scope(name or "StridedSlice"):
        return slice_tensor(x, tuple(index))


def guarantee_const(input: Any, name: str | None = None) -> Tensor:  # noqa: A002 - TF's name
    """`input` itself (a promise TF uses for optimisation)."""
    from .array_ops import identity

    return identity(input, name=name or "GuaranteeConst")


def variable_op_scope(values: Any, name_or_scope: Any, default_name: Any = None,
                      initializer: Any = None, regularizer: Any = None, caching_device: Any = None,
                      partitioner: Any = None, custom_getter: Any = None, reuse: Any = None,
                      dtype: Any = None, use_resource: Any = None) -> Any:  # fmt: skip
    """The old argument order of tf.variable_scope(name_or_scope, default_name, values)."""
    from .variable_scope import variable_scope

    return variable_scope(name_or_scope, default_name=default_name, values=values,
                          initializer=initializer, reuse=reuse)  # fmt: skip


def attach(tf: types.ModuleType) -> list[str]:
    """Add the names to `tf`; the new top-level names."""
    tf.TensorSpec = TensorSpec
    tf.VERSION = tf.__version__ = VERSION
    tf.GIT_VERSION = "unknown"
    tf.version = types.ModuleType("duograd.frontends.graph.version", "tf.version.")
    tf.version.VERSION, tf.version.GIT_VERSION = VERSION, "unknown"
    tf.version.COMPILER_VERSION = tf.COMPILER_VERSION = "duograd"
    tf.nest = types.ModuleType("duograd.frontends.graph.nest", "tf.nest: nested structures.")
    tf.nest.flatten, tf.nest.pack_sequence_as = nest_flatten, pack_sequence_as
    tf.nest.map_structure, tf.nest.is_nested = map_structure, is_nested
    tf.nest.assert_same_structure = assert_same_structure
    tf.resource_loader = types.ModuleType("duograd.frontends.graph.resource_loader")
    for f in (get_data_files_path, get_path_to_datafile, get_root_dir_with_all_resources,
              load_resource, readahead_file_path):  # fmt: skip
        setattr(tf.resource_loader, f.__name__, f)
    tf.register_tensor_conversion_function = register_tensor_conversion_function
    tf.strided_slice, tf.guarantee_const = strided_slice, guarantee_const
    tf.variable_op_scope = variable_op_scope
    return ["TensorSpec", "VERSION", "version", "nest", "resource_loader",
            "register_tensor_conversion_function", "strided_slice", "guarantee_const",
            "variable_op_scope"]  # fmt: skip
