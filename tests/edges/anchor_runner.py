"""Calls of the anchors (real PyTorch, real TF1) for the every-name fuzzer, in process or in a
worker process with a time limit.

Some drawn arguments make an anchor loop for ever (real PyTorch's max_pool1d) or abort the
process (real TF's unsorted_segment_mean). In a campaign each anchor call therefore runs in a
long-lived worker process: a call that passes the time limit or kills the worker costs that one
example its anchor (it is then judged like a name without one: a named error or a result), and
the next call starts a fresh worker. The suite's fixed budget calls the anchors in process.

Run as a script, this file is the worker: it reads pickled requests on stdin and writes
pickled answers on a private copy of stdout (the anchors' own prints go to stderr).
"""

from __future__ import annotations

import os
import pickle
import select
import struct
import subprocess
import sys

import numpy as np

# label -> "module:attributes" of the anchor namespace
ANCHOR_PATHS = {
    "torch": "torch:",
    "torch.nn.functional": "torch:nn.functional",
    "torch.linalg": "torch:linalg",
    "torch.special": "torch:special",
    "torch.fft": "torch:fft",
    "torch.Tensor": "torch:Tensor",
    "tf": "tensorflow.compat.v1:",
    "tf.nn": "tensorflow.compat.v1:nn",
    "tf.math": "tensorflow.compat.v1:math",
    "tf.linalg": "tensorflow.compat.v1:linalg",
    "tf.image": "tensorflow.compat.v1:image",
}

# seconds an anchor call may take in a campaign (DUOGRAD_FUZZ_ANCHOR_TIMEOUT overrides)
TIMEOUT = float(os.environ.get("DUOGRAD_FUZZ_ANCHOR_TIMEOUT", "60") or 60)


def anchor_fn(label: str, name: str):
    """The anchor's function of that name, or None where the anchor lacks it."""
    module, _, attrs = ANCHOR_PATHS[label].partition(":")
    if module.startswith("tensorflow"):
        os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        obj = __import__(module, fromlist=["_"])
        for part in filter(None, attrs.split(".")):
            obj = getattr(obj, part)
        return getattr(obj, name)
    except Exception:  # noqa: BLE001 - the anchor is absent or lacks the name
        return None


def make(v, style: str, lib):
    """A drawn value as the library's object: tensors (eager) or constants (graph)."""
    kind, x = v
    if kind == "py":
        return x
    if kind == "list":
        return [make(e, style, lib) for e in x]
    if style == "eager":
        return lib.tensor(x.copy())
    return lib.constant(x.copy())


def call_eager(fn, args, kwargs, lib):
    """fn called on the drawn values made into the library's tensors."""
    a = [make(v, "eager", lib) for v in args]
    k = {n: make(v, "eager", lib) for n, v in kwargs.items()}
    with np.errstate(all="ignore"):
        return fn(*a, **k)


def run_tf1(anchor, args, kwargs):
    """The TF1 anchor built on constants and run in a session (None: it gave no tensors)."""
    import tensorflow.compat.v1 as tf1

    g = tf1.Graph()
    with g.as_default():
        a = [make(v, "graph", tf1) for v in args]
        k = {n: make(v, "graph", tf1) for n, v in kwargs.items()}
        out = anchor(*a, **k)
        fetch = [o for o in (out if isinstance(out, (list, tuple)) else [out])]
        if not all(isinstance(o, tf1.Tensor) for o in fetch) or not fetch:
            return None
        with tf1.Session(graph=g) as s:
            res = s.run(fetch)
    return res if isinstance(out, (list, tuple)) else res[0]


def outputs(r) -> list[np.ndarray] | None:
    """The arrays of a result (a tensor, or a tuple/list of tensors), else None."""
    if isinstance(r, (tuple, list)):
        parts = [outputs(x) for x in r]
        if any(p is None for p in parts):
            return None
        return [a for p in parts for a in p]
    if hasattr(r, "detach") and hasattr(r, "numpy"):
        try:
            return [np.asarray(r.detach().numpy())]
        except Exception:  # noqa: BLE001 - not a plain tensor
            return None
    if isinstance(r, (np.ndarray, np.generic, bool, int, float)):
        return [np.asarray(r)]
    return None


def call_anchor(label: str, name: str, style: str, args, kwargs):
    """(result, error) of the anchor in this process; the result as its arrays or None."""
    anchor = anchor_fn(label, name)
    try:
        if style == "eager":
            import torch as real

            r = call_eager(anchor, args, kwargs, real)
        else:
            r = run_tf1(anchor, args, kwargs)
    except Exception as e:  # noqa: BLE001 - judged by the caller
        return None, e
    return outputs(r), None


# ---- the worker process ---------------------------------------------------------------------


def _send(f, obj) -> None:
    data = pickle.dumps(obj)
    f.write(struct.pack("<Q", len(data)) + data)
    f.flush()


def _portable(e: Exception) -> Exception:
    """The error itself when it survives pickling, else a builtin of the nearest kind."""
    try:
        pickle.loads(pickle.dumps(e))
        return e
    except Exception:  # noqa: BLE001 - an anchor error that cannot travel
        for kind in (TypeError, NotImplementedError, ValueError, IndexError, RuntimeError):
            if isinstance(e, kind):
                return kind(f"{type(e).__name__}: {e}")
        return RuntimeError(f"{type(e).__name__}: {e}")


def _serve() -> None:
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # an anchor's prints must not reach the answers' pipe
    inp = sys.stdin.buffer
    while True:
        head = inp.read(8)
        if len(head) < 8:
            return
        (n,) = struct.unpack("<Q", head)
        label, name, style, args, kwargs = pickle.loads(inp.read(n))
        res, err = call_anchor(label, name, style, args, kwargs)
        _send(out, (res, None if err is None else _portable(err)))


class AnchorTimeout(Exception):
    """The anchor passed the time limit or ended its process: no verdict for this example."""


class Worker:
    """One anchor worker process, started on first use and again after a hang or a crash."""

    def __init__(self, timeout: float = TIMEOUT) -> None:
        self.timeout = timeout
        self.proc: subprocess.Popen | None = None

    def _start(self) -> subprocess.Popen:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = subprocess.Popen(
                [sys.executable, os.path.abspath(__file__)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        return self.proc

    def stop(self) -> None:
        """End this worker (its own process only)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def _read(self, fd: int, n: int, why: str) -> bytes:
        buf = b""
        while len(buf) < n:
            ready, _, _ = select.select([fd], [], [], self.timeout)
            if not ready:
                self.stop()
                raise AnchorTimeout(f"the anchor ran past {self.timeout:g} s ({why})")
            chunk = os.read(fd, n - len(buf))
            if not chunk:
                code = self.proc.wait() if self.proc is not None else None
                self.proc = None
                raise AnchorTimeout(f"the anchor ended its process (exit code {code}; {why})")
            buf += chunk
        return buf

    def call(self, label: str, name: str, style: str, args, kwargs):
        """(result arrays or None, error or None) from the anchor in the worker."""
        proc = self._start()
        data = pickle.dumps((label, name, style, args, kwargs))
        why = f"{label}.{name}"
        try:
            proc.stdin.write(struct.pack("<Q", len(data)) + data)
            proc.stdin.flush()
        except BrokenPipeError:
            self.proc = None
            raise AnchorTimeout(f"the anchor's process had ended ({why})") from None
        fd = proc.stdout.fileno()
        (n,) = struct.unpack("<Q", self._read(fd, 8, why))
        return pickle.loads(self._read(fd, n, why))


if __name__ == "__main__":
    _serve()
