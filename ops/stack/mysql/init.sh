#!/usr/bin/env bash
# One-shot: initialise the data dir if missing (MySQL 8.4: mysqld
# --initialize-insecure; MariaDB: mariadb-install-db), then, on a temporary
# socket-only server, set the root password (MYSQL_ROOT_PASSWORD), create the
# utf8mb4 database and the app user. Skipped when nothing changed.
export SERVICE_NAME=mysql-init
source "$(dirname "$0")/common.sh"
: "${MYSQL_PASSWORD:?MYSQL_PASSWORD is not set: start the stack with 'just up' (it creates .data/secrets.env)}"
: "${MYSQL_ROOT_PASSWORD:?MYSQL_ROOT_PASSWORD is not set: start the stack with 'just up'}"
mysql_detect
ensure_service_user
mkdir -p "$DATA_DIR" "$LOG_DIR"
check_reachable "$DATA_DIR"
own_dir "$MYSQL_DATA" 750
ensure_sock_dir my

if [ ! -d "$MYSQL_DATA/mysql" ]; then
  log "initialising a new $MYSQL_FLAVOR data dir in $MYSQL_DATA"
  if [ "$MYSQL_FLAVOR" = mariadb ]; then
    INSTALL_DB="$(find_bin mariadb-install-db mysql_install_db)" \
      || die "mariadb-install-db not found (Debian package 'mariadb-server')"
    basedir="$(dirname "$(dirname "$(readlink -f "$MYSQLD")")")"
    as_service_user "$INSTALL_DB" --no-defaults --basedir="$basedir" --datadir="$MYSQL_DATA" \
      --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
      >"$LOG_DIR/mysql-install.log" 2>&1 || { cat "$LOG_DIR/mysql-install.log" >&2; die "mariadb-install-db failed"; }
  else
    as_service_user "$MYSQLD" --no-defaults --datadir="$MYSQL_DATA" --initialize-insecure \
      --loose-mysqlx=OFF >"$LOG_DIR/mysql-install.log" 2>&1 \
      || { cat "$LOG_DIR/mysql-install.log" >&2; die "mysqld --initialize-insecure failed"; }
  fi
fi

stamp=("$MYSQL_DATA/.workspace-init" "$MYSQL_USER" "$MYSQL_DATABASE" "$MYSQL_PASSWORD" "$MYSQL_ROOT_PASSWORD")
if stamp_current "${stamp[@]}"; then
  log "user '$MYSQL_USER' and database '$MYSQL_DATABASE' already set up ($MYSQL_FLAVOR)"
  exit 0
fi

log "creating/updating user '$MYSQL_USER' and database '$MYSQL_DATABASE' ($MYSQL_FLAVOR)"
mapfile -t opts < <(mysql_common_opts)
as_service_user "$MYSQLD" "${opts[@]}" --skip-networking >"$LOG_DIR/mysql-init-server.log" 2>&1 &
server_pid=$!
cnf="$MYSQL_SOCK_DIR/init-client.cnf"
cleanup() {
  as_service_user "$MYSQLADMIN" --defaults-file="$cnf" shutdown >/dev/null 2>&1 || kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  rm -f "$cnf"
}
trap cleanup EXIT

write_cnf() { # password
  (umask 077; printf '[client]\nuser=root\npassword="%s"\nsocket=%s\n' "$1" "$MYSQL_SOCK" >"$cnf")
  is_root && chown "$SERVICE_USER" "$cnf"
  return 0
}
write_cnf "$MYSQL_ROOT_PASSWORD"
for _ in $(seq 1 120); do
  kill -0 "$server_pid" 2>/dev/null || { cat "$LOG_DIR/mysql-init-server.log" >&2; die "temporary server exited"; }
  as_service_user "$MYSQLADMIN" --defaults-file="$cnf" --connect-timeout=2 ping >/dev/null 2>&1 && break
  sleep 0.5
done
# A fresh data dir has a root without password.
if ! as_service_user "$MYSQL_CLIENT" --defaults-file="$cnf" -e 'SELECT 1' >/dev/null 2>&1; then
  write_cnf ""
fi

sql_str() { printf "'%s'" "${1//\'/\'\'}"; }
u="$(sql_str "$MYSQL_USER")"; p="$(sql_str "$MYSQL_PASSWORD")"; rp="$(sql_str "$MYSQL_ROOT_PASSWORD")"
db="\`${MYSQL_DATABASE//\`/}\`"
as_service_user "$MYSQL_CLIENT" --defaults-file="$cnf" <<SQL
ALTER USER 'root'@'localhost' IDENTIFIED BY $rp;
DROP USER IF EXISTS ''@'localhost';
DROP USER IF EXISTS 'root'@'127.0.0.1';
DROP USER IF EXISTS 'root'@'::1';
CREATE DATABASE IF NOT EXISTS $db CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS $u@'127.0.0.1' IDENTIFIED BY $p;
CREATE USER IF NOT EXISTS $u@'localhost' IDENTIFIED BY $p;
ALTER USER $u@'127.0.0.1' IDENTIFIED BY $p;
ALTER USER $u@'localhost' IDENTIFIED BY $p;
GRANT ALL PRIVILEGES ON $db.* TO $u@'127.0.0.1';
GRANT ALL PRIVILEGES ON $db.* TO $u@'localhost';
GRANT ALL PRIVILEGES ON \`test\\_%\`.* TO $u@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`test\\_%\`.* TO $u@'localhost';
FLUSH PRIVILEGES;
SQL
write_cnf "$MYSQL_ROOT_PASSWORD"

stamp_write "${stamp[@]}"
log "done"
