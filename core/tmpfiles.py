"""Temporary files of atomic saves: named by their writer, swept when the writer is gone.

A save writes ``.tmp-dg<pid>-<random><suffix>`` next to its target and renames it over the
target when complete. A save killed mid-write leaves that file behind; the next save into (or
restore from) the same folder removes every such file whose writing process no longer runs.
Files of a live process (a save in flight in another thread or process) are left alone, and a
temporary file is never read as a checkpoint.
"""

from __future__ import annotations

import os
import re
import tempfile

PREFIX = ".tmp-dg"
_OWNED = re.compile(r"^\.tmp-dg(\d+)-")


def is_temporary(path: str | os.PathLike) -> bool:
    """True for the name of a save's temporary file (never a checkpoint)."""
    name = os.path.basename(os.fspath(path))
    # ours (.tmp-dg<pid>-...), and the older spellings: .tmp-<random> and <target>.tmp-<pid>
    return name.startswith(".tmp-") or (".tmp-" in name and name.rsplit(".tmp-", 1)[1].isdigit())


def make(folder: str, suffix: str = "") -> tuple[int, str]:
    """A new temporary file in `folder` (fd, path), named after this process."""
    return tempfile.mkstemp(prefix=f"{PREFIX}{os.getpid()}-", suffix=suffix, dir=folder)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists, owned by someone else: not ours to judge
    return True


def sweep(folder: str) -> list[str]:
    """Remove the orphaned temporary files in `folder` (writer gone); return their paths."""
    removed: list[str] = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        m = _OWNED.match(name)
        if m is None or _alive(int(m.group(1))):
            continue
        path = os.path.join(folder, name)
        try:
            os.unlink(path)
            removed.append(path)
        except OSError:
            pass  # removed by a racing sweep, or not ours to remove
    return removed
