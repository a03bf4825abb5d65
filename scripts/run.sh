#!/usr/bin/env bash
# Runs the portal with demo data on http://127.0.0.1:8000 (SQLite and console SMS unless .env says otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
# Fingerprints at the demo kiosk are matched by NIST NBIS inside libfprint (Debian's packages):
# installed here when this user may; otherwise bootstrap.sh says in one line what to install.
if ! dpkg -s libfprint-2-2 gir1.2-fprint-2.0 python3-gi >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  { apt-get update -qq && apt-get install -y -qq libfprint-2-2 gir1.2-fprint-2.0 python3-gi; } >/dev/null 2>&1 || true
fi
bash scripts/bootstrap.sh
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-absher.settings.dev}
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py load_demo_data
.venv/bin/python manage.py load_demo_passports
.venv/bin/python manage.py load_demo_kiosks
.venv/bin/python manage.py expire_registrations
PORT=${PORT:-8000}
echo
echo "The portal: http://127.0.0.1:${PORT}/   (staff: http://127.0.0.1:${PORT}/staff/)"
echo "SMS codes are printed below by the console SMS backend."
exec .venv/bin/python manage.py runserver "127.0.0.1:${PORT}"
