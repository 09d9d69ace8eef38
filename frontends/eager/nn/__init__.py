"""``torch.nn``: modules, parameters, losses, functional ops and initialisers."""

from __future__ import annotations

from . import functional, init, parallel, utils
from .attention import (
    MultiheadAttention,
    Transformer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from .containers import ModuleDict, ModuleList, Sequential
from .conv import AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, LayerNorm, MaxPool2d
from .ctc import CTCLoss
from .layers import (
    Dropout,
    Embedding,
    Flatten,
    Identity,
    LeakyReLU,
    Linear,
    LogSoftmax,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .module import Module
from .parameter import Parameter
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from .transformer import TransformerDecoder, TransformerDecoderLayer

__all__ = [
    "AvgPool2d",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv2d",
    "LayerNorm",
    "MaxPool2d",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "CTCLoss",
    "Dropout",
    "Embedding",
    "Flatten",
    "GRU",
    "GRUCell",
    "Identity",
    "L1Loss",
    "LSTM",
    "LSTMCell",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "Module",
    "MultiheadAttention",
    "ModuleDict",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "RNN",
    "RNNCell",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "Transformer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
    "TransformerDecoder",
    "TransformerDecoderLayer",
    "functional",
    "parallel",
    "init",
    "utils",
]

# A name this module does not provide raises NotImplementedError naming it (see missing.py).
from ..missing import module_getattr  # noqa: E402
from .activations_extra import Hardswish, PReLU  # noqa: E402, F401
from .extra_layers import *  # noqa: E402, F403  (more modules: see extra_layers.py)
from .norm_layers import (  # noqa: E402, F401  (GroupNorm, InstanceNorm: see norm_layers.py)
    GroupNorm,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
)
from .padding_layers import (  # noqa: E402, F401  (padding and more: see padding_layers.py)
    ConstantPad1d,
    ConstantPad2d,
    Dropout2d,
    ParameterList,
    ZeroPad1d,
    ZeroPad2d,
)

__getattr__ = module_getattr("torch.nn", globals())
from .batchnorm3d import BatchNorm3d  # noqa: E402, F401
from .conv3d import *  # noqa: E402, F403  (3-D convolution: see conv3d.py)
from .functional_more2 import (  # noqa: E402, F401  (unpooling, upsampling, margin losses)
    HingeEmbeddingLoss,
    MaxPool3d,
    MaxUnpool1d,
    MaxUnpool2d,
    MaxUnpool3d,
    MultiLabelMarginLoss,
    MultiLabelSoftMarginLoss,
    MultiMarginLoss,
    PoissonNLLLoss,
    SoftMarginLoss,
    Unfold,
    Upsample,
    UpsamplingBilinear2d,
    UpsamplingNearest2d,
)
from .layers_more2 import (  # noqa: E402, F401
    EmbeddingBag,
    ParameterDict,
    RNNBase,
    _modules_namespace,  # noqa: E402
)
from .pooling import *  # noqa: E402, F403  (adaptive pooling: see pooling.py)

globals().update(__import__(__name__ + ".more3_wiring", fromlist=["_"]).modules())

modules = _modules_namespace(__import__("sys").modules[__name__])

# inputs without a batch dimension, as torch takes them (see unbatched.py)
from . import unbatched as _unbatched  # noqa: E402

_unbatched.install_functional(functional.__name__)
_unbatched.install_layers(__name__)
for _cls, _rank, _sequences in (
    (TransformerEncoderLayer, 3, 1),  # noqa: F405
    (TransformerDecoderLayer, 3, 2),  # noqa: F405
    (TransformerEncoder, 3, 1),  # noqa: F405
    (TransformerDecoder, 3, 2),  # noqa: F405
    (Transformer, 3, 2),  # noqa: F405
    (MultiheadAttention, 3, 3),  # noqa: F405
):
    _unbatched.sequence_forward(_cls, _rank, _sequences)
