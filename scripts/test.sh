#!/usr/bin/env bash
# Set up everything on a fresh machine, lint (ruff), type-check (mypy, see [tool.mypy] in pyproject.toml)
# and run the test suite on SQLite and PostGIS; any failure fails the run.
# Extra arguments go to pytest (e.g. `bash scripts/test.sh -m scale` for the scale tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-venv.sh test,postgis
bash scripts/ensure-postgis.sh
bash scripts/ensure-chromium.sh
echo "== ruff check ."
.venv/bin/ruff check .
echo "== mypy (packages in [tool.mypy])"
.venv/bin/mypy
export XINCHENG_TEST_POSTGIS_URL="${XINCHENG_TEST_POSTGIS_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
export XINCHENG_REQUIRE_POSTGIS=1
exec .venv/bin/python -m pytest "$@"
