"""``torch.nn.parallel``: on one CPU device, data_parallel runs the module."""

from __future__ import annotations

from .extra_layers import DataParallel, data_parallel

__all__ = ["DataParallel", "data_parallel"]

# A name this module does not provide raises NotImplementedError naming it (see missing.py).
from ..missing import module_getattr  # noqa: E402

__getattr__ = module_getattr("torch.nn.parallel", globals())
