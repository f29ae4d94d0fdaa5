#!/usr/bin/env bash
# The test suite: set up (idempotent), lint, then unit, integration and e2e tests.
# Extra arguments go to pytest (e.g. tests/unit, -k stream, -m slow).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1
printf '\n==> ruff\n'
.venv/bin/ruff check serve deployments ops tests loadtest
printf '\n==> pytest\n'
set +e
.venv/bin/python -m pytest -ra "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi
exit "$rc"
