#!/usr/bin/env bash
# Regenerates docs/api/openapi.yaml, the API's OpenAPI 3 schema (drf-spectacular), from the code.
# The schema is committed so that a change to the API shows in review; tests/api/test_schema.py
# fails when the committed file and the code disagree: run this, look at `git diff docs/api`, commit.
# Fails on any warning of drf-spectacular (an untyped field, an operation without a response...) and
# when the schema is not valid OpenAPI 3. In English (the schema's texts are for developers); the
# test settings, so that no database, Redis or secret is needed.
#   bash scripts/api_schema.sh           write docs/api/openapi.yaml
#   bash scripts/api_schema.sh --check   only say whether it is up to date (exit 1 if not)
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE=absher.settings.test
out=docs/api/openapi.yaml
if [ "${1:-}" = "--check" ]; then
  tmp=$(mktemp)
  trap 'rm -f "$tmp"' EXIT
  .venv/bin/python manage.py spectacular --validate --fail-on-warn --lang en --file "$tmp" 2>/dev/null
  if ! diff -u "$out" "$tmp"; then
    echo "docs/api/openapi.yaml is out of date: run bash scripts/api_schema.sh and commit it" >&2
    exit 1
  fi
  echo "docs/api/openapi.yaml is up to date"
  exit 0
fi
.venv/bin/python manage.py spectacular --validate --fail-on-warn --lang en --file "$out"
echo "wrote $out ($(grep -c '^  /api/' "$out") paths)"
