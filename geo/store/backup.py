"""Backup and restore: every table to one ZIP of JSON Lines with a manifest, on SQLite and PostGIS.

The backup reads all tables in one snapshot (a read transaction on SQLite's WAL; REPEATABLE READ
on PostgreSQL), so it is consistent while the service keeps writing. Rows keep their ids, so
audit trails, versions and links survive, and a backup from one backend restores into the other.
The manifest records the schema version, adcode, row counts and a SHA-256 per table file.

A restore checks everything before it changes anything: the archive (format, hashes, row counts,
every line a record of a known table), the versions (the backup's is one this release knows, the
database is not newer than the backup) and that the database holds no data (or ``--replace``). A
refused restore leaves the database exactly as it was. Then one transaction under the migration
lock migrates the database to the backup's version, loads the rows and migrates to the latest: the
restore lands whole or not at all.

Codes are never handed out twice (地名代码, unit codes, address and sign ids). Replacing a database
with an older backup would roll back what was issued after it, so:

- a restore is refused (naming what would be lost: the sync batches sent to the national database, or
  acknowledged by it, that the backup lacks, and how many codes were issued after the backup) unless
  ``accept_older`` (``xincheng restore --accept-older``): those batches are on record nationally;
- whatever the flag, every ``code_counters`` row after the restore is at least the one of the database
  being replaced (the larger of the two per scheme and prefix), so a code issued before the restore is
  never issued again, even though its record is gone.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import itertools
import json
import math
import time
import warnings
import zipfile
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import shapely
import sqlalchemy as sa

from geo.errors import Conflict, InputError
from geo.layers import NEIGHBOUR_STATUS
from geo.messages import Term, as_term, beijing_time, has_beijing_time, text
from geo.store import migrations, schema
from geo.store.bulk import load_rows
from geo.store.partitions import add_district_partitions, partition_districts_in_default
from geo.store.spatial_sql import ENVELOPE_COLUMNS, Geometry, envelopes
from geo.store.store import Store

FORMAT = "xincheng-backup/1"
Progress = Callable[[str], None]


def backed_up_tables() -> list[sa.Table]:
    """Return the tables a backup holds, parents before children (not the migration history, nor the
    tables derived from the records: :data:`schema.DERIVED_TABLES`)."""
    return [t for t in schema.metadata.sorted_tables
            if t.name != schema.schema_migrations.name and t.name not in schema.DERIVED_TABLES]


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
            return base64.b64decode(raw, validate=True)
    return value


def _rows(conn: sa.Connection, table: sa.Table) -> Iterator[bytes]:
    for row in conn.execute(table.select().order_by(*table.primary_key.columns)).mappings():
        line = json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False) + "\n"
        yield line.encode("utf-8")


def write_backup(store: Store, path: Path | str, *,
                 progress: Progress | None = None) -> dict[str, Any]:
    """Write every table of ``store`` to ``path`` (a ZIP); return the manifest."""
    version = store.schema_version()
    if version != migrations.LATEST_VERSION:
        raise Conflict(text("store.backup_not_latest", version=version), field="schema_version")
    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    manifest: dict[str, Any] = {"format": FORMAT, "schema_version": version,
                                "adcode": store.adcode, "backend": store.dialect,
                                "created_at": datetime.now(UTC).isoformat(), "tables": {}}
    with (store.engine.connect() as conn,
          zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf):
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
    tmp.replace(path)  # a crash mid-way leaves the .partial file, never a truncated backup
    return manifest


def _refuse_archive(path: Path | str, key: str, **params: Any) -> InputError:
    """Return the refusal of an archive that is not a sound backup, naming the file first."""
    return InputError(text("store.archive", path=path, problem=as_term(text(key, **params))), field="path")


def read_manifest(path: Path | str) -> dict[str, Any]:
    """Return a backup's manifest after checking the whole archive; nothing is written.

    The format, that every table is one this release knows, each table file's row count and
    SHA-256, and that every line is a JSON record whose fields are columns of its table.
    """
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise _refuse_archive(path, "store.archive_not_zip", detail=exc) from None
    known = {t.name: t for t in backed_up_tables()}
    with zf:
        try:
            manifest = json.loads(zf.read("manifest.json"))
        except KeyError:
            raise _refuse_archive(path, "store.archive_no_manifest") from None
        except (ValueError, zipfile.BadZipFile, OSError) as exc:
            raise _refuse_archive(path, "store.archive_bad_manifest", detail=exc) from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            found = manifest.get("format") if isinstance(manifest, dict) else None
            raise _refuse_archive(path, "store.archive_format", found=repr(found), expected=FORMAT)
        version, tables = manifest.get("schema_version"), manifest.get("tables")
        if type(version) is not int or version < 1 or not isinstance(tables, dict) or not tables:
            raise _refuse_archive(path, "store.archive_manifest_incomplete")
        for name, info in tables.items():
            if name not in known:
                raise _refuse_archive(path, "store.archive_unknown_table", name=repr(name))
            try:
                data = zf.read(f"{name}.jsonl")
            except (KeyError, zipfile.BadZipFile, OSError):
                data = None
            if (data is None or not isinstance(info, dict)
                    or hashlib.sha256(data).hexdigest() != info.get("sha256")
                    or data.count(b"\n") != info.get("rows") or not (data == b"" or data.endswith(b"\n"))):
                raise _refuse_archive(path, "store.archive_table_damaged", name=name)
            _check_lines(path, known[name], data)
    return manifest


def _check_lines(path: Path | str, table: sa.Table, data: bytes) -> None:
    columns = set(table.columns.keys())
    for number, line in enumerate(io.BytesIO(data), start=1):
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):  # not JSON, or nested deeper than any record
            record = None
        if not isinstance(record, dict) or not record.keys() <= columns:
            raise _refuse_archive(path, "store.archive_bad_line", name=table.name, number=number)


def _has_rows(conn: sa.Connection) -> list[str]:
    present = set(sa.inspect(conn).get_table_names())
    return [t.name for t in backed_up_tables() if t.name in present
            and conn.execute(sa.select(sa.literal(1)).select_from(t).limit(1)).first() is not None]


def _check_target(conn: sa.Connection, backup_version: int, replace: bool) -> None:
    """Refuse a database the backup cannot go into (read only: nothing is changed here)."""
    have = migrations.current_version(conn)
    migrations.check_known(have)
    if have > backup_version:
        raise Conflict(text("store.restore_newer_database", have=have, backup=backup_version),
                       field="schema_version")
    occupied = _has_rows(conn)
    if occupied and not replace:
        shown = ", ".join(occupied[:3]) + ("…" if len(occupied) > 3 else "")
        raise Conflict(text("store.restore_not_empty", shown=shown), field="replace")


def _check_districts_fit(conn: sa.Connection, units: Sequence[dict[str, Any]]) -> None:
    """Refuse a backup of several districts (their own outlines, not neighbours') into SQLite, which holds one."""
    if conn.dialect.name != "sqlite":
        return
    held = sorted({str(u["adcode"]) for u in units
                   if u.get("code") == f"{u.get('adcode')}000000" and u.get("status") != NEIGHBOUR_STATUS})
    if len(held) > 1:
        raise InputError(text("store.restore_many_into_sqlite", count=len(held), districts="、".join(held[:10])),
                         field="database_url")


Counters = dict[tuple[str, str, str], tuple[int, str]]  # (scheme, prefix, adcode) -> (last serial, adcode)


def _counters(conn: sa.Connection) -> Counters:
    """Return the database's code counters: (scheme, prefix, adcode) → (last serial, adcode), each district's
    own row (revision 0014); none before the table exists (a database at an older schema version)."""
    if schema.code_counters.name not in set(sa.inspect(conn).get_table_names()):
        return {}
    c = schema.code_counters
    return {(str(r.scheme), str(r.prefix), str(r.adcode)): (int(r.last_serial or 0), str(r.adcode))
            for r in conn.execute(sa.select(c.c.scheme, c.c.prefix, c.c.last_serial, c.c.adcode)
                                  .with_for_update())}  # PostgreSQL: none is taken meanwhile


def _backup_rows(zf: zipfile.ZipFile, manifest: dict[str, Any], table: sa.Table) -> list[dict[str, Any]]:
    """Return a table's rows in the backup (none when the backup's version has no such table)."""
    if table.name not in manifest["tables"]:
        return []
    return [{k: _decode(v) for k, v in json.loads(line).items()}
            for line in io.BytesIO(zf.read(f"{table.name}.jsonl"))]


def _sent_batches(conn: sa.Connection) -> list[dict[str, Any]]:
    """Return the database's sync batches recorded as sent (or acknowledged), oldest first."""
    t = schema.sync_batches
    if t.name not in set(sa.inspect(conn).get_table_names()):
        return []
    return [dict(r) for r in conn.execute(
        sa.select(t.c.year, t.c.batch_no, t.c.checksum_sha256, t.c.sent_at, t.c.acknowledged_at, t.c.ack_ref)
        .where(t.c.sent_at.is_not(None)).order_by(t.c.year, t.c.batch_no)).mappings()]


def lost_batches(current: Sequence[dict[str, Any]], backup: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the ``current`` sent batches the backup lacks: no batch of the same year, number and file
    recorded as sent there (and acknowledged, when it is acknowledged here)."""
    kept = {(int(b["year"]), int(b["batch_no"]), b.get("checksum_sha256")): b for b in backup if b.get("sent_at")}
    lost = []
    for batch in current:
        there = kept.get((int(batch["year"]), int(batch["batch_no"]), batch.get("checksum_sha256")))
        if there is None or (batch.get("acknowledged_at") and not there.get("acknowledged_at")):
            lost.append(batch)
    return lost


def codes_issued_after(current: Counters, backup: Counters) -> int:
    """Return how many codes the counters issued after the backup (serials above the backup's, summed)."""
    return sum(max(0, last - backup.get(key, (0, ""))[0]) for key, (last, _adcode) in current.items())


def _refuse_older(lost: Sequence[dict[str, Any]], issued: int) -> InputError:
    """Return the refusal of a backup older than the sync batches sent, naming them and the codes issued."""
    named = [as_term(text("store.restore_lost_batch", year=int(b["year"]), no=int(b["batch_no"]), state=as_term(
        text("store.restore_acknowledged", at=as_term(beijing_time(b["acknowledged_at"])), ref=b.get("ack_ref") or "")
        if b.get("acknowledged_at") else text("store.restore_sent", at=as_term(beijing_time(b["sent_at"]))))))
             for b in lost]
    shown = Term("、".join(named), "; ".join(t.en for t in named))
    return InputError(text("store.restore_older_backup", batches=shown, count=len(lost), codes=issued),
                      field="accept_older")


def _keep_counters(conn: sa.Connection, before: Counters) -> None:
    """Raise each restored counter to the one of the replaced database where that was higher (and add the
    ones the backup lacks): a code issued before the restore is never issued again."""
    c = schema.code_counters
    now = datetime.now(UTC)
    restored = _counters(conn)
    for key, (last, adcode) in sorted(before.items()):
        scheme, prefix, _ = key
        if key not in restored:
            conn.execute(c.insert().values(scheme=scheme, prefix=prefix, last_serial=last, adcode=adcode,
                                           version=1, created_at=now, updated_at=now))
        elif restored[key][0] < last:
            conn.execute(c.update().where(c.c.scheme == scheme, c.c.prefix == prefix, c.c.adcode == adcode)
                         .values(last_serial=last, version=c.c.version + 1, updated_at=now))


def restore_backup(store: Store, path: Path | str, *, replace: bool = False, accept_older: bool = False,
                   progress: Progress | None = None,
                   checks: Sequence[Callable[[sa.Connection], None]] = (), actor: str = "restore") -> dict[str, int]:
    """Load a backup into ``store`` in one transaction; return rows restored per table.

    Everything is checked first and a refused restore changes nothing: the archive
    (:func:`read_manifest`), that this release knows the backup's schema version, that the
    database is not at a newer version than the backup, and that it holds no data unless
    ``replace``, and that the database holds no sent sync batch the backup lacks unless ``accept_older``
    (see the module's docstring). Then, in one transaction holding the migration lock, the database is migrated to
    the backup's version, its rows are replaced by the backup's, and it is migrated to the latest;
    each of ``checks`` (the domain's content rules, :func:`geo.restore_rules.check_restored` for the
    CLI) then sees the restored rows in that transaction, and a refusal rolls it all back. The code
    counters end no lower than the replaced database's, and the commit numbers go on above every number
    the replaced database handed out (:func:`_mark_restored`, by ``actor``).
    """
    manifest = read_manifest(path)
    version = manifest["schema_version"]
    if version > migrations.LATEST_VERSION:
        raise Conflict(text("store.backup_too_new", version=version, latest=migrations.LATEST_VERSION),
                       field="schema_version")
    counts: dict[str, int] = {}
    with zipfile.ZipFile(path) as zf, migrations.exclusive(store.whole()) as conn:  # every district's rows
        # First, before any table is read: while it waits for its tables it holds no lock on them (fourth review:
        # the checks' read locks kept another session's new district partitions waiting)
        _hold_off_writers(conn)
        _check_target(conn, version, replace)
        units = _backup_rows(zf, manifest, schema.admin_units)
        _check_districts_fit(conn, units)
        before = _counters(conn)
        numbered_before = _numbered_before(conn)
        lost = lost_batches(_sent_batches(conn), _backup_rows(zf, manifest, schema.sync_batches))
        if lost and not accept_older:
            rows = _backup_rows(zf, manifest, schema.code_counters)
            backup_counters = {(str(r["scheme"]), str(r["prefix"]), str(r["adcode"])):
                               (int(r.get("last_serial") or 0), "") for r in rows}
            raise _refuse_older(lost, codes_issued_after(before, backup_counters))
        # Every check passed: from here on, all changes commit together or not at all.
        migrations.upgrade(conn, version)
        present = set(sa.inspect(conn).get_table_names())
        derived = [schema.metadata.tables[name] for name in sorted(schema.DERIVED_TABLES)]
        for table in [*derived, *reversed(backed_up_tables())]:  # derived data is computed again afterwards
            if table.name in present:
                conn.execute(table.delete())
        tables = [t for t in backed_up_tables() if t.name in manifest["tables"]]
        if conn.dialect.name == "postgresql":  # each district's rows go straight to its partition (revision 0014)
            add_district_partitions(conn, (str(u.get("adcode") or "") for u in units))
        for table in tables:
            counts[table.name] = _load_table(path, conn, table, zf.read(f"{table.name}.jsonl"))
            if progress:
                progress(table.name)
        if conn.dialect.name == "postgresql":
            for table in tables:
                conn.execute(sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"COALESCE((SELECT max(id) FROM {table.name}), 0) + 1, false)"))
        migrations.upgrade(conn)
        if conn.dialect.name == "postgresql":
            partition_districts_in_default(conn)  # each district's rows in its own partition (revision 0014)
        _mark_restored(conn, [t for t in tables if t.name != schema.audit_log.name], own_adcode=store.adcode,
                       above=numbered_before, backup=Path(path).name, actor=actor)
        _keep_counters(conn, before)
        for check in checks:
            check(conn)
    store.schema_changed()  # the restored database may bind district transactions, or not yet
    return counts


RESTORE_LOCK_WAIT_S = 30.0  # how long a restore tries to take the tables before it gives up, changing nothing
_LOCK_RETRY_S = 0.05


def _hold_off_writers(conn: sa.Connection) -> None:
    """On PostgreSQL, lock every table the restore replaces against every other session until it commits.

    The migration lock keeps out other migrations and restores only: a running server's writes went on while the
    tables were emptied and loaded, and those committed in between stayed in the restored database beside the
    backup's rows (second review: 28 facilities). Writers now wait for the restore (their lock_timeout, then 503
    "try again") and what they write lands after it, a newer change. SQLite's write lock already does this.

    The tables are taken all at once or not at all (``NOWAIT`` inside a savepoint, tried again every 50 ms): waiting
    for one table while holding others made a cycle with an ordinary request (third review: a deadlock, the
    restore or the request killed) and, behind a transaction left open, held every other session waiting. After
    :data:`RESTORE_LOCK_WAIT_S` without a moment when every table is free the restore stops, changing nothing,
    naming the cause.
    """
    if conn.dialect.name != "postgresql":
        return
    present = set(sa.inspect(conn).get_table_names())
    tables = [*backed_up_tables(), *(schema.metadata.tables[n] for n in sorted(schema.DERIVED_TABLES))]
    names = [t.name for t in tables if t.name in present]
    if not names:
        return
    statement = f"LOCK TABLE {', '.join(names)} IN ACCESS EXCLUSIVE MODE NOWAIT"
    wait_s = RESTORE_LOCK_WAIT_S
    deadline = time.monotonic() + wait_s
    while True:
        attempt = conn.begin_nested()
        try:
            conn.exec_driver_sql(statement)
        except sa.exc.OperationalError as exc:
            attempt.rollback()  # the tables this attempt took are free again
            if getattr(exc.orig, "sqlstate", None) != "55P03":  # not "lock not available"
                raise
            if time.monotonic() >= deadline:
                raise Conflict(text("store.restore_tables_busy", seconds=round(wait_s)), field="restore") from None
            time.sleep(_LOCK_RETRY_S)
            continue
        attempt.commit()  # the locks stay with the transaction
        return


def _numbered_before(conn: sa.Connection) -> int:
    """Return the highest commit number (``audit_log.seq``, revision 0006) the database has handed out: its
    audit log's, and on PostgreSQL its commit sequence's (every district's, whatever rows are visible)."""
    columns = {c["name"] for c in sa.inspect(conn).get_columns(schema.audit_log.name)} \
        if sa.inspect(conn).has_table(schema.audit_log.name) else set()
    if "seq" not in columns:
        return 0
    highest = int(conn.execute(sa.text("SELECT COALESCE(max(seq), 0) FROM audit_log")).scalar() or 0)
    if conn.dialect.name == "postgresql" and conn.execute(
            sa.text("SELECT to_regclass('audit_log_commit_seq') IS NOT NULL")).scalar():
        last, called = conn.execute(sa.text("SELECT last_value, is_called FROM audit_log_commit_seq")).one()
        highest = max(highest, int(last) - (0 if called else 1))
    return highest


def _mark_restored(conn: sa.Connection, tables: Sequence[sa.Table], *, own_adcode: str, above: int,
                   backup: str, actor: str) -> None:
    """Write one ``restore`` audit row per restored table for each district with a change in the restored feed
    (and ``own_adcode``), numbered above both ``above`` (what the replaced database had handed out) and the
    restored feed, and set the commit numbering to go on after them.

    The restored feed ends at the backup's newest number, below numbers the replaced database had handed out
    since: without these rows the next changes were numbered again as changes of another history had been, and
    whatever is keyed on the numbers took the restored data for that history's (the servers' caches of the
    planning runs and the lookups' street network, kept while the newest number of their tables stays; a change
    feed's reader at one of those numbers). Each table's newest number now moves past every number seen before,
    as any change moves it, and the feed's readers see that the table was restored.
    """
    log = schema.audit_log
    restored_top = int(conn.execute(sa.text("SELECT COALESCE(max(seq), 0) FROM audit_log")).scalar() or 0)
    districts = {own_adcode, *(str(a) for a in conn.execute(sa.select(log.c.adcode).distinct()).scalars()
                               if a)}  # each district's data version is its own rows' newest number (PostgreSQL)
    first = max(above, restored_top) + 1
    now = datetime.now(UTC)
    note = json.dumps({"backup": backup}, ensure_ascii=False)
    rows = [{"adcode": adcode, "table_name": table.name, "record_id": None, "action": schema.RESTORE_ACTION,
             "actor": actor, "at": now, "before": None, "after": note, "note": f"restore {backup}", "seq": first + i}
            for i, (adcode, table) in enumerate(itertools.product(sorted(districts), tables))]
    if rows:
        conn.execute(log.insert(), rows)
    if conn.dialect.name == "postgresql":  # the trigger numbers the next transaction from here (revision 0006)
        conn.execute(sa.text("SELECT setval('audit_log_commit_seq', :next, false)"), {"next": first + len(rows)})


LOAD_CHUNK_ROWS = 20_000  # lines decoded and encoded at a time: memory stays flat for any table size


class _BadValue(ValueError):
    """A value of the archive its column cannot hold: the column and the value's position in its chunk."""

    def __init__(self, column: str, index: int) -> None:
        super().__init__(column, index)
        self.column, self.index = column, index


def _geometries(key: str, values: list[Any]) -> list[Any]:
    """Return a geometry column's values (``{"$wkb": hex}`` or None) as shapely geometries, parsed in one call."""
    for i, v in enumerate(values):
        if v is not None and not (type(v) is dict and len(v) == 1 and type(v.get("$wkb")) is str):
            raise _BadValue(key, i)
    hexes = np.array([None if v is None else v["$wkb"] for v in values], dtype=object)
    try:
        return list(shapely.from_wkb(hexes))
    except (shapely.errors.GEOSException, ValueError, TypeError):
        for i, raw in enumerate(hexes):  # which one: parsed alone
            try:
                shapely.from_wkb(raw)
            except (shapely.errors.GEOSException, ValueError, TypeError):
                raise _BadValue(key, i) from None
        raise


def _fits(kind: sa.types.TypeEngine, value: Any) -> bool:
    """Return whether a decoded value is one a column of ``kind`` holds (as the service writes it)."""
    if value is None:
        return True
    if isinstance(kind, sa.Boolean):
        return type(value) is bool
    if isinstance(kind, sa.Integer):
        return type(value) is int and -(2 ** 63) <= value < 2 ** 63
    if isinstance(kind, sa.Float):
        try:
            return type(value) in (int, float) and math.isfinite(value)
        except OverflowError:  # an int beyond any float
            return False
    if isinstance(kind, sa.String | sa.Text):
        return (type(value) is str and "\x00" not in value and _encodable(value)
                and (kind.length is None or len(value) <= kind.length))  # varchar(n): as every write refuses longer
    if isinstance(kind, sa.LargeBinary):
        return type(value) is bytes
    if isinstance(kind, sa.DateTime):
        return type(value) is datetime and has_beijing_time(value)
    if isinstance(kind, sa.Date):
        return type(value) is date
    return True


def _column(table: sa.Table, key: str, values: list[Any]) -> list[Any]:
    """Return one column's values decoded from the archive; a value the column cannot hold raises
    :class:`_BadValue` (only tagged values are decoded: most columns hold none)."""
    kind = table.c[key].type
    if isinstance(kind, Geometry):
        return _geometries(key, values)
    if dict in set(map(type, values)):
        try:
            values = [_decode(v) for v in values]
        except (ValueError, TypeError, binascii.Error):
            for i, v in enumerate(values):
                try:
                    _decode(v)
                except (ValueError, TypeError, binascii.Error):
                    raise _BadValue(key, i) from None
            raise
    if table.c[key].primary_key and None in values:  # every row has its id
        raise _BadValue(key, values.index(None))
    kind = kind.impl if isinstance(kind, sa.types.TypeDecorator) else kind  # type: ignore[assignment]
    if _all_fit(kind, values):
        return values
    raise _BadValue(key, next(i for i, v in enumerate(values) if not _fits(kind, v)))


def _encodable(text_value: str) -> bool:
    """Return whether text is UTF-8 (a lone surrogate such as ``"\\ud800"`` from a JSON escape is not)."""
    try:
        text_value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _all_fit(kind: sa.types.TypeEngine, values: list[Any]) -> bool:
    """Return whether every value fits (:func:`_fits`), by whole-column tests (the types present, the extremes)."""
    types = set(map(type, values)) - {type(None)}
    present = [v for v in values if v is not None]
    if isinstance(kind, sa.Boolean):
        return types <= {bool}
    if isinstance(kind, sa.Integer):
        return types <= {int} and (not present or (min(present) >= -(2 ** 63) and max(present) < 2 ** 63))
    if isinstance(kind, sa.Float):
        try:
            return types <= {int, float} and bool(np.isfinite(np.asarray(present, dtype=np.float64)).all())
        except OverflowError:  # an int beyond any float
            return False
    if isinstance(kind, sa.String | sa.Text):
        if not types <= {str}:
            return False
        joined = "".join(present)
        return ("\x00" not in joined and _encodable(joined)
                and (kind.length is None or not present or max(map(len, present)) <= kind.length))
    return all(_fits(kind, v) for v in present)


def _stored_columns(conn: sa.Connection, table: sa.Table) -> set[str]:
    """Return the columns ``table`` has in the database now (at the backup's schema version) that this release
    knows: the fields every line of the table's file must name."""
    with warnings.catch_warnings():  # reflection does not know PostGIS's geometry type
        warnings.simplefilter("ignore", sa.exc.SAWarning)
        present = {c["name"] for c in sa.inspect(conn).get_columns(table.name)}
    return present & set(table.c.keys())


def _chunks(path: Path | str, table: sa.Table, data: bytes, keys: tuple[str, ...]) -> Iterator[dict[str, list[Any]]]:
    """Yield the table's lines, :data:`LOAD_CHUNK_ROWS` at a time, column by column and decoded; refuse the archive
    at the first line that does not name exactly ``keys`` or holds a value its column cannot hold (naming the
    line and the field). Envelope columns are computed from the geometry, as every write computes them."""
    wanted = set(keys)
    lines = iter(io.BytesIO(data))
    first = 1  # the number of the chunk's first line
    while True:
        records: list[dict[str, Any]] = []
        for number, line in enumerate(itertools.islice(lines, LOAD_CHUNK_ROWS), start=first):
            record = json.loads(line)
            if record.keys() != wanted:
                missing, extra = sorted(wanted - record.keys()), sorted(record.keys() - wanted)
                raise _refuse_archive(path, "store.archive_line_fields", name=table.name, number=number,
                                      fields=", ".join(missing + extra))
            records.append(record)
        if not records:
            return
        try:
            columns = {key: _column(table, key, [r[key] for r in records]) for key in keys}
        except _BadValue as bad:
            raise _refuse_archive(path, "store.archive_bad_value", name=table.name, number=first + bad.index,
                                  field=bad.column) from None
        if "geom" in columns:
            geoms = np.asarray(columns["geom"], dtype=object)
            bounds, has = envelopes(geoms)
            # Longitude and latitude (EPSG:4490), every coordinate a number: no NaN, no infinity, no metres.
            # A Z or M value, where a geometry has one, must be a number too (XY only would miss a NaN height).
            coords, owner = shapely.get_coordinates(geoms[has], include_z=True, include_m=True, return_index=True)
            carried = np.column_stack([np.ones(len(geoms[has]), dtype=bool), np.ones(len(geoms[has]), dtype=bool),
                                       shapely.has_z(geoms[has]), shapely.has_m(geoms[has])])[owner]
            outside = ~((np.isfinite(coords) | ~carried).all(axis=1)
                        & (np.abs(coords[:, 0]) <= 180) & (np.abs(coords[:, 1]) <= 90))
            if outside.any():
                number = first + int(np.flatnonzero(has)[owner[outside]].min())
                raise _refuse_archive(path, "store.archive_bad_value", name=table.name, number=number, field="geom")
        if "geom" in columns and set(ENVELOPE_COLUMNS) <= wanted:
            for j, name in enumerate(ENVELOPE_COLUMNS):
                columns[name] = [b if h else None for b, h in zip(bounds[:, j].tolist(), has.tolist(), strict=True)]
        yield columns
        first += len(records)


def _load_table(path: Path | str, conn: sa.Connection, table: sa.Table, data: bytes) -> int:
    """Load one table's lines (:func:`read_manifest` checked each is a record of a known table) at the driver's
    speed (:func:`geo.store.bulk.load_rows`), a chunk at a time. Every line must name every field the table
    has at the backup's version, each value one its column holds; a clash (two lines with one id, a missing
    value the table requires) refuses the archive as well: nothing is restored."""
    stored = _stored_columns(conn, table)
    keys = tuple(c.name for c in table.c if c.name in stored)
    dbapi = conn.dialect.loaded_dbapi
    try:
        return load_rows(conn, table, keys, _chunks(path, table, data, keys))
    except (sa.exc.IntegrityError, sa.exc.DataError, dbapi.IntegrityError, dbapi.DataError):
        raise _refuse_archive(path, "store.archive_table_rejected", name=table.name) from None
