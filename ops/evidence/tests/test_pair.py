"""Checks of the scale-out variant (`just up-pair`, then `just test-pair`), through nginx.

(a) the sign-up throttle is shared by both instances and keys on the real client;
(b) a refresh token rotated through one instance is refused by the other;
(c) Prometheus scrapes both instances as separate targets and the dashboard's queries sum them;
(d) stopping one instance under load loses no request beyond those it had in progress.

When no stack is running, the session starts the variant and stops it at the end; a running
stack without the second instance is skipped.
"""

import itertools
import re
import secrets
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

from ops.stack.compose import ProcessCompose, is_ready
from ops.stack.layout import Stack

from .helpers import dashboard_targets, run_stack, substitute, wait_for, worker_pids

pytestmark = pytest.mark.pair

# Traffic goes to liveness: a full trip through gunicorn and Django's middleware (metrics included),
# no throttle, and no dependency that could fail it, so any failed request is the failover's.
LOAD_PATH = "/health/live/"
REQUEST_RATE = 'rate(django_http_requests_total_by_view_transport_method_total{job="api"}[1m])'


@dataclass(frozen=True)
class Pair:
    lb: str  # nginx
    api: str  # instance 1, direct
    api2: str  # instance 2, direct
    upstreams: tuple[str, str]  # X-Upstream values (and Prometheus instance labels) of api, api-2


@pytest.fixture(scope="session")
def pair(stack: Stack) -> Iterator[Pair]:
    started = False
    if run_stack("status", timeout=30).returncode != 0:
        up = run_stack("up-pair", timeout=300)
        if up.returncode != 0:
            # `up` leaves a failed stack running for inspection; this session started it, so it stops it
            # (the failing processes' last log lines are in the message).
            run_stack("down", timeout=180)
            pytest.fail(f"`stack.sh up-pair` failed:\n{up.stdout}{up.stderr}")
        started = True
    try:
        running = {p["name"] for p in ProcessCompose(stack).processes() if p["status"] == "Running"}
        if not {"api", "api-2", "lb"} <= running:
            pytest.skip("the running stack is not the scale-out variant: `just down`, then `just test-pair`")
        upstreams = (f"127.0.0.1:{stack.vars['API_PORT']}", f"127.0.0.1:{stack.vars['API2_PORT']}")
        yield Pair(
            lb=f"http://127.0.0.1:{stack.vars['LB_PORT']}",
            api=f"http://{upstreams[0]}",
            api2=f"http://{upstreams[1]}",
            upstreams=upstreams,
        )
    finally:
        if started:
            down = run_stack("down", timeout=180)
            assert down.returncode == 0, down.stdout + down.stderr


class SourceAddressAdapter(HTTPAdapter):
    """Connects from a given local address."""

    def __init__(self, source: str) -> None:
        self.source = source  # before super().__init__(), which builds the pool manager
        super().__init__()

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any) -> None:
        pool_kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)


def new_client_address() -> str:
    """A fresh client: any 127.0.0.0/8 address reaches 127.0.0.1 on Linux, and nginx reports it
    as the client. Throttle counts left by an earlier run in the same minute then don't matter."""
    # Second octet from 1: never 127.0.0.1, the address of nginx itself.
    return f"127.{secrets.randbelow(254) + 1}.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"


def client(address: str | None = None) -> requests.Session:
    session = requests.Session()
    session.mount("http://", SourceAddressAdapter(address or new_client_address()))
    return session


def new_account() -> dict[str, str]:
    return {"email": f"pair-{uuid.uuid4().hex[:12]}@example.com", "password": f"Pair-{uuid.uuid4().hex[:10]}-pw-7"}


def throttle_limit(rate: str) -> int:
    """ "5/min" -> 5 (DRF's rate format)."""
    match = re.fullmatch(r"(\d+)/\w+", rate)
    assert match, f"unexpected PAIR_THROTTLE_SIGNUP {rate!r}"
    return int(match.group(1))


# ------------------------------------------------------------------ (a) throttles


def test_signup_throttle_is_shared_and_keys_on_the_client(pair: Pair, stack: Stack) -> None:
    limit = throttle_limit(stack.vars["PAIR_THROTTLE_SIGNUP"])
    session = client()
    statuses, upstreams = [], []
    for i in range(limit + 1):
        # A forged X-Forwarded-For each time: if the API trusted it, every request would be a new client.
        forged = {"X-Forwarded-For": f"203.0.113.{i + 1}"}
        resp = session.post(f"{pair.lb}/api/users/", json=new_account(), headers=forged, timeout=30)
        statuses.append(resp.status_code)
        upstreams.append(resp.headers["X-Upstream"])
    print(f"\nsign-ups through nginx: {list(zip(statuses, upstreams, strict=True))}")  # shown with -s or -rP
    assert statuses == [201] * limit + [429], list(zip(statuses, upstreams, strict=True))
    assert resp.headers.get("Retry-After"), "a 429 says when to retry"
    # Round-robin: consecutive requests alternate, so neither instance alone saw `limit` sign-ups.
    assert all(a != b for a, b in itertools.pairwise(upstreams)), upstreams
    assert set(upstreams) == set(pair.upstreams), upstreams
    assert max(Counter(upstreams[:limit]).values()) < limit
    # Another client is not affected: the count belongs to the client's address, not to nginx's.
    other = client().post(f"{pair.lb}/api/users/", json=new_account(), timeout=30)
    assert other.status_code == 201, other.text


# ---------------------------------------------------------------- (b) JWT blacklist


def test_rotated_refresh_token_is_refused_by_the_other_instance(pair: Pair) -> None:
    session = client()
    account = new_account()
    assert session.post(f"{pair.lb}/api/users/", json=account, timeout=30).status_code == 201
    tokens = session.post(f"{pair.lb}/api/token/", json=account, timeout=30)
    assert tokens.status_code == 200, tokens.text
    first = tokens.json()["refresh"]

    def refresh(base: str, token: str) -> requests.Response:
        return session.post(f"{base}/api/token/refresh/", json={"refresh": token}, timeout=30)

    def rotate(base: str, token: str) -> str:
        rotated = refresh(base, token)
        assert rotated.status_code == 200, rotated.text
        assert rotated.json()["refresh"] != token
        return str(rotated.json()["refresh"])

    second = rotate(pair.api, first)
    third = rotate(pair.api2, second)  # a chain continues on either instance
    # A replay is refused on the other instance, and counts as reuse: the whole family is revoked,
    # on every instance (the newest token too).
    assert refresh(pair.api2, first).status_code == 401
    assert refresh(pair.api, third).status_code == 401
    # Through nginx, whichever instance answers.
    replays = [refresh(pair.lb, second) for _ in range(2)]
    assert [r.status_code for r in replays] == [401, 401]
    assert {r.headers["X-Upstream"] for r in replays} == set(pair.upstreams)


# ---------------------------------------------------------------------- (c) metrics


def test_prometheus_scrapes_both_instances_and_the_dashboard_sums_them(
    pair: Pair, prom_query: Callable[..., list[dict[str, Any]]]
) -> None:
    instances = set(pair.upstreams)

    def both_up() -> bool:
        up = {s["metric"]["instance"]: s["value"][1] for s in prom_query('up{job="api"}')}
        return up == dict.fromkeys(instances, "1")

    wait_for(both_up, 60, 'up{job="api"} == 1 for both instances')

    session = client()
    deadline = time.monotonic() + 12
    for _ in range(120):  # traffic through nginx over two or three scrapes
        if time.monotonic() > deadline:
            break
        assert session.get(f"{pair.lb}{LOAD_PATH}", timeout=10).status_code == 200
        time.sleep(0.1)

    def per_instance_rates() -> tuple[float, dict[str, float]] | None:
        # Past any scrape still being ingested (scrape_timeout 4 s), so both queries below see the same samples.
        at = time.time() - 10
        series = prom_query(f"sum by (instance) ({REQUEST_RATE})", at)
        rates = {s["metric"]["instance"]: float(s["value"][1]) for s in series}
        return (at, rates) if set(rates) == instances and min(rates.values()) > 0 else None

    at, rates = wait_for(per_instance_rates, 60, "a request rate for both instances")
    total_by_view = [t for t in dashboard_targets() if t[0] == "Request rate by view"]
    assert total_by_view, "the dashboard lost its request-rate panel"
    by_view = prom_query(substitute(total_by_view[0][1]), at)
    dashboard_total = sum(float(s["value"][1]) for s in by_view)
    print(f"\nrequest rate per instance {rates}, dashboard total {dashboard_total}")  # shown with -s or -rP
    assert dashboard_total == pytest.approx(sum(rates.values()), rel=1e-9)
    # Every panel but "Processes up" (one series per target, on purpose) folds the instances together.
    for title, expr in dashboard_targets():
        result = prom_query(substitute(expr), at)
        assert result, f"no data for panel {title!r}"
        if title == "Processes up":
            assert instances <= {s["metric"]["instance"] for s in result if s["metric"]["job"] == "api"}
        else:
            assert all("instance" not in s["metric"] for s in result), (title, result)


# --------------------------------------------------------------------- (d) failover


@dataclass(frozen=True)
class Outcome:
    started: float
    ended: float
    status: int  # 0: no HTTP response
    upstream: str  # X-Upstream, or the error


def test_stopping_an_instance_under_load_loses_no_request(pair: Pair, stack: Stack) -> None:
    """GETs through nginx from 8 threads; api-2 is stopped (process-compose: SIGTERM, gunicorn's
    graceful stop) once a few hundred have completed, and the load goes on for 3 s after it exited.

    Bound: on SIGTERM gunicorn closes its listener and each sync worker finishes the one request it
    holds before exiting; a connection refused, or reset from the backlog, is an `error` to nginx,
    which resends the (idempotent) GET to api. So only a request a worker of api-2 was processing
    could fail (had the worker died before answering): at most one per worker, 0 expected."""
    workers = worker_pids(int(ProcessCompose(stack).process("api-2")["pid"]))
    assert workers, "api-2's gunicorn master has no workers"

    outcomes: list[Outcome] = []
    lock = threading.Lock()
    stop_load = threading.Event()
    max_requests, concurrency = 4000, 8

    def load() -> None:
        session = client()
        while not stop_load.is_set():
            with lock:
                if len(outcomes) >= max_requests:
                    return
            started = time.monotonic()
            try:
                resp = session.get(f"{pair.lb}{LOAD_PATH}", timeout=15)
                outcome = Outcome(started, time.monotonic(), resp.status_code, resp.headers.get("X-Upstream", ""))
            except requests.RequestException as exc:
                outcome = Outcome(started, time.monotonic(), 0, repr(exc))
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=load, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + 30
        while len(outcomes) < 300 and time.monotonic() < deadline:
            time.sleep(0.05)
        stop_sent = time.monotonic()
        stopped = ProcessCompose(stack).run("process", "stop", "api-2", timeout=60)
        stop_done = time.monotonic()
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        time.sleep(3)
    finally:
        stop_load.set()
        for thread in threads:
            thread.join(timeout=30)

    try:
        api2_after = ProcessCompose(stack).process("api-2")
        failures = [o for o in outcomes if o.status != 200]
        in_flight = [o for o in outcomes if o.started < stop_done and o.ended > stop_sent]
        # Answered by api-2 itself after the SIGTERM: its graceful stop finished them.
        drained = [o for o in in_flight if o.upstream == pair.upstreams[1]]
        before = [o for o in outcomes if o.ended < stop_sent]
        after = [o for o in outcomes if o.started > stop_done]
        retried = [o for o in outcomes if "," in o.upstream]
        print(  # the measured figures, shown with -s or -rP
            f"\nload: {len(outcomes)} requests, {len(failures)} failed; {len(in_flight)} in flight during the stop "
            f"({stop_done - stop_sent:.2f} s), {len(drained)} of them answered by api-2, {len(retried)} retried by "
            f"nginx on api; "
            f"before the stop {dict(Counter(o.upstream for o in before))}, after {len(after)} requests"
        )
        assert api2_after["status"] != "Running", api2_after
        assert len(before) > 100
        assert {o.upstream for o in before} == set(pair.upstreams)
        assert len(after) > 50, "the load ended too early to show the survivor alone"
        assert {o.upstream.split(", ")[-1] for o in after} == {pair.upstreams[0]}
        assert all(o in in_flight for o in failures), failures
        assert len(failures) <= len(workers), failures
    finally:
        # Leave the pair whole for the next run (or for whoever started it).
        started = ProcessCompose(stack).run("process", "start", "api-2")
        assert started.returncode == 0, started.stdout + started.stderr

        wait_for(lambda: is_ready(ProcessCompose(stack).process("api-2")), 60, "api-2 to be ready again")
        # nginx probes a failed server again after fail_timeout (5 s): wait until it does.
        session = client()
        wait_for(
            lambda: session.get(f"{pair.lb}{LOAD_PATH}", timeout=10).headers.get("X-Upstream") == pair.upstreams[1],
            30,
            "nginx to route to api-2 again",
        )
