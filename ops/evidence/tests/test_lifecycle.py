"""Down/up cycle of the running stack (`just test-lifecycle`; it restarts the stack).

A user created through the API before `down` can still log in after the next
`up`; `down` leaves no process behind; PostgreSQL logs a clean shutdown and the
next start does no crash recovery.
"""

import os
import time
import uuid
from pathlib import Path

import psutil
import pytest
import requests

from ops.stack.compose import ProcessCompose
from ops.stack.layout import Stack, port_in_use
from ops.stack.services import SERVICES

from .helpers import run_stack

pytestmark = pytest.mark.lifecycle


def stack_processes(stack: Stack) -> list[str]:
    """Live processes of this stack: they carry WORKSPACE_STACK=<control socket> in their
    environment (set by the driver's `up`), or run inside a service's data dir (PostgreSQL
    and Redis overwrite their environment with their process title, but chdir there)."""
    service_dirs = [stack.data_dir / service.name for service in SERVICES]
    found = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        if process.pid == os.getpid():
            continue
        try:
            ours = process.environ().get("WORKSPACE_STACK") == str(stack.pc_socket)
            cwd = Path(process.cwd())
        except (psutil.Error, OSError):
            continue
        if ours or any(cwd == d or d in cwd.parents for d in service_dirs):
            found.append(f"{process.pid}: {' '.join(process.info['cmdline'] or [])}")
    return found


def test_down_up_keeps_data_and_leaves_nothing_behind(stack: Stack, services: list[str], api_url: str) -> None:
    email = f"lifecycle-{uuid.uuid4().hex[:10]}@example.com"
    password = f"Lifecycle-{uuid.uuid4().hex[:8]}-pass-9"
    assert stack_processes(stack), "the process scan finds nothing even while the stack runs"
    created = requests.post(f"{api_url}/api/users/", json={"email": email, "password": password}, timeout=10)
    assert created.status_code == 201, created.text

    down = run_stack("down", timeout=180)
    assert down.returncode == 0, down.stdout + down.stderr

    assert not stack.pc_pidfile.exists()
    assert not stack.pc_socket.exists()
    # A readiness probe process-compose started just before `down` may outlive it by a moment.
    deadline = time.monotonic() + 10
    while (left := stack_processes(stack)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert left == []
    busy = [service.name for service in SERVICES if port_in_use(stack.port(service))]
    assert busy == [], f"still listening after down: {busy}"

    pg_log = (stack.log_dir / "postgres.log").read_text()
    assert "received fast shutdown request" in pg_log
    assert "database system is shut down" in pg_log

    up = run_stack("up", *services, timeout=300)
    assert up.returncode == 0, up.stdout + up.stderr
    assert {p["name"] for p in ProcessCompose(stack).processes() if p["status"] != "Disabled"} >= set(services)

    pg_log = (stack.log_dir / "postgres.log").read_text()
    assert "was not properly shut down" not in pg_log
    assert "automatic recovery in progress" not in pg_log

    token = requests.post(f"{api_url}/api/token/", json={"email": email, "password": password}, timeout=10)
    assert token.status_code == 200, token.text
    assert "access" in token.json()
