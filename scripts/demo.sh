#!/usr/bin/env bash
# Set up (if needed) and open the wizard on its built-in sandboxes: no account needed.
# Pass --headless to run the whole flow without the TUI.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/migration-wizard demo "$@"
