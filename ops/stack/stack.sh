#!/usr/bin/env bash
# Front end of the workspace stack, called by the justfile's recipes:
#   ops/stack.sh up [service...]   start detached (+dependencies), wait until ready, print URLs
#   ops/stack.sh up-pair           the scale-out variant: api + api-2 behind nginx (lb), Prometheus
#   ops/stack.sh down              stop everything, leave no process behind
#   ops/stack.sh status            process table
#   ops/stack.sh logs [service]    recent log lines (all services, or one)
#   ops/stack.sh attach            process-compose's TUI
#   ops/stack.sh clean             down, then delete .data/
#   ops/stack.sh psql|mysql|redis-cli [args]   clients, logged in as the app user
#   ops/stack.sh test postgres|mysql [pytest args]   backend tests against the stack's DB + Redis
#   ops/stack.sh env [postgres|mysql]   print the API's stack environment (export lines)
export SERVICE_NAME=stack
source "$(dirname "$0")/lib.sh"

PC_CONFIG="$OPS_DIR/process-compose.yaml"
PC_FILES=(-f "$PC_CONFIG")
# `up-pair` merges this over the base file; the running variant is recorded for `down`.
PC_PAIR_CONFIG="$OPS_DIR/process-compose.pair.yaml"
STACK_VARIANT=default
VARIANT_FILE="$RUN_DIR/variant"
PAIR_SERVICES=(api-2 lb)
PC_PIDFILE="$RUN_DIR/pc.pid"
ALL_SERVICES=(postgres mysql redis api prometheus grafana)
export PROC_COMP_CONFIG="$DATA_DIR/process-compose"

pc_bin() {
  PC="$(find_bin process-compose)" \
    || die "process-compose not found. Install it: Nix attribute 'process-compose' (nix develop brings it); elsewhere build it with ops/process-compose/install.sh (Go module v1.87.0)."
}

pc() { # client call against the running server
  "$PC" -L "$LOG_DIR/process-compose-client.log" -U -u "$PC_SOCKET" "$@"
}

server_pid() {
  local pid
  [ -f "$PC_PIDFILE" ] || return 1
  pid="$(cat "$PC_PIDFILE")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  # A stale pid file may name an unrelated process: it must be our process-compose.
  if [ -r "/proc/$pid/cmdline" ]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$PC_SOCKET" || return 1
  fi
  echo "$pid"
}

is_running() {
  [ -S "$PC_SOCKET" ] && server_pid >/dev/null && pc project state >/dev/null 2>&1
}

# service -> the services it starts with (dependencies), for the port checks.
expand_deps() {
  local s
  for s in "$@"; do
    case "$s" in
      api|migrate) echo postgres; echo redis; echo api ;;
      postgres|postgres-init) echo postgres ;;
      mysql|mysql-init) echo mysql ;;
      redis|prometheus|grafana) echo "$s" ;;
      api-2) echo postgres; echo redis; echo api-2 ;;
      lb) echo postgres; echo redis; echo api; echo api-2; echo lb ;;
      *) die "unknown service '$s' (one of: ${ALL_SERVICES[*]}, postgres-init, mysql-init, migrate; up-pair adds ${PAIR_SERVICES[*]})" ;;
    esac
  done | awk '!seen[$0]++'
}

service_port() { local var; var="$(port_var "$1")"; echo "${!var:-}"; }

# Binary check before starting, with the Nix attribute and the Debian package.
check_service_bin() {
  case "$1" in
    postgres) need_bin postgres postgresql_17 postgresql >/dev/null; need_bin initdb postgresql_17 postgresql >/dev/null ;;
    mysql) find_bin mysqld mariadbd >/dev/null \
      || die "MySQL server not found on PATH (mysqld/mariadbd). Install it: Nix attribute 'mysql84', or Debian package 'mariadb-server'." ;;
    redis) need_bin redis-server redis redis-server >/dev/null ;;
    prometheus) need_bin prometheus prometheus prometheus >/dev/null ;;
    grafana) grafana_available \
      || die "Grafana not found on PATH (grafana/grafana-server). Install it: Nix attribute 'grafana' (nix develop brings it), or the 'grafana' package from Grafana's APT repository." ;;
    api|api-2) [ -x "$ROOT_DIR/.venv/bin/gunicorn" ] || die "no $ROOT_DIR/.venv/bin/gunicorn: run 'just setup' first" ;;
    lb) need_bin nginx nginx nginx >/dev/null ;;
  esac
}

grafana_available() { find_bin grafana grafana-server >/dev/null; }

print_urls() {
  local s
  echo
  echo "Workspace services (127.0.0.1):"
  for s in "$@"; do
    case "$s" in
      api) echo "  API          http://127.0.0.1:$API_PORT/   (health /health/, docs /schema/swagger-ui/, metrics /metrics)" ;;
      api-2) echo "  API (2)      http://127.0.0.1:$API2_PORT/   (second instance, metrics /metrics)" ;;
      lb) echo "  nginx        http://127.0.0.1:$LB_PORT/   (round-robin over both instances; header X-Upstream)" ;;
      postgres) echo "  PostgreSQL   postgresql://$PG_USER@127.0.0.1:$PG_PORT/$PG_DB   (just psql)" ;;
      mysql) echo "  MySQL        mysql://$MYSQL_USER@127.0.0.1:$MYSQL_PORT/$MYSQL_DATABASE   (just mysql)" ;;
      redis) echo "  Redis        redis://127.0.0.1:$REDIS_PORT/0   (just redis-cli)" ;;
      prometheus) echo "  Prometheus   http://127.0.0.1:$PROMETHEUS_PORT/" ;;
      grafana) echo "  Grafana      http://127.0.0.1:$GRAFANA_PORT/   (user $GRAFANA_ADMIN_USER, password GRAFANA_ADMIN_PASSWORD)" ;;
    esac
  done
  echo "Secrets (DB passwords, Grafana admin password, SECRET_KEY): $SECRETS_FILE"
  echo "Logs: $LOG_DIR/<service>.log   data: $DATA_DIR   stop: just down"
}

cmd_up() {
  pc_bin
  local requested=("$@") selected=() s
  if is_running; then
    log "the stack is already running (control socket $PC_SOCKET); 'just down' first to restart it"
    pc process list -o wide 2>/dev/null || true
    return 0
  fi
  if [ "${#requested[@]}" -eq 0 ]; then
    for s in "${ALL_SERVICES[@]}"; do
      if [ "$s" = grafana ] && ! grafana_available; then
        log "Grafana is not installed (Nix attribute 'grafana'; not packaged by Debian): starting everything else"
        continue
      fi
      requested+=("$s")
    done
  fi
  mapfile -t selected < <(expand_deps "${requested[@]}")
  for s in "${selected[@]}"; do check_service_bin "$s"; done
  for s in "${selected[@]}"; do port_free "$(service_port "$s")" "$s"; done

  mkdir -p "$DATA_DIR" "$LOG_DIR" "$PROC_COMP_CONFIG"
  [ -f "$ROOT_DIR/.gitignore" ] && ! grep -qx '.data/' "$ROOT_DIR/.gitignore" && log "warning: .data/ is not in .gitignore"
  ensure_run_dir
  ensure_secrets
  ensure_service_user   # once, before the services start in parallel
  rm -f "$PC_SOCKET"
  echo "$STACK_VARIANT" >"$VARIANT_FILE"

  local start=$SECONDS
  log "starting: ${requested[*]} (timeout ${STACK_TIMEOUT}s)"
  # Every process of this stack inherits this marker (ops/tests/test_lifecycle.py
  # uses it to prove that `down` leaves nothing behind).
  export WORKSPACE_STACK="$PC_SOCKET"
  # Our own detached launch (like `up -D`) so we keep the server's pid and output.
  (
    cd "$ROOT_DIR" || exit 1
    exec setsid "$PC" "${PC_FILES[@]}" --disable-dotenv -L "$LOG_DIR/process-compose.log" \
      -U -u "$PC_SOCKET" up -t=false --ordered-shutdown "${requested[@]}" \
      </dev/null >"$LOG_DIR/process-compose.out" 2>&1
  ) &
  echo $! >"$PC_PIDFILE"

  # Wait for the control socket, then for readiness, under one timeout.
  until [ -S "$PC_SOCKET" ]; do
    # kill -0, not server_pid: until the subshell has exec'd, its cmdline is still bash's
    # (no socket in it), and server_pid would call our own fresh child stale.
    kill -0 "$(cat "$PC_PIDFILE")" 2>/dev/null || { cat "$LOG_DIR/process-compose.out" >&2; die "process-compose exited at start"; }
    (( SECONDS - start < STACK_TIMEOUT )) || die "process-compose did not open $PC_SOCKET"
    sleep 0.2
  done
  local left=$(( STACK_TIMEOUT - (SECONDS - start) )) waiter failed=""
  timeout "$left" "$PC" -L "$LOG_DIR/process-compose-client.log" -U -u "$PC_SOCKET" \
    project is-ready --wait >/dev/null 2>&1 &
  waiter=$!
  # While is-ready waits, fail fast when a process can no longer become ready.
  while kill -0 "$waiter" 2>/dev/null; do
    sleep 1
    failed="$(pc process list -o json 2>/dev/null | failed_processes)" || true
    if [ -n "$failed" ]; then kill "$waiter" 2>/dev/null || true; break; fi
  done
  if [ -n "$failed" ] || ! wait "$waiter"; then
    echo >&2
    pc process list -o wide >&2 || true
    if [ -n "$failed" ]; then
      log "failed: ${failed//$'\n'/ }. Recent log lines:"
    else
      failed="$(pc process list -o json 2>/dev/null | failed_processes not-ready)" || true
      log "not ready after ${STACK_TIMEOUT}s: ${failed//$'\n'/ }. Recent log lines:"
    fi
    for name in $failed; do
      echo "----- $name ($LOG_DIR/$name.log)" >&2
      tail -n 25 "$LOG_DIR/$name.log" >&2 2>/dev/null || true
    done
    log "the stack is left running for inspection: 'just logs <service>', 'just status'; 'just down' stops it"
    return 1
  fi
  log "ready in $(( SECONDS - start ))s"
  pc process list -o wide 2>/dev/null || true
  print_urls "${selected[@]}"
}

cmd_up_pair() {
  [ "$#" -eq 0 ] || die "up-pair starts a fixed set (postgres redis api ${PAIR_SERVICES[*]} prometheus, grafana if installed)"
  PC_FILES+=(-f "$PC_PAIR_CONFIG")
  STACK_VARIANT=pair
  local services=(postgres redis api "${PAIR_SERVICES[@]}" prometheus)
  if grafana_available; then services+=(grafana); fi
  cmd_up "${services[@]}"
}

# Reads `process list -o json`; prints the processes that failed for good (or,
# with "not-ready", every process that is not ready).
failed_processes() {
  local python; python="$(find_bin python3 python || echo "$ROOT_DIR/.venv/bin/python")"
  "$python" -c '
import json, sys
mode = sys.argv[1] if len(sys.argv) > 1 else "failed"
data = json.load(sys.stdin)
procs = data.get("data", []) if isinstance(data, dict) else data
for p in procs:
    status, code, name = p.get("status"), p.get("exit_code", 0), p["name"]
    if mode == "not-ready":
        if status == "Disabled":
            continue
        ready = status in ("Running", "Completed", "Disabled", "Skipped") and code == 0 \
            and (not p.get("has_ready_probe") or p.get("is_ready") == "Ready")
        if status == "Skipped" or not ready:
            print(name)
    elif status in ("Skipped", "Error") or (status == "Completed" and code != 0 and (
            name in ("postgres-init", "mysql-init", "migrate") or p.get("restarts", 0) >= 5)):
        print(name)
' "$@"
}

cmd_down() {
  pc_bin
  local pid
  if ! pid="$(server_pid)"; then
    log "the stack is not running"
    rm -f "$PC_SOCKET" "$PC_PIDFILE"
    return 0
  fi
  log "stopping (pid $pid)"
  pc down >/dev/null 2>&1 || true
  local start=$SECONDS
  while kill -0 "$pid" 2>/dev/null; do
    if (( SECONDS - start > 90 )); then
      log "process-compose still running after 90s: terminating it"
      kill -TERM "$pid" 2>/dev/null || true; sleep 5; kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.3
  done
  local checked=("${ALL_SERVICES[@]}")
  if [ "$(cat "$VARIANT_FILE" 2>/dev/null)" = pair ]; then checked+=("${PAIR_SERVICES[@]}"); fi
  rm -f "$PC_SOCKET" "$PC_PIDFILE" "$VARIANT_FILE"
  # Nothing of ours may survive: a service still holding its port is a bug.
  local s leftovers=()
  for s in "${checked[@]}"; do
    port_in_use "$(service_port "$s")" && leftovers+=("$s:$(service_port "$s")")
  done
  if [ "${#leftovers[@]}" -gt 0 ]; then
    log "warning: still listening after down: ${leftovers[*]} (another program, or a leftover process)"
  fi
  log "stopped"
}

cmd_status() {
  pc_bin
  if ! is_running; then log "the stack is not running ('just up' starts it)"; return 1; fi
  pc process list -o wide
}

cmd_logs() {
  local name="${1:-}" lines="${LINES_TO_SHOW:-100}" f
  if [ -n "$name" ]; then
    f="$LOG_DIR/$name.log"
    [ -f "$f" ] || die "no log for '$name' in $LOG_DIR (have: $(cd "$LOG_DIR" 2>/dev/null && ls *.log 2>/dev/null | sed 's/\.log$//' | tr '\n' ' '))"
    tail -n "$lines" "$f"
  else
    for f in "$LOG_DIR"/*.log; do
      [ -f "$f" ] || continue
      case "$f" in */process-compose*.log|*-server.log|*-install.log) continue ;; esac
      echo "===== $(basename "$f" .log)"
      tail -n 20 "$f"
    done
  fi
}

cmd_attach() {
  pc_bin
  is_running || die "the stack is not running ('just up' starts it)"
  exec "$PC" -L "$LOG_DIR/process-compose-client.log" -U -u "$PC_SOCKET" attach
}

cmd_clean() {
  cmd_down
  log "deleting $DATA_DIR"
  rm -rf "$DATA_DIR" "$RUN_DIR"
}

cmd_psql() {
  local psql; psql="$(need_bin psql postgresql_17 postgresql-client)"
  PGPASSWORD="${PG_PASSWORD:?no PG_PASSWORD: start the stack first}" exec "$psql" \
    -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" "$@"
}

cmd_mysql() {
  local client rc=0
  client="$(find_bin mysql mariadb)" || die "MySQL client not found: Nix attribute 'mysql84', Debian package 'mariadb-client'"
  ensure_run_dir
  MYSQL_CLIENT_CNF="$RUN_DIR/client-$$.cnf"
  (umask 077; printf '[client]\npassword="%s"\n' "${MYSQL_PASSWORD:?no MYSQL_PASSWORD: start the stack first}" >"$MYSQL_CLIENT_CNF")
  trap 'rm -f "$MYSQL_CLIENT_CNF"' EXIT
  "$client" --defaults-extra-file="$MYSQL_CLIENT_CNF" --protocol=TCP -h 127.0.0.1 -P "$MYSQL_PORT" \
    -u "$MYSQL_USER" "$MYSQL_DATABASE" "$@" || rc=$?
  return "$rc"
}

cmd_redis_cli() {
  local cli; cli="$(need_bin redis-cli redis redis-tools)"
  exec "$cli" -h 127.0.0.1 -p "$REDIS_PORT" "$@"
}

cmd_env() {
  ( source "$OPS_DIR/api/env.sh"; [ -n "${1:-}" ] && api_db_env "$1"
    for v in DB_ENGINE DB_NAME DB_USER DB_PASS DB_HOST DB_PORT REDIS_URL; do
      printf 'export %s=%q\n' "$v" "${!v}"; done )
}

cmd_vars() { # for ops/tests: layout, ports and the Grafana login (KEY=VALUE lines)
  local v
  for v in ROOT_DIR DATA_DIR LOG_DIR RUN_DIR PC_SOCKET SECRETS_FILE API_PORT PG_PORT MYSQL_PORT REDIS_PORT \
      PROMETHEUS_PORT GRAFANA_PORT GRAFANA_ADMIN_USER GRAFANA_ADMIN_PASSWORD LB_PORT API2_PORT PAIR_THROTTLE_SIGNUP; do
    printf '%s=%s\n' "$v" "${!v:-}"
  done
  printf 'PC_PIDFILE=%s\n' "$PC_PIDFILE"
}

cmd_test() {
  local db="${1:?usage: stack.sh test postgres|mysql [pytest args]}"; shift
  source "$OPS_DIR/api/env.sh"
  api_db_env "$db"
  # A Redis database of its own: the suite clears the cache around every test, the running API's included.
  export REDIS_URL="redis://127.0.0.1:${REDIS_PORT}/1"
  port_in_use "$DB_PORT" || die "$db is not running on 127.0.0.1:$DB_PORT: 'just up $db redis' first"
  port_in_use "$REDIS_PORT" || die "redis is not running on 127.0.0.1:$REDIS_PORT: 'just up $db redis' first"
  unset PROMETHEUS_MULTIPROC_DIR
  export DJANGO_ENV=test
  log "backend tests against $db (127.0.0.1:$DB_PORT) and Redis (127.0.0.1:$REDIS_PORT)"
  cd "$ROOT_DIR/backend" || exit 1
  exec "$VENV/bin/pytest" "$@"
}

main() {
  local cmd="${1:-}"; shift || true
  case "$cmd" in
    up) cmd_up "$@" ;;
    up-pair) cmd_up_pair "$@" ;;
    down) cmd_down ;;
    status) cmd_status ;;
    logs) cmd_logs "$@" ;;
    attach) cmd_attach ;;
    clean) cmd_clean ;;
    psql) cmd_psql "$@" ;;
    mysql) cmd_mysql "$@" ;;
    redis-cli) cmd_redis_cli "$@" ;;
    env) cmd_env "$@" ;;
    vars) cmd_vars ;;
    test) cmd_test "$@" ;;
    *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; [ -z "$cmd" ] || exit 2 ;;
  esac
}
main "$@"
