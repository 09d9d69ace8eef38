"""DUOGRAD_HOST_TUNING=0 turns off every host-process setting importing duograd makes, and none
of them overrides a setting the user or another library already made."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

# Records every glibc mallopt call and every GOMP_SPINCOUNT write the import makes, then runs
# a parallel kernel while another core looks fully busy and reports numba's thread count.
PROBE = """
import ctypes, json, os, sys
calls = {"mallopt": [], "gomp": []}
_CDLL = ctypes.CDLL
class _Spy:
    def __init__(self, lib):
        self._lib = lib
    def __getattr__(self, name):
        fn = getattr(self._lib, name)
        if name != "mallopt":
            return fn
        def spy(*args):
            calls["mallopt"].append(list(args))
            return fn(*args)
        spy.argtypes = spy.restype = None
        return spy
def _cdll(name, *a, **k):
    lib = _CDLL(name, *a, **k)
    return _Spy(lib) if "libc" in name else lib
ctypes.CDLL = _cdll
_setitem = type(os.environ).__setitem__
def _record(self, key, value):
    if key == "GOMP_SPINCOUNT":
        calls["gomp"].append(value)
    _setitem(self, key, value)
type(os.environ).__setitem__ = _record
if os.environ.get("PRELOAD_GOMP"):
    _CDLL("libgomp.so.1")  # another library started a GNU OpenMP runtime first
import numba
import numpy as np
import duograd.frontends.eager
from duograd.core.kernels import cpu_share, host_tuning
from duograd.core.kernels import elementwise as ew
cpu_share.foreign_cores = lambda: float(os.cpu_count())  # every core looks busy elsewhere
before = numba.get_num_threads()
a = np.ones(1 << 20, np.float32)
ew.binary("add", a, a)
calls["threads_before"], calls["threads_after"] = before, numba.get_num_threads()
calls["applied"] = host_tuning.applied()
print(json.dumps(calls))
"""

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc and /proc")


def _probe(**env: str) -> dict:
    keep = ("MALLOC_", "GOMP_", "OMP_", "KMP_", "DUOGRAD_HOST", "DUOGRAD_MALLOC", "DUOGRAD_ADAPT")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(keep)}
    clean.pop("GLIBC_TUNABLES", None)
    clean.pop("NUMBA_DISABLE_JIT", None)  # the settings are about compiled parallel kernels
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env={**clean, **env}, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@linux_only
def test_by_default_the_three_settings_are_made():
    got = _probe()
    assert got["applied"] == {"malloc": True, "openmp_spin": True, "adaptive_threads": True}
    assert len(got["mallopt"]) == 2 and got["gomp"] == ["10000"]
    if got["threads_before"] > 1:
        assert got["threads_after"] == 1  # the busy cores were left to their owners


@linux_only
def test_the_one_switch_turns_all_of_them_off():
    got = _probe(DUOGRAD_HOST_TUNING="0")
    assert got["applied"] == {"malloc": False, "openmp_spin": False, "adaptive_threads": False}
    assert got["mallopt"] == [] and got["gomp"] == []
    assert got["threads_after"] == got["threads_before"]  # thread count untouched


@linux_only
@pytest.mark.parametrize(
    "env, off",
    [
        ({"MALLOC_MMAP_THRESHOLD_": "65536"}, "malloc"),
        ({"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=4096"}, "malloc"),
        ({"OMP_WAIT_POLICY": "ACTIVE"}, "openmp_spin"),
        ({"GOMP_SPINCOUNT": "5"}, "openmp_spin"),
        ({"PRELOAD_GOMP": "1"}, "openmp_spin"),
        ({"DUOGRAD_MALLOC_TUNE": "0"}, "malloc"),
        ({"DUOGRAD_ADAPTIVE_THREADS": "0"}, "adaptive_threads"),
    ],
)
def test_a_setting_already_made_is_left_alone(env, off):
    got = _probe(**env)
    assert got["applied"][off] is False
    assert all(v for k, v in got["applied"].items() if k != off)
    if off == "malloc":
        assert got["mallopt"] == []
    if off == "openmp_spin":
        assert got["gomp"] in ([], ["5"])  # only the user's own value, never ours
