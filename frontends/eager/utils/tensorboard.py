"""``torch.utils.tensorboard.SummaryWriter``: TensorBoard event files (the `tensorboard` extra).

Summaries are built and written by `duograd.core.tensorboard_io` with the `tensorboard`
package's own protobufs and event-file writer. `add_scalars` writes each series to its own run
folder ``<logdir>/<main_tag>_<tag>``, as PyTorch does; `add_graph` captures the module's
operations on an example input (`trace.trace_module`) for the Graphs tab.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime
from typing import Any

import numpy as np

from ....core import tensorboard_io as tb
from ..tensor import Tensor
from ..trace import trace_module

__all__ = ["SummaryWriter"]


def _array(x: Any) -> np.ndarray:
    return np.asarray(x._data if isinstance(x, Tensor) else x)


def _default_logdir(comment: str) -> str:
    stamp = datetime.now().strftime("%b%d_%H-%M-%S")
    return os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")


class SummaryWriter:
    """Writes scalars, histograms, images, text and graphs to an event file in `log_dir`."""

    def __init__(
        self,
        log_dir: str | None = None,
        comment: str = "",
        purge_step: int | None = None,
        max_queue: int = 10,
        flush_secs: int = 120,
        filename_suffix: str = "",
    ) -> None:
        self.log_dir = os.fspath(log_dir) if log_dir is not None else _default_logdir(comment)
        self._args = (max_queue, flush_secs, filename_suffix)
        self._w = tb.EventWriter(self.log_dir, *self._args)
        self._series: dict[str, tb.EventWriter] = {}

    def get_logdir(self) -> str:
        """The folder the event file is in."""
        return self.log_dir

    def add_scalar(self, tag: str, scalar_value: Any, global_step: int | None = None,
                   walltime: float | None = None, new_style: bool = False) -> None:  # fmt: skip
        """Log one number at `global_step`."""
        self._w.add_summary(tb.scalar(tag, _array(scalar_value)), global_step, walltime)

    def add_scalars(self, main_tag: str, tag_scalar_dict: dict, global_step: int | None = None,
                    walltime: float | None = None) -> None:  # fmt: skip
        """Log several numbers under `main_tag`, each as its own run (one chart in TensorBoard)."""
        for tag, value in tag_scalar_dict.items():
            folder = os.path.join(self.log_dir, f"{main_tag}_{tag}".replace("/", "_"))
            w = self._series.get(folder)
            if w is None:
                w = self._series[folder] = tb.EventWriter(folder, *self._args)
            w.add_summary(tb.scalar(main_tag, _array(value)), global_step, walltime)

    def add_histogram(self, tag: str, values: Any, global_step: int | None = None,
                      bins: Any = "tensorflow", walltime: float | None = None,
                      max_bins: int | None = None) -> None:  # fmt: skip
        """Log a histogram of `values`."""
        n = bins if isinstance(bins, int) else (max_bins or 30)
        self._w.add_summary(tb.histogram(tag, _array(values), n), global_step, walltime)

    def add_image(self, tag: str, img_tensor: Any, global_step: int | None = None,
                  walltime: float | None = None, dataformats: str = "CHW") -> None:  # fmt: skip
        """Log one image (CHW by default, as PyTorch; HWC, HW also accepted)."""
        a = _array(img_tensor)
        fmt = dataformats.upper()
        if sorted(fmt) not in (sorted("CHW"), sorted("HW")) or a.ndim != len(fmt):
            raise ValueError(
                f"add_image '{tag}': dataformats {dataformats!r} does not fit an image of shape "
                f"{a.shape}; use 'CHW', 'HWC' or 'HW'"
            )
        if fmt == "HW":
            a = a[:, :, None]
        else:
            a = a.transpose([fmt.index("H"), fmt.index("W"), fmt.index("C")])
        summary = tb.images(tag, a[None], 1)
        # PyTorch's tag is the tag itself, not TF's "<tag>/image"
        pb = tb.summary_pb2().Summary.FromString(summary)
        pb.value[0].tag = tag
        self._w.add_summary(pb, global_step, walltime)

    def add_text(self, tag: str, text_string: str, global_step: int | None = None,
                 walltime: float | None = None) -> None:  # fmt: skip
        """Log a text (TensorBoard's Text tab)."""
        self._w.add_summary(tb.text(tag, text_string), global_step, walltime)

    def add_graph(self, model: Any, input_to_model: Any = None, verbose: bool = False,
                  use_strict_trace: bool = True) -> None:  # fmt: skip
        """Log the module's operations, captured by running it once on `input_to_model`."""
        if input_to_model is None:
            raise ValueError("add_graph: pass input_to_model, an example input the model runs on")
        args = input_to_model if isinstance(input_to_model, tuple) else (input_to_model,)
        t = trace_module(model, args, "add_graph")
        self._w.add_graph_def(tb.graph_def(tb.ir_graph_rows(t.graph)))

    def flush(self) -> None:
        """Write pending events to disk."""
        self._w.flush()
        for w in self._series.values():
            w.flush()

    def close(self) -> None:
        """Flush and close every event file."""
        self._w.close()
        for w in self._series.values():
            w.close()

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
