"""Slow subprocesses a test module needs, started when the session starts so they run beside it.

The suite runs its tests one after another on one core; a subprocess a test waits for (a Django command
in a fresh interpreter, a code generator) can run on the other core meanwhile. A test module opts in by
defining `start_in_background()`, which backend/conftest.py calls once collection is done, and only if
one of the module's tests was selected. The module's fixtures then wait for the results. Work that is
mostly waiting (a browser driving a server in a subprocess) can run in a thread of the pool: `run`.
"""

import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="test-background")


def run(function: Callable[..., T], *args: Any) -> Future[T]:
    """`function(*args)` in a thread of the pool; the future holds its result."""
    return _pool.submit(function, *args)


def run_python(
    args: list[str], *, cwd: Path, env: dict[str, str] | None = None
) -> Future[subprocess.CompletedProcess[str]]:
    """`python ARGS` in a fresh interpreter, its output captured; the future holds the finished process."""
    return _pool.submit(
        subprocess.run,
        [sys.executable, *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
