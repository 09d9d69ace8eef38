"""``torch.utils``: the data loading helpers."""

from __future__ import annotations

from . import data

__all__ = ["data"]
