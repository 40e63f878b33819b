"""The attacks of the account-security review, replayed over HTTP against gunicorn (two workers) on
production settings with Redis; client addresses varied through loopback source addresses.

Lockout state lives in the database, throttle counts in Redis; the fault tests kill workers and Redis.
"""

import http.client
import json
import os
import re
import secrets
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from ops.evidence import backend, gunicorn_server
from ops.evidence.tests.helpers import require_tool, worker_pids
from testing import production_env

pytestmark = pytest.mark.attacks

COOL_OFF = 20  # seconds: longer than a few slow logins on a busy machine, short enough to wait out once
LONG_COOL_OFF = 600  # for the fault tests: longer than restarting workers on a busy machine
FAILURE_LIMIT = 3
TOKEN_RATE = 8  # per minute and address
ADMIN_URL = "backstage/"
STAFF = backend.Account("staff@example.com", f"Staff-{secrets.token_hex(8)}", staff=True)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Api:
    port: int
    log: Path
    redis: "Redis"
    master: subprocess.Popen[bytes]

    def call(
        self, method: str, path: str, address: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> Answer:
        """One request from `address` (any 127.0.0.0/8 address reaches the server on Linux)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30, source_address=(address, 0))
        headers = dict(headers or {})
        if isinstance(body, dict) and headers.get("Content-Type") == "application/x-www-form-urlencoded":
            payload = urlencode(body)
        elif body is not None:
            payload, headers["Content-Type"] = json.dumps(body), "application/json"
        else:
            payload = None
        try:
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            connection.close()

    def login(self, email: str, password: str, address: str | None = None) -> Answer:
        return self.call("POST", "/api/token/", address or new_address(), {"email": email, "password": password})

    def workers(self) -> set[int]:
        return worker_pids(self.master.pid)


class Redis:
    """A throwaway redis-server on a free port, no persistence: a restart loses every throttle count."""

    def __init__(self, directory: Path) -> None:
        self.executable = require_tool("redis-server", "Debian: apt-get install redis-server; Nix: redis")
        self.directory = directory
        self.port = gunicorn_server.free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Without the database number."""
        return f"redis://127.0.0.1:{self.port}/"

    def start(self) -> None:
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen([self.executable, *args, "--dir", str(self.directory)], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not _port_open(self.port):
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


def _port_open(port: int) -> bool:
    try:
        http.client.HTTPConnection("127.0.0.1", port, timeout=1).connect()
    except OSError:
        return False
    return True


def new_address() -> str:
    """A fresh client address, never 127.0.0.1: counts left by other tests don't matter."""
    return f"127.{secrets.randbelow(254) + 1}.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"


@dataclass
class Stack:
    """Redis and a migrated SQLite database with collected static files, shared by the servers below."""

    directory: Path
    env: dict[str, str]
    redis: Redis


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    directory = tmp_path_factory.mktemp("attacks")
    redis = Redis(directory)
    redis.start()
    env = {
        **os.environ,
        **production_env(
            directory,
            ALLOWED_HOSTS="127.0.0.1",
            SECURE_SSL_REDIRECT="False",
            WEB_CONCURRENCY="2",
            JSON_LOGS="True",
            ADMIN_URL=ADMIN_URL,
            LOCKOUT_FAILURE_LIMIT=str(FAILURE_LIMIT),
            THROTTLE_TOKEN=f"{TOKEN_RATE}/min",
        ),
    }
    try:
        backend.manage(env, "migrate", "--noinput")
        backend.manage(env, "collectstatic", "--noinput")
        backend.reset_accounts([STAFF], env)
        yield Stack(directory, env, redis)
    finally:
        redis.stop()


@contextmanager
def serving(stack: Stack, name: str, cool_off: int, redis_db: int) -> Iterator[Api]:
    port = gunicorn_server.free_port()
    env = {
        **stack.env,
        "API_PORT": str(port),
        "REDIS_URL": f"{stack.redis.url}{redis_db}",
        "PROMETHEUS_MULTIPROC_DIR": str(stack.directory / f"{name}-metrics"),
        "LOCKOUT_COOLOFF_SECONDS": str(cool_off),
    }
    log = stack.directory / f"{name}.log"
    server = gunicorn_server.start(["config.wsgi"], port=port, cwd=backend.BACKEND, env=env, log_path=log)
    with gunicorn_server.serving(server):
        yield Api(port, log, stack.redis, server.proc)


@pytest.fixture(scope="module")
def api(stack: Stack) -> Iterator[Api]:
    with serving(stack, "api", COOL_OFF, redis_db=0) as server:
        yield server


@pytest.fixture(scope="module")
def long_lock_api(stack: Stack) -> Iterator[Api]:
    """A second server on the same database, whose lockouts outlast any fault a test injects."""
    with serving(stack, "faults", LONG_COOL_OFF, redis_db=1) as server:
        yield server


def sign_up(api: Api) -> tuple[str, str]:
    email, password = f"owner-{uuid.uuid4().hex[:10]}@example.com", f"Owner-{secrets.token_hex(6)}-pw"
    created = api.call("POST", "/api/users/", new_address(), {"email": email, "password": password})
    assert created.status == 201, created.body
    return email, password


def assert_error_shape(answer: Answer, status: int) -> dict[str, Any]:
    assert answer.status == status, answer.body
    body: dict[str, Any] = answer.json()
    assert body["status"] == status
    assert body["request_id"] == answer.headers["x-request-id"]
    return body


def assert_locked(answer: Answer, cool_off: int = COOL_OFF) -> None:
    assert_error_shape(answer, 429)
    assert 0 < int(answer.headers["retry-after"]) <= cool_off


@dataclass
class LockedOut:
    """Accounts locked by the tests above the last one, which waits one cool-off and logs each owner in."""

    owners: list[tuple[str, str]]
    last_lock: float = 0.0

    def add(self, email: str, password: str) -> None:
        self.owners.append((email, password))
        self.last_lock = time.monotonic()


LOCKED_OUT = LockedOut([])


def events(api: Api) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in api.log.read_text().splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("logger") == "apps.users.events"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# ------------------------------------------------------------------ stolen tokens


def test_a_stolen_pair_dies_when_the_owner_changes_the_password(api: Api) -> None:
    email, password = sign_up(api)
    stolen = api.login(email, password).json()
    new_password = f"New-{secrets.token_hex(6)}-pw"

    changed = api.call(
        "POST",
        "/api/users/me/password/",
        new_address(),
        {"current_password": password, "new_password": new_password},
        bearer(stolen["access"]),
    )

    assert changed.status == 204
    assert_error_shape(api.call("POST", "/api/token/refresh/", new_address(), {"refresh": stolen["refresh"]}), 401)
    assert_error_shape(api.call("GET", "/api/users/me/", new_address(), headers=bearer(stolen["access"])), 401)
    assert api.login(email, new_password).status == 200


def test_a_replayed_refresh_token_kills_its_whole_family(api: Api) -> None:
    email, password = sign_up(api)
    stolen = api.login(email, password).json()["refresh"]
    rotated = api.call("POST", "/api/token/refresh/", new_address(), {"refresh": stolen}).json()["refresh"]

    replay = api.call("POST", "/api/token/refresh/", new_address(), {"refresh": stolen})
    after = api.call("POST", "/api/token/refresh/", new_address(), {"refresh": rotated})

    assert_error_shape(replay, 401)
    assert_error_shape(after, 401)
    assert api.login(email, password).status == 200


# ------------------------------------------------------------------ guessing


def test_guesses_from_forty_addresses_lock_the_account_until_the_cool_off(api: Api) -> None:
    email, password = sign_up(api)

    answers = [api.login(email, f"guess-{n}") for n in range(40)]

    statuses = [a.status for a in answers]
    assert statuses == [401] * (FAILURE_LIMIT - 1) + [429] * (40 - FAILURE_LIMIT + 1)
    for locked in answers[FAILURE_LIMIT - 1 :]:
        assert_locked(locked)
    assert_locked(api.login(email, password))  # the right password waits too
    LOCKED_OUT.add(email, password)


def test_unknown_account_and_wrong_password_answer_alike(api: Api) -> None:
    email, _ = sign_up(api)

    unknown = assert_error_shape(api.login(f"nobody-{uuid.uuid4().hex}@example.com", "guess"), 401)
    wrong = assert_error_shape(api.login(email, "guess"), 401)

    assert (unknown["code"], unknown["detail"]) == (wrong["code"], wrong["detail"])


def test_wrong_current_passwords_lock_the_password_change(api: Api) -> None:
    email, password = sign_up(api)
    access = api.login(email, password).json()["access"]
    attempt = {"current_password": "guess", "new_password": f"New-{secrets.token_hex(6)}-pw"}

    answers = [
        api.call("POST", "/api/users/me/password/", new_address(), attempt, bearer(access))
        for _ in range(FAILURE_LIMIT + 1)
    ]

    assert [a.status for a in answers] == [400] * (FAILURE_LIMIT - 1) + [429, 429]
    assert_locked(answers[-1])
    LOCKED_OUT.add(email, password)


def admin_login(api: Api, email: str, password: str, address: str) -> Answer:
    """The admin form as a browser posts it: the CSRF cookie (Secure, so sent by hand over HTTP) and token."""
    form = api.call("GET", f"/{ADMIN_URL}login/", address)
    cookie = re.search(r"csrftoken=([^;]+)", form.headers["set-cookie"])
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form.body)
    assert cookie, form.headers
    assert token, form.status
    fields = {"username": email, "password": password, "csrfmiddlewaretoken": token.group(1).decode()}
    headers = {"Cookie": f"csrftoken={cookie.group(1)}", "Content-Type": "application/x-www-form-urlencoded"}
    return api.call("POST", f"/{ADMIN_URL}login/?next=/{ADMIN_URL}", address, fields, headers)


def test_the_admin_form_at_its_configured_path_locks_and_says_so(api: Api) -> None:
    address = new_address()

    guesses = [admin_login(api, STAFF.email, f"guess-{n}", new_address()).status for n in range(30)]
    locked = admin_login(api, STAFF.email, STAFF.password, address)

    assert guesses == [200] * (FAILURE_LIMIT - 1) + [429] * (30 - FAILURE_LIMIT + 1)
    assert locked.status == 429
    assert b"Too many failed logins" in locked.body
    assert api.call("GET", "/admin/", address).status == 404
    LOCKED_OUT.add(STAFF.email, STAFF.password)


def test_the_token_throttle_is_one_count_across_workers(api: Api) -> None:
    email, password = sign_up(api)
    address = new_address()
    # All in one minute: across a window's end the sliding window lets in what the past minute's
    # weighted share no longer covers, by design.
    into_minute = time.time() % 60
    if into_minute > 30:
        time.sleep(60.1 - into_minute)

    statuses = [api.login(email, password, address).status for _ in range(TOKEN_RATE + 4)]

    assert statuses == [200] * TOKEN_RATE + [429] * 4


# ------------------------------------------------------------------ events and metrics


def test_every_decision_is_one_event_line_without_secrets(api: Api) -> None:
    email, password = sign_up(api)
    address = new_address()
    api.login(email, "wrong-guess", address)
    pair = api.login(email, password, address).json()

    logged = {(e["event"], e.get("reason")) for e in events(api) if e["client"] == address}
    text = api.log.read_text()

    assert logged == {("login_failure", "wrong_password"), ("login_success", None)}
    assert all(e["request_id"] and e["user_id"] for e in events(api) if e["client"] == address)
    for secret in (password, "wrong-guess", pair["access"], pair["refresh"]):
        assert secret not in text


def test_the_event_counter_sums_every_worker(api: Api) -> None:
    email, password = sign_up(api)
    stolen = api.login(email, password).json()["refresh"]
    api.call("POST", "/api/token/refresh/", new_address(), {"refresh": stolen})
    api.call("POST", "/api/token/refresh/", new_address(), {"refresh": stolen})

    metrics = api.call("GET", "/metrics", "127.0.0.1").body.decode()

    reuses = re.search(r'^security_events_total\{event="refresh_reuse"\} (\S+)$', metrics, re.MULTILINE)
    logged = sum(1 for e in events(api) if e["event"] == "refresh_reuse")
    assert reuses
    assert float(reuses.group(1)) == logged >= 1


# ------------------------------------------------------------------ the owners, once the lockouts have passed


def lock(api: Api, cool_off: int = COOL_OFF) -> tuple[str, str]:
    email, password = sign_up(api)
    for n in range(FAILURE_LIMIT):
        api.login(email, f"guess-{n}")
    assert_locked(api.login(email, password), cool_off)
    return email, password


def test_every_locked_out_owner_logs_in_once_the_cool_off_has_passed(api: Api) -> None:
    if not LOCKED_OUT.owners:  # run alone: lock one account here
        LOCKED_OUT.add(*lock(api))
    time.sleep(max(0.0, LOCKED_OUT.last_lock + COOL_OFF + 0.5 - time.monotonic()))

    statuses = [api.login(email, password).status for email, password in LOCKED_OUT.owners]

    assert statuses == [200] * len(LOCKED_OUT.owners)
    if (STAFF.email, STAFF.password) in LOCKED_OUT.owners:
        logged_in = admin_login(api, STAFF.email, STAFF.password, new_address())
        assert logged_in.status == 302
        assert "sessionid=" in logged_in.headers["set-cookie"]


# ------------------------------------------------------------------ faults: where the shared state lives


def test_a_lockout_survives_killing_every_worker(long_lock_api: Api) -> None:
    api = long_lock_api
    email, password = lock(api, LONG_COOL_OFF)
    before = api.workers()

    for pid in before:
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 120
    while not (len(after := api.workers()) == len(before) and after.isdisjoint(before)):
        assert time.monotonic() < deadline, "gunicorn did not replace its workers"
        time.sleep(0.2)

    assert_locked(api.login(email, password), LONG_COOL_OFF)


def test_lockouts_hold_while_redis_is_down_and_after_it_restarts(long_lock_api: Api) -> None:
    api = long_lock_api
    email, password = lock(api, LONG_COOL_OFF)
    other_email, other_password = sign_up(api)

    api.redis.stop()
    try:
        assert_locked(api.login(email, password), LONG_COOL_OFF)  # lockouts live in the database
        assert api.login(other_email, other_password).status == 200  # throttles fail open: logins go on
    finally:
        api.redis.start()

    assert_locked(api.login(email, password), LONG_COOL_OFF)
