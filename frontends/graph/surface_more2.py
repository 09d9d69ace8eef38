"""Attach MonitoredSession and its hooks (monitored.py, hooks.py) and `tf.metrics`
(metrics.py) to the frontend's namespaces."""

from __future__ import annotations

import types

from . import hooks as H
from . import monitored as MS

_MONITORED = (
    "MonitoredSession SingularMonitoredSession MonitoredTrainingSession Scaffold SessionRunHook "
    "SessionRunArgs SessionRunContext SessionRunValues ChiefSessionCreator WorkerSessionCreator"
).split()
_HOOKS = (
    "StopAtStepHook CheckpointSaverHook CheckpointSaverListener LoggingTensorHook "
    "StepCounterHook SummarySaverHook NanTensorHook NanLossDuringTrainingError FeedFnHook "
    "FinalOpsHook SecondOrStepTimer"
).split()


def _put(mod: types.ModuleType, names: list, src: types.ModuleType) -> None:
    for n in names:
        setattr(mod, n, getattr(src, n))
    if hasattr(mod, "__all__"):
        mod.__all__ = list(mod.__all__) + [n for n in names if n not in mod.__all__]


def attach(tf: types.ModuleType) -> None:
    """Add the names to `tf.train` (and `tf.metrics` to `tf`)."""
    _put(tf.train, _MONITORED, MS)
    _put(tf.train, _HOOKS, H)
    from . import metrics
    from .missing import install

    tf.metrics = metrics
    install(metrics, "tf.metrics")
    if hasattr(tf, "__all__") and "metrics" not in tf.__all__:
        tf.__all__ = list(tf.__all__) + ["metrics"]
