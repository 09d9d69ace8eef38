"""What happens when a program asks for a PyTorch name duograd does not provide.

`torch.nn.Foo`, `F.foo`, `torch.foo`, `tensor.foo` ... raise `MissingFeatureError`, a
`NotImplementedError` that names the missing name, suggests near spellings duograd does have and,
for names that exist only for GPUs or several processes, what to use instead.

Why it is also an `AttributeError`: feature probes must keep working. `hasattr(torch, "compile")`,
`getattr(F, "scaled_dot_product_attention", None)` and `from torch import X` catch
AttributeError only; a plain NotImplementedError would escape from them and break programs that
probe before they use. So `except NotImplementedError` sees the message, and probes see "absent".
Private and dunder names (`__path__`, `_foo`) raise a plain AttributeError, as Python's own
machinery (import, pickle, copy, inspect) expects.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any, NoReturn

# Names that exist for GPUs or many processes, and the CPU-side spelling that does the same here.
_CPU_ONLY = "duograd runs on the CPU only"
HINTS: dict[str, str] = {
    "torch.cuda": f"{_CPU_ONLY}: use the CPU spelling (torch.FloatTensor, torch.manual_seed, "
    "tensor.to('cpu'))",
    "torch.nn.DistributedDataParallel": f"{_CPU_ONLY}, in one process: use the module itself",
    "torch.nn.parallel.DistributedDataParallel": f"{_CPU_ONLY}, in one process: use the module "
    "itself",
    "torch.distributed": f"{_CPU_ONLY}, in one process: train without torch.distributed",
    "torch.cuda.amp": f"{_CPU_ONLY}: run in float32 without autocast",
    "torch.amp": f"{_CPU_ONLY}: run in float32 without autocast",
    "torch.Tensor.pin_memory": f"{_CPU_ONLY}: pinned memory does not apply; drop the call",
}


class MissingFeatureError(NotImplementedError, AttributeError):
    """A PyTorch name duograd does not provide (also an AttributeError, so probes see absence)."""


def message(qualname: str, candidates: Any = ()) -> str:
    """The text of the error for `qualname`, with near spellings and any known alternative."""
    text = f"{qualname} is not provided by duograd"
    for key in (qualname, qualname.rsplit(".", 1)[0]):
        if key in HINTS:
            return f"{text}: {HINTS[key]}"
    name = qualname.rsplit(".", 1)[-1]
    public = [c for c in candidates if not c.startswith("_")]
    close = difflib.get_close_matches(name, public, n=3, cutoff=0.75)
    if close:
        return f"{text}; near names that are provided: {', '.join(close)}"
    return f"{text} (no equivalent here yet)"


def module_getattr(qualname: str, namespace: dict[str, Any]) -> Callable[[str], NoReturn]:
    """A module-level `__getattr__` for the module `qualname` whose globals are `namespace`."""

    def __getattr__(name: str) -> NoReturn:
        if name.startswith("_"):
            raise AttributeError(f"module {qualname!r} has no attribute {name!r}")
        raise MissingFeatureError(message(f"{qualname}.{name}", namespace))

    return __getattr__


def tensor_getattr(self: Any, name: str) -> NoReturn:
    """`Tensor.__getattr__`: called only when normal lookup found nothing."""
    if name.startswith("_"):
        raise AttributeError(f"'Tensor' object has no attribute {name!r}")
    raise MissingFeatureError(message(f"torch.Tensor.{name}", dir(type(self))))
