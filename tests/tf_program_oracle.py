"""One TF1 program run in duograd's graph style and in real TF1, its value and gradient
compared: the shared runner of the tf-surface oracle tables."""

import numpy as np


def run_program(tf, program, x_value, diff):
    """program(tf, x) on a placeholder fed x_value; its value, and d sum(y^2)/dx when diff."""
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.as_dtype(x_value.dtype), x_value.shape)
        y = program(tf, x)
        fetch = [y]
        if diff:
            fetch += tf.gradients(tf.reduce_sum(y * y), x)
        with tf.Session(graph=g) as s:
            return s.run(fetch, {x: x_value})


def assert_programs_agree(ours_tf, real_tf, name, program, x, diff, tol):
    """The program's value (and gradient) alike in both, dtypes and shapes equal."""
    ours = run_program(ours_tf, program, x, diff)
    theirs = run_program(real_tf, program, x, diff)
    for a, b in zip(ours, theirs, strict=True):
        a, b = np.asarray(a), np.asarray(b)
        assert a.dtype == b.dtype, (name, a.dtype, b.dtype)
        assert a.shape == b.shape, (name, a.shape, b.shape)
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=name)
