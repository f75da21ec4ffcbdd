#!/usr/bin/env bash
# Audit the pinned dependencies (requirements.lock) for known vulnerabilities with pip-audit, when
# its vulnerability service answers with real data; otherwise say so in one line and succeed (a
# machine may reach a package index that installs packages but serves no vulnerability data).
# The probe is a canary: a release with well-known advisories must be reported as vulnerable,
# or the service is taken as unreachable and the audit is skipped rather than falsely passed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
[ -x .venv/bin/python ] && PY=.venv/bin/python
if [ ! -x .venv-audit/bin/pip-audit ]; then
  if ! { "$PY" -m venv .venv-audit && .venv-audit/bin/python -m pip install --quiet pip-audit; } >/dev/null 2>&1; then
    echo "pip-audit skipped: it could not be installed here."
    exit 0
  fi
fi
canary="$(mktemp)"; trap 'rm -f "$canary"' EXIT
echo "jinja2==2.10" > "$canary"   # CVE-2019-10906 and later advisories
out=$(timeout 120 .venv-audit/bin/pip-audit --requirement "$canary" --no-deps --disable-pip --progress-spinner off 2>&1 || true)
if ! grep -qE "(PYSEC|GHSA|CVE)-[0-9A-Za-z-]+" <<<"$out"; then
  echo "pip-audit skipped: its vulnerability service cannot be reached from here (a known advisory was not reported)."
  exit 0
fi
exec .venv-audit/bin/pip-audit --requirement requirements.lock --no-deps --disable-pip --strict --progress-spinner off
