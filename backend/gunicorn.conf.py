"""gunicorn settings, read when gunicorn starts in backend/ (`gunicorn config.wsgi`).

With PROMETHEUS_MULTIPROC_DIR set, every worker writes its metrics there and /metrics
sums them, so the figures are right whichever worker answers the scrape.
"""

import itertools
import os
import shutil
from pathlib import Path
from typing import Any

bind = f"{os.environ.get('API_HOST', '127.0.0.1')}:{os.environ.get('API_PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Sync workers, measured against gthread (4 threads, keep-alive) with the bare app under the same
# settings (docs/benchmarks.md, "Worker model"): gthread's gain is keep-alive, which the bare app
# gains as much from, and its tail latency under overload was worse. Behind a proxy that keeps
# upstream connections open, `GUNICORN_CMD_ARGS="--worker-class gthread --threads 4"` opts in.
worker_class = "sync"
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR") or None
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10
accesslog = None  # the app logs one structured line per request (apps.observability)
errorlog = "-"


def metrics_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def on_starting(server: Any) -> None:
    """Metric files left by a previous run would be summed with the new ones: start empty."""
    directory = metrics_dir()
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True, exist_ok=True)


def pre_fork(server: Any, worker: Any) -> None:
    """Number each worker with the lowest slot no live worker holds (a dead worker's slot is free)."""
    taken = {other.metrics_slot for other in server.WORKERS.values()}
    worker.metrics_slot = next(slot for slot in itertools.count() if slot not in taken)


def post_fork(server: Any, worker: Any) -> None:
    """Name the worker's metric files by its slot, not its pid, before the app creates any metric.

    A replacement worker then reopens its predecessor's files and counts on from their values, so the
    directory holds one set of files per slot however often workers are restarted (max_requests, a
    timeout, a crash), and every scrape reads that many, not one set per worker ever started.
    """
    if metrics_dir():
        from prometheus_client import values

        identifier = f"worker-{worker.metrics_slot}"
        values.ValueClass = values.MultiProcessValue(lambda: identifier)  # type: ignore[no-untyped-call]


def child_exit(server: Any, worker: Any) -> None:
    if metrics_dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(f"worker-{worker.metrics_slot}")  # type: ignore[no-untyped-call]
