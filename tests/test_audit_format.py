"""One audit format on both backends: geometry as a GeoJSON geometry object on every write path,
moments aware and in UTC, and a street rename audited per segment and per plate of its district."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import shapely
import sqlalchemy as sa

from geo.errors import StaleVersion
from geo.placenames.lifecycle import propose, rename
from geo.store import Store
from tests.conftest import _fresh_url
from tests.images import jpeg

POINT = shapely.Point(111.7, 40.85)
MOVED = shapely.Point(111.7001, 40.8502)
POINT_JSON = {"type": "Point", "coordinates": [111.7, 40.85]}
MOVED_JSON = {"type": "Point", "coordinates": [111.7001, 40.8502]}
BEIJING = timezone(timedelta(hours=8))


def _audit(store: Store, table: str, record_id: int) -> list[dict]:
    return [{**r, "before": json.loads(r["before"]) if r["before"] else None,
             "after": json.loads(r["after"]) if r["after"] else None}
            for r in store.audit_rows(table, record_id)]


def _is_utc(value: datetime) -> bool:
    return value.tzinfo is not None and value.utcoffset() == timedelta(0)


def test_geometry_is_a_geojson_object_on_create_update_and_refusal(store: Store):
    (fid,) = store.insert("facilities", [{"kind": "elder_care_station", "name": "甲站",
                                          "geometry": POINT}], actor="t")
    store.update("facilities", fid, {"geometry": MOVED}, expected_version=1, actor="t")
    store.update("facilities", fid, {"name": "乙站"}, expected_version=2, actor="t")
    with pytest.raises(StaleVersion):
        store.update("facilities", fid, {"geometry": POINT}, expected_version=1, actor="t")
    create, move, rename_row, refused = _audit(store, "facilities", fid)
    assert create["after"]["geometry"] == POINT_JSON
    assert (move["before"]["geometry"], move["after"]["geometry"]) == (POINT_JSON, MOVED_JSON)
    assert rename_row["before"]["geometry"] == rename_row["after"]["geometry"] == MOVED_JSON
    assert refused["action"] == "refused_stale_version"
    assert refused["after"]["geometry"] == POINT_JSON
    for row in (create, move, rename_row, refused):
        for side in (row["before"], row["after"]):
            assert side is None or not {"geom", "minx", "miny", "maxx", "maxy"} & set(side)
    raw = "".join((r["before"] or "") + (r["after"] or "") for r in store.audit_rows("facilities"))
    assert "b'" not in raw and "0101000020" not in raw.upper() and "POINT" not in raw


def test_a_record_without_geometry_logs_null_and_binary_values_log_size_and_digest(store: Store):
    (sid,) = store.insert("streets", [{"name": "无线路"}], actor="t")
    assert _audit(store, "streets", sid)[0]["after"]["geometry"] is None
    photo = jpeg()
    (pid,) = store.insert("inspection_photos", [{
        "inspection_id": 1, "sha256": "x", "content_type": "image/jpeg", "size_bytes": len(photo),
        "data": photo}], actor="t")
    logged = _audit(store, "inspection_photos", pid)[0]["after"]["data"]
    assert logged["bytes"] == len(photo) and len(logged["sha256"]) == 64


def test_datetimes_come_back_aware_in_utc(store: Store):
    moment = datetime(2026, 5, 1, 10, 30, tzinfo=BEIJING)
    (iid,) = store.insert("inspections", [{"client_id": "phone-1", "marker_id": 1,
                                           "observed_at": moment, "geometry": POINT}], actor="t")
    rec = store.get("inspections", iid)
    assert rec["observed_at"] == moment and _is_utc(rec["observed_at"])
    assert rec["observed_at"].hour == 2  # the same instant, written in UTC
    assert _is_utc(rec["created_at"]) and _is_utc(rec["updated_at"])
    assert all(_is_utc(r["created_at"]) for r in store.select("inspections"))
    (row,) = store.audit_rows("inspections", iid)
    assert _is_utc(row["at"])
    after = json.loads(row["after"])
    assert after["observed_at"] == "2026-05-01T02:30:00+00:00"
    assert after["created_at"].endswith("+00:00")
    # A naive moment is taken as UTC, on both backends.
    store.update("inspections", iid, {"observed_at": datetime(2026, 5, 2, 8, 0)},
                 expected_version=1, actor="t")
    assert store.get("inspections", iid)["observed_at"] == datetime(2026, 5, 2, 8, 0, tzinfo=UTC)
    frame = store.read_frame("inspections")
    assert str(frame["observed_at"].dt.tz) == "UTC"


def test_both_backends_write_the_same_audit_json(request, tmp_path_factory):
    logged = {}
    for backend in ("sqlite", "postgis"):
        url, drop = _fresh_url(backend, request, tmp_path_factory)
        store = Store.open(url)
        try:
            store.migrate()
            (iid,) = store.insert("inspections", [{
                "client_id": "phone-1", "marker_id": 1,
                "observed_at": datetime(2026, 5, 1, 10, tzinfo=BEIJING), "geometry": POINT}],
                actor="t")
            store.update("inspections", iid, {"geometry": MOVED, "remarks": "复测"},
                         expected_version=1, actor="t")
            rows = store.audit_rows("inspections", iid)
            for row in rows:  # moments differ between the runs; their format must not
                for side in ("before", "after"):
                    if row[side]:
                        data = json.loads(row[side])
                        for key in ("created_at", "updated_at"):
                            assert data[key].endswith("+00:00")
                            data[key] = "T"
                        row[side] = data
            logged[backend] = [(r["action"], r["before"], r["after"]) for r in rows]
        finally:
            store.close()
            drop()
    assert logged["sqlite"] == logged["postgis"]
    assert logged["sqlite"][1][2]["geometry"] == MOVED_JSON


STREET = {"standard_name": "春晖路", "specific": "春晖", "generic": "路", "feature_class": "street",
          "meaning": "取春光普照之意", "admin_code": "150102003000", "name_mong": "ᠴᠦᠨ ᠬᠦᠢ ᠵᠠᠮ"}
APPROVAL = {"approval_authority": "呼和浩特市人民政府",
            "approval_doc_no": "呼政字〔2026〕30号",
            "approval_date": "2026-06-01"}
PLATES = 200
NEIGHBOUR = "150103"  # 回民区: the same street name may exist there


def _street_with_plates(store: Store) -> dict:
    name = propose(store, STREET, actor="officer")
    store.update("place_names", name["id"],
                 {"status": "in_force", "approval_date": date(2020, 5, 1)},
                 expected_version=name["version"], actor="setup")
    line = shapely.LineString([(111.70, 40.85), (111.72, 40.85)])
    store.insert("streets", [
        {"name": "春晖路", "place_name_id": name["id"], "geometry": line},
        {"name": "春晖路", "geometry": line},  # an unlinked segment of the same street
    ], actor="setup", audit="batch")
    store.insert("door_plates", [
        {"plate_uid": f"P{i:05d}", "street_name": "春晖路", "number": i + 1,
         "status": "revoked" if i % 50 == 0 else "active",
         "geometry": shapely.Point(111.70 + i * 1e-5, 40.8501)} for i in range(PLATES)
    ], actor="setup", audit="batch")
    neighbour = _neighbour(store)
    if neighbour is not None:  # the neighbour's street of the same name, in the same database
        neighbour.insert("streets", [{"name": "春晖路", "geometry": line}], actor="setup", audit="batch")
        neighbour.insert("door_plates", [
            {"plate_uid": f"N{i:05d}", "street_name": "春晖路", "number": i + 1,
             "geometry": shapely.Point(111.70 + i * 1e-5, 40.8499)} for i in range(3)], actor="setup", audit="batch")
    return store.get("place_names", name["id"])


def _neighbour(store: Store) -> Store | None:
    """The neighbour district's store over the same database (PostGIS holds many; SQLite one: None)."""
    return None if store.dialect == "sqlite" else store.for_district(NEIGHBOUR)


def test_a_street_rename_audits_each_segment_and_plate_of_its_district_only(store: Store):
    name = _street_with_plates(store)
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement.lstrip().upper())

    sa.event.listen(store.engine, "before_cursor_execute", count)
    try:
        rename(store, name["id"], "春华路", expected_version=name["version"], actor="officer-wang",
               approval=APPROVAL, justification="与邻区重名")
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", count)

    ours = store.select("door_plates", where={"adcode": store.adcode})
    neighbour_store = _neighbour(store)
    theirs = neighbour_store.select("door_plates") if neighbour_store else []
    assert len(theirs) == (0 if neighbour_store is None else 3)
    assert len(ours) == PLATES and {p["street_name"] for p in ours} == {"春华路"}
    assert {p["version"] for p in ours} == {2}
    assert all(p["street_name"] == "春晖路" and p["version"] == 1 for p in theirs)
    for plate in ours:
        (row,) = [r for r in _audit(store, "door_plates", plate["id"])
                  if r["action"] == "rename_propagation"]
        assert row["actor"] == "officer-wang" and row["note"] == "春晖路 → 春华路"
        assert row["before"]["street_name"] == "春晖路" and row["after"]["street_name"] == "春华路"
        assert (row["before"]["version"], row["after"]["version"]) == (1, 2)
        assert row["before"]["plate_uid"] == row["after"]["plate_uid"] == plate["plate_uid"]
        assert row["after"]["geometry"]["type"] == "Point"
    for plate in theirs:
        assert not [r for r in neighbour_store.audit_rows("door_plates", plate["id"])  # type: ignore[union-attr]
                    if r["action"] != "bulk_create"]

    renamed = store.select("streets")
    assert {s["adcode"] for s in renamed} == {store.adcode}
    assert [s["name"] for s in renamed] == ["春华路", "春华路"]
    assert {s["place_name_id"] for s in renamed} == {name["id"]}
    for seg in renamed:
        (row,) = _audit(store, "streets", seg["id"])
        assert row["before"]["name"] == "春晖路" and row["after"]["name"] == "春华路"
        assert row["after"]["geometry"]["type"] == "LineString"
    if neighbour_store is not None:
        (neighbour,) = neighbour_store.select("streets")
        assert neighbour["name"] == "春晖路" and neighbour["version"] == 1
        assert neighbour_store.audit_rows("streets", neighbour["id"]) == []
    assert not [r for r in store.audit_rows("door_plates") if r["record_id"] is None
                and r["action"] == "rename_propagation"]  # no summary rows any more

    queued = store.select("plate_reprints")
    active = {p["plate_uid"] for p in ours if p["status"] == "active"}
    assert {q["plate_uid"] for q in queued} == active and len(queued) == len(active) == PLATES - 4
    assert all(len(store.audit_rows("plate_reprints", q["id"])) == 1 for q in queued)
    # Set-based: one UPDATE for the plates and a few batched audit inserts, not one per plate.
    assert sum(s.startswith("UPDATE DOOR_PLATES") for s in statements) == 1
    assert sum(s.startswith("INSERT INTO AUDIT_LOG") for s in statements) < 20


def test_a_failed_rename_changes_nothing(store: Store, monkeypatch):
    name = _street_with_plates(store)
    audit_before = len(store.audit_rows("door_plates")) + len(store.audit_rows("streets"))
    real_insert = store.insert

    def failing(table_name, records, **kw):
        if table_name == "plate_reprints":
            raise RuntimeError("打印队列不可用 · the reprint queue is unavailable")
        return real_insert(table_name, records, **kw)

    monkeypatch.setattr(store, "insert", failing)
    with pytest.raises(RuntimeError):
        rename(store, name["id"], "春华路", expected_version=name["version"], actor="o",
               approval=APPROVAL)
    monkeypatch.undo()
    assert store.get("place_names", name["id"])["standard_name"] == "春晖路"
    assert {p["street_name"] for p in store.select("door_plates")} == {"春晖路"}
    assert {s["name"] for s in store.select("streets")} == {"春晖路"}
    assert len(store.audit_rows("door_plates")) + len(store.audit_rows("streets")) == audit_before
    assert store.select("former_names") == [] and store.select("plate_reprints") == []
