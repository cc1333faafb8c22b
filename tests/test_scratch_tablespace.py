"""The test runs' PostgreSQL databases are kept in a tablespace in memory (tests/scratch_tablespace.py): a database a
test gets is there, a run drops only its own databases, a killed run's are dropped by a later run once they are
hours old, and a machine without room says why and runs on the default tablespace."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from geo.store import Store
from tests import scratch_tablespace as scratch
from tests.conftest import _admin_url


def _in_memory_here() -> bool:
    """Whether this machine can hold the tablespace: tmpfs with room, and this process may give it a folder."""
    return (scratch.MEMORY_FOLDER.is_dir() and shutil.disk_usage(scratch.MEMORY_FOLDER).free >= scratch.MIN_FREE_BYTES
            and os.geteuid() == 0)


def _filesystem_of(path: Path) -> str:
    """The type of the file system ``path`` is on (the longest mount point above it in /proc/mounts)."""
    mounts = [line.split() for line in Path("/proc/mounts").read_text().splitlines()]
    best = max((m for m in mounts if str(path).startswith(m[1].rstrip("/") + "/") or str(path) == m[1]),
               key=lambda m: len(m[1]))
    return best[2]


@pytest.fixture
def admin() -> Iterator[sa.Connection]:
    if not _in_memory_here():
        pytest.skip("no tablespace in memory on this machine (not root, or /dev/shm without room)")
    engine = sa.create_engine(_admin_url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        yield conn
    engine.dispose()


@pytest.mark.parametrize("database_url", ["postgis"], indirect=True)
def test_a_database_a_test_gets_is_in_the_tablespace_in_memory(store: Store, admin: sa.Connection):
    with store.reading() as conn:
        database = conn.exec_driver_sql("SELECT current_database()").scalar_one()
    space, location = admin.exec_driver_sql(
        "SELECT t.spcname, pg_tablespace_location(t.oid) FROM pg_database d JOIN pg_tablespace t "
        "ON t.oid = d.dattablespace WHERE d.datname = %(d)s", {"d": database}).one()
    assert space == scratch.NAME
    assert _filesystem_of(Path(location)) == "tmpfs", location


def _database_in_tablespace(admin: sa.Connection, name: str) -> int:
    admin.exec_driver_sql(f"CREATE DATABASE {name} TABLESPACE {scratch.NAME}")
    return admin.exec_driver_sql("SELECT oid FROM pg_database WHERE datname = %(n)s", {"n": name}).scalar_one()


def _exists(admin: sa.Connection, name: str) -> bool:
    return admin.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %(n)s", {"n": name}).first() is not None


def test_a_killed_runs_databases_are_dropped_once_hours_old_and_a_live_runs_are_kept(admin: sa.Connection):
    old, live = (f"xincheng_copy_{uuid.uuid4().hex[:10]}_{uuid.uuid4().hex[:8]}" for _ in range(2))
    try:
        oid = _database_in_tablespace(admin, old)
        _database_in_tablespace(admin, live)
        location = admin.exec_driver_sql("SELECT pg_tablespace_location(oid) FROM pg_tablespace "
                                         "WHERE spcname = %(n)s", {"n": scratch.NAME}).scalar_one()
        folders = list(Path(location).glob(f"PG_*/{oid}"))
        assert folders
        hours_ago = time.time() - scratch.ABANDONED_AFTER_S - 600
        for folder in folders:
            os.utime(folder, (hours_ago, hours_ago))
        assert scratch.make_scratch_tablespace(_admin_url()) == (scratch.NAME, "")  # as the next run starts
        assert not _exists(admin, old)
        assert _exists(admin, live)
    finally:
        for name in (old, live):
            admin.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_a_run_drops_its_own_databases_and_no_other_runs(admin: sa.Connection, monkeypatch):
    ended, other = uuid.uuid4().hex[:10], uuid.uuid4().hex[:10]
    mine, theirs = f"xincheng_copy_{ended}_{uuid.uuid4().hex[:8]}", f"xincheng_copy_{other}_{uuid.uuid4().hex[:8]}"
    try:
        _database_in_tablespace(admin, mine)
        _database_in_tablespace(admin, theirs)
        monkeypatch.setenv(scratch.ENV_RUN, ended)  # as the run ``ended`` finishes
        assert scratch.drop_run_databases(_admin_url()) == [mine]
        assert not _exists(admin, mine)
        assert _exists(admin, theirs)
    finally:
        for name in (mine, theirs):
            admin.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_without_room_in_memory_the_run_says_why_and_uses_the_default_tablespace(monkeypatch):
    monkeypatch.setattr(scratch, "MIN_FREE_BYTES", 1 << 62)
    name, why_not = scratch.make_scratch_tablespace(_admin_url())
    assert name is None
    assert "/dev/shm has" in why_not and "MB free, under" in why_not
