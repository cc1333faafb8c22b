"""乡改镇 and 撤镇设街道: a township-level unit is re-coded with its communities and villages, on both backends.

The most common change a 乡 undergoes (and a 镇 on the edge of a city) was refused while the unit had villages,
and the villages could not be moved first: no other parent holds their land. Now the villages follow under the
new code, each keeping its serial, its land, names, figures and records, in one change; and a planning settings
file that names the 镇 by its old code keeps meaning it.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from geo.divisions.changes import recode_unit
from geo.divisions.queries import unit_history
from geo.errors import Conflict, StaleVersion
from geo.location_rules import current_codes
from geo.planning.indicators import urban_scope
from geo.planning.norms_settings import PlanningNorms
from geo.planning.run import PlanningInputs
from geo.store import schema

DECISION = {"decision_body": "呼和浩特市人民政府", "decision_doc_no": "呼政发〔2026〕21号",
            "decision_date": "2026-11-20", "effective_on": "2026-12-01"}
TOWN = "150102100000"  # 保合少镇 and its 24 villages in the sample


def _active_below(store, code: str) -> list[dict]:
    return [u for u in store.select("admin_units", where={"parent_code": code}) if u["status"] == "active"]


def _plates_by_unit(store, codes: list[str]) -> dict[str, set[str]]:
    p = schema.door_plates
    with store.reading() as conn:
        rows = conn.execute(sa.select(p.c.community_code, p.c.plate_uid).where(
            p.c.community_code.in_(codes), p.c.status == "active")).all()
    out: dict[str, set[str]] = {code: set() for code in codes}
    for code, uid in rows:
        out[code].add(uid)
    return out


def test_a_town_becomes_a_subdistrict_with_its_villages(writable_sample_store):
    """撤镇设街道: 保合少镇 → 保合少街道 (001–099); each village keeps its serial, land, households and plates."""
    store = writable_sample_store
    (town,) = store.select("admin_units", where={"code": TOWN})
    villages = _active_below(store, TOWN)
    assert len(villages) == 24
    plates_before = _plates_by_unit(store, [v["code"] for v in villages])
    assert sum(len(s) for s in plates_before.values()) > 0

    out = recode_unit(store, TOWN, expected_version=town["version"], decision=DECISION, actor="t-admin",
                      level="subdistrict", new_name="保合少街道")

    new_code = out["units_after"][0]
    assert new_code[:6] == "150102" and 1 <= int(new_code[6:9]) <= 99 and new_code.endswith("000")
    (new_town,) = store.select("admin_units", where={"code": new_code})
    assert (new_town["level"], new_town["name"], new_town["status"]) == ("subdistrict", "保合少街道", "active")
    assert new_town["geometry"].equals(town["geometry"])
    assert {u["code"]: u["status"] for u in store.select("admin_units", where={"code": TOWN})} == {TOWN: "retired"}
    assert not _active_below(store, TOWN)

    moved = {v["code"]: v for v in _active_below(store, new_code)}
    expected = {new_code[:9] + v["code"][9:]: v for v in villages}
    assert set(moved) == set(expected)
    assert out["units_before"] == [TOWN, *(v["code"] for v in villages)]
    assert out["units_after"] == [new_code, *(new_code[:9] + v["code"][9:] for v in villages)]
    for code, before in expected.items():
        after = moved[code]
        assert (after["name"], after["level"], after["households"], after["residents_60plus"],
                after["settlement_type"]) == (before["name"], "village", before["households"],
                                              before["residents_60plus"], before["settlement_type"])
        assert after["geometry"].equals(before["geometry"])
    plates_after = _plates_by_unit(store, list(expected))
    assert {code: plates_after[code] for code in expected} == {
        code: plates_before[v["code"]] for code, v in expected.items()}
    assert out["plates_moved"] == sum(len(s) for s in plates_before.values())
    # the gazetteer names the villages and the new 街道 by the new codes; the old codes hold no name in force
    in_force = {n["admin_code"] for n in store.select("place_names", where={"status": "in_force"})}
    assert set(expected) | {new_code} <= in_force
    left = [n["standard_name"] for n in store.select("place_names", where={"status": "in_force"})
            if n["admin_code"] in ({TOWN} | {v["code"] for v in villages})]
    assert not left, left[:5]
    # each old code leads to its new one, for a resident or officer searching by the code on an old document
    history = unit_history(store, villages[0]["code"])
    assert [r["new_code"] for r in history["later"]] == [new_code[:9] + villages[0]["code"][9:]]


def test_the_addresses_below_name_the_new_subdistrict(writable_sample_store):
    """A building's standard address names the 镇; after 撤镇设街道 it names the 街道 (same transaction)."""
    from geo.addresses.lifecycle import add_building

    store = writable_sample_store
    p = schema.door_plates
    with store.reading() as conn:
        plate_uid = conn.execute(sa.select(p.c.plate_uid).where(p.c.community_code.like("150102100%"),
                                                                p.c.status == "active").order_by(p.c.id)
                                 .limit(1)).scalar_one()
    building = add_building(store, plate_uid, "1号楼", actor="t-admin")
    assert "保合少镇" in building["standard_address"]
    (town,) = store.select("admin_units", where={"code": TOWN})
    out = recode_unit(store, TOWN, expected_version=town["version"], decision=DECISION, actor="t-admin",
                      level="subdistrict", new_name="保合少街道")
    assert out["addresses_refreshed"] >= 1
    (after,) = store.select("addresses", where={"address_uid": building["address_uid"]})
    assert "保合少街道" in after["standard_address"] and "保合少镇" not in after["standard_address"]


def test_a_stale_town_or_a_village_code_taken_under_the_new_code_changes_nothing(writable_sample_store):
    store = writable_sample_store
    (town,) = store.select("admin_units", where={"code": TOWN})
    with pytest.raises(StaleVersion):
        recode_unit(store, TOWN, expected_version=town["version"] - 1, decision=DECISION, actor="t-admin",
                    level="subdistrict", new_name="保合少街道")
    # a village code under the new code was held once (its row long deleted, the history keeps it): refused, named
    store.insert("unit_code_history", [{"change_id": None, "old_code": "150102009205", "new_code": "150102001150",
                                        "old_name": "旧村", "new_name": "旧社区", "changed_on": date(2020, 1, 1)}],
                 actor="t-admin")
    with pytest.raises(Conflict, match="150102009205") as err:
        recode_unit(store, TOWN, expected_version=town["version"], decision=DECISION, actor="t-admin",
                    new_code="150102009000", level="subdistrict", new_name="保合少街道")
    assert err.value.field == "new_code"  # the officer typed the town's code: told whose derived code it is
    assert err.value.message.startswith("其下 奎素村（150102100205）在新代码下应为 150102009205："), err.value.message
    assert not store.count("division_changes")
    assert len(_active_below(store, TOWN)) == 24
    assert store.select("admin_units", where={"code": TOWN})[0]["status"] == "active"


def test_a_settings_file_naming_the_town_by_its_old_code_keeps_meaning_it(writable_sample_store):
    """The urban scope of the 15-minute circle is set by code in a TOML file the service cannot rewrite; after
    撤镇设街道 it names a retired code. It is read as the unit's code now (it was refused: no plan page)."""
    store = writable_sample_store
    (town,) = store.select("admin_units", where={"code": TOWN})
    out = recode_unit(store, TOWN, expected_version=town["version"], decision=DECISION, actor="t-admin",
                      level="subdistrict", new_name="保合少街道")
    new_code = out["units_after"][0]
    inputs = PlanningInputs.load(store)
    assert inputs.unit_successors[TOWN] == new_code
    norms = PlanningNorms(urban_unit_codes=("150102001000", TOWN))
    scope = urban_scope(inputs.units, norms, unit_successors=inputs.unit_successors)
    assert sorted(scope["code"]) == ["150102001000", new_code]
    # with no codes set every 街道 is urban: the new one too
    assert new_code in set(urban_scope(inputs.units, PlanningNorms())["code"])


def test_current_codes_follow_the_history_to_its_end():
    history = [{"id": 2, "old_code": "B", "new_code": "C", "changed_on": "2024-01-01"},
               {"id": 1, "old_code": "A", "new_code": "B", "changed_on": "2020-01-01"},
               {"id": 3, "old_code": "X", "new_code": "Y", "changed_on": "2021-01-01"},
               {"id": 4, "old_code": "Y", "new_code": "X", "changed_on": "2022-01-01"}]  # a cycle, never written
    assert current_codes(history) == {"A": "C", "B": "C", "X": "Y", "Y": "X"}


# -- the review's findings ----------------------------------------------------------------------------------

on_postgis = pytest.mark.parametrize("writable_sample_store", ["postgis"], indirect=True)
FACILITY = {"name": "测试养老站", "kind": "elder_care_station", "floor_area_m2": 200}


def _village_point(store, code: str):
    (unit,) = store.select("admin_units", where={"code": code})
    return unit["geometry"].representative_point()


@on_postgis
def test_a_write_naming_a_village_waits_for_its_recode_and_is_refused_naming_the_new_code(writable_sample_store,
                                                                                          monkeypatch):
    """A facility created while 撤镇设街道 ran was stored naming its retired village (5 of 14 in the review): the
    unit was read without a lock. The write now waits for the change and is refused, naming the village's new
    code."""
    import threading

    import geo.divisions.changes as changes
    from geo.errors import InputError
    from geo.generic_writes import create_feature

    store = writable_sample_store
    village = "150102100207"
    point = _village_point(store, village)
    (town,) = store.select("admin_units", where={"code": TOWN})
    outcome: dict[str, object] = {}
    recode_holding = threading.Event()
    let_go = threading.Event()
    real_history = changes._history

    def slow_history(*args, **kwargs):  # the change holds its locks here, its units retired, not yet committed
        real_history(*args, **kwargs)
        recode_holding.set()
        assert let_go.wait(30)

    monkeypatch.setattr(changes, "_history", slow_history)

    def recode() -> None:
        outcome["recode"] = recode_unit(store, TOWN, expected_version=town["version"], decision=DECISION,
                                        actor="t-admin", level="subdistrict", new_name="保合少街道")

    def create() -> None:
        try:
            outcome["create"] = create_feature(store, "facilities", {**FACILITY, "community_code": village,
                                                                     "geometry": point}, actor="t-officer")
        except InputError as exc:
            outcome["create"] = exc

    first = threading.Thread(target=recode)
    first.start()
    assert recode_holding.wait(60)
    second = threading.Thread(target=create)
    second.start()
    second.join(1.5)
    assert second.is_alive(), outcome  # waiting for the change, not deciding on what it read before
    let_go.set()
    first.join(60)
    second.join(60)
    new_village = outcome["recode"]["units_after"][0][:9] + village[9:]  # type: ignore[index]
    refused = outcome["create"]
    assert isinstance(refused, InputError) and refused.field == "community_code", refused
    assert "已撤销" in refused.message and new_village in refused.message
    assert not store.count("facilities", where={"community_code": village, "name": FACILITY["name"]})


@on_postgis
def test_a_town_and_one_of_its_villages_recoded_at_once_wait_for_each_other(writable_sample_store):
    """The town's re-code locked the town, then its villages; a village's re-code locked the village, then its
    town: PostgreSQL killed one as a deadlock, answered 503 (review). Both now lock the town first."""
    from tests.concurrently import behind_a_held_row, deadlocked

    store = writable_sample_store
    village = "150102100207"
    (town,) = store.select("admin_units", where={"code": TOWN})
    (unit,) = store.select("admin_units", where={"code": village})
    outcome = behind_a_held_row(store, table="admin_units", column="code", value=TOWN, actions=[
        ("town", lambda: recode_unit(store, TOWN, expected_version=town["version"], decision=DECISION,
                                     actor="t-admin", level="subdistrict", new_name="保合少街道")),
        ("village", lambda: recode_unit(store, village, expected_version=unit["version"], decision=DECISION,
                                        actor="t-admin", level="community",
                                        new_name=unit["name"].removesuffix("村") + "社区"))])
    assert not deadlocked(outcome), outcome
    assert isinstance(outcome["town"], dict), outcome  # a town's re-code never meets the village's change
    after = {u["code"]: u for u in store.select("admin_units")}
    active = {c for c, u in after.items() if u["status"] == "active"}
    assert all(after[c]["parent_code"] in active for c in active if after[c]["level"] in ("village", "community"))


def test_the_change_summary_keeps_chinese_then_english(writable_sample_store):
    store = writable_sample_store
    (town,) = store.select("admin_units", where={"code": TOWN})
    out = recode_unit(store, TOWN, expected_version=town["version"], decision=DECISION, actor="t-admin",
                      level="subdistrict", new_name="保合少街道")
    zh, en = out["summary"].split(" · ")
    assert zh.startswith("保合少街道 重新编码：") and "其下 24 个社区和村随之重新编码" in zh
    assert en.startswith("re-coded 保合少街道: ") and en.endswith("with the 24 communities and villages below it")


def test_old_codes_are_refused_naming_the_code_their_land_is_held_under_now(writable_sample_store):
    """An officer renaming a village, or importing a file exported before 撤镇设街道, met "已撤销" with no word of
    the new code (review)."""
    from geo.divisions.changes import rename_unit
    from geo.errors import InputError
    from geo.generic_writes import create_feature
    from geo.planning.burial import record_statistics

    store = writable_sample_store
    village = "150102100207"
    point = _village_point(store, village)
    (town,) = store.select("admin_units", where={"code": TOWN})
    (unit,) = store.select("admin_units", where={"code": village})
    new_town = recode_unit(store, TOWN, expected_version=town["version"], decision=DECISION, actor="t-admin",
                           level="subdistrict", new_name="保合少街道")["units_after"][0]
    new_village = new_town[:9] + village[9:]
    with pytest.raises(Conflict) as err:
        rename_unit(store, village, "新名村", expected_version=unit["version"], decision=DECISION, actor="t-admin")
    assert f"其区域现为 {new_village}" in err.value.message and f"its land is now {new_village}" in err.value.message
    with pytest.raises(InputError) as err:
        create_feature(store, "facilities", {**FACILITY, "community_code": village, "geometry": point},
                       actor="t-officer")
    assert f"请用其承继单位的代码（{new_village}）" in err.value.message
    # burial statistics for the retired 镇 (the same land as the new 街道: counted twice in one year) are refused
    with pytest.raises(InputError) as err:
        record_statistics(store, [{"year": 2026, "unit_code": TOWN, "deaths": 300, "cremations": 100}],
                          actor="t-admin")
    assert err.value.field == "unit_code" and new_town in err.value.message
    assert record_statistics(store, [{"year": 2026, "unit_code": new_town, "deaths": 300, "cremations": 100}],
                             actor="t-admin").written


def test_the_planner_is_told_the_settings_name_a_replaced_code_and_old_statistics_keep_a_name(writable_sample_store):
    from geo.planning.run import run_planning, walk_params

    store = writable_sample_store
    assert store.count("burial_statistics", where={"unit_code": TOWN})  # the sample's years before the change
    (town,) = store.select("admin_units", where={"code": TOWN})
    new_town = recode_unit(store, TOWN, expected_version=town["version"], decision=DECISION, actor="t-admin",
                           level="subdistrict", new_name="保合少街道")["units_after"][0]
    inputs = PlanningInputs.load(store)
    norms = PlanningNorms(urban_unit_codes=(TOWN,))
    run = run_planning(inputs, walk_params(), norms=norms)
    (circle,) = [i for i in run.indicators if i.number == "一刻钟"]
    assert f"{TOWN} → {new_town}" in circle.note and "请更新设置文件" in circle.note
    assert circle.detail["urban_scope_codes"] == [new_town]
    named = {row["code"]: row["name"] for i in run.indicators for row in i.by_unit}
    assert named.get(TOWN) == f"保合少街道（原 {TOWN}）", named.get(TOWN)


def test_a_bad_new_name_is_refused_naming_the_requests_field(writable_sample_store):
    """The gazetteer's rules named standard_name, and Mongolian script was sent to name_mong, a field the re-code
    request does not have (review)."""
    from geo.errors import InputError

    store = writable_sample_store
    (town,) = store.select("admin_units", where={"code": TOWN})
    for bad in ("ᠪᠣᠬᠣᠰᠣᠤ街道", "<b>保合少</b>街道", "保合少街道\u202e", "x" * 60 + "街道", "保合少镇"):
        with pytest.raises(InputError) as err:
            recode_unit(store, TOWN, expected_version=town["version"], decision=DECISION, actor="t-admin",
                        level="subdistrict", new_name=bad)
        assert err.value.field == "new_name", (bad, err.value.field, err.value.message)
    assert not store.count("division_changes")


def test_the_division_pages_name_the_kind_and_the_status_in_chinese(writable_server, writable_sample_store):
    """The change list, a change's page and a unit's history showed "recode" and "retired" bare (review)."""
    from tests.test_officer_pages import _client

    store = writable_sample_store
    (town,) = store.select("admin_units", where={"code": TOWN})
    out = recode_unit(store, TOWN, expected_version=town["version"], decision=DECISION, actor="t-admin",
                      level="subdistrict", new_name="保合少街道")
    with _client(writable_server, "admin") as admin:
        listing = admin.get("/officer/divisions", params={"q": "保合少"})
        change = admin.get(f"/officer/divisions/changes/{out['id']}")
        unit = admin.get(f"/officer/divisions/units/{TOWN}")
    for page in (listing, change, unit):
        assert page.status_code == 200
    assert "重新编码 recode" in listing.text, re.findall(r"<td>[^<]*recode[^<]*<", listing.text)
    assert "已注销 retired" in listing.text
    assert "重新编码 recode" in change.text and "在用 active" in change.text  # the new units
    assert "重新编码 recode" in unit.text and "已注销 retired" in unit.text
    assert ">recode<" not in listing.text + change.text + unit.text


def test_a_year_recorded_under_the_towns_former_code_is_not_recorded_again_under_the_new(writable_sample_store):
    """2025 held 182 deaths under 保合少镇; after 撤镇设街道 a row for 2025 under the 街道 was taken, and the year
    counted the same land twice (second review)."""
    from geo.planning.burial import record_statistics

    store = writable_sample_store
    years = {r["year"] for r in store.select("burial_statistics", where={"unit_code": TOWN})}
    (town,) = store.select("admin_units", where={"code": TOWN})
    new_town = recode_unit(store, TOWN, expected_version=town["version"], decision=DECISION, actor="t-admin",
                           level="subdistrict", new_name="保合少街道")["units_after"][0]
    year = max(years)
    with pytest.raises(Conflict) as err:
        record_statistics(store, [{"year": year, "unit_code": new_town, "deaths": 10}], actor="t-admin")
    assert f"已按原代码 {TOWN} 记录" in err.value.message and err.value.field == "year"
    assert not store.count("burial_statistics", where={"unit_code": new_town})


@on_postgis
def test_a_merge_listing_its_villages_in_any_order_never_deadlocks_with_an_import_naming_them(
        writable_sample_store, tmp_path):
    """A merge locked its units in the order the request listed them, an import naming them locks them for share
    in id order: PostgreSQL killed the import as a deadlock, answered 503 (second review)."""
    from geo.divisions.changes import merge_units
    from geo.io.importer import import_file
    from tests.concurrently import behind_a_held_row, deadlocked

    store = writable_sample_store
    villages = sorted(_active_below(store, TOWN), key=lambda u: u["id"])
    first, second = villages[0], next(v for v in villages[1:] if v["geometry"].touches(villages[0]["geometry"])
                                      or v["geometry"].intersects(villages[0]["geometry"]))
    table = tmp_path / "facilities.csv"
    rows = [f"测试站{i},elder_care_station,{v['code']},{p.x},{p.y}"
            for i, v in enumerate((first, second)) for p in [v["geometry"].representative_point()]]
    table.write_text("name,kind,community_code,lon,lat\n" + "\n".join(rows) + "\n", encoding="utf-8")
    outcome = behind_a_held_row(store, table="admin_units", column="code", value=second["code"], actions=[
        ("merge", lambda: merge_units(
            store, [second["code"], first["code"]], name="合并新村", decision=DECISION, actor="t-admin",
            expected_versions={second["code"]: second["version"], first["code"]: first["version"]})),
        ("import", lambda: import_file(store, "facilities", table, crs="EPSG:4490", actor="t-officer"))])
    assert not deadlocked(outcome), outcome
    assert isinstance(outcome["merge"], dict), outcome
    imported = outcome["import"]
    if not isinstance(imported, Exception):  # it ran first: then the merge moved its facilities
        assert not store.count("facilities", where={"community_code": [first["code"], second["code"]]})
    else:
        assert "已撤销" in str(imported), imported


@on_postgis
def test_two_communities_moved_each_under_the_others_subdistrict_at_once_never_deadlock(writable_sample_store):
    """Each move locked its own 街道, then the one it moves under: two opposite moves at once each held what the
    other waited for. Both parents are now locked first, in id order (both moves are refused: neither community
    lies in the other 街道; what matters is the answer, not a deadlock's 503)."""
    from geo.errors import DomainError
    from tests.concurrently import behind_a_held_row, deadlocked

    store = writable_sample_store
    one = next(u for u in _active_below(store, "150102001000") if u["level"] == "community")
    two = next(u for u in _active_below(store, "150102002000") if u["level"] == "community")

    def move(unit, parent):
        return lambda: recode_unit(store, unit["code"], expected_version=unit["version"], decision=DECISION,
                                   actor="t-admin", parent_code=parent)

    outcome = behind_a_held_row(store, table="admin_units", column="code", value="150102001000", stagger_s=1,
                                actions=[(one["code"], move(one, "150102002000")),
                                         (two["code"], move(two, "150102001000"))])
    assert not deadlocked(outcome), outcome
    assert all(isinstance(v, DomainError) and v.field == "parent_code" for v in outcome.values()), outcome


@on_postgis
def test_a_merge_beside_a_plate_upsert_sums_the_households_the_upsert_stored(writable_sample_store, tmp_path):
    """A merge read its villages' plates without a lock while an upsert of their households was in flight: the
    merged village kept 1,018 households against its plates' 1,696 (third review). The plates are now locked as
    they are read, so the merge waits for the upsert and sums what it stored."""
    import geopandas as gpd

    from geo.divisions.changes import merge_units
    from geo.io.importer import export_layer, import_file
    from tests.concurrently import behind_a_held_row
    from tests.test_divisions import _adjoining_villages

    store = writable_sample_store
    a, b = _adjoining_villages(store)
    codes = [a["code"], b["code"]]
    export = tmp_path / "plates.gpkg"
    export_layer(store, "door_plates", export, where={"community_code": codes, "status": "active"})
    plates = gpd.read_file(export)
    assert len(plates) > 2
    plates["households"] = plates["households"].fillna(0).astype(int) + 1
    edited = tmp_path / "edited.gpkg"
    plates.to_file(edited, driver="GPKG", layer="door_plates")
    outcome = behind_a_held_row(store, table="door_plates", column="id", value=int(plates["id"].min()), actions=[
        ("upsert", lambda: import_file(store, "door_plates", edited, crs="EPSG:4490", actor="t-officer",
                                       mode="upsert")),
        ("merge", lambda: merge_units(store, codes, name="团结新村", decision=DECISION, actor="t-admin",
                                      expected_versions={a["code"]: a["version"], b["code"]: b["version"]}))])
    assert not isinstance(outcome["upsert"], Exception), outcome
    assert isinstance(outcome["merge"], dict), outcome
    (code,) = outcome["merge"]["units_after"]  # type: ignore[index]
    (unit,) = store.select("admin_units", where={"code": code})
    held = sum(p["households"] or 0 for p in store.select("door_plates", where={"community_code": code,
                                                                                  "status": "active"}))
    assert unit["households"] == held


def test_the_officers_filters_offer_todays_units_only(writable_server, writable_sample_store):
    """After 撤镇设街道 the names page offered 保合少镇 beside 保合少街道 and the plates page each village twice, the
    retired one first, whose filter showed no plate (review)."""
    from tests.test_officer_pages import _client

    store = writable_sample_store
    (town,) = store.select("admin_units", where={"code": TOWN})
    villages = _active_below(store, TOWN)
    new_code = recode_unit(store, TOWN, expected_version=town["version"], decision=DECISION, actor="t-admin",
                           level="subdistrict", new_name="保合少街道")["units_after"][0]
    with _client(writable_server, "admin") as admin:
        names = admin.get("/officer/placenames")
        plates = admin.get("/officer/plates")
    assert names.status_code == plates.status_code == 200
    offered = re.findall(r"<option value='(\d{12})'", names.text)
    assert new_code in offered and TOWN not in offered
    communities = re.findall(r"<option value='(\d{12})'[^>]*>([^<]*)</option>", plates.text)
    codes = [code for code, _name in communities]
    assert len(codes) == len(set(codes)) and not {v["code"] for v in villages} & set(codes)
    assert all(new_code[:9] + v["code"][9:] in codes for v in villages)
