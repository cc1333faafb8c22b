"""The planning report: indicators, coverage and floor-area tables, maps; as HTML and as XLSX."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo.planning.floor_area import NORMS, shortfalls
from geo.spreadsheet import formula_safe
from maps.coverage_map import planning_map
from maps.csp import FROM_CONTEXT, page_html, resolve
from maps.templating import render


def _fmt(v, digits: int = 1) -> str:
    """Return a table cell's text (the page template escapes it)."""
    if v is None or (isinstance(v, float) and v != v):
        return "—"
    if isinstance(v, bool):
        return "是 yes" if v else "否 no"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return str(v)


def indicators_frame(run) -> pd.DataFrame:
    """Return the indicators as a table (for XLSX and HTML)."""
    return pd.DataFrame([{"序号 No.": i.number, "指标 Indicator": f"{i.name_zh} {i.name_en}",
                          "单位 Unit": i.unit, "2020": i.value_2020,
                          "2025 目标 target": i.target_text, "约束性 binding": i.binding,
                          "当前 current": None if i.current is None else round(i.current, 1),
                          "达标 met": i.met, "说明 note": i.note} for i in run.indicators])


def coverage_frame(run) -> pd.DataFrame:
    """Return coverage per sub-district and the district, for the report."""
    c = run.coverage[run.coverage["level"].isin(["district", "subdistrict", "town"])]
    return pd.DataFrame({"单位 Unit": c["name"], "户数 Households": c["households"],
                         "覆盖户数 Covered": c["covered_households"],
                         "覆盖率 Share %": 100 * c["household_share"],
                         "60岁以上覆盖率 60+ share %": 100 * c["share_60plus"]})


SHORTFALL_COLUMNS = ["name", "households", "floor_area_m2", "per100_m2", "shortfall_per100_m2",
                     "shortfall_total_m2"]


def report_html(run, *, sites=None, areas=None, siting=None, basemap=None, nonce=FROM_CONTEXT) -> str:
    """Return the whole report as one HTML page (maps embedded; no external tiles).

    The page is maps/templates/planning_report.html, autoescaped; the map is its own document in
    a sandboxed iframe. Its style and the map's scripts carry ``nonce`` (maps/csp.py; by default the
    current response's, none in a file the CLI writes).
    """
    nonce = resolve(nonce)
    shortfall_tables = []
    for key, norm in NORMS.items():
        bound = "" if norm.min_total_m2 is None else f", ≥{norm.min_total_m2:g} m²"
        short = shortfalls(run.floor[key])
        shortfall_tables.append((norm.title, f"{norm.per100_m2:g} m²/100户{bound}", len(short),
                                 short[SHORTFALL_COLUMNS].head(40)))
    document = page_html(planning_map(run, sites=sites, areas=areas, basemap=basemap), nonce)
    return render("planning_report.html", fmt=_fmt, params=run.params.describe(), nonce=nonce,
                  indicators=indicators_frame(run), coverage=coverage_frame(run),
                  unattached=[str(f) for f in run.unattached_facilities or []],
                  shortfalls=shortfall_tables, siting=siting, document=document)


def write_report_xlsx(run, path: Path | str, *, siting=None) -> Path:
    """Write indicators, coverage, floor area, shortfalls and uncovered plates to one workbook."""
    path = Path(path)
    plates = run.inputs.plates
    uncovered = run.access[run.access["status"] != "covered"]
    with pd.ExcelWriter(path) as xw:  # every sheet through formula_safe: names are typed by people
        formula_safe(indicators_frame(run)).to_excel(xw, sheet_name="指标 indicators", index=False)
        formula_safe(run.coverage).to_excel(xw, sheet_name="覆盖 coverage", index=False)
        for key in NORMS:
            formula_safe(run.floor[key]).to_excel(xw, sheet_name=f"面积 {key}"[:31], index=False)
        formula_safe(pd.DataFrame({
                      "plate_uid": plates.loc[uncovered["plate_index"], "plate_uid"].to_numpy(),
                      "street_name": plates.loc[uncovered["plate_index"], "street_name"].to_numpy(),
                      "number": plates.loc[uncovered["plate_index"], "number"].to_numpy(),
                      "status": uncovered["status"].to_numpy(), "distance_m": uncovered["distance_m"].to_numpy()}
                     )).to_excel(xw, sheet_name="未覆盖 uncovered", index=False)
        pd.DataFrame({"parameter": ["minutes", "speed_m_per_s", "reach_m", "max_attach_m"],
                      "value": [run.params.minutes, run.params.speed_m_per_s, run.params.reach_m,
                                run.params.max_attach_m]}).to_excel(xw, sheet_name="参数 parameters", index=False)
        if siting is not None:
            formula_safe(siting.chosen).to_excel(xw, sheet_name="选址 siting", index=False)
    return path
