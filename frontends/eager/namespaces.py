"""Every torch namespace a program may touch answers a missing name with `MissingFeatureError`.

The sub-namespaces (``torch.linalg``, ``torch.jit``, ``torch.fft``, ``torch.backends.cudnn``, ...)
get the same `__getattr__` as ``torch`` itself (see missing.py), so ``torch.linalg.eig`` or
``torch.backends.cudnn.allow_tf32`` read in a program names what is missing instead of a bare
AttributeError; the namespaces duograd does not have (``torch.hub``, ``torch.fx``, ...) say what
to use instead. ``torch.jit`` also gets the decorators and queries that mean something in eager
code: ``is_scripting()`` is False, ``ignore`` / ``unused`` / ``export`` return the function.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any, Final, NoReturn

from . import missing

missing.HINTS.update(
    {
        "torch.hub": "download the weights yourself and read them with torch.load and "
        "model.load_state_dict (or duograd's safetensors / TF checkpoint readers)",
        "torch.fx": "capture a program with torch.jit.trace or torch.compile (core IR graphs) "
        "instead of symbolic tracing",
        "torch.classes": "custom TorchScript classes from C++ extensions are not loadable; write "
        "the operation with duograd ops",
        "torch.ops": "custom operators from C++ extensions are not loadable; write the operation "
        "with duograd ops (or declare a core primitive)",
        "torch.profiler": "time regions with time.perf_counter; `duograd bench` measures whole "
        "programs",
        "torch.autograd.profiler": "time regions with time.perf_counter",
        "torch.multiprocessing": "use Python's multiprocessing (tensors are pickled, not shared); "
        "DataLoader(num_workers=N) runs worker processes",
        "torch.testing": "compare with numpy.testing.assert_allclose on tensor.numpy()",
        "torch.amp": "duograd runs on the CPU in the tensors' own dtypes: run without autocast",
        "torch.autocast": "duograd runs on the CPU in the tensors' own dtypes: run without "
        "autocast",
        "torch.get_autocast_gpu_dtype": "duograd runs on the CPU only: there is no autocast",
        "torch.mps": "duograd runs on the CPU only (torch.mps.is_available() is False)",
        "torch.bfloat16": "numpy has no bfloat16 dtype: use torch.float16 for half-size storage "
        "or float32",
        "torch.xpu": "duograd runs on the CPU only (torch.xpu.is_available() is False)",
    }
)


class Namespace(types.SimpleNamespace):
    """A namespace of names (like SimpleNamespace) whose missing names raise MissingFeatureError."""

    def __init__(self, qualname: str = "torch", members: dict[str, Any] | None = None) -> None:
        super().__init__(**(members or {}))
        object.__setattr__(self, "_qualname", qualname)

    def __getattr__(self, name: str) -> NoReturn:
        if name.startswith("_"):
            raise AttributeError(f"namespace {self._qualname!r} has no attribute {name!r}")
        raise missing.MissingFeatureError(missing.message(f"{self._qualname}.{name}", vars(self)))


def _converted(qualname: str, ns: types.SimpleNamespace) -> Namespace:
    members = {
        k: _converted(f"{qualname}.{k}", v) if type(v) is types.SimpleNamespace else v
        for k, v in vars(ns).items()
    }
    return Namespace(qualname, members)


def _guard_module(qualname: str, mod: types.ModuleType) -> None:
    # a module whose attributes the per-op path reads declares `__dg_hot__`: CPython does not
    # specialise attribute reads on a module that has a `__getattr__`, so a guard there would
    # slow every operation, and these implementation modules are no torch namespace anyway
    if "__getattr__" not in vars(mod) and not vars(mod).get("__dg_hot__"):
        mod.__getattr__ = missing.module_getattr(qualname, vars(mod))


def _jit_extras(jit: types.ModuleType) -> None:
    def is_scripting() -> bool:
        """False: eager code is never being compiled as TorchScript here."""
        return False

    def _identity(fn: Any = None, **_: Any) -> Any:
        """The function itself (a decorator with or without arguments)."""
        return fn if fn is not None else (lambda f: f)

    extras: dict[str, Callable | Any] = {
        "is_scripting": is_scripting,
        "ignore": _identity,
        "unused": _identity,
        "export": _identity,
        "Final": Final,
    }
    for name, value in extras.items():
        if name not in vars(jit):
            setattr(jit, name, value)


def install(torch: types.ModuleType) -> None:
    """Guard every sub-namespace of the eager package `torch`."""
    from . import cuda, jit, linalg_more

    _jit_extras(jit)
    for name in ("linalg", "backends", "compiler", "xpu", "mps", "accelerator"):
        ns = vars(torch).get(name)
        if type(ns) is types.SimpleNamespace:
            setattr(torch, name, _converted(f"torch.{name}", ns))
    linalg_more.linalg = torch.linalg
    cuda.backends = torch.backends
    torch._dynamo = torch.compiler
    for name, value in list(vars(torch).items()):
        ours = isinstance(value, types.ModuleType) and (
            value.__name__.startswith(torch.__name__) or name in ("fft", "sparse", "special")
        )
        if ours and not name.startswith("_"):
            _guard_module(f"torch.{name}", value)
    for qual in ("nn.utils.rnn", "utils.tensorboard", "autograd.functional", "nn.utils"):
        obj: Any = torch
        try:
            for part in qual.split("."):
                obj = vars(obj)[part] if isinstance(obj, types.ModuleType) else getattr(obj, part)
        except (KeyError, AttributeError):
            continue
        if isinstance(obj, types.ModuleType):
            _guard_module(f"torch.{qual}", obj)


install(sys.modules[__name__.rsplit(".", 1)[0]])
