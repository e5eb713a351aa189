#!/usr/bin/env bash
# Set up (virtualenv, CPU torch, the project) and start Elara on embedded defaults: embedded
# PostgreSQL with pgvector, the demo store, the offline model and TEST MODE payments. When the service
# is ready, the store page with the chat opens in the browser (where there is a screen).
set -euo pipefail
cd "$(dirname "$0")"
./scripts/setup.sh
. .venv/bin/activate
url="http://${ELARA_HOST:-127.0.0.1}:${ELARA_PORT:-8000}/"
echo "Elara is starting on $url (the first start loads the demo store)."
echo "Chat on that page, or in a terminal: .venv/bin/elara chat"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] || [ "$(uname)" = Darwin ]; then
  # open the page once /healthz answers (gives up after five minutes)
  (for _ in $(seq 300); do
     if python -c "import urllib.request as u; u.urlopen('${url}healthz', timeout=1)" 2>/dev/null; then
       python -m webbrowser "$url" >/dev/null 2>&1; break
     fi
     sleep 1
   done) &
fi
exec elara serve "$@"
