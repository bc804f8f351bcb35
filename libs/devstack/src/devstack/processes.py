"""Service child processes (catalog, gateway, ...) for the dev stack supervisor.

Each runs `python -m <module> ...` in its own session (a Ctrl-C on the terminal reaches only
the supervisor, which stops them in order), logs to its own file, and dies with its parent
(prctl PDEATHSIG, like the embedded servers), so a killed supervisor leaves no orphans."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from devstack.embedded import _die_with_parent


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    argv: Sequence[str]
    # (port, what) pairs the service listens on; checked before start, waited for after.
    ports: Sequence[tuple[int, str]] = field(default_factory=tuple)


def tail(path: Path, lines: int = 25) -> str:
    """The last `lines` lines of a log file ("" when it does not exist)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - 64_000))
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


class ServiceProcess:
    """One service child process; stop() is idempotent (SIGTERM, then SIGKILL)."""

    def __init__(self, spec: ServiceSpec, env: Mapping[str, str], log_path: Path) -> None:
        self.spec = spec
        self.env = dict(env)
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            list(self.spec.argv),
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=lambda: _die_with_parent(signal.SIGTERM),
            start_new_session=True,
        )

    def exit_code(self) -> int | None:
        """None while running (or never started)."""
        return self.proc.poll() if self.proc else None

    def failure(self, what: str) -> str:
        code = self.exit_code()
        lines = tail(self.log_path)
        message = f"{self.name} {what} (exit code {code}); see {self.log_path}"
        return message + (f"\n--- last lines of {self.log_path.name} ---\n{lines}" if lines else "")

    def stop(self, timeout: float = 15.0) -> None:
        proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
