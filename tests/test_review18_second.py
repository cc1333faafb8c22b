"""Second outside review of issue #18: each finding fixed, with the test that shows it.

1.  Greedy chose differently from the textbook greedy with fractional weights (residents 60+):
    tests/test_planning.py::test_greedy_with_running_gains_chooses_as_the_textbook_greedy_does.
2.  Time limits bound the whole siting answer (the reach matrix is built once and counted; capacitated
    greedy stops too); a reach far past any walking circle is refused before millions of pairs.
3.  A change to the norms file is seen by every answer at once (the cache key holds the settings' version).
4.  A broken settings file of the server's is a 503 for the admin, naming no server folder.
5.  The norms parser refuses infinite numbers and a village group without settlement types.
6.  `xincheng indicators` says which norms it judged by; snapshots record every norm.
7.  The XLSX report says why the MILP row is missing: tests/test_review18_fixes.py (the siting slot test).
8.  A new estate's community must exist; no households, no verdict on its floor area.
9.  A year's burial statistics are one district row or rows per sub-district, never both.
10. The what-if page starts its candidate among the homes, next to a street:
    tests/test_whatif.py::test_page_drag_shows_the_apis_answer.
11. Too many edits: the limit is said in Chinese and in English.
12. Ban-zone areas must touch the district; a site must lie wholly in it and have an area.
13. Malformed GeoJSON is said in words a user can act on; a NaN floor area is "not a finite number";
    candidates with a non-file source are told the source must be file.
14. Dates are YYYY-MM-DD only; a snapshot compared with itself is refused; the report refuses an
    unknown format; a stale burial-statistics edit is 409 before its values are judged; an unknown
    snapshot on the command line is a usage error (exit 2).
15. CLI exports of estates and village norms have Chinese-first headers and values.
16. What-if counts of residents 60+ are whole people.
"""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

from geo.errors import Conflict, InputError, SettingsBroken, StaleVersion
from tests.test_api import _token
from tests.xincheng_cli import invoke


def _env(store) -> dict[str, str]:
    return {"XINCHENG_DATABASE_URL": store.engine.url.render_as_string(hide_password=False)}


# -- 2. time limits and the reach -----------------------------------------------------------------------

def test_capacitated_greedy_stops_at_its_deadline():
    import time

    import scipy.sparse as sp

    from geo.planning.siting_capacity import capacity_problem, greedy_capacitated

    reach = sp.csr_matrix(np.ones((3, 4)))
    problem = capacity_problem(sp.csr_matrix((0, 4)), reach, np.ones(4), capacity_existing=np.zeros(0),
                               capacity_candidates=np.full(3, 2.0))
    assert greedy_capacitated(problem, k=3, need_weight=None) == ([0, 1], False)  # 2 + 2 serve all four
    assert greedy_capacitated(problem, k=3, need_weight=None, deadline=time.perf_counter() - 1) == ([], True)


def test_the_reach_matrix_is_built_once_per_answer(sample_store, monkeypatch):
    from geo.planning import siting as siting_module
    from geo.planning.coverage import WalkParams
    from geo.planning.run import PlanningInputs, run_planning, run_siting

    run = run_planning(PlanningInputs.load(sample_store), WalkParams())
    calls = []
    real = siting_module.reach_matrix
    monkeypatch.setattr(siting_module, "reach_matrix", lambda *a, **k: calls.append(1) or real(*a, **k))
    result, _sites = run_siting(run, k=2, target_share=None, method="both", time_limit_s=30)
    assert len(calls) == 1 and result.greedy is not None and len(result.chosen) == 2


def test_a_reach_far_past_any_walking_circle_is_refused(sample_store):
    from geo.planning.run import PlanningInputs, run_planning, run_siting, walk_params

    run = run_planning(PlanningInputs.load(sample_store), walk_params("default", 120, 3.0))
    with pytest.raises(InputError) as refused:
        run_siting(run, k=1, target_share=None)
    assert refused.value.field == "minutes" and "21600" in refused.value.message and "3000" in refused.value.message


# -- 3–6. the norms file ---------------------------------------------------------------------------------

@pytest.fixture
def norms_file(tmp_path, monkeypatch) -> Path:
    """A copy of the bundled norms file standing in for it (the server's own settings file)."""
    from geo.planning import norms_settings

    file = tmp_path / "norms.toml"
    file.write_text(norms_settings.DEFAULT_NORMS_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(norms_settings, "DEFAULT_NORMS_FILE", file)
    return file


def test_a_changed_norms_file_is_a_new_cache_key(norms_file, store):
    from api.cache import DataCache
    from geo.planning.norms_settings import load_norms

    cache, built = DataCache(), []

    def value():
        built.append(1)
        return load_norms().urban_per100_m2

    assert cache.get(store, "x", value) == 30.0 and cache.get(store, "x", value) == 30.0 and len(built) == 1
    norms_file.write_text(norms_file.read_text(encoding="utf-8").replace("per100_m2 = 30.0", "per100_m2 = 35.0"),
                          encoding="utf-8")
    assert cache.get(store, "x", value) == 35.0 and len(built) == 2


def test_a_broken_server_norms_file_is_the_admins_to_fix_and_names_no_folder(norms_file):
    from geo.planning.norms_settings import load_norms

    norms_file.write_text(norms_file.read_text(encoding="utf-8") + "\n[urban\n", encoding="utf-8")
    with pytest.raises(SettingsBroken) as broken:
        load_norms()
    assert broken.value.status == 503
    assert broken.value.message.startswith("服务器的设置文件 data/planning/norms.toml 有误")
    assert str(norms_file.parent) not in broken.value.message
    with pytest.raises(InputError) as own:  # the user's own file (CLI --norms) stays the user's input error
        load_norms(norms_file)
    assert not isinstance(own.value, SettingsBroken)


@pytest.mark.parametrize(("change", "key"), [
    (("care_per100_m2 = 20.0", "care_per100_m2 = inf"), "new_estates.care_per100_m2"),
    (("per100_m2 = 30.0", "per100_m2 = inf"), "urban.per100_m2"),
    (('settlement_types = ["central_village", "traditional_village"]', "settlement_types = []"),
     "rural.central_traditional.settlement_types"),
])
def test_infinite_norms_and_empty_groups_are_refused(change, key):
    import tomllib

    from geo.planning.norms_settings import DEFAULT_NORMS_FILE, parse_norms

    text = DEFAULT_NORMS_FILE.read_text(encoding="utf-8")
    assert change[0] in text
    with pytest.raises(InputError) as refused:
        parse_norms(tomllib.loads(text.replace(change[0], change[1], 1)))
    assert key in refused.value.message


def test_indicators_say_which_norms_and_snapshots_record_them_all(sample_store):
    r = invoke(["indicators"], env_extra=_env(sample_store))
    assert r.returncode == 0 and "标准设置 norms: data/planning/norms.toml" in r.stdout
    from geo.planning.coverage import WalkParams
    from geo.planning.history import run_parameters
    from geo.planning.run import PlanningInputs, run_planning

    recorded = run_parameters(run_planning(PlanningInputs.load(sample_store), WalkParams()))["norms_settings"]
    assert [g["min_total_m2"] for g in recorded["rural"]] == [300.0, 150.0]
    assert recorded["source"] == "data/planning/norms.toml" and recorded["estate_care_per100_m2"] == 20.0


# -- 8. new estates ---------------------------------------------------------------------------------------

def test_an_estate_without_households_gets_no_floor_area_verdict():
    from geo.planning.estates import four_sync

    estates = pd.DataFrame({"name": ["空置小区", "滨河新苑"], "community_code": ["150102001001"] * 2,
                            "households": [0, 640], "care_floor_area_m2": [0.0, 140.0]})
    table = four_sync(estates, care_per100_m2=20.0)
    assert table["area_ok"].tolist() == [None, True]


def test_an_estate_in_no_stored_community_is_refused(writable_sample_store):
    from geo.generic_writes import update_feature

    store = writable_sample_store
    estate = store.select("new_estates")[0]
    with pytest.raises(InputError) as refused:
        update_feature(store, "new_estates", estate["id"], {"community_code": "999999999999"},
                       expected_version=estate["version"], actor="t-planner")
    assert refused.value.field == "community_code"
    assert store.get("new_estates", estate["id"])["community_code"] == estate["community_code"]


# -- 9. burial statistics: one level a year ---------------------------------------------------------------

def test_a_district_row_beside_sub_district_rows_is_refused(writable_sample_store):
    from geo.planning.burial import record_statistics

    store = writable_sample_store
    year = int(store.select("burial_statistics")[0]["year"])
    before = store.count("burial_statistics")
    with pytest.raises(Conflict) as refused:
        record_statistics(store, [{"year": year, "unit_code": "150102000000", "deaths": 10000, "cremations": 100}],
                          actor="t")
    assert refused.value.field == "unit_code" and "不能两者并存" in refused.value.message
    assert store.count("burial_statistics") == before


def test_a_stale_statistics_edit_is_told_it_is_stale_first(writable_sample_store):
    from geo.planning.burial import update_statistics

    store = writable_sample_store
    row = store.select("burial_statistics")[0]
    update_statistics(store, row["id"], {"source": "复核"}, expected_version=row["version"], actor="t")
    with pytest.raises(StaleVersion):  # its deaths (5) break a rule against the stored cremations: stale first
        update_statistics(store, row["id"], {"deaths": 5}, expected_version=row["version"], actor="t")


# -- 11–14. over HTTP ---------------------------------------------------------------------------------------

def test_wrong_input_is_said_in_words_a_user_can_act_on(live_server):
    planner = _token(live_server, "planner")
    base = f"{live_server}/api/planning"
    many = httpx.post(f"{base}/whatif", headers=planner, timeout=60,
                      json={"edits": [{"op": "remove", "facility_id": 1}] * 21})
    assert many.status_code == 422 and "最多 20 项，收到 21 项" in many.json()["message"]
    one = httpx.post(f"{base}/cemetery-site-check", headers=planner, timeout=60,
                     json={"geometry": {"type": "Point", "coordinates": [111.7]}})
    assert one.status_code in (400, 422) and "gufunc" not in one.text
    nan = httpx.post(f"{base}/siting", headers=planner, timeout=60, json={
        "k": 1, "method": "greedy", "candidates": {"type": "FeatureCollection", "features": [{
            "type": "Feature", "geometry": {"type": "Point", "coordinates": [111.72, 40.85]},
            "properties": {"floor_area_m2": "NaN"}}]}})
    assert nan.status_code == 422 and "100000" not in nan.json()["message"]
    source = httpx.post(f"{base}/siting", headers=planner, timeout=60, json={
        "k": 1, "candidate_source": "nodes", "candidates": {"type": "FeatureCollection", "features": [{
            "type": "Feature", "geometry": {"type": "Point", "coordinates": [111.72, 40.85]}, "properties": {}}]}})
    assert source.status_code == 400 and "须为 file 或省略" in source.json()["message"]
    compact = httpx.get(f"{base}/indicators", headers=planner, params={"as_of": "20201231"}, timeout=60)
    assert compact.status_code == 400 and "YYYY-MM-DD" in compact.json()["message"]
    twice = httpx.get(f"{base}/indicator-snapshots/compare", headers=planner, params={"ids": "1,1"}, timeout=60)
    assert twice.status_code == 400 and "只能列一次" in twice.json()["message"]
    pdf = httpx.get(f"{base}/report", headers=planner, params={"format": "pdf"}, timeout=60)
    assert pdf.status_code == 400 and pdf.json()["field"] == "format"
    people = httpx.post(f"{base}/whatif", headers=planner, timeout=60,
                        json={"edits": [{"op": "add", "lon": 111.72, "lat": 40.85}]}).json()["district"]
    assert isinstance(people["delta_60plus"], int) and isinstance(people["covered_60plus_after"], int)


def test_geojson_structure_problems_are_named():
    from geo.features import parse_geometry

    for bad, words in (({}, "type 须为"), ({"type": "Point", "coordinates": [111.7]}, "2 或 3 个数"),
                       ({"type": "Polygon", "coordinates": [111.7, 40.8]}, "嵌套层数"),
                       ({"type": "Point"}, "缺少坐标")):
        with pytest.raises(InputError) as refused:
            parse_geometry(bad, crs="EPSG:4490", allowed=("Point", "Polygon"))
        assert words in refused.value.message and "NoneType" not in refused.value.message


def test_sites_and_zone_areas_must_be_in_the_district(writable_server):
    admin, planner = _token(writable_server, "admin"), _token(writable_server, "planner")
    beijing = {"type": "Polygon", "coordinates": [[[116.3, 39.9], [116.4, 39.9], [116.4, 40.0], [116.3, 39.9]]]}
    zone = httpx.post(f"{writable_server}/api/layers/ban_zone_areas/features", headers=admin, timeout=60,
                      json={"type": "Feature", "geometry": beijing, "properties": {"kind": "farmland", "name": "远方"}})
    assert zone.status_code == 400 and zone.json()["field"] == "geometry"
    wide = {"type": "Polygon", "coordinates": [[[111.5, 40.7], [112.0, 40.7], [112.0, 41.1], [111.5, 40.7]]]}
    check = httpx.post(f"{writable_server}/api/planning/cemetery-site-check", headers=planner, timeout=60,
                       json={"geometry": wide})
    assert check.status_code == 400 and "整体位于本区" in check.json()["message"]
    tiny = {"type": "Polygon", "coordinates": [[[111.75, 40.9], [111.75 + 1e-12, 40.9], [111.75, 40.9 + 1e-12],
                                                [111.75, 40.9]]]}
    small = httpx.post(f"{writable_server}/api/planning/cemetery-site-check", headers=planner, timeout=60,
                       json={"geometry": tiny})
    assert small.status_code == 400 and "面积不足" in small.json()["message"]


def test_cli_usage_errors_for_an_unknown_snapshot_and_an_empty_site_file(sample_store, tmp_path):
    r = invoke(["indicators", "compare", "99999", "99998"], env_extra=_env(sample_store))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    empty = tmp_path / "empty.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    r = invoke(["cemetery", "check", str(empty)], env_extra=_env(sample_store))
    assert r.returncode == 2 and "NoneType" not in r.stderr and "type 须为" in r.stderr


# -- 15. CLI exports ----------------------------------------------------------------------------------------

def test_cli_exports_are_chinese_first(sample_store, tmp_path):
    out = tmp_path / "estates.xlsx"
    r = invoke(["estates", "--out", str(out)], env_extra=_env(sample_store))
    assert r.returncode == 0, r.stderr
    book = pd.read_excel(io.BytesIO(out.read_bytes()), sheet_name=None)
    data = book["数据 data"]
    assert "应配 (m²) required (m²)" in data.columns and "四同步 all four in sync" in data.columns
    assert set(data["同步规划 planned together"]) <= {"同步 in sync", "滞后 late", "未记录 not recorded"}
    assert book["参数 parameters"]["取值 value"].tolist() == ["data/planning/norms.toml"]
    out = tmp_path / "villages.xlsx"
    r = invoke(["rural-norms", "--out", str(out)], env_extra=_env(sample_store))
    assert r.returncode == 0, r.stderr
    villages = pd.read_excel(out)
    assert "聚落类型 settlement type" in villages.columns
    assert all(isinstance(v, str) and not v.isascii() for v in villages["聚落类型 settlement type"])

