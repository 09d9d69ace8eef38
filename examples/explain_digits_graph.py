"""Explain the digits CNN in the TF1 style: IG, Grad-CAM and occlusion tensors in the graph.

Run: python examples/explain_digits_graph.py [--steps N] [--out DIR] [--check]. Needs
scikit-learn and matplotlib. It trains cnn_digits_graph.py's network (whose weights are
bit-identical to the eager twin's), rebuilds it in NCHW for explanation, and fetches the
attributions with Session.run. With --check it also runs explain_digits_eager.py and asserts
that every attribution is bitwise equal between the two styles.
"""

import argparse

import _model_data as data
import cnn_digits_graph
import duograd.frontends.graph as tf
import explain_digits_eager
import numpy as np
from duograd.frontends.graph import explain

N_IMAGES = explain_digits_eager.N_IMAGES


def model(weights: dict, batch: int):
    """The trained CNN on an NCHW placeholder: (x, conv2 output, logits)."""
    x = tf.placeholder(tf.float32, [batch, 1, 8, 8], name="x")

    def conv(h, name):
        k = tf.constant(weights[f"{name}.weight"].transpose(2, 3, 1, 0))  # OIHW -> HWIO
        h = tf.nn.conv2d(h, k, strides=1, padding="SAME", data_format="NCHW")
        return h + tf.reshape(tf.constant(weights[f"{name}.bias"]), [1, -1, 1, 1])

    c1 = conv(x, "conv1")
    h = tf.nn.max_pool(tf.nn.relu(c1), 2, 2, "VALID", data_format="NCHW")
    c2 = conv(h, "conv2")
    h = tf.nn.max_pool(tf.nn.relu(c2), 2, 2, "VALID", data_format="NCHW")
    h = tf.reshape(h, [-1, 32 * 2 * 2])
    logits = tf.matmul(h, tf.constant(weights["fc.weight"].T)) + tf.constant(weights["fc.bias"])
    return x, c2, logits


def attributions(weights: dict, x: np.ndarray, target: np.ndarray) -> dict:
    """IG, Grad-CAM (at conv2) and occlusion, as in the eager example, fetched in one run."""
    graph = tf.Graph()
    with graph.as_default():
        px, c2, logits = model(weights, len(x))
        t = [int(v) for v in target]
        ig, delta = explain.integrated_gradients(
            logits, px, t, n_steps=50, return_convergence_delta=True
        )
        cam = explain.grad_cam(logits, c2, t, relu_attributions=True)
        occ = explain.occlusion(
            logits, px, (1, 2, 2), (1, 1, 1), target=t, perturbations_per_eval=49
        )
        with tf.Session() as sess:
            vals = sess.run([ig, delta, cam, occ], {px: x})
    return dict(zip(["ig", "ig_delta", "grad_cam", "occlusion"], vals, strict=True))


def main(argv=None) -> dict:
    """Train, explain, write PNGs; with --check compare with the eager style bit for bit."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=150, help="training steps (default 150)")
    p.add_argument("--out", default="explain_out", help="folder for the PNGs")
    p.add_argument("--check", action="store_true", help="run the eager twin and compare bits")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    result = cnn_digits_graph.train(args.steps, quiet=args.quiet)
    _, _, x_test, y_test = data.digits()
    x, y = x_test[:N_IMAGES], y_test[:N_IMAGES]
    attrs = attributions(result["weights"], x, y)
    paths = explain_digits_eager.pictures(x, attrs, args.out, "graph")
    print(f"graph: accuracy {result['accuracy']:.3f}; IG convergence delta max "
          f"{np.abs(attrs['ig_delta']).max():.2e}; wrote {', '.join(paths)}")  # fmt: skip
    if args.check:
        eager = explain_digits_eager.main(["--steps", str(args.steps), "--out", args.out,
                                           "--quiet"])  # fmt: skip
        for name, value in attrs.items():
            same = np.array_equal(value, eager["attrs"][name])
            print(f"{name}: {'bitwise equal' if same else 'DIFFERENT'} between the styles")
            assert same, name
    return {"attrs": attrs, "paths": paths}


if __name__ == "__main__":
    main()
