"""Village norms, 四同步, 专栏8-2 and social-work coverage, the urban 一刻钟 scope: hand cases and the sample.

Every expected figure is worked out by hand in the comment beside it.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

from geo.errors import InputError
from geo.planning.estates import four_sync, four_sync_summary
from geo.planning.floor_area import NORMS, floor_area_by_unit
from geo.planning.indicators import (
    circle_indicator,
    elder_care_point_indicator,
    rural_indicators,
    social_work_indicator,
)
from geo.planning.norms_settings import DEFAULT_NORMS_FILE, PlanningNorms, load_norms
from geo.planning.rural_norms import rural_summary, village_norms
from tests.conftest import USERS
from tests.xincheng_cli import invoke

COLUMNS = ["code", "name", "level", "parent_code", "households", "residents_60plus", "settlement_type"]


def _units(rows):
    return pd.DataFrame(rows, columns=COLUMNS)


def _centres(areas: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame({"kind": "community_service_centre", "community_code": list(areas),
                         "floor_area_m2": list(areas.values())})


HAND = _units([
    ("D", "区", "district", None, 2000, 400, None),
    ("S", "街道", "subdistrict", "D", 1000, 200, None),
    ("C", "甲社区", "community", "S", 1000, 200, "urban_community"),
    ("T", "镇", "town", "D", 1000, 200, None),
    ("V1", "城郊村", "village", "T", 400, 80, "suburban_village"),
    ("V2", "中心村", "village", "T", 400, 80, "central_village"),
    ("V3", "一般村", "village", "T", 200, 40, "ordinary_village"),
])


def test_a_280_m2_suburban_centre_fails_and_a_160_m2_central_centre_passes():
    facilities = _centres({"C": 300.0, "V1": 280.0, "V2": 160.0, "V3": 50.0})
    table = village_norms(HAND, facilities, PlanningNorms()).set_index("code")
    assert list(table.index) == ["V1", "V2", "V3"]                    # the urban community is not a village
    assert table.loc["V1", "meets_norm"] is False and table.loc["V1", "shortfall_m2"] == pytest.approx(20)  # 300-280
    assert table.loc["V2", "meets_norm"] is True and table.loc["V2", "shortfall_m2"] == 0                    # 160≥150
    assert table.loc["V3", "meets_norm"] is None and np.isnan(table.loc["V3", "norm_m2"])   # ordinary: no norm
    # The floor-area table judges villages by their own norm, not by 30 m²/100 households and 300 m²:
    # 160 m² for 400 households is 40 per 100 but under 300 m² — it would fail the urban norm.
    floor = floor_area_by_unit(facilities, HAND, NORMS["community_service"], rural=PlanningNorms()).set_index("code")
    assert floor.loc["V2", "meets_norm"] is True and floor.loc["V2", "norm_basis"] == "central_traditional"
    assert floor.loc["V1", "shortfall_m2"] == pytest.approx(20) and floor.loc["V1", "norm_basis"] == "town_fringe"
    assert floor.loc["V3", "meets_norm"] is None and floor.loc["V3", "norm_basis"] == "none"
    assert floor.loc["C", "meets_norm"] is True and floor.loc["C", "norm_basis"] == "urban"  # 30/100 hh, 300 m²
    without = floor_area_by_unit(facilities, HAND, NORMS["community_service"]).set_index("code")
    assert not without.loc["V2", "meets_norm"]                        # the old, urban reading


@pytest.mark.parametrize(("meeting", "met"), [(9, True), (8, False), (10, True)])
def test_ninety_percent_is_met_at_exactly_nine_of_ten(meeting, met):
    rows = [("D", "区", "district", None, 5000, 0, None), ("T", "镇", "town", "D", 5000, 0, None)]
    rows += [(f"V{i}", f"村{i}", "village", "T", 500, 0, "central_village") for i in range(10)]
    units = _units(rows)
    facilities = _centres({f"V{i}": 150.0 if i < meeting else 149.9 for i in range(10)})
    [group, fringe] = sorted(rural_summary(village_norms(units, facilities, PlanningNorms()), PlanningNorms()),
                             key=lambda g: g.norm.key)
    assert (group.total, group.meeting, group.share, group.met) == (10, meeting, meeting / 10, met)
    assert fringe.total == 0 and fringe.share is None and fringe.met is None  # no villages: no verdict
    [ind300, ind150] = rural_indicators(units, facilities, PlanningNorms())
    assert ind150.current == pytest.approx(10 * meeting) and ind150.met is met and ind150.target_2025 == 90
    assert ind300.current is None and ind300.met is None


def _coverage(rows):
    out = pd.DataFrame(rows, columns=["code", "name", "level", "households", "covered_households",
                                      "residents_60plus", "covered_60plus"])
    out["household_share"] = out["covered_households"] / out["households"]
    out["share_60plus"] = out["covered_60plus"] / out["residents_60plus"]
    return out


CIRCLE_UNITS = _units([
    ("D", "区", "district", None, 2000, 400, None),
    ("S1", "甲街道", "subdistrict", "D", 1000, 200, None),
    ("S2", "乙街道", "subdistrict", "D", 500, 100, None),
    ("T", "镇", "town", "D", 500, 100, None),
])
CIRCLE = _coverage([
    ("D", "区", "district", 2000, 1100, 400, 220),
    ("S1", "甲街道", "subdistrict", 1000, 800, 200, 160),
    ("S2", "乙街道", "subdistrict", 500, 300, 100, 60),
    ("T", "镇", "town", 500, 0, 100, 0),
])


def test_the_circle_headline_is_the_urban_scope_with_the_district_beside_it():
    ind = circle_indicator(CIRCLE, CIRCLE_UNITS, norms=PlanningNorms(), walk_text="900 m")
    assert ind.current == pytest.approx(100 * 1100 / 1500)           # (800 + 300) / (1000 + 500) = 73.3%
    assert ind.detail["district_share"] == pytest.approx(55.0)       # 1100 / 2000, the town's 0% mixed in
    assert ind.detail["urban_scope_codes"] == ["S1", "S2"]
    assert "73.3%" in ind.note and "55.0%" in ind.note and ind.note.index("城市范围") < ind.note.index("urban scope")
    one = circle_indicator(CIRCLE, CIRCLE_UNITS, norms=PlanningNorms(urban_unit_codes=("S1",)), walk_text="")
    assert one.current == pytest.approx(80.0)                         # 800 / 1000
    with pytest.raises(InputError, match="X9"):
        circle_indicator(CIRCLE, CIRCLE_UNITS, norms=PlanningNorms(urban_unit_codes=("X9",)), walk_text="")


def test_elder_care_points_count_stations_and_centres_not_institutions():
    facilities = pd.DataFrame({"kind": ["elder_care_station", "elder_care_institution",
                                        "comprehensive_elder_care_centre", "social_work_station"],
                               "community_code": ["C", "V1", "V2", "V3"]})
    ind = elder_care_point_indicator(HAND, facilities, PlanningNorms())
    # 4 committees (C, V1, V2, V3): C (station) and V2 (centre) count; V1 has only an institution: 2 / 4.
    assert ind.current == pytest.approx(50.0) and ind.met is False
    assert ind.detail["communities_with"] == 1 and ind.detail["villages_with"] == 1 and ind.detail["villages"] == 3
    inst = elder_care_point_indicator(HAND, facilities, PlanningNorms(
        elder_care_counted_kinds=("elder_care_station", "comprehensive_elder_care_centre", "elder_care_institution")))
    assert inst.current == pytest.approx(75.0)                        # configurable: now V1 counts too, 3 / 4


def test_social_work_coverage_is_per_town_and_sub_district():
    facilities = pd.DataFrame({"kind": ["social_work_station"], "community_code": ["C"]})
    ind = social_work_indicator(HAND, facilities, PlanningNorms())
    assert ind.current == pytest.approx(50.0)                         # S (via its community C) of S and T
    assert [u["value"] for u in ind.by_unit] == [True, False]


def test_four_sync_on_hand_dates():
    d = date
    estates = pd.DataFrame([
        {"name": "甲", "community_code": "C", "households": 640, "care_floor_area_m2": 140.0,
         "housing_planned_on": d(2021, 1, 1), "care_planned_on": d(2021, 1, 1),
         "housing_built_on": d(2022, 5, 30), "care_built_on": d(2022, 5, 1),
         "housing_inspected_on": d(2022, 8, 1), "care_inspected_on": d(2022, 8, 1),
         "housing_handed_over_on": d(2022, 10, 1), "care_handed_over_on": d(2022, 10, 1)},
        {"name": "乙", "community_code": "C", "households": 600, "care_floor_area_m2": 90.0,
         "housing_planned_on": d(2021, 1, 1), "care_planned_on": d(2021, 1, 1),
         "housing_built_on": d(2023, 8, 31), "care_built_on": d(2023, 12, 29),
         "housing_inspected_on": d(2023, 11, 1), "care_inspected_on": None,
         "housing_handed_over_on": None, "care_handed_over_on": d(2024, 1, 1)},
    ])
    table = four_sync(estates, care_per100_m2=20.0).set_index("name")
    assert table.loc["甲", "required_m2"] == pytest.approx(128.0)    # 20 × 640 / 100
    assert table.loc["甲", "area_ok"] is True and table.loc["甲", "all_in_sync"]
    assert table.loc["乙", "required_m2"] == pytest.approx(120.0)    # 20 × 600 / 100
    assert table.loc["乙", "area_shortfall_m2"] == pytest.approx(30.0) and table.loc["乙", "area_ok"] is False
    assert [table.loc["乙", s] for s in ("planned", "built", "inspected", "handed_over")] == [
        "in_sync", "late", "not_recorded", "not_recorded"]
    assert table.loc["乙", "late_days_built"] == 120                  # 31 Aug → 29 Dec 2023: 30+31+30+29
    summary = four_sync_summary(four_sync(estates))
    assert (summary.total, summary.all_in_sync, summary.area_ok) == (2, 1, 1)
    assert summary.by_stage["built"] == {"in_sync": 1, "late": 1, "not_recorded": 0}
    assert summary.note().startswith("1/2 个新建小区")


def test_the_settings_file_holds_the_plan_values_and_refuses_bad_ones(tmp_path: Path):
    assert load_norms() == PlanningNorms(source=str(DEFAULT_NORMS_FILE))
    bad = DEFAULT_NORMS_FILE.read_text(encoding="utf-8").replace("required_share = 0.90", "required_share = 90", 1)
    (tmp_path / "bad.toml").write_text(bad, encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_norms(tmp_path / "bad.toml")
    message = str(err.value)
    assert "rural.town_fringe.required_share" in message and message.index("须") < message.index("must")
    wrong = DEFAULT_NORMS_FILE.read_text(encoding="utf-8").replace('"central_village", ', '"big_village", ', 1)
    (tmp_path / "wrong.toml").write_text(wrong, encoding="utf-8")
    with pytest.raises(InputError, match="big_village"):
        load_norms(tmp_path / "wrong.toml")
    with pytest.raises(InputError, match="不存在"):
        load_norms(tmp_path / "none.toml")


def test_sample_registered_population_and_plan_baselines(sample):
    from geo.planning.as_of import inputs_as_of
    from geo.planning.coverage import WalkParams
    from geo.planning.run import PlanningInputs, run_planning

    units = sample["admin_units"]
    district = units[units["level"] == "district"].iloc[0]
    assert (district["registered_residents"], district["residents_60plus"]) == (439_575, 83_696)
    f = sample["facilities"].assign(id=lambda d: np.arange(1, len(d) + 1))
    f["opened_on"] = f["opened_on"].astype(object).where(f["opened_on"].notna(), None)
    f["closed_on"] = None
    inputs = PlanningInputs(units=units, streets=sample["streets"], plates=sample["door_plates"], facilities=f,
                            linear_features=sample["linear_features"], graves=sample["graves"], all_facilities=f)
    then = {i.number: i for i in run_planning(inputs_as_of(inputs, date(2020, 12, 31)), WalkParams()).indicators}
    assert then["12"].current == pytest.approx(37.5)                  # 3 of 8 sub-districts (data/README.md)
    assert then["村·300"].current == pytest.approx(100.0)             # 5 of 5 ≥ 300 m²
    assert then["村·150"].current == pytest.approx(80.0) and then["村·150"].met is False  # 4 of 5 < 90%


@pytest.fixture(scope="module")
def planner(live_server):
    name, password = USERS["planner"]
    r = httpx.post(f"{live_server}/api/auth/login", json={"username": name, "password": password})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_api_rural_norms_new_estates_and_indicators(live_server, planner):
    r = httpx.get(f"{live_server}/api/planning/rural-norms", headers=planner, timeout=60)
    assert r.status_code == 200, r.text
    groups = {g["key"]: g for g in r.json()["groups"]}
    assert (groups["town_fringe"]["meeting"], groups["town_fringe"]["villages"]) == (5, 5)
    assert (groups["central_traditional"]["meeting"], groups["central_traditional"]["met"]) == (4, False)
    r = httpx.get(f"{live_server}/api/planning/new-estates", headers=planner, timeout=60)
    assert r.status_code == 200, r.text
    summary = r.json()["summary"]
    assert (summary["total"], summary["all_in_sync"], summary["area_ok"]) == (8, 4, 7)
    assert httpx.get(f"{live_server}/api/planning/new-estates").status_code == 401
    r = httpx.get(f"{live_server}/api/planning/indicators", headers=planner, timeout=120)
    numbers = {i["number"]: i for i in r.json()["indicators"]}
    assert {"专栏8-2", "社工站", "村·300", "村·150", "一刻钟"} <= set(numbers)
    circle = numbers["一刻钟"]
    assert circle["detail"]["district_share"] < circle["current"]     # 保合少镇 pulls the district share down
    assert r.json()["new_estates"]["all_in_sync"] == 4
    page = httpx.get(f"{live_server}/api/planning/report", params={"k": 0}, headers=planner, timeout=120).text
    assert "村级社区服务中心标准" in page and "前不塔气村" in page and "北垣雅居" in page and "滞后 late" in page


def test_cli_estates_and_rural_norms(sample_store, tmp_path):
    env = {"XINCHENG_DATABASE_URL": sample_store.engine.url.render_as_string(hide_password=False)}
    r = invoke(["estates"], env_extra=env)
    assert r.returncode == 0, r.stderr
    assert "北垣雅居" in r.stdout and "滞后 late" in r.stdout and "4/8 个新建小区" in r.stdout
    r = invoke(["rural-norms", "--out", str(tmp_path / "v.csv")], env_extra=env)
    assert r.returncode == 0, r.stderr
    assert "前不塔气村" in r.stdout and (tmp_path / "v.csv").exists()
    (tmp_path / "bad.toml").write_text("[urban]\nper100_m2 = -1\n", encoding="utf-8")
    r = invoke(["rural-norms", "--norms", str(tmp_path / "bad.toml")], env_extra=env)
    assert r.returncode == 2 and "urban.per100_m2" in r.stderr and "Traceback" not in r.stderr


def test_estates_and_village_norms_read_back_from_both_stores(store):
    """Dates, settlement types and floor areas survive the store on SQLite and PostGIS alike."""
    import geopandas as gpd
    import shapely

    from geo.io.importer import load_layers
    from geo.planning.estates import load_new_estates
    from geo.planning.rural_norms import load_village_norms

    def frame(rows):
        geoms = [r.pop("geometry") for r in rows]
        return gpd.GeoDataFrame(rows, geometry=gpd.GeoSeries(geoms, crs="EPSG:4490"), crs="EPSG:4490")

    box = shapely.box(111.70, 40.80, 111.80, 40.90)
    units = frame([
        {"code": "150102000000", "name": "新城区", "level": "district", "geometry": box},
        {"code": "150102100000", "name": "保合少镇", "level": "town", "parent_code": "150102000000", "geometry": box},
        {"code": "150102100200", "name": "甲村", "level": "village", "parent_code": "150102100000",
         "settlement_type": "suburban_village", "households": 400, "registered_residents": 900, "geometry": box},
        {"code": "150102100201", "name": "乙村", "level": "village", "parent_code": "150102100000",
         "settlement_type": "central_village", "households": 300, "geometry": box}])
    facilities = frame([
        {"kind": "community_service_centre", "name": "甲村综合服务中心", "community_code": "150102100200",
         "floor_area_m2": 280.0, "status": "active", "geometry": shapely.Point(111.75, 40.85)},
        {"kind": "community_service_centre", "name": "乙村综合服务中心", "community_code": "150102100201",
         "floor_area_m2": 160.0, "status": "active", "geometry": shapely.Point(111.76, 40.85)}])
    estates = frame([{"name": "丙苑", "community_code": "150102100200", "households": 500, "care_floor_area_m2": 100.0,
                      "housing_planned_on": date(2021, 3, 1), "care_planned_on": date(2021, 3, 2),
                      "housing_built_on": date(2023, 1, 1), "care_built_on": date(2023, 1, 1),
                      "geometry": shapely.Point(111.75, 40.86)}])
    load_layers(store, {"admin_units": units, "facilities": facilities, "new_estates": estates}, actor="test")
    table = four_sync(load_new_estates(store)).iloc[0]
    assert (table["planned"], table["late_days_planned"], table["built"], table["inspected"]) == (
        "late", 1, "in_sync", "not_recorded")
    assert table["required_m2"] == pytest.approx(100.0) and table["area_ok"] is True   # 20 × 500 / 100 = 100
    villages, groups = load_village_norms(store, PlanningNorms())
    by_code = villages.set_index("code")
    assert by_code.loc["150102100200", "meets_norm"] is False                          # 280 < 300
    assert by_code.loc["150102100201", "meets_norm"] is True                           # 160 ≥ 150
    assert [(g.total, g.meeting) for g in groups] == [(1, 0), (1, 1)]


def test_indicators_cli_takes_a_norms_file_and_refuses_a_bad_one(sample_store, tmp_path):
    """`xincheng indicators --norms FILE` judges by the file's values; a wrong file is a usage error."""
    env = {"XINCHENG_DATABASE_URL": sample_store.engine.url.render_as_string(hide_password=False)}
    plan = invoke(["indicators", "--json"], env_extra=env)
    assert plan.returncode == 0, plan.stderr
    fringe = 'settlement_types = ["urban_village", "suburban_village"]\nmin_total_m2 = 300.0'
    strict = DEFAULT_NORMS_FILE.read_text(encoding="utf-8").replace(fringe, fringe.replace("300.0", "3000.0"))
    (tmp_path / "strict.toml").write_text(strict, encoding="utf-8")
    judged = invoke(["indicators", "--json", "--norms", str(tmp_path / "strict.toml")], env_extra=env)
    assert judged.returncode == 0, judged.stderr

    def fringe_rule(out: str) -> dict:
        return next(i for i in json.loads(out) if i["detail"].get("norm_key") == "town_fringe")

    before, after = fringe_rule(plan.stdout), fringe_rule(judged.stdout)
    assert before["detail"]["min_total_m2"] == 300.0 and after["detail"]["min_total_m2"] == 3000.0
    assert after["current"] < before["current"]  # no village centre has 3,000 m²: fewer meet it
    (tmp_path / "bad.toml").write_text("[urban]\nper100_m2 = -1\n", encoding="utf-8")
    r = invoke(["indicators", "--norms", str(tmp_path / "bad.toml")], env_extra=env)
    assert r.returncode == 2 and "urban.per100_m2" in r.stderr and "Traceback" not in r.stderr


def test_norms_are_read_once_per_version_of_the_file(tmp_path):
    file = tmp_path / "norms.toml"
    file.write_text(DEFAULT_NORMS_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    first = load_norms(file)
    assert load_norms(file) is first  # the same parsed settings while the file is unchanged
    file.write_text(DEFAULT_NORMS_FILE.read_text(encoding="utf-8").replace("per100_m2 = 30.0", "per100_m2 = 35.0"),
                    encoding="utf-8")
    again = load_norms(file)
    assert again is not first and again.urban_per100_m2 == 35.0 and first.urban_per100_m2 == 30.0


def test_the_floor_area_answer_states_the_norm_the_run_used(sample):
    """GET /floor-area's norm block comes from the run's settings, not from constants in the code."""
    from dataclasses import replace as replaced

    from geo.planning.floor_area import norms_from_settings
    from geo.planning.run import PlanningInputs, run_planning, walk_params

    norms = replaced(load_norms(), urban_per100_m2=45.0)
    inputs = PlanningInputs(units=sample["admin_units"], streets=sample["streets"], plates=sample["door_plates"],
                            facilities=sample["facilities"].assign(id=lambda d: range(1, len(d) + 1)),
                            linear_features=sample["linear_features"], graves=sample["graves"])
    run = run_planning(inputs, walk_params("default"), norms=norms)
    assert run.norms is norms and norms_from_settings(run.norms)["community_service"].per100_m2 == 45.0
