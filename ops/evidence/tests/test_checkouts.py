"""Two copies of this checkout, each started with `just up` at the same time and no edits
(`just test-checkouts`; it starts and removes its own stacks, so it runs with or without `just up`):

* each gets its own block of ports and answers on it; Prometheus scrapes its own API; a user signed
  up on one doesn't exist on the other;
* neither can log in to the other's Redis or PostgreSQL (generated passwords, Redis' requirepass);
* in development a saved edit of a view is served within RELOAD_BOUND seconds; an edit that breaks
  the app's import shows as not ready with the error in the API's log, and the fix brings it back;
* under production settings nothing reloads.
"""

import contextlib
import functools
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg
import pytest
import redis
import requests

from ops.stack import services
from ops.stack.compose import ProcessCompose
from ops.stack.layout import ROOT, Stack

from .helpers import worker_pids

pytestmark = pytest.mark.checkouts

# gunicorn checks the files every second and a worker imports the app in about a second on a quiet
# machine (two cores); the bound leaves room for a busy one.
RELOAD_BOUND = 10.0
VIEW = Path("backend/apps/health/views.py")
LIVE_ANSWER = 'JsonResponse({"status": "ok"})'
# What a fresh shell starts with: nothing of this checkout's own stack (the justfile loads .env).
STACK_VARIABLES = {
    *(service.port_var for service in services.ALL),
    *(key for service in services.ALL for key in service.secrets),
    "DATA_DIR",
    "RUN_DIR",
    "DJANGO_ENV",
    "DJANGO_SETTINGS_MODULE",
}


@dataclass
class Checkout:
    path: Path
    env: dict[str, str]

    def driver(
        self, *args: str, timeout: float = 300, extra: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """This copy's own stack driver (`python3 -m ops.stack ...` in its folder, as `just` runs it)."""
        return subprocess.run(
            [sys.executable, "-m", "ops.stack", *args],
            cwd=self.path,
            env={**self.env, **(extra or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    @functools.cached_property
    def run_dir(self) -> str:
        """Derived from the copy's own path, so asked of its driver."""
        found = dict(line.split("=", 1) for line in self.driver("vars").stdout.splitlines())
        return found["RUN_DIR"]

    @property
    def stack(self) -> Stack:
        return Stack.load({**self.env, "DATA_DIR": str(self.path / ".data"), "RUN_DIR": self.run_dir})

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.stack.port('api')}"

    def edit_view(self, old: str, new: str) -> None:
        view = self.path / VIEW
        text = view.read_text()
        assert old in text, f"{old!r} not in {view}"
        view.write_text(text.replace(old, new, 1))


def copy_checkout(target: Path) -> None:
    """The repository's files as a clone has them (tracked and new, nothing ignored), and its .venv."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    (target / ".venv").symlink_to(ROOT / ".venv")


@pytest.fixture(scope="module")
def checkouts() -> Iterator[tuple[Checkout, Checkout]]:
    env = {key: value for key, value in os.environ.items() if key not in STACK_VARIABLES}
    # In /tmp, searchable by all: as root, the services run as an unprivileged user.
    base = Path(tempfile.mkdtemp(prefix="djapi-checkouts-", dir="/tmp"))
    base.chmod(0o755)
    pair = (Checkout(base / "one", env), Checkout(base / "two", env))
    for checkout in pair:
        copy_checkout(checkout.path)
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            started = list(pool.map(lambda checkout: checkout.driver("up"), pair))
        for checkout, up in zip(pair, started, strict=True):
            assert up.returncode == 0, f"{checkout.path}: just up failed\n{up.stdout}\n{up.stderr}"
        yield pair
    finally:
        for checkout in pair:
            checkout.driver("clean", "--yes", timeout=180)
        shutil.rmtree(base, ignore_errors=True)


def ports(stack: Stack) -> set[int]:
    return {stack.port(service) for service in services.ALL}


def test_each_checkout_answers_on_its_own_ports(checkouts: tuple[Checkout, Checkout]) -> None:
    one, two = checkouts
    assert not ports(one.stack) & ports(two.stack)
    for checkout in checkouts:
        readiness = health(checkout.api)
        assert readiness.status_code == 200, readiness.text
        assert readiness.json()["checks"] == {"database": "ok", "cache": "ok"}
        prometheus = f"http://127.0.0.1:{checkout.stack.port('prometheus')}/api/v1/targets"
        targets = requests.get(prometheus, timeout=10).json()["data"]["activeTargets"]
        api_targets = {t["labels"]["instance"] for t in targets if t["labels"]["job"] == "api"}
        assert api_targets == {f"127.0.0.1:{checkout.stack.port('api')}"}

    email, password = f"side-{secrets.token_hex(5)}@example.com", f"Side-{secrets.token_hex(6)}-pw"
    created = requests.post(f"{one.api}/api/users/", json={"email": email, "password": password}, timeout=10)
    assert created.status_code == 201, created.text
    login = {"email": email, "password": password}
    assert requests.post(f"{one.api}/api/token/", json=login, timeout=10).status_code == 200
    assert requests.post(f"{two.api}/api/token/", json=login, timeout=10).status_code == 401


def postgres(stack: Stack, password: str) -> psycopg.Connection[tuple[object, ...]]:
    port, name, user = stack.port("postgres"), stack.vars["PG_DB"], stack.vars["PG_USER"]
    return psycopg.connect(host="127.0.0.1", port=port, dbname=name, user=user, password=password, connect_timeout=10)


def test_a_checkout_cannot_log_in_to_the_others_services(checkouts: tuple[Checkout, Checkout]) -> None:
    one, two = (checkout.stack for checkout in checkouts)
    for own, other in ((one, two), (two, one)):
        assert own.vars["REDIS_PASSWORD"] != other.vars["REDIS_PASSWORD"]
        assert redis.Redis.from_url(other.redis_url()).ping()
        for password in (own.vars["REDIS_PASSWORD"], None):
            intruder = redis.Redis(host="127.0.0.1", port=other.port("redis"), password=password)
            with pytest.raises(redis.AuthenticationError):
                intruder.ping()

        with postgres(other, other.vars["PG_PASSWORD"]) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            postgres(other, own.vars["PG_PASSWORD"])


def live_answer(api: str) -> dict[str, object] | None:
    with contextlib.suppress(requests.RequestException, ValueError):
        answer = requests.get(f"{api}/health/live/", timeout=5)
        if answer.status_code == 200:
            body: dict[str, object] = answer.json()
            return body
    return None


def served(api: str, status: str) -> bool:
    return (live_answer(api) or {}).get("status") == status


def seconds_until(check: Callable[[], bool], bound: float) -> float | None:
    """Seconds until check() holds (polled every 50 ms), or None when it doesn't within bound."""
    started = time.monotonic()
    while time.monotonic() - started < bound:
        if check():
            return time.monotonic() - started
        time.sleep(0.05)
    return None


def idle(processes: list[psutil.Process], seconds: float = 1.0) -> bool:
    """No CPU time used by any of them over `seconds`."""
    before = [sum(process.cpu_times()[:2]) for process in processes]
    time.sleep(seconds)
    return before == [sum(process.cpu_times()[:2]) for process in processes]


def health(api: str) -> requests.Response:
    return requests.get(f"{api}/health/", timeout=10)


def api_ready(stack: Stack) -> bool:
    api = ProcessCompose(stack).process("api")
    return bool(api["status"] == "Running" and api.get("is_ready") == "Ready")


def test_development_reloads_a_saved_edit(checkouts: tuple[Checkout, Checkout], report: Callable[[str], None]) -> None:
    one = checkouts[0]
    latencies = []
    for attempt in range(3):
        answer = f"reloaded-{attempt}"
        previous = LIVE_ANSWER if attempt == 0 else f'JsonResponse({{"status": "reloaded-{attempt - 1}"}})'
        one.edit_view(previous, f'JsonResponse({{"status": "{answer}"}})')
        took = seconds_until(lambda: served(one.api, answer), RELOAD_BOUND)  # noqa: B023
        assert took is not None, f"the edit was not served within {RELOAD_BOUND} s"
        latencies.append(took)
        # Every worker on the new code before the next edit (a worker still loading the app when a
        # file changes starts watching after the change, and would keep the older code).
        settled = seconds_until(lambda: all(served(one.api, answer) for _ in range(6)), RELOAD_BOUND)  # noqa: B023
        assert settled is not None, "some worker kept the old code"
    report(f"edit to new answer: {', '.join(f'{t:.1f}' for t in latencies)} s (bound {RELOAD_BOUND:.0f} s)")

    # An edit that breaks the import: not ready, the error in `just logs api`; the fix brings it back.
    one.edit_view("from django.utils import timezone", "from django.utils import timezone, no_such_name")
    # Both workers reload, each on its own second: every answer a 500, and the probe saw it. Sync
    # workers take turns unevenly, so "every" is a run of 12 answers, once the probe says not ready.
    failures: list[requests.Response] = []

    def every_answer_fails() -> bool:
        failures[:] = [health(one.api) for _ in range(12)] if not api_ready(one.stack) else []
        return bool(failures) and all(answer.status_code == 500 for answer in failures)

    went_down = seconds_until(every_answer_fails, RELOAD_BOUND + 5)
    assert went_down is not None, "the API stayed ready with an app that can't be imported"
    assert "no_such_name" in failures[-1].text
    logs = one.driver("logs", "api", timeout=30)
    assert "ImportError: cannot import name 'no_such_name'" in logs.stdout, logs.stdout[-2000:]

    one.edit_view("from django.utils import timezone, no_such_name", "from django.utils import timezone")
    back = seconds_until(lambda: api_ready(one.stack), RELOAD_BOUND + 5)
    assert back is not None, "the API did not become ready again after the fix"
    assert served(one.api, "reloaded-2")
    assert ProcessCompose(one.stack).process("api")["restarts"] == 0, "gunicorn stopped instead of reloading"


def test_production_never_reloads(checkouts: tuple[Checkout, Checkout]) -> None:
    two = checkouts[1]
    assert two.driver("down", timeout=180).returncode == 0
    production = {"DJANGO_ENV": "production", "DEBUG": "0", "SECURE_SSL_REDIRECT": "False"}
    up = two.driver("up", "api", extra=production)
    assert up.returncode == 0, up.stdout + up.stderr
    master = psutil.Process(int(ProcessCompose(two.stack).process("api")["pid"]))
    assert "--reload" not in master.cmdline()
    # Ready means one worker answers: the other may still be importing the app, and would import the
    # edit below. Booting is CPU-bound, so a worker idle for a while has loaded it.
    workers = [psutil.Process(pid) for pid in worker_pids(master.pid)]
    assert seconds_until(lambda: idle(workers), 60) is not None, "the workers kept busy"

    two.edit_view(LIVE_ANSWER, 'JsonResponse({"status": "edited"})')
    time.sleep(RELOAD_BOUND / 2)
    assert live_answer(two.api) == {"status": "ok"}
    log = (two.stack.log_dir / "api.log").read_text()
    assert "Reloader is on" not in log.split("Starting gunicorn")[-1]
    assert "Worker reloading" not in log.split("Starting gunicorn")[-1]
