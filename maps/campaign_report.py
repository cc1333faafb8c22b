"""Inspection campaign reports: per-line summary, the repair list, a map by condition; HTML, XLSX and
the archive package the boundary rules ask for (records, registration table, photos, report; BM-07)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from geo.boundaries.inspections import campaign_material, latest_by_marker
from geo.boundaries.reference_objects import reference_objects
from geo.boundaries.repairs import repairs_for_requests
from geo.messages import beijing_time, catalogue, text, zh
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
    lines = pd.DataFrame(summary, columns=list(SUMMARY_COLUMNS)).rename(columns=SUMMARY_COLUMNS)
    return render("campaign_report.html", campaign=campaign, summary=lines,
                  repairs=repairs, document=page_html(map_, nonce))


# What a surveyor reads: Chinese first, the field's name beside it (as the repair list does).
SUMMARY_COLUMNS = {"line_code": "界线编号 line", "markers": "界桩数 markers", "inspected": "已检查 inspected",
                   "missing": "丢失 missing", "damaged": "损坏 damaged", "displaced": "移位 displaced",
                   "conflicts": "记录有分歧 conflicts", "not_visited": "未检 not visited"}
RECORD_COLUMNS = ("记录编号 record", "界桩编号 marker", "界线 line", "检查时间 observed at", "检查人 inspector",
                  "小组 team", "状况 condition", "处置 action", "位移 m displacement", "定位精度 m accuracy",
                  "定位次数 fixes", "判定 judged", "定位来源 position source", "定位说明 position detail",
                  "经度 lon", "纬度 lat", "记录有分歧 conflict", "参与方 parties", "备注 remarks",
                  "客户端编号 client id")
MARKER_COLUMNS = ("界桩编号 marker", "界线 line", "序号 seq", "类型 type", "类型代码 type code", "管理方 managed by",
                  "经度 lon", "纬度 lat", "高程 m elevation", "坐标来源 coordinates from", "材质 material",
                  "埋设日期 installed on", "状态 status", "方位物 reference objects")
REFERENCE_COLUMNS = ("界桩编号 marker", "方位物 object", "方位角 ° bearing", "距离 m distance", "说明 description")


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _when(value: Any) -> Any:
    """A stored moment as the surveyor reads it, in Beijing time (a record at 01:05 Beijing is not the day before)."""
    return beijing_time(value) if isinstance(value, datetime) else value


def _choice(prefix: str, code: str | None) -> str | None:
    """Return a coded value as "损坏 damaged" (the field page's labels), or the code when unlabelled."""
    return None if code is None else f"{zh(f'{prefix}_{code}')} {code}" if f"{prefix}_{code}" in catalogue() else code


def records_table(records: list[dict[str, Any]], markers_by_id: Mapping[int, Mapping[str, Any]]) -> pd.DataFrame:
    """Return the campaign's field records as a surveyor reads them: marker number (not its row id),
    condition and judgement in words, where each position came from, Chinese-first headers."""
    rows = []
    for r in sorted(records, key=lambda r: r["id"]):
        marker = markers_by_id.get(r["marker_id"], {})
        g = r.get("geometry")
        source = r.get("position_source")
        rows.append(dict(zip(RECORD_COLUMNS, (
            r["id"], marker.get("marker_no", r["marker_id"]), marker.get("line_code"), _when(r.get("observed_at")),
            r.get("inspector"), r.get("team"), _choice("field.condition", r.get("condition")),
            _choice("field.action", r.get("action")), r.get("displacement_m"), r.get("gnss_accuracy_m"),
            r.get("fixes"), _choice("field.judged", r.get("classification")),
            f"{zh(f'field_offline.source_{source}')} {source}" if source else zh("field_offline.source_none"),
            r.get("position_detail"), None if g is None else g.x, None if g is None else g.y, bool(r.get("conflict")),
            ", ".join(json.loads(r.get("party_adcodes") or "[]")), r.get("remarks"), r.get("client_id")),
            strict=True)))
    return pd.DataFrame(rows, columns=list(RECORD_COLUMNS))


def _reference_text(objects: list[dict[str, Any]]) -> str | None:
    """Return a marker's reference objects in one cell: "电杆 45.0° 12.3 m；…"."""
    return "；".join(f"{o['name']} {o['bearing_deg']:.1f}° {o['distance_m']:.1f} m"
                    + (f"（{o['description']}）" if o.get("description") else "") for o in objects) or None


def marker_table(markers: list[dict[str, Any]], references: Mapping[str, list[dict[str, Any]]]) -> pd.DataFrame:
    """Return the marker registration table: position, elevation, where the coordinates came from and
    the reference objects (方位物) a team finds each marker by, Chinese-first headers."""
    rows = []
    for m in sorted(markers, key=lambda m: (m.get("line_code") or "", m.get("seq") or 0, m["marker_no"])):
        g = m.get("geometry")
        rows.append(dict(zip(MARKER_COLUMNS, (
            m["marker_no"], m.get("line_code"), m.get("seq"), m.get("marker_type"), m.get("type_code"),
            m.get("managing_adcode"), None if g is None else g.x, None if g is None else g.y, m.get("elevation_m"),
            m.get("coordinate_source"), m.get("material"), _iso(m.get("installed_on")), m.get("status"),
            _reference_text(references.get(m["marker_no"], []))), strict=True)))
    return pd.DataFrame(rows, columns=list(MARKER_COLUMNS))


def reference_table(references: Mapping[str, list[dict[str, Any]]]) -> pd.DataFrame:
    """Return every reference object of the campaign's markers, one a row (bearing from grid north, metres)."""
    rows = [dict(zip(REFERENCE_COLUMNS, (number, o["name"], o["bearing_deg"], o["distance_m"], o.get("description")),
                     strict=True))
            for number in sorted(references) for o in references[number]]
    return pd.DataFrame(rows, columns=list(REFERENCE_COLUMNS))


def report_xlsx(summary: list[dict[str, Any]], records: pd.DataFrame, repairs: pd.DataFrame,
                markers: pd.DataFrame | None = None) -> bytes:
    """Return the report workbook: per-line summary, records (:func:`records_table`), repair list, and the
    marker registration table with reference objects (:func:`marker_table`) when given."""
    out = io.BytesIO()
    lines = pd.DataFrame(summary, columns=list(SUMMARY_COLUMNS)).rename(columns=SUMMARY_COLUMNS)
    with pd.ExcelWriter(out) as xw:  # remarks and names are typed by people: no live formulas
        formula_safe(lines).to_excel(xw, sheet_name="各界线 per line", index=False)
        formula_safe(records).to_excel(xw, sheet_name="检查记录 records", index=False)
        formula_safe(repairs).to_excel(xw, sheet_name="维修清单 repairs", index=False)
        if markers is not None:
            formula_safe(markers).to_excel(xw, sheet_name="界桩登记 markers", index=False)
    return out.getvalue()


def _table_csv(table: pd.DataFrame) -> bytes:
    """Return a table as CSV (UTF-8 with BOM, for Excel), no live formulas."""
    return formula_safe(table).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")  # RFC 4180


def _csv(rows: list[dict[str, Any]], markers_by_id: Mapping[int, Mapping[str, Any]] | None = None) -> bytes:
    """Return records as CSV (UTF-8 with BOM, for Excel) with lon/lat columns, no live formulas.

    The stored field names stay (records.csv is the machine-readable copy; the workbook's records
    sheet is the one to read), with the marker's number beside its row id."""
    def flat(r: dict[str, Any]) -> dict[str, Any]:
        g = r.get("geometry")
        out = {k: v for k, v in r.items() if k != "geometry"}
        if markers_by_id is not None:
            out["marker_no"] = markers_by_id.get(r["marker_id"], {}).get("marker_no")
        return out | {"lon": g.x if g is not None else None, "lat": g.y if g is not None else None}

    return _table_csv(pd.DataFrame([flat(r) for r in rows]))


def archive_zip(campaign: dict[str, Any], markers: list[dict[str, Any]], records: list[dict[str, Any]],
                photos: list[dict[str, Any]], report: str, workbook: bytes, *,
                references: Mapping[str, list[dict[str, Any]]] | None = None,
                markers_by_id: Mapping[int, Mapping[str, Any]] | None = None) -> bytes:
    """Return the archive package: records, registration table (with elevation and reference objects),
    the reference objects one a row, photos, report, and a checksum manifest."""
    refs = references or {}
    files: dict[str, bytes] = {
        "report.html": report.encode(), "report.xlsx": workbook,
        "records.csv": _csv(records, markers_by_id or {m["id"]: m for m in markers}),
        "marker_registration.csv": _table_csv(marker_table(markers, refs)),
        "reference_objects.csv": _table_csv(reference_table(refs)),
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
    by_id = {mk["id"]: mk for mk in m.markers}
    missing_ids = sorted({r["marker_id"] for r in m.records} - set(by_id))  # a marker decommissioned since
    if missing_ids:
        by_id |= {mk["id"]: mk for mk in store.select("boundary_markers", where={"id": missing_ids})}
    references = {mk["marker_no"]: found for mk in m.markers if (found := reference_objects(store, mk["marker_no"]))}
    workbook = report_xlsx(m.summary, records_table(m.records, by_id), repairs, marker_table(m.markers, references))
    if fmt == "xlsx":
        return workbook, XLSX, f"campaign_{campaign_id}_report.xlsx"
    ids = {r["id"] for r in m.records}
    photos = [p for p in store.select("inspection_photos") if p["inspection_id"] in ids]
    return (archive_zip(m.campaign, m.markers, m.records, photos, page, workbook, references=references,
                        markers_by_id=by_id), "application/zip", f"campaign_{campaign_id}_archive.zip")
