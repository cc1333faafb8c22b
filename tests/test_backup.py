"""Backup and restore: a round trip compares equal row for row, across backends; damaged or clashing
backups are refused; a restore that fails part-way leaves the database as it was."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
import shapely
import sqlalchemy as sa

from geo.errors import Conflict, InputError
from geo.store import Store
from geo.store.backup import backed_up_tables, read_manifest, restore_backup, write_backup
from tests.conftest import report_figure


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


def test_round_trip_equals_the_original_across_backends(sample_store, store, tmp_path):
    path = tmp_path / "backup.zip"
    manifest = write_backup(sample_store, path)
    assert manifest["tables"]["door_plates"]["rows"] == sample_store.count("door_plates") > 30_000
    assert not path.with_name(path.name + ".partial").exists()
    counts = restore_backup(store, path)
    assert counts["door_plates"] == manifest["tables"]["door_plates"]["rows"]
    original, restored = table_contents(sample_store), table_contents(store)
    for name in original:
        assert len(restored[name]) == len(original[name]), name
        assert restored[name] == original[name], name
    report_figure(f"backup {sample_store.dialect} → restore {store.dialect}: {sum(counts.values()):,} rows in "
          f"{len(counts)} tables, {path.stat().st_size / 1e6:.1f} MB, identical")
    # The restored database goes on working: new ids follow the restored ones, edits are audited.
    top = max(r["id"] for r in original["graves"]) if original["graves"] else 0
    (new_id,) = store.insert("graves", [{"status": "found", "geometry": shapely.Point(111.70, 40.85)}], actor="test")
    assert new_id > top and store.audit_rows("graves", new_id)[-1]["action"] == "create"
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
                                  "geometry": shapely.Point(111.70 + i * 1e-4, 40.85)} for i in range(20)], actor="test")
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
    with pytest.raises(sa.exc.IntegrityError):
        restore_backup(store, clash, replace=True)
    assert table_contents(store) == before  # the deletes and inserts before the failure were rolled back
    assert restore_backup(store, good, replace=True)["door_plates"] == 20
