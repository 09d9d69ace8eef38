"""Attach the TF1 queue pipeline (queues.py, queue_runner.py, input_pipeline.py, readers.py) to
the frontend's namespaces: `tf.FIFOQueue`, `tf.train.batch`, `tf.TFRecordReader`, ..."""

from __future__ import annotations

import types

from . import input_pipeline as IP
from . import queue_runner as QR
from . import queues as Q
from . import readers as R

_QUEUES = ("FIFOQueue", "RandomShuffleQueue", "PaddingFIFOQueue", "QueueBase")
_TRAIN = (
    "input_producer string_input_producer range_input_producer slice_input_producer batch "
    "maybe_batch batch_join shuffle_batch shuffle_batch_join"
).split()
_READERS = ("ReaderBase", "TextLineReader", "TFRecordReader", "WholeFileReader")


def attach(tf: types.ModuleType) -> list[str]:
    """Add the queue names to `tf` and its namespaces; the new top-level names."""
    top = {n: getattr(Q, n) for n in _QUEUES}
    top.update({n: getattr(R, n) for n in _READERS})
    top.update(decode_csv=R.decode_csv, read_file=R.read_file)
    for k, v in top.items():
        setattr(tf, k, v)
    for n in _TRAIN:
        setattr(tf.train, n, getattr(IP, n))
    tf.train.QueueRunner, tf.train.Coordinator = QR.QueueRunner, QR.Coordinator
    tf.train.add_queue_runner = QR.add_queue_runner
    tf.train.start_queue_runners = QR.start_queue_runners
    tf.train.queue_runner = types.ModuleType(
        "duograd.frontends.graph.train.queue_runner", "tf.train.queue_runner."
    )
    tf.train.queue_runner.QueueRunner = QR.QueueRunner
    tf.train.queue_runner.add_queue_runner = QR.add_queue_runner
    tf.train.queue_runner.start_queue_runners = QR.start_queue_runners
    tf.queue = types.ModuleType("duograd.frontends.graph.queue", "tf.queue: TF1 queues.")
    for n in _QUEUES:
        setattr(tf.queue, n, getattr(Q, n))
    tf.io.decode_csv, tf.io.read_file = R.decode_csv, R.read_file
    return [*top, "queue"]
