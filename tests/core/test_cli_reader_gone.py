"""`verval stats | head`: the reader closes the pipe before the command has printed everything.
The command ends quietly with 141 (as a process SIGPIPE ended) instead of a BrokenPipeError
traceback on the terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_closed_pipe_ends_the_command_quietly_with_141(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line
    env = {**os.environ, "VERVAL_VAR_DIR": str(tmp_path), "PYTHONPATH": str(ROOT / "src")}
    env.pop("DATABASE_URL", None)
    try:
        done = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "verval.cli", "help"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            env=env,
            cwd=ROOT,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)

    assert (done.returncode, done.stderr) == (141, "")
