#!/usr/bin/env bash
# Make sure PostgreSQL with PostGIS answers on 127.0.0.1:5432 for user postgres without a password.
# Installs Debian's postgresql-15 and postgresql-15-postgis-3 when missing, creates and starts the
# cluster, and (on a fresh install only) allows trust login from 127.0.0.1 for the test suite.
set -euo pipefail
PG_MAJOR="${PG_MAJOR:-15}"
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
updated=0
apt_install() {
  if [ "$updated" = 0 ]; then as_root apt-get -o DPkg::Lock::Timeout=600 update -qq; updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$@" >/dev/null
}
ready() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
can_login() { psql -h 127.0.0.1 -U postgres -d postgres -Atqc "select 1" >/dev/null 2>&1; }

if ! ready; then
  if [ ! -x "/usr/lib/postgresql/${PG_MAJOR}/bin/postgres" ]; then
    echo "ensure-postgis: installing postgresql-${PG_MAJOR}" >&2
    apt_install "postgresql-${PG_MAJOR}" "postgresql-client-${PG_MAJOR}"
  fi
  if ! pg_lsclusters -h 2>/dev/null | grep -q "^${PG_MAJOR} *main"; then
    as_root pg_createcluster "${PG_MAJOR}" main >/dev/null
  fi
  as_root pg_ctlcluster --skip-systemctl-redirect "${PG_MAJOR}" main start || true
  for _ in $(seq 1 60); do ready && break; sleep 0.5; done
  ready || { echo "ensure-postgis: PostgreSQL did not start" >&2; exit 1; }
fi
if ! can_login; then
  hba=$(as_root su postgres -c "psql -Atqc 'show hba_file'")
  echo "ensure-postgis: allowing trust login from 127.0.0.1 in ${hba} (test machines only)" >&2
  as_root sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
  as_root su postgres -c "psql -Atqc 'select pg_reload_conf()'" >/dev/null
  sleep 1
  can_login || { echo "ensure-postgis: cannot log in as postgres on 127.0.0.1" >&2; exit 1; }
fi
server_major=$(psql -h 127.0.0.1 -U postgres -d postgres -Atqc "show server_version_num" | cut -c1-2)
# A database partitioned by district (migration 0014) holds a partition per district of ~35 tables:
# a statement the planner cannot prune locks every partition and its indexes, so a region of 100
# districts needs far more than PostgreSQL's 64 locks per transaction (DEPLOYMENT.md, the primary).
locks=$(psql -h 127.0.0.1 -U postgres -d postgres -Atqc "show max_locks_per_transaction")
if [ "$locks" -lt 1024 ]; then
  echo "ensure-postgis: max_locks_per_transaction ${locks} -> 1024 (partitions per district); restarting" >&2
  psql -h 127.0.0.1 -U postgres -d postgres -Atqc "ALTER SYSTEM SET max_locks_per_transaction = 1024" >/dev/null
  as_root pg_ctlcluster --skip-systemctl-redirect "${server_major}" main restart
  for _ in $(seq 1 60); do ready && break; sleep 0.5; done
  ready || { echo "ensure-postgis: PostgreSQL did not come back after the restart" >&2; exit 1; }
fi
if [ -z "$(psql -h 127.0.0.1 -U postgres -d postgres -Atqc "select 1 from pg_available_extensions where name = 'postgis'")" ]; then
  echo "ensure-postgis: installing postgresql-${server_major}-postgis-3" >&2
  apt_install "postgresql-${server_major}-postgis-3"
fi
psql -h 127.0.0.1 -U postgres -d postgres -Atqc \
  "select 'PostGIS ' || default_version || ' available on PostgreSQL ' || current_setting('server_version') from pg_available_extensions where name = 'postgis'"
