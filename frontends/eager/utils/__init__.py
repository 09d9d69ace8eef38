"""``torch.utils``: the data loading helpers and DLPack exchange."""

from __future__ import annotations

from . import data, dlpack

__all__ = ["data", "dlpack"]
