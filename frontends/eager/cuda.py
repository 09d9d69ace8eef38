"""``torch.cuda`` and friends: there is no GPU here, so availability checks answer False."""

from __future__ import annotations

from types import SimpleNamespace


def is_available() -> bool:
    """False: duograd runs on the CPU only."""
    return False


def device_count() -> int:
    """0: there are no GPUs."""
    return 0


def manual_seed(seed: int) -> None:
    """Accepted and ignored (there is no GPU stream to seed)."""


manual_seed_all = manual_seed

# torch.accelerator.is_available() and torch.backends.mps.is_available() in device-picking code
accelerator = SimpleNamespace(is_available=is_available, current_accelerator=lambda: None)
backends = SimpleNamespace(
    mps=SimpleNamespace(is_available=is_available, is_built=is_available),
    cudnn=SimpleNamespace(deterministic=True, benchmark=False),
)

# torch.xpu / torch.mps availability checks in device-picking code (`use_xpu = ... and
# torch.xpu.is_available()`): no such device here either
xpu = SimpleNamespace(
    is_available=is_available,
    device_count=device_count,
    manual_seed=manual_seed,
    manual_seed_all=manual_seed,
)
mps = SimpleNamespace(is_available=is_available, device_count=device_count, manual_seed=manual_seed)

# A name this module does not provide raises NotImplementedError naming it (see missing.py).
from .missing import module_getattr  # noqa: E402

__getattr__ = module_getattr("torch.cuda", globals())
