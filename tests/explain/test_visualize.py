"""Attribution pictures: PNGs through matplotlib, the text view as HTML, named errors."""

from __future__ import annotations

import duograd.frontends.eager.explain as E
import duograd.frontends.graph.explain as G
import numpy as np
import pytest
from duograd.core.attribution import visualization as V

pytest.importorskip("matplotlib")

RNG = np.random.default_rng(0)
ATTR = RNG.standard_normal((8, 8, 1)).astype(np.float32)
IMG = RNG.random((8, 8, 1)).astype(np.float32)


@pytest.mark.parametrize(
    "method", ["heat_map", "blended_heat_map", "masked_image", "alpha_scaling", "original_image"]
)
@pytest.mark.parametrize("sign", ["all", "positive", "negative", "absolute_value"])
def test_image_views_write_png(tmp_path, method, sign):
    if method in ("masked_image", "alpha_scaling") and sign == "all":
        sign = "absolute_value"
    path = tmp_path / f"{method}_{sign}.png"
    fig, ax = E.visualize_image_attr(
        ATTR, IMG, method, sign, out_path=str(path), title=method, show_colorbar=True
    )
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert ax.get_title() == method


def test_multiple_views(tmp_path):
    path = tmp_path / "multi.png"
    fig, axes = G.visualize_image_attr_multiple(
        ATTR,
        IMG,
        ["original_image", "heat_map", "blended_heat_map"],
        ["all", "absolute_value", "positive"],
        titles=["a", "b", "c"],
        out_path=str(path),
    )
    assert len(axes) == 3 and path.stat().st_size > 0


def test_normalisation_by_sign():
    a = np.array([[-2.0, -1.0], [1.0, 4.0]])
    pos = V.normalize_attr(a[:, :, None], "positive", 0)
    assert pos.min() == 0 and pos.max() == 1
    neg = V.normalize_attr(a[:, :, None], "negative", 0)
    # as Captum: the negative part scaled to [0, 1] (drawn in reds)
    assert neg.max() == 1 and neg.min() == 0
    assert np.all(np.abs(V.normalize_attr(a[:, :, None], "all", 0)) <= 1)


def test_bad_arguments():
    with pytest.raises(ValueError, match="method must be one of"):
        E.visualize_image_attr(ATTR, IMG, method="contour")
    with pytest.raises(ValueError, match="sign must be one of"):
        E.visualize_image_attr(ATTR, IMG, sign="both")
    with pytest.raises(ValueError, match="needs original_image"):
        E.visualize_image_attr(ATTR, None, method="blended_heat_map")
    with pytest.raises(ValueError, match="give one sign per method"):
        E.visualize_image_attr_multiple(ATTR, IMG, ["heat_map"], ["all", "positive"])


def test_missing_matplotlib_names_the_charts_extra(monkeypatch):
    import builtins

    real = builtins.__import__

    def fake(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError("no matplotlib")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake)
    import sys

    for k in [k for k in sys.modules if k == "matplotlib" or k.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, k)
    with pytest.raises(ImportError, match=r"duograd\[charts\]"):
        E.visualize_image_attr(ATTR, IMG)


def test_text_view(tmp_path):
    rec = E.VisualizationDataRecord(
        np.array([0.5, -0.8, 0.0]), 0.91, "pos", "pos", "pos", 1.2, ["good", "<bad>", "film"], 0.01
    )
    path = tmp_path / "text.html"
    out = E.visualize_text([rec], out_path=str(path))
    assert "&lt;bad&gt;" in out and "hsl(120" in out and "hsl(0" in out
    assert path.read_text() == out
    with pytest.raises(ValueError, match="3 tokens but 2 word attributions"):
        V.visualize_text(
            [E.VisualizationDataRecord(np.zeros(2), 1, 0, 0, 0, 0, ["a", "b", "c"], 0)]
        )
