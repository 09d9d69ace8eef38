"""TFRecord files and Example parsing: compatible with real TF both ways; corruption named."""

import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.frontends.graph.data.tfrecord import crc32c, masked_crc32c


@pytest.fixture(autouse=True)
def _fresh_graph():
    tf.reset_default_graph()
    yield


def _example(t, i):
    return t.train.Example(
        features=t.train.Features(
            feature={
                "img": t.train.Feature(
                    float_list=t.train.FloatList(value=np.full(4, i + 0.5, np.float32))
                ),
                "raw": t.train.Feature(
                    bytes_list=t.train.BytesList(value=[np.arange(3, dtype=np.float32).tobytes()])
                ),
                "label": t.train.Feature(int64_list=t.train.Int64List(value=[i - 2])),
                "tags": t.train.Feature(int64_list=t.train.Int64List(value=list(range(i)))),
            }
        )
    )


FEATURES = {
    "img": ("fixed", [2, 2], "float32"),
    "raw": ("fixed", [], "string"),
    "label": ("fixed", [], "int64"),
    "tags": ("var", None, "int64"),
}


def _features(t):
    out = {}
    for k, (kind, shape, dt) in FEATURES.items():
        dtype = getattr(t, dt)
        out[k] = (
            t.io.FixedLenFeature(shape, dtype) if kind == "fixed" else t.io.VarLenFeature(dtype)
        )
    return out


def _write(path, n=5):
    with tf.python_io.TFRecordWriter(str(path)) as w:
        for i in range(n):
            w.write(_example(tf, i).SerializeToString())


def test_crc32c_known_values():
    assert crc32c(b"") == 0
    assert crc32c(b"123456789") == 0xE3069283  # the CRC-32C check value
    assert crc32c(bytes(32)) == 0x8A9136AA  # RFC 3720 test vector
    assert masked_crc32c(b"") == 0xA282EAD8


def test_write_iterate_parse_roundtrip(tmp_path):
    p = tmp_path / "a.tfrecord"
    _write(p)
    recs = list(tf.python_io.tf_record_iterator(str(p)))
    assert len(recs) == 5
    ex = tf.train.Example.FromString(recs[3])
    assert ex.features.feature["label"].int64_list.value == [1]
    assert ex == _example(tf, 3)
    parsed = tf.parse_single_example(recs[3], _features(tf))
    assert parsed["img"].shape == (2, 2) and parsed["img"].dtype == np.float32
    assert parsed["tags"].values.tolist() == [0, 1, 2]
    batch = tf.parse_example(recs[:3], _features(tf))
    assert batch["label"].tolist() == [-2, -1, 0]
    assert batch["tags"].dense_shape.tolist() == [3, 2]
    assert tf.decode_raw(parsed["raw"], tf.float32).tolist() == [0.0, 1.0, 2.0]


def test_tfrecord_dataset_map_parse_batch_in_session(tmp_path):
    p = tmp_path / "b.tfrecord"
    _write(p)
    feats = _features(tf)

    def parse(r):
        f = tf.parse_single_example(r, feats)
        return tf.reshape(f["img"], [4]) * 2.0, tf.decode_raw(f["raw"], tf.float32), f["label"]

    ds = tf.data.TFRecordDataset(str(p)).map(parse, num_parallel_calls=2).batch(2)
    x, raw, lab = ds.make_one_shot_iterator().get_next()
    assert x.shape.as_list() == [None, 4]
    with tf.Session() as s:
        got = []
        while True:
            try:
                got.append(s.run([x, raw, lab]))
            except tf.errors.OutOfRangeError:
                break
    assert [g[2].tolist() for g in got] == [[-2, -1], [0, 1], [2]]
    np.testing.assert_array_equal(got[0][0], [[1.0] * 4, [3.0] * 4])
    np.testing.assert_array_equal(got[2][1], [[0.0, 1.0, 2.0]])


def test_corrupt_and_truncated_records_name_file_and_offset(tmp_path):
    p = tmp_path / "c.tfrecord"
    _write(p, 3)
    data = bytearray(p.read_bytes())
    sizes = [len(r) + 16 for r in tf.python_io.tf_record_iterator(str(p))]
    first, second = sizes[0], sizes[0] + sizes[1]
    bad = bytearray(data)
    bad[first + 20] ^= 0xFF  # a data byte of the second record
    (tmp_path / "bad.tfrecord").write_bytes(bytes(bad))
    with pytest.raises(tf.errors.DataLossError, match=rf"offset {first} .*bad.tfrecord.*data"):
        list(tf.python_io.tf_record_iterator(str(tmp_path / "bad.tfrecord")))
    (tmp_path / "short.tfrecord").write_bytes(bytes(data[:-3]))
    with pytest.raises(tf.errors.DataLossError, match=rf"offset {second} .*truncated"):
        list(tf.python_io.tf_record_iterator(str(tmp_path / "short.tfrecord")))
    hdr = bytearray(data)
    hdr[0] ^= 1
    (tmp_path / "hdr.tfrecord").write_bytes(bytes(hdr))
    it = tf.data.TFRecordDataset(str(tmp_path / "hdr.tfrecord")).map(
        lambda r: tf.parse_single_example(r, _features(tf))["label"]
    )
    nxt = it.make_one_shot_iterator().get_next()
    with tf.Session() as s, pytest.raises(tf.errors.DataLossError, match="offset 0"):
        s.run(nxt)


def test_parse_errors_are_named():
    rec = _example(tf, 2).SerializeToString()
    with pytest.raises(tf.errors.InvalidArgumentError, match="'img' has 4 values.*needs 3"):
        tf.parse_single_example(rec, {"img": tf.FixedLenFeature([3], tf.float32)})
    with pytest.raises(tf.errors.InvalidArgumentError, match="'nope' is required but missing"):
        tf.parse_single_example(rec, {"nope": tf.FixedLenFeature([], tf.int64)})
    got = tf.parse_single_example(rec, {"nope": tf.FixedLenFeature([], tf.int64, 7)})
    assert int(got["nope"]) == 7
    with pytest.raises(tf.errors.InvalidArgumentError, match="'label' holds a int64 list"):
        tf.parse_single_example(rec, {"label": tf.FixedLenFeature([], tf.float32)})
    seq = tf.parse_single_example(
        rec, {"img": tf.io.FixedLenSequenceFeature([2], tf.float32, allow_missing=True)}
    )
    assert seq["img"].shape == (2, 2)


def test_files_written_by_real_tf_read_here_and_the_reverse(tmp_path):
    real = pytest.importorskip("tensorflow")
    theirs = tmp_path / "theirs.tfrecord"
    with real.io.TFRecordWriter(str(theirs)) as w:
        for i in range(4):
            w.write(_example(real, i).SerializeToString())
    mine = tmp_path / "mine.tfrecord"
    _write(mine, 4)
    # the same framing and sizes (map entries may come in another order)
    assert len(mine.read_bytes()) == len(theirs.read_bytes())
    recs = list(tf.python_io.tf_record_iterator(str(theirs)))
    assert [int(tf.parse_single_example(r, _features(tf))["label"]) for r in recs] == [-2, -1, 0, 1]
    back = list(real.compat.v1.io.tf_record_iterator(str(mine)))
    assert len(back) == 4
    for i, r in enumerate(back):
        ex = real.train.Example.FromString(r)
        assert list(ex.features.feature["tags"].int64_list.value) == list(range(i))
        assert list(ex.features.feature["img"].float_list.value) == [i + 0.5] * 4
    # real TF parses our records with the same values
    # (in a graph of its own: other oracle tests switch real TF to graph mode for the process)
    with real.Graph().as_default():
        parsed_t = real.io.parse_single_example(back[3], _features(real))
        with real.compat.v1.Session() as sess:
            parsed = sess.run(parsed_t)
    ours = tf.parse_single_example(back[3], _features(tf))
    np.testing.assert_array_equal(parsed["img"], ours["img"])
    assert parsed["label"] == ours["label"] and parsed["label"].dtype == np.int64
