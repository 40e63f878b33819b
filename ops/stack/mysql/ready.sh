#!/usr/bin/env bash
# Readiness probe: the server answers on 127.0.0.1:$MYSQL_PORT.
source "$(dirname "$0")/common.sh"
mysql_admin_bin  # run every 2 s: only what the ping needs
# 'ping' succeeds even when access is denied: it only checks the server is up.
exec "$MYSQLADMIN" --no-defaults --protocol=TCP -h 127.0.0.1 -P "$MYSQL_PORT" \
  --connect-timeout=3 -u ping ping >/dev/null 2>&1
