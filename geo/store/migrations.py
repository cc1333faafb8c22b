"""Versioned schema migrations: an existing database is upgraded in place, never wiped.

Each migration runs in its own transaction together with its ``schema_migrations`` row, so a
failed migration leaves the database at the previous version.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from geo.store import schema
from geo.store.spatial_sql import spatial_index_ddl


@dataclass(frozen=True)
class Migration:
    """One schema step: its number, what it does, and the function that does it."""

    version: int
    description: str
    apply: Callable[[sa.Connection, str], None]


def _create_tables(names: list[str]) -> Callable[[sa.Connection, str], None]:
    def apply(conn: sa.Connection, dialect: str) -> None:
        tables = [schema.metadata.tables[n] for n in names]
        schema.metadata.create_all(conn, tables=tables)
        for name in names:
            if name in schema.SPATIAL_TABLES:
                for ddl in spatial_index_ddl(dialect, name):
                    conn.exec_driver_sql(ddl)

    return apply


def _add_columns(table: str, columns) -> Callable[[sa.Connection, str], None]:
    """Add columns to an existing table, skipping those a fresh create already made."""

    def apply(conn: sa.Connection, dialect: str) -> None:
        with warnings.catch_warnings():  # reflection does not know PostGIS's geometry type; names suffice
            warnings.simplefilter("ignore", sa.exc.SAWarning)
            have = {c["name"] for c in sa.inspect(conn).get_columns(table)}
        for column in columns:
            if column.name in have:
                continue
            ddl = sa.schema.CreateColumn(column).compile(dialect=conn.dialect)
            conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {ddl}")

    return apply


def _steps(*steps: Callable[[sa.Connection, str], None]) -> Callable[[sa.Connection, str], None]:
    def apply(conn: sa.Connection, dialect: str) -> None:
        for step in steps:
            step(conn, dialect)

    return apply


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "core records: units, names, streets, boundaries, facilities, plates, users, audit",
              _create_tables(["admin_units", "place_names", "streets", "boundary_lines",
                              "boundary_markers", "inspection_campaigns", "inspections",
                              "facilities", "door_plates", "linear_features", "graves", "users",
                              "audit_log"])),
    Migration(2, "problem reports from the public; login tokens",
              _create_tables(["problem_reports", "api_tokens"])),
    Migration(3, "gazetteer lifecycle: place-name events, former names, plate reprint queue",
              _steps(_add_columns("place_names", schema.PLACE_NAME_COLUMNS_V3),
                     _create_tables(["place_name_events", "former_names", "plate_reprints"]))),
    Migration(4, "field inspections: photos, conflict flags, joint sign-off",
              _steps(_add_columns("inspections", schema.INSPECTION_COLUMNS_V4),
                     _add_columns("inspection_campaigns", schema.CAMPAIGN_COLUMNS_V4),
                     _create_tables(["inspection_photos", "campaign_signoffs"]))),
    Migration(5, "users carry the districts they act for",
              _add_columns("users", schema.USER_COLUMNS_V5)),
)

LATEST_VERSION = MIGRATIONS[-1].version


def current_version(conn: sa.Connection) -> int:
    """Return the schema version of the database (0 when it has never been migrated)."""
    if not sa.inspect(conn).has_table("schema_migrations"):
        return 0
    value = conn.execute(sa.select(sa.func.max(schema.schema_migrations.c.version))).scalar()
    return int(value or 0)


def pending(conn: sa.Connection, target: int | None = None) -> list[Migration]:
    """Return the migrations not yet applied, up to ``target`` (default: the latest)."""
    have = current_version(conn)
    stop = LATEST_VERSION if target is None else target
    return [m for m in MIGRATIONS if have < m.version <= stop]


def ensure_version_table(conn: sa.Connection) -> None:
    """Create the ``schema_migrations`` table if it does not exist."""
    schema.metadata.create_all(conn, tables=[schema.schema_migrations])


def record(conn: sa.Connection, migration: Migration) -> None:
    """Write the row that marks ``migration`` as applied."""
    conn.execute(schema.schema_migrations.insert().values(
        version=migration.version, description=migration.description,
        applied_at=datetime.now(UTC)))
