"""Layer-wise relevance propagation with Captum's rules, assigned per module (`module.rule`).

As Captum's LRP: a plain forward pass records each rule layer's input; a second pass runs every
rule layer on that recorded input with the weights its rule asks for (GammaRule,
Alpha1_Beta0_Rule) and relevance crosses it by the shared rules of `core.attribution.rules`
(`times_input`, `over_output`; `through` for IdentityRule and for ReLU / Tanh / Dropout). Rule
layers: Linear, Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, BatchNorm2d (EpsilonRule unless
the module has a `rule`), and any leaf module given a `rule`. Leaf modules without parameters and
without a rule (Flatten) keep their plain gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ....core.attribution import rules as R
from ..nn.conv import AvgPool2d, BatchNorm2d, Conv2d, MaxPool2d
from ..nn.layers import Dropout, Linear, ReLU, Tanh
from ..nn.pooling import AdaptiveAvgPool2d
from ._backend import EagerBackend
from ._format import extra_tuple, inputs_tuple, target_arg, tensor, wrap
from ._gradient import Attribution

RULE_LAYERS = (Linear, Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, BatchNorm2d)
THROUGH_LAYERS = (ReLU, Tanh, Dropout)
_NO_RULE = object()


def leaf_layers(model: Any) -> list:
    """The model's modules without children (the model itself excluded), in order."""
    return [m for m in model.modules() if m is not model and not list(m.children())]


def layer_rules(name: str, model: Any) -> tuple[list, list]:
    """([(rule layer, rule)], [pass-through layers]) of the model, as Captum assigns them."""
    ruled, passing = [], []
    for m in leaf_layers(model):
        rule = getattr(m, "rule", _NO_RULE)
        if rule is not _NO_RULE and rule is not None:
            R.check_rule(name, type(m).__name__, rule)
            ruled.append((m, rule))
        elif isinstance(m, THROUGH_LAYERS):
            passing.append(m)
        elif isinstance(m, RULE_LAYERS):
            ruled.append((m, R.EpsilonRule()))
        elif list(m.parameters()) or rule is None:
            raise TypeError(
                f"{name}: no rule for the module {type(m).__name__}; give it one "
                "(module.rule = EpsilonRule() / GammaRule() / Alpha1_Beta0_Rule() / IdentityRule())"
            )
    return ruled, passing


class LrpBackend(EagerBackend):
    """Runs the plain pass and the relevance pass of LRP on the model's modules."""

    def __init__(self, forward_func: Any, name: str, model: Any) -> None:
        super().__init__(forward_func, name)
        self.model = model

    def forward_lrp(self, inputs, extra) -> tuple:
        """(the plain output, the relevance pass's output)."""
        ruled, passing = layer_rules(self.name, self.model)
        seen: dict = {}

        def record(module, args):
            if id(module) in seen:
                raise RuntimeError(
                    f"{self.name}: the module {type(module).__name__} runs more than once in the "
                    "model's forward; LRP needs each rule layer used once"
                )
            if len(args) != 1:
                raise TypeError(
                    f"{self.name}: the rule layer {type(module).__name__} must be called with one "
                    f"tensor, got {len(args)} arguments"
                )
            seen[id(module)] = args[0]._data

        handles = [m.register_forward_pre_hook(record) for m, _ in ruled]
        try:
            plain = self.forward(inputs, extra)
        finally:
            for h in handles:
                h.remove()
        saved = []
        handles = []
        try:
            for m, rule in ruled:
                for pname, p in m.named_parameters(recurse=False):
                    if pname == "weight":
                        saved.append((p, p._data))
                        p._data = np.ascontiguousarray(rule.weight(p._data))
                    elif pname == "bias" and rule.set_bias_to_zero:
                        saved.append((p, p._data))
                        p._data = np.zeros_like(p._data)
                handles.extend(self._relevance_hooks(m, rule, seen))
            for m in passing:
                handles.append(m.register_forward_hook(lambda mod, a, out: R.through(a[0], out)))
            return plain, self.forward(inputs, extra)
        finally:
            for h in handles:
                h.remove()
            for p, data in reversed(saved):
                p._data = data

    @staticmethod
    def _relevance_hooks(m: Any, rule: Any, seen: dict) -> list:
        if rule.identity:
            where = type(m).__name__
            return [m.register_forward_hook(
                lambda mod, a, out: R.identity_layer("LRP", where, a[0], out))]  # fmt: skip
        eps = rule.STABILITY_FACTOR
        return [
            m.register_forward_pre_hook(lambda mod, a: (R.times_input(a[0], seen[id(mod)]),)),
            m.register_forward_hook(lambda mod, a, out: R.over_output(out, eps)),
        ]


class LRP(Attribution):
    """Layer-wise relevance propagation with per-module rules (`module.rule = GammaRule()`)."""

    def __init__(self, model: Any) -> None:
        super().__init__(model)
        from ..nn.module import Module

        if not isinstance(model, Module):
            raise TypeError(f"LRP: the model must be a Module, got {type(model).__name__}")
        self.model = model
        for m in model.modules():
            R.check_rule("LRP", type(m).__name__, getattr(m, "rule", None))

    def has_convergence_delta(self) -> bool:
        """LRP reports a convergence delta (output minus the total relevance)."""
        return True

    @property
    def multiplies_by_inputs(self) -> bool:
        """Relevance is input times a (modified) gradient."""
        return True

    def attribute(
        self,
        inputs: Any,
        target: Any = None,
        additional_forward_args: Any = None,
        return_convergence_delta: bool = False,
        verbose: bool = False,
    ) -> Any:
        """Relevance of each input element for the target output (and the delta when asked)."""
        xs, is_tuple = inputs_tuple("LRP", inputs)
        be = LrpBackend(self.forward_func, "LRP", self.model)
        if verbose:
            for m, rule in layer_rules("LRP", self.model)[0]:
                print(f"Applied {rule} on layer {m}")
        res = R.lrp(be, xs, target_arg(target), extra_tuple(additional_forward_args),
                    return_convergence_delta)  # fmt: skip
        if return_convergence_delta:
            return wrap(res[0], is_tuple), tensor(res[1])
        return wrap(res, is_tuple)
