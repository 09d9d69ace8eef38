"""`tf.layers.batch_normalization` / `tf.layers.BatchNormalization`, TF1's semantics.

Variables gamma, beta (trainable), moving_mean, moving_variance (not trainable) in the layer's
scope. With `training` true the output is normalised with the batch statistics
(`core.functional.batch_norm_train`, the composition the eager nn.BatchNorm runs) and two ops in
`tf.GraphKeys.UPDATE_OPS` move the averages: moving -= (moving - batch) * (1 - momentum). The
batch variance fed to moving_variance is unbiased (n / (n - 1)) for 4-D inputs, which TF runs
through its fused kernel, and biased otherwise (fused=False gives biased for 4-D too). Run the
update ops with the train op, e.g. under `tf.control_dependencies(update_ops)`. With `training`
false it uses the moving statistics; `training` may be a bool tensor.
"""

from __future__ import annotations

from typing import Any

from ...core import functional as F
from ...core import ops
from ...core.ir import Value
from . import dtypes as tfd
from . import init_ops
from .graph import GraphKeys
from .layers import Layer
from .math_ops import _tensor, known_rank
from .variable_scope import get_variable, variable_scope


class BatchNormalization(Layer):
    """Batch normalisation over `axis` (the channel axis; -1 for NHWC, 1 for NCHW)."""

    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = None,
        gamma_initializer: Any = None,
        moving_mean_initializer: Any = None,
        moving_variance_initializer: Any = None,
        trainable: bool = True,
        name: str | None = None,
        fused: Any = None,
        renorm: bool = False,
        virtual_batch_size: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, trainable=trainable)
        if renorm or virtual_batch_size is not None:
            raise NotImplementedError("batch_normalization: renorm and virtual_batch_size")
        if isinstance(axis, (list, tuple)):
            if len(axis) != 1:
                raise NotImplementedError("batch_normalization: only one channel axis")
            axis = axis[0]
        self.axis, self.momentum, self.epsilon = int(axis), float(momentum), float(epsilon)
        self.center, self.scale, self.fused = center, scale, fused
        self.inits = (
            beta_initializer or init_ops.Zeros(),
            gamma_initializer or init_ops.Ones(),
            moving_mean_initializer or init_ops.Zeros(),
            moving_variance_initializer or init_ops.Ones(),
        )
        self.gamma = self.beta = self.moving_mean = self.moving_variance = None
        self._scope = None

    def build(self, channels: int, dtype: tfd.DType) -> None:
        """gamma, beta, moving_mean, moving_variance (in TF's creation order)."""
        beta_i, gamma_i, mean_i, var_i = self.inits
        shape = (channels,)
        if self.scale:
            self.gamma = get_variable(
                "gamma", shape, dtype=dtype, initializer=gamma_i, trainable=self.trainable
            )
        if self.center:
            self.beta = get_variable(
                "beta", shape, dtype=dtype, initializer=beta_i, trainable=self.trainable
            )
        stat = dict(dtype=dtype, trainable=False)
        self.moving_mean = get_variable("moving_mean", shape, initializer=mean_i, **stat)
        self.moving_variance = get_variable("moving_variance", shape, initializer=var_i, **stat)
        made = [self.gamma, self.beta, self.moving_mean, self.moving_variance]
        self._variables.extend(v for v in made if v is not None)
        self.built = True

    def _update(self, x: Any, mean: Any, var: Any, training: Any, axes: tuple) -> list:
        """The two moving-average update ops."""
        fused = self.fused if self.fused is not None else len(x.shape) == 4
        if fused:  # n / (n - 1) with n counted at run time (1 when n <= 1, as TF's kernel)
            n = ops.count_like(x, axes)
            one = ops.scalar(1, n)
            var = ops.mul(var, ops.div(n, ops.maximum(ops.sub(n, one), one)))
        decay = ops.scalar(1.0 - self.momentum, mean)
        if isinstance(training, Value):
            decay = ops.where(training, decay, ops.scalar(0, mean))
        updates = []
        for moving, value in ((self.moving_mean, mean), (self.moving_variance, var)):
            delta = ops.mul(ops.sub(moving, value), decay)
            updates.append(moving.assign_sub(delta))
        return updates

    def __call__(self, inputs: Any, training: Any = False) -> Any:
        x = _tensor(inputs)
        known_rank("batch_normalization", x)
        if isinstance(training, Value):  # an unshaped bool placeholder keeps static shapes
            from .control_flow_more import scalar_pred

            training = scalar_pred(training, "batch_normalization")
        nd = len(x.shape)
        axis = self.axis % nd
        channels = x.shape[axis]
        if channels is None:
            raise ValueError(f"batch_normalization: the channel axis {axis} of {x} is unknown")
        if not tfd.as_dtype(x.dtype).is_floating:
            raise TypeError(f"batch_normalization: inputs must be float, got {x}")
        scope_arg = self._scope if self._scope is not None else self.name
        with variable_scope(scope_arg, default_name="batch_normalization") as scope:
            if not self.built:
                self._scope = scope
                self.build(int(channels), x.dtype)
            axes = tuple(i for i in range(nd) if i != axis)
            eps = self.epsilon
            gamma, beta = self.gamma, self.beta

            def infer():
                return F.batch_norm(
                    x, gamma, beta, self.moving_mean, self.moving_variance, eps, axis=axis
                )

            if training is False or training is None:
                return x.graph.build_op("FusedBatchNorm", None, infer, default="batchnorm")
            y, mean, var = F.batch_norm_train(x, gamma, beta, eps, axes)
            if isinstance(training, Value):
                y = ops.where(training, y, infer())
            for u in self._update(x, mean, var, training, axes):
                x.graph.add_to_collection(GraphKeys.UPDATE_OPS, u)
        return y


def batch_normalization(
    inputs: Any,
    axis: int = -1,
    momentum: float = 0.99,
    epsilon: float = 1e-3,
    center: bool = True,
    scale: bool = True,
    beta_initializer: Any = None,
    gamma_initializer: Any = None,
    moving_mean_initializer: Any = None,
    moving_variance_initializer: Any = None,
    beta_regularizer: Any = None,
    gamma_regularizer: Any = None,
    beta_constraint: Any = None,
    gamma_constraint: Any = None,
    training: Any = False,
    trainable: bool = True,
    name: str | None = None,
    reuse: Any = None,
    renorm: bool = False,
    renorm_clipping: Any = None,
    renorm_momentum: float = 0.99,
    fused: Any = None,
    virtual_batch_size: Any = None,
    adjustment: Any = None,
) -> Any:
    """Batch-normalise `inputs` (see the module notes); add the update ops to UPDATE_OPS."""
    layer = BatchNormalization(
        axis, momentum, epsilon, center, scale, beta_initializer, gamma_initializer,
        moving_mean_initializer, moving_variance_initializer, trainable, name, fused, renorm,
        virtual_batch_size,
    )  # fmt: skip
    if reuse:
        with variable_scope(name or "batch_normalization", reuse=reuse) as scope:
            layer._scope = scope
            return layer(inputs, training=training)
    return layer(inputs, training=training)


__all__ = ["BatchNormalization", "batch_normalization"]
