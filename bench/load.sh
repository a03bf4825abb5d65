#!/usr/bin/env bash
# The load test (QUALITY.md, "Scale"): the stack under production settings, N prepared citizens,
# locust's simulated citizens against it, then p50/p95 per step, the errors and the worker's lag.
#
#   bash bench/load.sh [-u USERS] [-r SPAWN_RATE] [-t DURATION] [-p PORT] [--accounts N] [--no-setup]
#
# Defaults: 50 users, 5 a second, 10 minutes, port 8410, 250 accounts. Run it on a quiet machine:
# the figures are those of this machine with everything (PostgreSQL, Redis, gunicorn, the Celery
# worker and locust itself) on it.
#
# The stack: scripts/serve.sh when it exists (gunicorn, the Celery worker and beat; the overrides
# below reach it through the environment), else the same started here by hand. LOAD_MANUAL_STACK=1
# forces the manual start. Either way it gets:
#   DATABASE_URL  LOAD_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/absher_load
#                 (created if missing; the bench's citizens are added to it: never real data)
#   REDIS_URL     LOAD_REDIS_URL, default redis://127.0.0.1:6379/3 (the cache)
#   CELERY_BROKER_URL  LOAD_BROKER_URL, default redis://127.0.0.1:6379/4
#   the file SMS backend writing $RUN_DIR/sms.jsonl (the simulated citizens read their codes there),
#   the signature scanner, the simulated payment gateway, TRUSTED_PROXY_COUNT=1 (as behind nginx),
#   and secrets generated for the run.
# (scripts/serve.sh must keep what the environment already sets over its .env.production, and stop
# its processes when it gets SIGTERM.) --no-setup reuses the last citizens.json without topping up
# or resetting the accounts' SMS-code counts. Everything the run writes is in $RUN_DIR (LOAD_RUN_DIR,
# default var/load): the stack's logs, citizens.json, locust's CSV files, status_codes.json.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

USERS=50
SPAWN=5
DURATION=10m
PORT=${PORT:-8410}
ACCOUNTS=250
SETUP=1
while [ $# -gt 0 ]; do
  case "$1" in
    -u|--users) USERS=$2; shift 2 ;;
    -r|--spawn-rate) SPAWN=$2; shift 2 ;;
    -t|--run-time) DURATION=$2; shift 2 ;;
    -p|--port) PORT=$2; shift 2 ;;
    --accounts) ACCOUNTS=$2; shift 2 ;;
    --no-setup) SETUP=0; shift ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done

RUN_DIR=${LOAD_RUN_DIR:-$ROOT/var/load}
mkdir -p "$RUN_DIR"
PY=$ROOT/.venv/bin/python

# locust in a venv of its own: it brings gevent and Flask, which the portal's venv does not want.
if ! .venv-load/bin/python -c "import locust" 2>/dev/null; then
  python3 -m venv .venv-load
  .venv-load/bin/pip install -q -r bench/requirements-load.txt
fi

# --- the stack's environment ---------------------------------------------------------------------
secret() { "$PY" -c 'import secrets; print(secrets.token_urlsafe(48))'; }
fernet() { "$PY" -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'; }
export DJANGO_SETTINGS_MODULE=absher.settings.production
export DATABASE_URL=${LOAD_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/absher_load}
export REDIS_URL=${LOAD_REDIS_URL:-redis://127.0.0.1:6379/3}
export CELERY_BROKER_URL=${LOAD_BROKER_URL:-redis://127.0.0.1:6379/4}
export DJANGO_ALLOWED_HOSTS=127.0.0.1
export TRUSTED_PROXY_COUNT=1
export SMS_BACKEND=absher.sms.backends.file.SmsBackend
export SMS_FILE_PATH=$RUN_DIR/sms.jsonl
export MALWARE_SCANNER=civil_affairs.scanning.SignatureScanner
export PAYMENT_SIMULATOR_ALLOWED=true
export FINGERPRINT_MATCHER=biometrics.matching.NbisMatcher
export PRIVATE_FILES_ROOT=$RUN_DIR/private
export CELERY_BEAT_SCHEDULE_FILENAME=$RUN_DIR/celerybeat-schedule
export DJANGO_LOG_LEVEL=${DJANGO_LOG_LEVEL:-WARNING}
# Secrets: new for each run unless the caller set them (the database keeps nothing encrypted
# that a later run must read: codes in the outbox are wiped once sent).
export DJANGO_SECRET_KEY=${DJANGO_SECRET_KEY:-$(secret)}
export OTP_HMAC_KEY=${OTP_HMAC_KEY:-$(secret)}
export PAYMENT_NOTIFICATION_KEY=${PAYMENT_NOTIFICATION_KEY:-$(secret)}
export FINGERPRINT_KEY=${FINGERPRINT_KEY:-$(fernet)}
export NOTIFY_ENCRYPTION_KEY=${NOTIFY_ENCRYPTION_KEY:-$(fernet)}
export DOCUMENT_SIGNING_KEY=${DOCUMENT_SIGNING_KEY:-$(fernet)}
export WEBAUTHN_RP_ID=${WEBAUTHN_RP_ID:-localhost}
export WEBAUTHN_ORIGINS=${WEBAUTHN_ORIGINS:-http://localhost}
: > "$SMS_FILE_PATH"

db_name=${DATABASE_URL##*/}
if ! psql "${DATABASE_URL%/*}/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$db_name'" | grep -q 1; then
  psql "${DATABASE_URL%/*}/postgres" -qc "CREATE DATABASE \"$db_name\""
fi

# --- start the stack; stop what this script started on the way out ------------------------------
PIDS=()
stop_stack() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_stack EXIT

if [ -f scripts/serve.sh ] && [ "${LOAD_MANUAL_STACK:-0}" != 1 ]; then
  echo "stack: scripts/serve.sh on port $PORT"
  PORT=$PORT bash scripts/serve.sh > "$RUN_DIR/serve.log" 2>&1 &
  PIDS+=($!)
else
  echo "stack: gunicorn (2 workers), a Celery worker and beat, started here, on port $PORT"
  "$PY" manage.py migrate --noinput -v0
  # The Arabic pages and SMS texts (the catalogues are not in git); without msgfmt they are English.
  if command -v msgfmt >/dev/null 2>&1; then "$PY" manage.py compilemessages --ignore=.venv --ignore=.venv-load -v0; fi
  "$PY" manage.py collectstatic --noinput -v0
  .venv/bin/gunicorn absher.wsgi -w 2 -b "127.0.0.1:$PORT" --no-control-socket --access-logfile "$RUN_DIR/access.log" \
    > "$RUN_DIR/gunicorn.log" 2>&1 &
  PIDS+=($!)
  .venv/bin/celery -A absher worker -l info > "$RUN_DIR/worker.log" 2>&1 &
  PIDS+=($!)
  .venv/bin/celery -A absher beat -l info > "$RUN_DIR/beat.log" 2>&1 &
  PIDS+=($!)
fi

for _ in $(seq 1 60); do
  curl -fso /dev/null -H "X-Forwarded-Proto: https" "http://127.0.0.1:$PORT/" && break
  sleep 1
done
curl -fso /dev/null -H "X-Forwarded-Proto: https" "http://127.0.0.1:$PORT/" || { echo "the portal did not start: see $RUN_DIR"; exit 1; }

# --- the citizens ------------------------------------------------------------------------------
if [ "$SETUP" = 1 ]; then
  "$PY" bench/load_setup.py --accounts "$ACCOUNTS" --out "$RUN_DIR/citizens.json"
fi
# Setup's own messages (activations) go first: the test starts with an empty outbox, so that the
# worker's lag measured is the test's.
"$PY" - <<'EOF'
import os, sys, time
sys.path.insert(0, os.getcwd())
import django
django.setup()
from absher.notifications.models import PENDING, OutboxMessage
deadline = time.monotonic() + 300
while (left := OutboxMessage.objects.filter(status__in=PENDING).count()) and time.monotonic() < deadline:
    time.sleep(1)
print(f"outbox before the test: {left} message(s) waiting")
EOF

# --- the test ----------------------------------------------------------------------------------
echo "locust: $USERS users, $SPAWN/s, $DURATION"
LOAD_CITIZENS=$RUN_DIR/citizens.json LOAD_SMS_FILE=$SMS_FILE_PATH LOAD_STATUS_FILE=$RUN_DIR/status_codes.json \
  .venv-load/bin/locust -f bench/locustfile.py --headless -u "$USERS" -r "$SPAWN" -t "$DURATION" \
  --host "http://127.0.0.1:$PORT" --csv "$RUN_DIR/locust" --only-summary --loglevel WARNING \
  > "$RUN_DIR/locust.log" 2>&1 || true

.venv-load/bin/python bench/load_report.py "$RUN_DIR"
