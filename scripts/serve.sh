#!/usr/bin/env bash
# The main job: set up (idempotent), then serve the local cluster on 127.0.0.1:8000.
# Extra arguments go to `ifz serve` (e.g. --port 9000, --profile gpu, --set llm.num_cpus=2).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1
exec .venv/bin/ifz serve "$@"
