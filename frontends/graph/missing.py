"""Names TF1 has and this frontend does not: a clear NotImplementedError, never AttributeError."""

from __future__ import annotations

import types
from collections.abc import Callable

# names whose supported counterpart differs (the rest just say they are not provided)
_ALTERNATIVES = {
    "tf.enable_eager_execution": "duograd.frontends.eager (the PyTorch-style frontend)",
    "tf.contrib": "the tf.compat.v1 names it moved to (tf.layers, tf.nn.rnn_cell, ...)",
    "tf.estimator": "a tf.Session training loop",
    "tf.keras": "tf.layers and tf.train optimizers",
    "tf.data": "feed_dict with numpy batches (duograd.frontends.eager.utils.data for loaders)",
    "tf.test.is_gpu_available": "nothing: duograd runs on the CPU only",
    "tf.config": "nothing: duograd runs on the CPU only",
}


class MissingNameError(NotImplementedError, AttributeError):
    """A TF1 name duograd does not provide; also an AttributeError so `hasattr` and
    `getattr(module, name, default)` keep their meaning."""


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def missing_getattr(prefix: str) -> Callable[[str], object]:
    """A module `__getattr__` raising NotImplementedError for `prefix.name`."""

    def __getattr__(name: str) -> object:
        if _is_dunder(name) or name.startswith("_"):
            raise AttributeError(name)
        full = f"{prefix}.{name}"
        alt = _ALTERNATIVES.get(full)
        hint = f"; use {alt} instead" if alt else "; see the README for the supported surface"
        raise MissingNameError(f"{full} is not provided by duograd's graph frontend{hint}")

    return __getattr__


def install(module: types.ModuleType, prefix: str) -> None:
    """Give `module` a `__getattr__` for missing names (if it has none of its own)."""
    if "__getattr__" not in module.__dict__:
        module.__getattr__ = missing_getattr(prefix)  # type: ignore[attr-defined]
