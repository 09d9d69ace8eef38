"""The explain examples run and give bitwise-equal attributions in both styles."""

from __future__ import annotations

import os
import sys

import pytest

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


def test_explain_digits_both_styles(tmp_path):
    sys.path.insert(0, EXAMPLES)
    try:
        import explain_digits_graph
    finally:
        sys.path.remove(EXAMPLES)
    out = explain_digits_graph.main(["--steps", "20", "--out", str(tmp_path), "--check",
                                     "--quiet"])  # fmt: skip
    assert set(out["attrs"]) == {"ig", "ig_delta", "grad_cam", "occlusion"}
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert "digits_all_graph.png" in pngs and "digits_all_eager.png" in pngs
