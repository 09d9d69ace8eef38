"""Checkpoints survive a killed writer, refuse damaged and hostile files, and cross styles.

- A child process saving large checkpoints in a loop is SIGKILLed at random moments; the file
  it was replacing always loads, whole and self-consistent (the save is temp file + fsync +
  rename).
- Truncated and corrupted files raise CheckpointError naming the file, whichever byte is hit.
- A file that would run a command when unpickled (an .npz holding an object array, a raw pickle
  renamed .npz) is refused by every loader, and the marker file the command would create never
  appears; the same payloads do create it when unpickled deliberately, so they are live.
- A state dict saved by the eager style restores into graph variables (and back) through
  `interop` mappings, and both styles then compute bit-identical outputs.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
import zipfile

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core.checkpoint import CheckpointError, load_arrays, save_arrays
from duograd.frontends.eager import interop as eager_interop
from duograd.frontends.graph import interop as graph_interop
from numba.core import config as numba_config

nn = torch.nn

# CI also runs this file as plain Python (NUMBA_DISABLE_JIT=1) to measure coverage of the
# checkpoint code; the tests that run models need matmul, whose micro-kernel only compiles
needs_jit = pytest.mark.skipif(
    bool(numba_config.DISABLE_JIT),
    reason="runs matmul, an LLVM intrinsic with no pure-Python form (NUMBA_DISABLE_JIT=1)",
)

# ---- a writer killed mid-save ------------------------------------------------------------------

_WRITER = textwrap.dedent(
    """
    import sys
    import numpy as np
    from duograd.core.checkpoint import save_arrays

    path, version = sys.argv[1], int(sys.argv[2])
    n = 1 << 21  # 8 MB of float32 plus 8 MB of float64 per save: fsync takes a while
    print("ready", flush=True)
    while True:
        tree = {"version": version, "a": np.full(n, version, np.float32),
                "b": np.full(n // 2, -version, np.float64)}
        save_arrays(path, tree)
        version += 1
    """
)


def _consistent(tree: dict) -> int:
    v = tree["version"]
    assert tree["a"].shape == (1 << 21,) and tree["b"].shape == (1 << 20,)
    assert (tree["a"] == v).all() and (tree["b"] == -v).all()
    return v


def _temps(folder) -> set:
    return {n for n in os.listdir(folder) if n.startswith(".tmp-")}


def test_killing_a_writer_mid_save_leaves_the_previous_checkpoint_intact(tmp_path):
    path = tmp_path / "big.npz"
    script = tmp_path / "writer.py"
    script.write_text(_WRITER)
    n = 1 << 21
    save_arrays(path, {"version": 0, "a": np.zeros(n, np.float32), "b": np.zeros(n // 2)})
    rng = np.random.default_rng(1234)
    last, mid_write = 0, 0
    for _ in range(4):
        proc = subprocess.Popen(
            [sys.executable, str(script), str(path), str(last + 1)],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stdout.readline().strip() == "ready"
            before = _temps(tmp_path)
            time.sleep(float(rng.uniform(0.05, 0.8)))
            writing = bool(_temps(tmp_path) - before)  # a temp file of this writer exists
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.kill()
            proc.wait()
            proc.stdout.close()
        mid_write += writing
        v = _consistent(load_arrays(path))  # whole and self-consistent
        assert v >= last  # never an older file than one already seen
        last = v
    # the dangerous window was hit: at least one kill landed while a save was in flight
    assert mid_write >= 1
    # leftover temp files of killed writers never shadow the checkpoint itself
    assert _consistent(load_arrays(path)) == last


# ---- damaged files -----------------------------------------------------------------------------


@pytest.fixture
def saved(tmp_path):
    """A small checkpoint's path and the bytes of the file."""
    path = tmp_path / "c.npz"
    save_arrays(path, {"w": np.arange(12, dtype=np.float32).reshape(3, 4), "step": 7})
    return path, path.read_bytes()


@pytest.mark.parametrize("keep", [0, 3, 30, 0.5, -1])
def test_truncated_files_raise_naming_the_file(saved, keep):
    path, data = saved
    n = int(len(data) * keep) if isinstance(keep, float) else keep % len(data)
    path.write_bytes(data[:n])
    with pytest.raises(CheckpointError, match="c.npz"):
        load_arrays(path)


def test_every_single_byte_corruption_is_refused_or_harmless(saved):
    # flip each byte in turn: the file must either load the exact original values (the byte
    # was a timestamp or similar) or raise CheckpointError, never another error or wrong data
    path, data = saved
    outcomes = {"refused": 0, "harmless": 0}
    for i in range(len(data)):
        bad = bytearray(data)
        bad[i] ^= 0xFF
        path.write_bytes(bytes(bad))
        try:
            tree = load_arrays(path)
        except CheckpointError as e:
            assert "c.npz" in str(e)
            outcomes["refused"] += 1
            continue
        assert tree["step"] == 7
        np.testing.assert_array_equal(tree["w"], np.arange(12, dtype=np.float32).reshape(3, 4))
        outcomes["harmless"] += 1
    assert outcomes["refused"] > len(data) // 2


def test_a_json_structure_that_is_not_a_checkpoint_is_refused(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, __tree__=np.frombuffer(b'{"format": "something-else"}', np.uint8))
    with pytest.raises(CheckpointError, match="not a duograd checkpoint"):
        load_arrays(path)


# ---- hostile files -----------------------------------------------------------------------------


class _RunsCommand:
    """Unpickling this runs a shell command that creates the marker file."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch '{self.marker}'",))


def _header(tree: dict) -> np.ndarray:
    import json

    text = json.dumps({"format": "duograd-checkpoint", "version": 1, "tree": tree})
    return np.frombuffer(text.encode(), np.uint8)


def _hostile_files(folder, marker: str) -> dict:
    payload = np.array([_RunsCommand(marker)], dtype=object)
    files = {}
    # 1. a well-formed checkpoint whose one array is an object array (a pickle)
    p = folder / "object_array.npz"
    np.savez(p, __tree__=_header({"__dict__": [["weight", {"__array__": 0}]]}), a0=payload)
    files["object-array npz"] = p
    # 2. the same inside a saver-style structure, so every loader gets past the structure
    p = folder / "object_array_saver.npz"
    tree = {"__dict__": [["variables", {"__dict__": [["W", {"__array__": 0}]]}]]}
    np.savez(p, __tree__=_header(tree), a0=payload)
    files["object-array saver npz"] = p
    # 3. a raw pickle renamed .npz
    p = folder / "raw_pickle.npz"
    p.write_bytes(pickle.dumps({"weight": _RunsCommand(marker)}))
    files["raw pickle"] = p
    # 4. a protocol-0 pickle (text, no binary opcode at the start) renamed .npz
    p = folder / "text_pickle.npz"
    p.write_bytes(pickle.dumps({"weight": _RunsCommand(marker)}, protocol=0))
    files["protocol-0 pickle"] = p
    # 5. a zip whose member .npy is a pickle
    p = folder / "pickle_member.npz"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("__tree__.npy", b"")
        z.writestr("a0.npy", pickle.dumps(_RunsCommand(marker)))
    files["pickle member"] = p
    return files


def _loaders(tmp_path) -> dict:
    g = tf.Graph()
    with g.as_default():
        w = tf.Variable(np.zeros((1,), np.float32), name="W")
        saver = tf.train.Saver([w])
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
    model = nn.Linear(1, 1)
    return {
        "core.load_arrays": load_arrays,
        "torch.load": torch.load,
        "tf.train.Saver.restore": lambda p: saver.restore(sess, str(p)),
        "graph load_torch_state_dict": lambda p: graph_interop.load_torch_state_dict(
            sess, p, {"weight": "W"}
        ),
        "eager load_tf_checkpoint": lambda p: eager_interop.load_tf_checkpoint(
            model, str(p), {"weight": "W"}
        ),
    }


def test_hostile_files_are_refused_and_run_nothing(tmp_path):
    marker = tmp_path / "MARKER-code-ran"
    files = _hostile_files(tmp_path, str(marker))
    for kind, path in files.items():
        for name, load in _loaders(tmp_path).items():
            with pytest.raises(CheckpointError) as info:
                load(path)
            assert path.name in str(info.value), (kind, name)
            assert not marker.exists(), f"{name} ran code from a {kind} file"


def test_the_hostile_payloads_are_live(tmp_path):
    # the refusal above is meaningful: unpickling these very files does run the command
    marker = tmp_path / "MARKER-code-ran"
    files = _hostile_files(tmp_path, str(marker))
    with open(files["raw pickle"], "rb") as f:
        pickle.load(f)  # noqa: S301 - deliberately unsafe, to prove the payload works
    assert marker.exists()
    marker.unlink()
    with np.load(files["object-array npz"], allow_pickle=True) as z:
        z["a0"]
    assert marker.exists()


# ---- across the two styles ---------------------------------------------------------------------


def _mlp_eager():
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))


_MLP_MAP = {
    **graph_interop.linear_pairs("0", "dense"),
    **graph_interop.linear_pairs("2", "dense_1"),
}


def _mlp_graph():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 4], name="x")
        h = tf.layers.dense(x, 8, activation=tf.tanh)
        y = tf.layers.dense(h, 3)
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
    return g, sess, x, y


X = np.random.default_rng(5).standard_normal((6, 4)).astype(np.float32)


@needs_jit
def test_an_eager_state_dict_file_restores_into_graph_variables(tmp_path):
    torch.manual_seed(3)
    model = _mlp_eager()
    path = tmp_path / "mlp.pt"
    torch.save(model.state_dict(), path)
    expected = model(torch.tensor(X)).detach().numpy()
    g, sess, x, y = _mlp_graph()
    loaded = graph_interop.load_torch_state_dict(sess, path, _MLP_MAP)
    assert sorted(loaded) == sorted(model.state_dict())
    got = sess.run(y, {x: X})
    assert got.tobytes() == expected.tobytes()


@needs_jit
def test_graph_variables_restore_into_an_eager_model_and_back(tmp_path):
    g, sess, x, y = _mlp_graph()
    with g.as_default():
        loss = tf.reduce_mean(tf.square(y))
        train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
        saver = tf.train.Saver()
    for _ in range(3):
        sess.run(train, {x: X})
    expected = sess.run(y, {x: X})
    prefix = saver.save(sess, str(tmp_path / "mlp.ckpt"))
    model = _mlp_eager()
    eager_interop.load_tf_checkpoint(model, prefix, _MLP_MAP)
    assert model(torch.tensor(X)).detach().numpy().tobytes() == expected.tobytes()
    # and back: eager -> a Saver checkpoint -> a fresh graph session
    out_prefix = str(tmp_path / "from_eager")
    eager_interop.save_tf_checkpoint(model, out_prefix, _MLP_MAP)
    g2, sess2, x2, y2 = _mlp_graph()
    with g2.as_default():
        tf.train.Saver().restore(sess2, out_prefix)
    assert sess2.run(y2, {x2: X}).tobytes() == expected.tobytes()


@needs_jit
def test_graph_variables_written_as_an_eager_state_dict(tmp_path):
    g, sess, x, y = _mlp_graph()
    path = tmp_path / "from_graph.pt"
    graph_interop.save_torch_state_dict(sess, path, _MLP_MAP)
    model = _mlp_eager()
    model.load_state_dict(torch.load(path))
    assert model(torch.tensor(X)).detach().numpy().tobytes() == sess.run(y, {x: X}).tobytes()


@needs_jit
def test_a_conv_layer_crosses_styles_with_its_filter_permuted(tmp_path):
    torch.manual_seed(4)
    conv = nn.Conv2d(3, 4, 3, padding=1)
    xs = np.random.default_rng(6).standard_normal((2, 3, 6, 6)).astype(np.float32)
    expected = conv(torch.tensor(xs)).detach().numpy()
    path = tmp_path / "conv.pt"
    torch.save(conv.state_dict(), path)
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 6, 6, 3])
        y = tf.layers.conv2d(x, 4, 3, padding="same")
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
    mapping = {
        "weight": graph_interop.permuted("conv2d/kernel", graph_interop.CONV2D_OIHW_TO_HWIO),
        "bias": "conv2d/bias",
    }
    graph_interop.load_torch_state_dict(sess, path, mapping)
    got = sess.run(y, {x: xs.transpose(0, 2, 3, 1)}).transpose(0, 3, 1, 2)
    assert np.ascontiguousarray(got).tobytes() == expected.tobytes()


def test_a_mapping_that_misses_or_misplaces_entries_changes_nothing(tmp_path):
    model = _mlp_eager()
    path = tmp_path / "mlp.pt"
    torch.save(model.state_dict(), path)
    g, sess, x, y = _mlp_graph()
    before = {k.node.name: v.copy() for k, v in sess._state.items()}
    partial = dict(_MLP_MAP)
    del partial["2.bias"]
    with pytest.raises(ValueError, match=r"2\.bias"):
        graph_interop.load_torch_state_dict(sess, path, partial)  # strict: unplaced entry
    wrong = dict(_MLP_MAP, **{"2.weight": "dense_1/kernel"})  # not transposed
    with pytest.raises(ValueError, match="dense_1/kernel"):
        graph_interop.load_torch_state_dict(sess, path, wrong)
    with pytest.raises(ValueError, match="no entries"):
        graph_interop.load_torch_state_dict(sess, path, {**_MLP_MAP, "9.weight": "dense/kernel"})
    after = {k.node.name: v for k, v in sess._state.items()}
    assert all(before[k].tobytes() == after[k].tobytes() for k in before)
