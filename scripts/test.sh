#!/usr/bin/env bash
# Set up everything on a fresh machine, lint (ruff), type-check (mypy, see [tool.mypy] in pyproject.toml)
# and run the test suite on SQLite and PostGIS; any failure fails the run.
# Extra arguments go to pytest (e.g. `bash scripts/test.sh -m scale` for the scale tests).
# PostgreSQL test databases are kept in a tablespace in memory (tests/scratch_tablespace.py, README "Test tiers").
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
# The run's temporary files (the shared sample templates among them) in a folder of its own under the checkout's
# .test-tmp: under pytest's default folder a second pytest started meanwhile (a developer's targeted run) may remove
# this run's folder as one of its old ones, and one fixed folder would be emptied by the next run started beside it;
# the tests that need the templates then error. Folders of runs started over a day ago are removed.
mkdir -p .test-tmp
find .test-tmp -mindepth 1 -maxdepth 1 -name 'run*' -mmin +1440 -exec rm -rf {} +
basetemp=$(mktemp -d "$PWD/.test-tmp/run.XXXXXX")
exec .venv/bin/python -m pytest -n "${XINCHENG_TEST_WORKERS:-$workers}" --dist loadgroup --durations=30 \
    --basetemp "$basetemp/pytest" "$@"
