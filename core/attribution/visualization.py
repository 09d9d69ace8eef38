"""Attribution pictures: Captum's visualize_image_attr(_multiple) and visualize_text.

Images are drawn with matplotlib (the `charts` extra, imported on first use); text attributions
are an HTML table. Inputs are numpy arrays (or tensors) shaped (H, W, C) or (H, W).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..extras import require

METHODS = ("heat_map", "blended_heat_map", "original_image", "masked_image", "alpha_scaling")
SIGNS = ("all", "positive", "negative", "absolute_value")


def _array(x: Any) -> np.ndarray | None:
    if x is None:
        return None
    if hasattr(x, "_data"):
        x = x._data
    elif hasattr(x, "numpy") and not isinstance(x, np.ndarray):
        x = x.numpy()
    return np.asarray(x)


def cumulative_sum_threshold(values: np.ndarray, percentile: float) -> float:
    """The value below which `percentile` percent of the total mass of `values` lies."""
    if not 0 <= percentile <= 100:
        raise ValueError(f"visualize_image_attr: outlier percentile must be in [0, 100], got "
                         f"{100 - percentile}")  # fmt: skip
    flat = np.sort(values.flatten())
    sums = np.cumsum(flat)
    idx = np.where(sums >= sums[-1] * 0.01 * percentile)[0][0]
    return float(flat[idx])


def normalize_attr(
    attr: np.ndarray, sign: str, outlier_perc: float = 2, reduction_axis: int | None = 2
) -> np.ndarray:
    """Attributions summed over channels, kept by sign and scaled into [-1, 1]."""
    if sign not in SIGNS:
        raise ValueError(f"visualize_image_attr: sign must be one of {SIGNS}, got {sign!r}")
    a = attr
    if reduction_axis is not None and a.ndim == 3:
        a = np.sum(a, axis=reduction_axis)
    if sign == "all":
        thr = cumulative_sum_threshold(np.abs(a), 100 - outlier_perc)
    elif sign == "positive":
        a = (a > 0) * a
        thr = cumulative_sum_threshold(a, 100 - outlier_perc)
    elif sign == "negative":
        a = (a < 0) * a
        thr = -cumulative_sum_threshold(np.abs(a), 100 - outlier_perc)
    else:
        a = np.abs(a)
        thr = cumulative_sum_threshold(a, 100 - outlier_perc)
    if abs(thr) < 1e-5:
        return np.clip(a * 0, -1, 1)
    return np.clip(a / thr, -1, 1)


def visualize_image_attr(
    attr: Any,
    original_image: Any = None,
    method: str = "heat_map",
    sign: str = "absolute_value",
    plt_fig_axis: Any = None,
    outlier_perc: float = 2,
    cmap: Any = None,
    alpha_overlay: float = 0.5,
    show_colorbar: bool = False,
    title: str | None = None,
    fig_size: tuple = (6, 6),
    use_pyplot: bool = False,
    out_path: str | None = None,
) -> tuple:
    """Draw one attribution map (H, W, C); returns (figure, axis) and writes PNG to out_path."""
    if method not in METHODS:
        raise ValueError(f"visualize_image_attr: method must be one of {METHODS}, got {method!r}")
    mpl = require("matplotlib", "charts", "visualize_image_attr")
    from matplotlib.figure import Figure

    img = _array(original_image)
    if attr is None and method == "original_image" and img is not None:
        attr = np.zeros(img.shape[:2])
    attr = _array(attr)
    if attr is None:
        raise ValueError("visualize_image_attr: attr is None; give the attribution map")
    if attr.ndim == 2:
        attr = attr[:, :, None]
    if attr.ndim != 3:
        raise ValueError(
            f"visualize_image_attr: attr must be (H, W, C) or (H, W), got shape {attr.shape}"
        )
    if img is not None:
        if img.ndim == 2:
            img = img[:, :, None]
        if img.shape[:2] != attr.shape[:2]:
            raise ValueError(
                f"visualize_image_attr: original_image {img.shape} and attr {attr.shape} "
                "must have the same height and width"
            )
        if np.max(img) <= 1.0:
            img = img * 255
        img = np.clip(img, 0, 255).astype(int)
    elif method != "heat_map":
        raise ValueError(f"visualize_image_attr: method {method!r} needs original_image")
    if plt_fig_axis is not None:
        fig, ax = plt_fig_axis
    elif use_pyplot:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=fig_size)
    else:
        fig = Figure(figsize=fig_size)
        ax = fig.subplots()
    ax.xaxis.set_ticks_position("none")
    ax.yaxis.set_ticks_position("none")
    ax.set_yticklabels([])
    ax.set_xticklabels([])
    ax.grid(False)
    gray = None if img is None else np.mean(img, axis=2)
    heat = None
    if method == "original_image":
        ax.imshow(img[:, :, 0] if img.shape[2] == 1 else img, cmap="gray")
    else:
        norm = normalize_attr(attr, sign, outlier_perc)
        default = {"all": "RdYlGn", "positive": "Greens", "negative": "Reds",
                   "absolute_value": "Blues"}[sign]  # fmt: skip
        cmap = cmap or default
        vmin, vmax = (-1, 1) if sign == "all" else (0, 1)
        if method == "heat_map":
            heat = ax.imshow(norm, cmap=cmap, vmin=vmin, vmax=vmax)
        elif method == "blended_heat_map":
            ax.imshow(gray, cmap="gray")
            heat = ax.imshow(norm, cmap=cmap, vmin=vmin, vmax=vmax, alpha=alpha_overlay)
        elif method == "masked_image":
            shown = (img * np.abs(norm)[:, :, None]).astype(int)
            ax.imshow(shown[:, :, 0] if shown.shape[2] == 1 else shown, cmap="gray")
        else:  # alpha_scaling
            rgb = np.repeat(img, 3, axis=2) if img.shape[2] == 1 else img
            alpha = (np.abs(norm) * 255).astype(int)[:, :, None]
            ax.imshow(np.concatenate([rgb, alpha], axis=2))
    if show_colorbar and heat is not None:
        fig.colorbar(heat, ax=ax, orientation="vertical")
    if title:
        ax.set_title(title)
    if out_path is not None:
        fig.savefig(out_path, format="png", bbox_inches="tight")
    del mpl
    return fig, ax


def visualize_image_attr_multiple(
    attr: Any,
    original_image: Any,
    methods: Sequence[str],
    signs: Sequence[str],
    titles: Sequence[str] | None = None,
    fig_size: tuple = (8, 6),
    use_pyplot: bool = False,
    out_path: str | None = None,
    **kwargs: Any,
) -> tuple:
    """Several views of one attribution side by side; returns (figure, axes)."""
    if len(methods) != len(signs):
        raise ValueError(
            f"visualize_image_attr_multiple: {len(methods)} methods but {len(signs)} signs; "
            "give one sign per method"
        )
    if titles is not None and len(titles) != len(methods):
        raise ValueError("visualize_image_attr_multiple: give one title per method")
    require("matplotlib", "charts", "visualize_image_attr_multiple")
    from matplotlib.figure import Figure

    if use_pyplot:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=fig_size)
    else:
        fig = Figure(figsize=fig_size)
    axes = fig.subplots(1, len(methods), squeeze=False)[0]
    for i, (m, s) in enumerate(zip(methods, signs, strict=True)):
        visualize_image_attr(attr, original_image, m, s, plt_fig_axis=(fig, axes[i]),
                             title=titles[i] if titles else None, **kwargs)  # fmt: skip
    fig.tight_layout()
    if out_path is not None:
        fig.savefig(out_path, format="png", bbox_inches="tight")
    return fig, axes


class VisualizationDataRecord:
    """One explained text example: word attributions and the prediction (Captum's record)."""

    def __init__(
        self,
        word_attributions: Any,
        pred_prob: float,
        pred_class: Any,
        true_class: Any,
        attr_class: Any,
        attr_score: float,
        raw_input_ids: Sequence,
        convergence_score: Any,
    ) -> None:
        self.word_attributions = _array(word_attributions)
        self.pred_prob = pred_prob
        self.pred_class = pred_class
        self.true_class = true_class
        self.attr_class = attr_class
        self.attr_score = attr_score
        self.raw_input_ids = list(raw_input_ids)
        self.convergence_score = convergence_score


def _color(attr: float) -> str:
    """Green for positive, red for negative attributions, lighter as they near zero."""
    attr = max(-1.0, min(1.0, float(attr)))
    light = int(100 - 50 * abs(attr))
    hue = 120 if attr > 0 else 0
    return f"hsl({hue}, 75%, {light}%)"


def format_words(words: Sequence[str], attrs: np.ndarray) -> str:
    """The tokens as HTML spans shaded by attribution."""
    if len(words) != len(attrs):
        raise ValueError(f"visualize_text: {len(words)} tokens but {len(attrs)} word attributions")
    spans = (
        f'<mark style="background-color: {_color(a)}; opacity:1.0; line-height:1.75">'
        f"<font color='black'> {html.escape(str(w))} </font></mark>"
        for w, a in zip(words, attrs, strict=True)
    )
    return "<td>" + "".join(spans) + "</td>"


def visualize_text(
    datarecords: Sequence[VisualizationDataRecord], legend: bool = True, out_path: str | None = None
) -> str:
    """An HTML table of text attributions (Captum's visualize_text); returns the HTML."""
    rows = ["<table width: 100%><tr><th>True Label</th><th>Predicted Label</th>"
            "<th>Attribution Label</th><th>Attribution Score</th>"
            "<th>Word Importance</th></tr>"]  # fmt: skip
    for r in datarecords:
        rows.append(
            f"<tr><td><text style='padding-right:2em'><b>{html.escape(str(r.true_class))}"
            f"</b></text></td><td><text style='padding-right:2em'><b>"
            f"{html.escape(str(r.pred_class))} ({r.pred_prob:.2f})</b></text></td>"
            f"<td><text style='padding-right:2em'><b>{html.escape(str(r.attr_class))}</b>"
            f"</text></td><td><text style='padding-right:2em'><b>{r.attr_score:.2f}</b>"
            f"</text></td>{format_words(r.raw_input_ids, r.word_attributions)}</tr>"
        )
    rows.append("</table>")
    if legend:
        rows.append(
            "<div style='border-top: 1px solid; margin-top: 5px; padding-top: 5px; "
            "display: inline-block'><b>Legend: </b>"
            f"<span style='display: inline-block; width: 10px; height: 10px; border: 1px solid; "
            f"background-color: {_color(-1)}'></span> Negative  "
            f"<span style='display: inline-block; width: 10px; height: 10px; border: 1px solid; "
            f"background-color: {_color(0)}'></span> Neutral  "
            f"<span style='display: inline-block; width: 10px; height: 10px; border: 1px solid; "
            f"background-color: {_color(1)}'></span> Positive</div>"
        )
    text = "".join(rows)
    if out_path is not None:
        with open(out_path, "w", encoding="utf-8") as f:
            f.write(text)
    return text
