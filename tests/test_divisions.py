"""Division changes (区划调整, #17 item 4) on the sample district, both backends.

As a civil-affairs officer: split a real sample community in two along a north–south line through its
centroid, merge two adjoining villages, rename a community with its place name following, re-code a
village as a community (村改居). As an attacker: codes in the wrong range or under the wrong parent, a
retired code reused, overlapping or gapped split parts, another district's unit, stale versions,
hostile names, and a generic PATCH of ``admin_units.code``.
"""

from __future__ import annotations

import json

import pytest
import shapely
import sqlalchemy as sa

from geo import crs as C
from geo.divisions import codes as K
from geo.divisions.changes import merge_units, recode_unit, rename_unit, split_unit
from geo.divisions.geometry import apportion, tiling_problem
from geo.divisions.queries import get_change, list_changes, search_units, unit_history
from geo.errors import Conflict, InputError, NotFound, StaleVersion
from geo.store import schema

DECISION = {"decision_body": "呼和浩特市新城区人民政府", "decision_doc_no": "新政发〔2026〕12号",
            "decision_date": "2026-11-20", "effective_on": "2026-12-01"}


def _unit(store, code: str) -> dict:
    (row,) = store.select("admin_units", where={"code": code})
    return row


def _halves(geom) -> tuple:
    """Return the west and east halves of ``geom`` cut on the meridian through its centroid (exact tiling)."""
    m = C.to_metric(geom)
    cx = m.centroid.x
    minx, miny, maxx, maxy = m.bounds
    west = shapely.intersection(m, shapely.box(minx - 10, miny - 10, cx, maxy + 10))
    east = shapely.intersection(m, shapely.box(cx, miny - 10, maxx + 10, maxy + 10))
    return C.from_metric(west), C.from_metric(east)


def _busy_community(store) -> dict:
    """The sample community with the most active plates (so a split moves real plates)."""
    p = schema.door_plates
    with store.reading() as conn:
        code = conn.execute(sa.select(p.c.community_code).where(p.c.status == "active", p.c.community_code.like(
            "150102001%")).group_by(p.c.community_code).order_by(sa.func.count().desc(), p.c.community_code)
            .limit(1)).scalar_one()
    return _unit(store, code)


# -- pure rules ---------------------------------------------------------------------------------------


def test_pn13_ranges_and_prefix():
    K.check_code("150102001013", level="community", parent_code="150102001000", district="150102")
    K.check_code("150102100213", level="village", parent_code="150102100000", district="150102")
    K.check_code("150102007000", level="subdistrict", parent_code="150102000000", district="150102")
    with pytest.raises(InputError, match="200–399"):
        K.check_code("150102100013", level="village", parent_code="150102100000", district="150102")
    with pytest.raises(InputError, match="001–199"):
        K.check_code("150102001213", level="community", parent_code="150102001000", district="150102")
    with pytest.raises(InputError, match="前 9 位"):
        K.check_code("150102002013", level="community", parent_code="150102001000", district="150102")
    with pytest.raises(InputError, match="PN-13"):
        K.check_code("150103001013", level="community", parent_code="150102001000", district="150102")
    with pytest.raises(InputError, match="12"):
        K.check_code("15010200101", level="community", parent_code="150102001000", district="150102")
    with pytest.raises(InputError, match="100–199"):
        K.check_code("150102050000", level="town", parent_code="150102000000", district="150102")
    with pytest.raises(InputError, match="000"):
        K.check_code("150102050001", level="subdistrict", parent_code="150102000000", district="150102")


def test_apportion_keeps_totals_by_hand():
    # 10 people over households 1:1:1 → 3.33 each; the largest remainders go to the earlier parts.
    assert apportion(10, [1, 1, 1]) == [4, 3, 3]
    assert apportion(7, [3, 1]) == [5, 2]          # 5.25 and 1.75: the 0.75 remainder wins the 7th
    assert apportion(5, [0, 0]) == [3, 2]          # no weights: equal shares
    assert sum(apportion(1234, [0.3, 0.2, 0.5])) == 1234


def test_tiling_names_gap_and_overlap_in_m2():
    x0, y0 = 560_000.0, 4_530_000.0
    old = C.from_metric(shapely.box(x0, y0, x0 + 1000, y0 + 1000))            # 1 km²: tolerance 100 m²
    west = C.from_metric(shapely.box(x0, y0, x0 + 500, y0 + 1000))
    east_gap = C.from_metric(shapely.box(x0 + 510, y0, x0 + 1000, y0 + 1000))  # a 10 m × 1 km gap: 10,000 m²
    east_over = C.from_metric(shapely.box(x0 + 490, y0, x0 + 1000, y0 + 1000))
    assert tiling_problem(old, [west, C.from_metric(shapely.box(x0 + 500, y0, x0 + 1000, y0 + 1000))]) is None
    gap = tiling_problem(old, [west, east_gap])
    assert gap.kind == "gap" and gap.area_m2 == pytest.approx(10_000, rel=1e-3)
    over = tiling_problem(old, [west, east_over])
    assert over.kind == "overlap" and over.area_m2 == pytest.approx(10_000, rel=1e-3)
    assert (over.first, over.second) == (1, 2)
    sliver = C.from_metric(shapely.box(x0 + 500.05, y0, x0 + 1000, y0 + 1000))  # 5 cm × 1 km = 50 m² < 100 m²
    assert tiling_problem(old, [west, sliver]) is None


# -- the officer's work on the sample ------------------------------------------------------------------


def _plates_of(store, code: str) -> list[dict]:
    return [p for p in store.select("door_plates", where={"community_code": code})]


def test_split_a_sample_community(writable_sample_store):
    store = writable_sample_store
    old = _busy_community(store)
    plates_before = [p for p in _plates_of(store, old["code"]) if p["status"] not in ("revoked", "replaced")]
    active_hh = sum(int(p["households"] or 0) for p in plates_before if p["status"] == "active")
    facilities = store.count("facilities", where={"community_code": old["code"]})
    facility_names = store.count("place_names", where={"feature_class": "facility", "admin_code": old["code"]})
    west, east = _halves(old["geometry"])
    parts = [{"name": "锡林西社区", "geometry": west}, {"name": "锡林东社区", "geometry": east}]
    out = split_unit(store, old["code"], parts, expected_version=old["version"], decision=DECISION, actor="t-admin")
    new_codes = out["units_after"]
    assert out["units_before"] == [old["code"]] and len(new_codes) == 2
    # New codes: under the same 街道, in the community range, above every code ever held there.
    siblings = [u["code"] for u in store.select("admin_units") if u["code"].startswith(old["code"][:9])]
    assert all(c[:9] == old["code"][:9] and 1 <= int(c[9:]) <= 199 for c in new_codes)
    assert int(new_codes[0][9:]) == max(int(c[9:]) for c in siblings if c not in new_codes) + 1
    assert int(new_codes[1][9:]) == int(new_codes[0][9:]) + 1
    retired = _unit(store, old["code"])
    assert retired["status"] == "retired" and str(retired["valid_to"]) == "2026-12-01"
    a, b = (_unit(store, c) for c in new_codes)
    assert a["status"] == b["status"] == "active" and str(a["valid_from"]) == "2026-12-01"
    # Households re-aggregated from the plates; residents shared out keeping the old totals exactly.
    assert a["households"] + b["households"] == active_hh == old["households"]
    for col in ("residents", "registered_residents", "residents_60plus"):
        assert a[col] + b[col] == old[col]
    # Every plate now names the half that contains it.
    moved = [p for c in new_codes for p in _plates_of(store, c)]
    assert len(moved) == len(plates_before) == out["plates_moved"]
    for p in moved:
        unit = a if p["community_code"] == a["code"] else b
        assert unit["geometry"].buffer(1e-6).covers(p["geometry"])
    assert not [p for p in _plates_of(store, old["code"]) if p["status"] not in ("revoked", "replaced")]
    # History and the change record.
    history = [h for h in store.select("unit_code_history") if h["old_code"] == old["code"]]
    assert {(h["new_code"], h["new_name"]) for h in history} == {(a["code"], "锡林西社区"), (b["code"], "锡林东社区")}
    assert all(h["change_id"] == out["id"] for h in history)
    change = get_change(store, out["id"])
    assert change["change_type"] == "split" and change["decision_doc_no"] == "新政发〔2026〕12号"
    assert "made_by" not in change and len(change["codes"]) == 2
    # The place names: the old one retired, the new ones in force by the decision.
    names = {n["admin_code"]: n for n in store.select("place_names", where={"feature_class": "community"})
             if n["admin_code"] in (old["code"], *new_codes)}
    assert names[old["code"]]["status"] == "retired"
    assert names[a["code"]]["standard_name"] == "锡林西社区" and names[a["code"]]["status"] == "in_force"
    assert names[a["code"]]["approval_doc_no"] == "新政发〔2026〕12号"
    # Facilities and their place names follow too.
    assert not store.count("facilities", where={"community_code": old["code"]})
    assert store.count("facilities", where={"community_code": new_codes}) >= facilities
    assert not store.count("place_names", where={"feature_class": "facility", "admin_code": old["code"]})
    assert store.count("place_names", where={"feature_class": "facility", "admin_code": new_codes}) >= facility_names
    # Audited: the plates' moves are in the trail.
    assert any(r["action"] == "division_change" for r in store.audit_rows("door_plates", moved[0]["id"]))
    # A search for the abolished name leads to the units that took its land (review of #17, F25).
    from geo.placenames.search import search_names

    found = {hit.name for hit, _record in search_names(store, old["name"], statuses={"in_force"})}
    assert {"锡林西社区", "锡林东社区"} <= found, found


def test_planning_sees_the_new_units_after_a_split(writable_sample_store):
    """The per-unit floor-area and coverage rows list the two new units, not the retired one; the cache
    (keyed by the audit sequence) builds afresh after the change."""
    from api.cache import DataCache, cached_run
    from geo.planning.coverage import WalkParams
    from geo.planning.run import ELDER_CARE_KINDS

    store = writable_sample_store
    cache = DataCache()
    old = _busy_community(store)
    before = cached_run(cache, store, WalkParams(), ELDER_CARE_KINDS)
    floor_key = next(iter(before.floor))
    assert old["code"] in set(before.floor[floor_key]["code"])
    west, east = _halves(old["geometry"])
    out = split_unit(store, old["code"], [{"name": "锡林西社区", "geometry": west},
                                          {"name": "锡林东社区", "geometry": east}],
                     expected_version=old["version"], decision=DECISION, actor="t-admin")
    after = cached_run(cache, store, WalkParams(), ELDER_CARE_KINDS)
    assert after is not before
    for table in (after.floor[floor_key], after.coverage):
        rows = table.set_index("code")
        assert old["code"] not in rows.index
        assert set(out["units_after"]) <= set(rows.index)
        assert rows.loc[out["units_after"], "households"].sum() == old["households"]
    # The parent's totals are unchanged by a split inside it.
    parent_before = before.coverage.set_index("code").loc[old["parent_code"], "households"]
    assert after.coverage.set_index("code").loc[old["parent_code"], "households"] == parent_before


def _adjoining_villages(store) -> tuple[dict, dict]:
    villages = [u for u in store.select("admin_units", where={"level": "village", "status": "active"})]
    for i, a in enumerate(villages):
        for b in villages[i + 1:]:
            if a["parent_code"] == b["parent_code"] and a["geometry"].intersects(b["geometry"]):
                return a, b
    raise AssertionError("no adjoining villages in the sample")


def test_merge_two_villages(writable_sample_store):
    store = writable_sample_store
    a, b = _adjoining_villages(store)
    out = merge_units(store, [a["code"], b["code"]], name="团结村",
                      expected_versions={a["code"]: a["version"], b["code"]: b["version"]},
                      decision=DECISION, actor="t-admin")
    (code,) = out["units_after"]
    assert code[:9] == a["code"][:9] and 200 <= int(code[9:]) <= 399
    new = _unit(store, code)
    assert new["level"] == "village" and new["households"] == a["households"] + b["households"]
    for col in ("residents", "registered_residents", "residents_60plus"):
        assert new[col] == a[col] + b[col]
    assert C.to_metric(new["geometry"]).area == pytest.approx(
        C.to_metric(a["geometry"]).area + C.to_metric(b["geometry"]).area, rel=1e-6)
    assert {_unit(store, c)["status"] for c in (a["code"], b["code"])} == {"retired"}
    assert not store.count("door_plates", where={"community_code": [a["code"], b["code"]], "status": "active"})
    # The former names stay searchable and say what happened.
    hits = search_units(store, a["name"])
    hit = next(h for h in hits if h["code"] == code)
    assert hit["matched"] == "former" and any("新政发〔2026〕12号" in s and "2026-12-01" in s for s in hit["formerly"])
    assert any(h["code"] == a["code"] and h["status"] == "retired" for h in hits)
    chain = unit_history(store, a["code"])
    assert [r["new_code"] for r in chain["later"]] == [code]
    back = unit_history(store, code)
    assert {r["old_code"] for r in back["earlier"]} == {a["code"], b["code"]}
    assert list_changes(store)[0]["id"] == out["id"]


def test_rename_a_community_with_its_place_name(writable_sample_store):
    store = writable_sample_store
    unit = _unit(store, "150102001002")
    (name,) = [n for n in store.select("place_names", where={"admin_code": unit["code"]})
               if n["feature_class"] == "community"]
    out = rename_unit(store, unit["code"], "青城新韵社区", expected_version=unit["version"], decision=DECISION,
                      actor="t-admin")
    assert out["change_type"] == "rename" and out["units_after"] == [unit["code"]]
    renamed = _unit(store, unit["code"])
    assert renamed["name"] == "青城新韵社区" and renamed["status"] == "active"
    assert renamed["geometry"].equals(unit["geometry"])
    place = store.get("place_names", name["id"])
    assert place["standard_name"] == "青城新韵社区" and place["romanization"].startswith("Qingcheng")
    assert place["approval_doc_no"] == "新政发〔2026〕12号"
    former = store.select("former_names", where={"place_name_id": name["id"]})
    assert [f["name"] for f in former] == [unit["name"]] and str(former[0]["valid_to"]) == "2026-12-01"
    (hit,) = [h for h in search_units(store, unit["name"]) if h["code"] == unit["code"]]
    assert hit["name"] == "青城新韵社区" and unit["name"] in hit["formerly"][0]
    history = unit_history(store, unit["code"])
    assert [(r["old_name"], r["new_name"]) for r in history["earlier"]] == [(unit["name"], "青城新韵社区")]


def test_recode_a_village_as_a_community(writable_sample_store):
    """村改居: a village becomes a community under the same 镇; the code moves to the 001–199 range."""
    store = writable_sample_store
    village = store.select("admin_units", where={"level": "village"})[0]
    plates = store.count("door_plates", where={"community_code": village["code"]})
    new_name = village["name"].removesuffix("村") + "社区"
    out = recode_unit(store, village["code"], expected_version=village["version"], decision=DECISION,
                      actor="t-admin", level="community", new_name=new_name)
    (code,) = out["units_after"]
    assert code[:9] == village["code"][:9] and 1 <= int(code[9:]) <= 199
    new = _unit(store, code)
    assert (new["level"], new["name"], new["households"]) == ("community", new_name, village["households"])
    assert _unit(store, village["code"])["status"] == "retired"
    assert store.count("door_plates", where={"community_code": code}) == plates
    names = [n for n in store.select("place_names", where={"admin_code": code})]
    assert [n["standard_name"] for n in names if n["feature_class"] == "community"] == [new_name]
    assert not store.count("place_names", where={"admin_code": village["code"], "status": "in_force"})


# -- the attacker ---------------------------------------------------------------------------------------


def _nothing_changed(store, unit: dict) -> None:
    assert not store.count("division_changes")
    assert _unit(store, unit["code"])["version"] == unit["version"]
    assert _unit(store, unit["code"])["status"] == "active"


def test_codes_out_of_range_under_another_parent_or_reused_are_refused(writable_sample_store):
    store = writable_sample_store
    old = _busy_community(store)
    west, east = _halves(old["geometry"])
    prefix = old["code"][:9]

    def split(code_a=None, code_b=None):
        return split_unit(store, old["code"], [{"name": "甲社区", "geometry": west, "code": code_a},
                                               {"name": "乙社区", "geometry": east, "code": code_b}],
                          expected_version=old["version"], decision=DECISION, actor="t-admin")

    for bad, words in ((prefix + "250", "001–199"), ("150102002150", "前 9 位"), ("150103001150", "PN-13"),
                       ("1501020011", "12位"), (old["code"], "已撤销|现有区划|已被使用")):
        with pytest.raises((InputError, Conflict), match=words):
            split(bad)
        _nothing_changed(store, old)
    with pytest.raises(InputError, match="重复"):
        split(prefix + "150", prefix + "150")
    out = split(prefix + "150")          # a free code in range is accepted as given
    # The other part takes the first serial not used under the 街道, not one after the explicit 150 (N11).
    auto = out["units_after"][1]
    used = {int(u["code"][9:]) for u in store.select("admin_units") if u["code"].startswith(prefix)} - {int(auto[9:])}
    assert out["units_after"][0] == prefix + "150" and int(auto[9:]) == min(set(range(1, 200)) - used)
    # The retired code is never offered or accepted again, nor a code whose row was deleted behind
    # the service's back (the counter remembers the automatic one).
    with store.writing() as conn:
        conn.execute(schema.admin_units.delete().where(schema.admin_units.c.code == auto))
        nxt = K.next_free_code(conn, parent_code=old["parent_code"], level="community")
    assert nxt > auto and int(nxt[9:]) < 150
    a = _unit(store, prefix + "150")
    with pytest.raises(Conflict, match="已被使用"):
        recode_unit(store, a["code"], expected_version=a["version"], decision=DECISION, actor="t-admin",
                    new_code=old["code"])


def test_split_parts_with_gaps_or_overlaps_are_refused_naming_the_area(writable_sample_store):
    store = writable_sample_store
    old = _busy_community(store)
    west, east = _halves(old["geometry"])
    grown = C.from_metric(C.to_metric(east).buffer(30))     # overlaps the west half by a 30 m strip
    shrunk = C.from_metric(C.to_metric(east).buffer(-30))   # leaves a 30 m gap around the east half
    for parts, words in (([west, grown], r"重叠 [\d,.]+ m²"), ([west, shrunk], r"缺口 [\d,.]+ m²")):
        with pytest.raises(InputError, match=words) as err:
            split_unit(store, old["code"], [{"name": "甲社区", "geometry": parts[0]},
                                            {"name": "乙社区", "geometry": parts[1]}],
                       expected_version=old["version"], decision=DECISION, actor="t-admin")
        assert err.value.field == "parts"
        _nothing_changed(store, old)


def test_split_parts_named_alike_are_refused_as_such(writable_sample_store):
    store = writable_sample_store
    old = _busy_community(store)
    west, east = _halves(old["geometry"])
    with pytest.raises(InputError) as err:  # not PN-07 pointing at a record rolled back (fourth review, finding 8)
        split_unit(store, old["code"], [{"name": "嘉园东社区", "geometry": west},
                                        {"name": "嘉园东社区", "geometry": east}],
                   expected_version=old["version"], decision=DECISION, actor="t-admin")
    assert err.value.field == "parts[1].name" and "第 1 部分与第 2 部分名称相同" in err.value.message
    _nothing_changed(store, old)


def test_another_districts_unit_stale_versions_and_hostile_names(writable_sample_store):
    store = writable_sample_store
    neighbour = _unit(store, "150103000000")
    with pytest.raises(InputError, match="不属于本区"):
        rename_unit(store, neighbour["code"], "某某街道", expected_version=neighbour["version"],
                    decision=DECISION, actor="t-admin")
    unit = _unit(store, "150102001003")
    with pytest.raises(StaleVersion):
        rename_unit(store, unit["code"], "新名社区", expected_version=unit["version"] + 1, decision=DECISION,
                    actor="t-admin")
    assert store.audit_rows("admin_units")[-1]["action"] == "refused_stale_version"
    hostile = ("<script>alert(1)</script>社区", "x" * 10_000, "新\x00名社区", "社区", "新名村", "")
    for name in hostile:
        with pytest.raises(InputError):
            rename_unit(store, unit["code"], name, expected_version=unit["version"], decision=DECISION,
                        actor="t-admin")
    for bad in ({**DECISION, "decision_doc_no": ""}, {**DECISION, "decision_date": "2999-01-01"},
                {**DECISION, "effective_on": "2026-01-01"}, {**DECISION, "decision_body": "机关\x07"}):
        with pytest.raises(InputError):
            rename_unit(store, unit["code"], "新名社区", expected_version=unit["version"], decision=bad,
                        actor="t-admin")
    _nothing_changed(store, unit)
    with pytest.raises(NotFound):
        rename_unit(store, "150102001999", "新名社区", expected_version=1, decision=DECISION, actor="t-admin")
    # A 街道 is re-coded with its communities (tests/test_township_recode.py), but never as a community, nor into a
    # 镇's serials while it stays a 街道; nothing changes.
    sub = _unit(store, "150102001000")
    with pytest.raises(InputError, match="须为 街道"):
        recode_unit(store, sub["code"], expected_version=sub["version"], decision=DECISION, actor="t-admin",
                    level="community")
    with pytest.raises(InputError, match="001–099") as err:
        recode_unit(store, sub["code"], expected_version=sub["version"], decision=DECISION, actor="t-admin",
                    new_code="150102150000")
    assert err.value.field == "new_code"  # the request's field (review: it said code)
    assert not store.count("division_changes") and _unit(store, sub["code"])["version"] == sub["version"]


# -- over HTTP and on the command line -------------------------------------------------------------------


def _token(base: str, role: str) -> dict[str, str]:
    import httpx

    from tests.conftest import USERS

    name, password = USERS[role]
    r = httpx.post(f"{base}/api/auth/login", json={"username": name, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_api_split_roles_stale_search_and_generic_patch(writable_server, writable_sample_store):
    import httpx

    base, store = writable_server, writable_sample_store
    admin, officer = _token(base, "admin"), _token(base, "placename_officer")
    old = _busy_community(store)
    west, east = _halves(old["geometry"])
    body = {**DECISION, "code": old["code"], "version": old["version"],
            "parts": [{"name": "锡林西社区", "geometry": shapely.geometry.mapping(west)},
                      {"name": "锡林东社区", "geometry": shapely.geometry.mapping(east)}]}
    body = json.loads(json.dumps(body))
    r = httpx.post(f"{base}/api/divisions/split", json=body, headers=officer, timeout=60)
    assert r.status_code == 403, r.text
    assert httpx.post(f"{base}/api/divisions/split", json=body, timeout=60).status_code == 401
    code_next = httpx.get(f"{base}/api/divisions/next-code", headers=admin,
                          params={"parent_code": old["parent_code"], "level": "community"}).json()["code"]
    r = httpx.post(f"{base}/api/divisions/split", json=body, headers=admin, timeout=120)
    assert r.status_code == 201, r.text
    change = r.json()
    assert change["units_after"][0] == code_next and "made_by" not in json.dumps(
        httpx.get(f"{base}/api/divisions/changes").json())
    r = httpx.post(f"{base}/api/divisions/split", json=body, headers=admin, timeout=60)
    assert r.status_code == 409 and r.json()["field"] == "code", r.text     # retired now: not active
    assert "状态" in r.json()["message"]
    unit = _unit(store, "150102001004")
    r = httpx.post(f"{base}/api/divisions/rename", headers=admin, json={
        **DECISION, "code": unit["code"], "version": unit["version"] + 5, "new_name": "新名社区"})
    assert r.status_code == 409 and r.json()["field"] == "version", r.text
    # Public reads: search by the former name, one change, the code chain.
    r = httpx.get(f"{base}/api/divisions/units/search", params={"q": old["name"]})
    assert r.status_code == 200
    hits = {h["code"]: h for h in r.json()["units"]}
    assert set(change["units_after"]) <= set(hits) and "新政发〔2026〕12号" in hits[code_next]["formerly"][0]
    r = httpx.get(f"{base}/api/divisions/changes/{change['id']}")
    assert r.status_code == 200 and len(r.json()["codes"]) == 2
    r = httpx.get(f"{base}/api/divisions/units/{old['code']}/history")
    assert sorted(x["new_code"] for x in r.json()["later"]) == sorted(change["units_after"])
    assert httpx.get(f"{base}/api/divisions/units/abc/history").status_code in (400, 422)
    assert httpx.get(f"{base}/api/divisions/units/search", params={"q": "x" * 500}).status_code in (400, 422)
    # The generic layer endpoint cannot change a unit's code, status or parent.
    current = _unit(store, "150102001004")
    for props in ({"code": "150102001150"}, {"status": "retired"}, {"parent_code": "150102002000"}):
        r = httpx.patch(f"{base}/api/layers/admin_units/features/{current['id']}", headers=admin,
                        json={"version": current["version"], "properties": props})
        assert r.status_code == 422 and r.json()["field"] == next(iter(props)), r.text
        assert "/api/divisions/" in r.json()["message"]
    assert _unit(store, "150102001004")["version"] == current["version"]


def test_cli_split_merge_rename_history_search(cli_sample, tmp_path):
    from geo.store import Store
    from tests.xincheng_cli import run

    db = cli_sample.copy(tmp_path)
    store = Store.open(f"sqlite:///{db}")
    try:
        old = _busy_community(store)
        west, east = _halves(old["geometry"])
        a, b = _adjoining_villages(store)
    finally:
        store.close()
    parts = tmp_path / "parts.geojson"
    parts.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "锡林西社区"}, "geometry": shapely.geometry.mapping(west)},
        {"type": "Feature", "properties": {"name": "锡林东社区"}, "geometry": shapely.geometry.mapping(east)}]},
        ensure_ascii=False), encoding="utf-8")
    decision = ["--decision-body", DECISION["decision_body"], "--doc-no", DECISION["decision_doc_no"],
                "--decision-date", DECISION["decision_date"]]
    r = run("divisions", "split", old["code"], "--version", str(old["version"]), "--parts", str(parts), *decision,
            db=db)
    assert r.returncode == 0, r.stderr
    assert "锡林西社区" in r.stdout and "门牌改属" in r.stdout
    r = run("divisions", "merge", a["code"], b["code"], "--version", f"{a['code']}={a['version']}",
            "--version", f"{b['code']}=x", "--name", "团结村", *decision, db=db)
    assert r.returncode == 2 and "代码=版本" in r.stderr and "Traceback" not in r.stderr
    r = run("divisions", "merge", a["code"], b["code"], "--version", f"{a['code']}={a['version']}",
            "--version", f"{b['code']}={b['version']}", "--name", "团结村", *decision, db=db)
    assert r.returncode == 0, r.stderr
    r = run("divisions", "rename", "150102001002", "<b>x</b>社区", "--version", "1", *decision, db=db)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    r = run("divisions", "rename", "150102001002", "新名社区", "--version", "99", *decision, db=db)
    assert r.returncode == 1 and "版本" in r.stderr
    r = run("divisions", "split", old["code"], "--version", "1", "--parts", str(parts), *decision[:4], db=db)
    assert r.returncode == 2 and "--decision-date" in r.stderr
    r = run("divisions", "history", old["code"], db=db)
    assert r.returncode == 0 and "retired" in r.stdout and "锡林东社区" in r.stdout
    r = run("divisions", "search", a["name"], db=db)
    assert r.returncode == 0 and "团结村" in r.stdout and "新政发〔2026〕12号" in r.stdout
    r = run("divisions", "changes", db=db)
    assert r.returncode == 0 and r.stdout.count("新政发〔2026〕12号") == 2
    r = run("divisions", "--help", db=db)
    assert r.returncode == 0 and "区划调整" in r.stdout


def test_split_rewrites_the_standard_addresses_below_the_plates(writable_sample_store):
    """The addresses below a moved plate name its new community (geo.addresses.refresh, same transaction)."""
    store = writable_sample_store
    a, p = schema.addresses, schema.door_plates
    with store.reading() as conn:
        row = conn.execute(sa.select(p.c.community_code, sa.func.count()).select_from(
            a.join(p, p.c.plate_uid == a.c.plate_uid)).where(p.c.status == "active", p.c.community_code.like(
                "150102001%")).group_by(p.c.community_code).order_by(sa.func.count().desc()).limit(1)).first()
    if row is None:
        pytest.skip("the sample has no standard addresses in 街道 001")
    old = _unit(store, row[0])
    west, east = _halves(old["geometry"])
    out = split_unit(store, old["code"], [{"name": "锡林西社区", "geometry": west},
                                          {"name": "锡林东社区", "geometry": east}],
                     expected_version=old["version"], decision=DECISION, actor="t-admin")
    assert out["addresses_refreshed"] > 0
    with store.reading() as conn:
        rows = conn.execute(sa.select(a.c.standard_address, p.c.community_code).select_from(
            a.join(p, p.c.plate_uid == a.c.plate_uid)).where(p.c.community_code.in_(out["units_after"]))).all()
    assert rows
    names = dict(zip(out["units_after"], ("锡林西社区", "锡林东社区"), strict=True))
    for address, code in rows:
        assert names[code] in address and old["name"] not in address


def test_create_a_community_by_hand(store):
    """A 3 km × 3 km 街道 with one community in its west third; a new community in the east third takes
    code 002 (001 is held), the two plates inside it (3 + 5 households) and refuses to overlap 001."""
    x0, y0 = 560_000.0, 4_530_000.0

    def rect(x1, y1, x2, y2):
        return C.from_metric(shapely.box(x0 + x1, y0 + y1, x0 + x2, y0 + y2))

    store.insert("admin_units", [
        {"code": "150102000000", "name": "新城区", "level": "district", "geometry": rect(-5000, -5000, 8000, 8000)},
        {"code": "150102001000", "name": "西街街道", "level": "subdistrict", "parent_code": "150102000000",
         "geometry": rect(0, 0, 3000, 3000)},
        {"code": "150102001001", "name": "西一社区", "level": "community", "parent_code": "150102001000",
         "geometry": rect(0, 0, 1000, 3000), "households": 0}], actor="test")
    store.insert("door_plates", [
        {"plate_uid": f"HAND{i:04d}", "street_name": "测试路", "number": i, "households": hh,
         "community_code": "150102001000", "geometry": C.from_metric(shapely.Point(x0 + x, y0 + 500))}
        for i, (x, hh) in enumerate(((2500, 3), (2600, 5), (1500, 7)), start=1)], actor="test")
    from geo.divisions.changes import create_unit

    with pytest.raises(Conflict, match=r"150102001001 重叠 [\d,]+ m²"):
        create_unit(store, parent_code="150102001000", level="community", name="东一社区",
                    geometry=rect(900, 0, 3000, 3000), decision=DECISION, actor="t-admin")
    with pytest.raises(InputError, match="超出上级"):
        create_unit(store, parent_code="150102001000", level="community", name="东一社区",
                    geometry=rect(2000, 0, 3500, 3000), decision=DECISION, actor="t-admin")
    with pytest.raises(InputError, match="上级"):   # a village cannot sit under a community
        create_unit(store, parent_code="150102001001", level="village", name="东一村",
                    geometry=rect(2000, 0, 3000, 3000), decision=DECISION, actor="t-admin")
    out = create_unit(store, parent_code="150102001000", level="community", name="东一社区",
                      geometry=rect(2000, 0, 3000, 3000), decision=DECISION, actor="t-admin")
    assert out["units_after"] == ["150102001002"] and out["plates_moved"] == 2
    unit = _unit(store, "150102001002")
    assert unit["households"] == 8 and str(unit["valid_from"]) == "2026-12-01"
    assert {p["plate_uid"] for p in store.select("door_plates", where={"community_code": "150102001002"})} == {
        "HAND0001", "HAND0002"}
    (name,) = store.select("place_names", where={"admin_code": "150102001002"})
    assert (name["standard_name"], name["status"], name["feature_class"]) == ("东一社区", "in_force", "community")
    (counter,) = store.select("code_counters", where={"scheme": "unit"})
    assert (counter["prefix"], counter["last_serial"]) == ("150102001:community", 2)
    (history,) = store.select("unit_code_history")
    assert (history["old_code"], history["new_code"], history["change_id"]) == (None, "150102001002", out["id"])


def test_a_protected_community_name_needs_the_lifting_decision(writable_sample_store):
    """PN-09: the unit's place name is on the protection list; the rename refuses until a decision lifts it
    (no free-text override: the lifting is its own decision on the list)."""
    from geo.placenames.lifecycle import set_protection

    store = writable_sample_store
    unit = _unit(store, "150102001003")
    (name,) = [n for n in store.select("place_names", where={"admin_code": unit["code"]})
               if n["feature_class"] == "community"]
    listed = set_protection(store, name["id"], True, expected_version=name["version"], actor="t-officer",
                            document_ref="新政发〔2020〕3号", reason="百年老地名", decision_body="新城区人民政府")
    with pytest.raises(Conflict, match="PN-09"):
        rename_unit(store, unit["code"], "新名社区", expected_version=unit["version"], decision=DECISION,
                    actor="t-admin")
    _nothing_changed(store, unit)
    set_protection(store, name["id"], False, expected_version=listed["version"], actor="t-officer",
                   document_ref="新政发〔2026〕11号", reason="社区调整，解除保护")
    rename_unit(store, unit["code"], "新名社区", expected_version=unit["version"], decision=DECISION, actor="t-admin")
    assert store.get("place_names", name["id"])["standard_name"] == "新名社区"


def test_two_new_communities_at_once_under_a_new_prefix_take_distinct_codes(store):
    """Two admins create the first communities of a 街道 at the same moment (no counter row yet): each
    gets its own code (001 and 002), never the same; two creating the same land at once: one wins, the
    other is told it overlaps, and only one unit is stored."""
    from geo.divisions.changes import create_unit
    from tests.concurrently import at_once

    x0, y0 = 560_000.0, 4_530_000.0

    def rect(x1, y1, x2, y2):
        return C.from_metric(shapely.box(x0 + x1, y0 + y1, x0 + x2, y0 + y2))

    store.insert("admin_units", [
        {"code": "150102000000", "name": "新城区", "level": "district", "geometry": rect(-5000, -5000, 8000, 8000)},
        {"code": "150102001000", "name": "西街街道", "level": "subdistrict", "parent_code": "150102000000",
         "geometry": rect(0, 0, 3000, 3000)}], actor="test")
    lands = iter([rect(0, 0, 1500, 3000), rect(1500, 0, 3000, 1500)])
    names = iter(["西一社区", "西二社区"])
    guard = __import__("threading").Lock()

    def create_next():
        with guard:
            land, name = next(lands), next(names)
        return create_unit(store, parent_code="150102001000", level="community", name=name, geometry=land,
                           decision=DECISION, actor="t-admin")

    outcomes = at_once(create_next)
    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    assert sorted(o["units_after"][0] for o in outcomes) == ["150102001001", "150102001002"]
    (counter,) = store.select("code_counters", where={"scheme": "unit"})
    assert counter["last_serial"] == 2

    same = rect(1500, 1500, 3000, 3000)
    clash = at_once(lambda: create_unit(store, parent_code="150102001000", level="community", name="东一社区",
                                        geometry=same, decision=DECISION, actor="t-admin"))
    refused = [o for o in clash if isinstance(o, BaseException)]
    assert len(refused) == 1 and isinstance(refused[0], Conflict), clash
    assert "重叠" in refused[0].message or "已" in refused[0].message, refused[0].message
    assert len(store.select("admin_units", where={"level": "community"})) == 3


def test_a_code_whose_unit_was_deleted_is_still_known_as_used_from_the_audit_trail(store):
    """PN-13: codes are never used twice. A unit's row deleted behind the service's back leaves its code in the audit
    trail alone; the audit JSON is now written without json.dumps's spaces and the check matched only the spaced
    text, so the code was accepted and handed out again (review of #15). Both spellings count."""
    from datetime import UTC, datetime

    from geo.messages import text

    said = text("divisions.used_audit").split(" · ")[0]
    given, older = "150102200000", "150102201000"
    with store.writing() as conn:
        (uid,) = store.insert("admin_units", [{
            "code": given, "name": "测试街道", "level": "township", "parent_code": "150102000000",
            "geometry": shapely.box(111.60, 40.80, 111.61, 40.81)}], actor="t", conn=conn)
        conn.execute(schema.audit_log.insert().values(  # a row as json.dumps wrote them before
            adcode="150102", table_name="admin_units", record_id=uid + 1000, action="create", actor="t",
            at=datetime.now(UTC), before=None, after=json.dumps({"code": older, "name": "旧街道"}, ensure_ascii=False)))
    with store.writing() as conn:
        conn.execute(schema.admin_units.delete().where(schema.admin_units.c.id == uid))
    for code in (given, older):
        with store.writing() as conn, pytest.raises(Conflict, match=said):
            K.take_code(store, conn, parent_code="150102000000", level="township", given=code, district="150102",
                        actor="t")
    with store.reading() as conn:
        offered = K.next_free_code(conn, parent_code="150102000000", level="township")
    assert offered not in (given, older) and offered > older
