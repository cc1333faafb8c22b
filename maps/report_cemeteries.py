"""The planning report's section on cemeteries and burial (CM-01, CM-02), as HTML and as XLSX sheets.

From one planning run: the ban zones by class (buffer, basis, source), every public-welfare burial
facility with its status, dates and site check, the plot types over their CM-02 limit, the burial
statistics per year (district totals: cremation and eco-burial rates), and the ban-zone map.
Headers are Chinese first with English beside; codes are shown in words.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from geo.messages import value_label
from geo.planning.ban_zone_settings import basis_text, load_ban_zone_settings
from geo.planning.burial import COUNTS, over_limit
from geo.planning.cemeteries import check_site

ZONE_HEADERS = {"kind": "类别 class", "count": "数量 zones", "buffer_m": "缓冲 buffer (m)",
                "basis": "依据 basis", "rule_source": "出处 source"}
FACILITY_HEADERS = {"name": "名称 name", "status": "状态 status", "opened_on": "启用 opened",
                    "planned_open_on": "计划启用 planned opening", "eco_burial": "节地生态 eco",
                    "site_check": "选址检查 site check (CM-01)"}
STATS_HEADERS = {"year": "年份 year", "deaths": "死亡 deaths", "cremations": "火化 cremations",
                 "cremation_rate": "火化率 cremation rate (%)", "burials": "安葬 burials",
                 "eco_burials": "生态安葬 eco burials", "eco_rate": "生态安葬率 eco-burial rate (%)"}
SHEETS = {"zones": "禁葬区 ban zones", "cemeteries": "公墓 cemeteries", "burial": "殡葬统计 burial statistics"}


def _yes_no(value: Any) -> str:
    return {True: "是 yes", False: "否 no"}.get(None if value is None or value != value else bool(value), "—")


def zones_frame(run: Any) -> pd.DataFrame:
    """Return the ban zones by class: how many, buffer, basis and the rule's source."""
    z = run.zones
    if z.empty:
        return pd.DataFrame(columns=list(ZONE_HEADERS.values()))
    rows = [{"kind": str(value_label(kind, field="kind")), "count": len(g), "buffer_m": float(buffer_m),
             "basis": basis_text(basis), "rule_source": g["rule_source"].iloc[0]}
            for (kind, buffer_m, basis), g in z.groupby(["kind", "buffer_m", "basis"], sort=False)]
    return pd.DataFrame(rows, columns=list(ZONE_HEADERS)).rename(columns=ZONE_HEADERS)


def cemeteries(run: Any) -> pd.DataFrame:
    """Return every public-welfare burial facility, whatever its status."""
    every = run.inputs.all_facilities if run.inputs.all_facilities is not None else run.inputs.facilities
    return every[every["kind"] == "public_cemetery"].reset_index(drop=True)


def cemeteries_frame(run: Any) -> pd.DataFrame:
    """Return the burial facilities with status, dates, eco and the zones each site touches."""
    rows = []
    for r in cemeteries(run).to_dict("records"):
        hits = check_site(r["geometry"], run.zones) if r.get("geometry") is not None else []
        check = "—" if r.get("geometry") is None else (
            "不在禁葬区 outside every zone" if not hits else "；".join(str(h["zone"]).split(" · ")[0] for h in hits))
        rows.append({"name": r["name"], "status": str(value_label(r.get("status"))),
                     "opened_on": r.get("opened_on"), "planned_open_on": r.get("planned_open_on"),
                     "eco_burial": _yes_no(r.get("eco_burial")), "site_check": check})
    return pd.DataFrame(rows, columns=list(FACILITY_HEADERS)).rename(columns=FACILITY_HEADERS)


def statistics_frame(run: Any) -> pd.DataFrame:
    """Return the burial statistics summed per year, with the cremation and eco-burial rates."""
    stats = run.inputs.burial_statistics
    if stats is None or stats.empty:
        return pd.DataFrame(columns=list(STATS_HEADERS.values()))
    district = stats[stats["unit_code"].astype(str).str.endswith("000000")]
    parts = stats[~stats.index.isin(district.index)]
    years = sorted(set(stats["year"]))
    rows = []
    for year in years:
        chosen = district[district["year"] == year]
        chosen = chosen if len(chosen) else parts[parts["year"] == year]
        sums = {c: int(chosen[c].fillna(0).sum()) for c in COUNTS}
        rows.append({"year": str(int(year)), **sums,  # a year, not a count: no thousands separator
                     "cremation_rate": round(100 * sums["cremations"] / sums["deaths"], 1) if sums["deaths"] else None,
                     "eco_rate": round(100 * sums["eco_burials"] / sums["burials"], 1) if sums["burials"] else None})
    return pd.DataFrame(rows, columns=list(STATS_HEADERS)).rename(columns=STATS_HEADERS)


def cemetery_sections(run: Any, *, with_map: bool = True, basemap: Any = None, nonce: str | None = None
                      ) -> dict[str, Any]:
    """Return what the template ``cemetery_section.html`` shows (tables, CM-02 problems, the map page)."""
    plots = run.inputs.plot_types
    over = [] if plots is None or plots.empty else over_limit(plots, cemeteries(run), load_ban_zone_settings())
    out: dict[str, Any] = {"zones": zones_frame(run), "cemeteries": cemeteries_frame(run),
                           "statistics": statistics_frame(run), "over_limit": [o["message"] for o in over],
                           "document": None}
    if with_map:
        from maps.ban_zones import ban_zone_map
        from maps.csp import page_html

        out["document"] = page_html(ban_zone_map(run.zones, run.inputs.units, cemeteries=cemeteries(run),
                                                 basemap=basemap), nonce)
    return out


def cemetery_sheets(run: Any) -> dict[str, pd.DataFrame]:
    """Return the section's tables as workbook sheets (title → frame)."""
    return {SHEETS["zones"]: zones_frame(run), SHEETS["cemeteries"]: cemeteries_frame(run),
            SHEETS["burial"]: statistics_frame(run)}
