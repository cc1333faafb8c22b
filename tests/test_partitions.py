"""PostGIS partitioned by district (#19 item 2; revision 0014, geo/store/partitions.py).

Every district table is a table partitioned by list of ``adcode``: a district's queries read its own
partition only (checked on the plans the planner makes for the district's own transactions), a new
district gets its partitions before its first rows (its rows moved out of the default partition if
they were there), the QR uids stay unique across districts while a district's other codes are unique
in the district, and the district role cannot read a partition behind its table's policy.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import shapely
import sqlalchemy as sa

from geo.errors import Conflict, InputError
from geo.io.importer import _uniqueness_conflict
from geo.restore_rules import check_restored
from geo.signs import _uids as sign_uids
from geo.store import Store
from geo.store.backup import restore_backup, write_backup
from geo.store.partitions import ensure_district_partitions, missing_partitions, partitioned_tables
from geo.store.plate_lookups import _lookup_query, lookup_parameters, read_lookup
from geo.store.store import integrity_problem
from geo.users import create_user
from tests.conftest import _fresh_url, running_server, server_settings
from tests.xincheng_cli import invoke

OWN, OTHER = "150102", "150121"


@pytest.fixture
def pg_store(request, tmp_path_factory) -> Iterator[Store]:
    """A migrated, empty PostGIS store of 新城区 (the suite's PostgreSQL server; skipped without one)."""
    url, drop = _fresh_url("postgis", request, tmp_path_factory)
    store = Store.open(url)
    store.migrate()
    yield store
    store.close()
    drop()


def _plate(uid: str, lon: float, number: int = 1) -> dict:
    return {"plate_uid": uid, "street_name": "新华大街", "number": number, "households": 3,
            "geometry": shapely.Point(lon, 40.85)}


def _where(store: Store, table: str, record_id: int) -> str:
    """The partition a row is stored in (read as the owner)."""
    with store.whole().reading() as conn:
        return conn.execute(sa.text(f"SELECT tableoid::regclass::text FROM {table} WHERE id = :id"),
                            {"id": record_id}).scalar_one()


def _plan(store: Store, sql: str) -> str:
    """EXPLAIN of ``sql`` in one of ``store``'s district transactions (its role and district bound)."""
    with store.reading() as conn:
        return "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + sql))


def test_every_district_table_is_partitioned_and_the_district_has_its_own_partitions(pg_store):
    with pg_store.whole().reading() as conn:
        policed = set(conn.execute(sa.text(
            "SELECT c.relname FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid "
            "WHERE p.polname = 'district_rows' AND c.relnamespace = current_schema()::regnamespace "
            "AND c.relkind IN ('r', 'p')")).scalars())
        partitioned = set(partitioned_tables(conn))
        parts = set(conn.execute(sa.text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE c.relnamespace = current_schema()::regnamespace")).scalars())
    assert "door_plates" in partitioned and "coverage_results" in partitioned and len(partitioned) >= 30
    assert partitioned == policed - {"audit_log"}  # the audit log is the one commit-ordered feed
    for table in partitioned:  # migrate() gave the store's own district its partitions
        assert {f"{table}_p{OWN}", f"{table}_pdefault"} <= parts, table


def test_a_districts_reads_touch_its_own_partition_only(pg_store):
    other = pg_store.for_district(OTHER)
    assert ensure_district_partitions(other.engine, OTHER)  # made now
    assert ensure_district_partitions(other.engine, OTHER) == []  # idempotent
    (own_id,) = pg_store.insert("door_plates", [_plate("AAAA2222", 111.70)], actor="t")
    # A district's worth of plates and units, and the statistics autovacuum keeps, for realistic plans.
    pg_store.insert("door_plates", [_plate(f"Q{i:07d}", 111.70 + i * 1e-6, i + 2) for i in range(3000)],
                    actor="t", audit="batch")
    pg_store.insert("admin_units", [{"code": f"150102{i:03d}000", "name": f"社区{i}", "level": "community",
                                     "parent_code": "150102001000"} for i in range(200)], actor="t", audit="batch")
    with pg_store.whole().writing() as conn:
        for table in ("door_plates", "admin_units", "place_names", "plate_lookups"):
            conn.exec_driver_sql(f"ANALYZE {table}")
    (other_id,) = other.insert("door_plates", [_plate("BBBB3333", 111.70)], actor="t")
    assert _where(pg_store, "door_plates", own_id) == f"door_plates_p{OWN}"
    assert _where(pg_store, "door_plates", other_id) == f"door_plates_p{OTHER}"
    by_uid = _plan(pg_store, "SELECT * FROM door_plates WHERE plate_uid = 'AAAA2222'")
    by_box = _plan(pg_store, "SELECT id FROM door_plates WHERE geom && "
                             "ST_MakeEnvelope(111.69, 40.84, 111.71, 40.86, 4490)")
    by_id = _plan(pg_store, f"SELECT * FROM door_plates WHERE id = {own_id}")
    for plan in (by_uid, by_box, by_id):
        scanned = set(re.findall(r" on (door_plates_p\w+)", plan))
        assert scanned == {f"door_plates_p{OWN}"}, plan  # the others pruned (at run time: the policy's setting)
    # A QR lookup by uid: one index read of the district's own partition.
    assert len(re.findall(r"Index Scan", by_uid)) == 1 and "Seq Scan" not in by_uid, by_uid
    # The public scan's own read (geo.store.plate_lookups): the plate, its stored lookup and its names.
    scan = str(_lookup_query().params(**lookup_parameters(pg_store, "AAAA2222")).compile(
        pg_store.engine, compile_kwargs={"literal_binds": True}))
    scan_plan = _plan(pg_store, scan.replace("%%", "%"))
    # The district said as a value: the other districts' partitions pruned while planning, not planned
    # and then skipped at run time (which costs a plan of every district's partitions per statement).
    assert "Subplans Removed" not in scan_plan, scan_plan
    for table in ("door_plates", "admin_units", "place_names"):  # the plate, its units and street: own partition
        assert set(re.findall(rf" on ({table}_p\w+)", scan_plan)) == {f"{table}_p{OWN}"}, scan_plan
    assert re.search(rf"Index Scan using door_plates_p{OWN}_plate_uid_adcode_key", scan_plan), scan_plan
    assert read_lookup(pg_store, "AAAA2222")["plate_uid"] == "AAAA2222"
    assert read_lookup(pg_store, "BBBB3333") is None  # another district's plate: not through this district
    assert pg_store.select("door_plates", where={"plate_uid": "BBBB3333"}) == []
    assert [r["plate_uid"] for r in other.select("door_plates")] == ["BBBB3333"]


def test_a_new_districts_rows_move_out_of_the_default_partition_unchanged(pg_store):
    other = pg_store.for_district(OTHER)
    (fid,) = other.insert("facilities", [{"kind": "elder_care_station", "name": "示例站", "floor_area_m2": 200.0,
                                          "geometry": shapely.Point(111.7, 40.85)}], actor="t")
    before = other.get("facilities", fid)
    assert _where(pg_store, "facilities", fid) == "facilities_pdefault"  # no partition of its own yet
    made = ensure_district_partitions(pg_store.engine, OTHER)
    assert "facilities" in made and "door_plates" in made
    assert _where(pg_store, "facilities", fid) == f"facilities_p{OTHER}"
    assert other.get("facilities", fid) == before  # same id, version, text and geometry
    (next_id,) = other.insert("facilities", [{"kind": "elder_care_station", "name": "示例站二", "floor_area_m2": 100.0,
                                              "geometry": shapely.Point(111.71, 40.85)}], actor="t")
    assert next_id > fid and _where(pg_store, "facilities", next_id) == f"facilities_p{OTHER}"


def test_qr_uids_are_unique_across_districts_other_codes_within_a_district(pg_store):
    other = pg_store.for_district(OTHER)
    ensure_district_partitions(other.engine, OTHER)
    pg_store.insert("door_plates", [_plate("CCCC4444", 111.70)], actor="t")
    with pytest.raises(sa.exc.IntegrityError) as refused:  # a plate's uid is on its QR code: one in the city
        other.insert("door_plates", [_plate("CCCC4444", 111.71)], actor="t")
    problem = integrity_problem(refused.value)  # the service's answer: 409 naming the field and the value
    assert isinstance(problem, Conflict) and problem.field == "plate_uid" and "CCCC4444" in str(problem), problem
    assert other.select("door_plates") == []
    # A code counter is a district's own: each district counts its own serials for the same scheme and prefix.
    counter = {"scheme": "address", "prefix": "A", "last_serial": 7}
    pg_store.insert("code_counters", [counter], actor="t")
    other.insert("code_counters", [counter], actor="t")
    assert [r["last_serial"] for r in other.select("code_counters")] == [7]
    with pytest.raises(sa.exc.IntegrityError):  # still unique within the district
        other.insert("code_counters", [counter], actor="t")


def test_the_district_role_cannot_read_a_partition_behind_its_tables_policy(pg_store):
    other = pg_store.for_district(OTHER)
    ensure_district_partitions(other.engine, OTHER)
    other.insert("door_plates", [_plate("DDDD5555", 111.70)], actor="t")
    for partition in (f"door_plates_p{OTHER}", "door_plates_pdefault", f"door_plates_p{OWN}"):
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied"), pg_store.reading() as conn:
            conn.exec_driver_sql(f"SELECT count(*) FROM {partition}")


def test_a_restore_puts_each_districts_rows_in_its_own_partition(pg_store, request, tmp_path_factory, tmp_path):
    other = pg_store.for_district(OTHER)
    ensure_district_partitions(other.engine, OTHER)
    pg_store.insert("door_plates", [_plate("EEEE6666", 111.70)], actor="t")
    other.insert("door_plates", [_plate("FFFF7777", 111.70)], actor="t")
    archive = tmp_path / "two.zip"
    write_backup(pg_store.whole(), archive)
    url, drop = _fresh_url("postgis", request, tmp_path_factory)
    target = Store.open(url)  # an empty database: no partition for 150121 until the restore makes one
    try:
        counts = restore_backup(target, archive)
        assert counts["door_plates"] == 2
        with target.whole().reading() as conn:
            placed = dict(conn.execute(sa.text(
                "SELECT plate_uid, tableoid::regclass::text FROM door_plates")).all())
        assert placed == {"EEEE6666": f"door_plates_p{OWN}", "FFFF7777": f"door_plates_p{OTHER}"}
        with pytest.raises(sa.exc.IntegrityError, match="plate_uid"):  # restored uids are known across districts
            target.insert("door_plates", [_plate("FFFF7777", 111.72)], actor="t")
    finally:
        target.close()
        drop()


def test_sign_ids_stay_unique_across_districts(pg_store):
    """Each district counts sign ids in its own counter row, from the highest any district has given: a
    second district's first sign is not the first district's (both on QR codes, both scanned city-wide)."""
    other = pg_store.for_district(OTHER)
    ensure_district_partitions(other.engine, OTHER)
    with pg_store.writing() as conn:
        own = sign_uids.allocate(pg_store, conn, count=3, actor="t")
    with other.writing() as conn:
        theirs = sign_uids.allocate(other, conn, count=2, actor="t")
    with pg_store.writing() as conn:
        again = sign_uids.allocate(pg_store, conn, count=1, actor="t")
    serials = [sign_uids.decode(u) for u in (*own, *theirs, *again)]
    assert serials == [1, 2, 3, 4, 5, 6], serials
    assert [r["last_serial"] for r in other.select("code_counters", where={"scheme": "sign"})] == [5]


def _sign(store: Store, uid: str) -> dict:
    return {"sign_uid": uid, "sign_type": "ordinary", "status": "active", "geometry": shapely.Point(111.70, 40.85)}


def test_a_backup_of_districts_that_each_issued_sign_ids_restores(pg_store, request, tmp_path_factory, tmp_path):
    """Outside review #19-1: each district's sign counter is its own row; a restore's rule checks the highest."""
    other = pg_store.for_district(OTHER)
    ensure_district_partitions(other.engine, OTHER)
    for store in (pg_store, other):
        with store.writing() as conn:
            (uid,) = sign_uids.allocate(store, conn, actor="t")
        store.insert("street_signs", [_sign(store, uid)], actor="t")
    archive = tmp_path / "signs.zip"
    write_backup(pg_store.whole(), archive)
    url, drop = _fresh_url("postgis", request, tmp_path_factory)
    target = Store.open(url)
    try:
        counts = restore_backup(target, archive, checks=[check_restored])
        assert counts["street_signs"] == 2 and counts["code_counters"] == 2
        with target.writing() as conn:  # the next sign id follows the highest either district gave
            assert sign_uids.decode(sign_uids.allocate(target, conn, actor="t")[0]) == 3
    finally:
        target.close()
        drop()


def test_a_backup_of_two_districts_is_refused_by_sqlite_with_nothing_changed(pg_store, tmp_path):
    """Outside review #19-2: SQLite holds one district; a backup of two is refused in Chinese first."""
    other = pg_store.for_district(OTHER)
    ensure_district_partitions(other.engine, OTHER)
    for store in (pg_store, other):
        store.insert("admin_units", [{"code": f"{store.adcode}000000", "name": f"区{store.adcode}", "level": "district",
                                      "geometry": shapely.box(111.6, 40.8, 111.7, 40.9)}], actor="t")
    archive = tmp_path / "two.zip"
    write_backup(pg_store.whole(), archive)
    target = Store.open(f"sqlite:///{tmp_path / 'one.db'}")
    try:
        with pytest.raises(InputError) as refused:
            restore_backup(target, archive)
        assert str(refused.value).startswith("备份含 2 个区县（150102、150121），SQLite 数据库只存一个区县")
        assert target.schema_version() == 0  # nothing changed, not even migrated
    finally:
        target.close()


def test_an_import_of_another_districts_qr_uid_is_refused_naming_the_field(pg_store):
    """Outside review #19-10: the import's refusal (geo.io.importer) names plate_uid, Chinese first, not
    PostgreSQL's English, and shows nothing else of the other district's plate."""
    other = pg_store.for_district(OTHER)
    ensure_district_partitions(other.engine, OTHER)
    pg_store.insert("door_plates", [_plate("GGGG8888", 111.70, 5)], actor="t")
    with pytest.raises(sa.exc.IntegrityError) as clash:  # what the import's bulk write meets
        other.insert("door_plates", [_plate("GGGG8888", 111.71, 7)], actor="t")
    refused = _uniqueness_conflict("door_plates", clash.value)
    message = str(refused)
    assert refused.field == "plate_uid", message
    assert message.startswith("导入违反 door_plates 的唯一性约束，未导入任何内容") and "duplicate key" not in message
    assert "GGGG8888" in message and "新华大街" not in message
    assert other.select("door_plates") == []


def test_a_table_held_by_another_session_refuses_a_new_districts_import_naming_the_table_and_the_wait(
        pg_store, monkeypatch, tmp_path):
    """The partitions are made table by table in short lock attempts (geo/store/partitions.py); when another session
    holds a table the import says so with that wait and the table (the sessions' lock message said "30 s" for a 5 s
    wait) and imports nothing; meanwhile no other table stays locked (one transaction for all held the tables made
    before, and other districts' reads of them waited: review); the same import goes through once the table is free."""
    import geo.store.partitions as partitions

    monkeypatch.setattr(partitions, "LOCK_WAIT_S", 1.5)
    path = tmp_path / "stations.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"kind": "elder_care_station", "name": "示例站", "floor_area_m2": 200.0},
        "geometry": {"type": "Point", "coordinates": [111.7, 40.85]}}]}), encoding="utf-8")
    url = pg_store.engine.url.render_as_string(hide_password=False)
    command = ["--database-url", url, "--district", OTHER, "import", str(path), "--layer", "facilities",
               "--crs", "EPSG:4490"]
    reads: list[str] = []

    def read_other_tables_while_it_waits() -> None:
        time.sleep(0.7)  # the tables before facilities are made by then; it is trying facilities
        with pg_store.engine.connect() as reader:
            reader.execute(sa.text("SET lock_timeout = 300"))  # a read held up by a lock fails instead of waiting
            for table in ("admin_units", "boundary_markers", "door_plates"):  # made before facilities
                reader.execute(sa.text(f"SELECT count(*) FROM {table}"))
                reads.append(table)
            reader.rollback()

    with pg_store.engine.connect() as holder:
        holder.execute(sa.text("LOCK TABLE facilities IN ACCESS EXCLUSIVE MODE"))
        reader = threading.Thread(target=read_other_tables_while_it_waits)
        reader.start()
        refused = invoke(command)
        reader.join()
        holder.rollback()
    assert reads == ["admin_units", "boundary_markers", "door_plates"]
    assert refused.returncode != 0, refused.stdout
    message = refused.stderr
    assert "数据表 facilities 被另一个会话占用，等待 1.5 秒仍未释放，未能为 150121 建立它的分区" in message, message
    assert "held the table for 1.5 s" in message and "30" not in message and "Traceback" not in message, message
    assert pg_store.for_district(OTHER).count("facilities") == 0
    with pg_store.engine.connect() as conn:
        missing = missing_partitions(conn, OTHER)
        assert missing[0] == "facilities" and "door_plates" not in missing  # those before it made, each whole
    # Over HTTP: the "try again" every busy database gets (503, database_unavailable, Retry-After), not a 500.
    create_user(pg_store, "pt-admin", "admin-password-123", "admin", actor="t", adcodes=[OWN, OTHER])
    pg_store.for_district(OTHER).insert("admin_units", [{"code": f"{OTHER}000000", "name": "土默特左旗",
                                                         "level": "district",
                                                         "geometry": shapely.box(111.6, 40.8, 111.8, 40.9)}],
                                        actor="t")  # the district's outline: the service serves it
    with running_server(server_settings(pg_store)) as base:
        login = httpx.post(f"{base}/api/auth/login", json={"username": "pt-admin", "password": "admin-password-123"})
        headers = {"Authorization": f"Bearer {login.json()['access_token']}", "X-Xincheng-District": OTHER}
        with pg_store.engine.connect() as holder:
            holder.execute(sa.text("LOCK TABLE facilities IN ACCESS EXCLUSIVE MODE"))
            answer = httpx.post(f"{base}/api/layers/facilities/import", headers=headers, timeout=60,
                                params={"crs": "EPSG:4490", "format": "geojson"}, content=path.read_bytes())
            holder.rollback()
    assert (answer.status_code, answer.headers.get("retry-after")) == (503, "30"), answer.text
    body = answer.json()
    assert body["error"] == "database_unavailable" and body["message"].startswith("数据表 facilities 被另一个会话占用")
    done = invoke(command)
    assert done.returncode == 0, done.stderr
    assert pg_store.for_district(OTHER).count("facilities") == 1
    assert _where(pg_store, "facilities", pg_store.for_district(OTHER).select("facilities")[0]["id"]) == \
        f"facilities_p{OTHER}"


def test_migrate_gives_the_district_it_is_told_its_partitions(request, tmp_path_factory):
    """Outside review #19-7: `xincheng --district 159009 migrate` makes 159009's partitions (as DEPLOYMENT.md
    says), not the default district's only."""
    url, drop = _fresh_url("postgis", request, tmp_path_factory)
    try:
        out = invoke(["--database-url", url, "--district", "159009", "migrate"])
        assert out.returncode == 0, out.stderr
        store = Store.open(url)
        try:
            with store.whole().reading() as conn:
                assert missing_partitions(conn, "159009") == []
                assert "door_plates" in missing_partitions(conn, "159010")
        finally:
            store.close()
    finally:
        drop()


def test_a_districts_refresh_finds_its_own_lookups_by_district_not_by_every_plate(pg_store):
    """Revision 0015: a lookup carries the district whose refresh wrote it, so a district's refresh reads
    its own lookups (those of its plates deleted since included) by one key, and dropping its gone
    plates' lookups never touches another district's."""
    from datetime import UTC, datetime

    from geo.store import plate_lookups as stored

    other = pg_store.for_district(OTHER)
    ensure_district_partitions(other.engine, OTHER)
    now = datetime.now(UTC)

    def row(uid: str) -> dict:
        return {"plate_uid": uid, "plate_x": 111.7, "plate_y": 40.85,
                **{f"{k}_{f}": None for k in stored.KINDS for f in stored.SERVICE_FIELDS}}

    for district, uids in ((pg_store, ["AAAA2222", "AAAA3333"]), (other, ["BBBB2222"])):
        assert stored.claim(district, "t", now=now, lease_s=60) is not None
        stored.write_lookups(district, "t", [row(u) for u in uids], seq=1, now=now)
    assert set(stored.stored_lookups(pg_store)) == {"AAAA2222", "AAAA3333"}  # no plates needed to find them
    assert set(stored.stored_lookups(other)) == {"BBBB2222"}
    stored.claim(pg_store, "t", now=now, lease_s=60)
    stored.write_lookups(pg_store, "t", [], seq=2, now=now, drop_others=["AAAA3333"], all_to_seq=True)
    assert set(stored.stored_lookups(pg_store)) == {"AAAA2222"}
    assert set(stored.stored_lookups(other)) == {"BBBB2222"}
    with pg_store.whole().reading() as conn:
        seqs = dict(conn.execute(sa.text("SELECT plate_uid, seq FROM plate_lookups")).all())
    assert seqs == {"AAAA2222": 2, "BBBB2222": 1}  # marked current: the district's own only


def test_a_missing_layer_is_to_be_imported_into_the_district_named_even_the_default_one(pg_store):
    """Outside review (#19 slice 2, finding 2): on a database of many districts the commands to copy name
    the district, also 150102, so they import where the layer is missing whatever the service's own
    district is (`XINCHENG_DISTRICT=159002 xincheng --district 150102 refresh` said to import without it)."""
    from geo.errors import InputError as Refused
    from geo.planning.run import PlanningInputs

    pg_store.insert("admin_units", [{"code": f"{OWN}000000", "name": "新城区", "level": "district",
                                     "geometry": shapely.box(111.6, 40.8, 111.8, 40.9)}], actor="t")
    with pytest.raises(Refused) as refused:
        PlanningInputs.load(pg_store)
    assert f"xincheng --district {OWN} import streets.gpkg --layer streets" in refused.value.message
    assert f"POST /api/layers/streets/import?district={OWN}" in refused.value.message


def test_a_bulk_write_registers_its_uids_once_and_meets_another_districts_uid(pg_store):
    """Revision 0016: the uids of a bulk write (COPY, then one INSERT … SELECT) are registered by one
    statement-level trigger. Every new uid is known to the public scan's district lookup; one another
    district still uses is refused, naming it, with nothing written; one it no longer uses passes to the
    new district; a uid changed by an update is still checked by the row trigger."""
    from geo.store.bulk import bulk_insert, prepare_bulk

    other = pg_store.for_district(OTHER)
    ensure_district_partitions(other.engine, OTHER)
    other.insert("door_plates", [_plate("HHHH0001", 111.71, 1), _plate("HHHH0002", 111.71, 2)], actor="t")
    plates = [_plate(f"KKKK{n:04d}", 111.70, n) for n in range(1, 301)]

    def bulk(records: list[dict]) -> list[int]:
        with pg_store.writing() as conn:
            return bulk_insert(pg_store, prepare_bulk(pg_store, "door_plates", records), actor="t", conn=conn)

    with pytest.raises(sa.exc.IntegrityError) as clash:  # the 301st plate carries 150121's uid
        bulk([*plates, _plate("HHHH0001", 111.70, 999)])
    problem = integrity_problem(clash.value)
    assert isinstance(problem, Conflict) and problem.field == "plate_uid" and "HHHH0001" in str(problem), problem
    assert pg_store.count("door_plates") == 0
    assert len(bulk(plates)) == 300
    with pg_store.whole().reading() as conn:
        held = dict(conn.execute(sa.text("SELECT uid, adcode FROM xincheng_uids WHERE kind = 'door_plates'")).all())
        assert {uid: held.get(uid) for uid in ("KKKK0001", "KKKK0300", "HHHH0001")} == \
            {"KKKK0001": OWN, "KKKK0300": OWN, "HHHH0001": OTHER}
        assert sum(1 for adcode in held.values() if adcode == OWN) == 300
    with pg_store.whole().writing() as conn:  # 150121 no longer uses HHHH0002 (as after a restore without it)
        conn.execute(sa.text("DELETE FROM door_plates WHERE plate_uid = 'HHHH0002'"))
    assert len(bulk([_plate("HHHH0002", 111.70, 500)])) == 1
    with pg_store.whole().reading() as conn:
        assert conn.execute(sa.text("SELECT adcode FROM xincheng_uids WHERE uid = 'HHHH0002'")).scalar() == OWN
    mine = pg_store.select("door_plates", where={"plate_uid": "KKKK0001"})[0]
    with pytest.raises(sa.exc.IntegrityError, match="plate_uid"):  # a changed uid: the row trigger still checks it
        pg_store.update("door_plates", mine["id"], {"plate_uid": "HHHH0001"}, expected_version=mine["version"],
                        actor="t")


def test_the_uid_registry_follows_a_moved_row_and_guards_a_partition_written_directly(pg_store):
    """Outside review of #15 (F1, F2): revision 0016's statement trigger fires for neither an UPDATE that moves
    a row to another district's partition nor an INSERT naming a partition itself; the registry must still
    follow the moved plate (the public scan asks it which district holds a uid), and a direct insert of
    another district's uid must still be refused, in a partition made before and after the upgrade."""
    pg_store.insert("door_plates", [_plate("MMMM0001", 111.70, 1), _plate("MMMM0002", 111.70, 2)], actor="t")
    other = pg_store.for_district(OTHER)
    ensure_district_partitions(other.engine, OTHER)  # made by xincheng_add_partition after the upgrade
    with pg_store.whole().writing() as conn:
        conn.execute(sa.text("UPDATE door_plates SET adcode = :other WHERE plate_uid = 'MMMM0001'"), {"other": OTHER})
    with pg_store.whole().reading() as conn:
        assert conn.execute(sa.text("SELECT xincheng_district_of('plate', 'MMMM0001')")).scalar() == OTHER
        assert conn.execute(sa.text("SELECT xincheng_district_of('plate', 'MMMM0002')")).scalar() == OWN
    assert [r["plate_uid"] for r in other.select("door_plates")] == ["MMMM0001"]
    columns = "adcode, plate_uid, street_name, number, created_at, updated_at"
    for part, adcode, uid in ((f"door_plates_p{OTHER}", OTHER, "MMMM0002"), (f"door_plates_p{OWN}", OWN, "MMMM0001")):
        with pytest.raises(sa.exc.IntegrityError, match="plate_uid"), pg_store.whole().writing() as conn:
            conn.execute(sa.text(f"INSERT INTO {part} ({columns}) VALUES (:a, :u, '新华大街', 9, now(), now())"),
                         {"a": adcode, "u": uid})
    with pg_store.whole().writing() as conn:  # a new uid straight into a partition is registered
        conn.execute(sa.text(f"INSERT INTO door_plates_p{OTHER} ({columns}) "
                             "VALUES (:a, 'MMMM0003', '新华大街', 9, now(), now())"), {"a": OTHER})
    with pg_store.whole().reading() as conn:
        assert conn.execute(sa.text("SELECT xincheng_district_of('plate', 'MMMM0003')")).scalar() == OTHER


def test_a_partition_made_before_revision_16_gets_its_own_uid_trigger(request, tmp_path_factory):
    """Outside review of #15 (F2): the partitions a database had at revision 15 are guarded after the upgrade."""
    url, drop = _fresh_url("postgis", request, tmp_path_factory)
    store = Store.open(url)
    try:
        store.migrate(target=15)
        ensure_district_partitions(store.engine, OWN)
        store.migrate()
        store.insert("door_plates", [_plate("NNNN0001", 111.70, 1)], actor="t")
        other = store.for_district(OTHER)
        ensure_district_partitions(other.engine, OTHER)
        with pytest.raises(sa.exc.IntegrityError, match="plate_uid"), store.whole().writing() as conn:
            conn.execute(sa.text(f"INSERT INTO door_plates_p{OTHER} (adcode, plate_uid, street_name, number, "
                                 "created_at, updated_at) VALUES (:a, 'NNNN0001', '新华大街', 9, now(), now())"),
                         {"a": OTHER})
        with store.whole().writing() as conn:
            conn.execute(sa.text(f"INSERT INTO door_plates_p{OWN} (adcode, plate_uid, street_name, number, "
                                 "created_at, updated_at) VALUES (:a, 'NNNN0002', '新华大街', 9, now(), now())"),
                         {"a": OWN})
        with pytest.raises(sa.exc.IntegrityError, match="plate_uid"):  # registered by the partition's own trigger
            other.insert("door_plates", [_plate("NNNN0002", 111.71, 3)], actor="t")
    finally:
        store.close()
        drop()


def test_a_released_uid_given_to_two_districts_in_one_statement_is_refused(pg_store):
    """Second outside review of #15 (N1, N2): a uid its district no longer uses passed to the first of two
    districts in one INSERT and then, checked against the old holder, to the second too; and a move that also
    names the (unchanged) uid in its SET list was refused as if the uid were another district's."""
    other = pg_store.for_district(OTHER)
    ensure_district_partitions(other.engine, OTHER)
    columns = "adcode, plate_uid, street_name, number, created_at, updated_at"
    row = "'WWWW0001', '新华大街', 1, now(), now()"
    with pg_store.whole().writing() as conn:
        conn.execute(sa.text(f"INSERT INTO door_plates ({columns}) VALUES (:a, {row})"), {"a": OWN})
        conn.execute(sa.text("DELETE FROM door_plates WHERE plate_uid = 'WWWW0001'"))  # released, still registered
    with pytest.raises(sa.exc.IntegrityError, match="plate_uid"), pg_store.whole().writing() as conn:
        conn.execute(sa.text(f"INSERT INTO door_plates ({columns}) VALUES (:a, {row}), (:b, {row})"),
                     {"a": OTHER, "b": "150199"})
    with pg_store.whole().reading() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM door_plates WHERE plate_uid = 'WWWW0001'")).scalar() == 0
    pg_store.insert("door_plates", [_plate("WWWW0002", 111.70, 2)], actor="t")
    with pg_store.whole().writing() as conn:  # every column written back, the district changed
        conn.execute(sa.text("UPDATE door_plates SET adcode = :b, plate_uid = plate_uid WHERE plate_uid = 'WWWW0002'"),
                     {"b": OTHER})
    with pg_store.whole().reading() as conn:
        assert conn.execute(sa.text("SELECT xincheng_district_of('plate', 'WWWW0002')")).scalar() == OTHER
