"""Where a request's time goes: the API's WSGI app called in-process under production settings.

    .venv/bin/python -m ops.evidence.bench.profile [--requests N] [--only live,me] [--quick] [--ablate] [--keep-stack]

Same services and environment as `just bench` (ops/evidence/bench/run.py: the bench PostgreSQL + Redis,
started when not answering, DJANGO_ENV=production, JSON access logs, multiprocess metrics). Calls
`config.wsgi.application` directly with a WSGI environ, so gunicorn, sockets and wrk are out of the
picture and what is left is Django, the middleware chain and the view. For each endpoint:

* CPU time per request (time.process_time, best of a few batches) and Python function calls per
  request (cProfile's count, which no other load on the machine can change), beside the same
  figures for the bare baseline app (run in a child process);
* a pyinstrument profile, printed and saved as text + HTML under .data/bench/profile/;
* with --ablate, the CPU per request of each endpoint with each middleware removed in turn:
  the cost of each middleware in the chain, for that request.

Run it as a module (`-m ops.evidence.bench.profile`): run as a script, this file would shadow the standard
library's `profile` module.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import pstats
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from .run import (
    BACKEND,
    ENDPOINTS,
    ROOT,
    WORK_DIR,
    BenchError,
    app_environment,
    log,
    parse_args,
    prepare_database,
    services,
)

OUT_DIR = WORK_DIR / "profile"
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def environ(method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> dict[str, Any]:
    env: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "18200",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:18200",
        "HTTP_USER_AGENT": "wrk",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if body:
        env["CONTENT_TYPE"] = "application/json"
        env["CONTENT_LENGTH"] = str(len(body))
    for name, value in (headers or {}).items():
        env["HTTP_" + name.upper().replace("-", "_")] = value
    return env


def call(app: WsgiApp, make_environ: Callable[[], dict[str, Any]]) -> str:
    """One request as gunicorn makes it: the body consumed and close() called (request_finished)."""
    status: list[str] = []

    def start_response(code: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        status.append(code)
        return lambda data: None

    result = app(make_environ(), start_response)
    try:
        for _ in result:
            pass
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return status[0]


def calls_per_request(app: WsgiApp, make_environ: Callable[[], dict[str, Any]], n: int = 50) -> float:
    """Python function calls per request (cProfile's count): unlike time, other load can't change it."""
    call(app, make_environ)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        call(app, make_environ)
    profiler.disable()
    total: int = pstats.Stats(profiler).total_calls  # type: ignore[attr-defined]
    return total / n


def cpu_per_request(app: WsgiApp, make_environ: Callable[[], dict[str, Any]], n: int, batches: int = 5) -> float:
    """Microseconds of this process's CPU per request: the best of a few batches after a warm-up.

    The minimum, because other load on the machine (caches, steal, frequency) only ever adds time.
    """
    for _ in range(min(n, 200)):
        call(app, make_environ)
    best = float("inf")
    per_batch = max(n // batches, 1)
    for _ in range(batches):
        started = time.process_time()
        for _ in range(per_batch):
            call(app, make_environ)
        best = min(best, (time.process_time() - started) / per_batch)
    return best * 1e6


# ---------------------------------------------------------------------------------- baseline


def baseline_main(n: int) -> None:
    """Child process: the bare app's CPU per request, printed as JSON."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "ops.evidence.bench.baseline.settings"
    from .baseline.wsgi import application

    get = lambda: environ("GET", "/health/live/")  # noqa: E731
    post = lambda: environ("POST", "/api/token/", b'{"email": "x"}')  # noqa: E731
    figures = {
        "get": cpu_per_request(application, get, n),
        "post": cpu_per_request(application, post, n),
        "get_calls": calls_per_request(application, get),
        "post_calls": calls_per_request(application, post),
    }
    print(json.dumps(figures))


def baseline_figures(n: int) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    out = subprocess.run(
        [sys.executable, "-m", "ops.evidence.bench.profile", "--baseline-child", "--requests", str(n)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise BenchError(f"baseline profile failed:\n{out.stderr}")
    figures: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


# --------------------------------------------------------------------------------------- API


@contextlib.contextmanager
def api(env: dict[str, str]) -> Iterator[WsgiApp]:
    multiproc = Path(env["PROMETHEUS_MULTIPROC_DIR"]).with_name("profile-multiproc")
    with contextlib.suppress(FileNotFoundError):
        for stale in multiproc.iterdir():
            stale.unlink()
    multiproc.mkdir(parents=True, exist_ok=True)
    # Access lines go to a file, as in the benchmark (where gunicorn's stderr is a file).
    (WORK_DIR / "logs").mkdir(parents=True, exist_ok=True)
    log_file = (WORK_DIR / "logs" / "profile.log").open("w")
    os.environ.update({**env, "PROMETHEUS_MULTIPROC_DIR": str(multiproc)})
    sys.path.insert(0, str(BACKEND))
    saved_stderr = sys.stderr
    sys.stderr = log_file
    try:
        from config.wsgi import application

        yield application
    finally:
        sys.stderr = saved_stderr
        log_file.close()


def ablate(n: int, make_environ: Callable[[], dict[str, Any]]) -> list[tuple[str, float]]:
    """CPU per request with each middleware left out: the difference is its cost."""
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import override_settings

    full = list(settings.MIDDLEWARE)
    variants = [("(all middleware)", full)]
    variants += [(f"without {name}", [m for m in full if m != name]) for name in full]
    variants.append(("(no middleware)", []))
    handlers = []
    for _, middleware in variants:
        with override_settings(MIDDLEWARE=middleware):
            handlers.append(WSGIHandler())
    # A chain without a middleware another one needs answers with an error: its time is not that request's.
    answers = [call(handler, make_environ) for handler in handlers]
    best = [float("inf")] * len(variants)
    # Interleaved repetitions, best of each: a burst of load elsewhere cannot favour one variant.
    for _ in range(5):
        for i, handler in enumerate(handlers):
            best[i] = min(best[i], cpu_per_request(handler, make_environ, n // 5, batches=1))
    return [
        (label if status.startswith("200") else f"{label}: answers {status}, not comparable", us)
        for (label, _), us, status in zip(variants, best, answers, strict=True)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000, help="requests per endpoint (token: a tenth)")
    parser.add_argument("--only", default=",".join(endpoint.key for endpoint in ENDPOINTS))
    parser.add_argument("--quick", action="store_true", help="CPU and call counts only, no pyinstrument profile")
    parser.add_argument("--ablate", action="store_true", help="cost of each middleware, per endpoint")
    parser.add_argument("--keep-stack", action="store_true", help="leave the bench PostgreSQL + Redis running")
    parser.add_argument("--baseline-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.baseline_child:
        baseline_main(args.requests)
        return 0

    from pyinstrument import Profiler

    cfg = parse_args(["--keep-stack"] if args.keep_stack else [])
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    summary: list[str] = []
    try:
        base = baseline_figures(args.requests)
        with services(cfg) as db:
            env = app_environment(cfg, db)
            email, password, _ = prepare_database(env)
            with api(env) as app:
                from rest_framework_simplejwt.tokens import AccessToken

                from apps.users.models import User

                def bearer() -> dict[str, str]:
                    # Minted when its endpoint's turn comes: an access token lives 5 minutes by default.
                    token = AccessToken.for_user(User.objects.get(email=email))
                    return {"Authorization": f"Bearer {token}"}

                credentials = json.dumps({"email": email, "password": password}).encode()
                endpoints = {endpoint.key: endpoint for endpoint in ENDPOINTS}
                for key in args.only.split(","):
                    endpoint = endpoints[key]
                    # The same requests as the benchmark's: the POST is token.lua's login.
                    method = "post" if endpoint.script else "get"
                    baseline_us, baseline_calls = base[method], base[f"{method}_calls"]
                    make_environ = (
                        partial(environ, "POST", endpoint.path, credentials)
                        if endpoint.script
                        else partial(environ, "GET", endpoint.path, headers=bearer() if endpoint.auth else None)
                    )
                    n = max(args.requests // 10, 20) if key == "token" else args.requests
                    status = call(app, make_environ)
                    if not status.startswith("200"):
                        raise BenchError(f"{key}: {status}")
                    cpu_us = cpu_per_request(app, make_environ, n)
                    calls = calls_per_request(app, make_environ, 50 if key != "token" else 5)
                    line = (
                        f"{key:<8} API {cpu_us:9.0f} µs CPU, {calls:6.0f} calls/request   "
                        f"baseline {baseline_us:4.0f} µs, {baseline_calls:4.0f} calls   "
                        f"x{cpu_us / baseline_us:5.1f} CPU, x{calls / baseline_calls:5.1f} calls"
                    )
                    summary.append(line)
                    if args.ablate and not endpoint.script:  # a login's cost is its hash, 17 times over
                        print(f"\n===== middleware cost on {endpoint.path} (µs CPU per request)")
                        for name, us in ablate(n, make_environ):
                            print(f"{us:8.0f}  {name}")
                    if args.quick:
                        continue
                    profiler = Profiler(interval=0.0002, async_mode="disabled")
                    with profiler:
                        for _ in range(n):
                            call(app, make_environ)
                    text = profiler.output_text(unicode=True, show_all=False)
                    (OUT_DIR / f"{key}.txt").write_text(text)
                    (OUT_DIR / f"{key}.full.txt").write_text(profiler.output_text(unicode=True, show_all=True))
                    flat = profiler.output_text(flat=True, time="percent_of_total")
                    (OUT_DIR / f"{key}.flat.txt").write_text(flat)
                    (OUT_DIR / f"{key}.html").write_text(profiler.output_html())
                    top = "\n".join(flat.splitlines()[:30])
                    print(f"\n===== {key}: {line}\n{text}\n--- self time, top functions\n{top}")
    except BenchError as exc:
        log(f"ERROR: {exc}")
        return 1
    print("\n" + "\n".join(summary))
    print(f"profiles: {OUT_DIR}/<endpoint>.txt and .html")
    return 0


if __name__ == "__main__":
    sys.exit(main())
