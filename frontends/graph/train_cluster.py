"""`tf.train.Server`, `SyncReplicasOptimizer` and `ProfilerHook`.

One process is the whole cluster here: a Server of a one-task cluster (or
`Server.create_local_server()`) gives a `target` that `tf.Session(target)` and
`MonitoredTrainingSession(master=...)` accept, and runs in this process. Sharing variables between
processes (parameter servers, between-graph replication) is not provided: a cluster of several
tasks raises NotImplementedError pointing at the MPI data-parallel support (README "Training on
several processes or machines": `duograd.frontends.graph.horovod`).
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from typing import Any

from .cluster import ClusterDef, ClusterSpec
from .hooks import SecondOrStepTimer, _need_global_step
from .monitored import SessionRunArgs, SessionRunHook
from .optimizers import Optimizer

_SEVERAL = (
    "duograd runs a TF1 program in one process and does not share variables between processes; "
    "for data-parallel training on several processes use the MPI support (README 'Training on "
    "several processes or machines': duograd.frontends.graph.horovod, DistributedOptimizer)"
)


class ServerDef:
    """What a Server was built from (TF's ServerDef fields)."""

    def __init__(self, cluster: ClusterDef, job_name: str, task_index: int, protocol: str) -> None:
        self.cluster, self.job_name, self.task_index = cluster, job_name, task_index
        self.protocol = protocol


class Server:
    """An in-process server of a one-task cluster; `target` is accepted by tf.Session."""

    def __init__(
        self,
        server_or_cluster_def: Any,
        job_name: str | None = None,
        task_index: int | None = None,
        protocol: str | None = None,
        config: Any = None,
        start: bool = True,
    ) -> None:
        if isinstance(server_or_cluster_def, ServerDef):
            d = server_or_cluster_def
            spec = ClusterSpec(d.cluster)
            job_name = d.job_name if job_name is None else job_name
            task_index = d.task_index if task_index is None else task_index
            protocol = protocol or d.protocol
        else:
            spec = ClusterSpec(server_or_cluster_def)
        jobs = spec.jobs
        if not jobs:
            raise ValueError("tf.train.Server: the cluster has no jobs")
        if job_name is None:
            if len(jobs) > 1:
                raise ValueError(f"tf.train.Server: job_name must be one of {jobs}")
            job_name = jobs[0]
        if job_name not in jobs:
            raise ValueError(f"tf.train.Server: job_name {job_name!r} is not in the cluster {jobs}")
        indices = spec.task_indices(job_name)
        task_index = indices[0] if task_index is None and len(indices) == 1 else task_index
        if task_index not in indices:
            raise ValueError(
                f"tf.train.Server: task_index {task_index!r} is not a task of job {job_name!r} "
                f"(tasks {indices})"
            )
        tasks = sum(spec.num_tasks(j) for j in jobs)
        if tasks > 1:
            raise NotImplementedError(
                f"tf.train.Server: a cluster of {tasks} tasks ({spec.as_dict()}) is not provided. "
                + _SEVERAL
            )
        self._protocol = protocol or "grpc"
        self._def = ServerDef(spec.as_cluster_def(), job_name, int(task_index), self._protocol)
        self._address = spec.task_address(job_name, task_index)
        self._started = False
        self._stopped = threading.Event()
        if start:
            self.start()

    @property
    def target(self) -> str:
        """The session target, e.g. 'grpc://localhost:2222' (pass it to tf.Session)."""
        return f"{self._protocol}://{self._address}"

    @property
    def server_def(self) -> ServerDef:
        """The ServerDef this server was built from."""
        return self._def

    def start(self) -> None:
        """Start serving (in process: marks the server started)."""
        self._started = True

    def join(self) -> None:
        """Block until the server shuts down (as TF, for ever: a one-task cluster has no peers)."""
        self._stopped.wait()

    @staticmethod
    def create_local_server(config: Any = None, start: bool = True) -> Server:
        """A one-task server on a free local port."""
        with socket.socket() as s:
            s.bind(("localhost", 0))
            port = s.getsockname()[1]
        return Server({"localhost": [f"localhost:{port}"]}, protocol="grpc", config=config,
                      start=start)  # fmt: skip


class _NoTokensQueueRunner:
    """The chief queue runner of one replica: there are no tokens to hand out."""

    def create_threads(self, sess: Any, coord: Any = None, daemon: bool = False,
                       start: bool = False) -> list:  # fmt: skip
        """No threads are needed."""
        return []


class _SyncReplicasHook(SessionRunHook):
    """The hook `make_session_run_hook` returns (one replica: nothing to synchronise)."""

    def __init__(self, opt: SyncReplicasOptimizer, is_chief: bool) -> None:
        self._opt, self._is_chief = opt, is_chief

    def begin(self) -> None:
        """Check apply_gradients was called (as TF)."""
        if not self._opt._applied:
            raise ValueError(
                "SyncReplicasOptimizer.apply_gradients should be called before using the hook."
            )


class SyncReplicasOptimizer(Optimizer):
    """Aggregates gradients of `replicas_to_aggregate` replicas, then applies `opt`'s update."""

    def __init__(
        self,
        opt: Optimizer,
        replicas_to_aggregate: int,
        total_num_replicas: int | None = None,
        variable_averages: Any = None,
        variables_to_average: Any = None,
        use_locking: bool = False,
        name: str = "sync_replicas",
    ) -> None:
        if not isinstance(opt, Optimizer):
            raise TypeError(f"SyncReplicasOptimizer: opt must be a tf.train Optimizer, got {opt!r}")
        total = replicas_to_aggregate if total_num_replicas is None else total_num_replicas
        if replicas_to_aggregate != 1 or total != 1:
            raise NotImplementedError(
                f"SyncReplicasOptimizer(replicas_to_aggregate={replicas_to_aggregate}, "
                f"total_num_replicas={total}): only one replica is provided. " + _SEVERAL
            )
        if variable_averages is not None:
            raise NotImplementedError(
                "SyncReplicasOptimizer(variable_averages=...) is not provided; apply a "
                "tf.train.ExponentialMovingAverage after the training op instead"
            )
        super().__init__(use_locking, name)
        self._opt = opt
        self._replicas_to_aggregate, self._total_num_replicas = replicas_to_aggregate, total
        self._applied = False

    def compute_gradients(self, *args: Any, **kwargs: Any) -> list:
        """The wrapped optimizer's gradients."""
        return self._opt.compute_gradients(*args, **kwargs)

    def apply_gradients(self, grads_and_vars: Any, global_step: Any = None,
                        name: str | None = None) -> Any:  # fmt: skip
        """The wrapped optimizer's update (one replica: every step is already aggregated)."""
        op = self._opt.apply_gradients(grads_and_vars, global_step=global_step, name=name)
        self._applied = True
        return op

    def get_slot(self, *args: Any, **kwargs: Any) -> Any:
        """The wrapped optimizer's slot."""
        return self._opt.get_slot(*args, **kwargs)

    def get_slot_names(self, *args: Any, **kwargs: Any) -> list:
        """The wrapped optimizer's slot names."""
        return self._opt.get_slot_names(*args, **kwargs)

    def variables(self) -> list:
        """The wrapped optimizer's variables."""
        return self._opt.variables()

    def get_chief_queue_runner(self) -> _NoTokensQueueRunner:
        """The chief's token queue runner (one replica: one with no threads)."""
        if not self._applied:
            raise ValueError("Should be called after apply_gradients().")
        return _NoTokensQueueRunner()

    def get_init_tokens_op(self, num_tokens: int = -1) -> Any:
        """The op filling the token queue (one replica: a no-op)."""
        from .control_flow import no_op

        if not self._applied:
            raise ValueError("get_init_tokens_op() should be called after apply_gradients().")
        return no_op(name="sync_token_init")

    def make_session_run_hook(self, is_chief: bool, num_tokens: int = -1) -> SessionRunHook:
        """The hook a MonitoredTrainingSession needs for this optimizer."""
        return _SyncReplicasHook(self, is_chief)


class ProfilerHook(SessionRunHook):
    """Writes `timeline-<global step>.json` every N steps or seconds.

    The file is a Chrome trace (the JSON trace-event format TF's timelines use, opened by
    chrome://tracing or Perfetto) with one complete event for the traced `Session.run`: its wall
    time, the global step and the fetches. Per-operation times are not recorded.
    """

    def __init__(
        self,
        save_steps: int | None = None,
        save_secs: float | None = None,
        output_dir: str = "",
        show_dataflow: bool = True,
        show_memory: bool = False,
    ) -> None:
        self._output_file = os.path.join(os.fspath(output_dir), "timeline-{}.json")
        self._timer = SecondOrStepTimer(every_secs=save_secs, every_steps=save_steps)
        self._show_memory = show_memory

    def begin(self) -> None:
        """Find the global step."""
        self._next_step: int | None = None
        self._step = _need_global_step("ProfilerHook")

    def before_run(self, run_context: Any) -> SessionRunArgs:
        """Read the global step; time the run when a trace is due (never the first run)."""
        self._tracing = self._next_step is not None and self._timer.should_trigger_for_step(
            self._next_step
        )
        self._fetches = getattr(run_context.original_args, "fetches", None)
        self._start_wall = time.time()
        self._start = time.perf_counter()
        return SessionRunArgs({"global_step": self._step})

    def after_run(self, run_context: Any, run_values: Any) -> None:
        """Write the trace of this run, named by the global step after it, when it was due."""
        seconds = time.perf_counter() - self._start
        stale = int(run_values.results["global_step"])
        if self._next_step is None:  # the first run starts the count
            self._timer.update_last_triggered_step(stale)
        step = stale + 1
        if self._tracing:
            step = int(run_context.session.run(self._step))
            self._timer.update_last_triggered_step(step)
            self._save(step, seconds)
        self._next_step = step + 1

    def _save(self, step: int, seconds: float) -> None:
        event = {
            "name": "Session.run",
            "ph": "X",
            "pid": 0,
            "tid": threading.get_ident() % (1 << 31),
            "ts": self._start_wall * 1e6,
            "dur": seconds * 1e6,
            "args": {"global_step": step, "fetches": repr(self._fetches)},
        }
        meta = {"name": "process_name", "ph": "M", "pid": 0, "args": {"name": "duograd CPU"}}
        path = self._output_file.format(step)
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w") as f:
            json.dump({"traceEvents": [meta, event], "displayTimeUnit": "ms"}, f)


def attach(tf: Any) -> None:
    """Add the names to tf.train."""
    tf.train.Server, tf.train.ServerDef = Server, ServerDef
    tf.train.SyncReplicasOptimizer, tf.train.ProfilerHook = SyncReplicasOptimizer, ProfilerHook
