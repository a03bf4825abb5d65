#!/usr/bin/env bash
# Runs the whole test suite (lint included). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
.venv/bin/ruff check .
mkdir -p test-artifacts
.venv/bin/pytest "$@"
