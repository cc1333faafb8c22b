"""Fixes of the outside review of #17 in division changes, on the sample district, both backends.

F33: a re-code into another 街道 is refused unless the unit lies in it. F17: a re-code without a new
code takes the next free one. F28: a change taking effect after today is refused (record it on the
day). F12/F13/F20: the names a split creates carry the unit's polygon and a 地名代码, the abolished
name gets its code, and the year's sync batch sends it as 废止. F35: the district map draws only the
units in force.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from geo.divisions.changes import parse_decision, recode_unit, rename_unit, split_unit
from geo.errors import InputError
from geo.placenames.national_sync import make_batch
from geo.placenames.search import PlaceLocator
from geo.store import schema
from geo.types import beijing_today
from tests.test_divisions import _halves, _unit

DECISION = {"decision_body": "呼和浩特市新城区人民政府", "decision_doc_no": "新政发〔2026〕31号",
            "decision_date": "2026-11-20", "effective_on": "2026-12-01"}


def _community_outside(store, parent_code: str) -> dict:
    """An active community of another 街道 whose land lies wholly outside ``parent_code``."""
    parent = _unit(store, parent_code)
    for unit in store.select("admin_units", where={"level": "community", "status": "active"}):
        if unit["parent_code"] != parent_code and not unit["geometry"].intersects(parent["geometry"]):
            return unit
    raise AssertionError("the sample has no community outside " + parent_code)


def test_recode_into_a_subdistrict_it_does_not_lie_in_is_refused(writable_sample_store):
    """F33: moving a community under a 街道 it does not lie in is refused naming parent_code; nothing is stored.
    F17: a re-code without a new code (same level and parent) gives the next free code."""
    store = writable_sample_store
    unit = _community_outside(store, "150102002000")
    plates = store.count("door_plates", where={"community_code": unit["code"]})
    with pytest.raises(InputError) as err:
        recode_unit(store, unit["code"], expected_version=unit["version"], decision=DECISION, actor="t-admin",
                    parent_code="150102002000")
    assert err.value.field == "parent_code"
    assert err.value.message.startswith("上级区划") and "150102002000" in err.value.message
    assert "m²" in err.value.message and "does not contain" in err.value.message
    assert not store.count("division_changes")
    after = _unit(store, unit["code"])
    assert (after["status"], after["version"]) == ("active", unit["version"])
    assert store.count("door_plates", where={"community_code": unit["code"]}) == plates

    out = recode_unit(store, unit["code"], expected_version=unit["version"], decision=DECISION, actor="t-admin")
    (code,) = out["units_after"]
    assert code != unit["code"] and code[:9] == unit["code"][:9]
    assert _unit(store, code)["parent_code"] == unit["parent_code"]
    assert _unit(store, unit["code"])["status"] == "retired"
    assert store.count("door_plates", where={"community_code": code}) == plates


def test_a_change_taking_effect_after_today_is_refused(writable_sample_store):
    """F28: the bureau records a change on the day it takes effect; a future effective date is refused."""
    today = date(2026, 12, 2)
    assert parse_decision({**DECISION, "effective_on": "2026-12-02"}, today=today).on == today
    with pytest.raises(InputError) as err:
        parse_decision({**DECISION, "effective_on": "2027-03-01"}, today=today)
    assert err.value.field == "effective_on" and err.value.message.startswith("生效日期")
    assert "2027-03-01" in err.value.message and "record the division change on the day" in err.value.message
    store = writable_sample_store
    unit = _unit(store, "150102001001")
    west, east = _halves(unit["geometry"])
    future = (beijing_today() + timedelta(days=90)).isoformat()
    with pytest.raises(InputError) as err:
        split_unit(store, unit["code"], [{"name": "春华甲社区", "geometry": west}, {"name": "春华乙社区",
                                                                                "geometry": east}],
                   expected_version=unit["version"], decision={**DECISION, "effective_on": future}, actor="t-admin")
    assert err.value.field == "effective_on"
    assert not store.count("division_changes")
    assert _unit(store, unit["code"])["status"] == "active"


def _community_name(store, code: str) -> dict:
    p = schema.place_names
    with store.reading() as conn:
        pid = conn.execute(sa.select(p.c.id).where(p.c.admin_code == code, p.c.feature_class == "community")
                           .order_by(p.c.id.desc())).scalars().first()
    return store.get("place_names", pid)


def test_split_names_carry_polygon_and_code_and_the_sync_sends_the_abolished_name(writable_sample_store):
    """F20, F13, F12 on one split and one rename, then the year's sync batch."""
    store = writable_sample_store
    old = _unit(store, "150102001001")
    old_name = _community_name(store, old["code"])
    assert old_name["status"] == "in_force"
    west, east = _halves(old["geometry"])
    out = split_unit(store, old["code"], [{"name": "春华西社区", "geometry": west},
                                          {"name": "春华东社区", "geometry": east}],
                     expected_version=old["version"], decision=DECISION, actor="t-admin")
    locator = PlaceLocator(store.select("place_names", where={"status": "in_force"}))
    codes = set()
    for new_code in out["units_after"]:
        unit = _unit(store, new_code)
        name = _community_name(store, new_code)
        assert name["standard_name"] == unit["name"] and name["status"] == "in_force"
        assert name["geometry"].geom_type in ("Polygon", "MultiPolygon")                     # F20
        assert name["geometry"].symmetric_difference(unit["geometry"]).area < 1e-12
        inside = unit["geometry"].representative_point()
        assert unit["name"] in [h["standard_name"] for h in locator.at(inside.x, inside.y, radius_m=5)]
        assert name["place_code"] and name["place_code"].startswith(store.adcode[:6])      # F13
        codes.add(name["place_code"])
    retired = store.get("place_names", old_name["id"])
    assert retired["status"] == "retired" and retired["place_code"]                          # F12: code to send
    codes.add(retired["place_code"])
    assert len(codes) == 3

    unit = _unit(store, "150102001004")
    before = _community_name(store, unit["code"])
    rename_unit(store, unit["code"], "和美社区", expected_version=unit["version"], decision=DECISION,
                actor="t-admin")
    renamed = store.get("place_names", before["id"])
    assert renamed["standard_name"] == "和美社区" and renamed["place_code"]                  # F13: a rename's name
    assert renamed["place_code"] not in codes

    batch, new = make_batch(store, beijing_today().year, actor="t-officer")
    assert new
    rows = list(csv.reader(io.StringIO(batch["payload"].lstrip("\ufeff"))))
    header, body = rows[0], rows[1:]
    kind, code_col = header.index("变更类型"), next(i for i, h in enumerate(header) if h.startswith("地名代码"))
    by_code = {r[code_col]: r[kind] for r in body if r[code_col]}
    assert by_code.get(retired["place_code"]) == "废止", "the abolished community is sent as 废止 with its code"
    assert all(by_code.get(c) == "新增" for c in codes - {retired["place_code"]})
    assert by_code.get(renamed["place_code"]) == "变更"
    assert all(r[code_col] for r in body if r[kind] in ("新增", "废止") and "社区" in "".join(r))


def test_the_district_map_draws_only_units_in_force(writable_sample_store):
    """F35: after a split the abolished community is not among the map's units; its parts are."""
    from api.map_data import district_layers
    from maps.district_map import district_map, units_in_force

    store = writable_sample_store
    old = _unit(store, "150102001001")
    west, east = _halves(old["geometry"])
    out = split_unit(store, old["code"], [{"name": "春华西社区", "geometry": west},
                                          {"name": "春华东社区", "geometry": east}],
                     expected_version=old["version"], decision=DECISION, actor="t-admin")
    layers = district_layers(store)
    shown = set(units_in_force(layers["admin_units"])["code"])
    assert old["code"] not in shown and set(out["units_after"]) <= shown
    assert old["code"] in set(layers["admin_units"]["code"])  # still stored, as history
    html = district_map(layers).get_root().render()
    assert all(f'"{code}"' in html for code in out["units_after"]) and f'"{old["code"]}"' not in html


def test_a_register_name_retired_in_the_year_is_sent_as_retired():
    """F12 for any retirement: a name of the starting register (no approval date, no code) that was in
    force before its retirement in the year is a standard name the national database holds: 废止."""
    import json
    from datetime import UTC, datetime

    from geo.placenames.national_sync import year_changes

    at = datetime(2026, 6, 1, 4, tzinfo=UTC)
    register = {"id": 7, "standard_name": "春华社区", "status": "in_force", "approval_date": None, "place_code": None}
    proposal = {"id": 8, "standard_name": "春晖路", "status": "proposed", "approval_date": None, "place_code": None}
    rows = [{"record_id": 7, "action": "status:retired", "at": at, "before": json.dumps(register),
             "after": json.dumps({**register, "status": "retired"})},
            {"record_id": 8, "action": "status:retired", "at": at, "before": json.dumps(proposal),
             "after": json.dumps({**proposal, "status": "retired"})}]
    assert [(kind, state["standard_name"]) for kind, state in year_changes(rows, 2026)] == [("retired", "春华社区")]
