"""Fixtures of the model tests: a fresh default graph per test, and the real frameworks.

Real TensorFlow runs as `tensorflow.compat.v1` in graph mode for the whole process (other test
folders switch it to graph mode too), so only compat.v1 graph APIs are used against it.
"""

import duograd.frontends.graph as dg_tf
import pytest


@pytest.fixture(autouse=True)
def fresh_graph():
    """A new empty default graph (and seed 0) for each test."""
    dg_tf.reset_default_graph()
    dg_tf.set_random_seed(0)
    yield
    dg_tf.reset_default_graph()


@pytest.fixture(scope="session")
def real_tf():
    """tensorflow.compat.v1 in graph mode (skips when TensorFlow is not installed)."""
    tf = pytest.importorskip("tensorflow")
    v1 = tf.compat.v1
    v1.disable_eager_execution()
    return v1


@pytest.fixture(scope="session")
def tf_cells(real_tf):
    """TF1's own RNN cell classes (BasicLSTMCell, LSTMCell, GRUCell, ...).

    With Keras 3, `tf.compat.v1.nn.rnn_cell` is gone from the public API; TensorFlow still ships
    the TF1 cells in its legacy module, which is what TF1 programs ran.
    """
    try:
        from tensorflow.python.keras.layers.legacy_rnn import rnn_cell_impl
    except ImportError:
        try:
            return real_tf.nn.rnn_cell
        except AttributeError:
            pytest.skip("this TensorFlow ships no TF1 RNN cells")
    return rnn_cell_impl


@pytest.fixture(scope="session")
def real_torch():
    """Real PyTorch (skips when it is not installed)."""
    return pytest.importorskip("torch")
