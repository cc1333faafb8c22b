"""Backup and restore: every table to one ZIP of JSON Lines with a manifest, the same on SQLite and PostGIS.

The backup reads all tables in one snapshot (a read transaction on SQLite's WAL; REPEATABLE READ
on PostgreSQL), so it is consistent while the service keeps writing. Rows keep their ids, so
audit trails, versions and links survive, and a backup from one backend restores into the other.
A restore runs in one transaction: it lands whole or not at all. The manifest records the schema
version, adcode, row counts and a SHA-256 per table file; a restore checks all of them first.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import shapely
import sqlalchemy as sa

from geo.errors import Conflict, InputError
from geo.store import migrations, schema
from geo.store.store import Store

FORMAT = "xincheng-backup/1"
Progress = Callable[[str], None]


def backed_up_tables() -> list[sa.Table]:
    """Return the tables a backup holds, parents before children (the migrations table is rebuilt)."""
    return [t for t in schema.metadata.sorted_tables if t.name != schema.schema_migrations.name]


def _encode(value: Any) -> Any:
    if isinstance(value, shapely.Geometry):
        return {"$wkb": shapely.to_wkb(value, hex=True)}
    if isinstance(value, datetime):
        return {"$dt": (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    if isinstance(value, bytes | memoryview):
        return {"$b64": base64.b64encode(bytes(value)).decode("ascii")}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        (tag, raw), = value.items()
        if tag == "$wkb":
            return shapely.from_wkb(raw)
        if tag == "$dt":
            return datetime.fromisoformat(raw)
        if tag == "$d":
            return date.fromisoformat(raw)
        if tag == "$b64":
            return base64.b64decode(raw)
    return value


def _rows(conn: sa.Connection, table: sa.Table) -> Iterator[bytes]:
    for row in conn.execute(table.select().order_by(*table.primary_key.columns)).mappings():
        yield (json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False) + "\n").encode("utf-8")


def write_backup(store: Store, path: Path | str, *, progress: Progress | None = None) -> dict[str, Any]:
    """Write every table of ``store`` to ``path`` (a ZIP); return the manifest."""
    version = store.schema_version()
    if version != migrations.LATEST_VERSION:
        raise Conflict(f"the database is at schema version {version}; run xincheng migrate before a backup",
                       field="schema_version")
    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    manifest: dict[str, Any] = {"format": FORMAT, "schema_version": version, "adcode": store.adcode,
                                "backend": store.dialect, "created_at": datetime.now(UTC).isoformat(), "tables": {}}
    with store.engine.connect() as conn, zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        if store.dialect == "postgresql":  # one snapshot for all tables while writers go on
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            for table in backed_up_tables():
                digest, count = hashlib.sha256(), 0
                with zf.open(f"{table.name}.jsonl", "w") as fh:
                    for line in _rows(conn, table):
                        fh.write(line)
                        digest.update(line)
                        count += 1
                manifest["tables"][table.name] = {"rows": count, "sha256": digest.hexdigest()}
                if progress:
                    progress(table.name)
        zf.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
    tmp.replace(path)  # a crash mid-way leaves the .partial file, never a truncated backup under the name
    return manifest


def read_manifest(path: Path | str) -> dict[str, Any]:
    """Return a backup's manifest after checking its format and every table file's row count and hash."""
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputError(f"{path} is not a backup archive: {exc}", field="path") from None
    with zf:
        try:
            manifest = json.loads(zf.read("manifest.json"))
        except KeyError:
            raise InputError(f"{path} has no manifest.json: not a xincheng backup", field="path") from None
        if manifest.get("format") != FORMAT:
            raise InputError(f"{path} is a {manifest.get('format')!r} file; expected {FORMAT}", field="path")
        for name, info in manifest["tables"].items():
            data = zf.read(f"{name}.jsonl")
            if hashlib.sha256(data).hexdigest() != info["sha256"] or data.count(b"\n") != info["rows"]:
                raise InputError(f"{path}: the table {name} does not match its manifest (damaged file)",
                                 field="path")
    return manifest


def _has_rows(store: Store) -> list[str]:
    with store.reading() as conn:
        return [t.name for t in backed_up_tables()
                if conn.execute(sa.select(sa.literal(1)).select_from(t).limit(1)).first() is not None]


def restore_backup(store: Store, path: Path | str, *, replace: bool = False,
                   progress: Progress | None = None) -> dict[str, int]:
    """Load a backup into ``store`` in one transaction; return rows restored per table.

    An empty database is migrated to the backup's schema version, loaded, then migrated to the
    latest. A database holding data is refused unless ``replace`` (then it must be at the
    backup's version, and its rows are replaced in the same transaction).
    """
    manifest = read_manifest(path)
    version = int(manifest["schema_version"])
    if version > migrations.LATEST_VERSION:
        raise Conflict(f"the backup is at schema version {version}, newer than this release "
                       f"({migrations.LATEST_VERSION})", field="schema_version")
    if store.schema_version() < version:
        store.migrate(target=version)
    occupied = _has_rows(store)
    if occupied and not replace:
        raise Conflict(f"the database already holds data ({', '.join(occupied[:3])}…); restore into an empty "
                       "database, or pass --replace", field="replace")
    if store.schema_version() != version:
        raise Conflict(f"the database is at schema version {store.schema_version()} and the backup at {version}; "
                       "restore it into an empty database", field="schema_version")
    tables = [t for t in backed_up_tables() if t.name in manifest["tables"]]
    counts: dict[str, int] = {}
    with zipfile.ZipFile(path) as zf, store.writing() as conn:
        for table in reversed(tables):
            conn.execute(table.delete())
        for table in tables:
            counts[table.name] = _load_table(conn, table, zf.read(f"{table.name}.jsonl"))
            if progress:
                progress(table.name)
        if store.dialect == "postgresql":
            for table in tables:
                conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                     f"COALESCE((SELECT max(id) FROM {table.name}), 0) + 1, false)"))
    store.migrate()
    return counts


def _load_table(conn: sa.Connection, table: sa.Table, data: bytes, batch: int = 2000) -> int:
    rows: list[dict[str, Any]] = []
    count = 0
    for line in io.BytesIO(data):
        rows.append({k: _decode(v) for k, v in json.loads(line).items()})
        if len(rows) >= batch:
            conn.execute(table.insert(), rows)
            count += len(rows)
            rows = []
    if rows:
        conn.execute(table.insert(), rows)
        count += len(rows)
    return count
