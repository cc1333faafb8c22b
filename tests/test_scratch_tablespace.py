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


def test_a_user_that_may_not_make_the_folder_drops_nothing_and_says_why(admin: sa.Connection, monkeypatch):
    """Such a user cannot list the tablespace's folder (mode 0700): it must not take a live tablespace for one whose
    folder is gone and drop every run's databases (a review saw it do so)."""
    live = f"xincheng_copy_{uuid.uuid4().hex[:10]}_{uuid.uuid4().hex[:8]}"
    try:
        _database_in_tablespace(admin, live)
        monkeypatch.setattr(scratch.os, "geteuid", lambda: 65534)
        monkeypatch.setattr(scratch.Path, "glob", lambda self, pattern: iter(()))  # what that user sees in it
        name, why_not = scratch.make_scratch_tablespace(_admin_url())
        assert name is None and "this user may not give a folder" in why_not
        assert _exists(admin, live)
        assert admin.exec_driver_sql("SELECT 1 FROM pg_tablespace WHERE spcname = %(n)s",
                                     {"n": scratch.NAME}).first() is not None
    finally:
        admin.exec_driver_sql(f"DROP DATABASE IF EXISTS {live} WITH (FORCE)")


def test_a_killed_runs_databases_are_dropped_even_when_memory_is_short(admin: sa.Connection, monkeypatch):
    """Leftovers of killed runs take memory: they are dropped before the room is judged, not kept for ever by it."""
    old = f"xincheng_copy_{uuid.uuid4().hex[:10]}_{uuid.uuid4().hex[:8]}"
    try:
        oid = _database_in_tablespace(admin, old)
        location = admin.exec_driver_sql("SELECT pg_tablespace_location(oid) FROM pg_tablespace "
                                         "WHERE spcname = %(n)s", {"n": scratch.NAME}).scalar_one()
        hours_ago = time.time() - scratch.ABANDONED_AFTER_S - 600
        for folder in Path(location).glob(f"PG_*/{oid}"):
            os.utime(folder, (hours_ago, hours_ago))
        monkeypatch.setattr(scratch, "MIN_FREE_BYTES", 1 << 62)
        assert scratch.make_scratch_tablespace(_admin_url())[0] is None
        assert not _exists(admin, old)
    finally:
        admin.exec_driver_sql(f"DROP DATABASE IF EXISTS {old} WITH (FORCE)")


def test_a_run_token_of_another_form_is_replaced(monkeypatch):
    for odd in ("", "ABCDEF0123", "a-b", "0123456789abcdef"):
        monkeypatch.setenv(scratch.ENV_RUN, odd)
        token = scratch.run_token()
        assert token != odd and len(token) == 10 and int(token, 16) >= 0
    monkeypatch.setenv(scratch.ENV_RUN, "0123456789")
    assert scratch.run_token() == "0123456789"


_SERVER_GONE_PLUGIN = '''
import json
import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session):
    """In the controller, before the run's own clean-up: the template it would drop is on a server gone away."""
    if hasattr(session.config, "workeroutput"):
        return
    folder = session.config._tmp_path_factory.getbasetemp() / "sample_templates"
    folder.mkdir(exist_ok=True)
    (folder / "sample-postgis.json").write_text(json.dumps(
        {"backend": "postgis", "source": "xincheng_gone", "admin_url": "postgresql+psycopg://postgres@127.0.0.1:1/x"}))
'''


def test_a_server_gone_when_a_run_ends_is_said_after_the_summary_not_a_traceback(tmp_path: Path):
    """With pytest-xdist (the default run), the controller's clean-up meeting a server gone away used to end the run
    with a traceback in place of its summary, and exit 1 though every test passed."""
    import subprocess
    import sys

    (tmp_path / "servergone.py").write_text(_SERVER_GONE_PLUGIN)
    (tmp_path / "test_one.py").write_text("def test_one():\n    assert True\n")
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(root)])}
    env.pop("PYTEST_XDIST_WORKER", None)
    done = subprocess.run([sys.executable, "-m", "pytest", "-n", "1", "-p", "servergone", "-p", "tests.conftest",
                           "-p", "no:cacheprovider", "--basetemp", str(tmp_path / "run"), "--rootdir", str(root),
                           "-c", str(root / "pyproject.toml"), str(tmp_path / "test_one.py")],
                          cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "1 passed" in out and "this run's databases were not dropped" in out, out
    assert "Traceback" not in out and "INTERNALERROR" not in out, out
