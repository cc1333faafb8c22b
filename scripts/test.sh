#!/usr/bin/env bash
# Set up everything on a fresh machine, lint (ruff), type-check (mypy, see [tool.mypy] in pyproject.toml)
# and run the test suite on SQLite and PostGIS; any failure fails the run.
# Extra arguments go to pytest (e.g. `bash scripts/test.sh -m scale` for the scale tests).
# Tiers (tests/conftest.py): by default store-level and use-case tests run on SQLite and PostGIS, and
# HTTP/page/browser/CLI tests on SQLite only (those marked both_backends on both); the run ends with a line
# counting the PostGIS variants left to the extended tier. `bash scripts/test.sh --all-backends` runs
# everything; `bash scripts/test.sh --all-backends -m extended` runs only the extended tier.
# pytest runs in XINCHENG_TEST_WORKERS processes (pytest-xdist, default one more than the machine has cores:
# many tests wait on a server, Chromium or a subprocess, which a third worker fills: on two cores, runs one
# after the other took 923-971 s with two workers and 789 s with three, though the machine's own pace varies
# as much (975 s with three later that day; README "Test tiers")); tests marked xdist_group(name) run in one
# process, one after another; `XINCHENG_TEST_WORKERS=0` runs everything in one.
# The 30 slowest tests are listed at the end (where the suite's time goes).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-venv.sh test,postgis
bash scripts/ensure-postgis.sh
bash scripts/ensure-chromium.sh
bash scripts/ensure-gdal.sh
echo "== ruff check ."
.venv/bin/ruff check .
echo "== mypy (packages in [tool.mypy])"
.venv/bin/mypy
export XINCHENG_TEST_POSTGIS_URL="${XINCHENG_TEST_POSTGIS_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
export XINCHENG_REQUIRE_POSTGIS=1
# At most 8 by default: with four workers the tests held up to 30 PostgreSQL connections at once (of the
# server's 100).
workers=$(( $(nproc) + 1 )); (( workers > 8 )) && workers=8
# The run's temporary files (the shared sample templates among them) in the checkout's own .test-tmp/run, which
# pytest empties when the next run starts: under pytest's default folder a second pytest started meanwhile (a
# developer's targeted run) may remove this run's folder as one of its old ones, and the tests that need the
# templates then error.
mkdir -p .test-tmp
exec .venv/bin/python -m pytest -n "${XINCHENG_TEST_WORKERS:-$workers}" --dist loadgroup --durations=30 \
    --basetemp "$PWD/.test-tmp/run" "$@"
