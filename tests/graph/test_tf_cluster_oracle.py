"""tf.train.ClusterSpec, ClusterDef and JobDef against real TensorFlow's."""

from __future__ import annotations

import duograd.frontends.graph as dg
import pytest

real_tf = pytest.importorskip("tensorflow")

SPECS = [
    {"ps": ["ps0:2222"], "worker": {1: "w1:2222", 3: "w3:2222"}},
    {"worker": ["a:1", "b:1", "c:1"], "chief": ["h:0"]},
    {},
]


@pytest.mark.parametrize("spec", SPECS, ids=range(len(SPECS)))
def test_cluster_spec_matches_real_tf(spec):
    ours, theirs = dg.train.ClusterSpec(spec), real_tf.compat.v1.train.ClusterSpec(spec)
    assert ours.jobs == theirs.jobs and bool(ours) == bool(theirs)
    assert ours.as_dict() == theirs.as_dict()
    for job in theirs.jobs:
        assert ours.num_tasks(job) == theirs.num_tasks(job)
        assert ours.task_indices(job) == theirs.task_indices(job)
        assert ours.job_tasks(job) == theirs.job_tasks(job)
        for i in theirs.task_indices(job):
            assert ours.task_address(job, i) == theirs.task_address(job, i)
    d_ours, d_theirs = ours.as_cluster_def(), theirs.as_cluster_def()
    assert [(j.name, dict(j.tasks)) for j in d_ours.job] == [
        (j.name, dict(j.tasks)) for j in d_theirs.job
    ]
    assert dg.train.ClusterSpec(d_ours) == ours == dg.train.ClusterSpec(ours)


def test_cluster_def_built_by_hand_and_errors():
    for tf in (dg, real_tf.compat.v1):
        job = tf.train.JobDef(name="x")
        job.tasks[0] = "a:1"
        assert tf.train.ClusterSpec(tf.train.ClusterDef(job=[job])).as_dict() == {"x": ["a:1"]}
        c = tf.train.ClusterSpec(SPECS[0])
        with pytest.raises(ValueError, match="No task with index 0 in job 'worker'"):
            c.task_address("worker", 0)
        with pytest.raises(ValueError, match="No such job in cluster: 'nope'"):
            c.num_tasks("nope")
    with pytest.raises(TypeError, match="must be a dict, a ClusterDef or a ClusterSpec"):
        dg.train.ClusterSpec(["a:1"])
