# Commands for working on the API. `just --list` shows them all.
# Python tools run from the in-project virtualenv that `poetry install` fills.

set dotenv-load := true
set shell := ["bash", "-euo", "pipefail", "-c"]

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
    {{ venv }}/bandit -q -c pyproject.toml -r backend
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
