"""Writes scikit-learn's training digits to a TFRecord file (tf.train.Example: 64 floats and
a label), the input of the TFRecord pipeline examples."""

from __future__ import annotations

import os

import duograd.frontends.graph as tf
import numpy as np


def write_digit_records(path: str) -> tuple[np.ndarray, np.ndarray]:
    """Write the training digits (64 pixels in [0, 1], label) as TFRecords at `path`; return
    the held-out test digits as flat float32 arrays and int64 labels."""
    from _model_data import digits

    x, y, x_test, y_test = digits()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with tf.python_io.TFRecordWriter(path) as writer:
        for pixels, label in zip(x.reshape(len(x), 64), y, strict=True):
            example = tf.train.Example(
                features=tf.train.Features(
                    feature={
                        "pixels": tf.train.Feature(float_list=tf.train.FloatList(value=pixels)),
                        "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[label])),
                    }
                )
            )
            writer.write(example.SerializeToString())
    return x_test.reshape(len(x_test), 64), y_test


def mlp_init(seed: int = 0) -> list[np.ndarray]:
    """(out, in) weights and zero biases of the 64-32-10 classifier both styles start from."""
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in ((64, 32), (32, 10)):
        bound = 1 / np.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))
        params.append(np.zeros(fan_out, np.float32))
    return params
