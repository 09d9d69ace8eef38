"""Dilated convolution for TF oracle programs that runs on every CPU.

Real TensorFlow's CPU kernels for dilation rates above 1 exist only on some CPU paths (on AVX2
machines its gradient kernel raises InvalidArgumentError). When handed real TensorFlow,
`conv2d_dilated` builds the dilated filter itself with TF ops (zeros inserted between the taps)
and runs an undilated conv2d, so TF's own gradient flows back to the original filter. Handed
anything else (duograd's graph module or a test shim) it calls that module's dilated conv2d.
"""


def _is_real_tensorflow(tf: object) -> bool:
    """True for the `tensorflow` module or its compat.v1 namespace."""
    return getattr(tf, "__name__", "").startswith("tensorflow")


def _dilate_axis(tf, w, axis: int, rate: int):
    """Insert rate-1 zeros between the taps of filter `w` along spatial `axis` (0 or 1)."""
    if rate == 1:
        return w
    k = w.shape.as_list()[axis]
    w = tf.expand_dims(w, axis + 1)  # [..., k, 1, ...]
    zshape = w.shape.as_list()
    zshape[axis + 1] = rate - 1
    w = tf.concat([w, tf.zeros(zshape, w.dtype)], axis + 1)  # [..., k, rate, ...]
    shape = w.shape.as_list()
    merged = shape[:axis] + [k * rate] + shape[axis + 2 :]
    w = tf.reshape(w, merged)
    begin, size = [0] * 4, [-1] * 4
    size[axis] = (k - 1) * rate + 1  # drop the zeros after the last tap
    return tf.slice(w, begin, size)


def conv2d_dilated(tf, x, w, strides, padding: str, dilations):
    """`tf.nn.conv2d(x, w, strides, padding, dilations=dilations)` (NHWC) on any CPU."""
    if not _is_real_tensorflow(tf):
        return tf.nn.conv2d(x, w, strides, padding, dilations=dilations)
    rates = [dilations] * 4 if isinstance(dilations, int) else list(dilations)
    assert rates[0] == rates[3] == 1, "the batch and channel dilations of NHWC must be 1"
    w = tf.convert_to_tensor(w)
    w = _dilate_axis(tf, _dilate_axis(tf, w, 0, rates[1]), 1, rates[2])
    return tf.nn.conv2d(x, w, strides, padding)
