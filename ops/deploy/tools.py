"""What the deploy checks share: their output, their failure, and the tools they install into a cache."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import venv
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

from ops.required_tools import must_fail

ROOT = Path(__file__).resolve().parents[2]


class CheckFailed(SystemExit):
    """Ends the check with exit code 1 and the reason on stderr."""


def cache_dir() -> Path:
    """Where installed tools and built virtualenvs are kept between runs."""
    return Path(tempfile.gettempdir())


def say(check: str, message: str) -> None:
    print(f"{check}: {message}", flush=True)


def fail(check: str, message: str) -> NoReturn:
    print(f"{check}: FAIL: {message}", file=sys.stderr, flush=True)
    raise CheckFailed(1)


def unavailable(check: str, tool: str, how: str) -> NoReturn:
    """A tool the check cannot run without: a failure under CI, elsewhere a skip that says how to get it."""
    if must_fail(tool):
        fail(check, f"missing tool: {tool} ({how})")
    say(check, f"SKIP: {tool} is missing; {how}")
    raise SystemExit(0)


def run(
    *command: str | Path, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The command with its output captured as text; raises CalledProcessError on a non-zero exit."""
    return subprocess.run(
        [str(c) for c in command],
        cwd=cwd,
        env=None if env is None else dict(env),
        check=True,
        capture_output=True,
        text=True,
    )


def pip_tool(check: str, directory: Path, executable: str, *requirements: str) -> Path:
    """`executable` from a virtualenv in `directory` holding `requirements` (PyPI), installed when missing."""
    path = directory / "bin" / executable
    if not path.exists():
        wanted = " ".join(requirements)
        say(check, f"installing {wanted} into {directory}")
        venv.create(directory, with_pip=True, clear=True)
        try:
            run(directory / "bin" / "pip", "install", "-q", "--disable-pip-version-check", *requirements)
        except subprocess.CalledProcessError as error:
            unavailable(check, executable, f"pip install {wanted} failed: {error.stderr.strip()[-500:]}")
    return path
