#!/usr/bin/env bash
# Create .venv (if missing) and install the project with the given extras, e.g. "test,postgis".
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
# The versions CI passed with (constraints.txt): a new release of a dependency changes nothing until it is
# taken on purpose (the sample district's digests, for one, depend on numpy's, pandas' and GEOS's arithmetic).
if [ -n "$extras" ]; then
  .venv/bin/python -m pip install --quiet -c constraints.txt -e ".[${extras}]"
else
  .venv/bin/python -m pip install --quiet -c constraints.txt -e .
fi
# Compile the project's own modules now, as pip compiles the packages it installs: a process started with
# PYTHONDONTWRITEBYTECODE (or from a read-only checkout) otherwise compiles geo/, api/ and maps/ from source
# on every start (~0.1-0.15 s of each `xincheng` command). The caches are checked against a hash of the
# source, not its time: a file replaced by one of the same size and time (cp -p, rsync -a, tar) is compiled
# again when it is imported, so a stale cache written here never runs. -f: a cache an earlier setup wrote
# by time is rewritten (compileall would keep it as current).
.venv/bin/python -m compileall -q -f -j 0 --invalidation-mode checked-hash geo api maps
