"""A throw-away tablespace in memory (tmpfs) for the databases one test run creates on PostgreSQL.

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
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import sqlalchemy as sa

MEMORY_FOLDER = Path("/dev/shm")
# At most ~3 workers x (a store copy, a sample copy, the read-only sample) + two templates is ~0.5 GB; room
# for twice that, so a run never fills the machine's memory.
MIN_FREE_BYTES = 1 << 30
ENV_NAME = "XINCHENG_TEST_TABLESPACE"  # set by the process that made it, read by pytest-xdist workers


def _server_owner(conn: sa.Connection) -> tuple[int, int] | None:
    """The (uid, gid) owning the server's data folder, if that folder is on this machine."""
    data_dir = Path(conn.exec_driver_sql("SHOW data_directory").scalar_one())
    if not (data_dir / "PG_VERSION").exists():
        return None
    stat = data_dir.stat()
    return stat.st_uid, stat.st_gid


PREFIX = "xincheng_scratch_"


def _abandoned(name: str) -> bool:
    """Whether the run that made tablespace ``name`` (``PREFIX<pid>_<hex>``, pid on this machine) has ended."""
    pid = name.removeprefix(PREFIX).split("_", 1)[0]
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def make_scratch_tablespace(admin_url: str) -> tuple[str | None, str]:
    """Create a tablespace in ``MEMORY_FOLDER`` for this run's databases; return its name (None when it
    cannot be had here) and why not. A tablespace of a run that ended without dropping its own (killed) is
    dropped first, with its databases: it held memory."""
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            names = conn.exec_driver_sql("SELECT spcname FROM pg_tablespace WHERE starts_with(spcname, %(p)s)",
                                         {"p": PREFIX}).scalars().all()
    finally:
        engine.dispose()
    for left in filter(_abandoned, names):
        drop_scratch_tablespace(admin_url, left)
    if not MEMORY_FOLDER.is_dir():
        return None, f"{MEMORY_FOLDER} does not exist"
    free = shutil.disk_usage(MEMORY_FOLDER).free
    if free < MIN_FREE_BYTES:
        return None, f"{MEMORY_FOLDER} has {free >> 20} MB free, under {MIN_FREE_BYTES >> 20} MB"
    name = f"{PREFIX}{os.getpid()}_{uuid.uuid4().hex[:8]}"
    folder = MEMORY_FOLDER / name
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            owner = _server_owner(conn)
            if owner is None:
                return None, "the PostgreSQL server's data folder is not on this machine"
            if os.geteuid() not in (0, owner[0]):
                return None, "this user can give no folder to the PostgreSQL server's user"
            folder.mkdir(mode=0o700)
            os.chown(folder, *owner)
            try:
                conn.exec_driver_sql(f"CREATE TABLESPACE {name} LOCATION '{folder}'")
            except sa.exc.DBAPIError as error:
                shutil.rmtree(folder, ignore_errors=True)
                return None, f"CREATE TABLESPACE failed: {str(error.orig).strip()}"
    finally:
        engine.dispose()
    return name, ""


def drop_scratch_tablespace(admin_url: str, name: str) -> None:
    """Drop the run's tablespace: first any database still in it (a test that failed before dropping its
    own; nothing but this run puts a database there), then the tablespace and its folder."""
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            left = conn.exec_driver_sql(
                "SELECT d.datname FROM pg_database d JOIN pg_tablespace t ON t.oid = d.dattablespace "
                "WHERE t.spcname = %(name)s", {"name": name}).scalars().all()
            for database in left:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            conn.exec_driver_sql(f"DROP TABLESPACE IF EXISTS {name}")
    finally:
        engine.dispose()
    shutil.rmtree(MEMORY_FOLDER / name, ignore_errors=True)
