#!/usr/bin/env bash
# Set up (virtualenv, CPU torch, the project) and start Elara on embedded defaults: embedded
# PostgreSQL with pgvector, the demo store, the offline model and TEST MODE payments.
set -euo pipefail
cd "$(dirname "$0")"
./scripts/setup.sh
. .venv/bin/activate
echo "Elara is starting on http://${ELARA_HOST:-127.0.0.1}:${ELARA_PORT:-8000}/ (first start loads the demo store)"
exec elara serve "$@"
