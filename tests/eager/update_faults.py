"""Faults injected into the optimizers' update kernels, for the compiled-step failure tests."""

from __future__ import annotations

import signal
from collections.abc import Callable
from typing import Any

from duograd.core.kernels import update as U


class Patch:
    """Replace a module attribute for the duration of a with-block; yields the expected error."""

    def __init__(self, owner: Any, name: str, make_fake: Callable, expected: type) -> None:
        self.owner, self.name, self.make_fake, self.expected = owner, name, make_fake, expected

    def __enter__(self) -> type:
        self.real = getattr(self.owner, self.name)
        setattr(self.owner, self.name, self.make_fake(self.real))
        return self.expected

    def __exit__(self, *exc: Any) -> None:
        setattr(self.owner, self.name, self.real)


def fail_kernel(name: str, at: int) -> Callable:
    """An injector: the update kernel `name` raises MemoryError at its `at`-th call."""

    def inject(opt: Any) -> Patch:
        calls = []

        def make_fake(real: Callable) -> Callable:
            def flaky(*args: Any, **kwargs: Any) -> Any:
                calls.append(1)
                if len(calls) == at:
                    raise MemoryError(f"simulated failure at update {at}")
                return real(*args, **kwargs)

            return flaky

        return Patch(U, name, make_fake, MemoryError)

    return inject


def interrupt_after(kernel: str, at: int) -> Callable:
    """An injector: Ctrl-C right after the update kernel `kernel` wrote for the `at`-th time."""

    def inject(opt: Any) -> Patch:
        calls = []

        def make_fake(real: Callable) -> Callable:
            def interrupted(*args: Any, **kwargs: Any) -> None:
                real(*args, **kwargs)
                calls.append(1)
                if len(calls) == at:
                    signal.raise_signal(signal.SIGINT)

            return interrupted

        return Patch(U, kernel, make_fake, KeyboardInterrupt)

    return inject
