#!/usr/bin/env bash
# CI's smoke test of the production stack: scripts/serve.sh --demo on a free port with a throwaway
# environment (a fresh database absher_smoke, Redis databases 13 and 14, fresh secrets, the SMS
# file and uploads in a temporary folder), then scripts/smoke.py against it, then a graceful stop.
# Fails when the stack does not come up, when a smoke step fails, or when the stack does not stop
# cleanly. The temporary folder (logs of web, worker and beat) is kept when something failed.
set -euo pipefail
cd "$(dirname "$0")/.."
export PGOPTIONS='-c client_min_messages=warning'  # no NOTICE from dropdb --if-exists

SMOKE_DB=${SMOKE_DB:-absher_smoke}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/absher-smoke.XXXXXX")
port=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null \
  || python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# The environment wins over the env file serve.sh makes in the temporary folder.
export PORT=$port
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/${SMOKE_DB}
export REDIS_URL=redis://127.0.0.1:6379/13
export CELERY_BROKER_URL=redis://127.0.0.1:6379/14
export SMS_FILE_PATH=$tmp/sms.jsonl
export PRIVATE_FILES_ROOT=$tmp/private
export DJANGO_MEDIA_ROOT=$tmp/media
export CELERY_BEAT_SCHEDULE_FILENAME=$tmp/celerybeat-schedule
export SERVE_LOG_DIR=$tmp/log
export PROMETHEUS_MULTIPROC_DIR=$tmp/prometheus
export SERVE_READY_TIMEOUT=${SERVE_READY_TIMEOUT:-90}
export GUNICORN_WORKERS=${GUNICORN_WORKERS:-2}

# Fresh state: the database and both Redis databases (when they are up; serve.sh starts them if not).
if pg_isready -q -h 127.0.0.1 -p 5432; then
  dropdb --if-exists -h 127.0.0.1 -U postgres "$SMOKE_DB"
fi
if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  redis-cli -h 127.0.0.1 -p 6379 -n 13 flushdb >/dev/null
  redis-cli -h 127.0.0.1 -p 6379 -n 14 flushdb >/dev/null
fi

started=$(date +%s%N)
bash scripts/serve.sh --demo --env-file "$tmp/env" >"$tmp/serve.log" 2>&1 &
serve_pid=$!
stopped=0
stop_stack() {
  [ "$stopped" = 1 ] && return 0
  stopped=1
  kill -TERM "$serve_pid" 2>/dev/null || true
  local status=0
  wait "$serve_pid" || status=$?
  return "$status"
}
on_exit() {
  local status=$?
  stop_stack || true
  if [ "$status" != 0 ]; then
    echo "smoke.sh: FAILED; logs kept in ${tmp}" >&2
    for log in "$tmp/serve.log" "$tmp"/log/*.log; do
      [ -f "$log" ] || continue
      echo "--- ${log} (last 40 lines)" >&2
      tail -n 40 "$log" >&2
    done
  fi
}
trap on_exit EXIT
trap 'exit 130' INT TERM

deadline=$(( $(date +%s) + SERVE_READY_TIMEOUT + 240 ))  # + migrations and demo data on a fresh database
until grep -q '^serve: ready in' "$tmp/serve.log"; do
  kill -0 "$serve_pid" 2>/dev/null || { echo "smoke.sh: serve.sh ended before it was ready" >&2; exit 1; }
  [ "$(date +%s)" -lt "$deadline" ] || { echo "smoke.sh: the stack was not ready in time" >&2; exit 1; }
  sleep 0.2
done
ready_ms=$(( ($(date +%s%N) - started) / 1000000 ))
grep '^serve: ready in\|^serve: check --deploy' "$tmp/serve.log"

smoke_started=$(date +%s%N)
.venv/bin/python scripts/smoke.py --base-url "http://127.0.0.1:${port}" --sms-file "$SMS_FILE_PATH" \
  --database-url "$DATABASE_URL" --access-log "$SERVE_LOG_DIR/web.log"
smoke_ms=$(( ($(date +%s%N) - smoke_started) / 1000000 ))

stop_started=$(date +%s%N)
if ! stop_stack; then
  echo "smoke.sh: the stack did not stop cleanly" >&2
  exit 1
fi
stop_ms=$(( ($(date +%s%N) - stop_started) / 1000000 ))
printf 'smoke.sh: passed: stack ready in %d.%03d s, smoke %d.%03d s, stopped in %d.%03d s\n' \
  $((ready_ms / 1000)) $((ready_ms % 1000)) $((smoke_ms / 1000)) $((smoke_ms % 1000)) $((stop_ms / 1000)) $((stop_ms % 1000))
dropdb --if-exists -h 127.0.0.1 -U postgres "$SMOKE_DB" || true
redis-cli -h 127.0.0.1 -p 6379 -n 13 flushdb >/dev/null 2>&1 || true
redis-cli -h 127.0.0.1 -p 6379 -n 14 flushdb >/dev/null 2>&1 || true
rm -rf "$tmp"
