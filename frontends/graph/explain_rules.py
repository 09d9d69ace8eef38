"""Graph-style attribution with rewritten backward passes: guided backprop, deconvolution, LRP.

The model's graph is rebuilt from its input placeholders with the shared rules of
`core.attribution.rules` applied to its ops, as the eager classes apply them to modules:
every Relu op gets the rectified rule (guided / deconv); for LRP every Conv2D / MatMul op (with
the bias add that follows it, when there is one) and every MaxPool / AvgPool op is a rule layer,
and Relu / Tanh ops pass relevance through. Rules are given per layer output tensor.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ...core import ops
from ...core.attribution import rules as R
from ...core.attribution.layer import grad_cam as _grad_cam
from ...core.attribution.layer import upsample
from ...core.ir import GraphError, Value
from ...core.replay import replay
from .explain import GraphBackend, _extra, _inputs, _out

WEIGHTED_TYPES = ("Conv2D", "MatMul")
POOL_TYPES = ("MaxPool", "AvgPool")
BIAS_TYPES = ("Add", "AddV2", "BiasAdd")
THROUGH_TYPES = ("Relu", "Tanh")


class RuleBackend(GraphBackend):
    """A graph backend that can rebuild the model with rewritten backward rules."""

    def __init__(
        self, output: Value, inputs: Any, name: str, rules: Any = None, extra: Any = ()
    ) -> None:
        super().__init__(output, inputs, name, extra)
        self.rules = _rule_map(name, output, rules)

    def _all(self, inputs, extra) -> dict:
        # every input mapped (to itself too) so that the whole model is rebuilt
        m = {id(p): x for p, x in zip(self.inputs, inputs, strict=True)}
        m.update({id(p): a for p, a in zip(self.extra, extra, strict=True) if a is not p})
        return m

    def forward_rectified(self, inputs, extra, guided: bool) -> Any:
        """The output rebuilt with every Relu op given guided_relu / deconv_relu."""
        rule = R.guided_relu if guided else R.deconv_relu

        def rewrite(node, new):
            if node.attrs.get("type") != "Relu":
                return None
            return rule(new.node.inputs[0], new)

        return replay([self.output], self._all(inputs, extra), rewrite)[0]

    def forward_lrp(self, inputs, extra) -> tuple:
        """(the output, the output rebuilt as LRP's relevance pass)."""
        return self.forward(inputs, extra), _relevance_pass(self, self._all(inputs, extra))


def _rule_map(name: str, output: Value, rules: Any) -> dict:
    if rules is None:
        return {}
    items = rules.items() if isinstance(rules, dict) else rules
    out = {}
    for t, rule in items:
        if not isinstance(t, Value) or t.graph is not output.graph:
            raise TypeError(f"{name}: rules must map tensors of the model's graph, got {t!r}")
        R.check_rule(name, f"'{t.node.name}'", rule)
        out[id(t)] = (t, rule)
    return out


def _relevance_pass(be: RuleBackend, mapping: dict) -> Value:
    """The model's output rebuilt with LRP's rules (see the module docstring)."""
    output = be.output
    g = output.graph
    nodes = g.nodes[: output.node.index + 1]
    live = set(mapping)
    consumers: dict = defaultdict(list)
    for n in nodes:
        for i in n.inputs:
            consumers[id(i)].append(n)
        if any(id(i) in live for i in n.inputs):
            live.add(id(n.output))

    def bias_of(node):
        cs = consumers[id(node.output)]
        if len(cs) != 1 or cs[0].attrs.get("type") not in BIAS_TYPES or len(cs[0].inputs) != 2:
            return None
        other = [i for i in cs[0].inputs if i is not node.output]
        return cs[0] if len(other) == 1 and id(other[0]) not in live else None

    used: set = set()

    def rule_for(*tensors):
        for t in tensors:
            if t is not None and id(t) in be.rules:
                used.add(id(t))
                return be.rules[id(t)][1]
        return R.EpsilonRule()

    def finish(rule, layer_in, new, where):
        if rule.identity:
            return R.identity_layer(be.name, where, layer_in, new)
        return R.over_output(new, rule.STABILITY_FACTOR)

    memo: dict = dict(mapping)
    pending: dict = {}
    for node in nodes:
        out = node.output
        if id(out) in memo or not any(id(i) in memo for i in node.inputs):
            continue
        if node.kind != "op":
            raise GraphError(
                f"{be.name}: the model's graph holds the stateful node '{node.name}' "
                f"({node.kind}) between its inputs and its output; it cannot be re-evaluated"
            )
        typ = node.attrs.get("type")
        ins = [memo.get(id(i), i) for i in node.inputs]
        flows = [id(i) in live for i in node.inputs]
        if (typ in WEIGHTED_TYPES and sum(flows) == 1) or (typ in POOL_TYPES and flows[0]):
            k = flows.index(True)
            bias = bias_of(node) if typ in WEIGHTED_TYPES else None
            rule = rule_for(None if bias is None else bias.output, out)
            layer_in = ins[k]
            if not rule.identity:
                ins[k] = R.times_input(ins[k], node.inputs[k])
            if typ in WEIGHTED_TYPES:
                ins[1 - k] = rule.weight(ins[1 - k])
            new = g.apply(node.prim, ins, node.params)
            if bias is not None:
                pending[id(bias)] = (rule, layer_in, f"'{node.name}'")
            else:
                new = finish(rule, layer_in, new, f"'{node.name}'")
        elif id(node) in pending:
            rule, layer_in, where = pending.pop(id(node))
            if rule.set_bias_to_zero:
                j = flows.index(False)
                ins[j] = ops.fill_like(ins[j], 0.0)
            new = finish(rule, layer_in, g.apply(node.prim, ins, node.params), where)
        elif typ in THROUGH_TYPES and len(ins) == 1:
            new = R.through(ins[0], g.apply(node.prim, ins, node.params))
        else:
            new = g.apply(node.prim, ins, node.params)
        memo[id(out)] = new
    unused = [t.node.name for i, (t, _) in be.rules.items() if i not in used]
    if unused:
        raise ValueError(
            f"{be.name}: rules were given for {unused}, which are not the output of a rule "
            "layer (Conv2D / MatMul, their bias add, MaxPool / AvgPool) between the inputs and "
            "the output"
        )
    return memo[id(output)]


def guided_backprop(
    output: Value, inputs: Any, target: Any = None, additional_forward_args: Any = None
) -> Any:
    """Guided backpropagation: gradients with every Relu passing back only positive gradients
    where its input is positive."""
    xs, t = _inputs(inputs)
    ex = _extra(additional_forward_args)
    be = RuleBackend(output, xs, "guided_backprop", extra=ex)
    return _out(R.rectified_backprop(be, xs, target, ex, True), t)


def deconvolution(
    output: Value, inputs: Any, target: Any = None, additional_forward_args: Any = None
) -> Any:
    """Deconvolution: gradients with every Relu passing back the positive part of its gradient."""
    xs, t = _inputs(inputs)
    ex = _extra(additional_forward_args)
    be = RuleBackend(output, xs, "deconvolution", extra=ex)
    return _out(R.rectified_backprop(be, xs, target, ex, False), t)


def guided_grad_cam(
    output: Value,
    layer_tensor: Value,
    inputs: Any,
    target: Any = None,
    interpolate_mode: str = "nearest",
) -> Any:
    """Guided backpropagation times Grad-CAM (ReLU'd) at `layer_tensor`, upsampled to each input."""
    xs, t = _inputs(inputs)
    cam = _grad_cam(GraphBackend(output, (), "guided_grad_cam"), (), layer_tensor, target, (),
                    relu_attributions=True)  # fmt: skip
    gbp = R.rectified_backprop(RuleBackend(output, xs, "guided_grad_cam"), xs, target, (), True)
    res = []
    for x, gr in zip(xs, gbp, strict=True):
        if len(cam.shape) != len(x.shape):
            raise ValueError(
                f"guided_grad_cam: the Grad-CAM map of shape {tuple(cam.shape)} cannot be "
                f"resized to the input's shape {tuple(x.shape)}; give a convolutional layer"
            )
        size = tuple(int(d) for d in x.shape[2:])
        res.append(ops.mul(gr, upsample("guided_grad_cam", cam, size, interpolate_mode)))
    return _out(tuple(res), t)


def lrp(
    output: Value,
    inputs: Any,
    target: Any = None,
    rules: Any = None,
    return_convergence_delta: bool = False,
    additional_forward_args: Any = None,
) -> Any:
    """Layer-wise relevance propagation; `rules` maps layer output tensors (a Conv2D / MatMul
    op's output or its bias add's, a pooling op's output) to EpsilonRule / GammaRule /
    Alpha1_Beta0_Rule / IdentityRule (EpsilonRule elsewhere)."""
    xs, t = _inputs(inputs)
    ex = _extra(additional_forward_args)
    be = RuleBackend(output, xs, "lrp", rules, ex)
    res = R.lrp(be, xs, target, ex, return_convergence_delta)
    return (_out(res[0], t), res[1]) if return_convergence_delta else _out(res, t)


__all__ = ["deconvolution", "guided_backprop", "guided_grad_cam", "lrp"]
