"""The remaining everyday `tf.train` helpers: piecewise_constant_decay, noisy_linear_cosine_decay,
the maybe_* batchers, limit_epochs, match_filenames_once, assert_global_step,
GlobalStepWaiterHook, LooperThread, basic_train_loop, SessionCreator, SessionManager and a
minimal Supervisor (saver, summary writer, `managed_session`, `should_stop`)."""

from __future__ import annotations

import contextlib
import glob
import math
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from ...core import ops
from .decays import _c, _schedule, piecewise_constant
from .graph import GraphKeys, get_default_graph
from .hooks import _need_global_step
from .input_pipeline import _batch
from .monitored import SessionRunHook
from .queue_runner import Coordinator, start_queue_runners
from .variables import Variable


def piecewise_constant_decay(x: Any, boundaries: list, values: list, name: str | None = None):
    """TF1's other name of piecewise_constant."""
    return piecewise_constant(x, boundaries, values, name)


def noisy_linear_cosine_decay(
    learning_rate: float, global_step: Any, decay_steps: float, initial_variance: float = 1.0,
    variance_decay: float = 0.55, num_periods: float = 0.5, alpha: float = 0.0,
    beta: float = 0.001, name: str | None = None,
) -> Any:  # fmt: skip
    """linear_cosine_decay plus Gaussian noise of variance initial_variance / (1 + step)^decay."""
    from .random_ops import random_normal

    noise = random_normal([], dtype=np.float32)

    def build(step):
        s = ops.minimum(step, _c(decay_steps))
        linear = ops.div(ops.sub(_c(decay_steps), s), _c(decay_steps))
        var = ops.div(_c(initial_variance), ops.pow(ops.add(_c(1.0), s), _c(variance_decay)))
        eps = ops.mul(noise, ops.sqrt(var))
        frac = ops.div(s, _c(decay_steps))
        cosv = ops.mul(_c(0.5), ops.add(_c(1), ops.cos(
            ops.mul(ops.mul(_c(math.pi * 2.0), _c(num_periods)), frac))))  # fmt: skip
        decayed = ops.add(ops.mul(ops.add(ops.add(_c(alpha), linear), eps), cosv), _c(beta))
        return ops.mul(_c(learning_rate), decayed)

    return _schedule("NoisyLinearCosineDecay", global_step, name, build)


def maybe_batch_join(
    tensors_list: Any, keep_input: Any, batch_size: int, capacity: int = 32,
    enqueue_many: bool = False, shapes: Any = None, dynamic_pad: bool = False,
    allow_smaller_final_batch: bool = False, shared_name: Any = None, name: str | None = None,
) -> Any:  # fmt: skip
    """batch_join keeping an element only where `keep_input` is true."""
    return _batch(list(tensors_list), batch_size, capacity, enqueue_many, shapes, dynamic_pad,
                  allow_smaller_final_batch, keep_input, name or "batch_join", 1)  # fmt: skip


def maybe_shuffle_batch(
    tensors: Any, batch_size: int, capacity: int, min_after_dequeue: int, keep_input: Any,
    num_threads: int = 1, seed: Any = None, enqueue_many: bool = False, shapes: Any = None,
    allow_smaller_final_batch: bool = False, shared_name: Any = None, name: str | None = None,
) -> Any:  # fmt: skip
    """shuffle_batch keeping an element only where `keep_input` is true."""
    return _batch([tensors], batch_size, capacity, enqueue_many, shapes, False,
                  allow_smaller_final_batch, keep_input, name or "shuffle_batch", num_threads,
                  {"min_after_dequeue": min_after_dequeue, "seed": seed})  # fmt: skip


def maybe_shuffle_batch_join(
    tensors_list: Any, batch_size: int, capacity: int, min_after_dequeue: int, keep_input: Any,
    seed: Any = None, enqueue_many: bool = False, shapes: Any = None,
    allow_smaller_final_batch: bool = False, shared_name: Any = None, name: str | None = None,
) -> Any:  # fmt: skip
    """shuffle_batch_join keeping an element only where `keep_input` is true."""
    return _batch(list(tensors_list), batch_size, capacity, enqueue_many, shapes, False,
                  allow_smaller_final_batch, keep_input, name or "shuffle_batch_join", 1,
                  {"min_after_dequeue": min_after_dequeue, "seed": seed})  # fmt: skip


def limit_epochs(tensor: Any, num_epochs: int | None = None, name: str | None = None) -> Any:
    """`tensor` for num_epochs runs, then OutOfRangeError (None: for ever)."""
    from .input_pipeline import input_producer

    if num_epochs is None:
        return tensor
    if num_epochs <= 0:
        raise ValueError(f"limit_epochs: num_epochs must be > 0, got {num_epochs}")
    from .array_ops import expand_dims

    q = input_producer(expand_dims(tensor, 0), num_epochs=num_epochs, shuffle=False,
                       capacity=1, name=name or "limit_epochs")  # fmt: skip
    return q.dequeue()


def match_filenames_once(pattern: Any, name: str | None = None) -> list:
    """The sorted file names matching `pattern` (a glob, or a list of globs), read once now."""
    patterns = [pattern] if isinstance(pattern, (str, bytes)) else list(pattern)
    out: list = []
    for p in patterns:
        out.extend(sorted(glob.glob(p.decode() if isinstance(p, bytes) else str(p))))
    return out


def assert_global_step(global_step_tensor: Any) -> None:
    """TypeError unless the tensor is a scalar integer (a global step)."""
    if not isinstance(global_step_tensor, Variable) and not hasattr(global_step_tensor, "dtype"):
        raise TypeError(f"Existing global_step is not a Tensor or Variable: {global_step_tensor}")
    if not global_step_tensor.dtype.is_integer:
        raise TypeError(
            f"Existing global_step does not have integer type: {global_step_tensor.dtype}"
        )
    if global_step_tensor.shape.ndims != 0 and global_step_tensor.shape.is_fully_defined():
        raise TypeError(f"Existing global_step is not scalar: {global_step_tensor.shape}")


class GlobalStepWaiterHook(SessionRunHook):
    """Holds the session's first run until the global step reaches `wait_until_step`."""

    def __init__(self, wait_until_step: int) -> None:
        self._wait_until_step = int(wait_until_step)

    def begin(self) -> None:
        """Find the global step."""
        self._worker_is_started = False
        self._step = _need_global_step("GlobalStepWaiterHook")

    def before_run(self, run_context: Any) -> None:
        """Wait (polling every 0.05 s) until another thread has advanced the global step."""
        if self._worker_is_started or self._wait_until_step <= 0:
            self._worker_is_started = True
            return
        while int(run_context.session.run(self._step)) < self._wait_until_step:
            time.sleep(0.05)
        self._worker_is_started = True


class LooperThread(threading.Thread):
    """Calls `target(*args)` (or `run_loop`) every `timer_interval_secs` until coord stops."""

    def __init__(self, coord: Coordinator, timer_interval_secs: float | None, target: Any = None,
                 args: Any = None, kwargs: Any = None) -> None:  # fmt: skip
        super().__init__(daemon=True)
        self._coord, self._secs = coord, timer_interval_secs
        self._target, self._args, self._kwargs = target, tuple(args or ()), dict(kwargs or {})
        coord.register_thread(self)

    @staticmethod
    def loop(coord: Coordinator, timer_interval_secs: float | None, target: Any, args: Any = None,
             kwargs: Any = None) -> LooperThread:  # fmt: skip
        """Start and return a LooperThread."""
        t = LooperThread(coord, timer_interval_secs, target, args, kwargs)
        t.start()
        return t

    def run(self) -> None:
        """The loop; an exception is reported to the coordinator."""
        with self._coord.stop_on_exception():
            self.start_loop()
            if self._secs is None:
                while not self._coord.should_stop():
                    self.run_loop()
            else:
                next_time = time.time()
                while not self._coord.wait_for_stop(max(0.0, next_time - time.time())):
                    next_time += self._secs
                    self.run_loop()
            self.stop_loop()

    def start_loop(self) -> None:
        """Called once before the loop."""

    def stop_loop(self) -> None:
        """Called once after the loop."""

    def run_loop(self) -> None:
        """One iteration: the target."""
        if self._target is not None:
            self._target(*self._args, **self._kwargs)


def basic_train_loop(supervisor: Any, train_step_fn: Any, args: Any = None, kwargs: Any = None,
                     master: str = "") -> None:  # fmt: skip
    """Run `train_step_fn(sess, *args)` in a managed session until it returns True."""
    with supervisor.managed_session(master) as sess:
        while not supervisor.should_stop():
            if train_step_fn(sess, *(args or ()), **(kwargs or {})):
                break


class SessionCreator:
    """Makes a session (base class of ChiefSessionCreator and WorkerSessionCreator)."""

    def create_session(self) -> Any:
        """A new tf.Session."""
        raise NotImplementedError("SessionCreator.create_session must be overridden")


class SessionManager:
    """Creates sessions that are initialised, or restored from a checkpoint."""

    def __init__(self, local_init_op: Any = None, ready_op: Any = None,
                 ready_for_local_init_op: Any = None, graph: Any = None,
                 recovery_wait_secs: float = 30, local_init_run_options: Any = None,
                 local_init_feed_dict: Any = None) -> None:  # fmt: skip
        self._graph = graph if graph is not None else get_default_graph()
        self._local_init_op, self._local_init_feed_dict = local_init_op, local_init_feed_dict
        self._recovery_wait_secs = recovery_wait_secs

    def _new(self, master: str, config: Any) -> Any:
        from .session import Session

        return Session(master, graph=self._graph, config=config)

    def _local_init(self, sess: Any) -> None:
        if self._local_init_op is not None:
            sess.run(self._local_init_op, self._local_init_feed_dict)

    def recover_session(
        self, master: str, saver: Any = None, checkpoint_dir: str | None = None,
        checkpoint_filename_with_path: str | None = None, wait_for_checkpoint: bool = False,
        max_wait_secs: float = 7200, config: Any = None,
    ) -> tuple:  # fmt: skip
        """(session, True) restored from the latest checkpoint, else (session, False)."""
        from .saver import latest_checkpoint

        sess = self._new(master, config)
        path = checkpoint_filename_with_path
        if path is None and checkpoint_dir is not None:
            deadline = time.time() + (max_wait_secs if wait_for_checkpoint else 0)
            path = latest_checkpoint(checkpoint_dir)
            while path is None and time.time() < deadline:
                time.sleep(min(self._recovery_wait_secs, max(0.0, deadline - time.time())))
                path = latest_checkpoint(checkpoint_dir)
        if saver is None or path is None:
            return sess, False
        saver.restore(sess, path)
        self._local_init(sess)
        return sess, True

    def prepare_session(
        self, master: str, init_op: Any = None, saver: Any = None,
        checkpoint_dir: str | None = None, checkpoint_filename_with_path: str | None = None,
        wait_for_checkpoint: bool = False, max_wait_secs: float = 7200, config: Any = None,
        init_feed_dict: Any = None, init_fn: Any = None,
    ) -> Any:  # fmt: skip
        """A session restored from a checkpoint, or initialised with init_op / init_fn."""
        sess, restored = self.recover_session(master, saver, checkpoint_dir,
                                              checkpoint_filename_with_path, wait_for_checkpoint,
                                              max_wait_secs, config)  # fmt: skip
        if not restored:
            if init_op is None and init_fn is None and self._local_init_op is None:
                raise RuntimeError(
                    "Model is not initialized and no init_op or init_fn or local_init_op was given"
                )
            if init_op is not None:
                sess.run(init_op, init_feed_dict)
            if init_fn is not None:
                init_fn(sess)
            self._local_init(sess)
        return sess

    def wait_for_session(self, master: str, config: Any = None,
                         max_wait_secs: float = float("Inf")) -> Any:  # fmt: skip
        """A session for a non-chief worker (one process: a new session, locally initialised)."""
        sess = self._new(master, config)
        self._local_init(sess)
        return sess


class Supervisor:
    """TF1's Supervisor, minimal: initialises or restores, saves every save_model_secs and
    writes summaries every save_summaries_secs on background threads, stops on request."""

    USE_DEFAULT = 0

    def __init__(
        self, graph: Any = None, ready_op: Any = 0, ready_for_local_init_op: Any = 0,
        is_chief: bool = True, init_op: Any = 0, init_feed_dict: Any = None,
        local_init_op: Any = 0, logdir: str | None = None, summary_op: Any = 0, saver: Any = 0,
        global_step: Any = 0, save_summaries_secs: float = 120, save_model_secs: float = 600,
        recovery_wait_secs: float = 30, stop_grace_secs: float = 120,
        checkpoint_basename: str = "model.ckpt", session_manager: Any = None,
        summary_writer: Any = 0, init_fn: Any = None, local_init_run_options: Any = None,
    ) -> None:  # fmt: skip
        from . import summary as summary_mod
        from .saver import Saver
        from .training_util import get_global_step
        from .variables import global_variables_initializer, local_variables_initializer

        self._graph = graph if graph is not None else get_default_graph()
        self._is_chief, self._logdir = is_chief, logdir
        self._init_op = global_variables_initializer() if init_op == 0 else init_op
        self._init_feed_dict, self._init_fn = init_feed_dict, init_fn
        self._local_init_op = local_variables_initializer() if local_init_op == 0 else local_init_op
        self._global_step = get_global_step() if global_step == 0 else global_step
        has_vars = bool(self._graph.get_collection(GraphKeys.GLOBAL_VARIABLES))
        self._saver = (Saver() if has_vars else None) if saver == 0 else saver
        self._summary_op = summary_mod.merge_all() if summary_op == 0 else summary_op
        self._save_model_secs, self._save_summaries_secs = save_model_secs, save_summaries_secs
        self._stop_grace_secs = stop_grace_secs
        self._save_path = None if logdir is None else os.path.join(logdir, checkpoint_basename)
        writer = None
        if summary_writer == 0 and logdir is not None and is_chief:
            writer = summary_mod.FileWriter(logdir, self._graph)
        elif summary_writer not in (0, None):
            writer = summary_writer
        self._summary_writer = writer
        self._session_manager = session_manager or SessionManager(
            local_init_op=self._local_init_op, graph=self._graph
        )
        self._coord = Coordinator()
        self._threads: list = []

    @property
    def coord(self) -> Coordinator:
        """The coordinator of the background threads."""
        return self._coord

    @property
    def saver(self) -> Any:
        """The Saver (or None)."""
        return self._saver

    @property
    def summary_writer(self) -> Any:
        """The FileWriter (or None)."""
        return self._summary_writer

    @property
    def global_step(self) -> Any:
        """The global step tensor (or None)."""
        return self._global_step

    @property
    def is_chief(self) -> bool:
        """Whether this process is the chief."""
        return self._is_chief

    @property
    def save_path(self) -> str | None:
        """The checkpoint prefix."""
        return self._save_path

    def should_stop(self) -> bool:
        """True once a stop was requested (or a thread failed)."""
        return self._coord.should_stop()

    def request_stop(self, ex: Any = None) -> None:
        """Ask every thread to stop."""
        self._coord.request_stop(ex)

    def stop(self, threads: Any = None, close_summary_writer: bool = True,
             ignore_live_threads: bool = False) -> None:  # fmt: skip
        """Stop and join the threads; close the summary writer."""
        self._coord.request_stop()
        self._coord.join(list(threads or []) + self._threads, self._stop_grace_secs,
                         ignore_live_threads=ignore_live_threads)  # fmt: skip
        if close_summary_writer and self._summary_writer is not None:
            self._summary_writer.close()

    def prepare_or_wait_for_session(self, master: str = "", config: Any = None,
                                    wait_for_checkpoint: bool = False,
                                    max_wait_secs: float = 7200,
                                    start_standard_services: bool = True) -> Any:  # fmt: skip
        """A session initialised (or restored from logdir), with the services started."""
        sm = self._session_manager
        if self._is_chief:
            sess = sm.prepare_session(
                master, init_op=self._init_op, saver=self._saver, checkpoint_dir=self._logdir,
                wait_for_checkpoint=wait_for_checkpoint, max_wait_secs=max_wait_secs,
                config=config, init_feed_dict=self._init_feed_dict, init_fn=self._init_fn,
            )  # fmt: skip
        else:
            sess = sm.wait_for_session(master, config=config, max_wait_secs=max_wait_secs)
        if start_standard_services and self._is_chief:
            self.start_standard_services(sess)
        self._threads += start_queue_runners(sess, coord=self._coord)
        return sess

    def start_standard_services(self, sess: Any) -> list:
        """The checkpoint and summary threads (when there is a logdir)."""
        out = []
        if self._logdir is not None and self._saver is not None and self._save_model_secs:
            out.append(LooperThread.loop(self._coord, self._save_model_secs,
                                         lambda: self.saver_save(sess)))  # fmt: skip
        if self._summary_writer is not None and self._summary_op is not None and \
                self._save_summaries_secs:  # fmt: skip
            out.append(LooperThread.loop(self._coord, self._save_summaries_secs,
                                         lambda: self.summary_computed(sess)))  # fmt: skip
        self._threads += out
        return out

    def saver_save(self, sess: Any) -> None:
        """Save a checkpoint now (at the global step)."""
        self._saver.save(sess, self._save_path, global_step=self._global_step)

    def summary_computed(self, sess: Any, summary: Any = None, global_step: Any = None) -> None:
        """Write `summary` (or run the summary op now) to the summary writer."""
        if summary is None:
            summary = sess.run(self._summary_op)
        if global_step is None and self._global_step is not None:
            global_step = int(sess.run(self._global_step))
        self._summary_writer.add_summary(summary, global_step)

    def loop(self, timer_interval_secs: float, target: Any, args: Any = None,
             kwargs: Any = None) -> LooperThread:  # fmt: skip
        """A LooperThread calling `target` on this supervisor's coordinator."""
        t = LooperThread.loop(self._coord, timer_interval_secs, target, args, kwargs)
        self._threads.append(t)
        return t

    def start_queue_runners(self, sess: Any, queue_runners: Any = None) -> list:
        """Start the graph's queue runners (or the given ones) on the coordinator."""
        if queue_runners is None:
            threads = start_queue_runners(sess, coord=self._coord)
        else:
            threads = [t for qr in queue_runners
                       for t in qr.create_threads(sess, coord=self._coord, start=True)]  # fmt: skip
        self._threads += threads
        return threads

    @contextlib.contextmanager
    def managed_session(self, master: str = "", config: Any = None,
                        start_standard_services: bool = True,
                        close_summary_writer: bool = True) -> Iterator[Any]:  # fmt: skip
        """A prepared session; on exit the threads stop (OutOfRangeError ends it cleanly)."""
        from .errors import OutOfRangeError

        sess = self.prepare_or_wait_for_session(
            master, config, start_standard_services=start_standard_services
        )
        try:
            yield sess
        except OutOfRangeError:
            self.request_stop()
        except BaseException as e:
            self.request_stop(e)
            raise
        finally:
            try:
                if self._is_chief and self._logdir is not None and self._saver is not None:
                    self.saver_save(sess)
                self.stop(close_summary_writer=close_summary_writer)
            finally:
                sess.close()


NAMES = (
    "piecewise_constant_decay noisy_linear_cosine_decay maybe_batch_join maybe_shuffle_batch "
    "maybe_shuffle_batch_join limit_epochs match_filenames_once assert_global_step "
    "GlobalStepWaiterHook LooperThread basic_train_loop SessionCreator SessionManager Supervisor"
).split()


def attach(tf: Any) -> None:
    """Add the names to tf.train."""
    for n in NAMES:
        setattr(tf.train, n, globals()[n])
