#!/usr/bin/env bash
# MySQL 8.4 / MariaDB server on 127.0.0.1:$MYSQL_PORT (X plugin disabled).
export SERVICE_NAME=mysql
source "$(dirname "$0")/common.sh"
mysql_detect
ensure_service_user
[ -d "$MYSQL_DATA/mysql" ] || die "no data dir in $MYSQL_DATA: mysql-init has not run"
port_free "$MYSQL_PORT" mysql
ensure_sock_dir my
mapfile -t opts < <(mysql_common_opts)
log "starting $MYSQL_FLAVOR ($MYSQLD)"
exec_as_service_user "$MYSQLD" "${opts[@]}" --port="$MYSQL_PORT" --bind-address=127.0.0.1
