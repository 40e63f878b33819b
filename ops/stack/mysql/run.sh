#!/usr/bin/env bash
# MySQL 8.4 / MariaDB on 127.0.0.1:$MYSQL_PORT (X plugin off). The driver (ops/stack) sets the environment.
source "$(dirname "$0")/common.sh"
echo "starting $mysql_flavor ($SERVICE_BIN)"
exec "$SERVICE_BIN" "${mysql_options[@]}" --port="$MYSQL_PORT" --bind-address=127.0.0.1
