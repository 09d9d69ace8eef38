"""``torch.utils.dlpack``: DLPack capsules in and out, sharing memory."""

from __future__ import annotations

from ..dlpack import from_dlpack, to_dlpack

__all__ = ["from_dlpack", "to_dlpack"]
