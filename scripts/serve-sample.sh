#!/usr/bin/env bash
# Set up on a fresh machine, build the Xincheng sample district into SQLite and serve it in dev mode.
# HOST (default 127.0.0.1) and PORT (default 8000) choose where it listens; the QR codes on the
# plates point there too unless XINCHENG_PUBLIC_BASE_URL is set. With HOST=0.0.0.0 (phones on the
# same network) they point at this machine's network address, found by `xincheng serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -x .venv/bin/xincheng ]] || bash scripts/setup-venv.sh   # pip needs the network once, not on later runs
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
export XINCHENG_DATABASE_URL="${XINCHENG_DATABASE_URL:-sqlite:///var/xincheng.db}"
.venv/bin/xincheng --dev init --if-empty   # run again: upgrades, keeps the data
.venv/bin/xincheng --dev user add-dev-accounts
echo "serving on http://${HOST}:${PORT}  (API docs: /docs)"
exec .venv/bin/xincheng --dev serve --host "$HOST" --port "$PORT"   # prints where the QR codes point
