"""Every eager example trained a few steps with its models compiled: eager's bits at the end.

The models' forward passes run through ``torch.compile`` (each outermost module call goes to
that module's compiled forward; the submodules it calls are captured inside it), while the
example's own loop, backward and optimizer run as written. Final weights, losses and whatever
else the example returns must equal the plain eager run to the bit.
"""

from __future__ import annotations

import contextlib
import pathlib
import runpy
import sys

import duograd.frontends.eager as torch
import numpy as np
import pytest
from duograd.frontends.eager.nn.module import Module

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"

# example file -> how to train it a few steps (returns what the comparison reads)
RUNS = {
    "actor_critic_eager.py": lambda ns: ns["train"](2, True),
    "char_lstm_eager.py": lambda ns: ns["train"](3, True, sample_length=10),
    "cnn_digits_eager.py": lambda ns: ns["train"](3, True),
    "eager_classifier.py": lambda ns: ns["main"](["--steps", "2"]),
    "eager_seed.py": lambda ns: ns["main"](["--steps", "3"]),
    "explain_digits_eager.py": lambda ns: ns["trained_model"](3, True)[1],
    "gcn_eager.py": lambda ns: ns["train"](3, True),
    "linear_regression_eager.py": lambda ns: ns["train"](3, True),
    "mlp_classifier_eager.py": lambda ns: ns["train"](3, True),
    "resnet_eager.py": lambda ns: ns["train"](steps=2, quiet=True),
    "speech_eager.py": lambda ns: ns["train"](1, True, n_train=32, n_test=8, max_steps=2),
    "tfrecord_pipeline_eager.py": lambda ns: ns["train"](3, True),
    "transformer_eager.py": lambda ns: ns["train"](3, True, eval_size=50),
}
# distributed_mlp_eager.py trains in several processes (tests/distributed covers it)


def test_every_eager_example_is_listed():
    eager = {
        p.name
        for p in EXAMPLES.glob("*.py")
        if not p.name.startswith("_") and ("eager" in p.name) and "distributed" not in p.name
    }
    assert eager == set(RUNS)


@contextlib.contextmanager
def compiled_models():
    """Route each outermost module call through that module's compiled forward."""
    plain = Module.__call__
    depth = [0]
    compiled: dict = {}

    def call(self, *args, **kwargs):
        if depth[0]:
            return plain(self, *args, **kwargs)
        cf = compiled.get(id(self))
        if cf is None or cf[0] is not self:
            cf = compiled[id(self)] = (self, torch.compile(lambda *a, **k: inner(self, a, k)))
        return cf[1](*args, **kwargs)

    def inner(self, args, kwargs):
        depth[0] += 1
        try:
            return plain(self, *args, **kwargs)
        finally:
            depth[0] -= 1

    Module.__call__ = call
    try:
        yield compiled
    finally:
        Module.__call__ = plain


def _leaves(x, out):
    """The arrays, numbers and strings of a result, in order."""
    if isinstance(x, torch.Tensor):
        x = x.detach().numpy()
    if isinstance(x, np.ndarray):
        out.append((x.dtype.str, x.shape, x.tobytes()))
    elif isinstance(x, dict):
        for k in sorted(x, key=str):
            if str(k).endswith(("seconds", "elapsed")):  # wall-clock time, new at every run
                continue
            out.append(str(k))
            _leaves(x[k], out)
    elif isinstance(x, (list, tuple)):
        for a in x:
            _leaves(a, out)
    elif isinstance(x, Module):
        for p in x.parameters():
            _leaves(p, out)
    elif isinstance(x, (float, int, str, bool, type(None), np.generic)):
        out.append(repr(x) if not isinstance(x, float) else np.float64(x).tobytes())
    else:
        out.append(type(x).__name__)
    return out


@pytest.mark.parametrize("name", sorted(RUNS))
def test_example_trained_compiled_equals_eager_bitwise(name, monkeypatch, capsys):
    monkeypatch.chdir(EXAMPLES)
    monkeypatch.syspath_prepend(str(EXAMPLES))
    ns = runpy.run_path(str(EXAMPLES / name), run_name="example")
    try:
        want = _leaves(RUNS[name](ns), [])
        with compiled_models() as compiled:
            got = _leaves(RUNS[name](ns), [])
    except ImportError as e:
        pytest.skip(f"needs an optional extra: {e}")
    assert compiled, "no module call went through torch.compile"
    programs = [e.programs for _, cf in compiled.values() for e in cf.cache.values()]
    assert any(programs), "no forward was captured as a program (all broke the graph)"
    # compared leaf by leaf: a failing `==` on the whole lists would make pytest diff megabytes
    assert len(got) == len(want), f"{len(got)} results compiled, {len(want)} eager"
    bad = [i for i, (a, b) in enumerate(zip(got, want, strict=True)) if a != b]
    assert not bad, f"{len(bad)} of {len(want)} results differ, first at leaf {bad[0]}"
    sys.modules.pop("_common", None)
