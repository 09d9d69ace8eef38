"""`tf.train.QueueRunner`, `add_queue_runner`, `start_queue_runners` and `tf.train.Coordinator`:
threads that keep running a queue's enqueue ops in a Session until it is closed or a stop is
requested."""

from __future__ import annotations

import threading
import time
from typing import Any

from . import errors
from .graph import GraphKeys, get_default_graph
from .session import get_default_session


class Coordinator:
    """Stop requests shared by threads; `join` re-raises the first error a thread reported."""

    def __init__(self, clean_stop_exception_types: Any = None) -> None:
        if clean_stop_exception_types is None:
            clean_stop_exception_types = (errors.OutOfRangeError,)
        self._clean = tuple(clean_stop_exception_types)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._error: BaseException | None = None
        self._joined = False
        self._threads: set = set()

    def should_stop(self) -> bool:
        """True once a stop was requested."""
        return self._stop.is_set()

    def request_stop(self, ex: Any = None) -> None:
        """Ask every thread to stop; an exception `ex` (not a clean-stop type) is kept for join."""
        if isinstance(ex, tuple) and len(ex) == 3:  # an exc_info triple
            ex = ex[1]
        with self._lock:
            if ex is not None and not isinstance(ex, self._clean) and self._error is None:
                self._error = ex
            self._stop.set()

    def clear_stop(self) -> None:
        """Forget a stop request (and its error)."""
        with self._lock:
            self._stop.clear()
            self._error = None
            self._joined = False

    def wait_for_stop(self, timeout: float | None = None) -> bool:
        """Block until a stop is requested (or timeout); True if it was."""
        return self._stop.wait(timeout)

    def stop_on_exception(self) -> Any:
        """A context manager turning an exception raised inside into request_stop(ex)."""
        coord = self

        class _Ctx:
            def __enter__(self) -> None:
                return None

            def __exit__(self, kind: Any, ex: Any, tb: Any) -> bool:
                if ex is not None:
                    coord.request_stop(ex)
                return True

        return _Ctx()

    def register_thread(self, thread: threading.Thread) -> None:
        """Have join wait for `thread` too."""
        with self._lock:
            self._threads.add(thread)

    def raise_requested_exception(self) -> None:
        """Re-raise the error given to request_stop, if any."""
        with self._lock:
            if self._error is not None:
                raise self._error

    def join(
        self, threads: Any = None, stop_grace_period_secs: float = 120,
        ignore_live_threads: bool = False,
    ) -> None:  # fmt: skip
        """Wait until a stop is requested or every thread ended, then give the threads
        `stop_grace_period_secs` to end; re-raise the error a thread reported."""
        with self._lock:
            pending = set(threads or ()) | self._threads
        while any(t.is_alive() for t in pending) and not self.wait_for_stop(0.05):
            pass
        deadline = time.monotonic() + stop_grace_period_secs
        for t in pending:
            t.join(max(0.0, deadline - time.monotonic()))
        self._joined = True
        with self._lock:
            self._threads = set()
            error = self._error
        if error is not None:
            raise error
        alive = [t.name for t in pending if t.is_alive()]
        if alive and not ignore_live_threads:
            raise RuntimeError(f"Coordinator stopped with threads still running: {alive}")

    @property
    def joined(self) -> bool:
        """Whether join has returned."""
        return self._joined


class QueueRunner:
    """Runs `enqueue_ops` (one thread each) until the inputs end, then closes the queue."""

    def __init__(
        self, queue: Any = None, enqueue_ops: Any = None, close_op: Any = None,
        cancel_op: Any = None, queue_closed_exception_types: Any = None,
        queue_runner_def: Any = None, import_scope: Any = None,
    ) -> None:  # fmt: skip
        if queue is None or not enqueue_ops:
            raise ValueError("QueueRunner: pass the queue and a non-empty list of enqueue_ops")
        self._queue = queue
        self._enqueue_ops = list(enqueue_ops)
        self._close_op = close_op if close_op is not None else queue.close()
        self._cancel_op = (
            cancel_op if cancel_op is not None else queue.close(cancel_pending_enqueues=True)
        )
        self._closed_types = tuple(
            queue_closed_exception_types or (errors.OutOfRangeError, errors.CancelledError)
        )
        self._lock = threading.Lock()
        self._runs: dict = {}
        self._exceptions: list = []

    @property
    def queue(self) -> Any:
        """The queue this runner fills."""
        return self._queue

    @property
    def enqueue_ops(self) -> list:
        """The ops its threads run."""
        return list(self._enqueue_ops)

    @property
    def close_op(self) -> Any:
        """The op closing the queue when the inputs end."""
        return self._close_op

    @property
    def cancel_op(self) -> Any:
        """The op closing the queue and cancelling pending enqueues on a stop request."""
        return self._cancel_op

    @property
    def exceptions_raised(self) -> list:
        """Errors the threads raised (when run without a coordinator)."""
        return list(self._exceptions)

    @property
    def name(self) -> str:
        """The queue's name."""
        return self._queue.name

    def _run(self, sess: Any, op: Any, coord: Any) -> None:
        decremented = False
        try:
            while not (coord is not None and coord.should_stop()):
                try:
                    sess.run(op)
                except self._closed_types:
                    with self._lock:
                        self._runs[sess] -= 1
                        decremented = True
                        last = self._runs[sess] == 0
                    if last:
                        try:
                            sess.run(self._close_op)
                        except Exception:  # noqa: BLE001 - the session may be closing
                            pass
                    return
        except Exception as e:  # noqa: BLE001 - reported through the coordinator
            if coord is not None:
                coord.request_stop(e)
            else:
                with self._lock:
                    self._exceptions.append(e)
                raise
        finally:
            if not decremented:
                with self._lock:
                    self._runs[sess] -= 1

    def _cancel_on_stop(self, sess: Any, coord: Any) -> None:
        coord.wait_for_stop()
        try:
            sess.run(self._cancel_op)
        except Exception:  # noqa: BLE001 - the session may be closed already
            pass

    def create_threads(
        self, sess: Any, coord: Any = None, daemon: bool = False, start: bool = False
    ) -> list:
        """Threads running the enqueue ops (plus one cancelling the queue on a stop request)."""
        with self._lock:
            if self._runs.get(sess, 0) > 0:
                return []  # already running in this session
            self._runs[sess] = len(self._enqueue_ops)
            self._exceptions = []
        threads = [
            threading.Thread(target=self._run, args=(sess, op, coord), daemon=daemon,
                             name=f"QueueRunner:{self.name}:{k}")
            for k, op in enumerate(self._enqueue_ops)
        ]  # fmt: skip
        if coord is not None:
            threads.append(
                threading.Thread(target=self._cancel_on_stop, args=(sess, coord), daemon=True,
                                 name=f"QueueRunnerCancel:{self.name}")
            )  # fmt: skip
        for t in threads:
            if coord is not None:
                coord.register_thread(t)
            if start:
                t.start()
        return threads


def add_queue_runner(qr: QueueRunner, collection: str = GraphKeys.QUEUE_RUNNERS) -> None:
    """Add `qr` to a graph collection (start_queue_runners starts them)."""
    get_default_graph().add_to_collection(collection, qr)


def start_queue_runners(
    sess: Any = None, coord: Any = None, daemon: bool = True, start: bool = True,
    collection: str = GraphKeys.QUEUE_RUNNERS,
) -> list:  # fmt: skip
    """Start the threads of every queue runner in `collection` of the session's graph."""
    if sess is None:
        sess = get_default_session()
        if sess is None:
            raise ValueError(
                "start_queue_runners: no session given and no default session is registered; "
                "pass sess=... or call it inside `with sess.as_default():`"
            )
    graph = getattr(sess, "graph", None) or get_default_graph()
    threads = []
    for qr in graph.get_collection(collection):
        threads.extend(qr.create_threads(sess, coord=coord, daemon=daemon, start=start))
    return threads
