"""The planning report: indicators, coverage and floor-area tables, maps; as HTML and as XLSX."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from geo.floor_area import NORMS, shortfalls
from maps.coverage_map import planning_map

_CSS = """body{font-family:"Noto Sans CJK SC","Noto Sans",sans-serif;margin:1.5em;max-width:1200px}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;font-size:14px}
th{background:#f0f4f8}.met{color:#1a7f37}.unmet{color:#b42318}.note{color:#555;font-size:13px}
iframe{border:1px solid #ccc}"""


def _fmt(v, digits: int = 1) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "—"
    if isinstance(v, bool):
        return "是 yes" if v else "否 no"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return html.escape(str(v))


def indicators_frame(run) -> pd.DataFrame:
    """Return the indicators as a table (for XLSX and HTML)."""
    return pd.DataFrame([{"序号 No.": i.number, "指标 Indicator": f"{i.name_zh} {i.name_en}", "单位 Unit": i.unit,
                          "2020": i.value_2020, "2025 目标 target": i.target_text, "约束性 binding": i.binding,
                          "当前 current": None if i.current is None else round(i.current, 1),
                          "达标 met": i.met, "说明 note": i.note} for i in run.indicators])


def _table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{_fmt(v)}</td>" for v in row) + "</tr>"
                   for row in frame.itertuples(index=False))
    return f"<table><tr>{head}</tr>{body}</table>"


def coverage_frame(run) -> pd.DataFrame:
    """Return coverage per sub-district and the district, for the report."""
    c = run.coverage[run.coverage["level"].isin(["district", "subdistrict", "town"])]
    return pd.DataFrame({"单位 Unit": c["name"], "户数 Households": c["households"],
                         "覆盖户数 Covered": c["covered_households"],
                         "覆盖率 Share %": 100 * c["household_share"],
                         "60岁以上覆盖率 60+ share %": 100 * c["share_60plus"]})


def report_html(run, *, sites=None, areas=None, siting=None, basemap=None) -> str:
    """Return the whole report as one HTML page (maps embedded; no external tiles)."""
    parts = [f"<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>新城区民政规划指标报告</title>"
             f"<style>{_CSS}</style></head><body>",
             "<h1>新城区“十四五”民政指标与一刻钟养老服务圈 · Plan indicators and 15-minute elder care</h1>",
             f"<p class='note'>步行参数 Walking parameters (FA-01): {html.escape(run.params.describe())}. "
             "样例数据为生成数据 · sample data are generated. 界线示意，非权威界线 · boundaries not authoritative.</p>",
             "<h2>规划指标 Indicators</h2>", _table(indicators_frame(run)),
             "<h2>一刻钟覆盖 15-minute coverage</h2>", _table(coverage_frame(run))]
    if run.unattached_facilities:
        parts.append(f"<p class='unmet'>离路过远、无法步行到达的设施 Facilities too far from a street: "
                     f"{', '.join(map(str, run.unattached_facilities))}</p>")
    for key, norm in NORMS.items():
        short = shortfalls(run.floor[key])
        parts.append(f"<h2>{html.escape(norm.title)} — 不达标社区 communities short of the norm "
                     f"({norm.per100_m2:g} m²/100户{'' if norm.min_total_m2 is None else f', ≥{norm.min_total_m2:g} m²'})"
                     f": {len(short)}</h2>")
        parts.append(_table(short[["name", "households", "floor_area_m2", "per100_m2", "shortfall_per100_m2",
                                   "shortfall_total_m2"]].head(40)))
    if siting is not None:
        parts.append(f"<h2>建议新站点 Proposed stations</h2><p>覆盖率 share {100 * siting.share_before:.1f}% → "
                     f"{100 * siting.share_after:.1f}% ({siting.candidates} candidates)</p>")
        parts.append(_table(siting.chosen))
    parts.append("<h2>地图 Map</h2>")
    parts.append(planning_map(run, sites=sites, areas=areas, basemap=basemap)._repr_html_())
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report_xlsx(run, path: Path | str, *, siting=None) -> Path:
    """Write indicators, coverage, floor area, shortfalls and uncovered plates to one workbook."""
    path = Path(path)
    plates = run.inputs.plates
    uncovered = run.access[run.access["status"] != "covered"]
    with pd.ExcelWriter(path) as xw:
        indicators_frame(run).to_excel(xw, sheet_name="指标 indicators", index=False)
        run.coverage.to_excel(xw, sheet_name="覆盖 coverage", index=False)
        for key in NORMS:
            run.floor[key].to_excel(xw, sheet_name=f"面积 {key}"[:31], index=False)
        pd.DataFrame({"plate_uid": plates.loc[uncovered["plate_index"], "plate_uid"].to_numpy(),
                      "street_name": plates.loc[uncovered["plate_index"], "street_name"].to_numpy(),
                      "number": plates.loc[uncovered["plate_index"], "number"].to_numpy(),
                      "status": uncovered["status"].to_numpy(), "distance_m": uncovered["distance_m"].to_numpy()}
                     ).to_excel(xw, sheet_name="未覆盖 uncovered", index=False)
        pd.DataFrame({"parameter": ["minutes", "speed_m_per_s", "reach_m", "max_attach_m"],
                      "value": [run.params.minutes, run.params.speed_m_per_s, run.params.reach_m,
                                run.params.max_attach_m]}).to_excel(xw, sheet_name="参数 parameters", index=False)
        if siting is not None:
            siting.chosen.to_excel(xw, sheet_name="选址 siting", index=False)
    return path
