#!/usr/bin/env bash
# The production stack on this machine, in one command: gunicorn (gunicorn.conf.py), a Celery
# worker and beat, against PostgreSQL and Redis (local ones started where none is up), with the
# production settings read from an env file.
#
#   bash scripts/serve.sh [--demo] [--env-file PATH]
#
#   --demo           load the demo data first (docs/demo-data.md), as scripts/run.sh does
#   --env-file PATH  the settings (default .env.production; made on the first run from
#                    .env.production.example with fresh random secrets and local values)
#
# Environment: PORT (8080), SERVE_LOG_DIR (each process's log to a file there instead of this
# terminal with a prefix), SERVE_READY_TIMEOUT (60 s). Variables already set in the environment win
# over the env file (so a shell that exports DATABASE_URL for the tests points this at that database).
#
# The production settings are not weakened for this: they redirect plain http to https and set
# `__Host-` cookies that are Secure. Gunicorn listens on plain http on the loopback, where a reverse
# proxy would (deploy/nginx.conf): a client here sends `X-Forwarded-Proto: https`, as the proxy
# does, e.g. `curl -H 'X-Forwarded-Proto: https' http://127.0.0.1:8080/`; a browser needs a
# TLS-terminating proxy in front (compose.yaml has one).
#
# Ctrl-C or SIGTERM stops all three (gunicorn and the worker finish what they are doing first);
# if one of them dies, the others are stopped and the script exits with an error.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s%N)
since() { local ms=$(( ($(date +%s%N) - started) / 1000000 )); printf '%d.%03d s' $((ms / 1000)) $((ms % 1000)); }

demo=0
env_file=.env.production
while [ $# -gt 0 ]; do
  case "$1" in
    --demo) demo=1 ;;
    --env-file) env_file=$2; shift ;;
    --env-file=*) env_file=${1#*=} ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "serve.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# Every Django process writes its metrics there when this is set (absher/metrics.py): it must exist.
[ -z "${PROMETHEUS_MULTIPROC_DIR:-}" ] || mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
bash scripts/bootstrap.sh  # the venv and the compiled messages (compilemessages)

# --- the env file: made once from the example, with fresh secrets ------------------------------------
if [ ! -f "$env_file" ]; then
  echo "serve: writing ${env_file} from .env.production.example (fresh random secrets; keep it out of git)"
  old_umask=$(umask)
  umask 077
  .venv/bin/python - "$env_file" "$PWD" <<'PY'
import re
import secrets
import sys

from cryptography.fernet import Fernet

path, root = sys.argv[1], sys.argv[2]
values = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "OTP_HMAC_KEY": secrets.token_urlsafe(32),
    "FINGERPRINT_KEY": Fernet.generate_key().decode(),
    "NOTIFY_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "DOCUMENT_SIGNING_KEY": Fernet.generate_key().decode(),  # 32 random bytes in base64, as Ed25519 wants
    "PAYMENT_NOTIFICATION_KEY": secrets.token_urlsafe(48),
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    # Passkeys work in a secure context: https, or http on localhost (not 127.0.0.1 with this id).
    "WEBAUTHN_RP_ID": "localhost",
    "WEBAUTHN_ORIGINS": "http://localhost:8080",
    "TRUSTED_PROXY_COUNT": "0",  # clients reach gunicorn directly on the loopback
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/absher_serve",
    "REDIS_URL": "redis://127.0.0.1:6379/11",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/12",
    "SMS_BACKEND": "absher.sms.backends.file.SmsBackend",
    "SMS_FILE_PATH": f"{root}/var/serve/sms.jsonl",
    "MALWARE_SCANNER": "civil_affairs.scanning.SignatureScanner",  # no clamd on this machine
    "PAYMENT_SIMULATOR_ALLOWED": "true",
    "FINGERPRINT_MATCHER": "biometrics.matching.NbisMatcher",
    "FINGERPRINT_READER": "biometrics.readers.simulated.SimulatedReader",
    "FINGERPRINT_SIMULATOR_ALLOWED": "true",
    "CELERY_BEAT_SCHEDULE_FILENAME": f"{root}/var/serve/celerybeat-schedule",
    # The deploy check rightly refuses the two stand-ins above: this stack is a demo on one machine.
    "SERVE_ACCEPTED_CHECKS": "absher.E003,absher.E004",
}
lines = []
with open(".env.production.example", encoding="utf-8") as example:
    for line in example:
        match = re.match(r"#?\s*([A-Z][A-Z0-9_]*)=", line)
        if match and match.group(1) in values:
            line = f"{match.group(1)}={values.pop(match.group(1))}\n"
        lines.append(line)
lines += [f"{name}={value}\n" for name, value in values.items()]
with open(path, "w", encoding="utf-8") as out:
    out.write("# Made by scripts/serve.sh from .env.production.example: local values, secrets of this machine only.\n")
    out.writelines(lines)
PY
  umask "$old_umask"
elif ! grep -q '^DOCUMENT_SIGNING_KEY=.' "$env_file"; then
  # An env file made before the signed documents (issue 11): a key of its own, added once.
  echo "serve: adding a fresh DOCUMENT_SIGNING_KEY to ${env_file}"
  echo "DOCUMENT_SIGNING_KEY=$(.venv/bin/python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" >> "$env_file"
fi
if ! grep -q '^WEBAUTHN_RP_ID=.' "$env_file"; then
  # An env file made before passkeys (issue 12): this machine's relying party, added once.
  echo "serve: adding WEBAUTHN_RP_ID and WEBAUTHN_ORIGINS (localhost) to ${env_file}"
  printf 'WEBAUTHN_RP_ID=localhost\nWEBAUTHN_ORIGINS=http://localhost:8080\n' >> "$env_file"
fi

# NAME=value lines, taken literally (never evaluated by the shell); the environment wins.
while IFS= read -r line || [ -n "$line" ]; do
  case "$line" in ''|'#'*) continue ;; esac
  name=${line%%=*}
  [[ "$name" =~ ^[A-Z_][A-Z0-9_]*$ ]] || { echo "serve: ${env_file}: not NAME=value: ${line}" >&2; exit 2; }
  [ -n "${!name+set}" ] || export "$line"
done < "$env_file"
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-absher.settings.production}
export PORT=${PORT:-8080}
mkdir -p var/serve
# prometheus_client's multiprocess mode (absher/metrics.py): one folder, emptied before the stack
# starts, where gunicorn's workers keep their samples so that a scrape of /metrics adds them up.
export PROMETHEUS_MULTIPROC_DIR=${PROMETHEUS_MULTIPROC_DIR:-$PWD/var/serve/prometheus}
mkdir -p "$PROMETHEUS_MULTIPROC_DIR"

# --- PostgreSQL and Redis: local ones are started where they are not up (as .ci/run does) -------------
case "$DATABASE_URL" in
  *@127.0.0.1:5432/*|*@localhost:5432/*|*@127.0.0.1/*|*@localhost/*)
    if ! pg_isready -q -h 127.0.0.1 -p 5432; then
      echo "serve: starting PostgreSQL"
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
      for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
    fi
    pg_isready -q -h 127.0.0.1 -p 5432 || { echo "serve: PostgreSQL is not up on 127.0.0.1:5432" >&2; exit 1; }
    ;;
esac
case "${CELERY_BROKER_URL} ${REDIS_URL:-}" in
  *redis://127.0.0.1:6379*|*redis://localhost:6379*)
    if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
      echo "serve: starting Redis"
      mkdir -p /var/lib/redis /var/log/redis
      redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
      for _ in $(seq 1 15); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
    fi
    redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null || { echo "serve: Redis is not up on 127.0.0.1:6379" >&2; exit 1; }
    ;;
esac

# --- the database, the schema, the static files -----------------------------------------------------
.venv/bin/python - <<'PY'
import os
from urllib.parse import unquote, urlsplit

import psycopg2
from psycopg2 import sql

url = urlsplit(os.environ["DATABASE_URL"])
name = unquote(url.path.lstrip("/"))
params = {"host": url.hostname, "port": url.port or 5432, "user": unquote(url.username or ""),
          "password": unquote(url.password or ""), "dbname": "postgres"}
connection = psycopg2.connect(**{key: value for key, value in params.items() if value})
connection.autocommit = True
with connection.cursor() as cursor:
    cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
    if cursor.fetchone() is None:
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        print(f"serve: created the database {name}")
connection.close()
PY
echo "serve: migrate, collectstatic ($(since))"
.venv/bin/python manage.py migrate --noinput -v0
# The registration page's captcha pool, filled before the first visitor (beat tops it up each minute).
.venv/bin/python manage.py shell -c "from absher.tasks import refill_captcha_pool; refill_captcha_pool()"
# collectstatic hashes and compresses every file (WhiteNoise's manifest storage): skipped when no
# static file and no requirement changed since the last run that wrote the same STATIC_ROOT.
static_root=${DJANGO_STATIC_ROOT:-staticfiles}
static_dirs=(static)
for dir in ./*/static; do [ -d "$dir" ] && static_dirs+=("$dir"); done
static_want=$({ cat requirements.txt; find "${static_dirs[@]}" -type f -printf '%p %s %T@\n' | sort; } | sha256sum | cut -d' ' -f1)
if [ "$(cat "${static_root}/.serve-stamp" 2>/dev/null)" != "$static_want" ] || [ ! -f "${static_root}/staticfiles.json" ]; then
  .venv/bin/python manage.py collectstatic --noinput -v0
  echo "$static_want" > "${static_root}/.serve-stamp"
fi
if [ "$demo" = 1 ]; then
  .venv/bin/python manage.py load_demo_data
  .venv/bin/python manage.py load_demo_passports
  .venv/bin/python manage.py load_demo_kiosks
  .venv/bin/python manage.py expire_registrations
fi
# manage.py check --deploy, with one difference: errors named in SERVE_ACCEPTED_CHECKS are printed
# but do not stop a local demo stack (the generated env file names two: absher.E003, the SMS file
# backend, and absher.E004, the signature scanner; a real deployment accepts none).
echo "serve: manage.py check --deploy ($(since))"
.venv/bin/python - <<'PY'
import os
import sys

import django

django.setup()
from django.core import checks  # noqa: E402

accepted = {name.strip() for name in os.environ.get("SERVE_ACCEPTED_CHECKS", "").split(",") if name.strip()}
messages = [message for message in checks.run_checks(include_deployment_checks=True) if not message.is_silenced()]
refused = [message for message in messages if message.is_serious() and message.id not in accepted]
for message in messages:
    note = "   [accepted for this stack: SERVE_ACCEPTED_CHECKS]" if message.is_serious() and message.id in accepted else ""
    print(f"  {message}{note}")
print(f"serve: check --deploy: {len(messages)} issue(s), {len(refused)} error(s) not accepted")
sys.exit(1 if refused else 0)
PY

# --- the three processes ---------------------------------------------------------------------------
# The samples of the commands above are not the stack's.
find "$PROMETHEUS_MULTIPROC_DIR" -mindepth 1 -maxdepth 1 -name '*.db' -delete

pids=()
names=()
# Each in a session of its own (setsid): a Ctrl-C in the terminal reaches this script only, which
# then stops them with SIGTERM, the graceful stop (gunicorn takes SIGINT for a quick one).
start() {
  local name=$1
  shift
  if [ -n "${SERVE_LOG_DIR:-}" ]; then
    mkdir -p "$SERVE_LOG_DIR"
    setsid "$@" >>"${SERVE_LOG_DIR}/${name}.log" 2>&1 &
  else
    setsid "$@" > >(trap '' INT TERM; exec sed -u "s/^/${name} | /") 2>&1 &
  fi
  pids+=($!)
  names+=("$name")
}

stopping=0
stop() {
  if [ "$stopping" = 1 ]; then  # a second Ctrl-C: no more waiting
    kill -KILL "${pids[@]}" 2>/dev/null || true
    return
  fi
  stopping=1
  echo "serve: stopping (gunicorn and the worker finish what they are doing)"
  kill -TERM "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM

echo "serve: starting web, worker and beat ($(since))"
start web .venv/bin/gunicorn -c gunicorn.conf.py  # binds 127.0.0.1:$PORT (gunicorn.conf.py)
start worker .venv/bin/celery -A absher worker -l INFO
start beat .venv/bin/celery -A absher beat -l INFO

# Ready when the readiness probe answers (GET / until /health/ready/ exists).
ready_url="http://127.0.0.1:${PORT}"
deadline=$(( $(date +%s) + ${SERVE_READY_TIMEOUT:-60} ))
ready=0
while [ "$stopping" = 0 ] && [ "$(date +%s)" -lt "$deadline" ]; do
  alive=1
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || alive=0; done
  [ "$alive" = 1 ] || break
  code=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Forwarded-Proto: https' "${ready_url}/health/ready/" || true)
  if [ "$code" = 200 ]; then ready=1; break; fi
  sleep 0.2
done
if [ "$ready" = 1 ]; then
  echo "serve: ready in $(since): ${ready_url}/ (send X-Forwarded-Proto: https; pids web ${pids[0]} worker ${pids[1]} beat ${pids[2]})"
elif [ "$stopping" = 0 ]; then
  echo "serve: not ready after ${SERVE_READY_TIMEOUT:-60} s" >&2
  stop
fi

status=0
if [ "$stopping" = 0 ]; then
  wait -n "${pids[@]}" || true  # returns when one of them ends, or on a signal (the trap ran)
fi
if [ "$stopping" = 0 ]; then
  for i in "${!pids[@]}"; do
    kill -0 "${pids[$i]}" 2>/dev/null || echo "serve: ${names[$i]} stopped on its own: stopping the others" >&2
  done
  status=1
  stop
fi
for pid in "${pids[@]}"; do
  while kill -0 "$pid" 2>/dev/null; do wait "$pid" 2>/dev/null || true; done
done
[ "$ready" = 1 ] || status=1
echo "serve: stopped"
exit "$status"
