"""Imports never duplicate silently, and ``init`` never mixes the sample into data.

Through the real ``xincheng`` command (its click commands, run in the test's process by
tests/xincheng_cli.py) and the real HTTP API (uvicorn), on SQLite and PostGIS: an export imported
again is refused and stores nothing; ``--mode upsert`` applies a changed rule-free field with a
version bump and an audit row; a stale ``version`` column refuses the whole file; ``init`` refuses
a database that holds records; a missing layer is reported with the import to run, never with
``xincheng init`` once the database holds data.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import geopandas as gpd
import httpx
import pandas as pd
import pytest
import shapely

from geo.store import Store
from geo.store.contents import domain_tables
from geo.users import create_user
from tests.conftest import running_server, server_settings
from tests.xincheng_cli import invoke

PLATE_UIDS = ("A2B3C4D5", "E6F7G8H9", "J2K3L4M5")
ADMIN = ("t-import-admin", "import-admin-password")


def cli(*args: str, url: str) -> subprocess.CompletedProcess:
    """Run ``xincheng`` as a user does, against ``url`` (in this process: tests/xincheng_cli.py)."""
    return invoke(["--database-url", url, *args])


def url_of(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def _facilities(store: Store) -> list[int]:
    return store.insert("facilities", [
        {"kind": "elder_care_station", "name": f"测试养老服务站{i}", "floor_area_m2": 20.0,
         "geometry": shapely.Point(111.676 + i * 1e-3, 40.85)} for i in range(1, 4)], actor="test")


def _units_frame() -> gpd.GeoDataFrame:
    """The district, one 街道 and one community in it (a community's parent is a 街道 or 镇: PN-13)."""
    district = shapely.box(111.60, 40.80, 111.75, 40.90)
    subdistrict = shapely.box(111.64, 40.82, 111.72, 40.89)
    community = shapely.box(111.66, 40.84, 111.70, 40.87)
    return gpd.GeoDataFrame(
        {"code": ["150102000000", "150102001000", "150102001001"], "name": ["新城区", "测试街道", "测试社区"],
         "level": ["district", "subdistrict", "community"], "parent_code": [None, "150102000000", "150102001000"],
         "households": [300, 300, 300]}, geometry=[district, subdistrict, community], crs="EPSG:4490")


def _plates_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"plate_uid": list(PLATE_UIDS), "street_name": ["锡林郭勒北路"] * 3, "number": [1, 3, 5],
         "households": [100, 100, 100], "community_code": ["150102001001"] * 3,
         "building_name": ["甲楼", "乙楼", "丙楼"]},
        geometry=[shapely.Point(111.676 + i * 2e-4, 40.851) for i in range(3)], crs="EPSG:4490")


def _plates(store: Store) -> list[int]:
    frame = _plates_frame()
    records = [{**row, "geometry": geom} for row, geom in
               zip(frame.drop(columns="geometry").to_dict("records"), frame.geometry, strict=True)]
    return store.insert("door_plates", records, actor="test")


def _edit(src: Path, dst: Path, change) -> gpd.GeoDataFrame:
    """Read an exported GeoPackage, let ``change`` edit it (as in QGIS), write it to ``dst``."""
    frame = gpd.read_file(src)
    frame = change(frame)
    frame.to_file(dst, driver="GPKG")
    return frame


def _many_facilities_exported(store: Store, rows: int, folder: Path) -> tuple[list[int], Path]:
    """Store ``rows`` elder-care stations on a grid in the district, export them; return their ids and the file."""
    from geo.io.importer import export_layer

    ids = store.insert("facilities", [
        {"kind": "elder_care_station", "name": f"测试养老服务站{i}", "floor_area_m2": 20.0,
         "geometry": shapely.Point(111.62 + (i % 50) * 2e-3, 40.81 + (i // 50) * 2e-3)} for i in range(rows)],
        actor="test")
    exported = folder / "f.gpkg"
    export_layer(store, "facilities", exported)
    return ids, exported


def _row_ids(path: Path) -> list[int]:
    """Return the ``id`` of each row of an exported file, in file order."""
    return [int(i) for i in gpd.read_file(path)["id"]]


def _counts(store: Store) -> dict[str, int]:
    return {name: store.count(name) for name in domain_tables()}


def _summary(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# -- the CLI ---------------------------------------------------------------------------------------


def test_cli_export_then_import_is_refused_then_upsert_updates_in_place(store: Store, tmp_path):
    url = url_of(store)
    ids = _facilities(store)
    _plates(store)
    audit_before = len(store.audit_rows("facilities"))
    exported = tmp_path / "f.gpkg"
    assert cli("export", str(exported), "--layer", "facilities", url=url).returncode == 0

    # The export imported again: refused, naming the rows, and nothing stored.
    again = cli("import", str(exported), "--layer", "facilities", "--crs", "EPSG:4490", url=url)
    assert again.returncode == 1, again.stdout
    assert f"第 1 行的 id {ids[0]} 已存在" in again.stderr
    assert f"row 1: id {ids[0]} is already stored" in again.stderr
    assert "--mode upsert" in again.stderr and "nothing was imported" in again.stderr
    assert store.count("facilities") == 3
    assert len(store.audit_rows("facilities")) == audit_before

    # A file without the id column is still caught by the identifier plates carry (plate_uid).
    plates = tmp_path / "plates.gpkg"
    assert cli("export", str(plates), "--layer", "door_plates", url=url).returncode == 0
    no_ids = tmp_path / "plates_no_id.gpkg"
    _edit(plates, no_ids, lambda f: f.drop(columns=["id", "version"]))
    again = cli("import", str(no_ids), "--layer", "door_plates", "--crs", "EPSG:4490", url=url)
    assert again.returncode == 1
    assert f"第 1 行的 plate_uid {PLATE_UIDS[0]} 已存在" in again.stderr
    assert f"row 1: plate_uid {PLATE_UIDS[0]} is already stored" in again.stderr
    assert store.count("door_plates") == 3

    # Upsert: one floor area edited (as in QGIS) and one new facility added.
    def change(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        frame.loc[frame["id"] == ids[1], "floor_area_m2"] = 45.5
        new = gpd.GeoDataFrame({"kind": ["elder_care_station"], "name": ["新建养老服务站"],
                                "floor_area_m2": [60.0]},
                               geometry=[shapely.Point(111.69, 40.86)], crs="EPSG:4490")
        return pd.concat([frame, new], ignore_index=True)

    edited = tmp_path / "f_edited.gpkg"
    _edit(exported, edited, change)
    report = _summary(cli("import", str(edited), "--layer", "facilities", "--crs", "EPSG:4490",
                          "--mode", "upsert", url=url))
    assert (report["mode"], report["updated"], report["inserted"], report["unchanged"]) == (
        "upsert", 1, 1, 2)
    assert report["updated_ids"] == [ids[1]]
    assert store.count("facilities") == 4
    updated = store.get("facilities", ids[1])
    assert updated["floor_area_m2"] == 45.5 and updated["version"] == 2
    assert [store.get("facilities", i)["version"] for i in (ids[0], ids[2])] == [1, 1]
    audit = store.audit_rows("facilities", ids[1])[-1]
    assert audit["action"] == "update" and audit["actor"] == "cli"
    assert json.loads(audit["before"])["floor_area_m2"] == 20.0
    assert json.loads(audit["after"])["floor_area_m2"] == 45.5
    assert "f_edited.gpkg" in audit["note"]

    # The same file again: its version column (1) is now stale for that facility (2): refused whole.
    stale = cli("import", str(edited), "--layer", "facilities", "--crs", "EPSG:4490",
                "--mode", "upsert", url=url)
    assert stale.returncode == 1
    row = 2  # the export lists records by id; the edited file keeps that order
    assert f"第 {row} 行（id {ids[1]}）的 version 是 1，库中已是 2" in stale.stderr
    assert f"row {row} (id {ids[1]}) carries version 1" in stale.stderr
    assert store.count("facilities") == 4  # the new row was not inserted a second time
    assert store.get("facilities", ids[1])["version"] == 2
    assert store.audit_rows("facilities", ids[1])[-1]["action"] == "refused_stale_version"


def test_cli_stale_row_refuses_the_other_rows_too(store: Store, tmp_path):
    url = url_of(store)
    ids = _facilities(store)
    exported = tmp_path / "f.gpkg"
    assert cli("export", str(exported), "--layer", "facilities", url=url).returncode == 0
    # Another officer edits facility 1 after the export.
    store.update("facilities", ids[0], {"name": "已改名的站"}, expected_version=1, actor="other")

    def change(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        frame["floor_area_m2"] = [30.0, 31.0, 32.0]
        return frame

    edited = tmp_path / "f2.gpkg"
    _edit(exported, edited, change)
    r = cli("import", str(edited), "--layer", "facilities", "--crs", "EPSG:4490",
            "--mode", "upsert", url=url)
    assert r.returncode == 1 and "version" in r.stderr and "nothing was imported" in r.stderr
    assert [store.get("facilities", i)["floor_area_m2"] for i in ids] == [20.0, 20.0, 20.0]
    assert store.get("facilities", ids[0])["name"] == "已改名的站"


def test_a_stale_file_of_many_rows_is_refused_with_every_row_in_the_audit_trail_at_once(store: Store, tmp_path):
    """An officer re-uploading an old export of every plate waited 74–130 s for the refusal: each refused row's
    audit entry was a transaction of its own, and the lookup refresher ran round after round as they appeared
    (review). Now they are written together: a reader sees none of them, then all of them."""
    import threading

    from geo.errors import StaleVersion
    from geo.io.importer import import_file

    rows = 1_500
    exported = _many_facilities_exported(store, rows, tmp_path)[1]

    def stale(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        frame["floor_area_m2"] = 31.0
        frame["version"] = 2  # every row at a version the stored records (1) never had: all refused as stale
        return frame

    _edit(exported, tmp_path / "stale.gpkg", stale)

    def refused_rows() -> int:
        return sum(1 for r in store.audit_rows("facilities") if r["action"] == "refused_stale_version")

    seen: set[int] = set()
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            seen.add(refused_rows())

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with pytest.raises(StaleVersion) as refusal:
            import_file(store, "facilities", tmp_path / "stale.gpkg", crs="EPSG:4490", actor="officer",
                        mode="upsert")
    finally:
        done.set()
        watcher.join(30)
    assert f"共 {rows} 行版本不符" in refusal.value.message and refusal.value.field == "version"
    assert refused_rows() == rows
    assert seen <= {0, rows}, sorted(seen)[:5]  # never part of them
    assert {r["floor_area_m2"] for r in store.select("facilities")} == {20.0}


def test_an_upsert_of_many_rows_updates_each_with_its_audit_row_and_a_moved_one_by_itself(store: Store, tmp_path):
    """A file correcting a field of every record is applied as statements per chunk (it was one statement with
    its reads and audit insert per row: 34,710 plates took 60–200 s, review); each record still gets its version
    and its own audit row with before and after, and a moved record its new geometry."""
    from geo.io.importer import import_file

    rows = 1_200
    ids, exported = _many_facilities_exported(store, rows, tmp_path)

    def correct(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        frame["floor_area_m2"] = [30.0 + i % 7 for i in range(len(frame))]
        frame.loc[0, "name"] = "改名的站"  # another set of changed fields
        frame.loc[1, "geometry"] = shapely.Point(111.70, 40.86)  # moved
        return frame

    _edit(exported, tmp_path / "corrected.gpkg", correct)
    report = import_file(store, "facilities", tmp_path / "corrected.gpkg", crs="EPSG:4490", actor="officer",
                         mode="upsert")
    assert report.updated_ids == ids and report.imported == rows
    stored = {r["id"]: r for r in store.select("facilities")}
    assert [stored[i]["floor_area_m2"] for i in ids] == [30.0 + i % 7 for i in range(rows)]
    assert {r["version"] for r in stored.values()} == {2}
    assert stored[ids[0]]["name"] == "改名的站" and stored[ids[1]]["geometry"].equals(shapely.Point(111.70, 40.86))
    assert store.select("facilities", bbox=(111.699, 40.859, 111.701, 40.861)) == [stored[ids[1]]]  # indexed there
    audits = [r for r in store.audit_rows("facilities") if r["action"] == "update"]
    assert sorted(r["record_id"] for r in audits) == ids
    first = next(r for r in audits if r["record_id"] == ids[0])
    assert json.loads(first["before"])["name"] == "测试养老服务站0" and json.loads(first["after"])["name"] == "改名的站"
    assert all(r["actor"] == "officer" and "corrected.gpkg" in r["note"] for r in audits)


def test_grouped_updates_refuse_a_stale_record_and_a_neighbours_outline_changing_nothing(store: Store):
    """What :meth:`Store.update` checks for one record, the grouped path checks for each (the import's plan was read
    before the rows were locked: a change in between, or a neighbour's outline, must stop it)."""
    from geo.errors import NotFound, StaleVersion

    ids = _facilities(store)
    store.update("facilities", ids[1], {"floor_area_m2": 25.0}, expected_version=1, actor="other")
    with pytest.raises(StaleVersion) as stale, store.writing() as conn:
        store.update_each("facilities", {i: {"floor_area_m2": 50.0} for i in ids}, actor="officer", conn=conn,
                          expected_versions=dict.fromkeys(ids, 1))
    assert stale.value.field == "version" and "第 2 版" in stale.value.message, stale.value.message
    assert [store.get("facilities", i)["floor_area_m2"] for i in ids] == [20.0, 25.0, 20.0]
    outline = store.insert("admin_units", [{
        "code": "150103000000", "name": "回民区", "level": "district", "status": "neighbour",
        "geometry": shapely.box(111.50, 40.80, 111.60, 40.90)}], actor="test")[0]
    with pytest.raises(NotFound), store.writing() as conn:
        store.update_each("admin_units", {outline: {"name": "改"}}, actor="officer", conn=conn,
                          expected_versions={outline: 1})
    assert store.get("admin_units", outline)["name"] == "回民区"


def test_an_upsert_touching_a_neighbours_outline_is_refused_naming_it(writable_sample_store: Store, tmp_path):
    """An exported admin_units file holds the neighbours' outlines (their own adcode): filling a column across it
    was told "admin_units records were changed meanwhile; try again", for ever (second review). It is refused as
    not this district's, naming the row's record, and nothing is changed."""
    from geo.errors import Forbidden
    from geo.io.importer import export_layer, import_file

    store = writable_sample_store
    export_layer(store, "admin_units", tmp_path / "units.gpkg")
    neighbours = {r["id"] for r in store.select("admin_units") if r["status"] == "neighbour"}
    assert neighbours

    def fill(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        frame["households"] = 12_345
        return frame

    _edit(tmp_path / "units.gpkg", tmp_path / "filled.gpkg", fill)
    before = {r["id"]: (r["version"], r["households"]) for r in store.select("admin_units")}
    ticks: list[int] = []
    with pytest.raises(Forbidden) as refusal:  # refused while checking, before anything is written (review)
        import_file(store, "admin_units", tmp_path / "filled.gpkg", crs="EPSG:4490", actor="officer", mode="upsert",
                    progress=ticks.append)
    message = refusal.value.message
    assert message.startswith("第 ") and "邻区参考界线" in message and "households" in message, message
    row = int(message.split(" ")[1])  # the file's row of a neighbour's outline, and its record named by its code
    named = store.get("admin_units", _row_ids(tmp_path / "filled.gpkg")[row - 1])
    assert named["id"] in neighbours and f"{named['code']} {named['name']} 是" in message
    assert ticks == [] and refusal.value.field == "id"
    assert {r["id"]: (r["version"], r["households"]) for r in store.select("admin_units")} == before


@pytest.mark.parametrize("database_url", ["postgis"], indirect=True)
def test_an_upsert_locks_its_records_in_id_order_before_changing_any(store: Store, tmp_path):
    """Two imports that each moved a geometry deadlocked (the moves were locked first, then the rest in id order:
    second review). Every record an upsert changes is locked first, in id order: while another session holds the
    lowest, the import waits there holding none of the others."""
    import threading

    import sqlalchemy as sa

    from geo.io.importer import import_file

    ids, exported = _many_facilities_exported(store, 3, tmp_path)

    def change(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        frame["floor_area_m2"] = 40.0  # the lowest id: a field; the highest: moved
        frame.loc[frame["id"] == ids[-1], "geometry"] = shapely.Point(111.70, 40.86)
        return frame

    _edit(exported, tmp_path / "changed.gpkg", change)
    other = store.engine.connect()
    other.execute(sa.text("SELECT id FROM facilities WHERE id = :i FOR UPDATE"), {"i": ids[0]})
    done: list[object] = []
    importing = threading.Thread(target=lambda: done.append(import_file(
        store, "facilities", tmp_path / "changed.gpkg", crs="EPSG:4490", actor="officer", mode="upsert")))
    importing.start()
    try:
        with store.engine.connect() as probe:
            for _ in range(300):  # until the import waits for the lowest record's lock
                if probe.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                         "AND datname = current_database()")).scalar():
                    break
                probe.rollback()
                threading.Event().wait(0.05)
            else:
                pytest.fail("the import never waited for the record another session holds")
            highest = probe.execute(sa.text("SELECT id FROM facilities WHERE id = :i FOR UPDATE NOWAIT"),
                                    {"i": ids[-1]}).all()  # would raise "could not obtain lock" had it been taken
            assert highest == [(ids[-1],)]
            probe.rollback()
    finally:
        other.rollback()
        other.close()
        importing.join(60)
    assert len(done) == 1 and [store.get("facilities", i)["floor_area_m2"] for i in ids] == [40.0] * 3


def test_a_new_row_among_an_upserts_updates_is_named_by_its_file_row(writable_sample_store: Store, tmp_path):
    """An upsert's new rows were numbered by their place among the inserts: a refused new plate in file row 6 was
    reported as "第 1 行 / row 1" (second review), sending the officer to a row that was fine."""
    from geo.errors import InputError
    from geo.io.formats import write_features
    from geo.io.importer import import_file
    from geo.store.store import records_to_frame

    store = writable_sample_store
    five = records_to_frame(store.select("door_plates", limit=5), Store.table("door_plates"))
    write_features(five, tmp_path / "plates.gpkg", layer_name="door_plates")  # five rows of an export

    def five_updates_then_one_outside(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        frame["households"] = frame["households"] + 1
        extra = frame.iloc[[0]].copy()
        extra["id"], extra["version"], extra["plate_uid"], extra["number"] = None, None, None, 9_999
        extra["geometry"] = [shapely.Point(116.40, 39.90)]  # far outside the district
        return pd.concat([frame, extra], ignore_index=True)

    _edit(tmp_path / "plates.gpkg", tmp_path / "mixed.gpkg", five_updates_then_one_outside)
    before = store.select("door_plates", limit=5)
    with pytest.raises(InputError) as refusal:
        import_file(store, "door_plates", tmp_path / "mixed.gpkg", crs="EPSG:4490", actor="officer", mode="upsert")
    assert "第 6 行" in refusal.value.message and "row 6" in refusal.value.message, refusal.value.message
    assert "第 1 行" not in refusal.value.message
    assert store.select("door_plates", limit=5) == before


def test_init_refuses_a_database_that_holds_records(store: Store):
    url = url_of(store)
    _facilities(store)
    before = _counts(store)
    r = cli("init", url=url)
    assert r.returncode == 2
    assert "数据库已有数据" in r.stderr and "facilities: 3" in r.stderr
    assert "nothing was changed" in r.stderr and "xincheng import" in r.stderr
    assert _counts(store) == before  # no sample unit, street or plate mixed in
    assert before["admin_units"] == 0 and before["facilities"] == 3
    r = cli("init", "--empty", url=url)  # creating or upgrading the schema alone is fine
    assert r.returncode == 0, r.stderr
    assert _counts(store) == before


def test_a_refused_file_is_exit_2_without_the_usage_lines(store: Store, tmp_path):
    """Review of #15: a file refused for its data printed click's "Usage: xincheng import …" and "Try 'xincheng
    import --help'" above the message, sending the officer to the options when the file had to change. Still
    status 2 (bad input), the message naming row and field, no usage lines, nothing stored."""
    url = url_of(store)
    path = tmp_path / "facilities.geojson"
    station = {"kind": ["elder_care_station"] * 2, "name": ["测试养老服务站", "第二站"], "floor_area_m2": [20.0, -5.0]}
    gpd.GeoDataFrame(station, geometry=[shapely.Point(111.68, 40.85)] * 2, crs="EPSG:4490").to_file(
        path, driver="GeoJSON")
    r = cli("import", str(path), "--layer", "facilities", "--crs", "EPSG:4490", url=url)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "第 2 行" in r.stderr and "floor_area_m2" in r.stderr, r.stderr
    assert "Usage:" not in r.stderr and "--help" not in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert store.count("facilities") == 0


def test_after_init_empty_and_an_import_nothing_advises_init(database_url, tmp_path):
    r = cli("init", "--empty", url=database_url)
    assert r.returncode == 0, r.stderr
    empty = cli("coverage", url=database_url)  # an empty database may take the sample
    assert empty.returncode == 2
    assert "xincheng init" in empty.stderr and "xincheng import" in empty.stderr

    # The user's own data, without streets (and plates, which need their streets stored first).
    units, facilities = tmp_path / "units.geojson", tmp_path / "facilities.geojson"
    _units_frame().to_file(units, driver="GeoJSON")
    station = {"kind": ["elder_care_station"], "name": ["测试养老服务站"], "floor_area_m2": [20.0]}
    gpd.GeoDataFrame(station, geometry=[shapely.Point(111.68, 40.85)], crs="EPSG:4490").to_file(
        facilities, driver="GeoJSON")
    for path, layer in ((units, "admin_units"), (facilities, "facilities")):
        assert _summary(cli("import", str(path), "--layer", layer, "--crs", "EPSG:4490",
                            url=database_url))["inserted"] > 0

    r = cli("coverage", url=database_url)
    assert r.returncode == 2
    assert "xincheng init" not in r.stderr
    district = " --district 150102" if database_url.startswith("postgresql") else ""  # PostGIS holds many
    assert f"xincheng{district} import streets.gpkg --layer streets" in r.stderr
    assert f"xincheng{district} import door_plates.gpkg --layer door_plates" in r.stderr
    assert "街路巷 streets" in r.stderr

    store = Store.open(database_url)
    try:
        before = _counts(store)
        r = cli("init", url=database_url)  # the path the issue describes: refused, not piled on
        assert r.returncode == 2 and "admin_units: 3" in r.stderr and "facilities: 1" in r.stderr
        assert _counts(store) == before

        create_user(store, *ADMIN, "admin", actor="test")
        with running_server(server_settings(store)) as base:
            h = _login(base)
            got = httpx.get(f"{base}/api/planning/coverage", headers=h, timeout=60)
            assert got.status_code == 400, got.text
            assert "xincheng init" not in got.json()["message"]
            assert "POST /api/layers/streets/import" in got.json()["message"]
    finally:
        store.close()


# -- the HTTP API ----------------------------------------------------------------------------------


def _login(base: str) -> dict[str, str]:
    r = httpx.post(f"{base}/api/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_http_import_modes(store: Store, tmp_path):
    ids = _facilities(store)
    _plates(store)
    create_user(store, *ADMIN, "admin", actor="test")
    with running_server(server_settings(store)) as base:
        h = _login(base)
        spec = httpx.get(f"{base}/openapi.json", timeout=60).json()
        params = spec["paths"]["/api/layers/{layer}/import"]["post"]["parameters"]
        mode = next(p for p in params if p["name"] == "mode")
        assert mode["schema"]["enum"] == ["insert", "upsert"]
        assert mode["schema"]["default"] == "insert"
        assert "upsert" in mode["schema"]["description"]

        exported = tmp_path / "f.gpkg"
        r = httpx.get(f"{base}/api/layers/facilities/export", headers=h, params={"format": "gpkg"})
        assert r.status_code == 200
        exported.write_bytes(r.content)
        url = f"{base}/api/layers/facilities/import"
        query = {"crs": "EPSG:4490", "format": "gpkg"}

        r = httpx.post(url, headers=h, params=query, content=exported.read_bytes())
        assert r.status_code == 409, r.text
        assert r.json()["error"] == "conflict" and r.json()["field"] == "id"
        assert "already stored" in r.json()["message"] and "已存在" in r.json()["message"]
        assert store.count("facilities") == 3

        r = httpx.post(url, headers=h, params={**query, "mode": "merge"},
                       content=exported.read_bytes())
        assert r.status_code == 422 and r.json()["field"] == "mode"

        edited = tmp_path / "f_edited.gpkg"

        def change(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
            frame.loc[frame["id"] == ids[0], "floor_area_m2"] = 88.0
            return frame

        _edit(exported, edited, change)
        upsert = {**query, "mode": "upsert"}
        r = httpx.post(url, headers=h, params=upsert, content=edited.read_bytes())
        assert r.status_code == 200, r.text
        assert (r.json()["updated"], r.json()["inserted"], r.json()["unchanged"]) == (1, 0, 2)
        assert store.count("facilities") == 3
        first = store.get("facilities", ids[0])
        assert (first["floor_area_m2"], first["version"]) == (88.0, 2)
        assert store.audit_rows("facilities", ids[0])[-1]["actor"] == ADMIN[0]

        r = httpx.post(url, headers=h, params=upsert, content=edited.read_bytes())
        assert r.status_code == 409 and r.json()["error"] == "stale_version", r.text
        assert r.json()["field"] == "version" and "row 1" in r.json()["message"]

        # A plate's status is a decision: an upsert may not change it, and the whole file stays out.
        plates = tmp_path / "plates.gpkg"
        r = httpx.get(f"{base}/api/layers/door_plates/export", headers=h, params={"format": "gpkg"})
        plates.write_bytes(r.content)
        revoked = tmp_path / "plates_revoked.gpkg"

        def revoke_one(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
            frame.loc[0, "status"] = "revoked"
            frame.loc[1, "building_name"] = "改名楼"
            return frame

        _edit(plates, revoked, revoke_one)
        plates_url = f"{base}/api/layers/door_plates/import"
        r = httpx.post(plates_url, headers=h, params={**query, "mode": "upsert"},
                       content=revoked.read_bytes())
        assert r.status_code == 422 and r.json()["field"] == "status", r.text
        assert "第 1 行" in r.json()["message"]
        assert {p["status"] for p in store.select("door_plates")} == {"active"}
        assert "改名楼" not in {p["building_name"] for p in store.select("door_plates")}

        renamed = tmp_path / "plates_renamed.gpkg"
        _edit(plates, renamed, lambda f: f.assign(building_name=["甲楼", "改名楼", "丙楼"]))
        r = httpx.post(plates_url, headers=h, params={**query, "mode": "upsert"},
                       content=renamed.read_bytes())
        assert r.status_code == 200 and r.json()["updated"] == 1, r.text
        plate = store.select("door_plates", where={"plate_uid": PLATE_UIDS[1]})[0]
        assert (plate["building_name"], plate["version"]) == ("改名楼", 2)
        assert store.count("door_plates") == 3


@pytest.mark.parametrize("layer,named_by", [("facilities", "id"), ("door_plates", "plate_uid")])
def test_two_rows_naming_one_record_are_refused(store: Store, tmp_path, layer, named_by):
    from geo.errors import InputError
    from geo.io.importer import export_layer, import_file

    if layer == "facilities":
        _facilities(store)
    else:
        _plates(store)
    path = tmp_path / "layer.gpkg"
    export_layer(store, layer, path)
    doubled = tmp_path / "doubled.gpkg"
    keep_id = named_by == "id"  # plates are named by plate_uid alone once the id column is gone
    _edit(path, doubled, lambda f: pd.concat([f, f.iloc[[0]]], ignore_index=True).drop(
        columns=[] if keep_id else ["id"]))
    with pytest.raises(InputError) as err:
        import_file(store, layer, doubled, crs="EPSG:4490", actor="t", mode="upsert")
    assert "第 1 行与第 4 行" in err.value.message and "rows 1 and 4" in err.value.message
    assert err.value.field == named_by
    assert store.count(layer) == 3


def test_an_id_naming_a_record_with_another_identifier_is_refused(store: Store, tmp_path):
    from geo.errors import Conflict
    from geo.io.importer import export_layer, import_file

    _plates(store)
    path = tmp_path / "plates.gpkg"
    export_layer(store, "door_plates", path)
    changed = tmp_path / "changed.gpkg"
    _edit(path, changed, lambda f: f.assign(plate_uid=["Q2R3S4T5", *PLATE_UIDS[1:]]))
    for mode in ("insert", "upsert"):  # never a rewritten uid, never a second plate for id 1
        with pytest.raises(Conflict) as err:
            import_file(store, "door_plates", changed, crs="EPSG:4490", actor="t", mode=mode)
        assert err.value.field == "plate_uid"
        assert f"row 1: id 1 is stored as plate_uid {PLATE_UIDS[0]} but the file says Q2R3S4T5" \
            in err.value.message
    assert sorted(p["plate_uid"] for p in store.select("door_plates")) == sorted(PLATE_UIDS)


def test_a_neighbours_outline_renamed_in_a_file_is_refused_as_a_reference_row(writable_sample_store: Store, tmp_path):
    """Its name change was sent to POST /api/divisions/rename, which renames no neighbour's outline (review)."""
    from geo.errors import Forbidden
    from geo.io.importer import export_layer, import_file

    store = writable_sample_store
    export_layer(store, "admin_units", tmp_path / "units.gpkg")

    def rename(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        frame.loc[frame["status"] == "neighbour", "name"] = "改名区"
        return frame

    _edit(tmp_path / "units.gpkg", tmp_path / "renamed.gpkg", rename)
    with pytest.raises(Forbidden) as refusal:
        import_file(store, "admin_units", tmp_path / "renamed.gpkg", crs="EPSG:4490", actor="officer", mode="upsert")
    assert "邻区参考界线" in refusal.value.message and "rename" not in refusal.value.message, refusal.value.message


def test_a_version_ahead_of_the_stored_one_is_not_called_an_edit_after_the_export(store: Store, tmp_path):
    """Review of #15: a file whose version is above the stored record's (exported from another database, or
    from this one before it was restored from an earlier backup) was refused as "it changed after the export",
    which sent the officer looking for a colleague's edit that never happened. Refused whole, named for what it
    is, nothing stored."""
    from geo.errors import StaleVersion
    from geo.io.importer import export_layer, import_file

    ids = _facilities(store)
    exported = tmp_path / "f.gpkg"
    export_layer(store, "facilities", exported)

    def ahead(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        frame.loc[frame["id"] == ids[1], ["version", "floor_area_m2"]] = [5, 45.5]
        return frame

    edited = tmp_path / "ahead.gpkg"
    _edit(exported, edited, ahead)
    before = store.select("facilities")
    with pytest.raises(StaleVersion) as refusal:
        import_file(store, "facilities", edited, crs="EPSG:4490", actor="officer", mode="upsert")
    message = refusal.value.message
    zh, _, en = message.partition(" · ")
    assert f"第 2 行（id {ids[1]}）的 version 是 5，高于库中的 1" in zh and "导出后记录已被修改" not in zh, message
    assert "不是从本库的当前记录导出的" in zh and "共 1 行版本不符" in zh, message
    assert f"row 2 (id {ids[1]}) carries version 5, above the stored record's 1" in en, message
    assert "changed after the export" not in en and refusal.value.field == "version"
    assert store.select("facilities") == before


def test_a_file_with_rows_behind_and_ahead_names_both_and_bad_versions_are_refused_as_input(store: Store, tmp_path):
    """Review of #15: a file holding a row edited after its export (version below the stored one) and a row from
    elsewhere (above it) was named by its first stale row alone, so half the message was false; a version of 0,
    -4 or 99999999999999999999999 (read as a float and quoted as another number) was called "changed after the
    export". Both kinds are now named with their counts; a version outside 1 … 2**31-1 is refused as input."""
    from geo.errors import InputError, StaleVersion
    from geo.io.importer import export_layer, import_file

    ids = _facilities(store)
    exported = tmp_path / "f.gpkg"
    export_layer(store, "facilities", exported)
    store.update("facilities", ids[0], {"floor_area_m2": 21.0}, expected_version=1, actor="同事")  # now version 2

    def mixed(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:  # row 1 behind (1 < 2), row 3 ahead (7 > 1)
        frame.loc[frame["id"] == ids[2], "version"] = 7
        frame["floor_area_m2"] = 30.0
        return frame

    _edit(exported, tmp_path / "mixed.gpkg", mixed)
    before = store.select("facilities")
    with pytest.raises(StaleVersion) as refusal:
        import_file(store, "facilities", tmp_path / "mixed.gpkg", crs="EPSG:4490", actor="officer", mode="upsert")
    zh, _, en = refusal.value.message.partition(" · ")
    assert "文件中 1 行的 version 低于库中" in zh and "1 行高于库中" in zh and "共 2 行版本不符" in zh, zh
    assert "1 row(s) of the file are below the stored version" in en and "1 above it" in en, en
    assert store.select("facilities") == before
    for bad in (0, -4, 2**31, 99999999999999999999999):
        def with_version(frame: gpd.GeoDataFrame, bad=bad) -> gpd.GeoDataFrame:
            frame["version"] = frame["version"].astype(object)
            frame.loc[frame["id"] == ids[1], "version"] = str(bad)
            return frame

        path = tmp_path / "bad.csv"
        frame = with_version(gpd.read_file(exported))
        pd.DataFrame(frame.drop(columns="geometry")).assign(
            longitude=frame.geometry.x, latitude=frame.geometry.y).to_csv(path, index=False)
        with pytest.raises(InputError) as err:
            import_file(store, "facilities", path, crs="EPSG:4490", actor="officer", mode="upsert",
                        x_col="longitude", y_col="latitude")
        assert not isinstance(err.value, StaleVersion) and err.value.field == "version", err.value.message
        assert f"'{bad}'" in err.value.message and "1 到 2147483647" in err.value.message, err.value.message
    assert store.select("facilities") == before


def test_a_version_of_hundreds_of_digits_is_refused_as_input_not_a_traceback(store: Store, tmp_path):
    """Recheck review of #15: a GeoJSON version of 401 digits reached float() as a Python int and raised
    OverflowError (a traceback in the CLI, a 400 naming no row over HTTP). Refused as input naming row and field."""
    from geo.errors import InputError
    from geo.io.importer import import_file

    ids = _facilities(store)
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [111.68, 40.85]},
               "properties": {"id": ids[0], "version": 10**400, "kind": "elder_care_station", "name": "测试养老服务站1",
                              "floor_area_m2": 25.0}}
    path = tmp_path / "huge.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
    before = store.select("facilities")
    with pytest.raises(InputError) as err:
        import_file(store, "facilities", path, crs="EPSG:4490", actor="officer", mode="upsert")
    assert err.value.field == "version" and "第 1 行" in err.value.message, err.value.message
    assert store.select("facilities") == before
