"""duograd's TensorFlow-1.x-style graph frontend: `import duograd.frontends.graph as tf`.

Build a graph with tf.* functions, then run it in a `tf.Session`. Every op is a core primitive
applied to symbolic tensors; `tf.gradients` runs the core's reverse sweep over the graph; a
Session runs compiled plans of the core executor. `tf.compat.v1` points back at this module,
so programs written against `tensorflow.compat.v1` run after changing only their import.
"""

from __future__ import annotations

import types as _types

from . import errors, init_ops, layers, losses, nn, summary, train
from .array_ops import (
    concat,
    expand_dims,
    fill,
    gather,
    identity,
    newaxis,
    one_hot,
    ones,
    ones_like,
    placeholder,
    placeholder_with_default,
    range,
    rank,
    reshape,
    shape,
    size,
    slice,
    split,
    squeeze,
    stack,
    stop_gradient,
    tile,
    transpose,
    unstack,
    where,
    zeros,
    zeros_like,
)
from .config import GraphOptions, OptimizerOptions
from .control_flow import control_dependencies, group, no_op
from .control_flow import tuple_ as tuple
from .convert import constant, convert_to_tensor
from .dot import graph_to_dot
from .dtypes import (
    DType,
    as_dtype,
    bool,
    complex64,
    double,
    float16,
    float32,
    float64,
    half,
    int8,
    int16,
    int32,
    int64,
    string,
    uint8,
)
from .gradients import gradients
from .graph import Graph, GraphKeys, get_default_graph, reset_default_graph
from .init_ops import (
    constant_initializer,
    glorot_normal_initializer,
    glorot_uniform_initializer,
    ones_initializer,
    random_normal_initializer,
    random_uniform_initializer,
    truncated_normal_initializer,
    variance_scaling_initializer,
    zeros_initializer,
)
from .math_ops import (
    abs,
    add,
    add_n,
    argmax,
    argmin,
    cast,
    clip_by_value,
    div,
    divide,
    equal,
    exp,
    greater,
    greater_equal,
    less,
    less_equal,
    log,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    matmul,
    maximum,
    minimum,
    multiply,
    negative,
    not_equal,
    pow,
    realdiv,
    reciprocal,
    reduce_all,
    reduce_any,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_sum,
    rsqrt,
    scalar_mul,
    sigmoid,
    sign,
    sqrt,
    square,
    squared_difference,
    subtract,
    tanh,
    to_double,
    to_float,
    to_int32,
    to_int64,
    truediv,
)
from .numerics import add_check_numerics_ops, check_numerics, verify_tensor_all_finite
from .random_ops import (
    get_seed,
    random_normal,
    random_uniform,
    set_random_seed,
    truncated_normal,
)
from .session import (
    ConfigProto,
    GPUOptions,
    InteractiveSession,
    RunMetadata,
    RunOptions,
    Session,
    get_default_session,
)
from .shapes import TensorShape
from .tensor import Operation, Tensor
from .variable_scope import (
    AUTO_REUSE,
    VariableScope,
    get_variable,
    get_variable_scope,
    variable_scope,
)
from .variables import (
    Variable,
    all_variables,
    assign,
    assign_add,
    assign_sub,
    global_variables,
    global_variables_initializer,
    initialize_all_variables,
    is_variable_initialized,
    local_variables,
    local_variables_initializer,
    trainable_variables,
    variables_initializer,
)

Dimension = int


def name_scope(name: str | None, default_name: str | None = None, values=None):
    """Open a name scope in the default graph (or the graph of `values`)."""
    g = get_default_graph()
    for v in values or ():
        if hasattr(v, "graph"):
            g = v.graph
            break
    return g.name_scope(name if name is not None else default_name)


def get_collection(key: str, scope: str | None = None) -> list:
    """A copy of a collection of the default graph."""
    return get_default_graph().get_collection(key, scope)


def get_collection_ref(key: str) -> list:
    """A collection of the default graph (the list itself)."""
    return get_default_graph().get_collection_ref(key)


def add_to_collection(name: str, value) -> None:
    """Add `value` to a collection of the default graph."""
    get_default_graph().add_to_collection(name, value)


def add_to_collections(names, value) -> None:
    """Add `value` to several collections of the default graph."""
    get_default_graph().add_to_collections(names, value)


def device(device_name):
    """Accepted for compatibility: every op runs on the CPU."""
    return get_default_graph().device(device_name)


def disable_eager_execution() -> None:
    """No-op: this frontend always builds graphs."""


def disable_v2_behavior() -> None:
    """No-op: this frontend always behaves as TF1."""


def enable_eager_execution(*args, **kwargs) -> None:
    """Eager execution is the other frontend: use duograd.frontends.eager."""
    raise NotImplementedError(
        "this is duograd's graph (TF1) frontend; for eager execution use duograd.frontends.eager"
    )


def executing_eagerly() -> bool:
    """Always False."""
    return False


def is_tensor(x) -> bool:
    """True for tensors (and variables)."""
    return isinstance(x, Tensor)


def get_default_session_or_none():
    """The default session or None."""
    return get_default_session()


def _namespace(name: str, doc: str, **members) -> _types.ModuleType:
    mod = _types.ModuleType(f"{__name__}.{name}", doc)
    mod.__dict__.update(members)
    return mod


math = _namespace(
    "math", "tf.math: the math ops under their TF2-style names.",
    add=add, subtract=subtract, multiply=multiply, divide=divide, truediv=truediv, pow=pow,
    square=square, sqrt=sqrt, rsqrt=rsqrt, exp=exp, log=log, abs=abs, negative=negative,
    sign=sign, maximum=maximum, minimum=minimum, sigmoid=sigmoid, tanh=tanh,
    squared_difference=squared_difference, add_n=add_n, reciprocal=reciprocal,
    reduce_sum=reduce_sum, reduce_mean=reduce_mean, reduce_max=reduce_max,
    reduce_min=reduce_min, reduce_any=reduce_any, reduce_all=reduce_all, argmax=argmax,
    argmin=argmin, equal=equal, not_equal=not_equal, less=less, less_equal=less_equal,
    greater=greater, greater_equal=greater_equal, logical_and=logical_and,
    logical_or=logical_or, logical_not=logical_not, logical_xor=logical_xor,
)  # fmt: skip
random = _namespace(
    "random", "tf.random: random ops drawing from the shared seeded stream.",
    normal=random_normal, uniform=random_uniform, truncated_normal=truncated_normal,
    set_random_seed=set_random_seed, set_seed=set_random_seed, get_seed=get_seed,
)  # fmt: skip
linalg = _namespace("linalg", "tf.linalg.", matmul=matmul)
debugging = _namespace(
    "debugging", "tf.debugging.", check_numerics=check_numerics,
    assert_all_finite=verify_tensor_all_finite,
)  # fmt: skip
dtypes = _namespace(
    "dtypes", "tf.dtypes.", DType=DType, as_dtype=as_dtype, float32=float32, float64=float64,
    int32=int32, int64=int64, bool=bool, uint8=uint8, cast=cast,
)  # fmt: skip
initializers = _namespace(
    "initializers", "tf.initializers: initializer objects and variable-initializer ops.",
    zeros=init_ops.Zeros, ones=init_ops.Ones, constant=init_ops.Constant,
    random_normal=init_ops.RandomNormal, random_uniform=init_ops.RandomUniform,
    truncated_normal=init_ops.TruncatedNormal, glorot_uniform=init_ops.GlorotUniform,
    glorot_normal=init_ops.GlorotNormal, variance_scaling=init_ops.VarianceScaling,
    he_normal=init_ops.he_normal, he_uniform=init_ops.he_uniform,
    lecun_normal=init_ops.lecun_normal, lecun_uniform=init_ops.lecun_uniform,
    global_variables=global_variables_initializer, variables=variables_initializer,
    local_variables=local_variables_initializer,
)  # fmt: skip
compat = _namespace("compat", "tf.compat: v1 is this module itself.")

import sys as _sys  # noqa: E402

compat.v1 = _sys.modules[__name__]
del _sys

__all__ = [
    "AUTO_REUSE", "ConfigProto", "DType", "Dimension", "GPUOptions", "Graph", "GraphKeys",
    "GraphOptions", "OptimizerOptions",
    "InteractiveSession", "Operation", "RunMetadata", "RunOptions", "Session", "Tensor",
    "TensorShape", "Variable", "VariableScope", "abs", "add", "add_check_numerics_ops", "add_n",
    "add_to_collection", "add_to_collections", "all_variables", "argmax", "argmin", "as_dtype",
    "assign", "assign_add", "assign_sub", "bool", "cast", "check_numerics", "clip_by_value",
    "compat", "complex64", "concat", "constant",
    "constant_initializer", "control_dependencies", "convert_to_tensor", "debugging", "device",
    "disable_eager_execution", "disable_v2_behavior", "div", "divide", "double", "dtypes",
    "enable_eager_execution", "equal", "errors", "executing_eagerly", "exp", "expand_dims", "fill",
    "float16", "float32", "float64", "gather", "get_collection", "get_collection_ref",
    "get_default_graph", "get_default_session", "get_default_session_or_none", "get_seed",
    "get_variable", "get_variable_scope", "global_variables", "global_variables_initializer",
    "glorot_normal_initializer", "glorot_uniform_initializer", "gradients", "graph_to_dot",
    "greater", "greater_equal", "group", "half", "identity", "initialize_all_variables",
    "initializers", "int16", "int32", "int64", "int8", "is_tensor", "is_variable_initialized",
    "layers", "less", "less_equal", "linalg", "local_variables", "local_variables_initializer",
    "log", "logical_and", "logical_not", "logical_or", "logical_xor", "losses", "math", "matmul",
    "maximum", "minimum", "multiply", "name_scope", "negative", "newaxis", "nn", "no_op",
    "not_equal", "one_hot", "ones", "ones_initializer", "ones_like", "placeholder",
    "placeholder_with_default", "pow", "random", "random_normal", "random_normal_initializer",
    "random_uniform", "random_uniform_initializer", "range", "rank", "realdiv", "reciprocal",
    "reduce_all", "reduce_any", "reduce_max", "reduce_mean", "reduce_min", "reduce_sum",
    "reset_default_graph", "reshape", "rsqrt", "scalar_mul", "set_random_seed", "shape", "sigmoid",
    "sign", "size", "slice", "split", "sqrt", "square", "squared_difference", "squeeze", "stack",
    "stop_gradient", "string", "subtract", "summary", "tanh", "tile", "to_double", "to_float",
    "to_int32", "to_int64", "train", "trainable_variables", "transpose", "truediv",
    "truncated_normal", "truncated_normal_initializer", "tuple", "uint8", "unstack",
    "variable_scope", "variables_initializer", "variance_scaling_initializer",
    "verify_tensor_all_finite", "where", "zeros",
    "zeros_initializer", "zeros_like",
]  # fmt: skip

from . import array_ops as _array_ops  # noqa: E402
from . import math_ops as _math_ops  # noqa: E402
from . import tensor as _tensor_mod  # noqa: E402

_tensor_mod._m, _tensor_mod._a = _math_ops, _array_ops

# ---- recurrent cells and loops, attention, batch norm, gradient clipping (attached to the
# tf.nn / tf.layers namespaces here so those modules need not import them) -----------------------
from . import attention, rnn_cell  # noqa: E402
from .clip_ops import clip_by_global_norm, clip_by_norm, global_norm  # noqa: E402
from .normalization import BatchNormalization as _BatchNormalization  # noqa: E402
from .normalization import batch_normalization as _batch_normalization  # noqa: E402
from .rnn import bidirectional_dynamic_rnn as _bidirectional_dynamic_rnn  # noqa: E402
from .rnn import dynamic_rnn as _dynamic_rnn  # noqa: E402
from .rnn import static_bidirectional_rnn as _static_bidirectional_rnn  # noqa: E402
from .rnn import static_rnn as _static_rnn  # noqa: E402

nn.rnn_cell = rnn_cell
nn.dynamic_rnn = _dynamic_rnn
nn.static_rnn = _static_rnn
nn.bidirectional_dynamic_rnn = _bidirectional_dynamic_rnn
nn.static_bidirectional_rnn = _static_bidirectional_rnn
layers.batch_normalization = _batch_normalization
layers.BatchNormalization = _BatchNormalization
contrib = _namespace(
    "contrib", "tf.contrib: the pieces TF1 programs commonly import from it.",
    rnn=_namespace(
        "contrib.rnn", "tf.contrib.rnn.", static_rnn=_static_rnn,
        static_bidirectional_rnn=_static_bidirectional_rnn,
        **{k: getattr(rnn_cell, k) for k in rnn_cell.__all__},
    ),
    layers=_namespace(
        "contrib.layers", "tf.contrib.layers.", layer_norm=attention.contrib_layer_norm,
    ),
)  # fmt: skip
__all__ += ["attention", "clip_by_global_norm", "clip_by_norm", "contrib", "global_norm"]

# ---- tf.data input pipelines, TFRecord files and Example parsing ---------------------------------
import sys as _sys_mod  # noqa: E402

from . import data  # noqa: E402
from .data._namespaces import attach as _attach_data  # noqa: E402

__all__ += ["data", *_attach_data(_sys_mod.modules[__name__])]

# ---- the wider TF1 surface (more tf.nn/tf.math ops, optimizers, schedules, layers, control
# flow) and NotImplementedError for names not provided: see surface.py -------------------------
from . import surface as _surface  # noqa: E402

_surface.attach(__import__("sys").modules[__name__])


# ---- 3-D convolution (tf.nn.conv3d, conv_more.py); a traced eager module built into the graph ----
from .conv_more import conv3d as _conv3d  # noqa: E402
from .import_traced import import_traced  # noqa: E402, F401

nn.conv3d = _conv3d

# ---- speech: CTC loss and decoders, edit distance, sparse placeholders: see speech_surface.py
from . import speech_surface as _speech  # noqa: E402

_speech.attach(__import__("sys").modules[__name__])

# ---- MonitoredSession and its hooks, tf.metrics: see surface_more2.py ---------------------------
from . import surface_more2 as _surface_more2  # noqa: E402

_surface_more2.attach(__import__("sys").modules[__name__])

# ---- tf.einsum, inverse trigonometric / hyperbolic functions, tf.linalg inv / cholesky / solve
from . import linalg_trig as _linalg_trig  # noqa: E402

_linalg_trig.attach(__import__("sys").modules[__name__])

# ---- tf.svd / qr / self_adjoint_eig / matrix_determinant, tf.linalg svd / qr / eigh / det / pinv
from . import linalg_decomp as _linalg_decomp  # noqa: E402

_linalg_decomp.attach(__import__("sys").modules[__name__])

# ---- TF1 queues, queue runners, input producers, batching and readers: see queue_surface.py --
from . import queue_surface as _queue_surface  # noqa: E402

__all__ += _queue_surface.attach(__import__("sys").modules[__name__])

# ---- tf.RegisterGradient, Graph.gradient_override_map, tf.custom_gradient -----------------------
from . import gradient_override as _gradient_override  # noqa: E402

_gradient_override.attach(__import__("sys").modules[__name__])

# ---- tf.distribute on the one CPU device: see distribute.py ------------------------------------
from . import distribute as _distribute  # noqa: E402

distribute = _distribute.namespace()
__all__ += ["distribute"]

# ---- tf.TensorSpec, tf.VERSION, tf.nest, tf.resource_loader, tf.strided_slice, ...: names_more3.py
from . import names_more3 as _names_more3  # noqa: E402

__all__ += _names_more3.attach(__import__("sys").modules[__name__])

# ---- tf.train.ClusterSpec / ClusterDef / JobDef: see cluster.py --------------------------------
from . import cluster as _cluster  # noqa: E402

_cluster.attach(__import__("sys").modules[__name__])

# ---- names and import paths found missing by running real TF1 programs: see realprog_surface.py
from . import realprog_surface as _realprog_surface  # noqa: E402

_realprog_surface.attach(__import__("sys").modules[__name__])

# ---- tf.math: inverse hyperbolic functions, atan2, xlogy, truncatediv, ...: see math_top.py ---
from . import math_top as _math_top  # noqa: E402

__all__ += _math_top.attach(__import__("sys").modules[__name__])

# ---- band / diagonal matrices, roll, segment reductions, scatters, ...: see array_top.py -------
from . import array_top as _array_top  # noqa: E402

__all__ += _array_top.attach(__import__("sys").modules[__name__])

# ---- assert_rank ..., initializer helpers, count_up_to, switch_case, tf.test: see host_top.py --
from . import host_top as _host_top  # noqa: E402

__all__ += _host_top.attach(__import__("sys").modules[__name__])

# ---- searchsorted, histograms, confusion_matrix, extract_image_patches, ...: see array_top2.py
from . import array_top2 as _array_top2  # noqa: E402

__all__ += _array_top2.attach(__import__("sys").modules[__name__])

# ---- tf.TensorArray of a known size, usable as a while_loop variable: see tensor_array.py ------
from . import tensor_array as _tensor_array  # noqa: E402

__all__ += _tensor_array.attach(__import__("sys").modules[__name__])

# ---- space_to_batch_nd / batch_to_space_nd and friends: see space_batch.py ----------------------
from . import space_batch as _space_batch  # noqa: E402

__all__ += _space_batch.attach(__import__("sys").modules[__name__])

# ---- tf.random_shuffle / tf.random.shuffle, tf.random_crop: see random_top.py --------------------
from . import random_top as _random_top  # noqa: E402

__all__ += _random_top.attach(__import__("sys").modules[__name__])

# ---- tf.sparse_retain / tf.sparse.retain: see sparse_top.py --------------------------------------
from . import sparse_top as _sparse_top  # noqa: E402

__all__ += _sparse_top.attach(__import__("sys").modules[__name__])

# ---- tf.image decoders / encoders (PNG, BMP; JPEG, GIF via the `images` extra): image_codecs.py
from . import image_codecs as _image_codecs  # noqa: E402

_image_codecs.attach(__import__("sys").modules[__name__])

# ---- tf.train.Checkpoint / CheckpointManager / SaverDef / NewCheckpointReader: train_checkpoint.py
from . import train_checkpoint as _train_checkpoint  # noqa: E402

_train_checkpoint.attach(__import__("sys").modules[__name__])

# ---- tf.train.Server (one-task, in process), SyncReplicasOptimizer, ProfilerHook: train_cluster.py
from . import train_cluster as _train_cluster  # noqa: E402

_train_cluster.attach(__import__("sys").modules[__name__])

# ---- tf.nn conv backprops, conv_transpose, pool / v2 pools, silu, moment helpers: nn_more3.py
from . import nn_more3 as _nn_more3  # noqa: E402

_nn_more3.attach(__import__("sys").modules[__name__])

# ---- tf.losses.compute_weighted_loss / mean_pairwise_squared_error: losses_more3.py
from . import losses_more3 as _losses_more3  # noqa: E402

_losses_more3.attach(__import__("sys").modules[__name__])

# ---- tf.image colour spaces, hue/saturation/gamma, gradients, psnr/ssim, patches: image_more.py
from . import image_more as _image_more  # noqa: E402

_image_more.attach(__import__("sys").modules[__name__])

# ---- tf.train decays, maybe_* batchers, SessionManager, Supervisor, LooperThread: train_loops.py
from . import train_loops as _train_loops  # noqa: E402

_train_loops.attach(__import__("sys").modules[__name__])

# ---- errors name the operation the user called (see frontends/op_errors.py) --------------------
from .. import op_errors as _op_errors  # noqa: E402

_op_errors.name_errors(
    [__import__("sys").modules[__name__], nn, math, linalg, globals()["image"]],  # noqa: F405
    also=_op_errors.namespaces_under(__import__("sys").modules[__name__]),
    builds=True,
)
