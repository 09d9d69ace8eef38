"""``torch.nn.utils.weight_norm`` / ``spectral_norm`` and their ``remove_*``: a layer's weight
recomputed from new parameters before each forward, as torch's (old-style) hooks do.

weight_norm: `weight = g * v / ||v||` (the norm over every dim but `dim`), parameters
`<name>_g` and `<name>_v`. spectral_norm: `weight = weight_orig / sigma`, sigma the largest
singular value of weight_orig (as a matrix of dim `dim` by the rest), estimated by power
iteration on the buffers `<name>_u` / `<name>_v`, one step per training forward.
"""

from __future__ import annotations

from typing import Any

from ....core import domain
from ..grad_mode import no_grad
from .module import Module
from .parameter import Parameter


def _norm_except_dim(v: Any, dim: int | None) -> Any:
    """The 2-norm of v over every dim except `dim` (kept as size-1 dims), or over all."""
    if dim is None:
        return (v * v).sum().sqrt()
    dim = domain.check_dim("weight_norm", dim, v.dim())
    others = tuple(d for d in range(v.dim()) if d != dim)
    return (v * v).sum(dim=others, keepdim=True).sqrt()


class _WeightNorm:
    """The forward pre-hook that rebuilds `name` from `name_g` and `name_v`."""

    def __init__(self, name: str, dim: int | None) -> None:
        self.name, self.dim = name, dim

    def compute(self, module: Module) -> Any:
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return v * (g / _norm_except_dim(v, self.dim))

    def __call__(self, module: Module, inputs: Any) -> None:
        object.__setattr__(module, self.name, self.compute(module))


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Split `module.<name>` into a magnitude `<name>_g` and a direction `<name>_v`."""
    weight = module._parameters.get(name)
    if weight is None:
        raise ValueError(f"weight_norm: {type(module).__name__} has no parameter {name!r}")
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, _WeightNorm) and hook.name == name:
            raise RuntimeError(
                f"Cannot register two weight_norm hooks on the same parameter {name}"
            )
    fn = _WeightNorm(name, dim)
    del module._parameters[name]
    with no_grad():
        g = _norm_except_dim(weight.detach(), dim)
    module.register_parameter(name + "_g", Parameter(g.detach()))
    module.register_parameter(name + "_v", Parameter(weight.detach().clone()))
    object.__setattr__(module, name, fn.compute(module))
    module.register_forward_pre_hook(fn)
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Fold `<name>_g` and `<name>_v` back into one parameter `<name>`."""
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, _WeightNorm) and hook.name == name:
            with no_grad():
                weight = hook.compute(module).detach()
            del module._forward_pre_hooks[key]
            del module._parameters[name + "_g"], module._parameters[name + "_v"]
            module.__dict__.pop(name, None)
            module.register_parameter(name, Parameter(weight))
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")


class _SpectralNorm:
    """The forward pre-hook that rebuilds `name` as `name_orig / sigma`."""

    def __init__(self, name: str, n_power_iterations: int, dim: int, eps: float) -> None:
        self.name, self.iters, self.dim, self.eps = name, n_power_iterations, dim, eps

    def matrix(self, weight: Any) -> Any:
        if self.dim != 0:
            order = [self.dim] + [d for d in range(weight.dim()) if d != self.dim]
            weight = weight.permute(*order)
        return weight.reshape(weight.shape[0], -1)

    def _normalize(self, x: Any) -> Any:
        return x / (x * x).sum().sqrt().clamp(min=self.eps)

    def compute(self, module: Module, do_power_iteration: bool) -> Any:
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        mat = self.matrix(weight)
        if do_power_iteration:
            with no_grad():
                for _ in range(self.iters):
                    v.copy_(self._normalize(mat.detach().t() @ u))
                    u.copy_(self._normalize(mat.detach() @ v))
        sigma = (u.clone() * (mat @ v.clone())).sum()
        return weight / sigma

    def __call__(self, module: Module, inputs: Any) -> None:
        object.__setattr__(module, self.name, self.compute(module, module.training))


def spectral_norm(
    module: Module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> Module:
    """Divide `module.<name>` by its spectral norm, estimated by power iteration."""
    weight = module._parameters.get(name)
    if weight is None:
        raise ValueError(f"spectral_norm: {type(module).__name__} has no parameter {name!r}")
    if n_power_iterations <= 0:
        raise ValueError(
            f"Expected n_power_iterations to be positive, but got n_power_iterations="
            f"{n_power_iterations}"
        )
    if dim is None:  # torch's default: the output-channel dim of transposed convolutions is 1
        dim = 1 if "ConvTranspose" in type(module).__name__ else 0
    fn = _SpectralNorm(name, n_power_iterations, dim, eps)
    from ..creation import randn

    mat = fn.matrix(weight.detach())
    h, w = mat.shape
    with no_grad():
        u = fn._normalize(randn(h, dtype=weight.dtype))
        v = fn._normalize(randn(w, dtype=weight.dtype))
    del module._parameters[name]
    module.register_parameter(name + "_orig", Parameter(weight.detach().clone()))
    module.register_buffer(name + "_u", u)
    module.register_buffer(name + "_v", v)
    object.__setattr__(module, name, weight.detach().clone())
    module.register_forward_pre_hook(fn)
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Fold the normalised weight back into one parameter `<name>`."""
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, _SpectralNorm) and hook.name == name:
            with no_grad():
                weight = hook.compute(module, False).detach()
            del module._forward_pre_hooks[key]
            del module._parameters[name + "_orig"]
            del module._buffers[name + "_u"], module._buffers[name + "_v"]
            module.__dict__.pop(name, None)
            module.register_parameter(name, Parameter(weight))
            return module
    raise ValueError(f"spectral_norm of '{name}' not found in {module}")


__all__ = ["remove_spectral_norm", "remove_weight_norm", "spectral_norm", "weight_norm"]
