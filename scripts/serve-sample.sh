#!/usr/bin/env bash
# Set up on a fresh machine, build the Xincheng sample district into SQLite and serve it in dev mode.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-venv.sh
export XINCHENG_DATABASE_URL="${XINCHENG_DATABASE_URL:-sqlite:///var/xincheng.db}"
.venv/bin/xincheng --dev init
.venv/bin/xincheng --dev user add-dev-accounts
echo "serving on http://127.0.0.1:${PORT:-8000}  (API docs: /docs)"
exec .venv/bin/xincheng --dev serve --host 127.0.0.1 --port "${PORT:-8000}"
