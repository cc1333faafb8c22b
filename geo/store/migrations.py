"""Schema migrations with Alembic: an existing database is upgraded in place, never wiped.

Each schema version is one frozen Alembic revision in ``geo/store/alembic/versions/`` (``0001`` is
version 1, …): its DDL is written out as it was at that version and never derived from
:mod:`geo.store.schema`, so an old revision does not change when the schema module does.

* One upgrade runs in one write transaction holding the migration lock: PostgreSQL's
  ``pg_advisory_xact_lock`` (per database and schema), and on SQLite an exclusive ``flock`` on
  ``<database>.migrate.lock`` beside the file. A second process waits, then finds nothing to do.
  A failing revision rolls the whole upgrade back; the database stays at the version it had.
* ``schema_migrations`` keeps the history (version, description, applied at); Alembic's
  ``alembic_version`` says where the database is. A database made before Alembic (only
  ``schema_migrations``, at version N) is stamped at revision N on its next upgrade.
* Migrations never go back (no downgrades): restore the backup taken before an upgrade instead.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa

from geo.errors import Conflict, InputError
from geo.messages import text
from geo.sqlite_urls import file_path, query_pairs

if TYPE_CHECKING:  # Alembic is imported where a migration runs: every command that opens a store
    from alembic.config import Config  # would otherwise pay ~0.2 s for it
    from alembic.script import ScriptDirectory


class WritableDatabase(Protocol):
    """What the migration lock needs of a store: its engine and its write transactions."""

    engine: sa.Engine

    def writing(self) -> AbstractContextManager[sa.Connection]:
        """Yield a connection in a write transaction."""
        ...

SCRIPT_LOCATION = Path(__file__).with_name("alembic")
# One migration at a time per database and schema: a single-bigint advisory lock (a lock space
# apart from the two-int4 keys the audit log's commit sequence takes), held until commit.
_PG_LOCK = ("SELECT pg_advisory_xact_lock(('x' || substr(md5('xincheng.migrate:' || "
            "coalesce(current_schema(), '')), 1, 16))::bit(64)::bigint)")

# The history table's shape as revision 0001 created it (it never changes).
_history = sa.table("schema_migrations", sa.column("version", sa.Integer),
                    sa.column("description", sa.Text),
                    sa.column("applied_at", sa.DateTime(timezone=True)))


def revision_of(version: int) -> str:
    """Return the Alembic revision id of schema ``version`` (``3`` -> ``"0003"``)."""
    return f"{version:04d}"


def version_of(revision: str) -> int:
    """Return the schema version of an Alembic revision id (``"0003"`` -> ``3``)."""
    if not revision.isdigit():
        raise Conflict(text("store.unknown_revision", revision=repr(revision)), field="schema_version")
    return int(revision)


@cache
def scripts() -> ScriptDirectory:
    """Return the frozen revisions (Alembic's script directory inside the package)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(SCRIPT_LOCATION))


def descriptions() -> dict[int, str]:
    """Return what each schema version does, by version (the first line of its revision)."""
    return {version_of(s.revision): s.doc for s in scripts().walk_revisions()}


def _newest_revision_file() -> int:
    """Return the newest schema version from the revision files' names (``0008_….py`` → 8).

    The history is linear and each file is named after its revision, so this equals Alembic's head
    (tests/test_migrations.py checks it) without importing Alembic in every command."""
    names = (SCRIPT_LOCATION / "versions").glob("[0-9][0-9][0-9][0-9]_*.py")
    return max((int(p.name[:4]) for p in names), default=0)


LATEST_VERSION = _newest_revision_file()


def _table_exists(conn: sa.Connection, name: str) -> bool:
    return sa.inspect(conn).has_table(name)


def current_version(conn: sa.Connection) -> int:
    """Return the schema version of the database (0 when it has never been migrated).

    Alembic's ``alembic_version`` says; a database from before Alembic has only
    ``schema_migrations``, and its highest version counts.
    """
    if _table_exists(conn, "alembic_version"):
        heads = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
        if len(heads) > 1:
            raise Conflict(text("store.several_revisions", heads=heads), field="schema_version")
        return version_of(heads[0]) if heads else 0
    if _table_exists(conn, "schema_migrations"):
        return int(conn.execute(sa.select(sa.func.max(_history.c.version))).scalar() or 0)
    return 0


def check_known(version: int) -> None:
    """Refuse a database whose schema is newer than this release knows."""
    if version > LATEST_VERSION:
        raise Conflict(text("store.database_too_new", version=version, latest=LATEST_VERSION),
                       field="schema_version")


@contextmanager
def _file_lock(url: sa.URL) -> Iterator[None]:
    """Hold an exclusive flock on ``<database>.migrate.lock`` beside a SQLite file (the file SQLite opens: a
    ``file:`` URI's own path, ``~`` a folder's name; a database in memory has none)."""
    name = file_path(url.database or "", query_pairs(url.query)) if url.get_backend_name() == "sqlite" else None
    if name is None:
        yield
        return
    path = Path(name).resolve()
    with open(path.with_name(path.name + ".migrate.lock"), "ab") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # waits while another process migrates or restores
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@contextmanager
def exclusive(store: WritableDatabase) -> Iterator[sa.Connection]:
    """Yield a write transaction that holds the migration lock of ``store``'s database.

    Only one process at a time migrates or restores: the others wait here, as long as it takes (on
    PostgreSQL without the sessions' lock_timeout, here and for the tables' locks the migration takes).
    Everything done on the connection commits together when the block ends, or rolls back on an error.
    """
    with _file_lock(store.engine.url), store.writing() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL lock_timeout = 0")
            conn.exec_driver_sql(_PG_LOCK)
        yield conn


def _ensure_postgis(conn: sa.Connection) -> None:
    if conn.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").first() is None:
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")


def _config(conn: sa.Connection, applied: list[int]) -> Config:
    """Alembic's configuration without an alembic.ini: the package's scripts and ``conn``."""

    def on_version_apply(*, ctx: Any, step: Any, heads: Any, run_args: Any) -> None:
        if step.is_stamp or not step.is_upgrade:
            return
        version = version_of(step.up_revision_id)
        ctx.connection.execute(_history.insert().values(
            version=version, description=step.up_revision.doc, applied_at=datetime.now(UTC)))
        applied.append(version)

    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPT_LOCATION))
    cfg.attributes["connection"] = conn
    cfg.attributes["on_version_apply"] = [on_version_apply]
    return cfg


def is_current(conn: sa.Connection, target: int | None = None) -> bool:
    """Return whether the database on ``conn`` is at ``target`` (default latest) or past it, under Alembic."""
    stop = LATEST_VERSION if target is None else target
    have = current_version(conn)
    check_known(have)
    return have >= stop and _table_exists(conn, "alembic_version")


def upgrade(conn: sa.Connection, target: int | None = None) -> list[int]:
    """Upgrade the database on ``conn`` to ``target`` (default latest); return the versions applied.

    ``conn`` must be inside :func:`exclusive`. A database at or past ``target`` is left as it is
    (migrations never go back); a database from before Alembic is first stamped at its version.
    """
    stop = LATEST_VERSION if target is None else target
    if not 0 <= stop <= LATEST_VERSION:
        raise InputError(text("store.no_schema_version", stop=stop, latest=LATEST_VERSION), field="target")
    if conn.dialect.name == "postgresql":
        _ensure_postgis(conn)
    have = current_version(conn)
    check_known(have)
    if have >= stop and _table_exists(conn, "alembic_version"):
        return []  # nothing to do: every command opens the store this way, so Alembic stays unimported
    from alembic import command

    applied: list[int] = []
    cfg = _config(conn, applied)
    if not _table_exists(conn, "alembic_version"):
        if have > 0:
            command.stamp(cfg, revision_of(have))  # made before Alembic: keep its history
        elif _table_exists(conn, "schema_migrations"):
            # An old release created its empty history table, then failed in migration 1.
            conn.exec_driver_sql("DROP TABLE schema_migrations")
    if stop > have:
        command.upgrade(cfg, revision_of(stop))
    return applied
