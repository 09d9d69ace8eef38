"""The autograd tape: recorded nodes, leaf accumulators, version counters and the backward engine.

Every operation on a tensor that requires grad records one `Node` (primitive, params, the input
and output arrays the VJP rule needs, identity keys). `run_backward` collects the nodes reachable
from the outputs, orders them by creation and hands them to `core.autodiff.reverse_sweep`, the
same sweep the graph frontend runs, so the two styles compute gradients with the same rules in
the same order.
"""

from __future__ import annotations

import itertools
import operator
import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np

from ...core import ops
from ...core.autodiff import DROP_SAVED, reverse_sweep

# read on every operation: no module __getattr__ guard here (see namespaces._guard_module)
__dg_hot__ = True

_seq = itertools.count()


class VersionCounter:
    """How many in-place changes a tensor's memory has seen (views share their base's counter)."""

    __slots__ = ("v",)

    def __init__(self) -> None:
        self.v = 0


class AccumulateGrad:
    """The key of a leaf tensor that requires grad: its cotangent lands in ``leaf.grad``."""

    __slots__ = ("variable", "post_hooks", "pre_hooks", "__weakref__")

    def __init__(self, variable: Any) -> None:
        self.variable = variable
        self.post_hooks: dict | None = None  # register_post_accumulate_grad_hook's hooks
        self.pre_hooks: dict | None = None  # register_hook's hooks (see hooks.py)

    def name(self) -> str:
        """PyTorch's name for the leaf accumulator."""
        return "torch::autograd::AccumulateGrad"

    @property
    def next_functions(self) -> tuple:
        """Leaves have no inputs."""
        return ()

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"


# Arrays at least this large that a node's VJP never reads by value are replaced on the tape by
# a zero-memory stand-in of the same shape and dtype, so the tape holds only what backward needs
# (a ReLU keeps its output, not the pre-activation; an add keeps neither operand).
STUB_MIN = 256
_STUBS: dict[tuple, np.ndarray] = {}


def shape_stub(a: np.ndarray) -> np.ndarray:
    """A read-only array of a's shape and dtype that owns no memory (one per shape and dtype)."""
    key = (a.shape, a.dtype)
    s = _STUBS.get(key)
    if s is None:
        if len(_STUBS) > 4096:  # many shapes (a growing sequence): start over rather than grow
            _STUBS.clear()
        s = _STUBS[key] = np.broadcast_to(np.zeros((), a.dtype), a.shape)
    return s


def unread_dropped(arrays: tuple, out: Any, idx: Any, with_out: bool) -> tuple[tuple, Any]:
    """(inputs, output) to keep on a node whose VJP reads operands `idx` (and the output when
    `with_out`): the other large arrays become shape stand-ins, so their memory can go."""
    ndarray, small = np.ndarray, STUB_MIN
    ins = tuple(
        shape_stub(a) if i not in idx and type(a) is ndarray and a.size >= small else a
        for i, a in enumerate(arrays)
    )
    if not with_out and type(out) is ndarray and out.size >= small:
        out = shape_stub(out)
    return ins, out


_NAMES: dict[str, str] = {}


def backward_name(prim_name: str) -> str:
    """A PyTorch-style node name from the primitive's: 'log_softmax' -> 'LogSoftmaxBackward0'."""
    n = _NAMES.get(prim_name)
    if n is None:
        n = "".join(p.capitalize() for p in prim_name.split("_")) + "Backward0"
        _NAMES[prim_name] = n
    return n


class Node:
    """One recorded operation; also the node interface `reverse_sweep` walks (its own key)."""

    __slots__ = (
        "prim", "params", "inputs", "output", "input_keys", "seq", "saved", "retained", "freed",
        "__weakref__",
    )  # fmt: skip

    def __init__(self, prim, params, inputs, output, input_keys, saved) -> None:
        self.prim = prim
        self.params = params
        self.inputs = inputs
        self.output = output
        self.input_keys = input_keys
        self.seq = next(_seq)
        self.saved = saved  # ((counter, version, operand index or -1 for the output), ...)
        self.retained = None  # weakref to the output tensor when it retains its grad
        self.freed = False

    @property
    def output_key(self) -> Node:
        """A node is the key of the value it produced."""
        return self

    def name(self) -> str:
        """The node's name, e.g. 'MulBackward0'."""
        if self.prim.impl is None:  # a user-defined autograd.Function, a compiled segment
            return getattr(self.prim, "node_name", None) or self.prim.name + "Backward"
        return backward_name(self.prim.name)

    @property
    def next_functions(self) -> tuple:
        """(key, 0) for each operand: the node or leaf accumulator the gradient flows to."""
        return tuple((k, 0) for k in self.input_keys)

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"


def _describe(arr: Any) -> str:
    from .dtype import from_np

    shape = list(getattr(arr, "shape", ()))
    try:
        dt = from_np(np.dtype(arr.dtype)).name
    except (KeyError, AttributeError):
        dt = "tensor"
    return f"[{dt} tensor of shape {shape}]"


_FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed): the graph through '{name}' was freed by an earlier "
    "backward() or autograd.grad(). Specify retain_graph=True in the first call if you need to "
    "backward through the graph a second time."
)


_by_seq = operator.attrgetter("seq")


def collect(root_keys: Sequence[Any]) -> tuple[list[Node], list[AccumulateGrad]]:
    """The nodes reachable from `root_keys` (in creation order) and the leaf keys they reach."""
    seen: set = set()
    nodes: list[Node] = []
    leaves: dict[int, AccumulateGrad] = {}
    stack = []
    node_t = Node
    for k in root_keys:
        if type(k) is node_t:
            stack.append(k)
        elif type(k) is AccumulateGrad:
            leaves[id(k)] = k
    push, pop, see, take = stack.append, stack.pop, seen.add, nodes.append
    while stack:
        n = pop()
        if n in seen:
            continue
        see(n)
        if n.freed:
            raise RuntimeError(_FREED_MSG.format(name=n.name()))
        take(n)
        for k in n.input_keys:
            if type(k) is node_t:
                if k not in seen:
                    push(k)
            elif k is not None:
                leaves[id(k)] = k
    nodes.sort(key=_by_seq)
    return nodes, list(leaves.values())


def check_versions(nodes: Sequence[Node]) -> None:
    """Raise if a value a node's VJP reads was changed in place after the node recorded it."""
    for n in nodes:
        for counter, version, idx in n.saved:
            if counter.v != version:
                what = "output 0" if idx < 0 else f"input {idx}"
                arr = n.output if idx < 0 else n.inputs[idx]
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: {_describe(arr)}, which is {what} of {n.name()}, is "
                    f"at version {counter.v}; expected version {version} instead. Hint: make a "
                    "copy (clone()) before changing it in place, or change it out of place."
                )


def free(nodes: Sequence[Node]) -> None:
    """Drop the arrays the nodes saved (retain_graph=False), so a second backward is refused."""
    for n in nodes:
        release(n)


def release(n: Node) -> None:
    """Drop the arrays one node saved (its VJP has run; a later backward is refused)."""
    n.freed = True
    n.inputs = ()
    n.output = None


# the tag a primitive without an impl carries when its VJP's results are fresh arrays no one
# else holds (see saved_ids)
FRESH_GRADS = "fresh_grads"


def saved_ids(nodes: Sequence[Node]) -> set | None:
    """Ids of the arrays the nodes saved, or None when a custom Function's node is among them."""
    held = set()
    for n in nodes:
        # a compiled segment's VJP returns what its gradient plan fetched, which the plan makes
        # fresh (a fetch that may alias a feed or a constant is copied): it may be taken as is
        if n.prim.impl is None and not n.prim.tags.get(FRESH_GRADS):
            return None
        held.add(id(n.output))
        for a in n.inputs:
            held.add(id(a))
    return held


def run_backward(
    roots: Sequence[tuple[Any, np.ndarray]],
    wanted: Sequence[Any] | None,
    retain_graph: bool,
    owned: set | None = None,
) -> tuple[dict, list[AccumulateGrad], list[Node]]:
    """Sweep from (root key, seed) pairs; return (cotangents, leaf keys reached, nodes swept).

    With `wanted` None the wanted keys are every leaf reached plus every retained non-leaf
    (``backward()``); otherwise exactly those keys (``autograd.grad``). A set passed as `owned`
    receives the ids of the cotangents only the sweep holds (see `owned_cotangents`).
    """
    nodes, leaves = collect([k for k, _ in roots])
    check_versions(nodes)
    keep = [n for n in nodes if n.retained is not None] if _retaining else ()
    keys = list(leaves) if wanted is None else list(wanted)
    # what the nodes saved, read before the sweep drops it node by node
    held = saved_ids(nodes) if owned is not None else None
    swept = False
    try:
        # the tape's nodes are their own keys; for backward() every leaf reached is wanted,
        # and every node collected leads to one, so nothing needs a liveness check. Without
        # retain_graph each node's saved arrays go as soon as its VJP has run.
        cts = reverse_sweep(
            nodes,
            roots,
            keys,
            keep,
            self_keyed=True,
            all_live=wanted is None,
            release=None if retain_graph else DROP_SAVED,
        )
        swept = True  # the sweep dropped what every node saved, one after the other
        if not retain_graph:
            for n in nodes:
                n.freed = True
        if owned is not None:
            owned.update(owned_cotangents(cts, roots, held))
    finally:
        if not retain_graph and not swept:
            free(nodes)  # the sweep stopped early: drop what the nodes it had not reached saved
    return cts, leaves, nodes


def owned_cotangents(cts: dict, roots: Sequence[tuple[Any, Any]], held: set | None) -> set:
    """Ids of the cotangents only this sweep holds: handed to one key, not a seed (the caller
    may hold it), not an array the tape saved (`held`, from `saved_ids`: a forward tensor holds
    it), and made by core rules only (`held` None: a custom Function's backward may return an
    array its caller keeps)."""
    if held is None:
        return set()
    held = held | {id(seed) for _, seed in roots}
    count: dict[int, int] = {}
    for g in cts.values():
        count[id(g)] = count.get(id(g), 0) + 1
    return {k for k, c in count.items() if c == 1 and k not in held}


def accumulate_into(t: Any, g: np.ndarray, owned: bool = False) -> None:
    """Add a cotangent into ``t.grad`` (a fresh, unaliased array the first time).

    The sweep may hand one array to two keys, and a seed or a custom Function's result may be
    held by the caller, so the cotangent is copied, unless the sweep owns it (`owned`, see
    `owned_cotangents`): then it is taken as is (as PyTorch's AccumulateGrad steals a gradient
    it alone holds), saving a pass over every parameter's gradient per step. It must also own
    its memory and be exactly what the copy would have made.
    """
    Tensor = _tensor_class()
    dt = t._data.dtype
    if not (
        owned
        and type(g) is np.ndarray
        and g.base is None
        and g.dtype == dt
        and g.flags.c_contiguous
        and g.flags.writeable
    ):
        g = np.array(g, dtype=dt, copy=True)
    cur = t._grad
    if cur is None:
        t._grad = Tensor._make(g)
        return
    total = ops.add(cur._data, g)
    if cur._data.shape == total.shape and cur._data.flags.writeable:
        cur._data[...] = total  # in place, as PyTorch: a held reference to .grad sees it
        if cur._vc is not None:
            cur._vc.v += 1
    else:
        t._grad = Tensor._make(np.array(total, copy=True))


class HookHandle:
    """What registering a hook returns: ``remove()`` unregisters it."""

    _ids = itertools.count()

    def __init__(self, hooks: dict, hook: Any) -> None:
        self.hooks = hooks
        self.id = next(HookHandle._ids)
        hooks[self.id] = hook

    def remove(self) -> None:
        """Unregister the hook (a second call does nothing)."""
        self.hooks.pop(self.id, None)


def add_post_hook(acc: AccumulateGrad, hook: Any) -> HookHandle:
    """Call ``hook(tensor)`` each time backward() has accumulated into the leaf's ``.grad``."""
    if acc.post_hooks is None:
        acc.post_hooks = {}
    return HookHandle(acc.post_hooks, hook)


def run_post_hooks(acc: AccumulateGrad) -> None:
    """Run a leaf's post-accumulate-grad hooks, in registration order."""
    for hook in list(acc.post_hooks.values()):
        hook(acc.variable)


_classes: list = []


def _tensor_class() -> type:
    # imported on first use (tensor.py imports this module); a function-level import would
    # cost ~0.5 us on every call
    if not _classes:
        from .tensor import Tensor

        _classes.append(Tensor)
    return _classes[0]


def retain(node: Node, t: Any) -> None:
    """Mark the node's output tensor as keeping its gradient."""
    global _retaining
    _retaining = True  # from now on run_backward looks for retained nodes
    node.retained = weakref.ref(t)


# False until some tensor ever calls retain_grad(): until then no node can be retained, and
# run_backward skips looking for them
_retaining = False
