#!/usr/bin/env bash
# Readiness probe: PING answers PONG.
source "$(dirname "$0")/../lib.sh"
out="$("$(need_bin redis-cli redis redis-tools)" -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)"
[ "$out" = PONG ]
