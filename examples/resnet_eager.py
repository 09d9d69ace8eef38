"""A ResNet-8 on scikit-learn's digits upscaled to 32x32x3, in the PyTorch style.

Run: python examples/resnet_eager.py [--epochs N] [--batch B]. Needs scikit-learn (the examples
extra). The network (3x3 stem, three basic blocks at 16/32/64 channels with BatchNorm, stride-2
1x1 projection shortcuts, global average pool, linear) is the one `duograd bench --only resnet`
times. resnet_graph.py is the same program in the TF1 style: from the same initial weights and
batches both end with bit-identical weights. Accuracy is measured with batch statistics over
the whole test set (the graph program's BatchNorm has no running averages).
"""

import argparse
import time

import _model_data as data
import duograd.frontends.eager as torch
import numpy as np
from duograd.benchmarks.workloads import resnet


def parse(argv=None) -> argparse.Namespace:
    """--epochs, --batch, --steps (cap on steps, for tests) and --quiet."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=None, help="stop after this many steps")
    p.add_argument("--quiet", action="store_true")
    return p.parse_args(argv)


def train(epochs=2, batch=64, steps=None, quiet=False, lr=0.05) -> dict:
    """SGD with momentum; return losses, test accuracy, seconds per epoch and the weights."""
    x_train, y_train, x_test, y_test = data.digits_32x32x3()
    model, mods = resnet.eager_model(torch, resnet.init_params())
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    per_epoch = len(y_train) // batch
    total = epochs * per_epoch if steps is None else min(steps, epochs * per_epoch)
    losses, epoch_s, t0 = [], [], time.perf_counter()
    progress = data.Progress(total, quiet)
    for step, idx in enumerate(data.batches(len(y_train), batch, total)):
        opt.zero_grad()
        loss = loss_fn(model(torch.from_numpy(x_train[idx])), torch.from_numpy(y_train[idx]))
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if (step + 1) % per_epoch == 0 or step + 1 == total:
            epoch_s.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
        progress.update(step, losses[-1])
    with torch.no_grad():
        pred = model(torch.from_numpy(x_test)).argmax(dim=1).numpy()
    weights = {f"p{i}": w for i, w in enumerate(resnet._eager_read(model, mods))}
    return {"losses": losses, "accuracy": float(np.mean(pred == y_test)),
            "weights": weights, "epoch_seconds": epoch_s}  # fmt: skip


def main(argv=None) -> dict:
    """Parse the options, train, print accuracy and time per epoch."""
    a = parse(argv)
    r = train(a.epochs, a.batch, a.steps, a.quiet)
    print(f"eager ResNet-8: final loss {r['losses'][-1]:.4f}, test accuracy {r['accuracy']:.4f}, "
          f"{np.mean(r['epoch_seconds']):.1f}s per epoch")  # fmt: skip
    return r


if __name__ == "__main__":
    main()
