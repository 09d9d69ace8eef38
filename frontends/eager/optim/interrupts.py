"""Hold back Ctrl-C while an optimizer step writes, and deliver it once the step is whole.

The step keeps no copy of the parameter it updates last (see Optimizer._undo_entries), so it
cannot roll that one back. A synchronous failure never needs to (it comes before that
parameter's kernel writes), but a KeyboardInterrupt raised right after the kernel returned
would roll the others back and leave that one stepped. Python runs signal handlers in the main
thread only, so there the step swaps in a handler that notes the signal, and hands it to the
previous handler when the writes are done; other threads never see the interrupt at all.
"""

from __future__ import annotations

import _signal
import threading
from typing import Any

_main = threading.main_thread()
# the C module's functions: `signal.signal` / `signal.getsignal` wrap them only to turn the
# numbers SIG_DFL and SIG_IGN into enum members, which costs more than the swap itself; a
# callable handler comes back as the very object either way
_getsignal, _setsignal = _signal.getsignal, _signal.signal


class DeferredInterrupt:
    """Context manager: a SIGINT arriving inside the block is delivered when it ends."""

    __slots__ = ("prev", "pending")

    def __init__(self) -> None:
        self.prev: Any = None
        self.pending: tuple | None = None

    def __enter__(self) -> DeferredInterrupt:
        if threading.current_thread() is not _main:
            return self
        prev = _getsignal(_signal.SIGINT)
        # only a Python-level handler runs at a point the step could see (SIG_IGN ignores the
        # signal, SIG_DFL ends the process, and None, a handler Python did not install, could
        # not be put back), and only the main thread can swap it, so nothing else can meanwhile
        if callable(prev):
            _setsignal(_signal.SIGINT, self._hold)
            self.prev = prev
        return self

    def _hold(self, signum: int, frame: Any) -> None:
        if self.pending is None:
            self.pending = (signum, frame)

    def __exit__(self, *exc: Any) -> None:
        prev = self.prev
        if prev is None:
            return
        self.prev = None
        _setsignal(_signal.SIGINT, prev)
        pending, self.pending = self.pending, None
        if pending is not None:
            prev(*pending)  # e.g. raises KeyboardInterrupt, now that the step is whole
