"""Inspection campaign reports: per-line summary, the repair list, a map by condition; HTML, XLSX and
the archive package the boundary rules ask for (records, registration table, photos, report; BM-07)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from geo.boundaries.inspections import campaign_material, latest_by_marker
from geo.boundaries.repairs import repairs_for_requests
from geo.messages import text
from geo.spreadsheet import formula_safe
from geo.store import Store
from maps.csp import FROM_CONTEXT, page_html
from maps.labels import legend_text
from maps.layers import (
    NOT_AUTHORITATIVE,
    Basemap,
    add_legend,
    add_notice,
    base_map,
    lines_layer,
    tooltip_layer,
)
from maps.templating import render
from maps.view import finish, titled

COLOURS = {"intact": "#1a9850", "damaged": "#fc8d59", "displaced": "#d73027", "missing": "#7b3294",
           "buried": "#8c510a", "not_visited": "#999999"}
LABELS = {"intact": "完好 intact", "damaged": "损坏 damaged", "displaced": "移位 displaced",
          "missing": "丢失 missing", "buried": "掩埋 buried", "not_visited": "未检 not visited"}
# Drawn bottom to top: markers still to visit under the recorded ones, and those that need action
# (damaged, buried, missing, displaced) on top, so a grey dot never hides a marker needing repair.
REPORT_FORMATS = ("html", "xlsx", "zip")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DRAW_ORDER = ("not_visited", "intact", "buried", "damaged", "missing", "displaced")


def repair_list(markers: list[dict[str, Any]], records: list[dict[str, Any]],
                done: Mapping[int, Mapping[str, Any]] | None = None) -> pd.DataFrame:
    """Return the markers the team must repair or re-set: damaged, missing, buried or displaced.

    ``done`` maps a repair request (field record id) to the repair that closed it (BM-03,
    geo.boundaries.repairs.repairs_for_requests): such a marker shows the repair's date and both sides'
    representatives in the 已修复 column.
    """
    latest = latest_by_marker(records)
    fixed = {r["marker_id"]: done[r["id"]] for r in sorted(records, key=lambda r: r["id"]) if done and r["id"] in done}
    rows = []
    for m in markers:
        r = latest.get(m["id"])
        if r and (r["condition"] in ("damaged", "missing", "buried", "displaced")
                  or r["classification"] == "displaced"):
            rows.append({"界桩编号 marker": m["marker_no"], "界线 line": m["line_code"],
                         "状况 condition": r["condition"],
                         "位移 m displacement": r["displacement_m"], "管理方 managed by": m.get("managing_adcode"),
                         "备注 remarks": r.get("remarks"), "冲突 conflict": bool(r.get("conflict")),
                         "已修复 repaired": _repaired(fixed.get(m["id"]))})
    return pd.DataFrame(rows, columns=["界桩编号 marker", "界线 line", "状况 condition", "位移 m displacement",
                                       "管理方 managed by", "备注 remarks", "冲突 conflict", "已修复 repaired"])


def _repaired(repair: Mapping[str, Any] | None) -> str | None:
    """Return a repair as the repair list shows it: date, both sides' representatives, re-set or not."""
    if repair is None:
        return None
    reset = "，重新埋设 re-set" if repair.get("reset") else ""
    return (f"{repair['repaired_on']} 已修复 done（{repair['our_representative']} / "
            f"{repair['neighbour_representative']}{reset}）")


def condition_map(markers: list[dict[str, Any]], records: list[dict[str, Any]],
                  lines: gpd.GeoDataFrame, basemap: Basemap | None = None) -> folium.Map:
    """Return a map of the campaign's markers coloured by their latest condition."""
    latest = latest_by_marker(records)
    m = base_map(lines, basemap)
    lines_layer(lines, m, name="界线 Boundary lines", color="#1f4e79", fields=("name",))
    by_state: dict[str, list[dict[str, Any]]] = {k: [] for k in LABELS}
    for mk in markers:
        r = latest.get(mk["id"])
        by_state[r["condition"] if r else "not_visited"].append(mk)
    for state in DRAW_ORDER:  # a layer per condition; marker numbers go as JSON data
        label = LABELS[state]
        group = folium.FeatureGroup(name=label)
        if by_state[state]:
            points = gpd.GeoDataFrame(geometry=[mk["geometry"] for mk in by_state[state]],
                                      crs="EPSG:4490")
            tooltip_layer(points, [f"{mk['marker_no']} · {label}" for mk in by_state[state]], group,
                          name=None, color=COLOURS[state], radius=6, fill_opacity=0.9)
        group.add_to(m)
    add_notice(m, NOT_AUTHORITATIVE)
    titled(m, text("map_nav.title.markers"))
    add_legend(m, [("#1f4e79", legend_text("lines"), "line")]
               + [(COLOURS[k], v, "dot") for k, v in LABELS.items()], title="图例：界桩状况 Legend: marker condition")
    return finish(m)


def report_html(campaign: dict[str, Any], summary: list[dict[str, Any]], repairs: pd.DataFrame,
                map_: folium.Map, *, nonce=FROM_CONTEXT) -> str:
    """Return the campaign report page (maps/templates/campaign_report.html, autoescaped); the
    framed map's scripts carry ``nonce`` (maps/csp.py; by default the current response's)."""
    return render("campaign_report.html", campaign=campaign, summary=pd.DataFrame(summary),
                  repairs=repairs, document=page_html(map_, nonce))


def report_xlsx(summary: list[dict[str, Any]], records: list[dict[str, Any]], repairs: pd.DataFrame) -> bytes:
    """Return the report workbook: per-line summary, records, repair list."""
    out = io.BytesIO()
    recs = pd.DataFrame([{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items() if k != "geometry"}
                         for r in records])
    with pd.ExcelWriter(out) as xw:  # remarks and names are typed by people: no live formulas
        formula_safe(pd.DataFrame(summary)).to_excel(xw, sheet_name="各界线 per line",
                                                     index=False)
        formula_safe(recs).to_excel(xw, sheet_name="检查记录 records", index=False)
        formula_safe(repairs).to_excel(xw, sheet_name="维修清单 repairs", index=False)
    return out.getvalue()


def _csv(rows: list[dict[str, Any]]) -> bytes:
    """Return records as CSV (UTF-8 with BOM, for Excel) with lon/lat columns, no live formulas."""
    def flat(r: dict[str, Any]) -> dict[str, Any]:
        g = r.get("geometry")
        return {k: v for k, v in r.items() if k != "geometry"} | {
            "lon": g.x if g is not None else None, "lat": g.y if g is not None else None}

    table = formula_safe(pd.DataFrame([flat(r) for r in rows]))
    return table.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")  # RFC 4180


def archive_zip(campaign: dict[str, Any], markers: list[dict[str, Any]], records: list[dict[str, Any]],
                photos: list[dict[str, Any]], report: str, workbook: bytes) -> bytes:
    """Return the archive package: records, registration table, photos, report, and a checksum manifest."""
    files: dict[str, bytes] = {
        "report.html": report.encode(), "report.xlsx": workbook,
        "records.csv": _csv(records), "marker_registration.csv": _csv(markers),
    }
    for p in photos:
        ext = "jpg" if p["content_type"] == "image/jpeg" else "png"
        files[f"photos/{p['inspection_id']}_{p['sha256'][:12]}.{ext}"] = bytes(p["data"])
    manifest = {"campaign": campaign["name"], "crs": "EPSG:4490",
                "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())}}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
        zf.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
    return buf.getvalue()


def campaign_report_file(store: Store, campaign_id: int, fmt: str) -> tuple[bytes, str, str]:
    """Return a campaign's report as ``fmt`` (one of :data:`REPORT_FORMATS`): its bytes, media type
    and file name. The page (html), the workbook (xlsx) or the archive package (zip: records,
    registration table, photos, report); the one source of the API's and the pages' report files."""
    if fmt not in REPORT_FORMATS:
        raise ValueError(f"campaign report format {fmt!r} is not one of {REPORT_FORMATS}")
    m = campaign_material(store, campaign_id)
    repairs = repair_list(m.markers, m.records, repairs_for_requests(store, [r["id"] for r in m.records]))
    page = report_html(m.campaign, m.summary, repairs, condition_map(m.markers, m.records, m.lines))
    if fmt == "html":
        return page.encode("utf-8"), "text/html; charset=utf-8", f"campaign_{campaign_id}_report.html"
    workbook = report_xlsx(m.summary, m.records, repairs)
    if fmt == "xlsx":
        return workbook, XLSX, f"campaign_{campaign_id}_report.xlsx"
    ids = {r["id"] for r in m.records}
    photos = [p for p in store.select("inspection_photos") if p["inspection_id"] in ids]
    return (archive_zip(m.campaign, m.markers, m.records, photos, page, workbook), "application/zip",
            f"campaign_{campaign_id}_archive.zip")
