"""Review of #17, data recheck (N10a, N10b, N10c/F13, N11).

- N10a: address cleaning reads ``1#楼``, ``1＃楼`` and ``1#`` as building 1, graded as ``1号楼`` is.
- N10b: the sample district has roads under working labels (规划…路, 未命名道路, 在建…桥), joined to the
  network, so the unnamed-roads worklist lists them with their length and place.
- N10c: ``xincheng init`` gives every standard name of the sample its 地名代码; assignment is batched
  (held codes read once per prefix, one counter update per prefix, one batched update of the names);
  a name retired after being a standard name needs a code, one retired before approval none.
- N11: an explicit unit code is used without moving the automatic counter: automatic codes keep
  taking the free serials below it and pass over it.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import date

import pytest
import shapely
import sqlalchemy as sa

from geo import crs as C
from geo.placenames.codes import CODED_STATUSES, assign_missing, load_scheme, names_without_code
from geo.placenames.lifecycle import propose, transition
from geo.store import Store, schema
from tests import test_review17_address_match as address_match_tests

# -- N10a: "1#楼" is building 1 -----------------------------------------------------------------------


room_and_matcher = address_match_tests.room_and_matcher  # the sample room and the matcher, as there
_digits = address_match_tests._digits


@pytest.mark.parametrize("building", ["{b}#楼", "{b}＃楼", "{b}#", "{b}＃", "{b}号楼", "{b}栋", "{b}幢"])
def test_hash_building_forms_reach_the_room_like_the_other_forms(room_and_matcher, building):
    room, plate, matcher = room_and_matcher
    b, u, r = _digits(room["building"]), _digits(room["unit"]), _digits(room["room"])
    typed = f"{plate['street_name']}{plate['number']}号{building.format(b=b)}{u}单元{r}"
    found = matcher.match(typed).depth()
    assert (found["level"], found["address_grade"], found["unmatched"]) == ("room", "exact", []), typed
    assert found["address"]["address_uid"] == room["address_uid"], typed


def test_hash_building_alone_reaches_the_building(room_and_matcher):
    room, plate, matcher = room_and_matcher
    b = _digits(room["building"])
    found = matcher.match(f"{plate['street_name']}{plate['number']}号{b}#楼").depth()
    assert (found["level"], found["address_grade"]) == ("building", "exact")
    assert found["address"]["building"] == room["building"]


# -- N10b: the sample's new roads under working labels ------------------------------------------------


def test_the_sample_worklist_lists_its_new_roads_with_length_and_place(sample_store):
    from data.sample_district.streets import WORKING_ROADS
    from geo.signs.unnamed import unnamed_roads

    got = {r["label"]: r for r in unnamed_roads(sample_store)}
    assert set(got) == set(WORKING_ROADS.values())
    for label, road in got.items():
        # generated north of the urban grid, east of 哈拉沁沟: 0.5–2.5 km of road, a bridge of about 100 m
        low, high = (80.0, 150.0) if label == WORKING_ROADS["bridge"] else (500.0, 2500.0)
        assert low < road["length_m"] < high, (label, road["length_m"])
        assert (road["subdistrict"], road["community"]) == ("保合少镇", "面铺窑村"), label
        assert 111.67 < road["lon"] < 111.71 and 40.87 < road["lat"] < 40.90, label
        assert road["propose_url"].startswith("/officer/placenames/new?")
    assert got[WORKING_ROADS["bridge"]]["above_grade"] is True
    assert got[WORKING_ROADS["east_west"]]["segments"] == 2   # on both banks of the bridge


def test_the_sample_new_roads_are_joined_to_the_network_and_take_no_plate(sample):
    from data.sample_district.streets import WORKING_ROADS

    streets = C.to_metric(sample["streets"].geometry.to_numpy())
    working = sample["streets"]["name"].isin(list(WORKING_ROADS.values())).to_numpy()
    named = {(round(x, 3), round(y, 3)) for g in streets[~working] for x, y in g.coords}
    lines = [[(round(x, 3), round(y, 3)) for x, y in g.coords] for g in streets[working]]
    # the two north-south roads leave the grid and the bridge's west approach meets the rural road, each
    # at a vertex of that street; every other new road meets another new road at a shared vertex
    assert sum(bool({line[0], line[-1]} & named) for line in lines) == 3
    joined = named.copy()
    for _ in lines:  # grow what is joined to the network, one road at a time
        for line in lines:
            if joined & {line[0], line[-1]}:
                joined |= set(line)
    assert all({line[0], line[-1]} <= joined for line in lines)
    # and they cross no street already there: where they touch one, it is at that street's vertex
    tree = shapely.STRtree(streets[~working])
    for road in streets[working]:
        for hit in tree.query(road, predicate="intersects"):
            touch = road.intersection(tree.geometries[hit])
            assert touch.geom_type == "Point" and (round(touch.x, 3), round(touch.y, 3)) in named, touch
    assert not sample["door_plates"]["street_name"].isin(list(WORKING_ROADS.values())).any()
    assert not sample["place_names"]["standard_name"].isin(list(WORKING_ROADS.values())).any()
    # no plate is nearer a new walkable road than the street it stands on: nobody's walk changes
    plates = C.to_metric(sample["door_plates"].geometry.to_numpy())
    walkable = sample["streets"]["walkable"].to_numpy().astype(bool)
    old = shapely.STRtree(streets[~working & walkable])
    new = shapely.union_all(streets[working & walkable])
    nearest_old = shapely.distance(plates, old.geometries[old.nearest(plates)])
    assert (shapely.distance(plates, new) > nearest_old).all()


# -- N10c: place codes at init, batched assignment, retired names --------------------------------------

BASE = {"feature_class": "street", "meaning": "取春光普照之意", "admin_code": "150102003000",
        "name_mong": "ᠴᠦᠨ ᠬᠦᠢ ᠵᠠᠮ"}
LINE = shapely.LineString([(111.70, 40.85), (111.71, 40.85)])


def test_init_gives_every_standard_name_of_the_sample_its_code(cli_sample):
    scheme = load_scheme()
    with closing(sqlite3.connect(cli_sample.path)) as conn:
        names = conn.execute("SELECT status, place_code, category_code FROM place_names").fetchall()
        counters = dict(conn.execute("SELECT prefix, last_serial FROM code_counters WHERE scheme = 'place_code'"))
    standard = [n for n in names if n[0] in CODED_STATUSES]
    assert len(standard) > 1000 and all(code for _status, code, _cat in standard)
    codes = [code for _status, code, _cat in names if code]
    assert len(codes) == len(set(codes))
    top: dict[str, int] = {}
    for code in codes:
        prefix, serial = code[:-scheme.serial_digits], int(code[-scheme.serial_digits:])
        top[prefix] = max(top.get(prefix, 0), serial)
    assert top and all(counters.get(prefix, 0) >= serial for prefix, serial in top.items()), (top, counters)
    assert "个标准地名赋地名代码" in cli_sample.stdout


def _statements(store: Store) -> tuple[list[str], object]:
    seen: list[str] = []

    def listen(_conn, _cursor, statement, _params, _context, _many):
        seen.append(" ".join(statement.split()).upper().replace('"', ""))  # UPDATE "place_names" (PostgreSQL's batch)

    sa.event.listen(store.engine, "before_cursor_execute", listen)
    return seen, listen


def test_assignment_is_batched_passes_over_held_codes_and_moves_each_counter_once(store: Store):
    rows = [{**BASE, "standard_name": f"甲{i}街", "status": "in_force"} for i in range(30)]
    rows += [{**BASE, "standard_name": f"乙{i}社区", "status": "in_force", "category_code": "21620"} for i in range(5)]
    rows.append({**BASE, "standard_name": "旧城街", "status": "in_force", "place_code": "1501020000000003"})
    store.insert("place_names", rows, actor="setup")
    seen, listen = _statements(store)
    try:
        done = assign_missing(store, actor="officer-li")
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", listen)
    assert done == {"candidates": 35, "assigned": 35}
    codes = sorted(r["place_code"] for r in store.select("place_names"))
    assert len(set(codes)) == 36
    assert [c for c in codes if c.startswith("15010200000")] == [f"15010200000{s:05d}" for s in range(1, 32)]
    assert [c for c in codes if c.startswith("15010221620")] == [f"15010221620{s:05d}" for s in range(1, 6)]
    counters = {c["prefix"]: (c["last_serial"], c["version"]) for c in store.select("code_counters")}
    assert counters == {"15010200000": (31, 1), "15010221620": (5, 1)}
    name_updates = [s for s in seen if s.startswith("UPDATE PLACE_NAMES")]
    held_reads = [s for s in seen if s.startswith("SELECT PLACE_NAMES.PLACE_CODE FROM PLACE_NAMES")]
    assert len(name_updates) == 1 and len(held_reads) == 2, (name_updates, held_reads)
    assert len(store.audit_rows("place_names")) == 36 + 35  # one audit row per name given its code


def test_a_retired_name_needs_a_code_only_if_it_had_been_a_standard_name(store: Store):
    """A name of the starting register (in force, no approval date here) retired before codes were given
    was a standard name: it gets a code; a proposal withdrawn (retired) before approval gets none."""
    (register,) = store.insert("place_names", [{**BASE, "standard_name": "老城街", "status": "in_force",
                                                "geometry": LINE}], actor="setup")
    old = store.get("place_names", register)
    transition(store, register, "retired", expected_version=old["version"], actor="officer-li",
               document_ref="呼政字〔2026〕20号")
    withdrawn = propose(store, {**BASE, "standard_name": "新拟路"}, actor="officer-li", geometry=LINE,
                        justification="测试 test")
    transition(store, withdrawn["id"], "retired", expected_version=withdrawn["version"], actor="officer-li",
               document_ref="呼政字〔2026〕21号")
    (approved_then_retired,) = store.insert("place_names", [{**BASE, "standard_name": "戊街", "status": "retired",
                                                             "approval_date": date(2019, 1, 2)}], actor="setup")
    assert names_without_code(store) == [register, approved_then_retired]
    assert assign_missing(store, actor="officer-li") == {"candidates": 2, "assigned": 2}
    assert store.get("place_names", register)["place_code"] == "1501020000000001"
    assert store.get("place_names", withdrawn["id"])["place_code"] is None
    assert store.get("place_names", approved_then_retired)["place_code"] == "1501020000000002"


# -- N11: an explicit unit code does not move the automatic sequence ----------------------------------

DECISION = {"decision_body": "呼和浩特市新城区人民政府", "decision_doc_no": "新政发〔2026〕12号",
            "decision_date": "2026-11-20", "effective_on": "2026-12-01"}
X0, Y0 = 560_000.0, 4_530_000.0


def _rect(x1: float, x2: float):
    return C.from_metric(shapely.box(X0 + x1, Y0, X0 + x2, Y0 + 3000))


def _create(store: Store, name: str, x1: float, x2: float, code: str | None = None) -> str:
    from geo.divisions.changes import create_unit

    out = create_unit(store, parent_code="150102001000", level="community", name=name, geometry=_rect(x1, x2),
                      decision=DECISION, actor="t-admin", code=code)
    return out["units_after"][0]


def test_an_explicit_code_keeps_the_free_serials_below_it_for_automatic_codes(store: Store):
    from geo.divisions import codes as K

    store.insert("admin_units", [
        {"code": "150102000000", "name": "新城区", "level": "district",
         "geometry": C.from_metric(shapely.box(X0 - 5000, Y0 - 5000, X0 + 8000, Y0 + 8000))},
        {"code": "150102001000", "name": "西街街道", "level": "subdistrict", "parent_code": "150102000000",
         "geometry": _rect(0, 3000)},
        {"code": "150102001001", "name": "西一社区", "level": "community", "parent_code": "150102001000",
         "geometry": _rect(0, 500), "households": 0}], actor="test")
    assert _create(store, "一五零社区", 500, 1000, code="150102001150") == "150102001150"
    assert _create(store, "三号社区", 1000, 1500, code="150102001003") == "150102001003"
    assert _create(store, "甲社区", 1500, 2000) == "150102001002"       # not 151: 002 was never used
    assert _create(store, "乙社区", 2000, 2500) == "150102001004"       # 003 is held: passed over
    (counter,) = store.select("code_counters", where={"scheme": "unit"})
    assert (counter["prefix"], counter["last_serial"]) == ("150102001:community", 4)
    # An explicit code is never handed out again, even when its row and history are deleted behind the
    # service's back: the audit trail remembers it.
    assert _create(store, "丙社区", 2500, 2800, code="150102001005") == "150102001005"
    units, history = schema.admin_units, schema.unit_code_history
    with store.writing() as conn:
        conn.execute(history.delete().where(history.c.new_code == "150102001005"))
        conn.execute(units.delete().where(units.c.code == "150102001005"))
        assert K.next_free_code(conn, parent_code="150102001000", level="community") == "150102001006"
