#!/usr/bin/env bash
# Smoke test of the deployment (deploy/systemd): starts the migrations, the gunicorn web
# server and the scheduler from the units' own ExecStart= lines, on PostgreSQL with the
# environment template (deploy/leanschool.env.example), then checks what an IT office
# checks after an install: the login page, /healthz 200 (database, schema, scheduler
# heartbeat), the JSON API with a token, the static files, /metrics; then stops both with
# SIGTERM as systemd does and expects a clean exit. A throwaway database, dropped at the end.
#
#   deploy/smoke.sh            (PG_URL=postgresql+psycopg://postgres@127.0.0.1:5432 by default)
#
# Only two things of the unit lines are replaced: the install prefix /opt/leanschool/venv
# by this checkout's .venv, and the web unit's port 8000 by a free one.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=${VENV:-$ROOT/.venv}
PG_URL=${PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432}
DB=ls_h_ops_smoke_$$
WORK=$(mktemp -d -t leanschool-smoke.XXXXXX)
PORT=$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
WEB_PID="" SCHED_PID=""
start_time=$(date +%s)

say() { echo "smoke: $*"; }
fail() { echo "smoke: FAILED: $*" >&2; for f in "$WORK"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -n 30 "$f" >&2; }; done; exit 1; }

psql_admin() { "$VENV/bin/python" - "$@" <<'PY'
import sys
from sqlalchemy import create_engine, text
base, action, name = sys.argv[1:4]
eng = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
with eng.connect() as conn:
    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    if action == "create":
        conn.execute(text(f'CREATE DATABASE "{name}"'))
eng.dispose()
PY
}

cleanup() {
  for pid in $WEB_PID $SCHED_PID; do
    if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  for pid in $WEB_PID $SCHED_PID; do wait "$pid" 2>/dev/null || true; done
  psql_admin "$PG_URL" drop "$DB" || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# the command line of a unit, with this checkout's venv and the free port
unit_cmd() {
  local line
  line=$(grep -E '^ExecStart=' "deploy/systemd/$1" | head -n 1)
  line=${line#ExecStart=}
  line=${line//\/opt\/leanschool\/venv/$VENV}
  echo "${line//--port 8000/--port $PORT}"
}

# the environment the units get: the template, then what this test machine differs in
set -a
# shellcheck disable=SC1091
. deploy/leanschool.env.example
set +a
export DATABASE_URL="$PG_URL/$DB" SECRET_KEY="smoke-$$-$RANDOM$RANDOM" LEANSCHOOL_INSTANCE_DIR="$WORK/instance" \
       PROMETHEUS_MULTIPROC_DIR="$WORK/metrics" SESSION_COOKIE_SECURE=false LOG_FORMAT=json \
       LEANSCHOOL_LOCALE=ru AUTO_MIGRATE=false
grep -q '^Environment=AUTO_MIGRATE=false' deploy/systemd/leanschool-web.service || fail "the web unit must not migrate"

psql_admin "$PG_URL" create "$DB"
say "database $DB"

# leanschool-migrate.service, once
read -r -a MIGRATE <<<"$(unit_cmd leanschool-migrate.service)"
"${MIGRATE[@]}" >"$WORK/migrate.log" 2>&1 || fail "migrations: ${MIGRATE[*]}"
say "migrated: ${MIGRATE[*]}"

"$VENV/bin/leanschool" user create smoke@leanschool.test --name "Проверка" --password "Smoke-check-2026!" \
  --role admin >/dev/null
TOKEN=$("$VENV/bin/leanschool" token create smoke@leanschool.test | tail -n 1)

read -r -a WEB <<<"$(unit_cmd leanschool-web.service)"
read -r -a SCHED <<<"$(unit_cmd leanschool-scheduler.service)"
"${WEB[@]}" >"$WORK/web.log" 2>&1 &
WEB_PID=$!
"${SCHED[@]}" >"$WORK/scheduler.log" 2>&1 &
SCHED_PID=$!
say "web: ${WEB[*]} (pid $WEB_PID)"
say "scheduler: ${SCHED[*]} (pid $SCHED_PID)"

BASE="http://127.0.0.1:$PORT"
get() { "$VENV/bin/python" - "$@" <<'PY'
import sys, urllib.request, urllib.error
url = sys.argv[1]
headers = {"Authorization": f"Bearer {sys.argv[2]}"} if len(sys.argv) > 2 else {}
try:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
        print(r.status); sys.stdout.write(r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code); sys.stdout.write(e.read().decode())
except OSError as e:
    print(0); print(e)
PY
}

# /healthz turns 200 once the web answers AND the scheduler has beaten (its jobs run at start)
deadline=$(( $(date +%s) + 45 ))
while :; do
  kill -0 "$WEB_PID" 2>/dev/null || fail "the web server stopped"
  kill -0 "$SCHED_PID" 2>/dev/null || fail "the scheduler stopped"
  out=$(get "$BASE/healthz")
  [ "$(head -n 1 <<<"$out")" = 200 ] && break
  [ "$(date +%s)" -lt "$deadline" ] || fail "/healthz is not 200 after 45 s: $out"
  sleep 0.5
done
grep -q '"heartbeat_age_seconds"' <<<"$out" || fail "no scheduler heartbeat in /healthz: $out"
say "/healthz 200: $(tail -n +2 <<<"$out")"

out=$(get "$BASE/login")
[ "$(head -n 1 <<<"$out")" = 200 ] && grep -q 'name="csrf_token"' <<<"$out" || fail "login page: $(head -c 300 <<<"$out")"
say "login page 200"

out=$(get "$BASE/api/v1/me" "$TOKEN")
[ "$(head -n 1 <<<"$out")" = 200 ] && grep -q '"smoke@leanschool.test"' <<<"$out" || fail "API /me: $out"
say "API /api/v1/me 200 with a token"

out=$(get "$BASE/static/app.css")
[ "$(head -n 1 <<<"$out")" = 200 ] || fail "static file: $(head -c 200 <<<"$out")"

out=$(get "$BASE/metrics")
grep -q '^leanschool_scheduler_job_runs_total{job="emails"}' <<<"$out" || fail "/metrics: no scheduler figures"
grep -q '^leanschool_http_request_duration_seconds_count{endpoint="api.me",method="GET",status="200"} 1.0' \
  <<<"$out" || fail "/metrics: no request latency of /api/v1/me"
say "/metrics: request latency and scheduler jobs"

# systemctl stop: SIGTERM, a clean exit within the units' TimeoutStopSec
kill -TERM "$WEB_PID" "$SCHED_PID"
wait "$WEB_PID" || fail "the web server exited with $?"
wait "$SCHED_PID" || fail "the scheduler exited with $?"
WEB_PID="" SCHED_PID=""
grep -q '"message": "scheduler stopped"' "$WORK/scheduler.log" || fail "the scheduler did not log its stop in JSON"
grep -q '"logger": "gunicorn.error"' "$WORK/web.log" || fail "the web server did not log in JSON (LOG_FORMAT=json)"
say "both stopped cleanly on SIGTERM; logs in JSON"
say "passed in $(( $(date +%s) - start_time )) s"
