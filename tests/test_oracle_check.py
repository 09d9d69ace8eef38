"""The oracle comparison refuses a dtype or shape that differs from the reference's."""

import numpy as np
import pytest
from oracle_check import assert_matches


def test_dtype_shape_and_value_are_all_checked():
    a = np.ones(3, np.float32)
    assert_matches(a, a.copy())
    assert_matches(a, [1.0, 1.0, 1.0])  # a plain list has no dtype of its own
    with pytest.raises(AssertionError, match="dtype float64"):
        assert_matches(a.astype(np.float64), a)
    with pytest.raises(AssertionError, match="shape"):
        assert_matches(a[:, None], a)
    with pytest.raises(AssertionError):
        assert_matches(a + 1, a)
