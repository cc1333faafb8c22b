"""Counties and banners have 乡 and 苏木 (GB/T 10114's township serials 200–399) with 村 and 嘎查 under them:
武川县 and 清水河县 beside 新城区 are such districts. Adding one (DEPLOYMENT.md "Adding a district") refused every
乡 as "a level the district's own units do not take", and a decision could not set up a 苏木."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from geo import crs as C
from geo.divisions import codes as K
from geo.errors import InputError
from geo.io.importer import import_file
from geo.store import Store

DECISION = {"decision_body": "呼和浩特市新城区人民政府", "decision_doc_no": "新政发〔2026〕13号",
            "decision_date": "2026-11-20", "effective_on": "2026-12-01"}
X0, Y0 = 560_000.0, 4_530_000.0


def _rect(x1: float, y1: float, x2: float, y2: float) -> shapely.Geometry:
    return C.from_metric(shapely.box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2))


def test_township_codes_take_the_serials_200_to_399() -> None:
    K.check_code("150102201000", level="township", parent_code="150102000000", district="150102")
    K.check_code("150102201203", level="village", parent_code="150102201000", district="150102")
    for code in ("150102101000", "150102400000"):  # a 镇's serial; a 乡-like unit's (400–599) is not a 乡
        with pytest.raises(InputError, match="200"):
            K.check_code(code, level="township", parent_code="150102000000", district="150102")


def test_a_county_loads_its_townships_and_gacha_and_a_decision_sets_up_a_sumu(store: Store, tmp_path) -> None:
    units = gpd.GeoDataFrame(
        {"code": ["150102000000", "150102201000", "150102201201", "150102201202"],
         "name": ["新城区", "大青山乡", "哈拉沁村", "巴彦嘎查"],
         "level": ["district", "township", "village", "village"],
         "parent_code": [None, "150102000000", "150102201000", "150102201000"],
         "households": [0, 0, 30, 20]},
        geometry=[_rect(-5000, -5000, 9000, 9000), _rect(0, 0, 3000, 3000), _rect(0, 0, 1500, 3000),
                  _rect(1500, 0, 3000, 3000)], crs="EPSG:4490")
    path = tmp_path / "units.gpkg"
    units.to_file(path, driver="GPKG")
    report = import_file(store, "admin_units", path, crs="EPSG:4490", actor="officer")
    assert report.imported == 4
    stored = {u["code"]: u for u in store.select("admin_units")}
    assert stored["150102201000"]["level"] == "township" and stored["150102201202"]["status"] == "active"

    from geo.divisions.changes import create_unit

    with pytest.raises(InputError, match="苏木"):  # a township's name ends in 乡 or 苏木, as the level says
        create_unit(store, parent_code="150102000000", level="township", name="巴音镇",
                    geometry=_rect(4000, 0, 7000, 3000), decision=DECISION, actor="t-admin")
    out = create_unit(store, parent_code="150102000000", level="township", name="巴音苏木",
                      geometry=_rect(4000, 0, 7000, 3000), decision=DECISION, actor="t-admin")
    (sumu,) = [u for u in store.select("admin_units") if u["name"] == "巴音苏木"]
    assert sumu["code"].startswith("150102") and 200 <= int(sumu["code"][6:9]) <= 399, sumu["code"]
    assert out["units_after"] == [sumu["code"]]
    gacha = create_unit(store, parent_code=sumu["code"], level="village", name="乌兰嘎查",
                        geometry=_rect(4000, 0, 5500, 3000), decision=DECISION, actor="t-admin")
    (village,) = [u for u in store.select("admin_units") if u["name"] == "乌兰嘎查"]
    assert village["code"][:9] == sumu["code"][:9] and gacha["units_after"] == [village["code"]]
    names = {n["standard_name"]: n for n in store.select("place_names")}
    assert names["巴音苏木"]["feature_class"] == "admin_unit" and names["巴音苏木"]["status"] == "in_force"


def test_a_township_counts_among_the_township_level_in_the_plans_figures() -> None:
    """The plan's 乡镇（街道） figures: a 乡's villages add up to it as a 镇's do, and to the district."""
    import pandas as pd

    from geo.planning.floor_area import floor_area_by_unit, get_norm

    units = pd.DataFrame({
        "code": ["150102000000", "150102201000", "150102201201", "150102101000", "150102101201"],
        "level": ["district", "township", "village", "town", "village"],
        "parent_code": [None, "150102000000", "150102201000", "150102000000", "150102101000"],
        "households": [300, 100, 100, 200, 200], "name": ["区", "乡", "村甲", "镇", "村乙"],
        "settlement_type": [None, None, "ordinary_village", None, "ordinary_village"]})
    facilities = pd.DataFrame({"kind": ["community_service_centre"] * 2, "community_code": ["150102201201",
                                                                                        "150102101201"],
                               "floor_area_m2": [40.0, 60.0]})
    table = floor_area_by_unit(facilities, units, get_norm("community_service")).set_index("code")
    assert table.at["150102201000", "floor_area_m2"] == 40.0 and table.at["150102101000", "floor_area_m2"] == 60.0
    assert table.at["150102000000", "floor_area_m2"] == 100.0


def test_a_first_load_keeps_the_name_endings_decisions_keep() -> None:
    """A 镇 named …苏木 and a 乡 named …镇 were loaded and restored though no decision gives them (review)."""
    from geo.divisions.first_load import check_first_units

    outline = {"code": "150125000000", "name": "武川县", "level": "district"}
    box = shapely.box(111.4, 41.0, 111.5, 41.1)
    for level, code, name, words in (("township", "150125201000", "上秃亥镇", "苏木"),
                                     ("town", "150125101000", "可可以力更苏木", "镇"),
                                     ("township", "150125202000", "苏木", "专名")):
        records = [{**outline, "geometry": box},
                   {"code": code, "name": name, "level": level, "parent_code": "150125000000", "geometry": box}]
        with pytest.raises(InputError) as err:
            check_first_units(records, adcode="150125", rows=[2, 3], alone=True)
        assert "第 3 行" in err.value.message and words in err.value.message and "PN-02" in err.value.message


def test_a_county_without_subdistricts_is_told_its_urban_scope_is_not_set() -> None:
    """The 15-minute circle's headline is the urban scope, every 街道 by default: a county has none, and its
    note read "城市范围（0 个乡镇(街道)：）为考核口径：—". It now says the scope is unset and where to set it."""
    import pandas as pd

    from geo.planning.indicators import circle_indicator
    from geo.planning.norms_settings import PlanningNorms

    units = pd.DataFrame({"code": ["150125000000", "150125100000", "150125201000"],
                          "level": ["district", "town", "township"], "name": ["武川县", "可可以力更镇", "大豆铺乡"]})
    coverage = units.assign(households=[300.0, 200.0, 100.0], covered_households=[150.0, 140.0, 10.0],
                            residents_60plus=[90.0, 60.0, 30.0], covered_60plus=[40.0, 35.0, 5.0],
                            household_share=[0.5, 0.7, 0.1], share_60plus=[40 / 90, 35 / 60, 5 / 30])
    unset = circle_indicator(coverage, units, norms=PlanningNorms(), walk_text="")
    assert unset.current is None and unset.met is None and unset.detail["urban_scope_codes"] == []
    assert "城市范围未设定" in unset.note and "urban_unit_codes" in unset.note and "50.0%" in unset.note
    assert "0 个乡镇" not in unset.note
    seat = circle_indicator(coverage, units, norms=PlanningNorms(urban_unit_codes=("150125100000",)), walk_text="")
    assert seat.current == pytest.approx(70.0) and "可可以力更镇" in seat.note


def test_a_countys_villages_without_plates_keep_their_households_through_a_merge_and_a_split(store: Store,
                                                                                             tmp_path) -> None:
    """A county first loads its villages with their household counts and no door plates yet; households were
    re-summed from the plates on a merge or split, so the merged village had 0 households (and the plan's figures
    per hundred households went blank). Without plates, a village's own count is shared out by area."""
    from geo.divisions.changes import merge_units, split_unit

    units = gpd.GeoDataFrame(
        {"code": ["150102000000", "150102201000", "150102201201", "150102201202", "150102201203"],
         "name": ["新城区", "大青山乡", "哈拉沁村", "巴彦嘎查", "乌素图村"],
         "level": ["district", "township", "village", "village", "village"],
         "parent_code": [None, "150102000000", "150102201000", "150102201000", "150102201000"],
         "households": [0, 0, 30, 21, 40], "residents": [0, 0, 90, 60, 100]},
        geometry=[_rect(-5000, -5000, 9000, 9000), _rect(0, 0, 4500, 3000), _rect(0, 0, 1500, 3000),
                  _rect(1500, 0, 3000, 3000), _rect(3000, 0, 4500, 3000)], crs="EPSG:4490")
    path = tmp_path / "units.gpkg"
    units.to_file(path, driver="GPKG")
    import_file(store, "admin_units", path, crs="EPSG:4490", actor="officer")
    stored = {u["code"]: u for u in store.select("admin_units")}
    merged = merge_units(store, ["150102201201", "150102201202"], name="哈拉沁巴彦村",
                         expected_versions={c: stored[c]["version"] for c in ("150102201201", "150102201202")},
                         decision=DECISION, actor="t-admin")
    (code,) = merged["units_after"]
    (unit,) = store.select("admin_units", where={"code": code})
    assert (unit["households"], unit["residents"]) == (51, 150)
    west, east = _rect(3000, 0, 3750, 3000), _rect(3750, 0, 4500, 3000)
    split = split_unit(store, "150102201203", [{"name": "乌素图西村", "geometry": west},
                                               {"name": "乌素图东村", "geometry": east}],
                       expected_version=stored["150102201203"]["version"], decision=DECISION, actor="t-admin")
    halves = [store.select("admin_units", where={"code": c})[0] for c in split["units_after"]]
    assert [(u["households"], u["residents"]) for u in halves] == [(20, 50), (20, 50)]


def test_a_county_without_subdistricts_is_told_why_the_subdistrict_indicator_is_empty() -> None:
    """#12 counts 街道 with a comprehensive elder-care centre: a county showed a bare "—" (review)."""
    import pandas as pd

    from geo.planning.floor_area import floor_area_by_unit, get_norm
    from geo.planning.indicators import compute_indicators

    units = pd.DataFrame({"code": ["150125000000", "150125100000", "150125201000", "150125100201"],
                          "level": ["district", "town", "township", "village"],
                          "name": ["武川县", "可可以力更镇", "大豆铺乡", "东村"],
                          "parent_code": [None, "150125000000", "150125000000", "150125100000"],
                          "households": [300, 200, 100, 200], "residents_60plus": [90, 60, 30, 60],
                          "settlement_type": [None, None, None, "ordinary_village"]})
    facilities = pd.DataFrame({"kind": ["community_service_centre"], "community_code": ["150125100201"],
                               "floor_area_m2": [40.0], "name": ["东村服务站"], "nursing_beds": [0], "beds": [0]})
    coverage = units.assign(covered_households=[150.0, 140.0, 10.0, 140.0], covered_60plus=[40.0, 35.0, 5.0, 35.0],
                            household_share=[0.5, 0.7, 0.1, 0.7], share_60plus=[0.4, 0.5, 0.2, 0.5])
    floor = floor_area_by_unit(facilities, units, get_norm("community_service"))
    indicators = compute_indicators(units=units, facilities=facilities, coverage=coverage, walk_text="",
                                    community_floor=floor, graves_in_zones=pd.DataFrame(columns=["id"]))
    (twelve,) = [i for i in indicators if i.number == "12"]
    assert twelve.current is None and "该区县没有街道" in twelve.note and "has no 街道" in twelve.note


def test_a_partly_plated_village_split_keeps_its_unplated_households() -> None:
    """A county entering its plates: a village counted 1,262 households and holds one plate of 3; split in two
    halves it became 3 and 0 households, and half its land 0 people (second review)."""
    from geo.divisions.reparent import new_figures

    whole = _rect(0, 0, 2000, 1000)
    old = {"code": "150125201201", "geometry": whole, "households": 1262, "residents": 3177,
           "registered_residents": None, "residents_60plus": 500}
    west = {"code": "150125201202", "geometry": _rect(0, 0, 1000, 1000)}
    east = {"code": "150125201203", "geometry": _rect(1000, 0, 2000, 1000)}
    figures = new_figures([old], [west, east], {"150125201202": {"150125201201": 3}})
    assert figures["150125201202"]["households"] + figures["150125201203"]["households"] == 1262
    assert figures["150125201202"]["households"] == 3 + 630 and figures["150125201203"]["households"] == 629
    assert figures["150125201202"]["residents"] + figures["150125201203"]["residents"] == 3177
    assert figures["150125201203"]["residents"] > 1500
    assert figures["150125201202"]["registered_residents"] is None
    unknown = new_figures([{**old, "households": None}], [west, east], {})
    assert unknown["150125201202"]["households"] is None  # unknown stays unknown, not 0


def test_a_merge_beside_an_upsert_of_a_county_loaded_villages_first_never_deadlocks(store: Store, tmp_path) -> None:
    """A county's file listed its villages before its 乡, so the 乡's id is higher than theirs. A merge locked the
    乡 first, an upsert of the 乡 and a village locks in id order: each held what the other waited for, and the merge
    was answered 503 (third review). Every change now locks units in id order."""
    from geo.divisions.changes import merge_units
    from geo.io.importer import export_layer
    from tests.concurrently import behind_a_held_row, deadlocked

    if store.dialect != "postgresql":
        pytest.skip("row locks: SQLite runs one writer at a time")
    units = gpd.GeoDataFrame(
        {"code": ["150102201201", "150102201202", "150102201000", "150102000000"],
         "name": ["哈拉沁村", "巴彦嘎查", "大青山乡", "新城区"],
         "level": ["village", "village", "township", "district"],
         "parent_code": ["150102201000", "150102201000", "150102000000", None], "households": [30, 20, 50, 0]},
        geometry=[_rect(0, 0, 1500, 3000), _rect(1500, 0, 3000, 3000), _rect(0, 0, 3000, 3000),
                  _rect(-5000, -5000, 9000, 9000)], crs="EPSG:4490")
    path = tmp_path / "units.geojson"
    units.to_file(path, driver="GeoJSON")
    import_file(store, "admin_units", path, crs="EPSG:4490", actor="officer")
    stored = {u["code"]: u for u in store.select("admin_units")}
    assert stored["150102201000"]["id"] > stored["150102201202"]["id"]  # the 乡 after its villages
    export = tmp_path / "export.geojson"
    export_layer(store, "admin_units", export)
    edited = gpd.read_file(export)
    edited = edited[edited["code"].isin(["150102201000", "150102201202"])].copy()
    edited["households"] = edited["households"] + 1
    upsert = tmp_path / "upsert.geojson"
    edited.to_file(upsert, driver="GeoJSON")
    outcome = behind_a_held_row(store, table="admin_units", column="code", value="150102201202", actions=[
        ("upsert", lambda: import_file(store, "admin_units", upsert, crs="EPSG:4490", actor="officer", mode="upsert")),
        ("merge", lambda: merge_units(
            store, ["150102201201", "150102201202"], name="哈拉沁巴彦村", decision=DECISION, actor="t-admin",
            expected_versions={c: stored[c]["version"] for c in ("150102201201", "150102201202")}))])
    assert not deadlocked(outcome), outcome


def test_unknown_household_counts_stay_unknown_and_people_follow_the_land() -> None:
    """A split of a village whose count is unknown gave its plated half the people and the other half 0 households
    and 0 people; a merge of an unknown with a known count read as complete (third review)."""
    from geo.divisions.reparent import new_figures

    west_rect, east_rect = _rect(0, 0, 1000, 1000), _rect(1000, 0, 2000, 1000)
    old = {"code": "150125201201", "geometry": _rect(0, 0, 2000, 1000), "households": None, "residents": 25,
           "registered_residents": None, "residents_60plus": None}
    west, east = {"code": "W", "geometry": west_rect}, {"code": "E", "geometry": east_rect}
    split = new_figures([old], [west, east], {"W": {"150125201201": 3}})
    assert split["W"]["households"] is None and split["E"]["households"] is None
    assert split["W"]["residents"] + split["E"]["residents"] == 25 and split["E"]["residents"] >= 12
    known = {"code": "150125201202", "geometry": east_rect, "households": 100, "residents": 250,
             "registered_residents": None, "residents_60plus": None}
    merged = new_figures([{**old, "geometry": west_rect}, known], [{"code": "M", "geometry": _rect(0, 0, 2000, 1000)}],
                         {})
    assert merged["M"]["households"] is None and merged["M"]["residents"] == 275
