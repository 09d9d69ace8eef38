"""`tf.contrib.layers` names TF1 programs commonly use: flatten, fully_connected and the
Xavier initializers, mapped to their tf.layers / tf.initializers counterparts."""

from __future__ import annotations

from typing import Any

from . import init_ops
from .layers import dense
from .layers import flatten as _flatten
from .nn import relu
from .tensor import Tensor

_ZEROS = init_ops.Zeros()


def flatten(inputs: Any, outputs_collections: Any = None, scope: Any = None) -> Tensor:
    """Reshape to (batch, everything else)."""
    return _flatten(inputs, name=scope)


def fully_connected(
    inputs: Any, num_outputs: int, activation_fn: Any = relu, normalizer_fn: Any = None,
    normalizer_params: Any = None, weights_initializer: Any = None,
    weights_regularizer: Any = None, biases_initializer: Any = _ZEROS,
    biases_regularizer: Any = None, reuse: Any = None, variables_collections: Any = None,
    outputs_collections: Any = None, trainable: bool = True, scope: Any = None,
) -> Tensor:  # fmt: skip
    """A dense layer (ReLU by default) as tf.contrib.layers.fully_connected."""
    if normalizer_fn is not None:
        raise NotImplementedError(
            "fully_connected(normalizer_fn=...) is not supported; apply "
            "tf.layers.batch_normalization to the layer's output instead"
        )
    return dense(
        inputs, int(num_outputs), activation=activation_fn, use_bias=biases_initializer is not None,
        kernel_initializer=weights_initializer or init_ops.GlorotUniform(),
        bias_initializer=biases_initializer, kernel_regularizer=weights_regularizer,
        bias_regularizer=biases_regularizer, trainable=trainable, name=scope, reuse=reuse,
    )  # fmt: skip


def xavier_initializer(uniform: bool = True, seed: Any = None, dtype: Any = None) -> Any:
    """Glorot (Xavier) uniform or normal initialization."""
    return init_ops.GlorotUniform() if uniform else init_ops.GlorotNormal()


xavier_initializer_conv2d = xavier_initializer
