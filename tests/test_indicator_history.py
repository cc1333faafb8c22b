"""Indicator history (issue #18 item 3): indicators as of a date, stored snapshots, comparison, and
planned versus existing facilities; through the library, the API (real HTTP) and the CLI.

The hand case is a district of one sub-district, one community and one plate of 200 households on a
street, with five facilities:

====  ===============================  ======  =========================  ===========================
id    kind                             m²      dates                      counts on
====  ===============================  ======  =========================  ===========================
1     community service centre         40      opened 2019-01-01          2020 and 2023
2     elder-care station               30      opened 2022-03-01          2023 only
3     comprehensive elder-care centre  200     opened 2022-03-01          2023 only
4     elder-care station (planned)     30      planned to open 2026-06-30 never
5     volunteer station (closed)       —       2018-05-01 to 2021-12-31   2020 only
====  ===============================  ======  =========================  ===========================

By hand: #4 (community service floor area per 100 households) = 40 / 200 × 100 = 20.0 in both years;
#12 (sub-districts with a comprehensive centre) = 0 / 1 = 0.0 % in 2020, 1 / 1 = 100.0 % in 2023;
#15 (community service centres with a volunteer station) = 1 / 1 = 100.0 % in 2020 (the volunteer
station was still open) and 0 / 1 = 0.0 % in 2023; the 15-minute circle: the one plate is 30 m from
the station opened in 2022, so 100.0 % of households in 2023.
"""

from __future__ import annotations

import json
from datetime import date

import geopandas as gpd
import httpx
import pytest
import shapely
from click.testing import CliRunner

from geo.errors import Conflict, Forbidden, InputError
from geo.planning import history as H
from geo.planning.coverage import WalkParams
from geo.planning.history_compare import side_by_side
from geo.planning.history_facilities import facility_states, status_by_unit, still_to_come
from geo.planning.run import PlanningInputs
from tests.conftest import USERS

DISTRICT, SUB, COMMUNITY = "150102000000", "150102001000", "150102001001"
LON0, LAT0 = 111.70, 40.85
TODAY = date(2026, 12, 2)


def _box() -> shapely.Polygon:
    return shapely.box(LON0 - 0.01, LAT0 - 0.01, LON0 + 0.02, LAT0 + 0.01)


def _frame(rows: list[dict]) -> gpd.GeoDataFrame:
    geoms = [r.pop("geometry") for r in rows]
    return gpd.GeoDataFrame(rows, geometry=gpd.GeoSeries(geoms, crs="EPSG:4490"), crs="EPSG:4490")


def tiny_layers() -> dict[str, gpd.GeoDataFrame]:
    """Return the hand case's layers (see the module docstring)."""
    units = _frame([
        {"code": DISTRICT, "name": "新城区", "level": "district", "parent_code": None, "households": 200,
         "residents": 500, "residents_60plus": 100, "status": "active", "geometry": _box()},
        {"code": SUB, "name": "甲街道", "level": "subdistrict", "parent_code": DISTRICT, "households": 200,
         "residents": 500, "residents_60plus": 100, "status": "active", "geometry": _box()},
        {"code": COMMUNITY, "name": "乙社区", "level": "community", "parent_code": SUB, "households": 200,
         "residents": 500, "residents_60plus": 100, "status": "active", "geometry": _box()},
    ])
    streets = _frame([{"name": "测试路", "geometry": shapely.LineString([(LON0, LAT0), (LON0 + 0.01, LAT0)])}])
    plates = _frame([{"plate_uid": "ABCD2345", "street_name": "测试路", "number": 1, "suffix": "", "side": "left",
                      "households": 200, "community_code": COMMUNITY, "status": "active",
                      "geometry": shapely.Point(LON0 + 0.002, LAT0 + 0.0001)}])

    def facility(kind, name, floor, status, opened, closed=None, planned=None, dx=0.0025):
        return {"kind": kind, "name": name, "community_code": COMMUNITY, "floor_area_m2": floor, "beds": None,
                "nursing_beds": None, "status": status, "opened_on": opened, "closed_on": closed,
                "planned_open_on": planned, "geometry": shapely.Point(LON0 + dx, LAT0 - 0.0001)}

    facilities = _frame([
        facility("community_service_centre", "乙社区服务中心", 40.0, "active", date(2019, 1, 1)),
        facility("elder_care_station", "乙社区养老服务站", 30.0, "active", date(2022, 3, 1), dx=0.00235),
        facility("comprehensive_elder_care_centre", "甲街道综合养老服务中心", 200.0, "active", date(2022, 3, 1),
                 dx=0.009),
        facility("elder_care_station", "规划养老服务站", 30.0, "planned", None, planned=date(2026, 6, 30), dx=0.005),
        facility("volunteer_station", "志愿服务站", None, "closed", date(2018, 5, 1), closed=date(2021, 12, 31)),
    ])
    return {"admin_units": units, "streets": streets, "door_plates": plates, "facilities": facilities}


def tiny_inputs() -> PlanningInputs:
    layers = tiny_layers()
    facilities = layers["facilities"].copy()
    facilities["id"] = range(1, len(facilities) + 1)
    empty = gpd.GeoDataFrame({"kind": [], "name": [], "status": []}, geometry=gpd.GeoSeries([], crs="EPSG:4490"),
                             crs="EPSG:4490")
    return PlanningInputs(units=layers["admin_units"], streets=layers["streets"], plates=layers["door_plates"],
                          facilities=facilities[facilities["status"] == "active"].reset_index(drop=True),
                          linear_features=empty, graves=empty.copy(), data_version=7, all_facilities=facilities)


def _by_number(run) -> dict[str, float | None]:
    return {i.number: i.current for i in run.indicators}


@pytest.fixture(scope="module")
def hand_runs():
    inputs = tiny_inputs()
    return {day.year: H.indicators_on(inputs, day, WalkParams()) for day in (date(2020, 12, 31), date(2023, 12, 31))}


def test_a_facility_opened_in_2022_counts_in_2023_but_not_in_2020(hand_runs):
    y2020, y2023 = _by_number(hand_runs[2020]), _by_number(hand_runs[2023])
    assert y2020["4"] == pytest.approx(20.0) and y2023["4"] == pytest.approx(20.0)
    assert y2020["12"] == pytest.approx(0.0) and y2023["12"] == pytest.approx(100.0)
    assert y2020["15"] == pytest.approx(100.0) and y2023["15"] == pytest.approx(0.0)
    assert y2023["一刻钟"] == pytest.approx(100.0)
    assert not y2020["一刻钟"]  # no elder care open in 2020: nobody within a 15-minute walk


def test_facility_states_and_the_planned_listing():
    layers = tiny_layers()
    f = layers["facilities"].copy()
    f["id"] = range(1, len(f) + 1)
    assert facility_states(f, day=TODAY).tolist() == ["open", "open", "open", "planned", "closed"]
    table = status_by_unit(f, layers["admin_units"], day=TODAY)
    station = table[(table["unit_code"] == SUB) & (table["kind"] == "elder_care_station")].iloc[0]
    assert (station["open"], station["planned"], station["closed"], station["under_construction"]) == (1, 1, 0, 0)
    district = table[(table["unit_code"] == "") & (table["kind"] == "volunteer_station")].iloc[0]
    assert district["closed"] == 1 and district["open"] == 0
    planned = still_to_come(f, layers["admin_units"], day=TODAY)
    assert planned["id"].tolist() == [4] and planned["planned_open_on"].tolist() == [date(2026, 6, 30)]
    # Before it opened (2019-06-01) the 2022 station reads planned, the volunteer station open.
    assert facility_states(f, day=date(2019, 6, 1)).tolist() == ["open", "planned", "planned", "planned", "open"]


def test_side_by_side_orders_by_date_and_takes_the_change_from_the_snapshot_before():
    def snap(sid, day, value, met):
        return {"id": sid, "label": f"s{sid}", "kind": "on_demand", "as_of": day, "data_seq": sid,
                "changed_since": sid == 1, "indicators": [
                    {"number": "12", "name_zh": "街道", "name_en": "centres", "unit": "%", "target_2025": 100,
                     "target_text": "100", "current": value, "met": met}]}

    table = side_by_side([snap(2, "2023-12-31", 100.0, True), snap(1, "2020-12-31", 42.5, False)])
    assert [c.id for c in table.columns] == [1, 2] and table.columns[0].changed_since
    cells = table.rows[0].cells
    assert cells[0] == {"value": 42.5, "met": False, "target_2025": 100, "change": None, "scope_changed": False}
    assert cells[1]["change"] == pytest.approx(57.5)


@pytest.mark.parametrize(("value", "words"), [("2027-01-01", "不能晚于今天"), ("2015-12-31", "不能早于")])
def test_a_date_out_of_range_is_refused_chinese_first_naming_as_of(value, words):
    with pytest.raises(InputError) as caught:
        H.check_as_of(value, today=TODAY)
    assert caught.value.field == "as_of"
    message = str(caught.value)
    assert message.startswith("规划指标：统计日期 as_of") and words in message and value in message


def test_a_plan_kind_takes_its_own_date_only():
    assert H.snapshot_date("midterm", None, today=TODAY) == date(2023, 12, 31)
    with pytest.raises(InputError) as caught:
        H.snapshot_date("baseline", "2021-01-01", today=TODAY)
    assert caught.value.field == "as_of" and "2020-12-31" in str(caught.value)
    with pytest.raises(InputError):
        H.check_kind("yearly")


# -- the store: both backends ------------------------------------------------------------------------


@pytest.fixture
def tiny_store(store):
    from geo.io.importer import load_layers

    load_layers(store, tiny_layers(), actor="test")
    return store


def test_a_restore_is_no_change_of_the_data_its_snapshots_were_taken_of(tiny_store, tmp_path):
    """Second review: the restore's own audit rows (one per table, above every number handed out) made every snapshot
    say the planning data had changed since, though the restored data was the snapshot's. They are no change;
    a real change after the restore still is."""
    from geo.store.backup import restore_backup, write_backup

    s = tiny_store
    H.take_snapshot(s, kind="baseline", actor="p1", role="planner")
    write_backup(s, tmp_path / "b.zip")
    restore_backup(s, tmp_path / "b.zip", replace=True)
    assert s.count("audit_log", where={"action": "restore"}) > 0
    assert not any(x["changed_since"] for x in H.list_snapshots(s))
    f = s.select("facilities", where={"kind": "volunteer_station"})[0]
    s.update("facilities", f["id"], {"closed_on": date(2020, 6, 30)}, expected_version=f["version"], actor="a")
    assert all(x["changed_since"] for x in H.list_snapshots(s))


def test_snapshots_round_trip_refuse_a_second_baseline_and_mark_later_changes(tiny_store):
    s = tiny_store
    before = s.data_version()
    baseline = H.take_snapshot(s, kind="baseline", actor="p1", role="planner")
    midterm = H.take_snapshot(s, kind="midterm", actor="p1", role="planner", label="中期评估 2023")
    read = H.get_snapshot(s, baseline["id"])
    assert read["as_of"] == "2020-12-31" and read["kind"] == "baseline" and read["taken_by"] == "p1"
    assert read["data_seq"] == before  # the data version read with the layers, before its own audit row
    numbers = {i["number"]: i["current"] for i in read["indicators"]}
    assert numbers["12"] == pytest.approx(0.0) and numbers["15"] == pytest.approx(100.0)
    assert read["params"]["reach_m"] == pytest.approx(900.0) and "norms" in read["params"]
    assert not read["changed_since"]  # taking the mid-term snapshot is not a change of the planning data
    assert [x["id"] for x in H.list_snapshots(s)] == [baseline["id"], midterm["id"]]

    with pytest.raises(Conflict) as caught:
        H.take_snapshot(s, kind="baseline", actor="p1", role="planner")
    assert caught.value.status == 409 and "2020-12-31" in str(caught.value)
    with pytest.raises(Forbidden):
        H.take_snapshot(s, kind="baseline", actor="p1", role="planner", replace=True)
    assert len(H.list_snapshots(s)) == 2

    # A facility changes after the snapshots: both are marked; an admin recomputes the baseline.
    f = s.select("facilities", where={"kind": "volunteer_station"})[0]
    s.update("facilities", f["id"], {"closed_on": date(2020, 6, 30)}, expected_version=f["version"], actor="a")
    assert all(x["changed_since"] for x in H.list_snapshots(s))
    replaced = H.take_snapshot(s, kind="baseline", actor="a1", role="admin", replace=True)
    assert replaced["id"] == baseline["id"] and replaced["replaced"] and replaced["version"] == 2
    assert not replaced["changed_since"]
    assert {i["number"]: i["current"] for i in replaced["indicators"]}["15"] == pytest.approx(0.0)
    audit = s.audit_rows("indicator_snapshots", baseline["id"])
    assert [a["action"] for a in audit] == ["create", "replace"]
    old = {i["number"]: i["current"] for i in json.loads(json.loads(audit[1]["before"])["indicators"])}
    assert old["15"] == pytest.approx(100.0)  # the audit keeps the replaced figures

    comparison = H.compare(s, ids=[baseline["id"], midterm["id"]], dates=["2022-06-30"])
    assert [c.as_of for c in comparison.columns] == ["2020-12-31", "2022-06-30", "2023-12-31"]
    assert [c.stored for c in comparison.columns] == [True, False, True]
    row12 = next(r for r in comparison.rows if r.number == "12")
    assert [c["value"] for c in row12.cells] == pytest.approx([0.0, 100.0, 100.0])
    assert [c["change"] for c in row12.cells] == [None, pytest.approx(100.0), pytest.approx(0.0)]


# -- HTTP and the CLI on a copy of the sample district -----------------------------------------------


def _token(base: str, role: str) -> dict[str, str]:
    name, password = USERS[role]
    r = httpx.post(f"{base}/api/auth/login", json={"username": name, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_api_roles_snapshots_compare_and_facility_status(writable_server):
    base = writable_server
    url = f"{base}/api/planning/indicator-snapshots"
    assert httpx.post(url, json={"kind": "baseline"}).status_code == 401
    officer = _token(base, "placename_officer")
    assert httpx.post(url, json={"kind": "baseline"}, headers=officer).status_code == 403
    assert httpx.get(url, headers=officer).status_code == 403
    planner, admin = _token(base, "planner"), _token(base, "admin")

    r = httpx.get(f"{base}/api/planning/indicators", params={"as_of": "2099-01-01"}, headers=planner)
    assert r.status_code == 400 and r.json()["field"] == "as_of"
    assert r.json()["message"].startswith("规划指标：统计日期 as_of")
    r = httpx.get(f"{base}/api/planning/indicators", params={"as_of": "2023-06-30"}, headers=planner, timeout=60)
    assert r.status_code == 200 and r.json()["as_of"] == "2023-06-30" and r.json()["indicators"]
    assert httpx.get(url, headers=planner).json()["snapshots"] == []  # computing for a date stored nothing

    first = httpx.post(url, json={"kind": "baseline"}, headers=planner, timeout=60)
    assert first.status_code == 201, first.text
    assert first.json()["as_of"] == "2020-12-31" and first.json()["taken_by"] == USERS["planner"][0]
    again = httpx.post(url, json={"kind": "baseline"}, headers=planner, timeout=60)
    assert again.status_code == 409 and again.json()["message"].startswith("指标快照")
    bad = httpx.post(url, json={"kind": "on_demand", "as_of": "2099-01-01"}, headers=planner)
    assert bad.status_code == 400 and bad.json()["field"] == "as_of"
    assert httpx.post(url, json={"kind": "weekly"}, headers=planner).status_code == 422
    assert httpx.post(url, json={"kind": "on_demand", "label": "x" * 201}, headers=planner).status_code == 422
    mid = httpx.post(url, json={"kind": "midterm"}, headers=admin, timeout=60).json()

    one = httpx.get(f"{url}/{first.json()['id']}", headers=planner).json()
    assert one["data_seq"] == first.json()["data_seq"] and len(one["indicators"]) >= 8
    assert httpx.get(f"{url}/999999", headers=planner).status_code == 404
    compared = httpx.get(f"{url}/compare", params={"ids": f"{mid['id']},{first.json()['id']}"}, headers=planner)
    body = compared.json()
    assert compared.status_code == 200 and [s["as_of"] for s in body["snapshots"]] == ["2020-12-31", "2023-12-31"]
    assert all(len(row["cells"]) == 2 for row in body["indicators"])
    assert httpx.get(f"{url}/compare", params={"ids": "1"}, headers=planner).status_code == 400
    assert httpx.get(f"{url}/compare", params={"ids": "a,b"}, headers=planner).json()["field"] == "ids"
    assert httpx.get(f"{url}/compare", params={"ids": "1,99999999999"}, headers=planner).status_code == 400

    status = httpx.get(f"{base}/api/planning/facilities/status", headers=planner).json()
    open_total = sum(r["open"] for r in status["by_unit"] if r["unit_code"] == "")
    assert open_total > 0 and "规划中" in status["note"]


def test_cli_as_of_snapshot_history_compare_and_report(writable_sample_store, tmp_path, monkeypatch):
    from api.cli import main

    url = writable_sample_store.engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("XINCHENG_DATABASE_URL", url)
    runner = CliRunner()

    def run(*args: str):
        result = runner.invoke(main, list(args), catch_exceptions=False)
        return result

    future = run("indicators", "--as-of", "2099-01-01")
    assert future.exit_code == 2 and "as_of" in future.output
    dated = run("indicators", "--as-of", "2023-06-30")
    assert dated.exit_code == 0, dated.output
    assert "统计日期 as of: 2023-06-30" in dated.output
    assert run("indicators", "snapshot", "--kind", "baseline").exit_code == 0
    assert run("indicators", "snapshot", "--kind", "on-demand", "--as-of", "2022-06-30").exit_code == 0
    dup = run("indicators", "snapshot", "--kind", "baseline")
    assert dup.exit_code == 1 and "已存在" in dup.output  # a conflict, not bad input (exit 2)
    history = run("indicators", "history")
    assert history.exit_code == 0 and "2020-12-31" in history.output and "2022-06-30" in history.output
    assert "数据版本 data version" in history.output
    compared = run("indicators", "compare", "1", "2")
    assert compared.exit_code == 0, compared.output
    assert "2020-12-31 #1" in compared.output and "2022-06-30 #2" in compared.output
    page = tmp_path / "r.html"
    assert run("report", str(page), "--k", "0").exit_code == 0
    html = page.read_text(encoding="utf-8")
    assert "指标历史 Indicator history" in html and "规划与现有设施 Planned and existing facilities" in html
    book = tmp_path / "r.xlsx"
    assert run("report", str(book), "--k", "0").exit_code == 0
    from openpyxl import load_workbook

    names = load_workbook(book, read_only=True).sheetnames
    assert "指标历史 history" in names and "设施状态 facility status" in names


HOSTILE = "<img src=x onerror=window.__xss=1><script>window.__xss=1</script>"


def test_report_section_shows_history_and_planned_facilities_escaped_in_chromium(hand_runs, tmp_path):
    """The report's 指标历史 section from the hand case: two snapshots side by side, the facility states,
    a hostile label and facility name shown as text; opened offline in Chromium with no error."""
    from maps.report import report_html
    from tests.browser import OFFLINE
    from tests.test_csp import Chromium

    snaps = [{"id": n, "label": HOSTILE, "kind": kind, "as_of": f"{year}-12-31", "data_seq": 7,
              "changed_since": n == 1, "indicators": [i.to_dict() for i in hand_runs[year].indicators]}
             for n, kind, year in ((1, "baseline", 2020), (2, "midterm", 2023))]
    layers = tiny_layers()
    f = layers["facilities"].copy()
    f["id"] = range(1, len(f) + 1)
    f.loc[3, "name"] = HOSTILE
    status = H.FacilityStatus(day=TODAY, by_unit=status_by_unit(f, layers["admin_units"], day=TODAY),
                              to_come=still_to_come(f, layers["admin_units"], day=TODAY))
    report = H.ReportHistory(comparison=side_by_side(snaps, current_data_seq=9), facilities=status)
    html = report_html(hand_runs[2023], history=report, nonce=None)
    assert "指标历史 Indicator history" in html and "<script>window.__xss" not in html
    path = tmp_path / "plan.html"
    path.write_text(html, encoding="utf-8")
    browser = Chromium(width=1280, height=900, extra_flags=OFFLINE)
    try:
        for domain in ("Network", "Log", "Runtime"):
            browser.send(f"{domain}.enable")
        browser.open(path.as_uri(), {})
        text_shown = browser.run("document.getElementById('indicator-history').parentElement.innerText")
        assert browser.run("window.__xss === undefined") is True
        assert browser.problems() == []
    finally:
        browser.close()
    assert "2020-12-31 #1" in text_shown and "2023-12-31 #2" in text_shown
    assert "<script>window.__xss=1</script>" in text_shown  # the hostile label, shown as text
    assert "规划与现有设施 Planned and existing facilities" in text_shown and "2026-06-30" in text_shown
    assert "之后规划数据已有变更" in text_shown  # snapshot 1 is marked: the data changed after it


def test_two_baselines_taken_at_the_same_moment_store_one(tiny_store):
    """Both pass the early check together; the natural-key lock makes the second find the first's row."""
    from tests.concurrently import at_once

    inputs = PlanningInputs.load(tiny_store)
    results = at_once(lambda: H.take_snapshot(tiny_store, kind="final", actor="p", role="planner", inputs=inputs))
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "dict"]
    assert [x["kind"] for x in H.list_snapshots(tiny_store)] == ["final"]


def _snapshots_by_cli(store, monkeypatch):
    """Return a CLI runner on ``store`` and a function taking an on-demand snapshot for a date through it."""
    from api.cli import main

    monkeypatch.setenv("XINCHENG_DATABASE_URL", store.engine.url.render_as_string(hide_password=False))
    runner = CliRunner()

    def snapshot(day: str) -> None:
        done = runner.invoke(main, ["indicators", "snapshot", "--kind", "on-demand", "--as-of", day])
        assert done.exit_code == 0, done.output

    return runner, snapshot


def test_an_indicator_counted_over_other_units_than_the_snapshot_before_says_which(writable_sample_store,
                                                                                   monkeypatch, tmp_path):
    """The circle's headline counts households of the urban scope (every 街道 when none is set), #12 the 街道 with a
    comprehensive centre: once a 镇 became a 街道 both changed units and the comparison showed the jump as a change
    like any other (review). A re-code alone (a 街道 given another code, the same land) is no change of units
    (second review). The comparison marks the cells † and names the units added and removed, in the CLI, the JSON
    and the report's workbook."""
    from openpyxl import load_workbook

    from api.cli import main
    from geo.divisions.changes import recode_unit
    from tests.test_township_recode import DECISION, TOWN

    store = writable_sample_store
    runner, snapshot = _snapshots_by_cli(store, monkeypatch)
    snapshot("2026-11-28")
    (street,) = store.select("admin_units", where={"code": "150102001000"})
    recode_unit(store, street["code"], expected_version=street["version"], decision=DECISION, actor="t-admin",
                level="subdistrict")  # another code for the same 街道: the same units
    snapshot("2026-11-29")
    (town,) = store.select("admin_units", where={"code": TOWN})
    new_code = recode_unit(store, TOWN, expected_version=town["version"], decision=DECISION, actor="t-admin",
                           level="subdistrict", new_name="保合少街道")["units_after"][0]
    snapshot("2026-11-30")

    ids = sorted(s["id"] for s in H.list_snapshots(store))
    comparison = H.compare(store, ids=ids)
    changes = {(c.number, comparison.columns[c.column].as_of): (c.added, c.removed) for c in comparison.scope_changes}
    assert changes == {("一刻钟", "2026-11-30"): ([new_code], []), ("12", "2026-11-30"): ([new_code], [])}
    assert all(c.names[new_code] == "保合少街道" for c in comparison.scope_changes)
    by_number = {r.number: r for r in comparison.rows}
    assert [cell["scope_changed"] for cell in by_number["12"].cells] == [False, False, True]
    assert comparison.to_dict()["scope_changes"] == [c.to_dict() for c in comparison.scope_changes]

    compared = runner.invoke(main, ["indicators", "compare", *map(str, ids)])
    assert compared.exit_code == 0, compared.output
    note = f"† 指标 12 在 2026-11-30 #{ids[-1]} 的统计范围与前一快照不同（新增 保合少街道（{new_code}），移出 —）"
    assert note in compared.output, compared.output
    assert compared.output.count(" †") >= 2  # the two cells of the table
    twice = runner.invoke(main, ["indicators", "compare", str(ids[0]), "2026-11-28"])  # one snapshot, twice
    assert twice.exit_code == 2 and "只能列一次" in twice.output

    book = tmp_path / "report.xlsx"
    assert runner.invoke(main, ["report", str(book), "--k", "0"]).exit_code == 0
    sheet = load_workbook(book, read_only=True)["指标历史 history"]
    cells = [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None]
    assert any(v.startswith(f"† 新增 保合少街道（{new_code}）") for v in cells), cells[:40]
    same = side_by_side([H.get_snapshot(store, ids[0]), H.get_snapshot(store, ids[0]) | {"id": 99}])
    assert same.scope_changes == []  # the same units: nothing to say


def test_a_merge_of_villages_is_a_change_of_units_and_a_snapshot_without_its_units_ends_the_comparison(
        writable_sample_store, monkeypatch):
    """Following the code history through a merge took both villages for the merged one: 专栏8-2 moved with no † (third
    review). Only a re-code is the same units. A snapshot that does not say its units (stored before they were
    recorded) is compared with nothing, not with an older one across it."""
    from api.cli import main
    from geo.divisions.changes import merge_units
    from tests.test_township_recode import DECISION

    store = writable_sample_store
    runner, snapshot = _snapshots_by_cli(store, monkeypatch)
    snapshot("2026-11-29")
    pair = store.select("admin_units", where={"code": ["150102100200", "150102100206"]})
    merged = merge_units(store, [u["code"] for u in pair], name="哈拉沁水泉村",
                         expected_versions={u["code"]: u["version"] for u in pair}, decision=DECISION,
                         actor="t-admin")["units_after"][0]
    snapshot("2026-11-30")
    ids = sorted(s["id"] for s in H.list_snapshots(store))
    changes = H.compare(store, ids=ids).scope_changes
    (change,) = [c for c in changes if c.number == "专栏8-2"]
    assert (change.added, change.removed) == ([merged], ["150102100200", "150102100206"])
    assert change.units(change.removed) == "哈拉沁村（150102100200）、水泉村（150102100206）"
    # the village norms count villages too (村·150 moved 80 → 75 unmarked: third review); 水泉村 was one of its
    assert any(c.number == "村·150" and "150102100206" in c.removed for c in changes), \
        [(c.number, c.added, c.removed) for c in changes]

    def snap(sid, day, codes):
        detail = {} if codes is None else {"scope_codes": codes}
        return {"id": sid, "label": "", "kind": "on_demand", "as_of": day, "data_seq": sid, "indicators": [
            {"number": "12", "name_zh": "街道", "name_en": "x", "current": 50.0, "met": False, "detail": detail}]}

    table = side_by_side([snap(1, "2024-01-01", ["a", "b"]), snap(2, "2025-01-01", None),
                          snap(3, "2026-01-01", ["a"])])
    assert table.scope_changes == []  # 1 → 3 across a snapshot that does not say: nothing claimed
    computed_now = snap(None, "2025-01-01", ["a"]) | {"stored": False}  # today's division, not that date's
    table = side_by_side([snap(1, "2024-01-01", ["a", "b"]), computed_now, snap(3, "2026-01-01", ["a", "b"])])
    assert table.scope_changes == []  # a merge undone and redone by a date computed now (fourth review): not said
    repeated = runner.invoke(main, ["indicators", "compare", str(ids[0]), "2026-11-29"])
    assert repeated.exit_code == 2 and f"2026-11-29 即快照 #{ids[0]}" in repeated.output
