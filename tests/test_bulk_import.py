"""Bulk imports (executemany on SQLite, COPY on PostGIS) store what the per-record path stored, refuse what
it refused, and never make another writer time out.

On a copy of the sample district, both backends: an import of new plates gives the same rows (every column,
the envelope, the geometry), the spatial-index entries and the ``bulk_create`` audit rows that
``Store.insert(audit="batch")`` gives; a bad row anywhere, a number taken twice, a stored plate uid, or a
plate written by someone else between the checks and the write refuses the whole file naming the row;
upsert mode still updates in place; a second connection with a short busy timeout writes during a long
import without timing out.
"""

from __future__ import annotations

import json
import threading
import time

import geopandas as gpd
import pytest
import sqlalchemy as sa
from sqlalchemy import event

from geo.errors import Conflict, InputError
from geo.io import importer
from geo.io.formats import write_features
from geo.io.importer import export_layer, import_file, prepare_records
from geo.plates.rules import new_plate_uids
from geo.store import Store, schema

_SKIPPED = ("id", "plate_uid", "number", "created_at", "updated_at")


def _new_plates(sample, count: int, *, number_offset: int, taken: set[str]) -> gpd.GeoDataFrame:
    """Return ``count`` sample plates moved to free numbers on their streets, with fresh uids."""
    frame = sample["door_plates"].iloc[:count].copy()
    frame["number"] = frame["number"] + number_offset
    frame["plate_uid"] = new_plate_uids(count, taken=taken)
    taken.update(frame["plate_uid"])
    return frame


def _uids(store: Store) -> set[str]:
    return {r["plate_uid"] for r in store.select("door_plates")}


def _raw_rows(store: Store, ids: list[int]) -> list[dict]:
    """Return the stored rows as they are in the table (envelope and encoded geometry included), by id."""
    t = schema.door_plates
    with store.reading() as conn:
        return [dict(r) for r in conn.execute(sa.select(t).where(t.c.id.in_(ids)).order_by(t.c.id)).mappings()]


def _batch_audit(store: Store, after_seq: int) -> list[dict]:
    log = schema.audit_log
    with store.reading() as conn:
        return [dict(r) for r in conn.execute(sa.select(log).where(log.c.seq > after_seq,
                                                                   log.c.table_name == "door_plates")
                                              .order_by(log.c.seq)).mappings()]


def test_bulk_import_stores_what_the_per_record_insert_stores(writable_sample_store, sample, tmp_path):
    store = writable_sample_store
    taken = _uids(store)
    frame = _new_plates(sample, 240, number_offset=5000, taken=taken)
    path = write_features(frame, tmp_path / "plates.gpkg", layer_name="door_plates")
    before = store.data_version()
    report = import_file(store, "door_plates", path, crs="EPSG:4490", actor="bulk", batch_size=100)
    assert len(report.ids) == report.imported == 240

    # The same file's records through the path imports took before (Store.insert, one audit row per batch).
    old_frame = _new_plates(sample, 240, number_offset=7000, taken=taken)
    records, _ignored = prepare_records(old_frame, "door_plates", source_crs="EPSG:4490")
    middle = store.data_version()
    old_ids = [rid for start in range(0, 240, 100)
               for rid in store.insert("door_plates", records[start:start + 100], actor="bulk", audit="batch")]

    new_rows, old_rows = _raw_rows(store, report.ids), _raw_rows(store, old_ids)
    assert [r["number"] for r in new_rows] == (frame["number"]).tolist()
    assert [r["plate_uid"] for r in new_rows] == frame["plate_uid"].tolist()
    for new, old in zip(new_rows, old_rows, strict=True):
        assert {k: v for k, v in new.items() if k not in _SKIPPED} == {k: v for k, v in old.items()
                                                                        if k not in _SKIPPED}
        assert new["created_at"].tzinfo is not None and new["version"] == 1
    stored = store.select("door_plates", where={"id": report.ids})
    assert [r["geometry"].wkb for r in stored] == [g.wkb for g in frame.geometry]

    # Every new plate is found through the spatial index (R*Tree / GiST), as the old ones are.
    box = tuple(frame.total_bounds)
    found = {r["id"] for r in store.select("door_plates", bbox=box)}
    assert set(report.ids) <= found and set(old_ids) <= found

    bulk = _batch_audit(store, before)
    bulk = [r for r in bulk if r["seq"] <= middle]
    assert [r["action"] for r in bulk] == ["bulk_create"] * 3
    assert [json.loads(r["after"]) for r in bulk] == [
        {"count": len(chunk), "first_id": chunk[0], "last_id": chunk[-1]}
        for chunk in (report.ids[:100], report.ids[100:200], report.ids[200:])]
    old = _batch_audit(store, middle)
    assert [sorted(json.loads(r["after"])) for r in old] == [sorted(json.loads(r["after"])) for r in bulk]
    assert {(r["actor"], r["record_id"], r["adcode"]) for r in bulk} == {(r["actor"], r["record_id"], r["adcode"])
                                                                          for r in old}
    assert all("import plates.gpkg" in r["note"] for r in bulk)


def _refused(store: Store, path, **options) -> Exception:
    count, version = store.count("door_plates"), store.data_version()
    with pytest.raises((Conflict, InputError)) as caught:
        import_file(store, "door_plates", path, crs="EPSG:4490", actor="bulk", **options)
    assert store.count("door_plates") == count
    assert store.data_version() == version  # not even an audit row
    return caught.value


def test_a_bad_row_anywhere_refuses_the_whole_file(writable_sample_store, sample, tmp_path):
    store = writable_sample_store
    taken = _uids(store)
    frame = _new_plates(sample, 300, number_offset=5000, taken=taken)

    twice = frame.copy()
    for column in ("street_name", "number"):  # row 250 takes row 10's address
        twice.loc[twice.index[249], column] = twice.loc[twice.index[9], column]
    error = _refused(store, write_features(twice, tmp_path / "twice.gpkg", layer_name="door_plates"))
    assert "第 250 行" in error.message and "row 250" in error.message and error.field == "number"

    nowhere = frame.copy()
    nowhere.loc[nowhere.index[149], "street_name"] = "不存在的路"
    error = _refused(store, write_features(nowhere, tmp_path / "nowhere.gpkg", layer_name="door_plates"))
    assert "row 150" in error.message and error.field == "street_name"

    stored_uid = store.select("door_plates", limit=1)[0]["plate_uid"]
    again = frame.copy()
    again.loc[again.index[119], "plate_uid"] = stored_uid
    error = _refused(store, write_features(again, tmp_path / "again.gpkg", layer_name="door_plates"))
    assert isinstance(error, Conflict) and "row 120" in error.message and stored_uid in error.message

    report = import_file(store, "door_plates", write_features(frame, tmp_path / "ok.gpkg", layer_name="door_plates"),
                         crs="EPSG:4490", actor="bulk")
    assert report.imported == 300


def test_a_plate_written_between_the_checks_and_the_write_refuses_the_file(writable_sample_store, sample,
                                                                            tmp_path, monkeypatch):
    """The checks run before the write lock on SQLite; a rival write of the same address in between is caught."""
    store = writable_sample_store
    frame = _new_plates(sample, 50, number_offset=5000, taken=_uids(store))
    path = write_features(frame, tmp_path / "plates.gpkg", layer_name="door_plates")
    rival = {"plate_uid": new_plate_uids(1, taken=set(frame["plate_uid"]) | _uids(store))[0],
             "street_name": frame["street_name"].iloc[4], "number": int(frame["number"].iloc[4]),
             "suffix": "", "community_code": frame["community_code"].iloc[4], "geometry": frame.geometry.iloc[4]}
    checked_first = importer._checked_beforehand

    def checks_then_a_rival_writes(*args, **kwargs):
        checked = checked_first(*args, **kwargs)
        store.insert("door_plates", [rival], actor="rival")  # its own transaction, committed
        return checked

    monkeypatch.setattr(importer, "_checked_beforehand", checks_then_a_rival_writes)
    count = store.count("door_plates")
    with pytest.raises(Conflict) as caught:
        import_file(store, "door_plates", path, crs="EPSG:4490", actor="bulk")
    assert "row 5" in caught.value.message and caught.value.field == "number"
    assert store.count("door_plates") == count + 1  # the rival's plate only


def test_upsert_mode_updates_in_place(writable_sample_store, tmp_path):
    store = writable_sample_store
    ids = [r["id"] for r in store.select("door_plates", limit=3)]
    path = tmp_path / "export.gpkg"
    export_layer(store, "door_plates", path, where={"id": ids})
    frame = gpd.read_file(path)
    frame["households"] = frame["households"] + 1
    write_features(frame, tmp_path / "changed.gpkg", layer_name="door_plates")
    count = store.count("door_plates")
    report = import_file(store, "door_plates", tmp_path / "changed.gpkg", crs="EPSG:4490", actor="bulk",
                         mode="upsert")
    assert sorted(report.updated_ids) == sorted(ids) and report.ids == []
    assert store.count("door_plates") == count
    for rid, households in zip(frame["id"], frame["households"], strict=True):
        record = store.get("door_plates", int(rid))
        assert record["version"] == 2 and record["households"] == households
        assert [a["action"] for a in store.audit_rows("door_plates", int(rid))][-1] == "update"


OTHER_WRITER_TIMEOUT_S = 3.0  # the old import held the lock through its checks: 5+ s for these rows


def test_another_writer_never_times_out_during_a_long_import(writable_sample_store, sample, tmp_path):
    """A second connection that gives up after 3 s writes again and again while 12,000 plates are imported."""
    store = writable_sample_store
    frame = _new_plates(sample, 12_000, number_offset=5000, taken=_uids(store))
    path = write_features(frame, tmp_path / "plates.gpkg", layer_name="door_plates")
    other = Store.open(store.engine.url.render_as_string(hide_password=False))
    timeout_ms = int(OTHER_WRITER_TIMEOUT_S * 1000)

    @event.listens_for(other.engine, "connect")
    def _short_timeout(dbapi_conn, _record) -> None:  # after the store's own settings: this writer gives up sooner
        if other.dialect == "sqlite":
            dbapi_conn.execute(f"PRAGMA busy_timeout={timeout_ms}")
        else:
            dbapi_conn.execute(f"SET lock_timeout = {timeout_ms}")
            dbapi_conn.commit()
    done = threading.Event()
    waits: list[float] = []
    failures: list[Exception] = []

    def write_small() -> None:
        while not done.is_set():
            t0 = time.perf_counter()
            try:
                other.record_refused("facilities", 0, {"probe": len(waits)}, expected_version=0, actor="other")
            except Exception as exc:  # any failure (a "database is locked" timeout) is the finding
                failures.append(exc)
            waits.append(time.perf_counter() - t0)
            time.sleep(0.01)

    writer = threading.Thread(target=write_small)
    writer.start()
    try:
        report = import_file(store, "door_plates", path, crs="EPSG:4490", actor="bulk")
    finally:
        done.set()
        writer.join(timeout=30)
        other.close()
    assert report.imported == 12_000
    assert not failures, failures[0]
    assert len(waits) >= 5  # it really wrote during the import
