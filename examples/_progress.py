"""Training progress for the examples: a tqdm bar when tqdm is installed and the output is a
terminal, a plain line otherwise (logs and pipes get whole lines, never carriage returns)."""

from __future__ import annotations

import sys
import time


def _tqdm():
    if not sys.stdout.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm


def _fmt(v: float) -> str:
    return str(v) if isinstance(v, int) else f"{v:.4f}"  # counts stay whole numbers


class Progress:
    """Step count, latest loss and elapsed time of a training run, updated once per step."""

    def __init__(self, total: int, quiet: bool = False, every: int | None = None,
                 desc: str = "train") -> None:  # fmt: skip
        self.total, self.quiet = max(total, 1), quiet
        self.every = every or max(1, total // 10)
        self.start = time.perf_counter()
        tqdm = None if quiet else _tqdm()
        self._bar = None
        if tqdm is not None:
            self._bar = tqdm(total=self.total, desc=desc, unit="step", file=sys.stdout)

    def update(self, step: int, loss: float | None = None, **extra: float) -> None:
        """Show step `step` (0-based) of the run; a full plain line every `every` steps."""
        if self.quiet:
            return
        done = step + 1
        figures = {**({} if loss is None else {"loss": loss}), **extra}
        if self._bar is not None:
            self._bar.set_postfix({k: _fmt(v) for k, v in figures.items()}, refresh=False)
            self._bar.update(done - self._bar.n)
            if done >= self.total:
                self._bar.close()
            return
        if done % self.every and done != self.total:
            return
        width = 24
        fill = int(width * done / self.total)
        bar = "#" * fill + "." * (width - fill)
        text = " ".join(f"{k} {_fmt(v)}" for k, v in figures.items())
        print(f"step {done:5d}/{self.total} [{bar}] {text} {self.elapsed():6.1f}s", flush=True)

    def elapsed(self) -> float:
        """Seconds since the start."""
        return time.perf_counter() - self.start
