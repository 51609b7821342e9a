"""Bot processes started for a benchmark, and stopped again whatever happens.

Each process runs in its own session (process group), writes its output to a log file (a pipe
nobody reads would fill up and stall the bot under load), and is remembered until it is
stopped; `stop_all` runs at interpreter exit and on SIGTERM, so an interrupted benchmark
leaves no bot behind.
"""

import atexit
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
_LIVE: set["BotProcess"] = set()


class BotProcess:
    """One `python <args>` child with its environment; CPU and memory read from /proc."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path) -> None:
        self.args, self.log_path = args, log_path
        self.env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
        self.popen: subprocess.Popen[bytes] | None = None
        self._cpu_start = 0.0
        self._terminated = False

    def start(self) -> None:
        log = self.log_path.open("wb")
        try:
            self.popen = subprocess.Popen(
                [sys.executable, *self.args],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()
        _LIVE.add(self)

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process so far."""
        times = psutil.Process(self.pid).cpu_times()
        return times.user + times.system

    def mark_cpu(self) -> None:
        self._cpu_start = self.cpu_seconds()

    def cpu_since_mark(self) -> float:
        return self.cpu_seconds() - self._cpu_start

    def peak_rss_mb(self) -> float:
        """The most resident memory the process ever had (VmHWM), in MiB."""
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return psutil.Process(self.pid).memory_info().rss / 2**20

    def output_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def count_lines(self, needle: str) -> int:
        """How many lines of the log contain `needle` (aiogram logs each handled update)."""
        try:
            with self.log_path.open(errors="replace") as log:
                return sum(needle in line for line in log)
        except OSError:
            return 0

    def error_lines(self, limit: int = 40) -> list[str]:
        """The first lines of logged errors and tracebacks: why a run went wrong."""
        found: list[str] = []
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return found
        for i, line in enumerate(lines):
            if " ERROR " in line or line.startswith("Traceback"):
                found += lines[i : i + 12]
                # ... and the exception itself: the first unindented line after the frames.
                rest = lines[i + 2 :]
                end = next((j for j, text in enumerate(rest) if not text.startswith(" ")), None)
                if end is not None:
                    found += ["  ...", *rest[end : end + 2]]
                break
        return found[:limit]

    def terminate(self) -> None:
        """Ask for a clean shutdown (SIGTERM, as a service manager does) without waiting.

        Once only: a second SIGTERM arriving after the bot's loop has closed would kill it.
        """
        if self.popen is not None and self.popen.poll() is None and not self._terminated:
            self._terminated = True
            with contextlib.suppress(ProcessLookupError):
                self.popen.send_signal(signal.SIGTERM)

    def stop(self, grace: float = 15.0) -> int | None:
        """SIGTERM, then SIGKILL (the whole process group) after `grace` seconds."""
        _LIVE.discard(self)
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            self.terminate()
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        return self.popen.returncode


def stop_all() -> None:
    for process in list(_LIVE):
        process.stop(grace=5.0)


def _on_sigterm(signum: int, frame: object) -> None:
    stop_all()
    raise SystemExit(128 + signum)


def install_cleanup() -> None:
    """Stop every bot on exit, Ctrl-C (KeyboardInterrupt unwinds to atexit) and SIGTERM."""
    atexit.register(stop_all)
    signal.signal(signal.SIGTERM, _on_sigterm)


def wait_until(predicate, seconds: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()
