#!/usr/bin/env bash
# Runs the whole test suite (lint included). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
.venv/bin/ruff check .
# QUALITY 20: no bandit finding of medium severity or above in the portal's code.
.venv/bin/bandit -q -r absher accounts civil_affairs dependents passports biometrics -ll
mkdir -p test-artifacts
.venv/bin/pytest "$@"
