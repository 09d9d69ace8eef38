"""The OpenMP spin setting numba's threading layer is loaded with leaves the environment as it was.

(see duograd/core/kernels/__init__.py for the choice and its measurements)
"""

from __future__ import annotations

import os
import subprocess
import sys

_CODE = """
import os
import duograd.core
from duograd.core.kernels import elementwise
import numpy as np
a = np.ones(1 << 18, np.float32)
assert (elementwise.binary("add", a, a) == 2).all()  # a parallel kernel ran
print(os.environ.get("GOMP_SPINCOUNT"), os.environ.get("OMP_WAIT_POLICY"))
"""


def _run(extra: dict) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    env.update(extra)
    out = subprocess.run(
        [sys.executable, "-c", _CODE], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_the_policy_is_set_only_while_the_runtime_loads():
    assert _run({}) == "None None"  # not left behind for other libraries loaded later


def test_a_policy_the_user_chose_is_kept():
    assert _run({"OMP_WAIT_POLICY": "active"}) == "None active"
    assert _run({"GOMP_SPINCOUNT": "5"}) == "5 None"
