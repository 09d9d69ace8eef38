"""duograd's eager frontend in the style of PyTorch: ``import duograd.frontends.eager as torch``.

Tensors hold numpy arrays; every operation is a core op run now (and recorded on a tape when
gradients are needed), and backward() runs the core's reverse sweep, the same one the graph
frontend uses, so both styles give the same numbers.
"""

from __future__ import annotations

from . import autograd, cuda, distributed, nn, optim, utils
from .creation import (
    Generator,
    arange,
    as_tensor,
    default_generator,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    initial_seed,
    linspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    seed,
    tensor,
    zeros,
    zeros_like,
)
from .cuda import accelerator, backends, mps, xpu
from .dlpack import from_dlpack  # DLPack exchange (shared memory)
from .dtype import (
    bool,
    double,
    dtype,
    float,
    float32,
    float64,
    get_default_dtype,
    int,
    int32,
    int64,
    long,
    set_default_dtype,
)
from .functions import (
    abs,
    add,
    bmm,
    clamp,
    clip,
    clone,
    cos,
    detach,
    div,
    divide,
    dot,
    eq,
    exp,
    ge,
    greater,
    greater_equal,
    gt,
    is_floating_point,
    is_tensor,
    isnan,
    le,
    less,
    less_equal,
    log,
    log_softmax,
    logical_and,
    logical_not,
    logical_or,
    lt,
    matmul,
    maximum,
    minimum,
    mm,
    mul,
    multiply,
    mv,
    ne,
    neg,
    negative,
    nonzero,
    not_equal,
    numel,
    outer,
    pow,
    reciprocal,
    relu,
    rsqrt,
    sigmoid,
    sign,
    sin,
    softmax,
    sqrt,
    square,
    sub,
    subtract,
    tanh,
    true_divide,
    where,
)
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .reductions import (
    all,
    allclose,
    amax,
    amin,
    any,
    argmax,
    argmin,
    equal,
    logsumexp,
    max,
    mean,
    min,
    norm,
    std,
    sum,
    var,
)
from .serialization import load, save
from .shaping import (
    broadcast_to,
    cat,
    chunk,
    concat,
    concatenate,
    flatten,
    flip,
    gather,
    hstack,
    index_select,
    narrow,
    permute,
    repeat,
    reshape,
    split,
    squeeze,
    stack,
    swapaxes,
    t,
    transpose,
    unbind,
    unflatten,
    unsqueeze,
    vstack,
)
from .tensor import Size, Tensor, device

FloatTensor = Tensor  # isinstance checks and old-style constructors accept these names
__version__ = "0.1.0+duograd"

# bridges: torch.onnx.export (the onnx extra is imported on first export)
from . import onnx  # noqa: E402

__all__ = [
    "FloatTensor",
    "Generator",
    "Size",
    "Tensor",
    "__version__",
    "abs",
    "accelerator",
    "mps",
    "xpu",
    "add",
    "all",
    "allclose",
    "amax",
    "amin",
    "annotations",
    "any",
    "arange",
    "argmax",
    "argmin",
    "as_tensor",
    "autograd",
    "backends",
    "bmm",
    "bool",
    "broadcast_to",
    "cat",
    "chunk",
    "clamp",
    "clip",
    "clone",
    "cos",
    "concat",
    "concatenate",
    "cuda",
    "default_generator",
    "detach",
    "device",
    "div",
    "divide",
    "dot",
    "double",
    "dtype",
    "empty",
    "empty_like",
    "enable_grad",
    "eq",
    "equal",
    "exp",
    "eye",
    "flatten",
    "flip",
    "float",
    "float32",
    "float64",
    "from_dlpack",
    "from_numpy",
    "full",
    "full_like",
    "gather",
    "ge",
    "get_default_dtype",
    "greater",
    "greater_equal",
    "gt",
    "hstack",
    "index_select",
    "inference_mode",
    "initial_seed",
    "int",
    "int32",
    "int64",
    "is_floating_point",
    "is_grad_enabled",
    "is_tensor",
    "isnan",
    "le",
    "less",
    "less_equal",
    "linspace",
    "load",
    "log",
    "log_softmax",
    "logical_and",
    "logical_not",
    "logical_or",
    "logsumexp",
    "long",
    "lt",
    "manual_seed",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "mm",
    "mul",
    "multiply",
    "mv",
    "narrow",
    "ne",
    "neg",
    "negative",
    "nn",
    "onnx",
    "no_grad",
    "nonzero",
    "norm",
    "not_equal",
    "numel",
    "ones",
    "ones_like",
    "optim",
    "outer",
    "permute",
    "pow",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "randperm",
    "reciprocal",
    "relu",
    "repeat",
    "reshape",
    "rsqrt",
    "save",
    "seed",
    "set_default_dtype",
    "set_grad_enabled",
    "sigmoid",
    "sign",
    "sin",
    "softmax",
    "split",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "std",
    "sub",
    "subtract",
    "sum",
    "swapaxes",
    "t",
    "tanh",
    "tensor",
    "transpose",
    "true_divide",
    "unbind",
    "unflatten",
    "unsqueeze",
    "utils",
    "distributed",
    "var",
    "vstack",
    "where",
    "zeros",
    "zeros_like",
]

# ---- torch.distributions (math in core.distributions) --------------------------------------------
from . import distributions  # noqa: E402, F401
from . import special_fns as _special_fns  # noqa: E402  (lgamma, digamma, polygamma)

_special_fns.attach(__import__("sys").modules[__name__])

# ---- sparse COO tensors (products on the core's spmm primitive) ----------------------------------
from . import sparse as _sparse_mod  # noqa: E402

sparse = _sparse_mod.namespace
sparse_coo_tensor = _sparse_mod.sparse_coo_tensor
spmm = _sparse_mod.mm

# ---- torch.compile, torch.jit: eager code captured as core IR graphs -----------------------------
from . import jit  # noqa: E402, F401
from .compile import compile  # noqa: E402, F401, A004
from .compile import namespace as _compile_namespace  # noqa: E402

_dynamo = compiler = _compile_namespace

# ---- complex tensors, torch.fft, stft/istft, windows (see spectral.py) ---------------------------
from . import spectral as _spectral  # noqa: E402

_spectral.attach(__import__("sys").modules[__name__])
fft = _spectral.fft
from . import audio  # noqa: E402, F401  (torchaudio-style MelSpectrogram)

# A name this module does not provide raises NotImplementedError naming it (see missing.py).
# More of the surface: diagonal / trace / meshgrid (matrix_ops.py), sort / topk / cumsum / prod
# (sorting.py), the wider torch surface (surface.py).
from .matrix_ops import *  # noqa: E402, F403
from .missing import module_getattr  # noqa: E402

# ---- rounding with zero gradients (floor, ceil, round, trunc on the core's primitives) ----------
from .rounding import ceil, fix, floor, trunc  # noqa: E402
from .sorting import *  # noqa: E402, F403
from .surface import *  # noqa: E402, F403  (the wider torch surface: see surface.py)

__all__ += ["ceil", "fix", "floor", "trunc"]

# ---- more of the surface: einsum and math, writes at indices, layout / dtype / settings, hooks --
from . import hooks as _hooks  # noqa: E402, F401  (Tensor.register_hook)
from .buffers_hist import cholesky_solve, frombuffer, histogram  # noqa: E402, F401
from .dtype import float16, half, int8, int16, short, uint8  # noqa: E402, F401
from .linalg_decomp import pinverse, torch_qr, torch_svd  # noqa: E402, F401
from .linalg_more import *  # noqa: E402, F403
from .math_more import *  # noqa: E402, F403
from .scatter_ops import *  # noqa: E402, F403
from .tensor_misc import *  # noqa: E402, F403

svd, qr = torch_svd, torch_qr

# ---- elementwise math, shaping, reductions, products and predicates of the wider surface ----
from .elementwise_more3 import *  # noqa: E402, F403
from .nn_top_level import *  # noqa: E402, F403
from .reductions_more3 import *  # noqa: E402, F403
from .shaping_more3 import *  # noqa: E402, F403
from .tensor_info import *  # noqa: E402, F403

__all__ += ["float16", "half", "int8", "int16", "short", "uint8"]

__getattr__ = module_getattr("torch", globals())

# the in-place (`_`) variant of every method that has one: installed after all methods exist
from . import inplace_all as _inplace_all  # noqa: E402, F401
from .gradcheck import attach as _attach_gradcheck  # noqa: E402

_attach_gradcheck(autograd)  # gradcheck, gradgradcheck, inference_mode, anomaly_mode

from . import out_arg as _out_arg  # noqa: E402

_out_arg.install(__name__)  # `out=` on torch's functions (torch.matmul(a, b, out=c))

# dtype rules of composed operations (see dtype_rules.py): wrapped before errors are named
from . import dtype_rules as _dtype_rules  # noqa: E402

_dtype_rules.install([__import__("sys").modules[__name__], nn.functional, Tensor])  # noqa: F405

# every sub-namespace answers a missing name with MissingFeatureError (see namespaces.py), and
# errors name the operation the user called (see frontends/op_errors.py): both last
from .. import op_errors as _op_errors  # noqa: E402
from . import namespaces as _namespaces  # noqa: E402, F401

_op_errors.name_errors(
    [__import__("sys").modules[__name__], nn.functional, linalg, special, fft, Tensor],  # noqa: F405
    also=_op_errors.namespaces_under(__import__("sys").modules[__name__]),
)
