"""A tablespace in memory (tmpfs) for the databases the test runs create on PostgreSQL.

Why: the suite creates and drops a database for most PostGIS tests (a copy of a template, ~540-730
relations, each one or more files). On this machine's ext4 every such file costs the server an inode
search that skips every inode freed in the last minutes (``ext4_create`` -> ``find_inode_bit`` ->
``recently_deleted``, ~80 % of the copy's CPU in ``perf``): the churn of earlier copies made a copy of the
migrated template cost 0.08 s on a fresh disk and ~0.55-0.75 s of server CPU a few hundred copies later.
On tmpfs the same copy took 0.05-0.07 s throughout.

The tablespace is the server's own storage, just placed in memory: every query, lock and PostGIS function
is the same. It is used only when the server runs on this machine (its data folder is here), this process
may give a folder to the server's user, and /dev/shm has room (``MIN_FREE_BYTES``); otherwise the run uses
the default tablespace, as before, and says why at the end.

One tablespace, ``NAME``, serves every run on the server, and no run drops it: a read replica of the server
(tests/replica_cluster.py) copies the tablespaces that exist when it is made into folders of its own, but a
tablespace created later would be replayed on it at the primary's own folder, two servers writing one file.
Each run names its databases with a token of its own (``run_token``) and drops those left at its end; a
database in the tablespace that no run has touched for ``ABANDONED_AFTER_S`` (its run was killed) is dropped
by the next run, judged by its folder's time, not by a process id that another machine or namespace could hold.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

NAME = "xincheng_test_scratch"
MEMORY_FOLDER = Path("/dev/shm")
# A default run (three workers) held at most 0.71 GB there (sampled every 10 s); eight workers hold more.
MIN_FREE_BYTES = 2 << 30
ABANDONED_AFTER_S = 6 * 3600  # a run takes well under an hour
ENV_NAME = "XINCHENG_TEST_TABLESPACE"  # set by the process that starts a run, read by its pytest-xdist workers
ENV_RUN = "XINCHENG_TEST_RUN"          # the run's token, in the name of every database it creates
_LOCK = 727_271_801                    # the advisory lock making and cleaning the tablespace


def run_token() -> str:
    """This run's token (made by the process that starts it, inherited by its workers): ten hex digits, made
    here (a value of another form, set by hand, is replaced: it must fit a database name as it is)."""
    if not re.fullmatch(r"[0-9a-f]{10}", os.environ.get(ENV_RUN, "")):
        os.environ[ENV_RUN] = uuid.uuid4().hex[:10]
    return os.environ[ENV_RUN]


def _server_owner(conn: sa.Connection) -> tuple[int, int] | None:
    """The (uid, gid) owning the server's data folder, if that folder is on this machine. The folder itself
    is the server's alone (mode 0700); its own entry can be read by anyone who may enter its parent."""
    data_dir = Path(conn.exec_driver_sql("SHOW data_directory").scalar_one())
    try:
        stat = data_dir.stat()
    except OSError:
        return None
    return (stat.st_uid, stat.st_gid) if data_dir.is_dir() else None


def _location(conn: sa.Connection) -> str | None:
    return conn.exec_driver_sql("SELECT pg_tablespace_location(oid) FROM pg_tablespace WHERE spcname = %(n)s",
                                {"n": NAME}).scalar()


def make_scratch_tablespace(admin_url: str) -> tuple[str | None, str]:
    """Return the tablespace in ``MEMORY_FOLDER`` for this run's databases, made if the server has none
    (None when it cannot be had here), and why not; drop the databases of runs that were killed.

    Nothing is dropped or made unless this process may see and make the tablespace's folder (root or the server's
    own user): another user cannot list the folder and would take a live tablespace for one whose folder is gone.
    """
    if not MEMORY_FOLDER.is_dir():
        return None, f"{MEMORY_FOLDER} does not exist"
    folder = MEMORY_FOLDER / NAME
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            owner = _server_owner(conn)
            if owner is None:
                return None, "the PostgreSQL server's data folder is not on this machine"
            if os.geteuid() not in (0, owner[0]):
                return None, ("this user may not give a folder to the PostgreSQL server's user "
                              "(run as root or as that user)")
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({_LOCK})")  # one run at a time makes or cleans it
            try:
                location = _location(conn)
                if location is not None and not any(Path(location).glob("PG_*")):
                    # its folder is gone (the machine restarted): so are its databases; make it again
                    _drop_databases(conn, every=True)
                    conn.exec_driver_sql(f"DROP TABLESPACE {NAME}")
                    location = None
                if location is not None:
                    _drop_databases(conn, every=False)  # before the room is judged: they took some of it
                free = shutil.disk_usage(MEMORY_FOLDER).free
                if free < MIN_FREE_BYTES:  # at every run's start: the memory the tablespace takes is the machine's
                    return None, f"{MEMORY_FOLDER} has {free >> 20} MB free, under {MIN_FREE_BYTES >> 20} MB"
                if location is None and (why_not := _create(conn, folder, owner)):
                    return None, why_not
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({_LOCK})")
    finally:
        engine.dispose()
    return NAME, ""


def _create(conn: sa.Connection, folder: Path, owner: tuple[int, int]) -> str:
    """Make the tablespace in ``folder``; return why not, or ''."""
    shutil.rmtree(folder, ignore_errors=True)  # no tablespace uses it: a leftover of a server made anew
    folder.mkdir(mode=0o700)
    os.chown(folder, *owner)
    try:
        conn.exec_driver_sql(f"CREATE TABLESPACE {NAME} LOCATION '{folder}'")
    except sa.exc.DBAPIError as error:
        shutil.rmtree(folder, ignore_errors=True)
        return f"CREATE TABLESPACE failed: {str(error.orig).strip()}"
    return ""


def _databases(conn: sa.Connection) -> list[tuple[str, int]]:
    """(name, oid) of every database in the tablespace."""
    return [(name, oid) for name, oid in conn.exec_driver_sql(
        "SELECT d.datname, d.oid FROM pg_database d JOIN pg_tablespace t ON t.oid = d.dattablespace "
        "WHERE t.spcname = %(n)s", {"n": NAME})]


def _last_touched_s(location: str, oid: int) -> float:
    """When the database's folder in the tablespace last changed: a file made or removed in it (a file that only
    grows, or a read, does not change the folder's time, so a template read for hours looks untouched)."""
    folders = list(Path(location).glob(f"PG_*/{oid}"))
    times = [folder.stat().st_mtime for folder in folders if folder.exists()]
    return max(times, default=0.0)


def _drop_databases(conn: sa.Connection, *, every: bool, token: str | None = None) -> list[str]:
    """Drop this run's databases (``token``), or those of runs that ended long ago, or ``every`` one."""
    location = _location(conn) or ""
    now, dropped = time.time(), []
    for name, oid in _databases(conn):
        mine = token is not None and f"_{token}_" in name
        old = token is None and now - _last_touched_s(location, oid) > ABANDONED_AFTER_S
        if every or mine or old:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            dropped.append(name)
    return dropped


def drop_run_databases(admin_url: str) -> list[str]:
    """At a run's end: drop the databases this run left in the tablespace (a test that failed before dropping
    its own); the tablespace stays for the next run. Return their names."""
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            return _drop_databases(conn, every=False, token=run_token())
    finally:
        engine.dispose()
