"""Optional peers: real PyTorch and real TensorFlow (TF1 graph mode), imported only when asked."""

from __future__ import annotations

import importlib
from types import ModuleType

_cache: dict[str, ModuleType | None] = {}
_errors: dict[str, str] = {}


def torch() -> ModuleType | None:
    """Real PyTorch, or None when it is not installed."""
    if "torch" not in _cache:
        try:
            _cache["torch"] = importlib.import_module("torch")
        except Exception as e:  # absent or broken: the column stays empty
            _cache["torch"] = None
            _errors["torch"] = f"{type(e).__name__}: {e}"
    return _cache["torch"]


def tf1() -> ModuleType | None:
    """Real TensorFlow's compat.v1 API in graph mode, or None when it is not installed."""
    if "tf1" not in _cache:
        try:
            tf = importlib.import_module("tensorflow")
            v1 = tf.compat.v1
            v1.disable_eager_execution()
            _cache["tf1"] = v1
        except Exception as e:
            _cache["tf1"] = None
            _errors["tf1"] = f"{type(e).__name__}: {e}"
    return _cache["tf1"]


def torch_compile() -> ModuleType | None:
    """Real PyTorch for the ``torch.compile`` column: None without torch or a C compiler
    (inductor compiles its kernels with one), the reason kept for `why_missing`."""
    if "torch.compile" not in _cache:
        import os
        import shutil

        t = torch()
        cc = os.environ.get("CC") or shutil.which("gcc") or shutil.which("cc")
        _cache["torch.compile"] = t if t is not None and cc else None
        if t is None:
            _errors["torch.compile"] = f"torch missing ({why_missing('torch')})"
        elif not cc:
            _errors["torch.compile"] = "no C compiler (gcc/cc/$CC) for inductor's kernels"
    return _cache["torch.compile"]


def why_missing(name: str) -> str:
    """The import error of a missing peer."""
    return _errors.get(name, "not installed")


def versions() -> dict[str, str | None]:
    """Versions of the peers that were imported."""
    out: dict[str, str | None] = {}
    t = _cache.get("torch")
    out["torch"] = getattr(t, "__version__", None) if t else None
    tf = _cache.get("tf1")
    if tf:
        import tensorflow

        out["tensorflow"] = tensorflow.__version__
    else:
        out["tensorflow"] = None
    return out
