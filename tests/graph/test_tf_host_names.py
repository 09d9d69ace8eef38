"""tf.logging, tf.gfile, tf.flags.mark_flag_as_required, tf.eye, tf.norm and
tf.initialize_local_variables, against real TensorFlow where it still has them."""

import logging

import duograd.frontends.graph as dg
import numpy as np
import pytest

real_tf = pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def ref():
    """tensorflow.compat.v1 in graph mode."""
    v1 = real_tf.compat.v1
    v1.disable_eager_execution()
    return v1


class _Records(logging.Handler):
    """Keeps what reaches it (independent of handlers other libraries put on the root logger)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_logging_levels_and_calls():
    log = dg.logging
    assert (log.DEBUG, log.INFO, log.WARN, log.ERROR, log.FATAL) == (10, 20, 30, 40, 50)
    log.set_verbosity(log.INFO)
    assert log.get_verbosity() == log.INFO
    logger = logging.getLogger("duograd.tf")
    records = _Records()
    logger.addHandler(records)
    try:
        log.info("step %d", 3)
        for _ in range(5):
            log.log_every_n(log.INFO, "every", 2)
    finally:
        logger.removeHandler(records)
        log.set_verbosity(log.WARN)
    assert records.messages.count("every") == 3 and "step 3" in records.messages


def test_gfile_matches_real_tf(ref, tmp_path):
    for tf, sub in ((dg, "ours"), (ref, "theirs")):
        root = tmp_path / sub
        tf.gfile.MakeDirs(str(root / "a" / "b"))
        with tf.gfile.GFile(str(root / "a" / "f.txt"), "w") as f:
            f.write("one\ntwo\n")
        with tf.gfile.Open(str(root / "a" / "f.txt")) as f:
            assert f.readlines() == ["one\n", "two\n"]
        tf.gfile.Copy(str(root / "a" / "f.txt"), str(root / "g.txt"))
        assert tf.gfile.Exists(str(root / "g.txt")) and tf.gfile.IsDirectory(str(root / "a"))
        assert sorted(tf.gfile.ListDirectory(str(root))) == ["a", "g.txt"]
        assert [p.split("/")[-1] for p in tf.gfile.Glob(str(root / "a" / "*.txt"))] == ["f.txt"]
        tf.gfile.DeleteRecursively(str(root / "a"))
        assert not tf.gfile.Exists(str(root / "a"))
        with pytest.raises(dg.errors.NotFoundError if tf is dg else ref.errors.NotFoundError):
            tf.gfile.ListDirectory(str(root / "missing"))


def test_mark_flag_as_required_stops_run():
    from duograd.frontends.graph import app

    app.flags.DEFINE_string("needed_path_xyz", None, "a required flag")
    dg.flags.mark_flag_as_required("needed_path_xyz")
    with pytest.raises(SystemExit, match="needed_path_xyz"):
        dg.app.run(lambda argv: 0, argv=["prog"])
    with pytest.raises(SystemExit) as done:
        dg.app.run(lambda argv: 0, argv=["prog", "--needed_path_xyz=/tmp"])
    assert done.value.code == 0


def test_eye_norm_and_local_initializer_match_real_tf(ref):
    x = np.array([[3.0, -4.0], [1.0, 2.0]], np.float32)

    def run(tf):
        with tf.Graph().as_default():
            t = tf.constant(x)
            outs = [
                tf.eye(3),
                tf.eye(2, 3, dtype=tf.float64),
                tf.eye(2, batch_shape=[2]),
                tf.norm(t),
                tf.norm(t, axis=1),
                tf.norm(t, ord=1, axis=0, keepdims=True),
                tf.norm(t, ord=np.inf, axis=1),
            ]
            g = tf.gradients(tf.norm(t), t)[0]
            with tf.Session() as s:
                s.run(tf.initialize_local_variables())
                return s.run([*outs, g])

    for a, b in zip(run(dg), run(ref), strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-6)
