"""Explain the digits CNN in the PyTorch style with Captum's interface: IG, Grad-CAM, occlusion.

Run: python examples/explain_digits_eager.py [--steps N] [--out DIR]. Needs scikit-learn (the
examples extra) and matplotlib (the charts extra). It trains cnn_digits_eager.py's network, then
writes one PNG per method for the first test images. explain_digits_graph.py computes the same
attributions in the TF1 style; they are bitwise equal.
"""

import argparse
import os

import _model_data as data
import cnn_digits_eager
import duograd.frontends.eager as torch
import numpy as np
from duograd.frontends.eager.explain import (
    IntegratedGradients,
    LayerGradCam,
    Occlusion,
    visualize_image_attr,
)

N_IMAGES = 4


def trained_model(steps: int, quiet: bool) -> tuple:
    """The trained CNN (eager module) and its weights."""
    result = cnn_digits_eager.train(steps, quiet=quiet)
    model = cnn_digits_eager.Net()
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.from_numpy(result["weights"][name]))
    return model.eval(), result


def explain(model, x: np.ndarray, target: np.ndarray) -> dict:
    """IG (50 steps), Grad-CAM at conv2 and 2x2 occlusion for images x (N, 1, 8, 8)."""
    inputs, t = torch.from_numpy(x), torch.from_numpy(target)
    ig, delta = IntegratedGradients(model).attribute(
        inputs, target=t, n_steps=50, return_convergence_delta=True
    )
    cam = LayerGradCam(model, model.conv2).attribute(inputs, target=t, relu_attributions=True)
    occ = Occlusion(model).attribute(
        inputs,
        sliding_window_shapes=(1, 2, 2),
        strides=(1, 1, 1),
        target=t,
        perturbations_per_eval=49,
    )
    return {"ig": ig.numpy(), "ig_delta": delta.numpy(), "grad_cam": cam.numpy(),
            "occlusion": occ.numpy()}  # fmt: skip


def pictures(x: np.ndarray, attrs: dict, out_dir: str, style: str) -> list:
    """One PNG per method: each test image with its attribution blended over it."""
    from matplotlib.figure import Figure

    os.makedirs(out_dir, exist_ok=True)
    paths = []
    f = x.shape[2] // attrs["grad_cam"].shape[2]  # conv2's 4x4 map, nearest-upsampled to 8x8
    cam_up = np.repeat(np.repeat(attrs["grad_cam"], f, axis=2), f, axis=3)
    views = {"ig": (attrs["ig"], "all"), "grad_cam": (cam_up, "positive"),
             "occlusion": (attrs["occlusion"], "all")}  # fmt: skip
    for name, (a, sign) in views.items():
        fig = Figure(figsize=(2.2 * len(x), 2.4))
        axes = fig.subplots(1, len(x), squeeze=False)[0]
        for i, ax in enumerate(axes):
            visualize_image_attr(a[i].transpose(1, 2, 0), x[i].transpose(1, 2, 0) / 16.0,
                                 "blended_heat_map", sign, plt_fig_axis=(fig, ax),
                                 alpha_overlay=0.6, title=f"{name} #{i}")  # fmt: skip
        path = os.path.join(out_dir, f"digits_{name}_{style}.png")
        fig.savefig(path, bbox_inches="tight")
        paths.append(path)
    # all methods side by side: one row per image
    fig = Figure(figsize=(8, 2.1 * len(x)))
    grid = fig.subplots(len(x), 4, squeeze=False)
    for i in range(len(x)):
        img = x[i].transpose(1, 2, 0) / 16.0
        visualize_image_attr(None, img, "original_image", plt_fig_axis=(fig, grid[i, 0]),
                             title="digit" if i == 0 else None)  # fmt: skip
        for j, (name, (a, sign)) in enumerate(views.items()):
            visualize_image_attr(a[i].transpose(1, 2, 0), img, "blended_heat_map", sign,
                                 plt_fig_axis=(fig, grid[i, j + 1]), alpha_overlay=0.6,
                                 title=name if i == 0 else None)  # fmt: skip
    path = os.path.join(out_dir, f"digits_all_{style}.png")
    fig.savefig(path, bbox_inches="tight", dpi=60)
    paths.append(path)
    return paths


def main(argv=None) -> dict:
    """Train, explain the first test images, write the PNGs, print a summary."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=150, help="training steps (default 150)")
    p.add_argument("--out", default="explain_out", help="folder for the PNGs")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    model, result = trained_model(args.steps, args.quiet)
    _, _, x_test, y_test = data.digits()
    x, y = x_test[:N_IMAGES], y_test[:N_IMAGES]
    attrs = explain(model, x, y)
    paths = pictures(x, attrs, args.out, "eager")
    print(f"eager: accuracy {result['accuracy']:.3f}; IG convergence delta max "
          f"{np.abs(attrs['ig_delta']).max():.2e}; wrote {', '.join(paths)}")  # fmt: skip
    return {"attrs": attrs, "weights": result["weights"], "paths": paths}


if __name__ == "__main__":
    main()
