"""`tf.errors`: the exception types a TF1 program catches around `Session.run`."""

from __future__ import annotations

from typing import Any


class OpError(Exception):
    """A failure while running (or preparing to run) an operation."""

    def __init__(self, node_def: Any = None, op: Any = None, message: str = "", *args) -> None:
        # TF's signature is (node_def, op, message); a single string argument is the message
        if isinstance(node_def, str) and op is None and not message:
            message, node_def = node_def, None
        super().__init__(message)
        self.message = message
        self.node_def = node_def
        self.op = op

    def __str__(self) -> str:
        return self.message


class InvalidArgumentError(OpError, ValueError):
    """An argument (e.g. a fed value) is invalid; also a ValueError."""


class FailedPreconditionError(OpError, RuntimeError):
    """The state is not ready (e.g. a variable read before it was initialized)."""


class NotFoundError(OpError, KeyError):
    """Something (a checkpoint entry, a file) does not exist."""

    def __str__(self) -> str:  # KeyError would quote the message
        return self.message


class UnknownError(OpError):
    """An unclassified failure."""


class ResourceExhaustedError(OpError, MemoryError):
    """Out of memory."""


class CancelledError(OpError):
    """The operation was cancelled."""


class OutOfRangeError(OpError, IndexError):
    """An input was exhausted (e.g. an index beyond the end)."""


class DataLossError(OpError):
    """Unrecoverable data loss or corruption (e.g. a TFRecord failing its checksum)."""


_RUN_TYPES: dict[type, type] = {}


def invalid_argument(e: BaseException) -> InvalidArgumentError:
    """A value rejected while a session runs (a fed index out of range, a shape the fed value
    breaks) as TF reports it: an InvalidArgumentError with the same message, that is also the
    Python type raised before (IndexError, RuntimeError, ShapeError) for older except clauses."""
    base = type(e)
    cls = _RUN_TYPES.get(base)
    if cls is None:
        extra = (
            tuple(t for t in (IndexError, RuntimeError) if isinstance(e, t))
            + tuple(t for t in base.__mro__ if t.__module__.endswith("core.errors"))[:1]
        )
        cls = type("InvalidArgumentError", (InvalidArgumentError, *extra), {})
        cls.__module__ = __name__
        cls.__qualname__ = "InvalidArgumentError"
        _RUN_TYPES[base] = cls
    return cls(None, None, str(e))
