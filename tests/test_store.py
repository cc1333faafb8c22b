"""The repository behaves the same on SQLite and PostGIS: versions, audit, index, no deletes."""

from __future__ import annotations

import json
import re
import threading
from decimal import Decimal

import numpy as np
import pytest
import shapely
import sqlalchemy as sa

from geo.errors import InputError, NotFound, StaleVersion
from geo.store import Store
from geo.store.bulk import bulk_insert, prepare_bulk
from geo.store.query import select_intersecting
from tests.assertions import assert_geom_close


def _facility(name: str, lon: float, lat: float) -> dict:
    return {"kind": "elder_care_station", "name": name, "floor_area_m2": 200.0,
            "geometry": shapely.Point(lon, lat)}


def test_insert_and_get_round_trip(store: Store):
    (fid,) = store.insert("facilities", [_facility("锡林社区居家养老服务站", 111.70, 40.85)], actor="t")
    rec = store.get("facilities", fid)
    assert rec["name"] == "锡林社区居家养老服务站"
    assert rec["adcode"] == "150102" and rec["version"] == 1
    assert_geom_close(rec["geometry"], shapely.Point(111.70, 40.85), tol_m=0.001)


def test_text_with_mongolian_and_rare_characters_survives(store: Store):
    name = "ᠬᠥᠬᠡᠬᠣᠲᠠ 㘵𠀀站"
    (fid,) = store.insert("facilities", [_facility(name, 111.7, 40.85)], actor="t")
    assert store.get("facilities", fid)["name"] == name


def test_every_create_writes_an_audit_row_in_the_same_transaction(store: Store):
    (fid,) = store.insert("facilities", [_facility("a", 111.7, 40.85)], actor="officer-li")
    rows = store.audit_rows("facilities", fid)
    assert [(r["action"], r["actor"]) for r in rows] == [("create", "officer-li")]
    assert json.loads(rows[0]["after"])["name"] == "a"  # parsed: the log's JSON is written without spaces (orjson)


def test_update_bumps_version_and_audits_before_and_after(store: Store):
    (fid,) = store.insert("facilities", [_facility("old", 111.7, 40.85)], actor="t")
    rec = store.update("facilities", fid, {"name": "new"}, expected_version=1, actor="officer-wang")
    assert rec["version"] == 2 and rec["name"] == "new"
    audit = store.audit_rows("facilities", fid)[-1]
    assert audit["action"] == "update" and '"old"' in audit["before"] and '"new"' in audit["after"]


def test_update_each_gives_each_record_its_own_values_with_an_audit_row_each(store: Store):
    ids = store.insert("facilities", [_facility(f"站{i}", 111.7 + i * 1e-4, 40.85) for i in range(1203)], actor="t")
    other = Store(store.engine, adcode="150103")  # another district's record is never touched
    (foreign,) = other.insert("facilities", [_facility("外区站", 111.6, 40.8)], actor="t")
    with store.writing() as conn:
        afters = store.update_each("facilities", {fid: {"name": f"新站{n}", "floor_area_m2": 300.0 + n}
                                                  for n, fid in enumerate(ids)},
                                   actor="officer-li", conn=conn, action="readdress", note="批量 batch")
    assert [a["name"] for a in afters] == [f"新站{n}" for n in range(1203)]  # more than one chunk of 1,000
    last = store.get("facilities", ids[1202])
    assert (last["name"], last["floor_area_m2"], last["version"]) == ("新站1202", 1502.0, 2)
    audit = store.audit_rows("facilities", ids[7])[-1]
    assert (audit["action"], audit["actor"], audit["note"]) == ("readdress", "officer-li", "批量 batch")
    assert '"站7"' in audit["before"] and '"新站7"' in audit["after"]
    with pytest.raises(StaleVersion), store.writing() as conn:
        store.update_each("facilities", {ids[0]: {"name": "x"}, foreign: {"name": "y"}}, actor="t", conn=conn)
    assert (store.get("facilities", ids[0])["name"], other.get("facilities", foreign)["name"]) == ("新站0", "外区站")
    with pytest.raises(InputError), store.writing() as conn:
        store.update_each("facilities", {ids[0]: {"version": 9}}, actor="t", conn=conn)


def test_batch_updates_log_each_record_exactly_as_stored_before_and_after(store: Store):
    """update_each and update_matching log each record's before and after as the database holds them: the after
    is the stored record read back (an integer given to a real column logged as the real the database keeps), its
    unchanged geometry and fields as before, a moved geometry as moved (they read back only the changed columns)."""
    from geo.store.store import to_json

    ids = store.insert("facilities", [_facility(f"站{i}", 111.7 + i * 1e-4, 40.85) for i in range(3)], actor="t")
    before = {fid: store.get("facilities", fid) for fid in ids}
    with store.writing() as conn:
        store.update_each("facilities", {fid: {"floor_area_m2": 300 + n} for n, fid in enumerate(ids)}, actor="t",
                          conn=conn)
    middle = {fid: store.get("facilities", fid) for fid in ids}
    assert [middle[fid]["floor_area_m2"] for fid in ids] == [300.0, 301.0, 302.0]
    moved = shapely.Point(111.8, 40.9)
    with store.writing() as conn:
        store.update_matching("facilities", store.table("facilities").c.id.in_(ids[:2]),
                              {"geometry": moved, "name": "搬迁"}, actor="t", conn=conn)
    after = {fid: store.get("facilities", fid) for fid in ids}
    assert after[ids[0]]["geometry"].equals(moved) and after[ids[2]]["geometry"].equals(before[ids[2]]["geometry"])
    for n, fid in enumerate(ids):
        logged = [(r["before"], r["after"]) for r in store.audit_rows("facilities", fid)[1:]]
        expected = [(to_json(before[fid]), to_json(middle[fid]))]
        if fid != ids[2]:
            expected.append((to_json(middle[fid]), to_json(after[fid])))
        assert logged == expected
        # as stored: a real column logs 300.0, never the integer given (parsed; the log's JSON has no spaces)
        areas = [json.loads(logged[0][side])["floor_area_m2"] for side in (0, 1)]
        assert areas == [200.0, 300 + n] and all(isinstance(a, float) for a in areas), areas


def test_update_each_stores_every_kind_of_value_as_given(store: Store):
    """Each record's own text (quotes, percent signs, Mongolian script, a rare character), number, date and NULL
    are stored as given (PostgreSQL writes them by one UPDATE from arrays, one per column, cast to its type), and
    each audit row's after is the record as stored."""
    from datetime import date

    from geo.store.store import to_json

    ids = store.insert("facilities", [_facility(f"站{i}", 111.7 + i * 1e-4, 40.85) for i in range(4)], actor="t")
    wanted = {
        ids[0]: {"name": "x'); DROP TABLE facilities;-- %s %(v0)s", "beds": None, "planned_open_on": date(2027, 3, 1)},
        ids[1]: {"name": "ᠮᠣᠩᠭᠣᠯ 㘵𠀀站", "beds": 12, "planned_open_on": None},
        ids[2]: {"name": "", "beds": 0, "planned_open_on": date(1999, 12, 31)},
        ids[3]: {"name": "站3", "beds": None, "planned_open_on": None},
    }
    with store.writing() as conn:
        store.update_each("facilities", wanted, actor="t", conn=conn,
                          expected_versions=dict.fromkeys(ids, 1))
    assert store.count("facilities") == 4
    for fid, values in wanted.items():
        stored = store.get("facilities", fid)
        assert {k: stored[k] for k in values} == values and stored["version"] == 2
        assert store.audit_rows("facilities", fid)[-1]["after"] == to_json(stored)
    # One column's values of more than one type (a whole number and a fraction for a real column, a number and a
    # text for a text column): stored as one statement per record stored them (the driver takes no mixed array).
    with store.writing() as conn:
        store.update_each("facilities", {ids[0]: {"floor_area_m2": 300, "name": 7},
                                         ids[1]: {"floor_area_m2": 2.5, "name": "站"}}, actor="t", conn=conn)
    assert [(store.get("facilities", fid)["floor_area_m2"], store.get("facilities", fid)["name"])
            for fid in ids[:2]] == [(300.0, "7"), (2.5, "站")]
    if store.dialect == "postgresql":  # a list value: stored as one statement per record stored it, in its own
        with store.writing() as conn:  # record (as an array, unnest spread it over the next record: review)
            store.update_each("facilities", {ids[0]: {"operator": ["甲", "乙"]}, ids[1]: {"operator": ["丙", "丁"]}},
                              actor="t", conn=conn)
        assert [store.get("facilities", fid)["operator"] for fid in ids[:2]] == ["{甲,乙}", "{丙,丁}"]


def test_text_longer_than_its_column_is_refused_naming_the_field_by_every_write(store: Store):
    """A text longer than its ``varchar(n)`` column is refused with an input error naming the field and the limit,
    whichever write carries it, on both backends (PostgreSQL refused it with a bare DataError, a 500 over HTTP;
    SQLite stored it whole), and nothing of the write is stored. Characters are counted as PostgreSQL counts them:
    a character outside the Basic Multilingual Plane is one."""
    ids = store.insert("facilities", [_facility(f"站{i}", 111.7 + i * 1e-4, 40.85) for i in range(2)], actor="t")
    fits, too_long = "1" * 11 + "𠀀", "1" * 12 + "𠀀"  # community_code is varchar(12)
    new = [{**_facility("甲", 111.71, 40.85), "community_code": fits},
           {**_facility("乙", 111.72, 40.85), "community_code": too_long}]
    attempts = {
        "insert": lambda conn: store.insert("facilities", new, actor="t", conn=conn),
        "bulk_insert": lambda conn: bulk_insert(store, prepare_bulk(store, "facilities", new), actor="t", conn=conn),
        "update": lambda conn: store.update("facilities", ids[0], {"community_code": too_long}, expected_version=1,
                                            actor="t", conn=conn),
        "update_each": lambda conn: store.update_each("facilities", {ids[0]: {"community_code": fits},
                                                                     ids[1]: {"community_code": too_long}},
                                                      actor="t", conn=conn),
        "update_matching": lambda conn: store.update_matching("facilities", sa.true(), {"community_code": too_long},
                                                              actor="t", conn=conn),
    }
    for how, attempt in attempts.items():
        with pytest.raises(InputError) as err, store.writing() as conn:
            attempt(conn)
        assert err.value.field == "community_code", how
        message = err.value.message
        assert re.match(r"社区代码 community_code 过长（13 个字符，该字段最多 12 个） · .*13.*12", message), how
    assert store.count("facilities") == 2
    assert [(r["community_code"], r["version"]) for r in store.select("facilities")] == [(None, 1), (None, 1)]
    store.update("facilities", ids[0], {"community_code": fits}, expected_version=1, actor="t")
    assert store.get("facilities", ids[0])["community_code"] == fits
    # a number (numpy's and Decimal too) or bytes given to a text column: its text counts (reviews)
    for value in (10 ** 12, np.int64(10 ** 12), Decimal(10 ** 12), b"1" * 13):
        with pytest.raises(InputError) as err:
            store.update("facilities", ids[1], {"community_code": value}, expected_version=1, actor="t")
        assert err.value.field == "community_code"
    assert store.get("facilities", ids[1])["version"] == 1


def test_stale_version_is_refused_and_changes_nothing(store: Store):
    (fid,) = store.insert("facilities", [_facility("v1", 111.7, 40.85)], actor="t")
    store.update("facilities", fid, {"name": "v2"}, expected_version=1, actor="a")
    with pytest.raises(StaleVersion) as err:
        store.update("facilities", fid, {"name": "lost?"}, expected_version=1, actor="b")
    assert err.value.status == 409
    assert store.get("facilities", fid)["name"] == "v2"
    actions = [(r["action"], r["actor"]) for r in store.audit_rows("facilities", fid)]
    assert actions == [("create", "t"), ("update", "a"), ("refused_stale_version", "b")]


def test_concurrent_updates_of_one_version_one_wins(store: Store):
    (fid,) = store.insert("facilities", [_facility("base", 111.7, 40.85)], actor="t")
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def edit(k: int) -> None:
        barrier.wait()
        try:
            store.update("facilities", fid, {"name": f"edit-{k}"}, expected_version=1, actor=f"u{k}")
            outcomes.append("ok")
        except StaleVersion:
            outcomes.append("409")

    threads = [threading.Thread(target=edit, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["409"] * 5 + ["ok"]
    assert store.get("facilities", fid)["version"] == 2


def test_geometry_update_moves_the_index_entry(store: Store):
    (fid,) = store.insert("facilities", [_facility("m", 111.70, 40.85)], actor="t")
    store.update("facilities", fid, {"geometry": shapely.Point(111.90, 41.0)}, expected_version=1, actor="t")
    assert store.count("facilities", bbox=(111.69, 40.84, 111.71, 40.86)) == 0
    assert store.count("facilities", bbox=(111.89, 40.99, 111.91, 41.01)) == 1


def test_bbox_query_uses_the_spatial_index(store: Store):
    store.insert("facilities", [_facility(f"f{i}", 111.6 + i * 0.001, 40.85) for i in range(50)], actor="t")
    # Most of the district lies outside the box: the box, not the district, is what selects.
    store.insert("facilities", [_facility(f"g{i}", 111.7 + i * 0.0005, 40.95) for i in range(950)], actor="t",
                 audit="batch")
    table = store.table("facilities")
    from geo.store.spatial_sql import bbox_clause

    query = sa.select(table.c.id).where(bbox_clause(store.dialect, table, (111.6, 40.8, 111.62, 40.9)))
    compiled = str(query.compile(store.engine, compile_kwargs={"literal_binds": True}))
    if store.dialect == "postgresql":  # with the statistics every table has once autovacuum saw it (the
        with store.whole().writing() as conn:  # district filter of row-level security selects every row here)
            conn.exec_driver_sql("ANALYZE facilities")
    with store.reading() as conn:
        if store.dialect == "postgresql":
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = " ".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + compiled))
            # district and box at once, in the district's own partition only (revision 0014)
            assert re.search(r"facilities_p150102_(adcode_)?geom_idx", plan), plan
            assert "pdefault" not in plan and "Seq Scan" not in plan, plan
        else:
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + compiled))
            assert "rtree_facilities" in plan and "VIRTUAL TABLE INDEX" in plan
    assert store.count("facilities", bbox=(111.6, 40.8, 111.62, 40.9)) == 21


def test_bbox_refinement_is_exact_for_lines(store: Store):
    # A diagonal street whose envelope meets the box but whose line does not.
    diagonal = shapely.LineString([(111.70, 40.80), (111.80, 40.90)])
    store.insert("streets", [{"name": "斜街", "geometry": diagonal}], actor="t")
    box = (111.70, 40.88, 111.72, 40.90)  # inside the envelope, away from the line
    assert store.count("streets", bbox=box) == 1  # the index is only a filter
    records, matched = select_intersecting(store, "streets", box, limit=10)
    assert (records, matched) == ([], 0)


def test_unknown_field_and_protected_fields_are_refused(store: Store):
    with pytest.raises(InputError) as err:
        store.insert("facilities", [{**_facility("x", 111.7, 40.85), "colour": "red"}], actor="t")
    assert err.value.field == "colour"
    (fid,) = store.insert("facilities", [_facility("x", 111.7, 40.85)], actor="t")
    with pytest.raises(InputError):
        store.update("facilities", fid, {"version": 9}, expected_version=1, actor="t")


def test_missing_record_is_not_found(store: Store):
    with pytest.raises(NotFound):
        store.get("facilities", 999)


def test_failed_transaction_leaves_nothing(store: Store):
    with pytest.raises(RuntimeError), store.writing() as conn:
        store.insert("facilities", [_facility("doomed", 111.7, 40.85)], actor="t", conn=conn)
        raise RuntimeError("crash half-way")
    assert store.count("facilities") == 0
    assert store.audit_rows("facilities") == []


def test_paging_is_stable_and_complete(store: Store):
    store.insert("facilities", [_facility(f"p{i}", 111.7, 40.85) for i in range(25)], actor="t")
    seen = []
    for offset in range(0, 25, 10):
        page, matched = select_intersecting(store, "facilities", None, limit=10, offset=offset)
        seen += [r["name"] for r in page]
        assert matched == 25
    assert seen == [f"p{i}" for i in range(25)]
