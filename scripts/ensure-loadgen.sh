#!/usr/bin/env bash
# Install Debian's wrk (an HTTP load generator in C with Lua scripting) when it is missing, for
# benchmarks/bench_lookup.py: the load comes from outside Python, so it never competes with the
# server for the interpreter. Idempotent: a second run only prints the version.
set -euo pipefail
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v wrk >/dev/null 2>&1; then
  echo "ensure-loadgen: installing wrk" >&2
  as_root apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get -o DPkg::Lock::Timeout=600 install -y -qq wrk >/dev/null
fi
wrk --version 2>&1 | head -1 || true
