"""Wall time of the classic TF1 queue program (string_input_producer -> TFRecordReader ->
parse_single_example -> tf.train.batch -> logistic regression, 3 epochs of 40 records, batch 8,
graph building included) in duograd and in real TF1, interleaved in one process.

Run: python -m benchmarks.queue_program (from the repository root; needs tensorflow)."""

from __future__ import annotations

import pathlib
import statistics
import sys
import tempfile
import time


class _Dirs:
    def mktemp(self, name: str) -> pathlib.Path:
        return pathlib.Path(tempfile.mkdtemp(prefix=name))


def main(rounds: int = 4) -> None:
    """Print each framework's median over the rounds after the first (a warm-up)."""
    import tensorflow.compat.v1 as real

    real.disable_eager_execution()
    import duograd.frontends.graph as dg

    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests" / "graph"))
    import test_tf_queue_program as program

    paths, _ = program.files._fixture_function(_Dirs())
    times: dict = {"duograd": [], "tf": []}
    for _ in range(rounds):
        for name, tf in (("duograd", dg), ("tf", real)):
            with tf.Graph().as_default():
                t0 = time.perf_counter()
                program._program(tf, paths, shuffle=False)
                times[name].append(time.perf_counter() - t0)
    for name, ts in times.items():
        rounds_s = [round(t, 3) for t in ts]
        print(f"{name}: median {statistics.median(ts[1:]):.3f} s  (rounds {rounds_s})")


if __name__ == "__main__":
    main()
