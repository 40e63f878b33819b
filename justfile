# Commands for working on the API. `just --list` shows them all.
# Python tools run from the in-project virtualenv that `poetry install` fills.

set dotenv-load := true
set shell := ["bash", "-euo", "pipefail", "-c"]

# Poetry's virtualenv in .venv, where every recipe looks for its tools (the flake's shell sets it too).
export POETRY_VIRTUALENVS_IN_PROJECT := "true"

venv := justfile_directory() / ".venv/bin"
manage := venv / "python backend/manage.py"

# List the recipes
default:
    @just --list --unsorted

# Install the locked dependencies into .venv and create .env from .env.example if missing
setup:
    poetry install --no-root
    [ -f .env ] || cp .env.example .env
    @echo "Ready: 'just run' for the API on SQLite, 'just test' for the suite, 'just up' for every service."

[private]
venv:
    [ -x {{ venv }}/django-admin ] || poetry install --no-root

# Run the development server on SQLite and the local-memory cache (no services needed)
run port="8000": venv
    {{ manage }} migrate --noinput
    {{ manage }} runserver 127.0.0.1:{{ port }}

# Run the test suite with coverage (SQLite unless DB_ENGINE/REDIS_URL point elsewhere)
test *args: venv
    {{ venv }}/pytest --cov --cov-report=term {{ args }}

# Lint: ruff, formatting, mypy, bandit, missing migrations and the production deploy check
lint: venv
    {{ venv }}/ruff check .
    {{ venv }}/ruff format --check .
    {{ venv }}/mypy backend ops
    {{ venv }}/bandit -q -c pyproject.toml -r backend -x '*/tests/*,backend/conftest.py,backend/config/settings/test.py'
    DJANGO_ENV=test {{ manage }} makemigrations --check --dry-run
    DJANGO_ENV=production DEBUG=0 SECRET_KEY="$({{ venv }}/python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
        ALLOWED_HOSTS=api.example.com {{ manage }} check --deploy --fail-level WARNING

# Format and auto-fix: ruff format, ruff's safe fixes (imports included)
fmt: venv
    {{ venv }}/ruff check --fix .
    {{ venv }}/ruff format .

# Django's system checks for the current settings
check: venv
    {{ manage }} check

# Scan the locked dependencies for known vulnerabilities (needs PyPI's JSON API)
audit: venv
    {{ venv }}/pip-audit --strict --progress-spinner off

# --- Production artefacts ---

# Check the image recipe (ops/deploy/image/Containerfile): lint, the image's virtualenv, its entrypoint on SQLite
check-image: venv
    {{ venv }}/python -m ops.deploy.image.check

# Render the Kubernetes manifests (ops/deploy/k8s) with kustomize and validate them offline
check-k8s: venv
    {{ venv }}/python -m ops.deploy.k8s.check

# --- Workspace services (process-compose) ---
# Every service binds 127.0.0.1; ports from env (defaults): API_PORT 8000, PG_PORT 5432,
# MYSQL_PORT 3306, REDIS_PORT 6379, PROMETHEUS_PORT 9090, GRAFANA_PORT 3000.
# State lives in .data/ (git-ignored); generated secrets in .data/secrets.env. See ops/README.md.

stack := justfile_directory() / "ops/stack.sh"

# Start the services (all, or the named ones plus dependencies, e.g. `just up postgres redis api`) and wait until ready
[positional-arguments]
up *services:
    @{{ stack }} up "$@"

# Stop every service and process-compose itself (no process left behind)
down:
    @{{ stack }} down

# Show every service's state, health and restarts
status:
    @{{ stack }} status

# Print recent log lines of every service, or of one (`just logs api`); files in .data/logs/
[positional-arguments]
logs service="":
    @{{ stack }} logs "$@"

# Open process-compose's terminal UI on the running stack
attach:
    @{{ stack }} attach

# Stop everything and delete .data/ (databases, metrics, Grafana state, secrets)
clean:
    @{{ stack }} clean

# psql into the stack's PostgreSQL as the app user
[positional-arguments]
psql *args:
    @{{ stack }} psql "$@"

# MySQL client into the stack's MySQL/MariaDB as the app user
[positional-arguments]
mysql *args:
    @{{ stack }} mysql "$@"

# redis-cli against the stack's Redis
[positional-arguments]
redis-cli *args:
    @{{ stack }} redis-cli "$@"

# Run the backend test suite against the running PostgreSQL and Redis (`just up postgres redis` first)
[positional-arguments]
test-postgres *args: venv
    @{{ stack }} test postgres "$@"

# Run the backend test suite against the running MySQL/MariaDB and Redis (`just up mysql redis` first)
[positional-arguments]
test-mysql *args: venv
    @{{ stack }} test mysql "$@"

# Check the running stack: processes ready, health, Prometheus targets, every Grafana panel query (ops/tests)
[positional-arguments]
test-stack *args: venv
    {{ venv }}/pytest ops/tests -m stack "$@"

# Down/up cycle of the running stack: no process left, clean PostgreSQL shutdown, data kept
[positional-arguments]
test-lifecycle *args: venv
    {{ venv }}/pytest ops/tests -m lifecycle "$@"

# --- Scale-out: two instances behind a load balancer ---
# api (API_PORT, 8000) and api-2 (API2_PORT, 8001), each its own gunicorn master with NUM_PROXIES=1,
# behind nginx (LB_PORT, 8080), sharing PostgreSQL and Redis; Prometheus scrapes both. `just down`,
# `just status` and `just logs` work on it as on `just up`. See ops/README.md and docs/deployment.md.

# Start the scale-out variant (postgres, redis, api, api-2, nginx `lb`, prometheus) and wait until ready
up-pair:
    @{{ stack }} up-pair

# Check the scale-out variant through nginx (ops/tests, marker `pair`); starts and stops it when nothing runs
[positional-arguments]
test-pair *args: venv
    {{ venv }}/pytest ops/tests -m pair "$@"

# --- Evidence: fault injection ---

# Kill Redis, PostgreSQL, a gunicorn worker and `down` mid-write on the running stack; check it heals (restarts the stack)
[positional-arguments]
test-faults *args: venv
    {{ venv }}/pytest ops/tests -m faults "$@"

# --- Evidence: fuzzing ---

# Schemathesis on the running API, as a user then as staff (needs DEBUG=0 and high THROTTLE_*: see ops/evidence/fuzz/run.py)
fuzz: venv
    {{ venv }}/python -m ops.evidence.fuzz.run

# --- Evidence: benchmark ---

# wrk against the API (production settings) and a bare Django app, 5 interleaved rounds x 10 s per endpoint; writes docs/benchmarks.md
[positional-arguments]
bench *args: venv
    {{ venv }}/python -m ops.bench.run "$@"

# The benchmark in 1 round x 2 s (CI): checks it runs end to end; table in .data/bench/short.md, docs untouched
[positional-arguments]
bench-short *args: venv
    BENCH_OUTPUT="${BENCH_OUTPUT:-.data/bench/short.md}" {{ venv }}/python -m ops.bench.run --rounds 1 --duration 2 "$@"
