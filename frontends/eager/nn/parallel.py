"""``nn.parallel.DistributedDataParallel``: one model replica per process, gradients averaged.

At wrap time the ranks compare their parameters (name, shape, dtype; a mismatch names the
parameter) and take rank 0's values. During ``backward()`` each parameter's post-accumulate-grad
hook packs its gradient into a bucket; a full bucket starts its (non-blocking) reduction, and
when the last parameter's gradient is in, every bucket is summed in rank order and divided by
the number of ranks. So N ranks with per-rank batch b give the bits of one process accumulating
N micro-batch gradients in rank order (``g0 + g1 + ...``) and dividing the sum by N once.
Inside ``no_sync()`` gradients only accumulate locally; the next synced backward reduces them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from ....core import distributed as _d
from ..grad_mode import no_grad
from ..tensor import Tensor
from .extra_layers import DataParallel, data_parallel  # noqa: E402
from .module import Module

__all__ = ["DataParallel", "DistributedDataParallel", "data_parallel"]


def _check_same(entries: list[tuple[str, tuple, str]], what: str) -> None:
    everyone = _d.gather_objects(entries, what)
    ref = everyone[0]
    for r, mine in enumerate(everyone[1:], start=1):
        if len(mine) != len(ref):
            raise ValueError(
                f"{what}: rank {r} has {len(mine)} parameters and buffers, rank 0 has {len(ref)}; "
                "every rank must build the same model"
            )
        for (n0, s0, d0), (n1, s1, d1) in zip(ref, mine, strict=True):
            if (n0, s0, d0) != (n1, s1, d1):
                raise ValueError(
                    f"{what}: parameter {n0!r} is {np.dtype(d0)} of shape {list(s0)} on rank 0 "
                    f"but {n1!r} is {np.dtype(d1)} of shape {list(s1)} on rank {r}; every rank "
                    "must build the same model"
                )


def _broadcast_tensor(t: Tensor) -> None:
    buf = np.ascontiguousarray(t._data)
    if buf is t._data and buf.flags.writeable:
        _d.broadcast(buf, 0, "DistributedDataParallel")
    else:
        buf = buf.copy()
        _d.broadcast(buf, 0, "DistributedDataParallel")
        t._data = buf


class DistributedDataParallel(Module):
    """Wrap `module` for data-parallel training across the process group's ranks."""

    def __init__(
        self,
        module: Module,
        device_ids: Any = None,
        output_device: Any = None,
        dim: int = 0,
        broadcast_buffers: bool = True,
        process_group: Any = None,
        bucket_cap_mb: float | None = 25,
        find_unused_parameters: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(
                f"DistributedDataParallel: expected an nn.Module, got {type(module).__name__}"
            )
        _d.get_comm("DistributedDataParallel")
        self.module = module
        object.__setattr__(self, "broadcast_buffers", bool(broadcast_buffers))
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        bufs = list(module.named_buffers())
        _check_same(
            [(n, tuple(p.shape), p._data.dtype.str) for n, p in named]
            + [(n, tuple(b.shape), b._data.dtype.str) for n, b in bufs],
            "DistributedDataParallel",
        )
        with no_grad():
            for _, p in named:
                _broadcast_tensor(p)
            for _, b in bufs:
                _broadcast_tensor(b)
        cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        buckets = _d.GradBuckets(
            [tuple(p.shape) for _, p in named],
            [p._data.dtype for _, p in named],
            cap_bytes=max(cap, 1),
            op="mean",
            names=[n for n, _ in named],
        )
        object.__setattr__(self, "_ddp_params", named)
        object.__setattr__(self, "_ddp_buckets", buckets)
        object.__setattr__(self, "require_backward_grad_sync", True)
        object.__setattr__(self, "_ddp_handles", [])
        for i, (_, p) in enumerate(named):
            self._ddp_handles.append(p.register_post_accumulate_grad_hook(self._make_hook(i)))

    def _make_hook(self, i: int) -> Any:
        def hook(p: Tensor) -> None:
            if not self.require_backward_grad_sync:
                return
            buckets = self._ddp_buckets
            try:
                buckets.ready(i, p._grad._data)
                if buckets.pending():
                    return
                # the averaged gradients land in the .grad arrays just packed (as PyTorch
                # copies its buckets back into .grad)
                grads = [q._grad for _, q in self._ddp_params]
                reduced = buckets.finish([g._data for g in grads])
            except BaseException:
                buckets.reset()
                raise
            for (_, q), t, g in zip(self._ddp_params, grads, reduced, strict=True):
                if g is t._data:
                    if t._vc is not None:
                        t._vc.v += 1
                else:
                    q._grad = Tensor._make(g)

        return hook

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        """Run the wrapped module (after checking the last step's reduction completed)."""
        pending = self._ddp_buckets.pending()
        if len(pending) != len(self._ddp_params):
            self._ddp_buckets.reset()
            raise RuntimeError(
                "DistributedDataParallel: the previous backward() produced no gradient for "
                f"{', '.join(pending[:10])}, so its gradients were never averaged. Every "
                "parameter that requires grad must take part in the loss (freeze the others with "
                "requires_grad=False before wrapping)"
            )
        if self.broadcast_buffers and self.module._buffers is not None:
            bufs = list(self.module.named_buffers())
            if bufs:
                with no_grad():
                    for _, b in bufs:
                        _broadcast_tensor(b)
        return self.module(*inputs, **kwargs)

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Within this block backward() only accumulates gradients locally (no reduction)."""
        old = self.require_backward_grad_sync
        object.__setattr__(self, "require_backward_grad_sync", False)
        try:
            yield
        finally:
            object.__setattr__(self, "require_backward_grad_sync", old)


# A name this module does not provide raises NotImplementedError naming it (see missing.py).
from ..missing import module_getattr  # noqa: E402

__getattr__ = module_getattr("torch.nn.parallel", globals())
