"""`just fuzz`: schemathesis on the running API, every operation of /schema/, every check, phases examples, coverage,
fuzzing and stateful; once as a normal user, once as staff.

    just fuzz                                             # the stack's API (the checkout's API_PORT)
    BASE_URL=http://127.0.0.1:18100 FUZZ_DB_ENV=current just fuzz

The API under test must run with DEBUG=0 (Django's debug pages aren't the API's JSON errors) and throttle rates no
fuzzer reaches, e.g. THROTTLE_ANON=THROTTLE_USER=THROTTLE_SIGNUP=THROTTLE_TOKEN=THROTTLE_CSP_REPORT=100000/min, and a
login lockout its wrong passwords don't reach (LOCKOUT_FAILURE_LIMIT=100000): a 429 is documented, so a throttled
run passes while testing nothing, and this run fails it instead.

Accounts fuzz-user, fuzz-peer and fuzz-staff (not superuser) are created or reset with new random passwords through
`manage.py shell`, which must reach the API's database:
  FUZZ_DB_ENV=stack    the database of `just up`
  FUZZ_DB_ENV=current  DB_* / DJANGO_ENV as set in this environment or .env
  (default: stack when BASE_URL is unset and the stack is running, else current)
Tokens come from POST /api/token/; schemathesis sends them through a Web Fuzzing Commons auth file so that
object_level_authorization can replay reads as fuzz-peer (schemathesis.toml). hooks.py keeps schema-valid cases
valid against the database's state (unused emails, the current password). Sign-up fuzzing leaves accounts behind.

The user run warns that staff-only operations answered only 401/403: for a normal user that is the expected outcome
(their access control holding), not a problem with the credentials.

Settings: FUZZ_SEED (default 20251126), FUZZ_MAX_EXAMPLES per operation (default 40).
Output in FUZZ_OUT_DIR (default .data/fuzz)/{user,staff}/: JUnit XML, NDJSON events, schemathesis.log.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shlex
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ops.evidence import backend
from ops.stack.compose import ProcessCompose
from ops.stack.layout import Stack

FUZZ_DIR = Path(__file__).resolve().parent
ROOT = FUZZ_DIR.parents[2]
NAMES = ("user", "peer", "staff")
RUNS = (("user", "user"), ("staff", "staff"))  # (run, acting account)
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


class FuzzFailed(SystemExit):
    """Ends the run with exit code 1 and the reason on stderr."""


def log(message: str) -> None:
    print(f"fuzz: {message}", file=sys.stderr, flush=True)


def die(message: str) -> FuzzFailed:
    log(message)
    return FuzzFailed(1)


def email(name: str) -> str:
    return f"fuzz-{name}@example.com"


@dataclass(frozen=True)
class Target:
    base_url: str
    database: str  # "stack" or "current"
    db_env: dict[str, str]


def stack_running() -> bool:
    return ProcessCompose(Stack.load()).answers()


def stack_database_env() -> dict[str, str]:
    """The API's database settings in the running stack, as the stack driver gives them to it."""
    stack = Stack.load()
    return stack.database_env(stack.vars.get("STACK_DB_ENGINE", "postgres"))


def target() -> Target:
    base_url = os.environ.get("BASE_URL") or f"http://127.0.0.1:{Stack.load().port('api')}"
    database = os.environ.get("FUZZ_DB_ENV") or (
        "stack" if not os.environ.get("BASE_URL") and stack_running() else "current"
    )
    if database not in ("stack", "current"):
        raise die(f"FUZZ_DB_ENV must be 'stack' or 'current', not '{database}'")
    return Target(base_url.rstrip("/"), database, stack_database_env() if database == "stack" else {})


def request(url: str, body: dict[str, str] | None = None) -> tuple[int, str, bytes]:
    """Status, content type and body; an error status is an answer too."""
    data = None if body is None else json.dumps(body).encode()
    headers = {} if body is None else {"Content-Type": "application/json"}
    req = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 - the API under test
    try:
        with urllib.request.urlopen(req, timeout=30) as response:  # noqa: S310 - the API under test
            return response.status, response.headers.get_content_type(), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get_content_type(), error.read()


def check_api(base_url: str) -> None:
    """Up, and answering unknown URLs with its JSON error (DEBUG=0)."""
    try:
        status, _, _ = request(f"{base_url}/health/")
    except OSError as error:
        raise die(f"no API at {base_url} (GET /health/: {error})") from error
    if status != 200:
        raise die(f"no healthy API at {base_url} (GET /health/ answered {status})")
    _, content_type, _ = request(f"{base_url}/fuzz-no-such-page/")
    if content_type != "application/json":
        raise die(f"{base_url} answers unknown URLs with '{content_type}', not JSON: restart the API with DEBUG=0")


def access_token(t: Target, name: str, password: str) -> str:
    status, _, body = request(f"{t.base_url}/api/token/", {"email": email(name), "password": password})
    if status != 200:
        raise die(f"POST /api/token/ refused fuzz-{name} ({status}): is FUZZ_DB_ENV={t.database} the API's database?")
    token: str = json.loads(body)["access"]
    return token


def token_expiry(token: str) -> int:
    """Seconds since the epoch at which a JWT expires (read, not verified: the API issued it just now)."""
    payload = token.split(".")[1]
    expiry: int = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["exp"]
    return expiry


def write_auth_file(path: Path, actor_token: str, peer_token: str) -> None:
    """The WFC auth document: `actor` sends every request, `peer` gets the replayed reads."""

    def identity(name: str, token: str) -> dict[str, object]:
        return {"name": name, "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {token}"}]}

    document = {"schemaVersion": "0.2.0", "auth": [identity("actor", actor_token), identity("peer", peer_token)]}
    path.write_text(json.dumps(document))


def count_status(events: Path, status: int) -> int:
    """Responses with `status` in an NDJSON event file."""
    count = 0
    for line in events.read_text().splitlines():
        scenario = json.loads(line).get("ScenarioFinished") or {}
        for interaction in (scenario.get("recorder", {}).get("interactions") or {}).values():
            count += (interaction.get("response") or {}).get("status_code") == status
    return count


def fuzz(t: Target, run: str, actor: str, passwords: dict[str, str], ids: dict[str, int], out_dir: Path) -> bool:
    """One schemathesis run as fuzz-`actor`; whether it found no failures."""
    directory = out_dir / run
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    token = access_token(t, actor, passwords[actor])
    write_auth_file(directory / "auth.json", token, access_token(t, "peer", passwords["peer"]))
    command = [
        str(SCHEMATHESIS), "--config-file", str(FUZZ_DIR / "schemathesis.toml"), "run", f"{t.base_url}/schema/",
        "--url", t.base_url, "--checks", "all", "--phases", "examples,coverage,fuzzing,stateful",
        "--seed", os.environ.get("FUZZ_SEED", "20251126"),
        "--max-examples", os.environ.get("FUZZ_MAX_EXAMPLES", "40"), "--no-color",
        "--report", "junit,ndjson", "--report-dir", str(directory),
        "--report-junit-path", str(directory / "junit.xml"), "--report-ndjson-path", str(directory / "events.ndjson"),
    ]  # fmt: skip
    env = {
        **os.environ,
        **t.db_env,
        "FUZZ_DIR": str(FUZZ_DIR),
        "FUZZ_AUTH_FILE": str(directory / "auth.json"),
        "FUZZ_ACTOR_ID": str(ids[actor]),
        "FUZZ_ACTOR_EMAIL": email(actor),
        "FUZZ_ACTOR_PASSWORD": passwords[actor],
    }
    log(f"{run} run as fuzz-{actor}: {shlex.join(command)}")
    started = time.monotonic()
    # In the run's folder: hypothesis keeps its own small caches in the working directory.
    with (directory / "schemathesis.log").open("w") as transcript:
        proc = subprocess.Popen(
            command, cwd=directory, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            sys.stdout.write(line)
            transcript.write(line)
        code = proc.wait()
    (directory / "auth.json").unlink()  # its tokens stay valid for some minutes
    log(f"{run} run: exit {code} after {time.monotonic() - started:.0f}s")
    if time.time() >= token_expiry(token):
        raise die(
            f"{run} run outlasted fuzz-{actor}'s token: raise ACCESS_TOKEN_LIFETIME_MINUTES or lower FUZZ_MAX_EXAMPLES"
        )
    throttled = count_status(directory / "events.ndjson", 429)
    if throttled:
        raise die(
            f"{run} run: {throttled} responses were 429: restart the API with higher THROTTLE_* rates"
            " and LOCKOUT_FAILURE_LIMIT (see run.py)"
        )
    return code == 0


def main() -> None:
    if not SCHEMATHESIS.exists():
        raise die(
            f"no schemathesis beside {sys.executable}: run 'just setup' first (a dev dependency in pyproject.toml)"
        )
    t = target()
    check_api(t.base_url)
    out_dir = Path(os.environ.get("FUZZ_OUT_DIR") or ROOT / ".data" / "fuzz")
    out_dir.mkdir(parents=True, exist_ok=True)
    os.umask(0o077)
    passwords = {name: secrets.token_urlsafe(24) for name in NAMES}
    db = t.db_env
    engine = db.get("DB_ENGINE", os.environ.get("DB_ENGINE", "sqlite"))
    log(f"resetting fuzz-user, fuzz-peer and fuzz-staff ({t.database} database: {engine} {db.get('DB_NAME', '')})")
    accounts = [backend.Account(email(name), passwords[name], staff=name == "staff") for name in NAMES]
    try:
        reset = backend.reset_accounts(accounts, {**os.environ, **db})
    except backend.ManageError as error:
        raise die(f"could not set up the fuzz accounts: {error}") from error
    ids = {name: reset[email(name)].id for name in NAMES}
    failed = [run for run, actor in RUNS if not fuzz(t, run, actor, passwords, ids, out_dir)]
    if failed:
        raise die(f"failures in the {', '.join(failed)} run(s); reports in {out_dir}")
    log(f"no failures; reports in {out_dir}")


if __name__ == "__main__":
    main()
