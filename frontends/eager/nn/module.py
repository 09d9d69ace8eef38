"""``nn.Module``: registration of parameters, buffers and submodules, state dicts, train/eval."""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ....core import ops
from .. import dispatch as _dispatch
from ..dtype import to_dtype
from ..grad_mode import no_grad
from ..tensor import Tensor, check_device
from .parameter import Parameter

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


_LIBRARY = "duograd."


def _contiguous_outputs(out: Any) -> Any:
    """A library layer's outputs in C order, as torch's layers return them (so `view` works on
    them); a kernel's transposed result would otherwise leak its strides to the user."""
    if isinstance(out, Tensor):
        return out if out._data.flags.c_contiguous else out.contiguous()
    if type(out) is tuple:
        return tuple(_contiguous_outputs(o) for o in out)
    return out


def _indent(text: str, spaces: int = 2) -> str:
    lines = text.split("\n")
    return "\n".join([lines[0]] + [" " * spaces + line for line in lines[1:]])


class Module:
    """Base class of layers and models: subclass it, assign parts in __init__, define forward."""

    training: bool

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args or kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__() got unexpected arguments; "
                "Module.__init__ takes none"
            )
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_backward_hooks", OrderedDict())

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation; subclasses define it."""
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        for hook in self._forward_pre_hooks.values():
            res = hook(self, args)
            if res is not None:
                args = res if isinstance(res, tuple) else (res,)
        if self.__dict__.get("_backward_hooks"):
            from .backward_hooks import call_with_backward_hooks

            out = call_with_backward_hooks(
                self, self._backward_hooks, args, lambda *a: self.forward(*a, **kwargs)
            )
        else:
            out = self.forward(*args, **kwargs)
        if type(self).__module__.startswith(_LIBRARY):
            out = _contiguous_outputs(out)
        for hook in self._forward_hooks.values():
            res = hook(self, args, out)
            if res is not None:
                out = res
        return out

    def register_forward_hook(self, hook: Callable) -> Any:
        """Call hook(module, inputs, output) after each forward; returns a handle to remove it."""
        return _Handle(self._forward_hooks, hook)

    def register_forward_pre_hook(self, hook: Callable) -> Any:
        """Call hook(module, inputs) before each forward; returns a handle to remove it."""
        return _Handle(self._forward_pre_hooks, hook)

    def register_full_backward_hook(self, hook: Callable) -> Any:
        """Call hook(module, grad_input, grad_output) in backward; it may return a new
        grad_input. Returns a handle to remove it."""
        if "_backward_hooks" not in self.__dict__:  # modules unpickled from older versions
            object.__setattr__(self, "_backward_hooks", OrderedDict())
        return _Handle(self._backward_hooks, hook)

    # ---- attribute registration -----------------------------------------------------------------
    def _check_init(self, name: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign '{name}' before Module.__init__() call: call "
                "super().__init__() first in your module's __init__"
            )

    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        if isinstance(value, Parameter):
            self._check_init(name)
            self._discard(name)
            d["_parameters"][name] = value
        elif isinstance(value, Module):
            self._check_init(name)
            self._discard(name)
            d["_modules"][name] = value
        elif "_parameters" in d and name in d["_parameters"]:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    "(nn.Parameter or None expected)"
                )
            d["_parameters"][name] = None
        elif "_modules" in d and name in d["_modules"]:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as child module '{name}' "
                    "(nn.Module or None expected)"
                )
            d["_modules"][name] = None
        elif "_buffers" in d and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                    "(Tensor or None expected)"
                )
            d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def _discard(self, name: str) -> None:
        d = self.__dict__
        d.pop(name, None)
        for store in ("_parameters", "_buffers", "_modules"):
            d[store].pop(name, None)
        d["_non_persistent"].discard(name)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if name in d.get(store, {}):
                del d[store][name]
                d["_non_persistent"].discard(name)
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or a None placeholder) under `name`."""
        self._check_init(name)
        if "." in name or not name:
            raise KeyError(f'parameter name can\'t contain "." or be empty, got {name!r}')
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                "(nn.Parameter or None required)"
            )
        self._discard(name)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a tensor that is state but not a parameter (saved in state_dict if persistent)."""
        self._check_init(name)
        if "." in name or not name:
            raise KeyError(f'buffer name can\'t contain "." or be empty, got {name!r}')
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}'")
        self._discard(name)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a submodule under `name`."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_init(name)
        self._discard(name)
        self._modules[name] = module

    register_module = add_module

    # ---- traversal ------------------------------------------------------------------------------
    def named_modules(
        self, memo: set | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """(qualified name, module) for this module and every descendant."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is None:
                continue
            sub = f"{prefix}.{name}" if prefix else name
            yield from m.named_modules(memo, sub, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        """This module and every descendant."""
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) of the direct submodules."""
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator[Module]:
        """The direct submodules."""
        for _, m in self.named_children():
            yield m

    def _named(self, store: str, prefix: str, recurse: bool, remove_duplicate: bool = True):
        seen = set()
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mprefix, m in mods:
            for name, v in getattr(m, store).items():
                if v is None or (remove_duplicate and id(v) in seen):
                    continue
                seen.add(id(v))
                yield (f"{mprefix}.{name}" if mprefix else name), v

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """(qualified name, parameter), each shared parameter once."""
        yield from self._named("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter (each shared one once)."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        """(qualified name, buffer)."""
        yield from self._named("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target: str) -> Module:
        """The submodule at a dotted path such as 'encoder.0'."""
        m = self
        for part in target.split(".") if target else []:
            if part not in m._modules:
                raise AttributeError(f"{type(m).__name__} has no attribute `{part}`")
            m = m._modules[part]
        return m

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at a dotted path such as 'encoder.0.weight'."""
        mod, _, name = target.rpartition(".")
        m = self.get_submodule(mod)
        if name not in m._parameters:
            raise AttributeError(f"{type(m).__name__} has no parameter `{name}`")
        return m._parameters[name]

    def compile(self, *args: Any, **kwargs: Any) -> None:
        """Compile this module in place: later calls run its forward as captured graphs (see
        ``torch.compile``)."""
        from ..compile import compile_module_in_place

        compile_module_in_place(self, *args, **kwargs)

    # ---- modes and bulk changes -----------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode (dropout active) on this module and its descendants."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        """Set evaluation mode (dropout off)."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set requires_grad on every parameter."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    @_dispatch.replayed
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient (to None by default, as PyTorch); inside a compiled
        function, a call made again at each replay."""
        for p in self.parameters():
            if p._grad is None:
                continue
            if set_to_none:
                p._grad = None
            else:
                p._grad.zero_()

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call fn on every descendant, then on this module (e.g. custom initialisation)."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def _convert_floats(self, dt: Any) -> Module:
        target = to_dtype(dt).np_dtype
        with no_grad():
            for m in self.modules():
                for store in (m._parameters, m._buffers):
                    for t in store.values():
                        if t is not None and t._data.dtype.kind == "f" and t._data.dtype != target:
                            t._data = ops.cast(t._data, target)
                            if t._grad is not None:
                                t._grad._data = ops.cast(t._grad._data, target)
        return self

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Convert floating parameters and buffers to a dtype; 'cpu' is the only device."""
        dt = kwargs.pop("dtype", None)
        check_device(kwargs.pop("device", None))
        kwargs.pop("non_blocking", None)
        for a in args:
            if isinstance(a, Tensor):
                dt = a.dtype
            elif isinstance(a, str) or type(a).__name__ == "device":
                check_device(a)
            elif a is not None:
                dt = a
        return self if dt is None else self._convert_floats(dt)

    def double(self) -> Module:
        """Floating parameters and buffers to float64."""
        return self._convert_floats("float64")

    def float(self) -> Module:
        """Floating parameters and buffers to float32."""
        return self._convert_floats("float32")

    def cpu(self) -> Module:
        """This module (everything lives on the CPU)."""
        return self

    def cuda(self, device: Any = None) -> Module:
        """Refused: there is no GPU backend."""
        raise RuntimeError("duograd runs on the CPU only: there is no CUDA device")

    # ---- state dicts ----------------------------------------------------------------------------
    def state_dict(
        self, *args: Any, destination: Any = None, prefix: str = "", keep_vars: bool = False
    ) -> OrderedDict:
        """Parameters and persistent buffers by qualified name (tensors sharing memory)."""
        out = OrderedDict() if destination is None else destination
        for mprefix, m in self.named_modules(prefix=prefix.rstrip(".")):
            pre = f"{mprefix}." if mprefix else ""
            for name, p in m._parameters.items():
                if p is not None:
                    out[pre + name] = p if keep_vars else p.detach()
            for name, b in m._buffers.items():
                if b is not None and name not in m._non_persistent:
                    out[pre + name] = b if keep_vars else b.detach()
        return out

    def load_state_dict(
        self, state_dict: Any, strict: bool = True, assign: bool = False
    ) -> IncompatibleKeys:
        """Copy values into parameters and buffers; report (or with strict, refuse) key mismatches.

        Every entry is checked before anything is copied, so a failed load changes nothing.
        """
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        pairs = []
        for k, target in own.items():
            if k not in state_dict:
                continue
            src = state_dict[k]
            arr = src._data if isinstance(src, Tensor) else None
            if arr is None:
                try:
                    arr = np.asarray(src)
                except Exception:  # noqa: BLE001 - reported below with the key
                    errors.append(
                        f'While copying the parameter named "{k}", expected a tensor, '
                        f"got {type(src).__name__}"
                    )
                    continue
            if tuple(arr.shape) != tuple(target._data.shape):
                errors.append(
                    f"size mismatch for {k}: copying a param with shape {list(arr.shape)} from "
                    f"checkpoint, the shape in current model is {list(target._data.shape)}."
                )
                continue
            pairs.append((target, arr))
        if strict:
            if unexpected:
                keys = ", ".join(f'"{k}"' for k in unexpected)
                errors.insert(0, f"Unexpected key(s) in state_dict: {keys}. ")
            if missing:
                keys = ", ".join(f'"{k}"' for k in missing)
                errors.insert(0, f"Missing key(s) in state_dict: {keys}. ")
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(errors)
            )
        with no_grad():
            for target, arr in pairs:
                target.copy_(Tensor._make(arr))
        return IncompatibleKeys(missing, unexpected)

    # ---- printing -------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr (subclasses override)."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        lines = []
        extra = self.extra_repr()
        if extra:
            lines = extra.split("\n")
        for name, m in self._modules.items():
            lines.append(f"({name}): " + _indent(repr(m)))
        if not self._modules:
            return f"{self._get_name()}({extra})"
        body = "\n  ".join(lines)
        return f"{self._get_name()}(\n  {body}\n)"

    def __dir__(self) -> list:
        keys = set(super().__dir__())
        for store in ("_parameters", "_buffers", "_modules"):
            keys.update(self.__dict__.get(store, {}))
        return sorted(keys)


class _Handle:
    """A removable registration (forward hooks)."""

    _next = 0

    def __init__(self, store: OrderedDict, hook: Callable) -> None:
        _Handle._next += 1
        self.id = _Handle._next
        self.store = store
        store[self.id] = hook

    def remove(self) -> None:
        """Unregister the hook."""
        self.store.pop(self.id, None)
