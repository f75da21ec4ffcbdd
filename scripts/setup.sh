#!/usr/bin/env bash
# Create .venv (Python 3.11+) and install the project with its test and sandbox extras, at the versions pinned in
# requirements.lock (regenerate it with: .venv/bin/pip freeze --exclude-editable > requirements.lock). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  for cand in python3.13 python3.12 python3.11 python3; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      PY="$cand"; break
    fi
  done
fi
if [ -z "$PY" ]; then
  echo "migration-wizard needs Python 3.11 or newer; none was found on PATH (set PYTHON=/path/to/python3.11)." >&2
  exit 2
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.installed-$(cat pyproject.toml requirements.lock | cksum | cut -d' ' -f1)
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip >/dev/null
  # The pinned versions first (requirements.lock), then the project itself, held to those pins.
  .venv/bin/python -m pip install --quiet -r requirements.lock
  .venv/bin/python -m pip install --quiet -c requirements.lock -e '.[test,sandbox,table,otel]'
  rm -f .venv/.installed-*; touch "$stamp"
fi
