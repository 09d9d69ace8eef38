"""``torch.utils``: the data loading helpers and DLPack exchange."""

from __future__ import annotations

from . import data, dlpack

__all__ = ["data", "dlpack"]

# A name this module does not provide raises NotImplementedError naming it (see missing.py).
from ..missing import module_getattr  # noqa: E402

__getattr__ = module_getattr("torch.utils", globals())
