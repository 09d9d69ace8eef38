"""`tf.train.ClusterSpec` and its `ClusterDef` / `JobDef` messages: the description of a
cluster's jobs and task addresses. duograd runs a cluster through its own multi-process
runner (README "Training on several processes or machines"); these describe one the TF way."""

from __future__ import annotations

from typing import Any


class JobDef:
    """One job: its name and task addresses by index (`tasks`, a dict)."""

    def __init__(self, name: str = "", tasks: dict | None = None) -> None:
        self.name = name
        self.tasks: dict = dict(tasks or {})

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, JobDef) and (self.name, self.tasks) == (other.name, other.tasks)

    def __repr__(self) -> str:
        return f"JobDef(name={self.name!r}, tasks={self.tasks!r})"


class _Jobs(list):
    def add(self, name: str = "", tasks: dict | None = None) -> JobDef:
        job = JobDef(name, tasks)
        self.append(job)
        return job


class ClusterDef:
    """A cluster's jobs (`job`, a list of JobDef with `add()`)."""

    def __init__(self, job: Any = None) -> None:
        self.job = _Jobs(job or [])

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, ClusterDef) and list(self.job) == list(other.job)

    def __repr__(self) -> str:
        return f"ClusterDef(job={list(self.job)!r})"


class ClusterSpec:
    """Jobs and their tasks' addresses: from a dict (job -> list, or dict of index -> address),
    a ClusterDef or another ClusterSpec."""

    def __init__(self, cluster: Any) -> None:
        if isinstance(cluster, ClusterSpec):
            cluster = cluster.as_dict()
        if isinstance(cluster, ClusterDef):
            jobs = {j.name: dict(j.tasks) for j in cluster.job}
        elif isinstance(cluster, dict):
            jobs = {}
            for name, tasks in cluster.items():
                if isinstance(tasks, (list, tuple)):
                    jobs[name] = dict(enumerate(tasks))
                elif isinstance(tasks, dict):
                    jobs[name] = {int(k): v for k, v in tasks.items()}
                else:
                    raise TypeError(
                        f"ClusterSpec: the tasks of job {name!r} must be a list or a dict of "
                        f"index -> address, got {type(tasks).__name__}"
                    )
        else:
            raise TypeError(
                "ClusterSpec: cluster must be a dict, a ClusterDef or a ClusterSpec, got "
                f"{type(cluster).__name__}"
            )
        for name, tasks in jobs.items():
            for k, addr in tasks.items():
                if not isinstance(addr, str):
                    raise TypeError(f"ClusterSpec: task {k} of job {name!r} has address {addr!r}")
        self._jobs = {name: dict(sorted(t.items())) for name, t in jobs.items()}

    def __bool__(self) -> bool:
        return bool(self._jobs)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, ClusterSpec) and self._jobs == other._jobs

    def __repr__(self) -> str:
        return f"ClusterSpec({self.as_dict()!r})"

    @property
    def jobs(self) -> list:
        """The job names, in the order given."""
        return list(self._jobs)

    def _tasks(self, job_name: str) -> dict:
        if job_name not in self._jobs:
            raise ValueError(f"No such job in cluster: {job_name!r}")
        return self._jobs[job_name]

    def num_tasks(self, job_name: str) -> int:
        """How many tasks the job has."""
        return len(self._tasks(job_name))

    def task_indices(self, job_name: str) -> list:
        """The job's task indices, sorted."""
        return list(self._tasks(job_name))

    def task_address(self, job_name: str, task_index: int) -> str:
        """The address of one task."""
        tasks = self._tasks(job_name)
        if task_index not in tasks:
            raise ValueError(f"No task with index {task_index} in job {job_name!r}")
        return tasks[task_index]

    def job_tasks(self, job_name: str) -> list:
        """The job's addresses by index (None where an index has no task)."""
        tasks = self._tasks(job_name)
        out = [None] * (max(tasks) + 1 if tasks else 0)
        for k, addr in tasks.items():
            out[k] = addr
        return out

    def as_dict(self) -> dict:
        """job -> list of addresses (dict of index -> address where indices have gaps)."""
        out = {}
        for name, tasks in self._jobs.items():
            dense = list(tasks) == list(range(len(tasks)))
            out[name] = list(tasks.values()) if dense else dict(tasks)
        return out

    def as_cluster_def(self) -> ClusterDef:
        """The cluster as a ClusterDef message (jobs sorted by name, as TF writes them)."""
        return ClusterDef([JobDef(name, tasks) for name, tasks in sorted(self._jobs.items())])


def attach(tf: Any) -> None:
    """Add the names to tf.train."""
    tf.train.ClusterSpec, tf.train.ClusterDef, tf.train.JobDef = ClusterSpec, ClusterDef, JobDef
