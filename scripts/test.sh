#!/usr/bin/env bash
# Set up (if needed) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Lint, format check and type check first (ruff and mypy, scripts/lint.sh): any finding fails the run.
bash scripts/lint.sh
# In parallel (pytest-xdist): one worker per core (MW_TEST_WORKERS=N to choose, 0 for none), each handed one
# test at a time, the slow ones first (tests/conftest.py), so no worker is left with a queue of them at the end.
# The 25 slowest tests are listed at the end, so a run shows where its time went.
exec .venv/bin/python -m pytest -q -n "${MW_TEST_WORKERS:-auto}" --dist load --maxschedchunk 1 --durations=25 "$@"
