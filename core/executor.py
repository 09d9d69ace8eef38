"""Compiles (fetches, feeds) of a graph into a plan once, then runs it many times.

Building a plan prunes the graph to the needed nodes, runs the optimisation passes the options
switch on (`core/passes`: constant folding, CSE, identity sums, elementwise fusion, matmul
epilogues; none changes a bit of any result), plans memory (dead buffers are released after
their last reader and recycled by later steps and later runs) and lowers the steps to one
generated Python function: no graph walking, no shape rules (except on nodes whose static shape
has unknown dims), no dict look-ups by name at run time. Stateful nodes return their writes;
the run commits them only when every step succeeded, so a run that fails leaves every variable
as it was. In verify mode each run also runs the plain plan and compares every node.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from .domain import DomainError
from .errors import fmt_shape
from .ir import Graph, Node, Value, name_called
from .passes import describe as _describe
from .passes.driver import optimize
from .passes.lower import FAST, MEASURE, RECORD, Meter, lower
from .passes.memory import plan_memory
from .passes.options import PLAIN, Options, resolve
from .passes.program import CONST, EFFECT, FEED, OP, VARIABLE, PNode
from .passes.verify import VerifyError, compare_runs
from .primitives.registry import FRESH
from .random import default_generator


class UninitializedError(RuntimeError):
    """A variable was read before it was given a value."""


class PlanError(RuntimeError):
    """A step of a plan failed; the message names the node."""


class RunGuard:
    """The commit lock of one state dict and the count of runs in flight on it.

    A plan whose last step is an effect that can update variables in place (see `lower`) does
    so only while holding the lock with no other run in flight: no other run can then see a
    variable half updated, and runs starting meanwhile wait for the lock.
    """

    __slots__ = ("lock", "runs")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.runs = 0


def _may_alias(p: PNode) -> bool:
    if p.kind != OP:
        return p.kind in (FEED, CONST, VARIABLE, EFFECT, "placeholder")
    # a fetched result that may be (a view of) an input is copied, so a caller writing into a
    # fetched array can never change a variable, a constant or a feed
    return p.prim.aliases(p.params) != FRESH


class Plan:
    """A compiled schedule for one (fetches, feeds) signature of one graph."""

    def __init__(
        self,
        graph: Graph,
        fetches: Sequence[Value],
        feeds: Sequence[Value],
        targets: Sequence[Node] = (),
        options: Options | dict | bool | None = None,
    ) -> None:
        self.graph = graph
        self.version = graph.version
        self.options = resolve(options)
        self.feeds = tuple(feeds)
        self._fetch_values = tuple(fetches)
        self._targets = tuple(targets)
        pg = optimize(graph, fetches, self.feeds, targets, self.options)
        self.program = pg
        self.nodes = pg.ir_nodes
        # placeholders the fetches need but nobody fed (the caller reports them before running)
        self.unfed = pg.unfed
        self.steps: list[PNode] = pg.nodes
        # only runs touching variables count as in flight for a RunGuard (see run)
        self._stateful = any(p.kind in (VARIABLE, EFFECT) for p in self.steps)
        self._index = {id(p): k for k, p in enumerate(self.steps)}
        seen: set[int] = set()
        copy = []
        for p in pg.fetches:
            # fetch copies: shared arrays, and the second fetch of one value
            copy.append(id(p) in seen or _may_alias(p))
            seen.add(id(p))
        self.memory = plan_memory(pg, self.steps, reuse=self.options.memory)
        ns, self.sources = lower(pg, self.steps, self.memory, copy, self.options.sum_fold)
        ns.update(_Staged=_StagedState, _unfed=self._unfed, _fail=self._fail, _check=self._check)
        self._checked = {
            int(k[1:]): v for k, v in ns.items() if k.startswith("S") and k[1:].isdigit()
        }
        self._ns = ns
        self._fast = None
        self._pools: list[dict] = []
        self._plain: Plan | None = None
        self._measure_next = True
        self.peak_bytes: int | None = None  # measured on the first run (and after measure())
        self.allocated_bytes: int | None = None  # the same run's buffers summed (none freed)
        self.runs = 0

    # ---- running ---------------------------------------------------------------------------
    def _variant(self, variant: str):
        # compiled on first use: most plans never record, many run once (e.g. initialisers)
        fn = self._ns.get(f"run_{variant}")
        if fn is None:
            code = compile(self.sources[variant], f"<duograd plan {variant}>", "exec")
            exec(code, self._ns)  # noqa: S102 - our own generated source
            fn = self._ns[f"run_{variant}"]
        return fn

    @property
    def _run_fast(self):
        return self._variant(FAST)

    @property
    def _run_measure(self):
        return self._variant(MEASURE)

    @property
    def _run_record(self):
        return self._variant(RECORD)

    def run(
        self,
        feed_values: Sequence[np.ndarray],
        state: dict,
        lock: threading.Lock | RunGuard | None = None,
    ) -> list:
        """Execute: returns the fetched arrays; commits state writes only on success."""
        if type(lock) is not RunGuard:
            return self._run(feed_values, state, lock, None)
        if not self._stateful:
            return self._run(feed_values, state, lock.lock, None)
        with lock.lock:
            lock.runs += 1
        try:
            return self._run(feed_values, state, lock.lock, lock)
        finally:
            with lock.lock:
                lock.runs -= 1

    def _run(self, feed_values, state: dict, lock, guard: RunGuard | None) -> list:
        if self.options.verify:
            return self._run_verified(feed_values, state, lock)
        pools = self._pools
        pool = pools.pop() if pools else ({} if self.options.memory else None)
        writes: dict = {}
        try:
            if self._measure_next:
                meter = Meter()
                out = self._run_measure(feed_values, state, writes, pool, meter, guard)
                self.peak_bytes, self.allocated_bytes = meter.peak, meter.total
                self._measure_next = False
            else:
                fast = self._fast
                if fast is None:
                    fast = self._fast = self._variant(FAST)
                out = fast(feed_values, state, writes, pool, None, guard)
        finally:
            if pool is not None:
                pools.append(pool)
        self.runs += 1
        if writes:
            if lock is not None:
                with lock:
                    state.update(writes)
            else:
                state.update(writes)
        return out

    def measure(self) -> None:
        """Measure the peak bytes of the next run again (e.g. after the feed shapes changed)."""
        self._measure_next = True

    @property
    def static_peak_bytes(self) -> int | None:
        """Peak bytes estimated at build time from static shapes (None when a dim is unknown)."""
        return self.memory.static_peak

    @property
    def static_total_bytes(self) -> int | None:
        """Bytes of all the plan's step allocations, as if none were freed (static shapes)."""
        return self.memory.static_total

    @property
    def pool_bytes(self) -> int:
        """Bytes of dead buffers the plan keeps for its next runs."""
        return sum(a.nbytes for pool in self._pools for lst in pool.values() for a in lst)

    def _plain_plan(self) -> Plan:
        if self._plain is None:
            self._plain = Plan(self.graph, self._fetch_values, self.feeds, self._targets, PLAIN)
        return self._plain

    def _run_verified(self, feed_values, state, lock) -> list:
        # one verified run at a time, each on one snapshot of the variables: the two plans must
        # see the same values and the same random stream even while other threads run
        with _VERIFY_LOCK:
            return self._verified(feed_values, dict(state), state, lock)

    def _verified(self, feed_values, snapshot, state, lock) -> list:
        plain = self._plain_plan()
        before = default_generator.get_state()
        plain_rec: dict = {}
        plain_writes: dict = {}
        plain_out = plain._run_record(feed_values, snapshot, plain_writes, None, plain_rec)
        after_plain = default_generator.get_state()
        default_generator.set_state(before)
        rec: dict = {}
        writes: dict = {}
        try:
            out = self._run_record(feed_values, snapshot, writes, None, rec)
        except Exception as e:
            raise VerifyError(
                f"verify: the optimised plan raised {type(e).__name__}: {e}, the plain plan did not"
            ) from e
        compare_runs(self, plain, rec, plain_rec, out, plain_out, writes, plain_writes,
                     default_generator.get_state(), after_plain)  # fmt: skip
        self.runs += 1
        if writes:
            if lock is not None:
                with lock:
                    state.update(writes)
            else:
                state.update(writes)
        return out

    # ---- helpers called by the generated code ---------------------------------------------------
    def _unfed(self, k: int) -> None:
        raise PlanError(
            f"placeholder '{self.steps[k].name}' must be fed: pass a value for it in feed_dict"
        )

    def _check(self, k: int, sig: tuple, args: tuple) -> None:
        # the rule runs once per new combination of run-time shapes (the dtypes are static), so
        # a training loop with a fixed batch size pays it once
        p = self.steps[k]
        p.prim.shape_rule(*args, **p.params)
        seen = self._checked[k]
        if len(seen) < _MAX_SHAPES:
            seen.add(sig)

    def _fail(self, e: BaseException, k: int) -> None:
        if k < 0 or isinstance(e, (UninitializedError, PlanError)):
            return
        p = self.steps[k]
        if p.node is not None and getattr(e, "_dg_node", None) is None:
            try:
                e._dg_node = p.node  # the graph node that failed, for a caller that recovers
            except Exception:  # noqa: BLE001 - an exception type without a __dict__
                pass
        if p.kind == VARIABLE and isinstance(e, KeyError):
            raise UninitializedError(
                f"attempting to use uninitialized variable '{p.name}': run its "
                "initializer (e.g. global_variables_initializer()) first"
            ) from None
        if not getattr(e, "_dg_named", False):
            try:
                first = e.args[0] if e.args else e
                if p.node is not None:
                    first = name_called(first, p.node)
                where = f"node '{p.name}'"
                if isinstance(e, DomainError) and p.inputs:
                    # a value out of the op's domain (the record's checks run on plain op steps
                    # only, never inside a fused group): say which input fed it
                    ins = ", ".join(f"'{i.name}' {fmt_shape(i.shape)}" for i in p.inputs)
                    where += f" on {ins}"
                e.args = (f"{first} (while running {where})",) + e.args[1:]
                e._dg_named = True
            except Exception:  # noqa: BLE001 - naming is best effort
                pass

    # ---- inspection ------------------------------------------------------------------------------
    def describe(self) -> str:
        """Text: the steps before and after the passes, the fused groups, memory figures."""
        return _describe.describe(self)

    def to_dot(self) -> str:
        """Graphviz DOT of the optimised steps, fused groups drawn as clusters."""
        return _describe.to_dot(self)

    def __str__(self) -> str:
        return self.describe()


_MAX_SHAPES = 16
_VERIFY_LOCK = threading.RLock()


class _StagedState:
    """State as a stateful node sees it: its own earlier writes in this run, else the committed.

    `guard` is set only for the last step of a plan run under a `RunGuard` (see `lower`): an
    effect may then update variables in place, under `guard.lock` while `guard.runs` is 1.
    """

    __slots__ = ("base", "writes", "guard")

    def __init__(self, base: dict, writes: dict, guard: RunGuard | None = None) -> None:
        self.base = base
        self.writes = writes
        self.guard = guard

    def __getitem__(self, key):
        if key in self.writes:
            return self.writes[key]
        try:
            return self.base[key]
        except KeyError:
            raise UninitializedError(
                f"attempting to use uninitialized variable {key!r}: run its initializer first"
            ) from None

    def __contains__(self, key) -> bool:
        return key in self.writes or key in self.base
