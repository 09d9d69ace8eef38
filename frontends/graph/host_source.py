"""Host sources of a Session run for the TF1 queue pipeline: a queue's dequeue or a reader's
read yields one element per run on the host.

Numbers in an element become placeholders the session feeds (`attrs["host_pull"]`, as for
tf.data's get_next, see data/_host.py); strings stay on the host as `HostValue`s. Parsing or
decoding such a string (`tf.parse_single_example`, `tf.decode_csv`, `tf.decode_raw`) records a
host stage on the source, whose numeric outputs are more placeholders of the same source: one
pull per run reads one element and runs every stage, so all values of a run come from the same
element.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from .array_ops import placeholder
from .data.parsing import HostValue, Tracer
from .data.spec import TensorSpec
from .shapes import TensorShape
from .tensor import Tensor


class _SourceTracer(Tracer):
    """The stages recorded on one source's strings; registers their outputs with the source."""

    def __init__(self, source: Source) -> None:
        super().__init__()
        self.source = source

    def add(self, stage: Any) -> None:
        with self.source.lock:
            self.stages.append(stage)
            for out in stage.outputs:
                self.source.adopt(out)


class Source:
    """One element per Session run from `fetch(session)`: a list of component values."""

    def __init__(self, fetch: Callable[[Any], list], specs: list, name: str) -> None:
        self.fetch = fetch
        self.lock = threading.RLock()
        self.tracer = _SourceTracer(self)
        self.outputs: list = []  # placeholders fed from this source, by host_index
        self.components: list = []  # per component: a placeholder or a HostValue
        self._local = threading.local()
        for k, (dtype, shape) in enumerate(specs):
            if is_string(dtype):
                hv = HostValue(TensorSpec(TensorShape(shape), _string_spec_dtype()), f"{name}:{k}")
                self.adopt(hv)
                self.components.append(hv)
            else:
                t = placeholder(dtype, shape, name=name)
                t.node.attrs["type"] = "QueueDequeue"
                self.adopt(t)
                self.components.append(t)

    def adopt(self, out: Any) -> None:
        """Make `out` (a stage output) part of this source's element."""
        if isinstance(out, HostValue):
            out.tracer = self.tracer
            out.source = self
        else:
            out.node.attrs["host_pull"] = self
            out.node.attrs["host_index"] = len(self.outputs)
            self.outputs.append(out)

    def pull_env(self, session: Any) -> tuple[dict, dict]:
        """Read one element and run the stages: (host values by id, placeholder values)."""
        values = self.fetch(session)
        env: dict = {}
        feeds: dict = {}
        for comp, v in zip(self.components, values, strict=True):
            if isinstance(comp, HostValue):
                env[id(comp)] = v
            else:
                feeds[comp] = v
        with self.lock:
            stages = list(self.tracer.stages)
        for st in stages:
            outs = st.fn(*[env[id(x)] for x in st.inputs])
            for sym, v in zip(st.outputs, outs, strict=True):
                if isinstance(sym, HostValue):
                    env[id(sym)] = v
                else:
                    feeds[sym] = v
        self._local.env = env
        return env, feeds

    def pull(self, session: Any) -> list:
        """The values of every placeholder of this source for one run (data/_host.py)."""
        _, feeds = self.pull_env(session)
        return [feeds[t] for t in self.outputs]

    def forget(self) -> None:
        """Drop this thread's record of the last element read."""
        self._local.env = None

    def last_env(self) -> dict | None:
        """The host values of the element this thread read last (None if forgotten)."""
        return getattr(self._local, "env", None)


def _string_spec_dtype() -> Any:
    from .dtypes import string

    return string


def is_string(dtype: Any) -> bool:
    """True for tf.string (strings live on the host, not in graph tensors)."""
    return getattr(dtype, "name", None) == "string" and not hasattr(dtype, "np_dtype")


def evaluate(session: Any, comps: list, feed_dict: dict | None) -> list:
    """The values of `comps` (tensors, host strings or constants) in one consistent run."""
    tensors = [c for c in comps if isinstance(c, Tensor)]
    sources = {id(c.source): c.source for c in comps if isinstance(c, HostValue)}
    for src in sources.values():
        src.forget()
    got = iter(session.run(tensors, feed_dict) if tensors else [])
    envs: dict = {}
    for key, src in sources.items():
        env = src.last_env()
        envs[key] = env if env is not None else src.pull_env(session)[0]
    out = []
    for c in comps:
        if isinstance(c, Tensor):
            out.append(np.asarray(next(got)))
        elif isinstance(c, HostValue):
            out.append(envs[id(c.source)][id(c)])
        else:
            out.append(c)
    return out
