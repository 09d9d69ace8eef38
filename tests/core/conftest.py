"""Core tests without the JIT: what cannot run as plain Python is skipped, with the reason.

CI runs tests/core a second time under ``NUMBA_DISABLE_JIT=1`` with coverage, so the kernels'
Python source is executed and measured line by line (compiled, coverage cannot see inside it).
Almost every kernel runs unchanged as Python; the exceptions are listed here.
"""

from __future__ import annotations

import pytest
from numba.core import config

_INTRINSIC = (
    "the matmul micro-kernel is an LLVM intrinsic (numba.extending.intrinsic), which has no "
    "pure-Python form; matmul is covered by the compiled run"
)
_CACHE = "checks numba's on-disk cache and compile counts, which NUMBA_DISABLE_JIT bypasses"

# (substring of the test id, reason)
NO_JIT_SKIPS = (
    ("tests/core/kernels/test_matmul.py::", _INTRINSIC),
    ("[matmul-", _INTRINSIC),
    ("[conv2d", "conv2d runs on the matmul micro-kernel; " + _INTRINSIC),
    ("test_conv.py::test_conv_layouts", "conv2d runs on the matmul micro-kernel; " + _INTRINSIC),
    ("test_conv.py::test_conv_gradients", "conv2d runs on the matmul micro-kernel; " + _INTRINSIC),
    ("test_conv.py::test_conv_matches", "conv2d runs on the matmul micro-kernel; " + _INTRINSIC),
    ("test_same_padding_unknown_size", "it runs conv2d; " + _INTRINSIC),
    (
        "test_conv_more.py::test_matches_torch",
        "grouped conv runs on the matmul micro-kernel; " + _INTRINSIC,
    ),
    ("test_conv_more.py::test_conv3d", "conv3d runs on the matmul micro-kernel; " + _INTRINSIC),
    ("test_conv_more.py::test_tf_conv3d", "conv3d runs on the matmul micro-kernel; " + _INTRINSIC),
    ("test_conv_more.py::test_one_channel_nchw", "it runs conv2d; " + _INTRINSIC),
    ("test_import_compiles_nothing", _CACHE),
    ("[(64, 16, 16, 16,", "too large to run as plain Python in the coverage job (~50 s)"),
    ("finite_differences[matrix_inverse-", "its gradient rule runs matmul; " + _INTRINSIC),
    ("finite_differences[cholesky-", "its gradient rule runs matmul; " + _INTRINSIC),
)


def pytest_collection_modifyitems(config: pytest.Config, items: list) -> None:
    """Under NUMBA_DISABLE_JIT, skip the tests that need compiled code (see NO_JIT_SKIPS)."""
    if not _jit_disabled():
        return
    for item in items:
        for pattern, reason in NO_JIT_SKIPS:
            if pattern in item.nodeid:
                item.add_marker(pytest.mark.skip(reason=f"NUMBA_DISABLE_JIT=1: {reason}"))
                break


def _jit_disabled() -> bool:
    return bool(config.DISABLE_JIT)
