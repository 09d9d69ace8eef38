"""Oracle comparisons: the reference's dtype and shape first, then values within tolerance."""

from __future__ import annotations

import numpy as np


def assert_matches(actual, desired, rtol: float = 1e-7, atol: float = 0.0, **kwargs) -> None:
    """np.testing.assert_allclose that first requires equal dtypes and shapes.

    Plain Python numbers and lists on either side carry no dtype of their own, so only arrays
    (and numpy scalars) are held to the dtype check.
    """
    a, d = np.asarray(actual), np.asarray(desired)
    if _typed(actual) and _typed(desired):
        assert a.dtype == d.dtype, f"dtype {a.dtype} differs from the reference's {d.dtype}"
    assert a.shape == d.shape, f"shape {a.shape} differs from the reference's {d.shape}"
    np.testing.assert_allclose(a, d, rtol=rtol, atol=atol, **kwargs)


def _typed(x) -> bool:
    return isinstance(x, (np.ndarray, np.generic)) or hasattr(x, "dtype")
