"""Backup and restore: a round trip compares equal row for row, across backends; damaged or clashing
backups are refused; a restore that fails part-way leaves the database as it was."""

from __future__ import annotations

import hashlib
import json
import subprocess
import warnings
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
import shapely
import sqlalchemy as sa

from geo.errors import Conflict, InputError
from geo.store import Store, schema
from geo.store.backup import (
    FORMAT,
    _encode,
    backed_up_tables,
    read_manifest,
    restore_backup,
    write_backup,
)
from geo.store.migrations import LATEST_VERSION
from tests.conftest import _fresh_url, report_figure
from tests.test_migrations import ADDED_COLUMNS, raw_rows, write_rows_at
from tests.xincheng_cli import invoke

# With pytest-xdist (scripts/test.sh: --dist loadgroup) this module runs in one worker:
# the module-scoped backup of the sample (per backend) is written once.
# Every test here also runs on PostGIS by default (both_backends, see tests/conftest.py):
# backup and restore: the copy and the transaction that refuses it are SQL on each backend.
pytestmark = [pytest.mark.xdist_group("backup"), pytest.mark.both_backends]


def _normalised(value):
    if isinstance(value, shapely.Geometry):
        return shapely.to_wkb(value, hex=True)
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def table_contents(store: Store) -> dict[str, list[dict]]:
    """Every row of every backed-up table, ordered by id, values made comparable across backends."""
    out = {}
    with store.reading() as conn:
        for table in backed_up_tables():
            rows = conn.execute(table.select().order_by(*table.primary_key.columns)).mappings()
            out[table.name] = [{k: _normalised(v) for k, v in row.items()} for row in rows]
    return out


@pytest.fixture(scope="module")
def sample_backup(sample_store, tmp_path_factory) -> tuple[Path, dict, dict[str, list[dict]]]:
    """Back up the (read-only) sample store once per backend; return the file, its manifest and the
    store's contents, which every restore of it, on either backend, must reproduce."""
    path = tmp_path_factory.mktemp("backup") / "backup.zip"
    manifest = write_backup(sample_store, path)
    return path, manifest, table_contents(sample_store)


def test_round_trip_equals_the_original_across_backends(sample_store, sample_backup, store):
    path, manifest, original = sample_backup
    assert manifest["tables"]["door_plates"]["rows"] == sample_store.count("door_plates") > 30_000
    assert not path.with_name(path.name + ".partial").exists()
    counts = restore_backup(store, path)
    assert counts["door_plates"] == manifest["tables"]["door_plates"]["rows"]
    restored = table_contents(store)
    # The restore is on record: one `restore` row per restored table after the backup's feed, numbered above it
    # (a restore never hands out a commit number again; test_lookup_table checks what that protects).
    marks = restored["audit_log"][len(original["audit_log"]):]
    restored["audit_log"] = restored["audit_log"][:len(original["audit_log"])]
    newest = max(r["seq"] for r in original["audit_log"])
    assert sorted(r["table_name"] for r in marks) == sorted(n for n in counts if n != "audit_log")
    assert all(r["action"] == "restore" and r["record_id"] is None and r["seq"] > newest for r in marks), marks[:3]
    for name in original:
        assert len(restored[name]) == len(original[name]), name
        assert restored[name] == original[name], name
    report_figure(f"backup {sample_store.dialect} → restore {store.dialect}: {sum(counts.values()):,} rows in "
          f"{len(counts)} tables, {path.stat().st_size / 1e6:.1f} MB, identical")
    # The restored database goes on working: new ids follow the restored ones, edits are audited.
    top = max(r["id"] for r in original["graves"]) if original["graves"] else 0
    (new_id,) = store.insert("graves", [{"status": "found", "geometry": shapely.Point(111.70, 40.85)}], actor="test")
    assert new_id > top and store.audit_rows("graves", new_id)[-1]["action"] == "create"
    if store.dialect != sample_store.dialect:
        return  # replacing depends on the target's backend only: checked once per target, below
    # A database with data is refused unless asked to replace it.
    with pytest.raises(Conflict) as err:
        restore_backup(store, path)
    assert err.value.field == "replace"
    restore_backup(store, path, replace=True)
    assert store.count("graves") == len(original["graves"])


def _rewrite(src: Path, dst: Path, table: str, edit) -> None:
    """Copy a backup, changing one table's lines and fixing its manifest entry (a well-formed but bad backup)."""
    import hashlib

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        manifest = json.loads(zin.read("manifest.json"))
        for item in zin.namelist():
            data = zin.read(item)
            if item == f"{table}.jsonl":
                data = edit(data)
                manifest["tables"][table] = {"rows": data.count(b"\n"), "sha256": hashlib.sha256(data).hexdigest()}
            if item != "manifest.json":
                zout.writestr(item, data)
        zout.writestr("manifest.json", json.dumps(manifest))


def test_damaged_and_clashing_backups_change_nothing(store, tmp_path):
    store.insert("streets", [{"name": f"新华{i}路", "geometry": shapely.LineString([(111.70, 40.85 + i * 1e-3),
                                                                                   (111.71, 40.85 + i * 1e-3)])}
                             for i in range(5)], actor="test")
    store.insert("door_plates", [{"plate_uid": f"P{i}", "street_name": "新华0路", "number": i + 1, "households": 3,
                                  "geometry": shapely.Point(111.70 + i * 1e-4, 40.85)} for i in range(20)],
                 actor="test")
    good = tmp_path / "good.zip"
    write_backup(store, good)
    before = table_contents(store)
    # A damaged archive: one character of a table file changed behind the manifest's back.
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(damaged, "w") as zout:
        for item in zin.namelist():
            data = zin.read(item)
            zout.writestr(item, data.replace("新".encode(), "旧".encode(), 1) if item == "streets.jsonl" else data)
    with pytest.raises(InputError) as err:
        restore_backup(store, damaged, replace=True)
    assert "streets" in err.value.message and "damaged" in err.value.message
    with pytest.raises(InputError) as err:
        read_manifest(Path(__file__))  # not an archive at all
    assert err.value.field == "path"
    # Well-formed but clashing: a duplicated door plate id fails late, inside the transaction.
    clash = tmp_path / "clash.zip"
    _rewrite(good, clash, "door_plates", lambda d: d + d.splitlines(keepends=True)[0])
    with pytest.raises(InputError) as err:  # said as the archive's fault, not a database error
        restore_backup(store, clash, replace=True)
    assert "door_plates" in err.value.message and "id 重复" in err.value.message
    assert table_contents(store) == before  # the deletes and inserts before the failure were rolled back
    assert restore_backup(store, good, replace=True)["door_plates"] == 20


def _edit_line(number: int, edit):
    """Return an edit of a table file changing its line ``number`` (0 first) as a record."""
    def edited(data: bytes) -> bytes:
        lines = data.splitlines(keepends=True)
        record = json.loads(lines[number])
        edit(record)
        lines[number] = (json.dumps(record) + "\n").encode()  # ASCII escapes: a lone surrogate can be written
        return b"".join(lines)
    return edited


def _small_district(store: Store, plates: int = 6) -> None:
    store.insert("streets", [{"name": "新华0路", "geometry": shapely.LineString([(111.70, 40.85), (111.71, 40.85)])}],
                 actor="test")
    store.insert("door_plates", [{"plate_uid": f"P{i}", "street_name": "新华0路", "number": i + 1, "status": "active",
                                  "geometry": shapely.Point(111.70 + i * 1e-4, 40.85)} for i in range(plates)],
                 actor="test")


@pytest.mark.parametrize(("table", "edit", "field"), [
    ("door_plates", lambda r: r.update(geom={"$wkb": "0101000000DEADBEEF"}), "geom"),  # hex cut short: no point
    ("door_plates", lambda r: r.update(geom="POINT (111.7 40.85)"), "geom"),  # text where the geometry goes
    ("streets", lambda r: r.update(geom={"$wkb": "zz"}), "geom"),  # not hex at all
    ("door_plates", lambda r: r.update(id="十二"), "id"),  # an id that is no number
    ("door_plates", lambda r: r.update(id=3.5), "id"),  # nor a whole one (SQLite: datatype mismatch before)
    ("door_plates", lambda r: r.update(number=2 ** 70), "number"),  # out of range
    ("door_plates", lambda r: r.update(street_name={"a": 1}), "street_name"),  # an object where text goes
    ("door_plates", lambda r: r.update(street_name=[1, 2]), "street_name"),
    ("door_plates", lambda r: r.update(street_name="新华\x000路"), "street_name"),  # NUL
    ("door_plates", lambda r: r.update(households="三"), "households"),
    ("door_plates", lambda r: r.update(created_at={"$dt": "yesterday"}), "created_at"),
    ("door_plates", lambda r: r.update(created_at="2026-01-01T00:00:00"), "created_at"),  # untagged
    ("users", lambda r: r.update(active="true"), "active"),
    ("door_plates", lambda r: r.update(minx=float("nan")), "minx"),
    ("door_plates", lambda r: r.update(minx=10 ** 400), "minx"),  # an int beyond any float
    ("door_plates", lambda r: r.update(id=None), "id"),
    ("door_plates", lambda r: r.update(created_at={"$dt": "0001-01-01T00:00:00+01:00"}), "created_at"),  # year 0 in UTC
    ("door_plates", lambda r: r.update(created_at={"$dt": "9999-12-31T20:00:00+00:00"}), "created_at"),  # Beijing: none
    ("door_plates", lambda r: r.update(street_name="东\ud800路"), "street_name"),  # a lone surrogate: not UTF-8
    ("door_plates", lambda r: r.update(suffix="之" * 16 + "𠀀"), "suffix"),  # 17 characters in varchar(16) (review)
    ("door_plates", lambda r: r.update(geom={"$wkb": shapely.to_wkb(shapely.Point(float("nan"), 40.85), hex=True)}),
     "geom"),  # NaN
    ("streets", lambda r: r.update(geom={"$wkb": shapely.to_wkb(shapely.LineString(
        [(111.7, 40.85), (float("inf"), 40.85)]), hex=True)}), "geom"),  # infinity in the second vertex
    ("door_plates", lambda r: r.update(geom={"$wkb": shapely.to_wkb(shapely.Point(12434000.0, 4990000.0),
                                                                   hex=True)}), "geom"),  # metres, not degrees
    ("door_plates", lambda r: r.update(geom={"$wkb": shapely.to_wkb(shapely.Point(111.7, 40.85, float("nan")),
                                                                   hex=True)}), "geom"),  # a NaN height
    ("door_plates", lambda r: r.update(geom={"$wkb": shapely.to_wkb(shapely.from_wkt("POINT M (111.7 40.85 NaN)"),
                                                                   hex=True, flavor="iso")}), "geom"),  # a NaN M
])
def test_a_value_its_column_cannot_hold_refuses_the_restore_and_changes_nothing(store, tmp_path, table, edit, field):
    """Each line's values are checked against their columns as the bulk load (geo.store.bulk.load_rows) reads
    them: a refusal says the archive's line and field, Chinese first, and nothing is restored."""
    _small_district(store)
    if table == "users":
        from geo.users import create_user
        create_user(store, "officer1", "a-long-password-1", role="placename_officer", actor="test")
    good, bad = tmp_path / "good.zip", tmp_path / "bad.zip"
    write_backup(store, good)
    before = table_contents(store)
    line = 2 if table == "door_plates" else 0
    _rewrite(good, bad, table, _edit_line(line, edit))
    with pytest.raises(InputError) as err:
        restore_backup(store, bad, replace=True)
    message = err.value.message
    assert table in message and "未恢复任何数据" in message and message.index("未恢复") < message.index("nothing")
    assert f"第 {line + 1} 行" in message and field in message, message
    assert table_contents(store) == before


def test_a_line_nested_too_deep_or_without_its_newline_refuses_the_archive(store, tmp_path):
    """A line nested deeper than any record is no record (was a RecursionError); a last line without its newline
    is one the manifest does not count (was restored as one more row)."""
    _small_district(store)
    good, bad = tmp_path / "good.zip", tmp_path / "bad.zip"
    write_backup(store, good)
    before = table_contents(store)
    for edit in (lambda d: b"[" * 200_000 + b"]" * 200_000 + b"\n" + d,
                 lambda d: d + d.splitlines(keepends=True)[0].rstrip(b"\n").replace(b'"id": 1,', b'"id": 99,')):
        _rewrite(good, bad, "door_plates", edit)
        with pytest.raises(InputError) as err:
            restore_backup(store, bad, replace=True)
        assert "door_plates" in err.value.message, err.value.message
        assert table_contents(store) == before


def test_a_line_leaving_a_field_out_is_refused_naming_it(store, tmp_path):
    """Every line names every field its table has (as every backup writes them): a line without ``status`` would
    otherwise take the column's default (a disabled account enabled again, a retired plate active)."""
    _small_district(store)
    good, edited = tmp_path / "good.zip", tmp_path / "edited.zip"
    write_backup(store, good)
    before = table_contents(store)
    for edit, shown in ((lambda r: r.pop("status"), "status"), (lambda r: r.pop("id"), "id"),
                        (lambda r: r.update(colour="red"), "colour")):
        _rewrite(good, edited, "door_plates", _edit_line(3, edit))
        with pytest.raises(InputError) as err:
            restore_backup(store, edited, replace=True)
        assert "第 4 行" in err.value.message, err.value.message
        assert shown in err.value.message or shown == "colour", err.value.message  # an unknown field: no record
        assert table_contents(store) == before


def test_envelopes_come_from_the_geometry_and_many_chunks_load_whole(store, tmp_path, monkeypatch):
    """A restore computes each row's envelope from its geometry, as every write does: an archive whose box
    disagrees with the geometry (or is upside down) cannot hide a plate from the map's box reads; a table longer
    than one chunk loads whole, its R*Tree (SQLite) or GiST (PostGIS) finding every row."""
    import geo.store.backup as backup

    _small_district(store, plates=23)
    good, edited = tmp_path / "good.zip", tmp_path / "edited.zip"
    write_backup(store, good)

    def far_box(record):
        record.update(minx=0.0, maxx=-1.0, miny=0.0, maxy=1.0)

    _rewrite(good, edited, "door_plates", _edit_line(3, far_box))
    monkeypatch.setattr(backup, "LOAD_CHUNK_ROWS", 5)
    assert restore_backup(store, edited, replace=True)["door_plates"] == 23
    plates = {p["plate_uid"]: p for p in store.select("door_plates")}
    assert len(plates) == 23
    p = schema.door_plates
    with store.reading() as conn:
        box = conn.execute(sa.select(p.c.minx, p.c.maxx, p.c.miny, p.c.maxy).where(p.c.plate_uid == "P3")).one()
    assert tuple(box) == (111.7003, 111.7003, 40.85, 40.85)
    boxed = store.read_frame("door_plates", bbox=(111.6999, 40.8499, 111.7031, 40.8501))
    assert sorted(boxed["plate_uid"]) == sorted(plates)
    boxed = store.read_frame("door_plates", bbox=(111.70025, 40.8499, 111.70035, 40.8501))  # P3 alone
    assert list(boxed["plate_uid"]) == ["P3"]
    assert store.read_frame("door_plates", bbox=(-0.5, 0.0, 0.5, 1.0)).empty  # not where the archive said


# -- a restore checks everything before it changes anything -------------------------------------

def _database_state(store: Store) -> object:
    """What a refused restore must leave as it was: the file's bytes on SQLite; on PostGIS the
    tables, indexes, migration history and every row of the store's schema."""
    if store.dialect == "sqlite":
        store.close()  # the last connection checkpoints the WAL into the file
        db = Path(store.engine.url.database)
        assert not db.with_name(db.name + "-wal").exists()
        return hashlib.sha256(db.read_bytes()).hexdigest()
    with store.reading() as conn:
        tables = conn.exec_driver_sql("SELECT tablename FROM pg_tables WHERE schemaname = "
                                      "current_schema() ORDER BY 1").scalars().all()
        indexes = conn.exec_driver_sql("SELECT indexname FROM pg_indexes WHERE schemaname = "
                                       "current_schema() ORDER BY 1").scalars().all()
        rows = {t: [tuple(r) for r in conn.exec_driver_sql(f"SELECT * FROM {t} ORDER BY 1")]
                for t in tables}
    return tables, indexes, rows


def _with_manifest(src: Path, dst: Path, **changes) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.namelist():
            data = zin.read(item)
            if item == "manifest.json":
                data = json.dumps({**json.loads(data), **changes}).encode()
            zout.writestr(item, data)
    return dst


def _cli_restore(url: str, archive: Path, *extra: str) -> subprocess.CompletedProcess:
    """``xincheng restore`` (its click command, in this process: tests/xincheng_cli.py)."""
    return invoke(["--database-url", url, "restore", str(archive), *extra])


def test_a_refused_restore_leaves_the_database_as_it_was(database_url, request, tmp_path_factory,
                                                         tmp_path):
    backend = request.node.callspec.params["database_url"]
    source_url, drop = _fresh_url(backend, request, tmp_path_factory)
    source = Store.open(source_url)
    try:
        source.migrate()
        source.insert("streets", [{"name": "新华大街", "geometry": shapely.LineString(
            [(111.68, 40.85), (111.70, 40.85)])}], actor="test")
        good = tmp_path / "good.zip"
        write_backup(source, good)
    finally:
        source.close()
        drop()
    damaged = tmp_path / "damaged.zip"  # a table file changed behind the manifest's back
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(damaged, "w") as zout:
        for item in zin.namelist():
            data = zin.read(item)
            if item == "streets.jsonl":
                data = data.replace("新".encode(), "旧".encode())
            zout.writestr(item, data)
    alien = tmp_path / "alien.zip"
    _rewrite(good, alien, "streets", lambda d: d.replace(b'"name"', b'"evil"', 1))
    newer = _with_manifest(good, tmp_path / "newer.zip", schema_version=LATEST_VERSION + 1)
    older = _with_manifest(good, tmp_path / "older.zip", schema_version=1)

    # The target: a database at schema version 2 that holds data (as an older release left it).
    target = Store.open(database_url)
    target.migrate(target=2)
    with target.writing() as conn:
        write_rows_at(conn, 2)
    before = _database_state(target)
    refusals = [(good, False, Conflict, "replace"),  # it holds data: migrated before, until now
                (damaged, True, InputError, "path"), (alien, True, InputError, "path"),
                (newer, True, Conflict, "schema_version"),
                (older, True, Conflict, "schema_version")]  # the database is newer than it
    for archive, replace, error, field in refusals:
        store = Store.open(database_url)
        with pytest.raises(error) as err:
            restore_backup(store, archive, replace=replace)
        assert err.value.field == field, (archive.name, err.value.message)
        assert _database_state(store) == before, archive.name
        store.close()
    # The command refuses the same way, changing nothing.
    result = _cli_restore(database_url, good)
    assert result.returncode == 1, result.stderr
    assert "--replace" in result.stderr and "数据库已有数据" in result.stderr
    assert _database_state(target) == before

    # A database from before Alembic (no alembic_version): refused without being stamped.
    with target.writing() as conn:
        conn.exec_driver_sql("DROP TABLE alembic_version")
    legacy = _database_state(target)
    with pytest.raises(Conflict):
        restore_backup(target, good)
    assert _database_state(target) == legacy

    # With --replace the same database is migrated and replaced in the one transaction.
    counts = restore_backup(target, good, replace=True)
    assert counts["streets"] == 1 and target.schema_version() == LATEST_VERSION
    assert [r["name"] for r in target.select("streets")] == ["新华大街"]
    assert target.count("door_plates") == 0 and target.count("users") == 0
    target.close()


def _backup_at_version(store: Store, path: Path) -> None:
    """Write a backup of a database at an earlier schema version, as that release's
    ``xincheng backup`` did (``write_backup`` itself only writes the latest)."""
    version = store.schema_version()
    manifest = {"format": FORMAT, "schema_version": version, "adcode": store.adcode,
                "backend": store.dialect, "created_at": datetime.now(UTC).isoformat(),
                "tables": {}}
    with store.reading() as conn, zipfile.ZipFile(path, "w") as zf:
        with warnings.catch_warnings():  # reflection does not know PostGIS's geometry type
            warnings.simplefilter("ignore", sa.exc.SAWarning)
            inspector = sa.inspect(conn)
            present = {t: [c["name"] for c in inspector.get_columns(t)]
                       for t in inspector.get_table_names()}
        for table in backed_up_tables():
            if table.name not in present:
                continue
            query = sa.select(*[table.c[c] for c in present[table.name]]).order_by(table.c.id)
            data = b"".join((json.dumps({k: _encode(v) for k, v in row.items()},
                                        ensure_ascii=False) + "\n").encode()
                            for row in conn.execute(query).mappings())
            zf.writestr(f"{table.name}.jsonl", data)
            manifest["tables"][table.name] = {"rows": data.count(b"\n"),
                                              "sha256": hashlib.sha256(data).hexdigest()}
        zf.writestr("manifest.json", json.dumps(manifest))


def _typed_rows(conn: sa.Connection, columns: dict[str, list[str]]) -> dict[str, list[dict]]:
    """The rows of each table's ``columns`` as the store reads them, comparable across formats."""
    out = {}
    for name, cols in columns.items():
        table = schema.metadata.tables[name]
        query = sa.select(*[table.c[c] for c in cols]).order_by(table.c.id)
        out[name] = [{k: _normalised(v) for k, v in row.items()}
                     for row in conn.execute(query).mappings()]
    return out


def test_a_backup_from_the_previous_version_restores_and_is_upgraded(database_url, request,
                                                                     tmp_path_factory, tmp_path):
    backend = request.node.callspec.params["database_url"]
    source_url, drop = _fresh_url(backend, request, tmp_path_factory)
    old = LATEST_VERSION - 1
    source = Store.open(source_url)
    try:
        source.migrate(target=old)
        with source.writing() as conn:
            tables = write_rows_at(conn, old)
        with source.reading() as conn:
            columns = {t: list(rows[0]) for t, rows in raw_rows(conn, tables).items()}
            original = _typed_rows(conn, columns)
        archive = tmp_path / "previous-release.zip"
        _backup_at_version(source, archive)
    finally:
        source.close()
        drop()
    assert read_manifest(archive)["schema_version"] == old

    store = Store.open(database_url)  # never migrated
    try:
        # A failure part-way (a duplicated id) rolls back the migrations it ran as well.
        clash = tmp_path / "clash.zip"
        _rewrite(archive, clash, "streets", lambda d: d + d)
        with pytest.raises(InputError, match="id 重复"):
            restore_backup(store, clash)
        assert store.schema_version() == 0
        ours = {*schema.metadata.tables, "alembic_version"}
        assert not ours & set(sa.inspect(store.engine).get_table_names())

        counts = restore_backup(store, archive)
        assert set(counts) == set(read_manifest(archive)["tables"])
        assert store.schema_version() == LATEST_VERSION
        with store.reading() as conn:
            restored = _typed_rows(conn, columns)
        marks = [r for r in restored["audit_log"] if r["action"] == "restore"]  # the restore on record
        restored["audit_log"] = [r for r in restored["audit_log"] if r["action"] != "restore"]
        assert restored == original  # the columns the old version had
        assert sorted(r["table_name"] for r in marks) == sorted(n for n in counts if n != "audit_log")
        for added, table, column, value in ADDED_COLUMNS:
            if added > old:
                assert store.select(table)[0][column] == value
        if "seq" in schema.audit_log.c:  # revision 6 ran after the load: rows numbered by id, the restore's after
            seqs = [r["seq"] for r in store.select("audit_log")]
            assert seqs == list(range(1, len(marks) + 2))
    finally:
        store.close()


@pytest.mark.parametrize("database_url", ["postgis"], indirect=True)
@pytest.mark.parametrize(("zone", "moment"), [("America/New_York", "0001-01-01T00:00:00+00:00"),
                                              ("Asia/Tokyo", "9999-12-31T15:59:59+00:00")])
def test_restored_moments_read_back_whatever_the_databases_time_zone(store, tmp_path, zone, moment):
    """The store reads moments in UTC, as it keeps them: in a database set to another zone, a restored moment at
    either end the restore accepts read as before year 1 or after 9999 and the driver refused the row (a 400 on
    the plate, its list and the map)."""
    _small_district(store)
    good, edited = tmp_path / "good.zip", tmp_path / "edited.zip"
    write_backup(store, good)
    _rewrite(good, edited, "door_plates", _edit_line(1, lambda r: r.update(created_at={"$dt": moment})))
    restore_backup(store, edited, replace=True)
    name = store.engine.url.database
    with store.engine.connect() as conn:
        conn.exec_driver_sql(f"ALTER DATABASE {name} SET timezone = '{zone}'")
        conn.commit()
    store.close()
    again = Store.open(store.engine.url.render_as_string(hide_password=False))
    try:
        plate = again.select("door_plates", where={"plate_uid": "P1"})[0]
        assert plate["created_at"] == datetime.fromisoformat(moment)
        assert table_contents(again)["door_plates"][1]["created_at"] == datetime.fromisoformat(moment)
    finally:
        again.close()

