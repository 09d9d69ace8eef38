"""Attach MonitoredSession and its hooks (monitored.py, hooks.py), `tf.metrics` (metrics.py)
and the names of array_more2.py and host_more2.py to the frontend's namespaces."""

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


_ARRAY_TOP = (
    "unsorted_segment_max unsorted_segment_min meshgrid tensordot depth_to_space space_to_depth "
    "linspace lin_space diag diag_part sort argsort repeat scatter_nd"
).split()
_ASSERTS = (
    "assert_equal assert_none_equal assert_less assert_less_equal assert_greater "
    "assert_greater_equal assert_positive assert_negative assert_non_negative assert_non_positive"
).split()
_HOST_TOP = [
    "make_template", "init_scope", "get_local_variable", "model_variables", "hessians", "foldl",
    "foldr", *_ASSERTS,
]  # fmt: skip


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
    from . import array_more2 as AM
    from . import host_more2 as HM

    _put(tf, _ARRAY_TOP, AM)
    _put(tf, _HOST_TOP, HM)
    _put(tf.math, ["unsorted_segment_max", "unsorted_segment_min", "sort", "argsort"], AM)
    _put(tf.nn, ["depth_to_space", "space_to_depth"], AM)
    _put(tf.linalg, ["tensordot"], AM)
    tf.linalg.tensor_diag, tf.linalg.tensor_diag_part = AM.diag, AM.diag_part
    _put(tf.debugging, _ASSERTS, HM)
    _put(tf.summary, ["FileWriterCache"], HM)
    # tf.contrib.framework: the global-step helpers TF1-era programs took from there
    fw = types.ModuleType(f"{tf.__name__}.contrib.framework", "tf.contrib.framework.")
    for n in ("get_or_create_global_step", "get_global_step", "create_global_step"):
        setattr(fw, n, getattr(tf.train, n))
    install(fw, "tf.contrib.framework")
    tf.contrib.framework = fw
    from . import summary_more2 as SM

    tf.train.summary_iterator = SM.summary_iterator
    from .init_checkpoint import init_from_checkpoint

    tf.train.init_from_checkpoint = init_from_checkpoint
    SM.lazy_names(tf, ("Summary", "Event", "SessionLog"))
    SM.lazy_names(tf.summary, ("Summary", "Event", "SessionLog"))
    from . import pool3d as P3

    _put(tf.nn, ["max_pool3d", "avg_pool3d", "conv3d_transpose"], P3)
    layers3 = ["max_pooling3d", "average_pooling3d", "MaxPooling3D", "AveragePooling3D"]
    _put(tf.layers, [*layers3, "MaxPool3D", "AvgPool3D"], P3)
    from . import layers_more2 as LM2

    _put(tf.layers, LM2.NAMES, LM2)
