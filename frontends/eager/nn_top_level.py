"""The ``torch.*`` names that are ``torch.nn.functional`` functions under another roof:
``torch.conv2d``, ``torch.dropout``, ``torch.embedding``, ``torch.batch_norm``, ...

Most keep F's signature and are F's functions themselves. A few have their own argument order
at torch's top level (``embedding(weight, indices)``, ``batch_norm(input, weight, bias,
running_mean, running_var, ...)``, the pools that always return indices); those are wrapped.
A name is exported only when `nn.functional` provides it.
"""

from __future__ import annotations

from typing import Any

from .nn import functional as F

# same signature at both places (torch's extra trailing flags such as cudnn_enable are ignored)
_SAME = (
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "pixel_shuffle", "pixel_unshuffle", "prelu", "selu", "celu", "rrelu", "threshold",
    "hardshrink", "cosine_similarity", "pairwise_distance", "pdist", "avg_pool1d",
    "adaptive_avg_pool1d", "bilinear", "channel_shuffle",
)  # fmt: skip


def dropout(input: Any, p: float, train: bool) -> Any:
    """F.dropout with torch's positional (input, p, train)."""
    return F.dropout(input, p, train)


def alpha_dropout(input: Any, p: float, train: bool) -> Any:
    """F.alpha_dropout with torch's positional (input, p, train)."""
    return F.alpha_dropout(input, p, train)


def embedding(weight: Any, indices: Any, padding_idx: int = -1, scale_grad_by_freq: bool = False,
              sparse: bool = False) -> Any:  # fmt: skip
    """Rows of weight at indices (torch's top-level order: weight first)."""
    pad = None if padding_idx is None or padding_idx < 0 else padding_idx
    return F.embedding(indices, weight, pad)


def batch_norm(input: Any, weight: Any, bias: Any, running_mean: Any, running_var: Any,
               training: bool, momentum: float, eps: float,
               cudnn_enabled: bool = True) -> Any:  # fmt: skip
    """F.batch_norm in torch's top-level argument order."""
    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(input: Any, weight: Any, bias: Any, running_mean: Any, running_var: Any,
                  use_input_stats: bool, momentum: float, eps: float,
                  cudnn_enabled: bool = True) -> Any:  # fmt: skip
    """F.instance_norm in torch's top-level argument order."""
    return F.instance_norm(
        input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps
    )


def layer_norm(input: Any, normalized_shape: Any, weight: Any = None, bias: Any = None,
               eps: float = 1e-05, cudnn_enable: bool = True) -> Any:  # fmt: skip
    """F.layer_norm (torch's trailing cudnn_enable flag is ignored)."""
    return F.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input: Any, num_groups: int, weight: Any = None, bias: Any = None,
               eps: float = 1e-05, cudnn_enabled: bool = True) -> Any:  # fmt: skip
    """F.group_norm (torch's trailing cudnn_enabled flag is ignored)."""
    return F.group_norm(input, num_groups, weight, bias, eps)


def max_pool1d(input: Any, kernel_size: Any, stride: Any = (), padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False) -> Any:  # fmt: skip
    """F.max_pool1d (an empty stride means the kernel size, as torch)."""
    return F.max_pool1d(input, kernel_size, stride or None, padding, dilation, ceil_mode)


def max_pool2d(input: Any, kernel_size: Any, stride: Any = (), padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False) -> Any:  # fmt: skip
    """F.max_pool2d (an empty stride means the kernel size, as torch)."""
    return F.max_pool2d(input, kernel_size, stride or None, padding, dilation, ceil_mode)


_WRAPPED = {
    "dropout": "dropout", "alpha_dropout": "alpha_dropout", "embedding": "embedding",
    "batch_norm": "batch_norm", "instance_norm": "instance_norm", "layer_norm": "layer_norm",
    "group_norm": "group_norm", "max_pool1d": "max_pool1d", "max_pool2d": "max_pool2d",
}  # fmt: skip


def _exports() -> dict[str, Any]:
    out: dict[str, Any] = {name: getattr(F, name) for name in _SAME if _provided(name)}
    for name, f_name in _WRAPPED.items():
        if _provided(f_name):
            out[name] = globals()[name]
    return out


def _provided(name: str) -> bool:
    try:
        getattr(F, name)
    except (AttributeError, NotImplementedError):
        return False
    return True


EXPORTS = _exports()
globals().update(EXPORTS)
__all__ = sorted(EXPORTS)
