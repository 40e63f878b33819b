# Commands for working on the API. `just --list` shows them all.
# Python tools run from the in-project virtualenv that `poetry install` fills.

set dotenv-load := true
set shell := ["bash", "-euo", "pipefail", "-c"]

# Poetry's virtualenv in .venv, where every recipe looks for its tools (the flake's shell sets it too).
# `poetry install --compile` (setup, venv): the libraries' bytecode is written once at install, so no
# process (a test's subprocess, a gunicorn worker) compiles them again, even under PYTHONDONTWRITEBYTECODE.
export POETRY_VIRTUALENVS_IN_PROJECT := "true"
# The project's own modules and pytest's rewritten tests are compiled once into __pycache__ (ignored by
# git): an inherited PYTHONDONTWRITEBYTECODE would recompile them at every run (5 s of `just test`).
export PYTHONDONTWRITEBYTECODE := ""

venv := justfile_directory() / ".venv/bin"
manage := venv / "python backend/manage.py"

# List the recipes
default:
    @just --list --unsorted

# Install the locked dependencies into .venv, create .env from .env.example if missing, install the git hooks
[group('dev')]
setup:
    poetry install --no-root --compile
    [ -f .env ] || cp .env.example .env
    @if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then {{ venv }}/pre-commit install; \
    else echo "Not a git checkout: git hooks not installed (.pre-commit-config.yaml)."; fi
    @echo "Ready: 'just run' for the API on SQLite, 'just test' for the suite, 'just up' for every service."

[private]
venv:
    [ -x {{ venv }}/django-admin ] || poetry install --no-root --compile

# Run the development server on SQLite and the local-memory cache (no services needed)
[group('dev')]
run port="8000": venv
    {{ manage }} migrate --noinput
    {{ manage }} runserver 127.0.0.1:{{ port }}

# Run the test suite (SQLite unless DB_ENGINE/REDIS_URL point elsewhere); `just coverage` adds the coverage gate
[group('check')]
test *args: venv
    {{ venv }}/pytest {{ args }}

# The test suite with coverage: the report, and at least 90 % of lines and branches, as CI runs it
[group('check')]
coverage *args: venv
    {{ venv }}/pytest --cov --cov-report=term {{ args }}

# Replay the account-security attacks over HTTP: gunicorn (2 workers, production settings) and Redis (~1 min)
[group('check')]
[positional-arguments]
test-attacks *args: venv
    {{ venv }}/pytest -m attacks backend/apps/users/tests/test_attacks_http.py "$@"

# Lint: ruff, formatting, mypy, import contracts (no cycles), shellcheck, bandit, missing migrations and the production deploy check
[group('check')]
lint: venv
    {{ venv }}/ruff check .
    {{ venv }}/ruff format --check .
    {{ venv }}/mypy backend ops
    PYTHONPATH=backend {{ venv }}/lint-imports --no-cache
    @if command -v shellcheck >/dev/null; then git ls-files -z '*.sh' .ci/run | xargs -0 shellcheck; \
    elif [ "${CI:-}" = true ]; then echo "shellcheck not found: Nix attribute 'shellcheck', Debian package 'shellcheck'" >&2; exit 1; \
    else echo "skipped shellcheck: not installed (nix develop brings it; Debian: apt-get install shellcheck)"; fi
    {{ venv }}/bandit -q -c pyproject.toml -r backend -x '*/tests/*,backend/conftest.py,backend/testing/*,backend/config/settings/test.py'
    DJANGO_ENV=test {{ manage }} makemigrations --check --dry-run
    DJANGO_ENV=production DEBUG=0 SECRET_KEY="$({{ venv }}/python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
        ALLOWED_HOSTS=api.example.com REDIS_URL=redis://127.0.0.1:6379/0 {{ manage }} check --deploy --fail-level WARNING

# Run the git hooks on every file: ruff, shellcheck, nixfmt, actionlint, devcontainer and workflow schemas
[group('check')]
hooks: venv
    {{ venv }}/pre-commit run --all-files

# Format and auto-fix: ruff format, ruff's safe fixes (imports included)
[group('check')]
fmt: venv
    {{ venv }}/ruff check --fix .
    {{ venv }}/ruff format .

# Django's system checks for the current settings
[group('dev')]
check: venv
    {{ manage }} check

# Scan the locked dependencies for known vulnerabilities (needs PyPI's JSON API)
[group('check')]
audit: venv
    {{ venv }}/pip-audit --strict --progress-spinner off

# --- API contract: docs/openapi.yaml, committed ---

oasdiff_version := "v1.38.0"

# Regenerate docs/openapi.yaml from the code (`just test` fails while the committed copy is stale)
[group('contract')]
schema: venv
    DJANGO_ENV=test {{ manage }} spectacular --validate --fail-on-warn --file docs/openapi.yaml

# Breaking changes in docs/openapi.yaml against a revision's copy (default: where this branch left main), by oasdiff
[group('contract')]
[positional-arguments]
schema-breaking base="":
    #!/usr/bin/env bash
    set -euo pipefail
    if ! command -v oasdiff >/dev/null; then
      missing="oasdiff is not on PATH: \`just install-oasdiff\` builds it (Go >= 1.26 from go.dev/dl; Debian 12's is too old)"
      [[ ${CI:-} == true ]] && { echo "schema-breaking: $missing" >&2; exit 1; }
      echo "schema-breaking: skipped, $missing"; exit 0
    fi
    base=${1:-$(git merge-base HEAD origin/main 2>/dev/null || git merge-base HEAD main)}
    before=$(mktemp); trap 'rm -f "$before"' EXIT
    if ! git show "$base:docs/openapi.yaml" >"$before" 2>/dev/null; then
      echo "schema-breaking: no docs/openapi.yaml at $base, nothing to compare"; exit 0
    fi
    oasdiff breaking --fail-on ERR "$before" docs/openapi.yaml
    echo "schema-breaking: no breaking change against $base"

# Build oasdiff, the breaking-change checker, from its Go module (pinned) into DIR
[group('contract')]
install-oasdiff dir=(home_directory() / ".local/bin"):
    GOBIN="{{ dir }}" go install github.com/oasdiff/oasdiff@{{ oasdiff_version }}

# --- Production artefacts ---

# Check the image recipe (ops/deploy/image/Containerfile): lint, the image's virtualenv, its entrypoint on SQLite
[group('deploy')]
check-image: venv
    {{ venv }}/python -m ops.deploy.image.check

# Render the Kubernetes manifests (ops/deploy/k8s) with kustomize and validate them offline
[group('deploy')]
check-k8s: venv
    {{ venv }}/python -m ops.deploy.k8s.check

# --- Workspace services (process-compose) ---
# Every service binds 127.0.0.1; ports from env (defaults): API_PORT 8000, PG_PORT 5432,
# MYSQL_PORT 3306, REDIS_PORT 6379, PROMETHEUS_PORT 9090, GRAFANA_PORT 3000.
# State lives in .data/ (git-ignored); generated secrets in .data/secrets.env. Services are defined
# once in ops/stack/services.toml; see ops/README.md.

# The driver: a standard-library package run by the shell's python3 (ops/stack/, see ops/README.md).
stack := "python3 -m ops.stack"

# Start the services (all, or the named ones plus dependencies, e.g. `just up postgres redis api`) and wait until ready
[group('stack')]
[positional-arguments]
up *services:
    @{{ stack }} up "$@"

# Stop every service and process-compose itself (no process left behind)
[group('stack')]
down:
    @{{ stack }} down

# Show every service's state, health and restarts
[group('stack')]
status:
    @{{ stack }} status

# Print recent log lines of every service, or of one (`just logs api`); files in .data/logs/
[group('stack')]
[positional-arguments]
logs service="":
    @{{ stack }} logs "$@"

# Restart services of the running stack (`just restart api`); their readiness probes apply again
[group('stack')]
[positional-arguments]
restart +services:
    @{{ stack }} restart "$@"

# Open process-compose's terminal UI on the running stack
[group('stack')]
attach:
    @{{ stack }} attach

# Stop everything and delete .data/ (databases, metrics, Grafana state, secrets); asks first unless --yes or CI=true
[group('stack')]
[positional-arguments]
clean *args:
    @{{ stack }} clean "$@"

# psql into the stack's PostgreSQL as the app user
[group('stack')]
[positional-arguments]
psql *args:
    @{{ stack }} psql "$@"

# MySQL client into the stack's MySQL/MariaDB as the app user
[group('stack')]
[positional-arguments]
mysql *args:
    @{{ stack }} mysql "$@"

# redis-cli against the stack's Redis
[group('stack')]
[positional-arguments]
redis-cli *args:
    @{{ stack }} redis-cli "$@"

# Run the backend test suite against the running PostgreSQL and Redis (`just up postgres redis` first)
[group('stack')]
[positional-arguments]
test-postgres *args: venv
    @{{ stack }} test postgres "$@"

# Run the backend test suite against the running MySQL/MariaDB and Redis (`just up mysql redis` first)
[group('stack')]
[positional-arguments]
test-mysql *args: venv
    @{{ stack }} test mysql "$@"

# Check the running stack: processes ready, health, Prometheus targets, every Grafana panel query, the db-* recipes and seed (ops/evidence/tests)
[group('stack')]
[positional-arguments]
test-stack *args: venv
    {{ venv }}/pytest ops/evidence/tests -m stack "$@"

# Down/up cycle of the running stack: no process left, clean PostgreSQL shutdown, data kept
[group('stack')]
[positional-arguments]
test-lifecycle *args: venv
    {{ venv }}/pytest ops/evidence/tests -m lifecycle "$@"

# Two copies of this checkout up at once on their own ports, walled off from each other; code reload in development, none in production (its own stacks)
[group('stack')]
[positional-arguments]
test-checkouts *args: venv
    {{ venv }}/pytest ops/evidence/tests -m checkouts "$@"

# --- Databases of the stack: reset, snapshots, dumps, sample data (ops/stack/database.py) ---
# Each acts on the stack's PostgreSQL, or MySQL/MariaDB when given `mysql` (default: STACK_DB_ENGINE),
# as the app's own user, and refuses a server that isn't local.

db := "python3 -m ops.stack.database"

# Drop, create and migrate the stack's database: `just db-reset [postgres|mysql]`
[group('db')]
[positional-arguments]
db-reset *engine: venv
    @{{ db }} reset "$@"

# Save the database as snapshot NAME, replacing one of that name (PostgreSQL: a template copy; MySQL: a dump in .data/snapshots/)
[group('db')]
[positional-arguments]
db-snapshot name *engine:
    @{{ db }} snapshot "$@"

# Put snapshot NAME back as the database (the app's connections are ended): `just db-restore NAME [postgres|mysql]`
[group('db')]
[positional-arguments]
db-restore name *engine:
    @{{ db }} restore "$@"

# List the snapshots, with size and time: `just db-snapshots [postgres|mysql]`
[group('db')]
[positional-arguments]
db-snapshots *engine:
    @{{ db }} snapshots "$@"

# Delete snapshot NAME: `just db-drop-snapshot NAME [postgres|mysql]`
[group('db')]
[positional-arguments]
db-drop-snapshot name *engine:
    @{{ db }} drop-snapshot "$@"

# Dump the database as SQL into FILE (moving data between PostgreSQL versions, sharing a state)
[group('db')]
[positional-arguments]
db-dump file *engine:
    @{{ db }} dump {{ quote(join(invocation_directory(), file)) }} "${@:2}"

# Replace the database with one loaded from a `db-dump` FILE
[group('db')]
[positional-arguments]
db-load file *engine:
    @{{ db }} load {{ quote(join(invocation_directory(), file)) }} "${@:2}"

# Sample accounts in the stack's database, idempotent: superuser DJANGO_SUPERUSER_EMAIL/_PASSWORD (generated and printed once if unset), staff, users
[group('db')]
[positional-arguments]
seed *engine: venv
    @{{ db }} seed "$@"

# Lift the login lockout of one account before its cool-off ends: `just unlock user@example.com [postgres|mysql]`
[group('db')]
[positional-arguments]
unlock email *engine: venv
    @{{ db }} unlock "$@"

# --- Scale-out: two instances behind a load balancer ---
# api (API_PORT, 8000) and api-2 (API2_PORT, 8001), each its own gunicorn master with NUM_PROXIES=1,
# behind nginx (LB_PORT, 8080), sharing PostgreSQL and Redis; Prometheus scrapes both. `just down`,
# `just status` and `just logs` work on it as on `just up`. See ops/README.md and docs/deployment.md.

# Start the scale-out variant (postgres, redis, api, api-2, nginx `lb`, prometheus) and wait until ready
[group('stack')]
up-pair:
    @{{ stack }} up-pair

# Check the scale-out variant through nginx (ops/evidence/tests, marker `pair`); starts and stops it when nothing runs
[group('stack')]
[positional-arguments]
test-pair *args: venv
    {{ venv }}/pytest ops/evidence/tests -m pair "$@"

# --- Evidence: fault injection ---

# Kill Redis, PostgreSQL, a gunicorn worker and `down` mid-write on the running stack; check it heals (restarts the stack)
[group('evidence')]
[positional-arguments]
test-faults *args: venv
    {{ venv }}/pytest ops/evidence/tests -m faults "$@"

# --- Evidence: fuzzing ---

# Schemathesis on the running API, as a user then as staff (needs DEBUG=0, high THROTTLE_* and LOCKOUT_FAILURE_LIMIT: see ops/evidence/fuzz/run.py)
[group('evidence')]
fuzz: venv
    {{ venv }}/python -m ops.evidence.fuzz.run

# --- Evidence: benchmark ---

# wrk against the API (production settings) and a bare Django app, 5 interleaved rounds x 10 s per endpoint; writes docs/benchmarks.md
[group('evidence')]
[positional-arguments]
bench *args: venv
    {{ venv }}/python -m ops.evidence.bench.run "$@"

# The benchmark in 1 round x 2 s (CI): checks it runs end to end; table in .data/bench/short.md, docs untouched
[group('evidence')]
[positional-arguments]
bench-short *args: venv
    BENCH_OUTPUT="${BENCH_OUTPUT:-.data/bench/short.md}" {{ venv }}/python -m ops.evidence.bench.run --rounds 1 --duration 2 "$@"
