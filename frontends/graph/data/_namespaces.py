"""Attach this issue's names to the `tf` module: tf.data, tf.python_io, tf.io,
tf.train.Example, tf.parse_single_example and friends, tf.distributions, tf.random.categorical
and tf.multinomial."""

from __future__ import annotations

import types
from typing import Any

from . import example_proto, parsing, tfrecord

_PARSING = {
    "FixedLenFeature": parsing.FixedLenFeature,
    "VarLenFeature": parsing.VarLenFeature,
    "FixedLenSequenceFeature": parsing.FixedLenSequenceFeature,
    "parse_single_example": parsing.parse_single_example,
    "parse_example": parsing.parse_example,
    "decode_raw": parsing.decode_raw,
}
_RECORDS = {
    "TFRecordWriter": tfrecord.TFRecordWriter,
    "tf_record_iterator": tfrecord.tf_record_iterator,
    "TFRecordOptions": tfrecord.TFRecordOptions,
    "TFRecordCompressionType": tfrecord.TFRecordCompressionType,
}
_PROTOS = {
    "Example": example_proto.Example,
    "Features": example_proto.Features,
    "Feature": example_proto.Feature,
    "BytesList": example_proto.BytesList,
    "FloatList": example_proto.FloatList,
    "Int64List": example_proto.Int64List,
}


def _namespace(tf: Any, name: str, doc: str, members: dict) -> types.ModuleType:
    mod = getattr(tf, name, None)
    if not isinstance(mod, types.ModuleType):
        mod = types.ModuleType(f"{tf.__name__}.{name}", doc)
        setattr(tf, name, mod)
    for k, v in members.items():
        if not hasattr(mod, k):
            setattr(mod, k, v)
    return mod


def attach(tf: Any) -> list[str]:
    """Add the data names to module `tf`; the new top-level names."""
    tf.data.TFRecordDataset = tfrecord.TFRecordDataset
    _namespace(tf, "python_io", "tf.python_io: TFRecord files.", _RECORDS)
    _namespace(
        tf, "io", "tf.io: TFRecord files and Example parsing.",
        {**_RECORDS, **_PARSING, "decode_raw": parsing.decode_raw},
    )  # fmt: skip
    for k, v in _PROTOS.items():
        setattr(tf.train, k, v)
    from .. import distributions

    tf.distributions = distributions
    tf.random.categorical = distributions.categorical
    tf.random.multinomial = distributions.multinomial
    from .. import distributions_gamma as dgam

    tf.random.gamma = dgam.random_gamma
    for k in ("lgamma", "digamma", "polygamma", "igamma", "igammac", "erfinv", "ndtri"):
        math_ns = getattr(tf, "math", None)
        if math_ns is not None and not hasattr(math_ns, k):
            setattr(math_ns, k, getattr(dgam, k))
    from .. import sparse_ops as sp

    if not isinstance(getattr(tf, "sparse", None), types.ModuleType):
        tf.sparse = sp.namespace
    for k in ("SparseTensor", "reorder", "to_dense", "from_dense", "reduce_sum", "add"):
        if not hasattr(tf.sparse, k):
            setattr(tf.sparse, k, getattr(sp.namespace, k))
    tf.sparse.sparse_dense_matmul = sp.sparse_tensor_dense_matmul
    tf.nn.embedding_lookup_sparse = sp.embedding_lookup_sparse
    added = ["distributions", "sparse"]
    top = {
        "SparseTensor": sp.SparseTensor,
        "SparseTensorValue": sp.SparseTensorValue,
        "sparse_tensor_dense_matmul": sp.sparse_tensor_dense_matmul,
        "sparse_reduce_sum": sp.sparse_reduce_sum,
        "sparse_add": sp.sparse_add,
        "sparse_tensor_to_dense": sp.to_dense,
        "sparse_reorder": sp.reorder,
    }
    for k, v in top.items():
        if not hasattr(tf, k):
            setattr(tf, k, v)
            added.append(k)
    for k in ("random_gamma", "lgamma", "digamma", "polygamma", "igamma", "igammac", "erfinv"):
        if not hasattr(tf, k):
            setattr(tf, k, getattr(dgam, k))
            added.append(k)
    if not hasattr(tf, "multinomial"):
        tf.multinomial = distributions.multinomial
        added.append("multinomial")
    for k, v in _PARSING.items():
        if not hasattr(tf, k):
            setattr(tf, k, v)
            added.append(k)
    return ["python_io", "io", *added]
