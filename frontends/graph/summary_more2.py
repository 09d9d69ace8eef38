"""The TensorBoard protos TF1 programs build by hand, `tf.Summary` and `tf.Event` (also under
`tf.summary`), and `tf.train.summary_iterator` reading an event file back. They come from the
`tensorboard` package (the `tensorboard` extra), loaded on first use."""

from __future__ import annotations

import os
import types
from collections.abc import Callable, Iterator
from typing import Any

from ...core.extras import require

_LAZY = {
    "Summary": ("tensorboard.compat.proto.summary_pb2", "Summary"),
    "Event": ("tensorboard.compat.proto.event_pb2", "Event"),
    "SessionLog": ("tensorboard.compat.proto.event_pb2", "SessionLog"),
}


def _load(name: str) -> Any:
    module, attr = _LAZY[name]
    return getattr(require(module, "tensorboard", f"tf.{name}"), attr)


def summary_iterator(path: str) -> Iterator[Any]:
    """The Event protos of one event file, in order (the first holds the file version)."""
    loader = require(
        "tensorboard.backend.event_processing.event_file_loader", "tensorboard",
        "tf.train.summary_iterator",
    )  # fmt: skip
    p = os.fspath(path)
    if not os.path.isfile(p):
        raise FileNotFoundError(f"summary_iterator: no event file at {p!r}")
    yield from loader.LegacyEventFileLoader(p).Load()


def lazy_names(module: types.ModuleType, names: tuple) -> None:
    """Give `module` the protos in `names`, loaded on first access (before its missing-name
    `__getattr__`)."""
    fallback: Callable[[str], Any] | None = module.__dict__.get("__getattr__")

    def __getattr__(name: str) -> Any:
        if name in names:
            value = _load(name)
            setattr(module, name, value)
            return value
        if fallback is None:
            raise AttributeError(name)
        return fallback(name)

    module.__getattr__ = __getattr__  # type: ignore[attr-defined]
