"""Attribution speed next to Captum: IG (batch 32, 50 steps), occlusion and LRP, digits CNN.

Run: python -m duograd.benchmarks.explain_bench [--repeats N]. Needs torch and captum (test
oracles). Both sides get the same network and inputs; each figure is the median of N runs after
a warm-up, the two columns measured alternately in one process.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def _nets(seed: int = 0):
    import duograd.frontends.eager as dg
    import torch as rt

    def build(lib):
        nn = lib.nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
                self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
                # two pooling modules (no weights): LRP needs each layer used once
                self.pool1, self.pool2 = nn.MaxPool2d(2), nn.MaxPool2d(2)
                self.fc = nn.Linear(128, 10)

            def forward(self, x):
                x = self.pool1(lib.relu(self.conv1(x)))
                x = self.pool2(lib.relu(self.conv2(x)))
                return self.fc(lib.flatten(x, 1))

        return Net()

    d, t = build(dg), build(rt)
    rng = np.random.default_rng(seed)
    with dg.no_grad(), rt.no_grad():
        for (_, p), (_, q) in zip(d.named_parameters(), t.named_parameters(), strict=True):
            w = (rng.standard_normal(tuple(p.shape)) * 0.2).astype(np.float32)
            p.copy_(dg.from_numpy(w))
            q.copy_(rt.from_numpy(w))
    return d, t.eval()


def _median(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def run(repeats: int = 5, batch: int = 32) -> list[tuple[str, float, float]]:
    """(workload, duograd seconds, captum seconds) for each workload."""
    import captum.attr as C
    import duograd.frontends.eager as dg
    import duograd.frontends.eager.explain as E
    import torch as rt
    from captum.attr._utils import lrp_rules as CR

    d, t = _nets()
    x = np.random.default_rng(1).random((batch, 1, 8, 8)).astype(np.float32) * 16
    target = list(np.arange(batch) % 10)
    dx, tx = dg.from_numpy(x), rt.from_numpy(x)
    tt = rt.tensor(target)
    work = {
        f"integrated_gradients b{batch} 50 steps": (
            lambda: E.IntegratedGradients(d).attribute(dx, target=target, n_steps=50),
            lambda: C.IntegratedGradients(t).attribute(tx, target=tt, n_steps=50),
        ),
        f"occlusion b{batch} 2x2 window, 49 per eval": (
            lambda: E.Occlusion(d).attribute(dx, (1, 2, 2), target=target,
                                             perturbations_per_eval=49),
            lambda: C.Occlusion(t).attribute(tx, (1, 2, 2), target=tt,
                                             perturbations_per_eval=49),
        ),
        f"occlusion b{batch} 2x2 window, 1 per eval (default)": (
            lambda: E.Occlusion(d).attribute(dx, (1, 2, 2), target=target),
            lambda: C.Occlusion(t).attribute(tx, (1, 2, 2), target=tt),
        ),
        f"lrp b{batch} (GammaRule on conv1, epsilon elsewhere)": (
            lambda: (setattr(d.conv1, "rule", E.GammaRule()),
                     E.LRP(d).attribute(dx, target=target)),
            lambda: (setattr(t.conv1, "rule", CR.GammaRule()),  # Captum drops rules after use
                     C.LRP(t).attribute(tx, target=tt)),
        ),
    }  # fmt: skip
    rows = []
    for name, (ours, theirs) in work.items():
        ours()
        theirs()
        a, b = [], []
        for _ in range(repeats):  # alternate the columns so both see the same machine load
            a.append(_median(ours, 1))
            time.sleep(0.2)  # let the peer's worker threads go idle before the next column
            b.append(_median(theirs, 1))
            time.sleep(0.2)
        rows.append((name, statistics.median(a), statistics.median(b)))
    return rows


def main(argv: list[str] | None = None) -> None:
    """Print the side-by-side table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args(argv)
    print(f"{'workload':52s} {'duograd s':>10s} {'captum s':>10s} {'ratio':>7s}")
    for name, a, b in run(args.repeats):
        print(f"{name:52s} {a:10.4f} {b:10.4f} {a / b:6.2f}x")


if __name__ == "__main__":
    main()
