"""Optional extras: import a bridge's library on first use, or say which extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType


def require(module: str, extra: str, feature: str) -> ModuleType:
    """Import `module` or raise ImportError naming the pip extra that provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ImportError(
            f"{feature} needs the optional package '{module.split('.')[0]}': install it with "
            f"`pip install 'duograd[{extra}]'`"
        ) from e
