"""Start gunicorn, wait until it answers, stop it: one copy for the image check, the benchmark and the metrics test.

server = gunicorn_server.start(["-c", "gunicorn.conf.py", "config.wsgi"], port=port, cwd=..., env=..., log_path=...)
with gunicorn_server.serving(server):
    urllib.request.urlopen(server.url + "/health/")
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

READY_PATH = "/health/live/"
STOP_TIMEOUT = 35  # gunicorn.conf.py's graceful timeout (30 s) and a margin


class GunicornError(RuntimeError):
    """gunicorn did not start, answer or stop as expected; the message ends with its log's tail."""


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@dataclass
class Server:
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail(self, message: str) -> GunicornError:
        return GunicornError(f"{self.name}: {message}\n{log_tail(self.log_path)}")

    def wait_ready(self, path: str = READY_PATH, timeout: float = 60) -> None:
        """Until GET `path` answers 200; fails at once when gunicorn exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise self.fail(f"gunicorn exited with {self.proc.returncode} at start")
            with contextlib.suppress(OSError), urllib.request.urlopen(self.url + path, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
            time.sleep(0.2)
        raise self.fail(f"GET {path} did not answer 200 within {timeout:.0f} s")

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM (graceful: the master stops its workers); its exit code. Kills and fails past `timeout`."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
                raise self.fail(f"still running {timeout:.0f} s after SIGTERM: killed") from None
        return self.proc.returncode


def start(
    args: Sequence[str],
    *,
    port: int,
    cwd: Path,
    env: Mapping[str, str],
    log_path: Path,
    name: str = "gunicorn",
    gunicorn: str | Path | None = None,
    prefix: Sequence[str] = (),
) -> Server:
    """gunicorn `args` in its own session, stdout and stderr to `log_path`.

    `gunicorn` defaults to the one beside this interpreter; `prefix` runs it through another command (setpriv).
    """
    executable = str(gunicorn or Path(sys.executable).parent / "gunicorn")
    # The control socket defaults to one path per user: two gunicorns on one machine would share it.
    command = [*prefix, executable, *args, "--no-control-socket"]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as out:
        proc = subprocess.Popen(
            command, cwd=cwd, env=dict(env), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Server(name, port, proc, log_path)


@contextlib.contextmanager
def serving(server: Server, ready_path: str = READY_PATH) -> Iterator[Server]:
    """Wait until `ready_path` answers 200, and stop the server on the way out (also on errors)."""
    try:
        server.wait_ready(ready_path)
        yield server
    finally:
        server.stop()
