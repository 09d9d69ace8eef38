"""The float32 exp/expm1/log/tanh/sigmoid kernels compile to SIMD code without libm calls.

expm1 and log evaluate in float64 (`vecmath`), exp, sigmoid and tanh in float32 (`vecmath_f32`).

The suite compiles at LLVM level 1 (tests/compile_level.py); the code users run is compiled at
level 3, so each check compiles in a child process at level 3 and inspects that.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from numba.core import config

CHILD = """
import re, sys
import numba
import numpy as np
from duograd.core.kernels import elementwise as ew

op = sys.argv[1]
serial, _ = ew.compile_elementwise(((op, 0),), (np.float32,)).kernels("flat", ("F",))
# a fresh, uncached compile of the same function: numba cannot inspect code loaded from disk
fresh = numba.njit(error_model="numpy")(serial.py_func)
fresh(np.ones(64, np.float32), np.empty(64, np.float32))
ir = fresh.inspect_llvm(fresh.signatures[0])
# libm functions appear as calls to e.g. @tanh or @llvm.exp.v8f64 (scalarised later)
callees = set(re.findall(r"call [^@]*@([\\w.]+)\\(", ir))
libm = {"exp", "expf", "expm1", "expm1f", "log", "logf", "tanh", "tanhf"}
calls = sorted(c for c in callees if libm & set(c.split(".")))
print("libm calls:", calls)
print("vector double:", "x double>" in ir)
print("vector float:", "x float>" in ir)
"""


@pytest.mark.skipif(config.DISABLE_JIT, reason="inspects compiled code; nothing is compiled")
@pytest.mark.parametrize("op", ["exp", "expm1", "log", "sigmoid", "tanh"])
def test_float32_kernel_is_simd_code_without_libm_calls(op: str, tmp_path) -> None:
    env = dict(os.environ, NUMBA_OPT="3", DUOGRAD_CACHE_DIR=str(tmp_path))
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "numba")
    out = subprocess.run(
        [sys.executable, "-c", CHILD, op], env=env, capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "libm calls: []" in out.stdout, out.stdout
    # the loop vectoriser widened the arithmetic (float64 for expm1/log, float32 otherwise)
    wide = "double" if op in ("expm1", "log") else "float"
    assert f"vector {wide}: True" in out.stdout, out.stdout
