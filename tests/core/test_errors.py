"""Shape and dtype errors name the op, the operands and the broken rule."""

from __future__ import annotations

import numpy as np
import pytest
from duograd.core import DTypeError, ShapeError, ops

f32 = np.float32


def z(*shape, dtype=f32):
    return np.zeros(shape, dtype)


CASES = [
    (
        lambda: ops.matmul(z(64, 784), z(748, 256)),
        ShapeError,
        "matmul: inner dimensions differ: (64, 784) @ (748, 256)",
    ),
    (
        lambda: ops.add(
            z(3, 4),
            z(
                5,
            ),
        ),
        ShapeError,
        "add: shapes (3, 4) and (5,) cannot be broadcast",
    ),
    (lambda: ops.mul(z(2, 3), z(3, 2)), ShapeError, "mul: shapes (2, 3) and (3, 2)"),
    (lambda: ops.add(z(3), z(3, dtype=np.float64)), DTypeError, "add: operands have different"),
    (lambda: ops.reshape(z(2, 3), (4, 2)), ShapeError, "reshape: cannot reshape (2, 3)"),
    (lambda: ops.sum(z(2, 3), 2), ShapeError, "sum: axis 2 is out of range"),
    (lambda: ops.exp(z(3, dtype=np.int64)), DTypeError, "exp: expected a float32 or float64"),
    (lambda: ops.concat([z(2, 3), z(2, 4)], 0), ShapeError, "concat: shapes"),
    (lambda: ops.squeeze(z(2, 3), (0,)), ShapeError, "squeeze: cannot squeeze axis 0"),
    (lambda: ops.pick(z(4, 3), np.zeros(5, np.int64)), ShapeError, "pick: class scores (4, 3)"),
    (lambda: ops.where(z(3), z(3), z(3)), DTypeError, "where: the condition must be bool"),
    (lambda: ops.matmul(z(3), z(4)), ShapeError, "matmul: inner dimensions differ"),
    (lambda: ops.transpose(z(2, 3), (0, 0)), ShapeError, "transpose: perm"),
]


@pytest.mark.parametrize("fn,exc,fragment", CASES, ids=[c[2][:30] for c in CASES])
def test_error_names_op_and_shapes(fn, exc, fragment):
    with pytest.raises(exc) as info:
        fn()
    assert fragment in str(info.value)


def test_error_types_subclass_builtin_ones():
    assert issubclass(ShapeError, ValueError)
    assert issubclass(DTypeError, TypeError)
