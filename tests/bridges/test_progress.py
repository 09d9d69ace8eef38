"""The examples' progress: a plain line in logs and pipes, a real tqdm bar on a terminal."""

import fcntl
import os
import pty
import runpy
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("script", ["gcn_graph.py", "actor_critic_eager.py"])
def test_example_prints_plain_progress_lines_into_a_pipe(script):
    out = subprocess.run([sys.executable, str(EXAMPLES / script), "--steps", "3"],
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    assert out.returncode == 0, out.stderr
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("step ")]
    assert lines[-1].startswith("step     3/3 [########################] loss ")
    assert "\r" not in out.stdout  # whole lines only, no bar redraws in a log


def test_progress_draws_a_tqdm_bar_on_a_terminal(monkeypatch):
    pytest.importorskip("tqdm")
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 100 columns
    term = os.fdopen(slave, "w", buffering=1)
    try:
        monkeypatch.setattr(sys, "stdout", term)
        monkeypatch.syspath_prepend(str(EXAMPLES))
        progress = runpy.run_path(str(EXAMPLES / "_progress.py"))["Progress"]
        p = progress(4, desc="train")
        assert p._bar is not None  # tqdm, since the output is a terminal
        for step in range(4):
            p.update(step, 1.0 / (step + 1), length=step)
        term.flush()
        chunks = []
        while select.select([master], [], [], 0.5)[0]:
            chunks.append(os.read(master, 65536))
        shown = b"".join(chunks).decode()
    finally:
        term.close()
        os.close(master)
    assert "train: 100%" in shown and "4/4" in shown and "loss=0.2500" in shown
    assert "length=3" in shown


def test_progress_is_silent_when_quiet(capsys):
    progress = runpy.run_path(str(EXAMPLES / "_progress.py"))["Progress"]
    p = progress(3, quiet=True)
    for step in range(3):
        p.update(step, 0.5)
    assert capsys.readouterr().out == ""
