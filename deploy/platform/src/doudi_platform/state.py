"""The run directory's lock and state file: one platform per run directory, readable by tools."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import IO, Any

LOCK_NAME = "platform.lock"
STATE_NAME = "platform.json"


class AlreadyRunning(Exception):
    def __init__(self, pid: str, run_dir: Path) -> None:
        super().__init__(f"doudi is already running (pid {pid or '?'}, run dir {run_dir})")


def acquire_lock(run_dir: Path) -> IO[str]:
    """Hold the run directory's lock for as long as the returned file stays open."""
    run_dir.mkdir(parents=True, exist_ok=True)
    handle = (run_dir / LOCK_NAME).open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        pid = handle.read().strip()
        handle.close()
        raise AlreadyRunning(pid, run_dir) from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def release_lock(handle: IO[str]) -> None:
    fcntl.flock(handle, fcntl.LOCK_UN)
    handle.close()


def write_state(run_dir: Path, state: dict[str, Any]) -> None:
    target = run_dir / STATE_NAME
    partial = target.with_suffix(".tmp")
    partial.write_text(json.dumps(state, indent=2))
    partial.replace(target)


def read_state(run_dir: Path) -> dict[str, Any] | None:
    try:
        return json.loads((run_dir / STATE_NAME).read_text())
    except FileNotFoundError:
        return None


def remove_state(run_dir: Path) -> None:
    (run_dir / STATE_NAME).unlink(missing_ok=True)
