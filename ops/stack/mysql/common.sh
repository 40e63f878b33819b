# shellcheck shell=bash
# shellcheck disable=SC2034  # MYSQL_FLAVOR, MYSQL_CLIENT are used by the scripts that source this file
# MySQL / MariaDB settings shared by init.sh, run.sh and ready.sh.
# Works with MySQL 8.4 (nixpkgs 'mysql84') and MariaDB (Debian 'mariadb-server').
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
MYSQL_DATA="$DATA_DIR/mysql"
MYSQL_SOCK_DIR="$RUN_DIR/my"
MYSQL_SOCK="$MYSQL_SOCK_DIR/mysqld.sock"

mysql_detect() {
  MYSQLD="$(find_bin mysqld mariadbd)" \
    || die "MySQL server not found on PATH (mysqld/mariadbd). Install it: Nix attribute 'mysql84', or Debian package 'mariadb-server'."
  if "$MYSQLD" --version 2>/dev/null | grep -qi mariadb; then
    MYSQL_FLAVOR=mariadb
  else
    MYSQL_FLAVOR=mysql
  fi
  MYSQL_CLIENT="$(find_bin mysql mariadb)" \
    || die "MySQL client not found (mysql/mariadb). Nix attribute 'mysql84', Debian package 'mariadb-client'."
  mysql_admin_bin
}

mysql_admin_bin() {
  MYSQLADMIN="$(find_bin mysqladmin mariadb-admin)" \
    || die "mysqladmin not found. Nix attribute 'mysql84', Debian package 'mariadb-client'."
}

# Server options common to the temporary (init) and the real server.
mysql_common_opts() {
  printf '%s\n' --no-defaults --datadir="$MYSQL_DATA" --socket="$MYSQL_SOCK" \
    --pid-file="$MYSQL_SOCK_DIR/mysqld.pid" --skip-name-resolve \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --loose-mysqlx=OFF
}
