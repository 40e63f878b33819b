#!/usr/bin/env bash
# Fuzz the running API with schemathesis: every operation of /schema/, every check, phases
# examples, coverage, fuzzing and stateful; once as a normal user, once as staff.
#
#   ops/fuzz/run.sh                  # the API on http://127.0.0.1:${API_PORT:-8000}
#   BASE_URL=http://127.0.0.1:18100 FUZZ_DB_ENV=current ops/fuzz/run.sh
#
# The API under test must run with DEBUG=0 (Django's debug pages aren't the API's JSON errors)
# and throttle rates no fuzzer reaches, e.g. THROTTLE_ANON=THROTTLE_USER=THROTTLE_SIGNUP=
# THROTTLE_TOKEN=THROTTLE_CSP_REPORT=100000/min: a 429 is documented, so a throttled run passes
# while testing nothing, and this script fails it instead.
#
# Accounts fuzz-user, fuzz-peer and fuzz-staff (not superuser) are created or reset with new
# random passwords through `manage.py shell`, which must reach the API's database:
#   FUZZ_DB_ENV=stack    the database of `just up` (ops/stack.sh env)
#   FUZZ_DB_ENV=current  DB_* / DJANGO_ENV as set in this environment or .env
#   (default: stack when BASE_URL is unset and the stack is running, else current)
# Tokens come from POST /api/token/; schemathesis sends them through a Web Fuzzing Commons auth
# file so that object_level_authorization can replay reads as fuzz-peer (schemathesis.toml).
# hooks.py keeps schema-valid cases valid against the database's state (unused emails, the
# current password). Sign-up fuzzing leaves accounts behind in that database.
#
# The user run warns that staff-only operations answered only 401/403: for a normal user that is
# the expected outcome (their access control holding), not a problem with the credentials.
#
# Settings: FUZZ_SEED (default 20251126), FUZZ_MAX_EXAMPLES per operation (default 40).
# Output in FUZZ_OUT_DIR (default .data/fuzz)/{user,staff}/: JUnit XML, NDJSON events, schemathesis.log.
set -euo pipefail

FUZZ_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
ROOT_DIR="$(cd "$FUZZ_DIR/../.." && pwd -P)"
VENV="${VENV:-$ROOT_DIR/.venv}"
OUT_DIR="${FUZZ_OUT_DIR:-$ROOT_DIR/.data/fuzz}"
SEED="${FUZZ_SEED:-20251126}"
MAX_EXAMPLES="${FUZZ_MAX_EXAMPLES:-40}"
export FUZZ_DIR

die() { printf 'fuzz: %s\n' "$*" >&2; exit 1; }
log() { printf 'fuzz: %s\n' "$*" >&2; }

default_url="http://127.0.0.1:${API_PORT:-8000}"
db_env="${FUZZ_DB_ENV:-}"
if [ -z "$db_env" ]; then
  db_env=current
  if [ -z "${BASE_URL:-}" ] && "$ROOT_DIR/ops/stack.sh" status >/dev/null 2>&1; then db_env=stack; fi
fi
BASE_URL="${BASE_URL:-$default_url}"
BASE_URL="${BASE_URL%/}"
case "$db_env" in
  stack) eval "$("$ROOT_DIR/ops/stack.sh" env)" ;;
  current) ;;
  *) die "FUZZ_DB_ENV must be 'stack' or 'current', not '$db_env'" ;;
esac
[ -x "$VENV/bin/schemathesis" ] || die "no schemathesis in $VENV: run 'just setup' first"

# --- the API must be up, and answer unknown URLs with its JSON error ---------------------------
curl -fsS -o /dev/null --max-time 10 "$BASE_URL/health/" || die "no healthy API at $BASE_URL (GET /health/ failed)"
not_found_type="$(curl -sS -o /dev/null -w '%{content_type}' --max-time 10 "$BASE_URL/fuzz-no-such-page/")"
case "$not_found_type" in
  application/json*) ;;
  *) die "$BASE_URL answers unknown URLs with '$not_found_type', not JSON: restart the API with DEBUG=0" ;;
esac

# --- accounts and tokens ---------------------------------------------------------------------
mkdir -p "$OUT_DIR"
umask 077
password() { "$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(24))'; }
export FUZZ_USER_PASSWORD FUZZ_PEER_PASSWORD FUZZ_STAFF_PASSWORD
FUZZ_USER_PASSWORD="$(password)"
FUZZ_PEER_PASSWORD="$(password)"
FUZZ_STAFF_PASSWORD="$(password)"
log "resetting fuzz-user, fuzz-peer and fuzz-staff ($db_env database: ${DB_ENGINE:-sqlite} ${DB_NAME:-})"
# By email: an account the previous run renamed stays behind, like the ones sign-up fuzzing creates.
declare -A account_id
while read -r name id; do account_id[$name]="$id"; done < <(
  cd "$ROOT_DIR/backend"
  "$VENV/bin/python" manage.py shell -v 0 -c '
import os
from apps.users.models import User
for name, staff in (("user", False), ("peer", False), ("staff", True)):
    user = User.objects.filter(email=f"fuzz-{name}@example.com").first() or User(email=f"fuzz-{name}@example.com")
    user.first_name, user.last_name = "", ""
    user.is_active, user.is_staff, user.is_superuser = True, staff, False
    user.set_password(os.environ[f"FUZZ_{name.upper()}_PASSWORD"])
    user.save()
    print(name, user.pk)
'
)
[ "${#account_id[@]}" -eq 3 ] || die "could not set up the fuzz accounts through manage.py shell"

# Prints the access token of fuzz-$1, obtained with its password.
access_token() {
  local name="$1" var
  var="FUZZ_${name^^}_PASSWORD"
  EMAIL="fuzz-$name@example.com" PASSWORD="${!var}" "$VENV/bin/python" -c '
import json, os
print(json.dumps({"email": os.environ["EMAIL"], "password": os.environ["PASSWORD"]}))
' | curl -sS --max-time 30 -H 'Content-Type: application/json' --data-binary @- "$BASE_URL/api/token/" \
    | "$VENV/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["access"])' 2>/dev/null \
    || die "POST /api/token/ refused fuzz-$name: is FUZZ_DB_ENV=$db_env the API's database?"
}

# Seconds since the epoch at which a JWT expires.
token_expiry() { "$VENV/bin/python" -c '
import base64, json, sys
payload = sys.argv[1].split(".")[1]
print(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["exp"])
' "$1"; }

# Writes the WFC auth document: `actor` sends every request, `peer` gets the replayed reads.
auth_file() { # file actor-token peer-token
  ACTOR="$2" PEER="$3" "$VENV/bin/python" -c '
import json, os, sys
identity = lambda name, token: {"name": name, "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {token}"}]}
json.dump({"schemaVersion": "0.2.0", "auth": [identity("actor", os.environ["ACTOR"]), identity("peer", os.environ["PEER"])]}, open(sys.argv[1], "w"))
' "$1"
}

# --- the runs ----------------------------------------------------------------------------------
# Counts the responses with status $2 in NDJSON event file $1.
count_status() { "$VENV/bin/python" -c '
import json, sys
count = 0
with open(sys.argv[1]) as events:
    for line in events:
        scenario = json.loads(line).get("ScenarioFinished") or {}
        for interaction in (scenario.get("recorder", {}).get("interactions") or {}).values():
            count += (interaction.get("response") or {}).get("status_code") == int(sys.argv[2])
print(count)
' "$1" "$2"; }

failed=()
fuzz() { # run-name actor-account; a run with failures is added to $failed
  local run="$1" actor="$2" dir="$OUT_DIR/$1" token peer_token started rc=0 throttled
  rm -rf "$dir" && mkdir -p "$dir"
  token="$(access_token "$actor")"
  peer_token="$(access_token peer)"
  auth_file "$dir/auth.json" "$token" "$peer_token"
  # shellcheck disable=SC2054  # the commas separate values of one option
  local command=(
    "$VENV/bin/schemathesis" --config-file "$FUZZ_DIR/schemathesis.toml" run "$BASE_URL/schema/"
    --url "$BASE_URL" --checks all --phases examples,coverage,fuzzing,stateful
    --seed "$SEED" --max-examples "$MAX_EXAMPLES" --no-color
    --report junit,ndjson --report-dir "$dir"
    --report-junit-path "$dir/junit.xml" --report-ndjson-path "$dir/events.ndjson"
  )
  log "$run run as fuzz-$actor: ${command[*]}"
  started="$(date +%s)"
  # In the run's folder: hypothesis keeps its own small caches in the working directory.
  local password_var="FUZZ_${actor^^}_PASSWORD"
  (
    cd "$dir"
    export FUZZ_AUTH_FILE="$dir/auth.json" FUZZ_ACTOR_ID="${account_id[$actor]}" \
      FUZZ_ACTOR_EMAIL="fuzz-$actor@example.com" FUZZ_ACTOR_PASSWORD="${!password_var}"
    "${command[@]}"
  ) 2>&1 | tee "$dir/schemathesis.log" || rc=$?
  rm -f "$dir/auth.json"  # its tokens stay valid for some minutes
  log "$run run: exit $rc after $(($(date +%s) - started))s"
  [ "$(date +%s)" -lt "$(token_expiry "$token")" ] \
    || die "$run run outlasted fuzz-$actor's access token: raise ACCESS_TOKEN_LIFETIME_MINUTES or lower FUZZ_MAX_EXAMPLES"
  throttled="$(count_status "$dir/events.ndjson" 429)"
  [ "$throttled" -eq 0 ] \
    || die "$run run: $throttled responses were 429: restart the API with higher THROTTLE_* rates (see the header of $0)"
  [ "$rc" -eq 0 ] || failed+=("$run")
}

fuzz user user
fuzz staff staff
[ "${#failed[@]}" -eq 0 ] || die "failures in the ${failed[*]} run(s); reports in $OUT_DIR"
log "no failures; reports in $OUT_DIR"
