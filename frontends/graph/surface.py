"""Attach the wider TF1 surface (extra tf.nn / tf.math ops, optimizers, schedules, layers,
control flow) to the frontend's namespaces, and make every namespace's missing names raise
a clear NotImplementedError. Called once from the package's `__init__`."""

from __future__ import annotations

import types

from . import app, decays
from . import control_flow_more as CF
from . import layers_more as LM
from . import losses_more as LS
from . import nn_extra as NX
from . import optimizers_more as OM
from .missing import install

_NN = (
    "relu6 elu selu softplus softsign swish crelu log_sigmoid l2_normalize xw_plus_b conv1d "
    "max_pool1d avg_pool1d conv2d_transpose depthwise_conv2d separable_conv2d lrn in_top_k"
).split()
_MATH = (
    "log1p expm1 sin cos is_nan reduce_logsumexp reduce_variance reduce_std count_nonzero "
    "softplus softsign log_sigmoid l2_normalize"
).split()
_TOP = "log1p expm1 sin cos is_nan reduce_logsumexp count_nonzero".split()
_TRAIN_CLASSES = (
    "AdagradOptimizer AdadeltaOptimizer ProximalGradientDescentOptimizer "
    "ProximalAdagradOptimizer FtrlOptimizer"
).split()
_DECAYS = (
    "inverse_time_decay natural_exp_decay polynomial_decay piecewise_constant cosine_decay "
    "linear_cosine_decay cosine_decay_restarts"
).split()
_LAYERS = "conv1d conv2d_transpose max_pooling1d average_pooling1d".split()
_CONTROL = "cond case while_loop map_fn scan".split()


def _put(mod: types.ModuleType, src: types.ModuleType, names: list, all_too: bool = True) -> None:
    for n in names:
        setattr(mod, n, getattr(src, n))
    if all_too and hasattr(mod, "__all__"):
        mod.__all__ = list(mod.__all__) + [n for n in names if n not in mod.__all__]


def attach(tf: types.ModuleType) -> None:
    """Add the wider surface to `tf` (the graph frontend package) and its namespaces."""
    _put(tf.nn, NX, _NN)
    _put(tf.math, NX, _MATH, all_too=False)
    _put(tf, NX, _TOP)
    tf.nn.local_response_normalization = NX.lrn
    _put(tf.train, OM, _TRAIN_CLASSES)
    _put(tf.train, decays, _DECAYS)
    _put(tf.layers, LM, _LAYERS)
    _put(tf, CF, _CONTROL)
    tf.math.sigmoid = tf.sigmoid
    from . import math_ops

    tf.erf = tf.math.erf = math_ops.erf
    tf.broadcast_to = math_ops.broadcast_to
    tf.app, tf.flags = app, app.flags
    tf.arg_max, tf.arg_min = tf.argmax, tf.argmin
    from . import contrib_more

    for n in ("flatten", "fully_connected", "xavier_initializer", "xavier_initializer_conv2d"):
        setattr(tf.contrib.layers, n, getattr(contrib_more, n))
    tf.math.in_top_k = NX.in_top_k
    _put(tf.losses, LS, ["hinge_loss", "huber_loss", "cosine_distance"])
    _put(tf.nn, LS, ["weighted_cross_entropy_with_logits", "log_poisson_loss"])
    _put(tf, LS, ["pad", "reverse"])
    from . import surface_more

    more = surface_more.attach(tf)
    prefixes = {
        "tf": tf, "tf.nn": tf.nn, "tf.train": tf.train, "tf.layers": tf.layers,
        "tf.losses": tf.losses, "tf.math": tf.math, "tf.random": tf.random,
        "tf.linalg": tf.linalg, "tf.initializers": tf.initializers, "tf.dtypes": tf.dtypes,
        "tf.debugging": tf.debugging, "tf.summary": tf.summary, "tf.contrib": tf.contrib,
        "tf.contrib.rnn": tf.contrib.rnn, "tf.contrib.layers": tf.contrib.layers,
        "tf.nn.rnn_cell": tf.nn.rnn_cell, "tf.errors": tf.errors, "tf.compat": tf.compat,
        "tf.init_ops": tf.init_ops, "tf.app": app, "tf.flags": app.flags,
    }  # fmt: skip
    prefixes.update(more)
    for prefix, mod in prefixes.items():
        install(mod, prefix)
