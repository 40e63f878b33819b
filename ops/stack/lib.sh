# shellcheck shell=bash
# Shared helpers for the workspace services (sourced, never executed).
#
# Every service script under ops/ sources this file first. It:
#   * resolves the repo root, the data folder (.data/) and a SHORT runtime dir
#     for unix sockets (socket paths longer than ~100 bytes fail);
#   * sets every port / name with its documented default;
#   * loads .data/secrets.env WITHOUT overriding values already in the env
#     (the user's environment and .env win);
#   * offers helpers: need_bin, port_free, as_service_user, ...

set -euo pipefail

OPS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
ROOT_DIR="$(cd "$OPS_DIR/.." && pwd -P)"
export OPS_DIR ROOT_DIR

# ---- layout ---------------------------------------------------------------
export DATA_DIR="${DATA_DIR:-$ROOT_DIR/.data}"
export LOG_DIR="$DATA_DIR/logs"
export SECRETS_FILE="$DATA_DIR/secrets.env"
# One stack per checkout and data dir: both go into the short runtime dir's name.
_root_hash="$(printf '%s|%s' "$ROOT_DIR" "$DATA_DIR" | cksum | cut -d' ' -f1)"
if [ "$(id -u)" -eq 0 ] || [ -z "${XDG_RUNTIME_DIR:-}" ]; then
  # root: the service user must be able to traverse it, /run/user/0 is 0700.
  export RUN_DIR="${RUN_DIR:-/tmp/djapi-$(id -u)-$_root_hash}"
else
  export RUN_DIR="${RUN_DIR:-$XDG_RUNTIME_DIR/djapi-$_root_hash}"
fi
unset _root_hash
export PC_SOCKET="$RUN_DIR/pc.sock"

# ---- ports (all services bind 127.0.0.1) ----------------------------------
export API_PORT="${API_PORT:-8000}"
export PG_PORT="${PG_PORT:-5432}"
export MYSQL_PORT="${MYSQL_PORT:-3306}"
export REDIS_PORT="${REDIS_PORT:-6379}"
export PROMETHEUS_PORT="${PROMETHEUS_PORT:-9090}"
export GRAFANA_PORT="${GRAFANA_PORT:-3000}"
# Scale-out variant (`just up-pair`): nginx in front, and the second API instance.
export LB_PORT="${LB_PORT:-8080}"
export API2_PORT="${API2_PORT:-8001}"

# ---- names ------------------------------------------------------------------
export PG_DB="${PG_DB:-app}"
export PG_USER="${PG_USER:-app}"
export MYSQL_DATABASE="${MYSQL_DATABASE:-app}"
export MYSQL_USER="${MYSQL_USER:-app}"
export GRAFANA_ADMIN_USER="${GRAFANA_ADMIN_USER:-admin}"
export SERVICE_USER="${SERVICE_USER:-devsvc}"
export STACK_TIMEOUT="${STACK_TIMEOUT:-180}"
# Sign-up rate of both instances in `just up-pair`: low, so ops/tests/test_pair.py reaches it quickly.
export PAIR_THROTTLE_SIGNUP="${PAIR_THROTTLE_SIGNUP:-5/min}"

# Keys kept in .data/secrets.env
SECRET_KEYS=(PG_PASSWORD MYSQL_PASSWORD MYSQL_ROOT_PASSWORD GRAFANA_ADMIN_PASSWORD SECRET_KEY)

log()  { printf '[%s] %s\n' "${SERVICE_NAME:-stack}" "$*" >&2; }
die()  { printf '[%s] ERROR: %s\n' "${SERVICE_NAME:-stack}" "$*" >&2; exit 1; }

# Load secrets.env as defaults: a variable already set in the env wins.
load_secrets() {
  [ -r "$SECRETS_FILE" ] || return 0
  local line key val
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in ''|'#'*) continue ;; esac
    key="${line%%=*}"; val="${line#*=}"
    val="${val#\'}"; val="${val%\'}"
    if [ -z "${!key:-}" ]; then export "$key=$val"; fi
  done <"$SECRETS_FILE"
}

random_string() { # length
  local n="${1:-32}" out=""
  while [ "${#out}" -lt "$n" ]; do
    out="$out$(LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom 2>/dev/null | head -c "$n" || true)"
  done
  printf '%s' "${out:0:$n}"
}

# Create .data/secrets.env (mode 600) on first use. A value the user provides
# (environment or .env) is used as is and not written to the file.
ensure_secrets() {
  mkdir -p "$DATA_DIR"
  local key created=0
  load_secrets
  (
    umask 077
    touch "$SECRETS_FILE"
  )
  chmod 600 "$SECRETS_FILE"
  for key in "${SECRET_KEYS[@]}"; do
    if [ -z "${!key:-}" ]; then
      local len=32
      [ "$key" = SECRET_KEY ] && len=64
      local val
      val="$(random_string "$len")"
      printf "%s='%s'\n" "$key" "$val" >>"$SECRETS_FILE"
      export "$key=$val"
      created=1
    fi
  done
  if [ "$created" = 1 ]; then
    log "generated secrets in $SECRETS_FILE (mode 600)"
  fi
}

# Find a binary on PATH, else in Debian's versioned PostgreSQL dirs.
# need_bin NAME NIX_ATTR DEBIAN_PKG [ALT_NAME...]
find_bin() {
  local name
  for name in "$@"; do
    if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
    local d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
      if [ -x "$d/$name" ]; then echo "$d/$name"; return 0; fi
    done
    for d in /usr/sbin /usr/local/sbin; do
      if [ -x "$d/$name" ]; then echo "$d/$name"; return 0; fi
    done
  done
  return 1
}

need_bin() { # name nix_attr debian_pkg [alternatives...]
  local name="$1" attr="$2" pkg="$3"; shift 3
  if ! find_bin "$name" "$@"; then
    die "'$name' not found on PATH. Install it: Nix attribute '$attr' (nix develop brings it), or Debian/Ubuntu package '$pkg' (apt-get install $pkg)."
  fi
}

# port_in_use PORT -> 0 if something accepts connections on 127.0.0.1:PORT
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

port_free() { # port service
  if port_in_use "$1"; then
    die "port $1 for service '$2' (127.0.0.1:$1) is already in use by another process. Stop it or choose another port (e.g. export $(port_var "$2")=<port>)."
  fi
}

port_var() {
  case "$1" in
    api|migrate) echo API_PORT ;; postgres*) echo PG_PORT ;; mysql*) echo MYSQL_PORT ;;
    redis) echo REDIS_PORT ;; prometheus) echo PROMETHEUS_PORT ;; grafana) echo GRAFANA_PORT ;;
    api-2) echo API2_PORT ;; lb) echo LB_PORT ;;
    *) echo PORT ;;
  esac
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# Create the unprivileged service user when running as root.
ensure_service_user() {
  is_root || return 0
  if ! id -u "$SERVICE_USER" >/dev/null 2>&1; then
    if command -v useradd >/dev/null 2>&1; then
      useradd --system --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin --user-group "$SERVICE_USER" 2>/dev/null \
        || useradd -r -M -s /usr/sbin/nologin "$SERVICE_USER"
    elif command -v adduser >/dev/null 2>&1; then
      adduser -S -D -H "$SERVICE_USER"
    else
      die "running as root and cannot create user '$SERVICE_USER' (no useradd/adduser)"
    fi
    id -u "$SERVICE_USER" >/dev/null 2>&1 || die "could not create the service user '$SERVICE_USER'"
    log "created system user '$SERVICE_USER' to run the services (root detected)"
  fi
}

# A file the service user may write (logs of helper processes).
own_file() { # path
  touch "$1"
  if is_root; then chown "$SERVICE_USER" "$1"; fi
}

# Make DIR (created if needed) owned by the service user when root.
own_dir() { # dir [mode]
  mkdir -p "$1"
  if is_root; then chown -R "$SERVICE_USER:$(id -gn "$SERVICE_USER")" "$1"; fi
  chmod "${2:-700}" "$1"
}

# SERVICE_USER_PREFIX: the words that run a command as the service user when root, none otherwise.
service_user_prefix() {
  SERVICE_USER_PREFIX=()
  is_root || return 0
  SERVICE_USER_PREFIX=(env HOME="${SERVICE_HOME:-$DATA_DIR}" USER="$SERVICE_USER" LOGNAME="$SERVICE_USER"
    setpriv --reuid="$(id -u "$SERVICE_USER")" --regid="$(id -g "$SERVICE_USER")" --init-groups --)
}

# Run a command as the service user when root, directly otherwise.
as_service_user() { service_user_prefix; "${SERVICE_USER_PREFIX[@]}" "$@"; }

# Same, replacing the current shell (use as the last line of a run script): the pid stays the service's.
exec_as_service_user() { service_user_prefix; exec "${SERVICE_USER_PREFIX[@]}" "$@"; }

# When root, check the service user can reach PATH (every parent must be
# searchable), so we fail with a clear message instead of a cryptic one.
check_reachable() { # path
  is_root || return 0
  if ! as_service_user test -x "$1"; then
    die "service user '$SERVICE_USER' cannot reach $1 (a parent directory is not world-searchable). Move the checkout, 'chmod o+x' its parents, or set DATA_DIR to a reachable path."
  fi
}

# Prepare the runtime dir (short path for unix sockets).
ensure_run_dir() {
  if [ -e "$RUN_DIR" ] && [ ! -O "$RUN_DIR" ]; then
    die "$RUN_DIR exists and is not owned by $(id -un); remove it or set RUN_DIR"
  fi
  mkdir -p "$RUN_DIR"
  chmod 755 "$RUN_DIR"
}

# Service dir inside RUN_DIR owned by the service user (socket dirs).
ensure_sock_dir() { # name [mode]
  ensure_run_dir
  own_dir "$RUN_DIR/$1" "${2:-755}"
}

# A setup step's stamp: stamp_current FILE VALUE... is true when the stamp holds a hash of the
# values; stamp_write FILE VALUE... records it (private to the service user).
_stamp_of() { printf '%s\n' "$@" | sha256sum | cut -d' ' -f1; }
stamp_current() { local file="$1"; shift; [ -f "$file" ] && [ "$(cat "$file")" = "$(_stamp_of "$@")" ]; }
stamp_write() {
  local file="$1"; shift
  _stamp_of "$@" >"$file"
  own_file "$file"
  chmod 600 "$file"
}

load_secrets
