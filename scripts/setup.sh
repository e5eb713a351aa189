#!/usr/bin/env bash
# Create .venv and install Elara. torch is pinned to the CPU build first: a plain `pip install torch`
# elsewhere pulls several GB of CUDA packages. Off these machines, the CPU build comes from
#   pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
# (set TORCH_INDEX_URL to that to have this script use it).
set -euo pipefail
cd "$(dirname "$0")/.."
# axe-core for the accessibility tests (tests/browser/test_accessibility.py), from npm at this version, into
# .cache/npm (ignored by git); --dev installs it, and npm itself with apt-get when it is missing
AXE_CORE_VERSION=4.14.1
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
. .venv/bin/activate
python -m pip install -q --upgrade pip >/dev/null
if ! python -c "import torch" 2>/dev/null; then
  if [ -n "${TORCH_INDEX_URL:-}" ]; then
    pip install -q torch==2.13.0 --index-url "$TORCH_INDEX_URL"
  else
    pip install -q torch==2.13.0
  fi
fi
if [ "${1:-}" = "--dev" ]; then
  pip install -q -e ".[dev]"
  if ! command -v chromium >/dev/null 2>&1 && [ -x "$(command -v apt-get)" ] && [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "warning: could not install chromium; browser tests will be skipped" >&2
  fi
  if ! command -v npm >/dev/null 2>&1 && [ -x "$(command -v apt-get)" ] && [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null) \
      || echo "warning: could not install npm" >&2
  fi
  AXE_DIR=.cache/npm/node_modules/axe-core
  installed=$(node -p "require('./$AXE_DIR/package.json').version" 2>/dev/null || true)
  if [ "$installed" != "$AXE_CORE_VERSION" ]; then
    if command -v npm >/dev/null 2>&1; then
      mkdir -p .cache/npm
      npm install --prefix .cache/npm --no-save --no-package-lock --no-audit --no-fund --ignore-scripts \
        --loglevel=error "axe-core@$AXE_CORE_VERSION" >/dev/null \
        || echo "warning: npm could not install axe-core; the accessibility tests will fail" >&2
    else
      echo "warning: npm is missing, so axe-core is not installed; the accessibility tests will fail" >&2
    fi
  fi
else
  pip install -q -e .
fi
