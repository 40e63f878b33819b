# shellcheck shell=bash disable=SC2034  # its variables are read by the scripts that source it
# Sourced by init.sh and run.sh: MySQL 8.4 (nixpkgs 'mysql84') or MariaDB (Debian 'mariadb-server'),
# told apart by the server's version line, and the server options both start it with.
set -euo pipefail
mysql_data="$DATA_DIR/mysql"
mysql_socket="$RUN_DIR/mysql/mysqld.sock"
# Its own temporary dir: in a shared /tmp, two servers starting at once (two checkouts) could
# collide on a temporary table's file name and fail the install.
mysql_tmp="$RUN_DIR/mysql/tmp"
mkdir -p "$mysql_tmp"
if "$SERVICE_BIN" --version | grep -qi mariadb; then mysql_flavor=mariadb; else mysql_flavor=mysql; fi
mysql_options=(--no-defaults --datadir="$mysql_data" --socket="$mysql_socket"
  --pid-file="$RUN_DIR/mysql/mysqld.pid" --tmpdir="$mysql_tmp" --skip-name-resolve
  --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci --loose-mysqlx=OFF)
