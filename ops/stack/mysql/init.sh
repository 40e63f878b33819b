#!/usr/bin/env bash
# One-shot before MySQL: initialise the data dir if missing (MySQL 8.4: mysqld --initialize-insecure;
# MariaDB: mariadb-install-db), then, on a temporary socket-only server, set the root password
# (MYSQL_ROOT_PASSWORD), create the utf8mb4 database and the app user. The driver skips this step
# when INIT_STAMP (a hash of those settings) matches the one written at the end of the last run.
source "$(dirname "$0")/common.sh"
if [ ! -d "$mysql_data/mysql" ]; then
  echo "initialising a new $mysql_flavor data dir in $mysql_data"
  if [ "$mysql_flavor" = mariadb ]; then
    basedir="$(dirname "$(dirname "$(readlink -f "$SERVICE_BIN")")")"
    mariadb-install-db --no-defaults --basedir="$basedir" --datadir="$mysql_data" \
      --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve --tmpdir="$mysql_tmp" >"$LOG_DIR/mysql-install.log" 2>&1
  else
    "$SERVICE_BIN" --no-defaults --datadir="$mysql_data" --initialize-insecure --loose-mysqlx=OFF --tmpdir="$mysql_tmp" \
      >"$LOG_DIR/mysql-install.log" 2>&1
  fi || {
    # The log ends with the installer's generic advice: repeat its error lines last, where they are read.
    cat "$LOG_DIR/mysql-install.log" >&2
    echo "----- errors in $LOG_DIR/mysql-install.log:" >&2
    grep -iE 'error|fatal|abort|denied|cannot|can.t|fail' "$LOG_DIR/mysql-install.log" >&2 || true
    exit 1
  }
fi

echo "creating/updating user '$MYSQL_USER' and database '$MYSQL_DATABASE' ($mysql_flavor)"
"$SERVICE_BIN" "${mysql_options[@]}" --skip-networking >"$LOG_DIR/mysql-init-server.log" 2>&1 &
server_pid=$!
cnf="$RUN_DIR/mysql/init-client.cnf"
write_cnf() { (umask 077; printf '[client]\nuser=root\npassword="%s"\nsocket=%s\n' "$1" "$mysql_socket" >"$cnf"); }
stop_server() {
  mysqladmin --defaults-file="$cnf" shutdown >/dev/null 2>&1 || kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  rm -f "$cnf"
}
trap stop_server EXIT
write_cnf "$MYSQL_ROOT_PASSWORD"
for _ in $(seq 1 120); do
  kill -0 "$server_pid" 2>/dev/null || { cat "$LOG_DIR/mysql-init-server.log" >&2; exit 1; }
  mysqladmin --defaults-file="$cnf" --connect-timeout=2 ping >/dev/null 2>&1 && break
  sleep 0.5
done
# A fresh data dir has a root without password.
mysql --defaults-file="$cnf" -e 'SELECT 1' >/dev/null 2>&1 || write_cnf ""

sql_str() { printf "'%s'" "${1//\'/\'\'}"; }
u="$(sql_str "$MYSQL_USER")"; p="$(sql_str "$MYSQL_PASSWORD")"; rp="$(sql_str "$MYSQL_ROOT_PASSWORD")"
db="\`${MYSQL_DATABASE//\`/}\`"
mysql --defaults-file="$cnf" <<SQL
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
(umask 077; echo "$INIT_STAMP" >"$INIT_STAMP_FILE")
