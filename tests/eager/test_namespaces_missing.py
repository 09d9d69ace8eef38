"""Every torch namespace answers a missing name with MissingFeatureError naming it (and, for the
namespaces duograd lacks, what to use instead); torch.jit's eager-meaningful helpers work."""

from __future__ import annotations

import copy
import functools

import duograd.frontends.eager as torch
import pytest
from duograd.frontends.eager.missing import MissingFeatureError

SUBSPACES = [
    "jit", "backends", "backends.cudnn", "linalg", "fft", "sparse", "special", "distributions",
    "autograd", "autograd.functional", "nn", "nn.functional", "nn.init", "nn.utils",
    "nn.utils.rnn", "optim", "optim.lr_scheduler", "utils", "utils.data", "cuda", "compiler",
    "_dynamo", "onnx", "distributed",
]  # fmt: skip


@pytest.mark.parametrize("path", SUBSPACES)
def test_missing_name_in_every_namespace_names_itself(path):
    ns = functools.reduce(getattr, path.split("."), torch)
    with pytest.raises(MissingFeatureError, match=r"\.no_such_name is not provided by duograd"):
        _ = ns.no_such_name
    assert not hasattr(ns, "no_such_name")  # probes still see absence
    assert getattr(ns, "no_such_name", 7) == 7


@pytest.mark.parametrize(
    "name,hint",
    [
        ("hub", "torch.load"),
        ("fx", "torch.jit.trace or torch.compile"),
        ("profiler", "perf_counter"),
        ("multiprocessing", "Python's multiprocessing"),
        ("classes", "C\\+\\+ extensions"),
        ("ops", "C\\+\\+ extensions"),
        ("autocast", "without autocast"),
        ("get_autocast_gpu_dtype", "CPU only"),
    ],
)
def test_absent_namespaces_say_what_to_use(name, hint):
    with pytest.raises(MissingFeatureError, match=f"torch.{name} is not provided.*{hint}"):
        getattr(torch, name)


def test_near_names_are_suggested_in_sub_namespaces():
    with pytest.raises(MissingFeatureError, match="near names that are provided: eigh"):
        _ = torch.linalg.eig
    with pytest.raises(MissingFeatureError, match="torch.backends.cudnn.allow_tf32"):
        _ = torch.backends.cudnn.allow_tf32


def test_namespaces_keep_their_settings_and_copy():
    torch.backends.cudnn.benchmark = True
    assert torch.backends.cudnn.benchmark is True
    torch.backends.cudnn.benchmark = False
    c = copy.copy(torch.linalg)
    assert c.svd is torch.linalg.svd
    with pytest.raises(AttributeError):
        _ = torch.linalg._private


def test_jit_helpers_with_eager_meaning():
    assert torch.jit.is_scripting() is False

    @torch.jit.ignore
    def f(x):
        return x + 1

    @torch.jit.unused
    def g(x):
        return x * 2

    assert f(1) == 2 and g(2) == 4
    assert torch.jit.export(len) is len
    assert torch.jit.ignore(drop=True)(len) is len
    with pytest.raises(NotImplementedError, match="torch.jit.trace"):
        torch.jit.script(f)
