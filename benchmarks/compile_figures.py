"""Compiled vs eager figures quoted in the README ("Compiling eager code"), bitwise-checked.

Run: ``python -m duograd.benchmarks.compile_figures`` (medians of 9 rounds after warm-up).
"""

import statistics
import time

import duograd.frontends.eager as torch


def main() -> None:
    """Print the figures."""
    import numpy as np

    nn = torch.nn
    rng = np.random.default_rng(0)

    def best(f, n, reps=9):
        for _ in range(3):
            f()
        r = []
        for _ in range(reps):
            t = time.perf_counter()
            for _ in range(n):
                f()
            r.append((time.perf_counter() - t) / n)
        return statistics.median(r)

    def ew(x):
        y = x * 1.5
        y = y + 0.5
        y = torch.tanh(y)
        y = y * y
        y = y - 0.25
        y = torch.sigmoid(y)
        y = y * 2.0
        return torch.exp(y)

    big = torch.tensor(rng.standard_normal(1_000_000).astype(np.float32))
    cew = torch.compile(ew)
    assert cew(big).numpy().tobytes() == ew(big).numpy().tobytes()
    res = {}
    res["8-op chain 1e6"] = (best(lambda: ew(big), 5), best(lambda: cew(big), 5))
    X, W, B = (rng.standard_normal((4, 4)).astype(np.float32) for _ in range(3))
    B = np.abs(B) + 1

    def chain(x, w, b):
        y = x * w
        y = y + b
        y = torch.tanh(y)
        y = y - x
        y = y * y
        y = torch.sigmoid(y)
        y = y + w
        y = torch.matmul(y, w)
        y = torch.exp(y * 0.1)
        return y / b

    b = torch.tensor(B)

    def fwdgrad(fn):
        x = torch.tensor(X, requires_grad=True)
        w = torch.tensor(W, requires_grad=True)

        def step():
            x.grad = None
            w.grad = None
            fn(x, w, b).sum().backward()
            return x.grad

        return step

    cchain = torch.compile(chain)
    e, c = fwdgrad(chain), fwdgrad(cchain)
    assert e().numpy().tobytes() == c().numpy().tobytes() == c().numpy().tobytes()
    res["10-op fwd+grad 4x4"] = (best(e, 200), best(c, 200))

    def mlp(compiled):
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
        opt = torch.optim.SGD(model.parameters(), lr=0.05)
        lossf = nn.CrossEntropyLoss()
        tx = torch.tensor(rng.standard_normal((64, 784)).astype(np.float32))
        ty = torch.tensor(rng.integers(0, 10, 64))

        def step(x, y):
            opt.zero_grad()
            l = lossf(model(x), y)
            l.backward()
            opt.step()
            return l

        s = torch.compile(step) if compiled else step
        return (lambda: s(tx, ty)), model

    me, _ = mlp(False)
    mc, _ = mlp(True)
    res["MLP step b64"] = (best(me, 20), best(mc, 20))
    # first-call capture with kernels cached (a second identical model in this process)
    mc2, _ = mlp(True)
    t = time.perf_counter()
    mc2()
    first = time.perf_counter() - t
    t = time.perf_counter()
    me()
    one = time.perf_counter() - t
    for k, (a, b_) in res.items():
        print(f"{k}: eager {a * 1e6:.1f} us, compiled {b_ * 1e6:.1f} us, ratio {b_ / a:.2f}x")
    print(
        f"MLP step first compiled call (capture + plans): {first * 1e3:.1f} ms; "
        f"one eager step {one * 1e3:.2f} ms"
    )


if __name__ == "__main__":
    main()
