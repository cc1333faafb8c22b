"""Outside review of issue #18 (planning in depth): each finding fixed, with the test that shows it.

1–3. A facility's state and its dates agree on every write path (a planned cemetery could be PATCHed
     "active" with no opening date and count on every past date; a file of planned facilities was
     stored active; a closing date before the opening, a grave cleared with no date).
6.   One siting solve at a time per process: the next request is answered 429 with Retry-After.
7.   A proposed cemetery site outside the district is refused, never "可以选址".
9.   A what-if candidate that joins no street says so (it covered nothing, silently).
11.  Siting candidates outside the district are refused, not "proven optimal: 0 stations".
12.  四同步 milestones come in order.
15.  A year is not printed with a thousands separator.
(4–5: tests/test_cemetery_zoning.py::test_statistics_checks_name_the_field; 8: the authorization
matrix of tests/test_security.py, ban-zone areas editable by admins only.)
"""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import httpx
import pytest

from geo.errors import InputError
from geo.generic_writes import create_feature, update_feature
from geo.io.importer import import_frame
from tests.test_api import _token


def _planned_cemetery(store) -> dict:
    return store.select("facilities", where={"kind": "public_cemetery", "status": "planned"})[0]


def test_a_planned_facility_opens_only_with_its_opening_date(writable_sample_store):
    store = writable_sample_store
    planned = _planned_cemetery(store)
    with pytest.raises(InputError) as refused:
        update_feature(store, "facilities", planned["id"], {"status": "active"}, expected_version=planned["version"],
                       actor="t-planner")
    assert refused.value.field == "opened_on" and str(refused.value).startswith("启用日期")
    with pytest.raises(InputError) as early:
        update_feature(store, "facilities", planned["id"], {"opened_on": date(2024, 5, 1)},
                       expected_version=planned["version"], actor="t-planner")
    assert early.value.field == "opened_on"
    assert store.get("facilities", planned["id"])["version"] == planned["version"]
    opened = update_feature(store, "facilities", planned["id"], {"status": "active", "opened_on": date(2026, 3, 1)},
                            expected_version=planned["version"], actor="t-planner")
    assert opened.record["status"] == "active" and opened.record["opened_on"] == date(2026, 3, 1)


def test_new_facilities_keep_their_state_and_dates_must_agree(writable_sample_store):
    store = writable_sample_store
    station = store.select("facilities", where={"kind": "elder_care_station"})[0]
    spot = station["geometry"]
    made = create_feature(store, "facilities", {"kind": "elder_care_station", "name": "规划站", "status": "planned",
                                                "planned_open_on": date(2027, 6, 30), "geometry": spot}, actor="t")
    assert made.record["status"] == "planned"  # never silently "active"
    for bad, field in (({"status": "under_construction", "opened_on": date(2020, 1, 1)}, "opened_on"),
                       ({"status": "closed"}, "closed_on"),
                       ({"status": "closed", "opened_on": date(2024, 1, 1), "closed_on": date(2020, 1, 1)},
                        "closed_on"),
                       ({"status": "active", "closed_on": date(2020, 1, 1)}, "closed_on")):
        with pytest.raises(InputError) as refused:
            create_feature(store, "facilities", {"kind": "elder_care_station", "name": "站", "geometry": spot, **bad},
                           actor="t")
        assert refused.value.field == field
    frame = gpd.GeoDataFrame({"kind": ["elder_care_station"] * 2, "name": ["甲站", "乙站"],
                              "status": ["planned", "closed"], "closed_on": [None, "2020-01-01"],
                              "opened_on": [None, "2024-01-01"]}, geometry=[spot, spot], crs="EPSG:4490")
    before = store.count("facilities")
    with pytest.raises(InputError) as imported:
        import_frame(store, "facilities", frame, {"format": "geojson", "source_crs": "EPSG:4490", "encoding": "utf-8"},
                     actor="t", name="f.geojson")
    assert imported.value.field == "closed_on" and str(imported.value).startswith("第 2 行")
    assert store.count("facilities") == before


def test_a_grave_is_cleared_with_its_date_and_only_a_cleared_one_has_one(writable_sample_store):
    store = writable_sample_store
    grave = store.select("graves", where={"status": "scattered"})[0]
    for changes, field in (({"status": "cleared"}, "cleared_on"), ({"cleared_on": date(2019, 1, 1)}, "cleared_on")):
        with pytest.raises(InputError) as refused:
            update_feature(store, "graves", grave["id"], changes, expected_version=grave["version"], actor="t")
        assert refused.value.field == field
    done = update_feature(store, "graves", grave["id"], {"status": "cleared", "cleared_on": date(2026, 5, 1)},
                          expected_version=grave["version"], actor="t")
    assert done.record["status"] == "cleared"


def test_estate_milestones_come_in_order(writable_sample_store):
    spot = writable_sample_store.select("facilities", where={"kind": "elder_care_station"})[0]["geometry"]
    with pytest.raises(InputError) as refused:
        create_feature(writable_sample_store, "new_estates", {
            "name": "倒序小区", "care_planned_on": date(2021, 1, 1), "care_built_on": date(2022, 1, 1),
            "care_handed_over_on": date(2020, 1, 1), "geometry": spot}, actor="t")
    assert refused.value.field == "care_handed_over_on" and "四同步" in str(refused.value)


def test_a_site_outside_the_district_is_refused_not_allowed(live_server):
    planner = _token(live_server, "planner")
    r = httpx.post(f"{live_server}/api/planning/cemetery-site-check", headers=planner, timeout=60,
                   json={"geometry": {"type": "Point", "coordinates": [116.4, 39.9]}})
    assert r.status_code == 400 and r.json()["field"] == "geometry" and "allowed" not in r.json()


def test_siting_candidates_outside_the_district_are_refused(live_server):
    planner = _token(live_server, "planner")
    far = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [116.4, 39.9]}, "properties": {}}]}
    r = httpx.post(f"{live_server}/api/planning/siting", headers=planner, timeout=120,
                   json={"k": 1, "candidate_source": "file", "candidates": far, "method": "greedy"})
    assert r.status_code == 400 and r.json()["field"] == "geometry"


def test_one_siting_solve_at_a_time_the_next_is_told_when_to_retry(live_server):
    from api import siting_slot

    planner = _token(live_server, "planner")
    assert siting_slot._SLOT.take()  # a solve in progress (the server shares this process)
    try:
        r = httpx.post(f"{live_server}/api/planning/siting", headers=planner, timeout=60,
                       json={"k": 1, "method": "greedy"})
        report = httpx.get(f"{live_server}/api/planning/report", headers=planner, params={"k": 2}, timeout=120)
        book = httpx.get(f"{live_server}/api/planning/report", headers=planner, params={"k": 2, "format": "xlsx"},
                         timeout=120)
    finally:
        siting_slot._SLOT.give_back()
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert r.json()["message"].startswith("另一项选址计算正在进行")
    # The report never runs a second MILP beside it: greedy's answer alone, and it says so.
    assert report.status_code == 200 and "本报告只列贪心算法的结果" in report.text
    import io

    import openpyxl

    sheets = openpyxl.load_workbook(io.BytesIO(book.content), read_only=True)
    note = next(sheets["选址说明 siting note"].iter_rows(min_row=2, values_only=True))
    assert "本报告只列贪心算法的结果" in str(note)
    free = httpx.get(f"{live_server}/api/planning/report", headers=planner, params={"k": 2}, timeout=120)
    assert free.status_code == 200 and "本报告只列贪心算法的结果" not in free.text and "MILP" in free.text


def test_a_candidate_off_the_streets_is_said_to_cover_nothing(live_server):
    r = httpx.post(f"{live_server}/api/planning/whatif", headers=_token(live_server, "planner"), timeout=120,
                   json={"edits": [{"op": "add", "lon": 111.95, "lat": 41.04}]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["unattached_edits"] == [1] and body["district"]["delta_households"] == 0
    assert body["warnings"] and body["warnings"][0].startswith("第 1 项的位置离街路超过")


def test_years_are_printed_as_years():
    from types import SimpleNamespace

    import pandas as pd

    from maps.report import _fmt
    from maps.report_cemeteries import statistics_frame

    stats = pd.DataFrame({"year": [2020], "unit_code": ["150102000000"], "deaths": [10], "cremations": [6],
                          "burials": [4], "eco_burials": [2]})
    run = SimpleNamespace(inputs=SimpleNamespace(burial_statistics=stats))
    shown = [_fmt(v) for v in statistics_frame(run).iloc[0].tolist()]
    assert shown[:3] == ["2020", "10", "6"] and shown[4] == "4"


def test_answers_name_settings_files_without_the_servers_folders(live_server):
    planner = _token(live_server, "planner")
    cemetery = httpx.get(f"{live_server}/api/cemeteries/settings", headers=planner, timeout=60)
    rural = httpx.get(f"{live_server}/api/planning/rural-norms", headers=planner, timeout=120)
    assert cemetery.status_code == 200 and cemetery.json()["file"] == "data/planning/ban_zones.toml"
    assert rural.status_code == 200 and rural.json()["norms"] == "data/planning/norms.toml"
    root = str(__import__("pathlib").Path(__file__).resolve().parents[1])
    assert root not in cemetery.text and root not in rural.text


def test_planned_projects_past_their_date_are_marked_overdue_with_plain_dates(live_server):
    r = httpx.get(f"{live_server}/api/planning/facilities/status", headers=_token(live_server, "planner"), timeout=120)
    assert r.status_code == 200
    planned = {p["name"]: p for p in r.json()["planned"]}
    cemetery = planned["保合少镇公益性公墓"]  # the plan's 2025 project, still being built
    assert cemetery["planned_open_on"] == "2025-09-30" and cemetery["overdue"] is True
    assert cemetery["state"] == "under_construction"
