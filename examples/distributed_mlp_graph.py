"""Data-parallel MLP training, TF1 + Horovod style: `mpiexec -n 2 python distributed_mlp_graph.py`.

hvd.init(), hvd.DistributedOptimizer (gradients averaged inside the session's plan) and
hvd.BroadcastGlobalVariablesHook (rank 0's initial weights everywhere). Each rank takes its
share of the rows (the same shares as the eager example's DistributedSampler), so the final
checksum equals distributed_mlp_eager.py's for the same number of processes.
"""

import hashlib

import _common
import duograd.frontends.graph as tf
import numpy as np
from _progress import Progress
from duograd.core.distributed import shard_indices

SIZES = (4, 32, 3)
BATCH = 32  # per rank


def main() -> None:
    """Train; rank 0 prints the losses and a checksum of the final weights."""
    args = _common.parse(__doc__.splitlines()[0], steps=60)
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        print("skipped: needs mpi4py and an MPI library (pip install 'duograd[dist]')")
        return
    import duograd.frontends.graph.horovod as hvd

    hvd.init()
    rank, size = hvd.rank(), hvd.size()
    x_data, y_data = _common.blobs()
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, SIZES[0]])
        y = tf.placeholder(tf.int64, [None])
        params = [tf.Variable(v) for v in _common.mlp_init(SIZES)]
        w1, b1, w2, b2 = params
        h = tf.nn.relu(tf.matmul(x, w1, transpose_b=True) + b1)
        logits = tf.matmul(h, w2, transpose_b=True) + b2
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        )
        opt = hvd.DistributedOptimizer(tf.train.AdamOptimizer(0.01, eps_mode="torch"))
        train_op = opt.minimize(loss)
        hook = hvd.BroadcastGlobalVariablesHook(0)
        hook.begin()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            hook.after_create_session(sess)
            step, epoch = 0, 0
            progress = Progress(args.steps, rank != 0 or args.quiet)  # rank 0 reports
            while step < args.steps:
                idx = np.array(shard_indices(len(x_data), size, rank, seed=0, epoch=epoch))
                for start in range(0, len(idx) - BATCH + 1, BATCH):
                    rows = idx[start : start + BATCH]
                    _, value = sess.run([train_op, loss], {x: x_data[rows], y: y_data[rows]})
                    progress.update(step, float(value))
                    step += 1
                    if step == args.steps:
                        break
                epoch += 1
            final = sess.run(params)
    digest = hashlib.sha256(b"".join(np.asarray(a).tobytes() for a in final))
    if rank == 0:
        print(f"{size} process(es), {step} steps: weights sha256 {digest.hexdigest()[:16]}")
    hvd.shutdown()


if __name__ == "__main__":
    main()
