#!/usr/bin/env bash
# Set up (virtualenv, CPU torch, the project with its dev tools, Chromium for browser tests) and run
# the whole test suite with lint and type checks. Safe to run again: finished steps are skipped.
set -euo pipefail
cd "$(dirname "$0")"
./scripts/setup.sh --dev
. .venv/bin/activate
ruff check .
mypy elara_bot connectors retrieval
python -m pytest -q "$@"
