"""The planning report as planners read it: Chinese headers, whole households and people, units,
percentages, "—" for what is missing, and every parameter of the run, in the HTML and the XLSX."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import numpy as np
import openpyxl
import pytest

from geo.messages import BEIJING
from geo.planning.coverage import WalkParams
from geo.planning.run import PlanningInputs, run_planning, run_siting, walk_params
from maps.report import report_html, write_report_xlsx
from tests.browser import ARTIFACTS, OFFLINE
from tests.test_csp import Chromium

# One pytest-xdist worker runs this module (scripts/test.sh: --dist loadgroup),
# so the hostile run and its siting are made once, not once per worker.
pytestmark = pytest.mark.xdist_group("planning_outputs")

CHINESE_FIRST = re.compile(r"^[^A-Za-z_]*[\u4e00-\u9fff]")  # Chinese before any English ("2020年 2020")
WHOLE = re.compile(r"^\d{1,3}(,\d{3})*$")          # 12,736: a whole number as the page prints it
TENTHS = re.compile(r"^\d{1,3}(,\d{3})*\.\d$")      # 1,591.1
# Headers of counts of households or people: their cells are whole numbers (or "—").
COUNT_HEADERS = ("户数 ", "覆盖户数 ", "60岁以上人口 ", "覆盖60岁以上人口 ", "新增覆盖户数 ", "新增覆盖门牌 ")
RAW = ("nan", "NaN", "None", "(l.", "<NA>")
SCRIPT = '"></script><script>window.__xss=1</script>'
FORMULA = '=HYPERLINK("http://x","y")'


@pytest.fixture(scope="module")
def hostile_run(sample):
    """A run of the sample district whose stored names are hostile: a sub-district named with a
    script, a plate's street with a spreadsheet formula (the report is a function of the run)."""
    every = sample["facilities"].assign(id=lambda d: np.arange(1, len(d) + 1))
    inputs = PlanningInputs(units=sample["admin_units"], streets=sample["streets"], plates=sample["door_plates"],
                            facilities=every[every["status"] == "active"].reset_index(drop=True), all_facilities=every,
                            linear_features=sample["linear_features"], graves=sample["graves"],
                            ban_zone_areas=sample["ban_zone_areas"])
    run = run_planning(inputs, WalkParams())
    coverage = run.coverage.copy()
    coverage.loc[coverage.index[coverage["level"] == "subdistrict"][0], "name"] = SCRIPT
    plates = run.inputs.plates.copy()
    first_uncovered = run.access.loc[run.access["status"] != "covered", "plate_index"].iloc[0]
    plates.loc[plates.index[first_uncovered], "street_name"] = FORMULA
    return dataclasses.replace(run, coverage=coverage, inputs=dataclasses.replace(run.inputs, plates=plates))


@pytest.fixture(scope="module")
def siting(hostile_run):
    return run_siting(hostile_run, k=3, target_share=None)


def _sheets(path) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(path)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book}


def test_xlsx_tables_have_chinese_headers_whole_counts_and_no_raw_values(hostile_run, siting, tmp_path):
    result, sites = siting
    sheets = _sheets(write_report_xlsx(hostile_run, tmp_path / "plan.xlsx", siting=result, sites=sites))
    assert set(sheets) == {"指标 indicators", "覆盖 coverage", "面积 社区服务 area community",
                           "面积 养老 area elder care", "未覆盖门牌 uncovered plates", "选址 siting", "参数 parameters",
                           "选址比较 siting comparison", "村级标准 village norms", "禁葬区 ban zones",
                           "公墓 cemeteries", "殡葬统计 burial statistics"}
    for title, rows in sheets.items():
        headers = rows[0]
        assert all(CHINESE_FIRST.match(h) and "_" not in h for h in headers), (title, headers)
        for r, row in enumerate(rows[1:], start=2):
            for header, cell in zip(headers, row, strict=True):
                assert cell is not None, f"{title}!{header} row {r} is empty, not '—'"
                assert not isinstance(cell, float) or np.isfinite(cell), (title, header, r)
                assert not any(raw in str(cell) for raw in RAW), (title, header, r, cell)
                assert not str(cell).startswith("="), f"{title}!{header} row {r} is a live formula"
                if header.startswith(COUNT_HEADERS):
                    assert isinstance(cell, int) or cell == "—", (title, header, r, cell)
    uncovered = sheets["未覆盖门牌 uncovered plates"]
    assert any(row[1] == "'" + FORMULA for row in uncovered[1:])  # shown as text, inert
    assert uncovered[0][3:] == ("状态 status", "步行距离 walking distance (米 m)", "步行时间 walking time (分钟 min)")
    assert {row[3] for row in uncovered[1:]} <= {"超出步行范围 beyond the walk", "无路可达 no route",
                                                 "离路过远 too far from a street"}


def test_xlsx_floor_area_shortfall_is_the_area_missing_from_the_norm(hostile_run, tmp_path):
    """A community short of 30 m² per 100 households lacks exactly norm × households / 100 − area m²."""
    rows = _sheets(write_report_xlsx(hostile_run, tmp_path / "plan.xlsx"))["面积 社区服务 area community"]
    header = {h: i for i, h in enumerate(rows[0])}
    hh, area = header["户数 households"], header["建筑面积 floor area (m²)"]
    ratio = header["按每百户标准缺口 short of the per-100-household norm (m²)"]
    total, gap = header["按最低总面积缺口 short of the minimum total (m²)"], header["缺口 shortfall (m²)"]
    communities = [r for r in rows[1:] if r[header["层级 level"]] == "社区 community" and r[hh] > 0]
    short = [r for r in communities if r[ratio] > 0]
    assert short
    for r in short:
        assert r[area] + r[ratio] == pytest.approx(30 * r[hh] / 100, abs=0.11)
        assert r[gap] == max(r[ratio], r[total])
        assert r[header["达标 meets the norm"]] == "否 no"
    district = next(r for r in rows[1:] if r[header["层级 level"]] == "区 district")
    assert district[header["上级代码 parent code"]] == "—"


def test_both_reports_record_every_parameter_of_the_run(sample_store, tmp_path):
    """Preset, minutes, speed, reach, the longest leg off the street, facility kinds, the data version
    and the time of the run: a forwarded copy says how it was made."""
    before = datetime.now(UTC).replace(microsecond=0)
    params = walk_params("elderly", minutes=10)
    run = run_planning(PlanningInputs.load(sample_store), params, ("elder_care_station",))
    sheets = _sheets(write_report_xlsx(run, tmp_path / "plan.xlsx"))
    got = dict(sheets["参数 parameters"][1:])
    assert sheets["参数 parameters"][0] == ("参数 parameter", "取值 value")
    assert got["步行时间 walking time (分钟 min)"] == 10
    assert got["步行速度 walking speed (米/秒 m/s)"] == pytest.approx(0.9)
    assert got["步行可达距离 walking reach (米 m)"] == pytest.approx(540)
    assert got["离路最远距离 longest leg off the street (米 m)"] == 150
    assert got["速度预设 speed preset"] == "老年人步速 0.9 米/秒 older walkers 0.9 m/s"
    assert got["设施类型 facility kinds"] == "社区养老服务站 elder-care station (elder_care_station)"
    assert got["数据版本 data version"] == sample_store.data_version()
    shown = got["计算时间 computed at (北京时间 UTC+8)"]
    computed = datetime.strptime(shown, "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
    assert before <= computed <= datetime.now(UTC) + timedelta(seconds=1)
    table = _tables(report_html(run, nonce=None))[0]
    assert table.headers == [] and dict(table.rows)["步行可达距离 walking reach (米 m)"] == "540"
    assert dict(table.rows)["数据版本 data version"] == str(sample_store.data_version())
    assert dict(table.rows)["计算时间 computed at (北京时间 UTC+8)"] == got["计算时间 computed at (北京时间 UTC+8)"]


class _Table:
    def __init__(self) -> None:
        self.headers: list[str] = []
        self.rows: list[list[str]] = []


class _Tables(HTMLParser):
    """The page's tables as text: header cells of the first row, then the body rows' cells."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[_Table] = []
        self._cell: list[str] | None = None
        self._row: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append(_Table())
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(("th:" if tag == "th" else "") + "".join(self._cell))
            self._cell = None
        elif tag == "tr" and self.tables:
            table = self.tables[-1]
            if all(c.startswith("th:") for c in self._row) and not table.rows and not table.headers:
                table.headers = [c[3:] for c in self._row]
            else:
                table.rows.append([c.removeprefix("th:") for c in self._row])


def _tables(page: str) -> list[_Table]:
    parser = _Tables()
    parser.feed(page)  # the maps are their own documents, escaped in srcdoc attributes: no tables seen
    return parser.tables


def test_html_tables_read_as_planners_expect(hostile_run, siting):
    result, sites = siting
    page = report_html(hostile_run, sites=sites, siting=result, nonce=None)
    outside_map = page.split("<iframe", 1)[0]
    assert "<script>window.__xss" not in outside_map and "&lt;/script&gt;&lt;script&gt;" in outside_map
    assert not any(raw in outside_map for raw in RAW)
    (params, indicators, coverage, *shortfalls, villages, zones, cemeteries, burials, comparison,
     proposed) = _tables(page)
    assert len(shortfalls) == 2
    assert villages.headers[2].startswith("聚落类型") and zones.headers[0].startswith("类别")
    assert cemeteries.headers[1].startswith("状态") and burials.headers[0].startswith("年份")
    assert comparison.headers[0].startswith("方法") and proposed.headers[0].startswith("序号")
    assert len(params.rows) == 11 and all(CHINESE_FIRST.match(name) for name, _ in params.rows), params.rows
    for table in (indicators, coverage, *shortfalls, villages, zones, cemeteries, burials, comparison, proposed):
        assert all(CHINESE_FIRST.match(h) and "_" not in h for h in table.headers), table.headers
        for row in table.rows:
            for header, cell in zip(table.headers, row, strict=True):
                if header.startswith(COUNT_HEADERS):
                    assert WHOLE.match(cell) or cell == "—", (header, cell)
                if "(m²)" in header:
                    assert TENTHS.match(cell) or cell == "—", (header, cell)
    assert coverage.headers[:3] == ["名称 name", "层级 level", "户数 households"]
    district = coverage.rows[0]
    assert district[1] == "区 district" and district[0] == "新城区"
    share = dict(zip(coverage.headers, district, strict=True))["户数覆盖率 share of households covered (%)"]
    covered, households = (int(district[i].replace(",", "")) for i in (3, 2))
    assert share == f"{100 * covered / households:.1f}"
    notes = [row[-1] for row in indicators.rows if row[-1] != "—"]
    assert notes and all(CHINESE_FIRST.match(n) for n in notes), notes
    assert "shortfall_per100_m2" not in page and "(l." not in page
    lon = dict(zip(proposed.headers, proposed.rows[0], strict=True))["经度 longitude"]
    assert re.fullmatch(r"1\d\d\.\d{6}", lon), lon


def test_report_opens_in_chromium_with_no_error_offline(hostile_run, siting, tmp_path):
    """The file the CLI writes, opened with no network: no script error, no failed request, no
    stored script run; screenshots at desktop and phone sizes in test-artifacts/."""
    result, sites = siting
    path = tmp_path / "plan.html"
    path.write_text(report_html(hostile_run, sites=sites, siting=result, nonce=None), encoding="utf-8")
    for size, (width, height) in {"desktop": (1280, 900), "phone": (390, 844)}.items():
        browser = Chromium(width=width, height=height, extra_flags=OFFLINE)
        try:
            for domain in ("Network", "Log", "Runtime"):
                browser.send(f"{domain}.enable")
            browser.open(path.as_uri(), {})
            state = json.loads(browser.run("JSON.stringify({xss: window.__xss === undefined ? null : 1, "
                                           "tables: document.querySelectorAll('table').length, "
                                           "frames: document.querySelectorAll('iframe').length})"))
            assert state == {"xss": None, "tables": 11, "frames": 2}, state  # the coverage and ban-zone maps
            for session in browser.frames():
                assert browser.run("window.__xss === undefined", session) is True
            assert browser.problems() == []
            failed = [e["params"] for e in browser.events if e.get("method") == "Network.loadingFailed"]
            assert failed == []
            shot = browser.send("Page.captureScreenshot", format="png")["data"]
            ARTIFACTS.mkdir(exist_ok=True)
            (ARTIFACTS / f"planning_report_{size}.png").write_bytes(base64.b64decode(shot))
        finally:
            browser.close()


def test_per_plate_table_opens_in_excel_in_chinese_with_codes_in_words(hostile_run, tmp_path):
    """`xincheng coverage --plates`: a UTF-8 CSV with a BOM headed 门牌编号 plate_uid …, codes as
    在用 active, distances unrounded; the XLSX has the same headers and cells, the JSON the same cells
    under the field names."""
    from pathlib import Path

    import pandas as pd

    from api.cli.output import write_table
    from api.cli.planning import _for_readers, _per_plate

    frame = _per_plate(hostile_run).iloc[::10].reset_index(drop=True)  # 3,500 plates: openpyxl writes slowly
    written = {suffix: write_table(_for_readers(frame, Path(f"p{suffix}")), tmp_path / f"p{suffix}",
                                   parameters={"minutes": 15})[0] for suffix in (".csv", ".xlsx", ".json")}
    raw = written[".csv"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    csv = pd.read_csv(written[".csv"], encoding="utf-8-sig", dtype={"社区代码 community_code": str})
    assert list(csv.columns)[:6] == ["门牌编号 plate_uid", "地址 address", "社区代码 community_code", "社区 community",
                                     "门牌状态 plate_status", "覆盖状态 coverage_status"]
    assert all(CHINESE_FIRST.match(c) for c in csv.columns) and "路网步行距离 (米) distance_m" in csv.columns
    assert set(csv["门牌状态 plate_status"]) == {"在用 active"}
    status = csv["覆盖状态 coverage_status"]
    assert set(status) <= {"15分钟内可达 covered", "超出步行范围 beyond", "无路可达 unreachable", "离路过远 unattached"}
    assert (status == "15分钟内可达 covered").sum() == (frame["coverage_status"] == "covered").sum() > 0
    kinds = set(csv["设施类型 facility_kind"].dropna())
    assert kinds and all(CHINESE_FIRST.match(k) and k.split()[-1] in ("elder_care_station",
                                                                      "comprehensive_elder_care_centre") for k in kinds)
    distance = csv["路网步行距离 (米) distance_m"].to_numpy()
    assert np.array_equal(distance, frame["distance_m"].to_numpy(), equal_nan=True)  # unrounded, as computed
    assert (distance[np.isfinite(distance)] % 1 != 0).any()
    xlsx = pd.read_excel(written[".xlsx"], sheet_name=0, dtype={"社区代码 community_code": str})
    assert list(xlsx.columns) == list(csv.columns)
    assert xlsx["覆盖状态 coverage_status"].tolist() == csv["覆盖状态 coverage_status"].tolist()
    body = json.loads(written[".json"].read_text(encoding="utf-8"))
    assert body["rows"][0]["plate_status"] == "在用 active" and body["columns"]["plate_uid"].startswith("门牌编号")
    assert [r["coverage_status"] for r in body["rows"]] == csv["覆盖状态 coverage_status"].tolist()
