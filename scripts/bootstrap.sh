#!/usr/bin/env bash
# Creates .venv and installs the pinned requirements when they changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.requirements.sha256
want=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -r requirements-dev.txt
  echo "$want" > "$stamp"
fi
# Fingerprints: NIST NBIS inside Debian's libfprint, reached through PyGObject (`gi`). Debian's
# python3-gi is built for the system's Python 3.11; the virtualenv sees that one module, nothing
# else of the system's packages. Without it the kiosk says the fingerprint service is unavailable.
site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
if [ -d /usr/lib/python3/dist-packages/gi ] && [ ! -e "$site/gi" ]; then
  ln -s /usr/lib/python3/dist-packages/gi "$site/gi"
fi
if ! .venv/bin/python -c 'import gi; gi.require_version("FPrint", "2.0"); from gi.repository import FPrint' 2>/dev/null; then
  echo "note: fingerprints need libfprint (apt-get install libfprint-2-2 gir1.2-fprint-2.0 python3-gi); the kiosk reports its reader service unavailable until then" >&2
fi
# Test tools from npm (axe-core for the accessibility tests); nothing from node_modules is served.
if [ -f package-lock.json ] && command -v npm >/dev/null 2>&1; then
  npm_stamp=node_modules/.package-lock.sha256
  npm_want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ ! -f "$npm_stamp" ] || [ "$(cat "$npm_stamp")" != "$npm_want" ]; then
    npm ci --no-audit --no-fund --loglevel=error
    echo "$npm_want" > "$npm_stamp"
  fi
fi
if [ ! -d locale ]; then
  :
elif command -v msgfmt >/dev/null 2>&1; then
  .venv/bin/python manage.py compilemessages --ignore=.venv -v0
else
  echo "warning: gettext (msgfmt) is not installed: pages show in English until it is (apt-get install gettext)" >&2
fi
