"""`tf.train.MonitoredSession` and friends: a Session that initialises or restores itself and
runs hooks around every `run` (`SessionRunHook`, `SessionRunArgs`, `Scaffold`, the session
creators, `MonitoredTrainingSession`, `SingularMonitoredSession`)."""

from __future__ import annotations

import collections
import os
from typing import Any

from . import errors
from .control_flow import group
from .graph import GraphKeys, get_default_graph
from .saver import Saver, latest_checkpoint
from .session import Session
from .variables import global_variables_initializer, local_variables_initializer


class SessionRunArgs(collections.namedtuple("SessionRunArgs", ["fetches", "feed_dict", "options"])):
    """What a hook adds to a `run`: more fetches and feeds."""

    def __new__(cls, fetches: Any, feed_dict: Any = None, options: Any = None) -> SessionRunArgs:
        return super().__new__(cls, fetches, feed_dict, options)


class SessionRunValues(
    collections.namedtuple("SessionRunValues", ["results", "options", "run_metadata"])
):
    """What a hook gets back after a `run`: the values of the fetches it asked for."""


class SessionRunContext:
    """The `run` call a hook sees: the caller's arguments, the session, a way to stop."""

    def __init__(self, original_args: SessionRunArgs, session: Any) -> None:
        self._original_args, self._session, self._stop_requested = original_args, session, False

    @property
    def original_args(self) -> SessionRunArgs:
        """The caller's fetches and feeds."""
        return self._original_args

    @property
    def session(self) -> Any:
        """The session being run (a plain tf.Session)."""
        return self._session

    @property
    def stop_requested(self) -> bool:
        """Whether a hook asked the loop to stop."""
        return self._stop_requested

    def request_stop(self) -> None:
        """Ask the monitored session to stop: its `should_stop()` turns True."""
        self._stop_requested = True


class SessionRunHook:
    """Hook into a MonitoredSession's life: begin, after_create_session, before/after_run, end."""

    def begin(self) -> None:
        """Called once before the session is made; the graph may still change."""

    def after_create_session(self, session: Any, coord: Any) -> None:
        """Called once the session is made and initialised (the graph is finalized)."""

    def before_run(self, run_context: SessionRunContext) -> SessionRunArgs | None:
        """Called before each run: return SessionRunArgs to add fetches and feeds."""
        return None

    def after_run(self, run_context: SessionRunContext, run_values: SessionRunValues) -> None:
        """Called after each run with the values of the fetches this hook asked for."""

    def end(self, session: Any) -> None:
        """Called when the monitored session closes without an error."""


class Scaffold:
    """The pieces a monitored session needs: init and local-init ops, a saver, a summary op."""

    def __init__(
        self, init_op: Any = None, init_feed_dict: Any = None, init_fn: Any = None,
        ready_op: Any = None, ready_for_local_init_op: Any = None, local_init_op: Any = None,
        summary_op: Any = None, saver: Any = None, copy_from_scaffold: Any = None,
        local_init_feed_dict: Any = None,
    ) -> None:  # fmt: skip
        if copy_from_scaffold is not None:
            if not isinstance(copy_from_scaffold, Scaffold):
                raise TypeError("copy_from_scaffold must be a tf.train.Scaffold")
            c = copy_from_scaffold
            init_op = init_op if init_op is not None else c.init_op
            init_feed_dict = init_feed_dict or c.init_feed_dict
            init_fn = init_fn or c._init_fn
            local_init_op = local_init_op if local_init_op is not None else c.local_init_op
            summary_op = summary_op if summary_op is not None else c.summary_op
            saver = saver if saver is not None else c.saver
        self.init_op, self.init_feed_dict, self._init_fn = init_op, init_feed_dict, init_fn
        self.ready_op, self.ready_for_local_init_op = ready_op, ready_for_local_init_op
        self.local_init_op, self.local_init_feed_dict = local_init_op, local_init_feed_dict
        self.summary_op, self.saver = summary_op, saver
        self._finalized = False

    @property
    def init_fn(self) -> Any:
        """A callable run after init_op: init_fn(scaffold, session)."""
        if self._init_fn is None:
            return None
        return lambda sess: self._init_fn(self, sess)

    def finalize(self) -> Scaffold:
        """Fill in the default ops (from the graph's collections, else new ones), then
        finalize the graph."""
        if self._finalized:
            return self
        g = get_default_graph()
        if self.init_op is None:
            found = g.get_collection(GraphKeys.INIT_OP)
            self.init_op = found[0] if found else global_variables_initializer()
        if self.local_init_op is None:
            found = g.get_collection(GraphKeys.LOCAL_INIT_OP)
            self.local_init_op = found[0] if found else group(local_variables_initializer())
        if self.summary_op is None:
            found = (
                g.get_collection(GraphKeys.SUMMARY_OP) if hasattr(GraphKeys, "SUMMARY_OP") else []
            )
            if found:
                self.summary_op = found[0]
            else:
                from .summary import merge_all

                self.summary_op = merge_all()
        if self.saver is None:
            savers = g.get_collection(GraphKeys.SAVERS)
            if savers:
                self.saver = savers[0]
            elif g.get_collection(GraphKeys.GLOBAL_VARIABLES):
                self.saver = Saver(max_to_keep=5)
                g.add_to_collection(GraphKeys.SAVERS, self.saver)
        g.finalize()
        self._finalized = True
        return self

    @staticmethod
    def default_local_init_op() -> Any:
        """An op initialising the local variables."""
        return group(local_variables_initializer())


class ChiefSessionCreator:
    """Makes a Session: restores the newest checkpoint of `checkpoint_dir` if there is one,
    else runs the scaffold's init_op (and init_fn); then its local_init_op."""

    def __init__(
        self, scaffold: Scaffold | None = None, master: str = "", config: Any = None,
        checkpoint_dir: str | None = None, checkpoint_filename_with_path: str | None = None,
    ) -> None:  # fmt: skip
        self._scaffold = scaffold or Scaffold()
        self._config = config
        self._checkpoint_dir, self._checkpoint_path = checkpoint_dir, checkpoint_filename_with_path

    def create_session(self) -> Session:
        """A new, initialised (or restored) session."""
        s = self._scaffold.finalize()
        sess = Session(graph=get_default_graph(), config=self._config)
        path = self._checkpoint_path
        if path is None and self._checkpoint_dir:
            path = latest_checkpoint(self._checkpoint_dir)
        if path is not None and s.saver is not None:
            s.saver.restore(sess, path)
        else:
            if s.init_op is not None:
                sess.run(s.init_op, feed_dict=s.init_feed_dict)
            if s.init_fn is not None:
                s.init_fn(sess)
        if s.local_init_op is not None:
            sess.run(s.local_init_op, feed_dict=s.local_init_feed_dict)
        return sess


WorkerSessionCreator = ChiefSessionCreator


class _StepContext:
    """What `run_step_fn`'s function gets: the raw session, a hooked run, and a stop."""

    def __init__(self, owner: _MonitoredSessionBase) -> None:
        self._owner = owner

    @property
    def session(self) -> Session:
        """The plain session (runs without hooks)."""
        return self._owner._sess

    def run_with_hooks(self, *args: Any, **kwargs: Any) -> Any:
        """A run of the monitored session (hooks included)."""
        return self._owner.run(*args, **kwargs)

    def request_stop(self) -> None:
        """Stop after this step."""
        self._owner._stop = True


_CALLER = "__caller__"


class _MonitoredSessionBase:
    """Runs hooks around every run of one session, and stops on request or end of input."""

    def __init__(self, session_creator: Any, hooks: Any) -> None:
        self._hooks = list(hooks or [])
        for h in self._hooks:
            h.begin()
        self._sess = session_creator.create_session()
        self._stop = False
        self._closed = False
        # as TF's coordinated session: the graph's queue runners start with the session
        from .queue_runner import Coordinator, start_queue_runners

        self._coord = Coordinator()
        self._threads = start_queue_runners(self._sess, coord=self._coord)
        for h in self._hooks:
            h.after_create_session(self._sess, self._coord)

    @property
    def graph(self) -> Any:
        """The session's graph."""
        return self._sess.graph

    def run(
        self, fetches: Any, feed_dict: Any = None, options: Any = None, run_metadata: Any = None
    ) -> Any:
        """sess.run(fetches, feed_dict) with every hook's before_run / after_run around it."""
        if self._closed:
            raise RuntimeError("Run called on a closed MonitoredSession.")
        args = SessionRunArgs(fetches, feed_dict, options)
        ctx = SessionRunContext(args, self._sess)
        merged = {_CALLER: fetches}
        feeds = dict(feed_dict or {})
        asked: dict = {}
        for k, h in enumerate(self._hooks):
            req = h.before_run(ctx)
            if req is None:
                continue
            asked[k] = req
            if req.fetches is not None:
                merged[k] = req.fetches
            for key, val in (req.feed_dict or {}).items():
                if key in feeds:
                    raise RuntimeError(
                        f"MonitoredSession.run: the hook {type(h).__name__} feeds {key!r}, which "
                        "is already fed by the caller or another hook"
                    )
                feeds[key] = val
        try:
            out = self._sess.run(merged, feed_dict=feeds or None, options=options)
        except (errors.OutOfRangeError, StopIteration):
            self._stop = True
            raise
        for k, h in enumerate(self._hooks):
            if k in asked:
                h.after_run(ctx, SessionRunValues(out.get(k), options, run_metadata))
            else:
                h.after_run(ctx, SessionRunValues(None, options, run_metadata))
        if ctx.stop_requested:
            self._stop = True
        return out[_CALLER]

    def run_step_fn(self, step_fn: Any) -> Any:
        """step_fn(step_context): a step written against the raw session and a hooked run."""
        return step_fn(_StepContext(self))

    def should_stop(self) -> bool:
        """True once a hook asked to stop, input ran out, or the session was closed."""
        return self._stop or self._closed or self._coord.should_stop()

    def close(self) -> None:
        """Call every hook's end(session), then close the session."""
        self._close(run_end=True)

    def _close(self, run_end: bool) -> None:
        if self._closed:
            return
        try:
            if run_end:
                for h in self._hooks:
                    h.end(self._sess)
        finally:
            self._closed = True
            self._coord.request_stop()
            try:
                self._coord.join(self._threads, stop_grace_period_secs=120,
                                 ignore_live_threads=True)  # fmt: skip
            finally:
                self._sess.close()

    def __enter__(self) -> _MonitoredSessionBase:
        self._ctx = self._sess.graph.as_default()
        self._ctx.__enter__()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        # the end of the input is the usual way a training loop ends: swallow it, as TF does
        ended = exc_type is None or issubclass(exc_type, (errors.OutOfRangeError, StopIteration))
        try:
            self._close(run_end=ended)
        finally:
            self._ctx.__exit__(None, None, None)
        return exc_type is not None and ended


class MonitoredSession(_MonitoredSessionBase):
    """A session made by `session_creator` (default: ChiefSessionCreator) with `hooks`."""

    def __init__(
        self, session_creator: Any = None, hooks: Any = None, stop_grace_period_secs: int = 120
    ) -> None:
        super().__init__(session_creator or ChiefSessionCreator(), hooks)


class SingularMonitoredSession(_MonitoredSessionBase):
    """A MonitoredSession made from a scaffold and a checkpoint folder, with `raw_session()`."""

    def __init__(
        self, hooks: Any = None, scaffold: Scaffold | None = None, master: str = "",
        config: Any = None, checkpoint_dir: str | None = None,
        stop_grace_period_secs: int = 120, checkpoint_filename_with_path: str | None = None,
    ) -> None:  # fmt: skip
        creator = ChiefSessionCreator(
            scaffold, master, config, checkpoint_dir, checkpoint_filename_with_path
        )
        super().__init__(creator, hooks)

    def raw_session(self) -> Session:
        """The underlying tf.Session (runs without hooks)."""
        return self._sess


class _UseDefault:
    def __repr__(self) -> str:
        return "USE_DEFAULT"


USE_DEFAULT = _UseDefault()


def MonitoredTrainingSession(  # noqa: N802 (TF's name)
    master: str = "", is_chief: bool = True, checkpoint_dir: str | None = None,
    scaffold: Scaffold | None = None, hooks: Any = None, chief_only_hooks: Any = None,
    save_checkpoint_secs: Any = USE_DEFAULT, save_summaries_steps: Any = USE_DEFAULT,
    save_summaries_secs: Any = USE_DEFAULT, config: Any = None,
    stop_grace_period_secs: int = 120, log_step_count_steps: int = 100,
    max_wait_secs: int = 7200, save_checkpoint_steps: Any = USE_DEFAULT,
    summary_dir: str | None = None, save_graph_def: bool = True,
) -> MonitoredSession:  # fmt: skip
    """A MonitoredSession for training: restores from / saves checkpoints to `checkpoint_dir`,
    writes summaries and logs steps per second there, as TF's does."""
    from .hooks import CheckpointSaverHook, StepCounterHook, SummarySaverHook

    if save_summaries_steps is USE_DEFAULT and save_summaries_secs is USE_DEFAULT:
        save_summaries_steps, save_summaries_secs = 100, None
    else:
        save_summaries_steps = None if save_summaries_steps is USE_DEFAULT else save_summaries_steps
        save_summaries_secs = None if save_summaries_secs is USE_DEFAULT else save_summaries_secs
    if save_checkpoint_secs is USE_DEFAULT and save_checkpoint_steps is USE_DEFAULT:
        save_checkpoint_secs, save_checkpoint_steps = 600, None
    else:
        save_checkpoint_secs = None if save_checkpoint_secs is USE_DEFAULT else save_checkpoint_secs
        save_checkpoint_steps = (
            None if save_checkpoint_steps is USE_DEFAULT else save_checkpoint_steps
        )
    scaffold = scaffold or Scaffold()
    all_hooks = list(hooks or [])
    if is_chief:
        all_hooks += list(chief_only_hooks or [])
        out_dir = summary_dir or checkpoint_dir
        if out_dir:
            if log_step_count_steps and log_step_count_steps > 0:
                all_hooks.append(StepCounterHook(log_step_count_steps, output_dir=out_dir))
            if save_summaries_steps or save_summaries_secs:
                all_hooks.append(
                    SummarySaverHook(
                        save_steps=save_summaries_steps or None,
                        save_secs=save_summaries_secs or None,
                        output_dir=out_dir,
                        scaffold=scaffold,
                    )  # fmt: skip
                )
        if checkpoint_dir and (save_checkpoint_secs or save_checkpoint_steps):
            all_hooks.append(
                CheckpointSaverHook(
                    checkpoint_dir,
                    save_secs=save_checkpoint_secs or None,
                    save_steps=save_checkpoint_steps or None,
                    scaffold=scaffold,
                )  # fmt: skip
            )
    creator = ChiefSessionCreator(scaffold, master, config, checkpoint_dir)
    return MonitoredSession(creator, all_hooks, stop_grace_period_secs)


def checkpoint_path(checkpoint_dir: str, basename: str) -> str:
    """Where a hook saves: <checkpoint_dir>/<basename>."""
    return os.path.join(os.fspath(checkpoint_dir), basename)
