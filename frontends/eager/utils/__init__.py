"""``torch.utils``: the data loading helpers and DLPack exchange."""

from __future__ import annotations

from . import data, dlpack

__all__ = ["data", "dlpack"]

# A name this module does not provide raises NotImplementedError naming it (see missing.py).
from ..missing import module_getattr  # noqa: E402

_missing = module_getattr("torch.utils", globals())


def __getattr__(name: str):
    """``torch.utils.tensorboard`` loads on first use (the tensorboard package only when
    writing); any other unknown name is a missing feature."""
    if name == "tensorboard":
        import importlib

        return importlib.import_module(f"{__name__}.tensorboard")
    return _missing(name)
