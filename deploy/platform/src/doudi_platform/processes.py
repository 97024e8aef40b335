"""The Supervisor: starts child processes in their own process groups and stops every one of them."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

STOP_GRACE_SECONDS = 10.0


@dataclass
class Child:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    # Stopped after every other child: the services flush to the broker while they stop.
    stop_last: bool = False

    @property
    def pid(self) -> int:
        return self.popen.pid

    def running(self) -> bool:
        return self.popen.poll() is None


class Supervisor:
    """Owns every process the runner starts; stop_all() leaves none behind and may be called twice."""

    def __init__(self, logs_dir: Path) -> None:
        self.logs_dir = logs_dir
        self._children: list[Child] = []

    @property
    def children(self) -> list[Child]:
        return list(self._children)

    def start(
        self,
        name: str,
        argv: Sequence[str],
        env: Mapping[str, str],
        *,
        log_name: str | None = None,
        stop_last: bool = False,
    ) -> Child:
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        log = self.logs_dir / f"{log_name or name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                list(argv),
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                # Own process group: a terminal's Ctrl-C reaches the runner only, which then stops
                # the children in order; and killpg() also reaches whatever a child spawned.
                start_new_session=True,
            )
        child = Child(name, popen, log, stop_last)
        self._children.append(child)
        return child

    def run_to_end(self, children: Sequence[Child], timeout: float) -> dict[str, int | None]:
        """Wait for short-lived children (migrations); None for one still running at the deadline."""
        deadline = time.monotonic() + timeout
        codes: dict[str, int | None] = {}
        for child in children:
            try:
                codes[child.name] = child.popen.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                codes[child.name] = None
        for child in children:
            if child.running():
                self._stop_wave([child], grace=0.0)
            self._children.remove(child)
        return codes

    def first_exited(self) -> Child | None:
        return next((child for child in self._children if not child.running()), None)

    def stop_all(self, grace: float = STOP_GRACE_SECONDS, report: bool = False) -> None:
        """SIGTERM in reverse start order, SIGKILL what is left after the grace period; broker last."""
        children = list(reversed(self._children))
        self._children.clear()
        first = [child for child in children if not child.stop_last]
        last = [child for child in children if child.stop_last]
        for wave in (first, last):
            for name in self._stop_wave(wave, grace):
                if report:
                    print(f"  {name} did not stop within {grace:g} s: killed", flush=True)

    @staticmethod
    def _stop_wave(children: Sequence[Child], grace: float) -> list[str]:
        for child in children:
            if child.running():
                _signal_group(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        killed: list[str] = []
        for child in children:
            try:
                child.popen.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                killed.append(child.name)
        for child in children:
            # Also for children that exited: their own children may still hold the group.
            _signal_group(child.pid, signal.SIGKILL)
            child.popen.wait()
        return killed


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def kill_leftover_group(pid: int) -> bool:
    """SIGKILL the process group a crashed runner left, if pid still leads its own session."""
    try:
        # Every child was started as a session leader; a reused pid almost never is one.
        if os.getsid(pid) != pid:
            return False
    except ProcessLookupError:
        return False
    _signal_group(pid, signal.SIGKILL)
    return True


def tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return f"(no log at {path})"
    kept = text.splitlines()[-lines:]
    return "\n".join(kept) if kept else "(the log is empty)"
