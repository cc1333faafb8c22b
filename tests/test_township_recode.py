"""乡改镇 and 撤镇设街道: a township-level unit is re-coded with its communities and villages, on both backends.

The most common change a 乡 undergoes (and a 镇 on the edge of a city) was refused while the unit had villages,
and the villages could not be moved first: no other parent holds their land. Now the villages follow under the
new code, each keeping its serial, its land, names, figures and records, in one change; and a planning settings
file that names the 镇 by its old code keeps meaning it.
"""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from geo.divisions.changes import recode_unit
from geo.divisions.queries import unit_history
from geo.errors import Conflict, StaleVersion
from geo.planning.indicators import urban_scope
from geo.planning.norms_settings import PlanningNorms
from geo.planning.run import PlanningInputs, current_codes
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
    with pytest.raises(Conflict, match="150102009205"):
        recode_unit(store, TOWN, expected_version=town["version"], decision=DECISION, actor="t-admin",
                    new_code="150102009000", level="subdistrict", new_name="保合少街道")
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
