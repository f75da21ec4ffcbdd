#!/usr/bin/env bash
# Audit the pinned dependencies (requirements.lock) for known vulnerabilities with pip-audit,
# when its vulnerability service can be reached; offline, say so and succeed (CI here may only
# reach package registries, or a mirror that answers installs but not vulnerability queries).
# The probe asks the service what pip-audit will ask: the vulnerabilities of one pinned release.
# MW_AUDIT_SERVICE overrides the URL probed.
set -euo pipefail
cd "$(dirname "$0")/.."
pin="$(grep -m1 '^httpx==' requirements.lock | cut -d= -f3)"
service="${MW_AUDIT_SERVICE:-https://pypi.org/pypi/httpx/${pin:-0}/json}"
PY="${PYTHON:-python3}"
[ -x .venv/bin/python ] && PY=.venv/bin/python
if ! "$PY" - "$service" <<'PYEOF' >/dev/null 2>&1
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=10) as r:
    assert "vulnerabilities" in json.load(r)
PYEOF
then
  echo "pip-audit skipped: its vulnerability service ($service) cannot be reached from here."
  exit 0
fi
if [ ! -x .venv-audit/bin/pip-audit ]; then
  "$PY" -m venv .venv-audit
  .venv-audit/bin/python -m pip install --quiet pip-audit
fi
exec .venv-audit/bin/pip-audit --requirement requirements.lock --no-deps --disable-pip --strict --progress-spinner off
