"""Op-table rows of log1p, expm1 and the inverse trigonometric / hyperbolic primitives."""

from __future__ import annotations

from op_table import OpRow, _unary

ROWS_EXTRA: list[OpRow] = [
    OpRow("log1p", _unary(-0.5, 2.0)),
    OpRow("expm1", _unary()),
    OpRow("atan", _unary()),
    OpRow("asin", _unary(-0.9, 0.9)),
    OpRow("acos", _unary(-0.9, 0.9)),
    OpRow("sinh", _unary()),
    OpRow("cosh", _unary()),
    OpRow("tan", _unary(-1.2, 1.2)),
]
