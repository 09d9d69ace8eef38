"""Grad mode: whether operations are recorded for autograd (no_grad, enable_grad, ...)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

# read on every operation: no module __getattr__ guard here (see namespaces._guard_module)
__dg_hot__ = True


class _GradMode(threading.local):
    # per thread, as in PyTorch: one thread's no_grad() (e.g. inside backward) must not stop
    # another thread's forward pass from recording; a new thread starts with recording on
    enabled = True


_State = _GradMode()


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad are recorded."""
    return _State.enabled


class _Mode:
    """Base of the grad-mode switches: a context manager and a function decorator."""

    _target = True

    def __enter__(self) -> None:
        self._prev = _State.enabled
        _State.enabled = self._target

    def __exit__(self, *exc: Any) -> None:
        _State.enabled = self._prev

    def __call__(self, fn: Callable) -> Callable:
        target = self._target

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            prev = _State.enabled
            _State.enabled = target
            try:
                return fn(*args, **kwargs)
            finally:
                _State.enabled = prev

        return wrapper


class no_grad(_Mode):  # noqa: N801 - PyTorch's name
    """Disable recording inside a ``with`` block or a decorated function."""

    _target = False


class enable_grad(_Mode):  # noqa: N801
    """Enable recording inside a ``with`` block or a decorated function."""

    _target = True


class set_grad_enabled(_Mode):  # noqa: N801
    """Set recording on or off: takes effect at once, and as a context manager restores it."""

    def __init__(self, mode: bool) -> None:
        self._target = bool(mode)
        self._prev = _State.enabled
        _State.enabled = self._target

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: Any) -> None:
        _State.enabled = self._prev


class inference_mode(no_grad):  # noqa: N801
    """Like no_grad (accepted so inference-style programs run unchanged)."""

    def __init__(self, mode: bool = True) -> None:
        self._target = not mode
