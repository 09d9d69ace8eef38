"""The `tf.layers` classes whose functional forms exist (Conv2D, MaxPooling2D, ...): an object
holding the arguments; the first call builds the variables under its name, later calls reuse
them (as TF's layer objects do)."""

from __future__ import annotations

import inspect
import re
from typing import Any

from . import layers as L
from . import layers_more as LM
from .graph import get_default_graph
from .layers import Layer


def _snake(cls_name: str) -> str:
    """A class's default layer name as TF's: Conv2DTranspose -> conv2d_transpose."""
    s = re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", cls_name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", s).lower()


def _layer_class(cls_name: str, fn: Any, has_vars: bool) -> type:
    params = list(inspect.signature(fn).parameters)[1:]  # after `inputs`

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # noqa: N807
        bound = dict(zip(params, args, strict=False))
        bound.update(kwargs)
        Layer.__init__(self, bound.get("name"), bound.get("trainable", True))
        self._kwargs = {k: v for k, v in bound.items() if k in params and k != "name"}

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N807
        kw = dict(self._kwargs)
        if not has_vars:
            return fn(inputs, name=self.name, **kw)
        g = get_default_graph()
        if self.name is None:
            self.name = g.unique_name(_snake(cls_name)).split("/")[-1]
        before = set(map(id, g.get_collection("variables")))
        if "reuse" in params:
            kw["reuse"] = True if self.built else None
        out = fn(inputs, name=self.name, **kw)
        if not self.built:
            self._variables = [v for v in g.get_collection("variables") if id(v) not in before]
            self.built = True
        return out

    doc = f"tf.layers.{cls_name}: the object form of tf.layers.{fn.__name__}."
    return type(cls_name, (Layer,), {"__init__": __init__, "__call__": __call__, "__doc__": doc})


Conv2D = _layer_class("Conv2D", L.conv2d, True)
Conv1D = _layer_class("Conv1D", LM.conv1d, True)
Conv2DTranspose = _layer_class("Conv2DTranspose", LM.conv2d_transpose, True)
MaxPooling2D = _layer_class("MaxPooling2D", L.max_pooling2d, False)
AveragePooling2D = _layer_class("AveragePooling2D", L.average_pooling2d, False)
MaxPooling1D = _layer_class("MaxPooling1D", LM.max_pooling1d, False)
AveragePooling1D = _layer_class("AveragePooling1D", LM.average_pooling1d, False)

NAMES = [
    "Conv2D", "Conv1D", "Conv2DTranspose", "MaxPooling2D", "AveragePooling2D", "MaxPooling1D",
    "AveragePooling1D",
]  # fmt: skip
