"""Attach the names of math_more, image_ops and train_more to the frontend's namespaces."""

from __future__ import annotations

import types

from . import math_more as MM

_TOP = ("floor ceil round rint floordiv floormod reduce_prod cumsum cumprod boolean_mask").split()
_MATH = _TOP + ["top_k", "zero_fraction"]
_NN = ["top_k", "gelu", "zero_fraction"]


def _put(mod: types.ModuleType, names: list, src: types.ModuleType = MM) -> None:
    for n in names:
        setattr(mod, n, getattr(src, n))
    if hasattr(mod, "__all__"):
        mod.__all__ = list(mod.__all__) + [n for n in names if n not in mod.__all__]


def attach(tf: types.ModuleType) -> dict:
    """Add the names to `tf` and its namespaces; return new namespaces by their TF prefix."""
    _put(tf, _TOP)
    _put(tf.math, _MATH)
    _put(tf.nn, _NN)
    tf.floor_div, tf.mod = MM.floordiv, MM.floormod
    tf.math.floor_div, tf.math.mod = MM.floordiv, MM.floormod
    tf.math.gelu = MM.gelu
    tf.sequence_mask = MM.sequence_mask
    tf.contrib.layers.l2_regularizer = MM.l2_regularizer
    tf.contrib.layers.l1_regularizer = MM.l1_regularizer
    from . import image_ops
    from . import sampled_losses as SL
    from . import train_more as TM

    _put(tf.train, ["AdagradDAOptimizer", "ExponentialMovingAverage", "get_checkpoint_state"], TM)
    samplers = ["log_uniform_candidate_sampler", "uniform_candidate_sampler"]
    _put(tf.nn, ["nce_loss", "sampled_softmax_loss", "batch_norm_with_global_normalization"], SL)
    _put(tf.nn, samplers, SL)
    _put(tf.random, samplers, SL)
    _put(tf, samplers, SL)

    tf.image = image_ops.namespace()
    from . import host_more
    from . import nn_more2 as N2

    tf.unsorted_segment_sum = tf.math.unsorted_segment_sum = N2.unsorted_segment_sum
    tf.gather_nd = N2.gather_nd
    _put(tf.nn, ["atrous_conv2d", "convolution", "fused_batch_norm"], N2)
    _put(tf.train, ["load_variable", "replica_device_setter"], N2)
    from . import layer_classes as LC

    _put(tf.layers, LC.NAMES, LC)
    from . import runtime_ops as RO

    tf.py_func, tf.Print, tf.Assert = RO.py_func, RO.Print, RO.Assert
    tf.numpy_function = RO.py_func
    tf.debugging.Assert = RO.Assert

    return {"tf.image": tf.image, **host_more.attach(tf)}
