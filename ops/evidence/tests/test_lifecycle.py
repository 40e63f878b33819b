"""Down/up cycle of the running stack (`just test-lifecycle`; it restarts the stack).

A user created through the API before `down` can still log in after the next
`up`; `down` leaves no process behind; PostgreSQL logs a clean shutdown and the
next start does no crash recovery.
"""

import os
import socket
import time
import uuid
from pathlib import Path

import pytest
import requests

from .conftest import cmdline, environ, process_list, run_stack

pytestmark = pytest.mark.lifecycle

PORT_VARS = ("API_PORT", "PG_PORT", "MYSQL_PORT", "REDIS_PORT", "PROMETHEUS_PORT", "GRAFANA_PORT")


def stack_processes(stack_vars: dict[str, str]) -> list[str]:
    """Live processes of this stack: they carry WORKSPACE_STACK=<control socket> in their
    environment (set by ops/stack.sh up), or run inside a service's data dir (PostgreSQL
    and Redis overwrite their environment with their process title, but chdir there)."""
    data_dir = Path(stack_vars["DATA_DIR"])
    service_dirs = [data_dir / name for name in ("postgres", "mysql", "redis", "prometheus", "grafana")]
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        pid = int(entry.name)
        try:
            ours = environ(pid).get("WORKSPACE_STACK") == stack_vars["PC_SOCKET"]
            cwd = Path(os.readlink(entry / "cwd"))
        except OSError:
            continue
        if ours or any(cwd == d or d in cwd.parents for d in service_dirs):
            found.append(f"{pid}: {cmdline(pid).strip()}")
    return found


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_down_up_keeps_data_and_leaves_nothing_behind(
    stack_vars: dict[str, str], services: list[str], api_url: str
) -> None:
    email = f"lifecycle-{uuid.uuid4().hex[:10]}@example.com"
    password = f"Lifecycle-{uuid.uuid4().hex[:8]}-pass-9"
    assert stack_processes(stack_vars), "the process scan finds nothing even while the stack runs"
    created = requests.post(f"{api_url}/api/users/", json={"email": email, "password": password}, timeout=10)
    assert created.status_code == 201, created.text

    down = run_stack("down", timeout=180)
    assert down.returncode == 0, down.stdout + down.stderr

    pid_file = Path(stack_vars["PC_PIDFILE"])
    assert not pid_file.exists()
    assert not Path(stack_vars["PC_SOCKET"]).exists()
    # A readiness probe process-compose started just before `down` may outlive it by a moment.
    deadline = time.monotonic() + 10
    while (left := stack_processes(stack_vars)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert left == []
    busy = [var for var in PORT_VARS if port_in_use(int(stack_vars[var]))]
    assert busy == [], f"still listening after down: {busy}"

    pg_log = (Path(stack_vars["LOG_DIR"]) / "postgres.log").read_text()
    assert "received fast shutdown request" in pg_log
    assert "database system is shut down" in pg_log

    up = run_stack("up", *services, timeout=300)
    assert up.returncode == 0, up.stdout + up.stderr
    assert {p["name"] for p in process_list(stack_vars) if p["status"] != "Disabled"} >= set(services)

    pg_log = (Path(stack_vars["LOG_DIR"]) / "postgres.log").read_text()
    assert "was not properly shut down" not in pg_log
    assert "automatic recovery in progress" not in pg_log

    token = requests.post(f"{api_url}/api/token/", json={"email": email, "password": password}, timeout=10)
    assert token.status_code == 200, token.text
    assert "access" in token.json()
