#!/usr/bin/env bash
# Runs the whole test suite (lint included), in random order (the seed is printed: replay with
# -p randomly -p "randomly_seed=N", or --randomly-seed=N).
#   --sweep  then runs the non-browser suite again with the clock frozen at each hard instant of
#            tests/clock.py (month ends, 29 February, 21:30 UTC on 31 December, the last days of
#            Hijri months) and at one random instant, printed for replay (QUALITY 24). The worker
#            tests (marker `worker`, a real Celery worker on the real clock) and the API's contract
#            tests (marker `contract`, schemathesis: derandomized, the same cases at any instant) run
#            once, in the first run.
# Other arguments go to the first pytest run.
set -euo pipefail
cd "$(dirname "$0")/.."
sweep=0
args=()
for arg in "$@"; do
  if [ "$arg" = "--sweep" ]; then sweep=1; else args+=("$arg"); fi
done
bash scripts/bootstrap.sh
.venv/bin/ruff check .
# QUALITY 20: no bandit finding of medium severity or above in the portal's code.
.venv/bin/bandit -q -r absher accounts civil_affairs dependents passports biometrics api devices passkeys -ll
mkdir -p test-artifacts
.venv/bin/pytest ${args[@]+"${args[@]}"}
[ "$sweep" = 1 ] || exit 0

instants=$(.venv/bin/python -c 'from tests.clock import SWEEP_INSTANTS; print("\n".join(SWEEP_INSTANTS))')
instants+=$'\n'"random:$(.venv/bin/python -c 'import random; print(random.SystemRandom().randrange(10**9))')"
failed=()
while IFS= read -r instant; do
  echo
  echo "=== calendar sweep: --clock=${instant}"
  if ! .venv/bin/pytest -m "not browser and not worker and not contract" -p no:cacheprovider --clock="${instant}"; then
    failed+=("${instant}")
  fi
done <<< "${instants}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "calendar sweep failed at: ${failed[*]} (replay: bash scripts/test.sh -m 'not browser' --clock=INSTANT)"
  exit 1
fi
