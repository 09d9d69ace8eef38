"""The primitive record and the single dispatch point `bind`: the table of contents of the system.

A primitive is declared once, with ``register(Primitive(...))``, and every part of the system
asks the record, never a list of names:

======================  =====================================================================
field                   read by
======================  =====================================================================
impl, shape_rule        `bind` (both frontends), the executor, verify mode
vjp, nondiff            `core.autodiff` (the one reverse sweep of the tape and tf.gradients)
cotangent_at            `core.autodiff`: sum slices' cotangents with one scatter_sum
saves                   the eager tape: what the VJP reads by value (derived from the rule by
                        `core.saved`; declared only for a rule that cannot be traced)
reference               the op-table tests (tests/op_table*.py)
alias                   executor (copy a fetched view), memory planner, eager views
random                  passes.program/fold/cse (never folded, merged or reordered)
stateful                the same, for effects other than random draws (collectives)
elementwise, template,  passes.fuse (the scalar op a fused group computes and whether it is
scalar, cost            worth computing twice), fold, memory; `template` declares a new
                        scalar op and derives the kernels from it
broadcast               passes.fuse / fold (read the small operand in its place)
shape_only              passes.fold, `core.saved` (operands read for their shape only)
shape_from,             graph builder under unknown rank (`StaticShape.unknown_rank`),
rank_from_params, dims  passes.sum_fold (symbolic dims)
fast, fast_params       `bind` and eager dispatch: cached rule verdict + kernel choice
checks                  `bind`, eager dispatch, graph build (`ir.Graph.apply`, on what is known)
                        and every graph run (`passes.lower`): the domain checks of the values
tags                    free-form notes; the older tag spellings of the facts above still work
======================  =====================================================================

`bind` decides what happens to a call: when an operand is symbolic (it defines
``__dg_bind__``, e.g. a graph IR value) the operand's hook builds a node; otherwise the shape
rule validates the concrete arrays and the kernel runs now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Shape = tuple  # entries are int, or None for a dimension unknown until run time

# what a primitive's output may share memory with (`Primitive.alias`)
FRESH = "fresh"  # always a new array
VIEW = "view"  # may be a view of operand 0 (no new memory)
MAY_ALIAS = "may_alias"  # may be operand 0 itself or a view of it, or a new array


class StaticShape(tuple):
    """A static shape that may be of unknown rank (then its entries mean nothing).

    A frontend's shape type subclasses it (the graph frontend's TensorShape) and sets
    ``unknown_rank`` per instance; core code asks `is_unknown_rank`.
    """

    unknown_rank: bool = False


def is_unknown_rank(shape: Any) -> bool:
    """True when `shape` is a static shape of unknown rank."""
    return isinstance(shape, StaticShape) and shape.unknown_rank


def reduction_alias(params: dict) -> str:
    """The alias of a reduction: a reduction over no axes may hand back its operand."""
    return MAY_ALIAS if params.get("axes", None) == () else FRESH


@dataclass(frozen=True)
class AVal:
    """The abstract value a shape rule returns: a static shape (None = unknown) and a dtype."""

    shape: Shape
    dtype: np.dtype

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return len(self.shape)


@dataclass(eq=False)
class Primitive:
    """One operation of the core: kernel, shape rule, VJP rule and numpy reference, side by side."""

    name: str
    impl: Callable[..., np.ndarray]
    shape_rule: Callable[..., AVal]
    vjp: Callable[..., tuple] | None = None
    reference: Callable[..., np.ndarray] | None = None
    # indices of operands that never carry a gradient (labels, conditions, shape references)
    nondiff: tuple[int, ...] = ()
    # the user-facing op whose backward this primitive is, when it has no rule of its own: a
    # gradient of a gradient that would flow through it raises (core.autodiff.no_higher_order)
    # instead of treating it as a constant
    derivative_of: str | None = None
    # True when the operand list is variadic (concat, stack)
    variadic: bool = False
    # the scalar op name when the primitive is elementwise (lets a fusion pass find it)
    elementwise: str | None = None
    tags: dict[str, Any] = field(default_factory=dict)
    # ``fast(*arrays)``: what shape_rule + impl do for a call without params on exact ndarrays,
    # the rule's verdict and the kernel choice cached per operand shapes and dtypes (elementwise
    # primitives; see kernels.elementwise.dispatcher). Only valid when the rule reads nothing
    # but the operands' shapes and dtypes.
    fast: Callable[..., np.ndarray] | None = None
    # ``fast_params(*arrays, **params)``: the same for calls with params on exact ndarrays (the
    # rule's verdict and the kernel's plan cached per operand layout and params; see
    # linalg.matmul_fast, reduction._fast). Only valid when the rule reads nothing but the
    # operands' shapes and dtypes and the (hashable) params.
    fast_params: Callable[..., np.ndarray] | None = None

    # ---- memory: FRESH, VIEW or MAY_ALIAS, or a function of the params returning one
    alias: str | Callable[[dict], str] = FRESH
    # ---- effects: draws from the shared random stream (runs every time, in program order)
    random: bool = False
    # ---- effects other than random draws (collectives): run every time, in program order
    stateful: bool = False
    # ---- fusion: the scalar op of a call, when it differs from `elementwise` (e.g. cast picks
    # "cast_<dtype>"); ``scalar(in_dtypes, out_dtype) -> (name, "") or (None, why not)``
    scalar: Callable[[list, np.dtype], tuple[str | None, str]] | None = None
    # a broadcast: fusion reads its (small) operand in place of it; folding keeps it a view
    broadcast: bool = False
    # ---- operands read for their shape and dtype only (static shape -> a constant for folding)
    shape_only: tuple[int, ...] = ()
    # ---- shapes: the output's shape is the shape of this operand (e.g. sum_like's `like`)
    shape_from: int | None = None
    # the output's rank follows from the params alone (reshape, random draws)
    rank_from_params: bool = False
    # symbolic dims ``dims(operand_dims, params, out_shape, broadcast) -> dims`` (see sum_fold)
    dims: Callable[..., tuple] | None = None
    # a new scalar op's template (a kernels.elementwise_ops.ScalarOp, cost included): `register`
    # adds it to the scalar op table under `elementwise` and, when `impl` is None, makes the
    # kernel and the cached dispatch from it
    template: Any = None
    # ---- what the VJP reads by value: (operand indexes, reads the output); None = derive it
    # once from the rule (see `saves_of`)
    saves: tuple[tuple[int, ...], bool] | None = None
    # ---- sparse cotangents: ``cotangent_at(params) -> index`` when operand 0's cotangent is
    # the output's cotangent placed at that index of zeros (getitem); the reverse sweep then sums
    # many of them with one scatter instead of one zero-filled array each
    cotangent_at: Callable[[dict], Any] | None = None
    # ---- the VJP is a rewritten backward pass on purpose, not the derivative (guided
    # backpropagation's rectified gradient): finite differences do not apply; the op table
    # checks it by its own test instead
    vjp_rewritten: bool = False
    # ---- domain: ``check(*operands, **params)`` callables (see core/domain.py) that raise a
    # named error for values outside the op's domain (indices, steps); run before the shape
    # rule on every call of either style, and at graph build on what is known then. A
    # primitive with checks has no `fast` / `fast_params` (they would skip them).
    checks: tuple[Callable[..., None], ...] = ()

    def __post_init__(self) -> None:
        # the older spelling of some facts as tags stays valid
        t = self.tags
        if t.get("may_alias") and self.alias == FRESH:
            self.alias = MAY_ALIAS
        if t.get("random"):
            self.random = True
        if t.get("stateful"):
            self.stateful = True
        if "shape_only" in t and not self.shape_only:
            self.shape_only = tuple(t["shape_only"])
        if t.get("rank_from_params"):
            self.rank_from_params = True
        if t.get("rank_from_operand") is not None and self.shape_from is None:
            self.shape_from = t["rank_from_operand"]
        if self.elementwise and self.dims is None:
            self.dims = broadcast_dims

    def aliases(self, params: dict) -> str:
        """FRESH, VIEW or MAY_ALIAS for a call with these params."""
        a = self.alias
        return a(params) if callable(a) else a

    def scalar_op(self, in_dtypes: list, out_dtype: np.dtype) -> tuple[str | None, str]:
        """(the scalar op a fused kernel computes for this call, "") or (None, why not)."""
        if self.scalar is not None:
            return self.scalar(in_dtypes, out_dtype)
        if self.elementwise is None:
            return None, "not elementwise"
        return self.elementwise, ""

    @property
    def cost(self) -> int:
        """Rough cost per element of the scalar op in adds (1 when not elementwise)."""
        from ..kernels.elementwise_ops import OPS

        op = OPS.get(self.elementwise or "")
        return op.cost if op is not None else 1

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"


def broadcast_dims(ins: list, params: dict, shape: tuple, broadcast: Callable) -> tuple:
    """Symbolic dims of an elementwise op: the broadcast of its operands'."""
    return broadcast(ins, shape)


def same_dims(ins: list, params: dict, shape: tuple, broadcast: Callable) -> tuple:
    """Symbolic dims of an op whose output has operand 0's shape."""
    return ins[0] if len(ins[0]) == len(shape) else None


REGISTRY: dict[str, Primitive] = {}


def register(prim: Primitive) -> Primitive:
    """Add a primitive to the table (names are unique)."""
    if prim.name in REGISTRY:
        raise ValueError(f"primitive {prim.name!r} is declared twice")
    if prim.template is not None:
        _adopt_template(prim)
    if prim.checks and (prim.fast is not None or prim.fast_params is not None):
        raise ValueError(
            f"primitive {prim.name!r}: declares checks and a cached dispatch (fast/fast_params) "
            "that would skip them; drop one"
        )
    REGISTRY[prim.name] = prim
    return prim


def _adopt_template(prim: Primitive) -> None:
    """Enter a declared scalar template in the scalar op table; derive the kernel from it."""
    from ..kernels import elementwise as K
    from ..kernels.elementwise_ops import OPS

    op = prim.elementwise = prim.elementwise or prim.name
    if op in OPS and OPS[op] != prim.template:
        raise ValueError(f"primitive {prim.name!r}: scalar op {op!r} is already declared")
    OPS[op] = prim.template
    if prim.dims is None:
        prim.dims = broadcast_dims
    arity = prim.template.arity
    if prim.impl is None:
        kernel = K.unary if arity == 1 else K.binary
        prim.impl = lambda *xs: kernel(op, *xs)
    if prim.fast is None and arity in (1, 2):
        prim.fast = K.dispatcher(op, arity, prim.shape_rule)


_ndarray = np.ndarray


def bind(prim: Primitive, *args: Any, **params: Any) -> Any:
    """Apply `prim`: build a node for a symbolic operand, else check shapes and run the kernel."""
    plain = True
    for a in args:
        if type(a) is not _ndarray:
            hook = getattr(type(a), "__dg_bind__", None)
            if hook is not None:
                return hook(a, prim, args, params)
            plain = False
    if plain:
        if not params:
            fast = prim.fast
            if fast is not None:
                return fast(*args)
        else:
            fast = prim.fast_params
            if fast is not None:
                try:
                    return fast(*args, **params)
                except TypeError:  # a bad call (say, a missing param): the rule reports it
                    pass
    if prim.checks:
        for check in prim.checks:
            check(*args, **params)
    prim.shape_rule(*args, **params)
    return prim.impl(*args, **params)


def is_symbolic(x: Any) -> bool:
    """True when `x` is a symbolic value (it builds nodes instead of holding numbers)."""
    return getattr(type(x), "__dg_bind__", None) is not None
