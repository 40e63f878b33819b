"""gunicorn settings, read when gunicorn starts in backend/ (`gunicorn config.wsgi`).

With PROMETHEUS_MULTIPROC_DIR set, every worker writes its metrics there and /metrics
sums them, so the figures are right whichever worker answers the scrape.
"""

import os
import shutil
from pathlib import Path
from typing import Any

bind = f"{os.environ.get('API_HOST', '127.0.0.1')}:{os.environ.get('API_PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR") or None
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10
accesslog = None  # the app logs one structured line per request (apps.observability)
errorlog = "-"


def on_starting(server: Any) -> None:
    """Metric files left by a previous run would be summed with the new ones: start empty."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
