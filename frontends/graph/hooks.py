"""The `tf.train` session-run hooks: StopAtStepHook, CheckpointSaverHook, LoggingTensorHook,
SummarySaverHook, StepCounterHook, NanTensorHook, FeedFnHook, FinalOpsHook, and the
SecondOrStepTimer they share."""

from __future__ import annotations

import logging
import os
import time
from typing import Any

import numpy as np

from .graph import get_default_graph
from .monitored import SessionRunArgs, SessionRunHook
from .training_util import get_global_step

_LOG = logging.getLogger("duograd.tf")


def _need_global_step(hook: str) -> Any:
    step = get_global_step()
    if step is None:
        raise RuntimeError(f"Global step should be created to use {hook}.")
    return step


class SecondOrStepTimer:
    """Fires every `every_secs` seconds or every `every_steps` steps (exactly one is given)."""

    def __init__(self, every_secs: float | None = None, every_steps: int | None = None) -> None:
        if (every_secs is None) == (every_steps is None):
            raise ValueError("exactly one of every_secs and every_steps should be provided.")
        self._every_secs, self._every_steps = every_secs, every_steps
        self.reset()

    def reset(self) -> None:
        """Forget the last firing (the next check fires)."""
        self._last_time: float | None = None
        self._last_step: int | None = None

    def should_trigger_for_step(self, step: int) -> bool:
        """Whether `step` is due."""
        if self._last_step is None:
            return True
        if step == self._last_step:
            return False
        if self._every_secs is not None:
            return time.time() >= self._last_time + self._every_secs
        return step >= self._last_step + self._every_steps

    def update_last_triggered_step(self, step: int) -> tuple:
        """Record a firing at `step`: (seconds, steps) since the one before (None the first)."""
        now = time.time()
        if self._last_time is None:
            out = (None, None)
        else:
            out = (now - self._last_time, step - self._last_step)
        self._last_time, self._last_step = now, step
        return out

    def last_triggered_step(self) -> int | None:
        """The step of the last firing."""
        return self._last_step


class StopAtStepHook(SessionRunHook):
    """Asks to stop once the global step reaches `last_step` (or start + `num_steps`)."""

    def __init__(self, num_steps: int | None = None, last_step: int | None = None) -> None:
        if num_steps is None and last_step is None:
            raise ValueError("One of num_steps or last_step must be specified.")
        if num_steps is not None and last_step is not None:
            raise ValueError("Only one of num_steps or last_step can be specified.")
        self._num_steps, self._last_step = num_steps, last_step

    def begin(self) -> None:
        """Find the global step."""
        self._step = _need_global_step("StopAtStepHook")

    def after_create_session(self, session: Any, coord: Any) -> None:
        """With num_steps, the last step counts from the step the session starts at."""
        if self._last_step is None:
            self._last_step = int(session.run(self._step)) + self._num_steps

    def before_run(self, run_context: Any) -> SessionRunArgs:
        """Read the global step (its value before this run's update)."""
        return SessionRunArgs(self._step)

    def after_run(self, run_context: Any, run_values: Any) -> None:
        """Stop once the step (read again when it may be due) reaches the last step."""
        if int(run_values.results) + 1 >= self._last_step:
            if int(run_context.session.run(self._step)) >= self._last_step:
                run_context.request_stop()


class CheckpointSaverHook(SessionRunHook):
    """Saves a checkpoint every `save_secs` seconds or `save_steps` steps, at the start and
    at the end."""

    def __init__(
        self, checkpoint_dir: str, save_secs: float | None = None, save_steps: int | None = None,
        saver: Any = None, checkpoint_basename: str = "model.ckpt", scaffold: Any = None,
        listeners: Any = None, save_graph_def: bool = True,
    ) -> None:  # fmt: skip
        if saver is not None and scaffold is not None:
            raise ValueError("You cannot provide both saver and scaffold.")
        self._dir = os.fspath(checkpoint_dir)
        self._path = os.path.join(self._dir, checkpoint_basename)
        self._saver, self._scaffold = saver, scaffold
        self._timer = SecondOrStepTimer(every_secs=save_secs, every_steps=save_steps)
        self._listeners = list(listeners or [])

    def begin(self) -> None:
        """Find the global step; tell the listeners."""
        self._step = _need_global_step("CheckpointSaverHook")
        for lst in self._listeners:
            lst.begin()

    def after_create_session(self, session: Any, coord: Any) -> None:
        """Save the starting point."""
        step = int(session.run(self._step))
        self._save(session, step)
        self._timer.update_last_triggered_step(step)

    def before_run(self, run_context: Any) -> SessionRunArgs:
        """Read the global step."""
        return SessionRunArgs(self._step)

    def after_run(self, run_context: Any, run_values: Any) -> None:
        """Save when due."""
        if self._timer.should_trigger_for_step(int(run_values.results) + 1):
            step = int(run_context.session.run(self._step))
            if self._timer.should_trigger_for_step(step):
                self._timer.update_last_triggered_step(step)
                if self._save(run_context.session, step):
                    run_context.request_stop()

    def end(self, session: Any) -> None:
        """Save the last step if it was not saved yet."""
        step = int(session.run(self._step))
        if step != self._timer.last_triggered_step():
            self._save(session, step)
        for lst in self._listeners:
            lst.end(session, step)

    def _get_saver(self) -> Any:
        if self._saver is not None:
            return self._saver
        if self._scaffold is not None and self._scaffold.saver is not None:
            return self._scaffold.saver
        from .graph import GraphKeys

        savers = get_default_graph().get_collection(GraphKeys.SAVERS)
        if not savers:
            raise RuntimeError(
                "CheckpointSaverHook: no saver; pass saver= or a scaffold, or add a Saver to the "
                "SAVERS collection"
            )
        return savers[0]

    def _save(self, session: Any, step: int) -> bool:
        _LOG.info("Saving checkpoints for %d into %s.", step, self._path)
        for lst in self._listeners:
            lst.before_save(session, step)
        self._get_saver().save(session, self._path, global_step=step)
        stop = False
        for lst in self._listeners:
            stop = bool(lst.after_save(session, step)) or stop
        return stop


class CheckpointSaverListener:
    """Called around the saves of a CheckpointSaverHook."""

    def begin(self) -> None:
        """Before the session is made."""

    def before_save(self, session: Any, global_step_value: int) -> None:
        """Before each save."""

    def after_save(self, session: Any, global_step_value: int) -> bool | None:
        """After each save; True asks the training to stop."""

    def end(self, session: Any, global_step_value: int) -> None:
        """At the end of the training."""


def _as_named(tensors: Any) -> tuple[list, dict]:
    if isinstance(tensors, dict):
        return list(tensors), dict(tensors)
    items = list(tensors)
    tags = [t if isinstance(t, str) else t.name for t in items]
    return tags, dict(zip(tags, items, strict=True))


class LoggingTensorHook(SessionRunHook):
    """Logs the values of `tensors` every N runs or N seconds (and at the end if asked)."""

    def __init__(
        self, tensors: Any, every_n_iter: int | None = None, every_n_secs: float | None = None,
        at_end: bool = False, formatter: Any = None,
    ) -> None:  # fmt: skip
        only_end = at_end and every_n_iter is None and every_n_secs is None
        if not only_end and (every_n_iter is None) == (every_n_secs is None):
            raise ValueError(
                "either at_end and/or exactly one of every_n_iter and every_n_secs must be "
                "provided."
            )
        if every_n_iter is not None and every_n_iter <= 0:
            raise ValueError(f"invalid every_n_iter={every_n_iter}.")
        self._tags, self._tensors = _as_named(tensors)
        self._formatter, self._at_end, self._only_end = formatter, at_end, only_end
        self._timer = (
            None
            if only_end
            else SecondOrStepTimer(every_secs=every_n_secs, every_steps=every_n_iter)
        )

    def begin(self) -> None:
        """Start counting runs."""
        if self._timer is not None:
            self._timer.reset()
        self._iter = 0

    def before_run(self, run_context: Any) -> SessionRunArgs | None:
        """Ask for the tensors when due."""
        self._due = self._timer is not None and self._timer.should_trigger_for_step(self._iter)
        return SessionRunArgs(self._tensors) if self._due else None

    def _log(self, values: dict) -> None:
        if self._formatter is not None:
            _LOG.info(self._formatter(values))
            return
        with np.printoptions(suppress=True):
            stats = ", ".join(f"{tag} = {values[tag]}" for tag in self._tags)
        elapsed = self._timer.update_last_triggered_step(self._iter)[0] if self._timer else None
        if elapsed is not None:
            _LOG.info("%s (%.3f sec)", stats, elapsed)
        else:
            _LOG.info("%s", stats)

    def after_run(self, run_context: Any, run_values: Any) -> None:
        """Log when due."""
        if self._due:
            self._log(run_values.results)
        self._iter += 1

    def end(self, session: Any) -> None:
        """Log once more at the end if at_end."""
        if self._at_end:
            self._log(session.run(self._tensors))


class StepCounterHook(SessionRunHook):
    """Logs global steps per second every N steps (or seconds)."""

    def __init__(
        self, every_n_steps: int = 100, every_n_secs: float | None = None,
        output_dir: str | None = None, summary_writer: Any = None,
    ) -> None:  # fmt: skip
        if (every_n_steps is None) == (every_n_secs is None):
            raise ValueError("exactly one of every_n_steps and every_n_secs should be provided.")
        self._timer = SecondOrStepTimer(every_steps=every_n_steps, every_secs=every_n_secs)
        self.steps_per_sec: float | None = None

    def begin(self) -> None:
        """Find the global step."""
        self._step = _need_global_step("StepCounterHook")

    def before_run(self, run_context: Any) -> SessionRunArgs:
        """Read the global step."""
        return SessionRunArgs(self._step)

    def after_run(self, run_context: Any, run_values: Any) -> None:
        """Log the rate when due."""
        step = int(run_values.results) + 1
        if self._timer.should_trigger_for_step(step):
            secs, steps = self._timer.update_last_triggered_step(step)
            if secs:
                self.steps_per_sec = steps / secs
                _LOG.info("global_step/sec: %g", self.steps_per_sec)


class SummarySaverHook(SessionRunHook):
    """Runs the summary op every N steps (or seconds) and writes its result to `output_dir`."""

    def __init__(
        self, save_steps: int | None = None, save_secs: float | None = None,
        output_dir: str | None = None, summary_writer: Any = None, scaffold: Any = None,
        summary_op: Any = None,
    ) -> None:  # fmt: skip
        if (scaffold is None) == (summary_op is None):
            raise ValueError("Exactly one of scaffold or summary_op must be provided.")
        if output_dir is None and summary_writer is None:
            raise ValueError("output_dir or summary_writer must be provided.")
        self._timer = SecondOrStepTimer(every_secs=save_secs, every_steps=save_steps)
        self._scaffold, self._summary_op = scaffold, summary_op
        self._dir, self._writer = output_dir, summary_writer

    def begin(self) -> None:
        """Open the writer, find the global step."""
        if self._writer is None:
            from .summary import FileWriter

            self._writer = FileWriter(self._dir)
        self._next = None
        self._step = _need_global_step("SummarySaverHook")

    def _ops(self) -> list:
        op = self._summary_op if self._summary_op is not None else self._scaffold.summary_op
        if op is None:
            return []
        return list(op) if isinstance(op, (list, tuple)) else [op]

    def before_run(self, run_context: Any) -> SessionRunArgs:
        """Ask for the summaries when due."""
        self._due = self._next is None or self._timer.should_trigger_for_step(self._next)
        req: dict = {"global_step": self._step}
        if self._due and self._ops():
            req["summary"] = self._ops()
        return SessionRunArgs(req)

    def after_run(self, run_context: Any, run_values: Any) -> None:
        """Write the summaries at the step after the run."""
        res = run_values.results
        step = int(res["global_step"]) + 1
        if self._next is None or self._due:
            step = int(run_context.session.run(self._step))
        if self._due:
            self._timer.update_last_triggered_step(step)
            for s in res.get("summary", []):
                self._writer.add_summary(s, step)
        self._next = step + 1

    def end(self, session: Any = None) -> None:
        """Flush the writer."""
        if self._writer is not None:
            self._writer.flush()


class NanLossDuringTrainingError(RuntimeError):
    """The loss became NaN."""

    def __str__(self) -> str:
        return "NaN loss during training."


class NanTensorHook(SessionRunHook):
    """Raises (or stops) when the loss is NaN."""

    def __init__(self, loss_tensor: Any, fail_on_nan_loss: bool = True) -> None:
        self._loss, self._fail = loss_tensor, fail_on_nan_loss

    def before_run(self, run_context: Any) -> SessionRunArgs:
        """Read the loss."""
        return SessionRunArgs(self._loss)

    def after_run(self, run_context: Any, run_values: Any) -> None:
        """Fail or stop on NaN."""
        if np.isnan(run_values.results):
            if self._fail:
                _LOG.error("Model diverged with loss = NaN.")
                raise NanLossDuringTrainingError
            _LOG.warning("Model diverged with loss = NaN.")
            run_context.request_stop()


class FeedFnHook(SessionRunHook):
    """Adds `feed_fn()`'s feeds to every run."""

    def __init__(self, feed_fn: Any) -> None:
        self.feed_fn = feed_fn

    def before_run(self, run_context: Any) -> SessionRunArgs:
        """The feeds."""
        return SessionRunArgs(fetches=None, feed_dict=self.feed_fn())


class FinalOpsHook(SessionRunHook):
    """Runs `final_ops` when the session ends; their values in `final_ops_values`."""

    def __init__(self, final_ops: Any, final_ops_feed_dict: Any = None) -> None:
        self._ops, self._feeds = final_ops, final_ops_feed_dict
        self._values: Any = None

    @property
    def final_ops_values(self) -> Any:
        """The values of the final ops (after end)."""
        return self._values

    def end(self, session: Any) -> None:
        """Run the final ops."""
        if self._ops is not None:
            self._values = session.run(self._ops, feed_dict=self._feeds)
