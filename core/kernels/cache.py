"""Where generated kernel sources (and numba's caches beside them) live on disk."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_resolved: Path | None = None


def _candidates() -> list[Path]:
    env = os.environ.get("DUOGRAD_CACHE_DIR")
    if env:
        return [Path(env).expanduser()]
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    # A read-only home (some CI sandboxes) must not make kernels unusable: fall back to a
    # per-user folder under the system temp dir.
    uid = getattr(os, "getuid", lambda: "user")()
    return [base / "duograd", Path(tempfile.gettempdir()) / f"duograd-{uid}"]


def _usable(path: Path) -> bool:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK | os.X_OK)


def kernel_cache_dir() -> Path:
    """Return the folder for generated kernels, creating it on first use."""
    global _resolved
    if _resolved is not None and _resolved.is_dir():
        return _resolved
    cands = _candidates()
    for path in cands:
        if _usable(path):
            _resolved = path
            return path
    raise OSError(
        "duograd: no writable kernel cache folder; tried "
        + ", ".join(str(p) for p in cands)
        + ". Set DUOGRAD_CACHE_DIR to a writable directory."
    )


def reset_cache_dir() -> None:
    """Forget the resolved folder so the next call re-reads the environment (for tests)."""
    global _resolved
    _resolved = None
