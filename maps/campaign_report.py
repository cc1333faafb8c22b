"""Inspection campaign reports: per-line summary, the repair list, a map by condition; HTML, XLSX and
the archive package the boundary rules ask for (records, registration table, photos, report; BM-07)."""

from __future__ import annotations

import hashlib
import html
import io
import json
import zipfile
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from geo.inspections import latest_by_marker
from maps.layers import NOT_AUTHORITATIVE, Basemap, base_map, lines_layer

COLOURS = {"intact": "#1a9850", "damaged": "#fc8d59", "displaced": "#d73027", "missing": "#7b3294",
           "buried": "#8c510a", "not_visited": "#999999"}
LABELS = {"intact": "完好 intact", "damaged": "损坏 damaged", "displaced": "移位 displaced", "missing": "丢失 missing",
          "buried": "掩埋 buried", "not_visited": "未检 not visited"}


def repair_list(markers: list[dict[str, Any]], records: list[dict[str, Any]]) -> pd.DataFrame:
    """Return the markers the team must repair or re-set: damaged, missing, buried or displaced."""
    latest = latest_by_marker(records)
    rows = []
    for m in markers:
        r = latest.get(m["id"])
        if r and (r["condition"] in ("damaged", "missing", "buried", "displaced") or r["classification"] == "displaced"):
            rows.append({"界桩编号 marker": m["marker_no"], "界线 line": m["line_code"], "状况 condition": r["condition"],
                         "位移 m displacement": r["displacement_m"], "管理方 managed by": m.get("managing_adcode"),
                         "备注 remarks": r.get("remarks"), "冲突 conflict": bool(r.get("conflict"))})
    return pd.DataFrame(rows, columns=["界桩编号 marker", "界线 line", "状况 condition", "位移 m displacement",
                                       "管理方 managed by", "备注 remarks", "冲突 conflict"])


def condition_map(markers: list[dict[str, Any]], records: list[dict[str, Any]], lines: gpd.GeoDataFrame,
                  basemap: Basemap | None = None) -> folium.Map:
    """Return a map of the campaign's markers coloured by their latest condition."""
    latest = latest_by_marker(records)
    m = base_map(lines, basemap)
    lines_layer(lines, m, name="界线 Boundary lines", color="#1f4e79", fields=("name",))
    groups = {k: folium.FeatureGroup(name=v) for k, v in LABELS.items()}
    for mk in markers:
        r = latest.get(mk["id"])
        state = (r["condition"] if r else "not_visited")
        p = mk["geometry"]
        folium.CircleMarker([p.y, p.x], radius=6, color=COLOURS[state], fill=True, fill_opacity=0.9,
                            tooltip=f"{mk['marker_no']} · {LABELS[state]}").add_to(groups[state])
    for g in groups.values():
        g.add_to(m)
    m.get_root().html.add_child(folium.Element(
        f"<div style='position:fixed;bottom:8px;left:8px;z-index:1000;background:#fff;padding:2px 6px;"
        f"font-size:12px'>{NOT_AUTHORITATIVE}</div>"))
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def report_html(campaign: dict[str, Any], summary: list[dict[str, Any]], repairs: pd.DataFrame,
                map_: folium.Map) -> str:
    """Return the campaign report page."""
    def table(frame: pd.DataFrame) -> str:
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
        rows = "".join("<tr>" + "".join(f"<td>{html.escape('' if v is None else str(v))}</td>" for v in row) + "</tr>"
                       for row in frame.itertuples(index=False))
        return f"<table border='1' cellpadding='4' style='border-collapse:collapse'><tr>{head}</tr>{rows}</table>"

    return (f"<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>{html.escape(campaign['name'])}</title>"
            f"</head><body style='font-family:\"Noto Sans CJK SC\",sans-serif;margin:1.5em'>"
            f"<h1>{html.escape(campaign['name'])} <small>联检报告 Joint inspection report</small></h1>"
            f"<p>类型 type: {html.escape(str(campaign.get('campaign_type')))} · 状态 status: "
            f"{html.escape(str(campaign.get('status')))} · 要求精度 required accuracy: "
            f"{campaign.get('required_accuracy_m')} m</p><h2>各界线 Per line</h2>{table(pd.DataFrame(summary))}"
            f"<h2>维修清单 Repair list ({len(repairs)})</h2>{table(repairs)}<h2>地图 Map</h2>{map_._repr_html_()}"
            f"</body></html>")


def report_xlsx(summary: list[dict[str, Any]], records: list[dict[str, Any]], repairs: pd.DataFrame) -> bytes:
    """Return the report workbook: per-line summary, records, repair list."""
    out = io.BytesIO()
    recs = pd.DataFrame([{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items() if k != "geometry"}
                         for r in records])
    with pd.ExcelWriter(out) as xw:
        pd.DataFrame(summary).to_excel(xw, sheet_name="各界线 per line", index=False)
        recs.to_excel(xw, sheet_name="检查记录 records", index=False)
        repairs.to_excel(xw, sheet_name="维修清单 repairs", index=False)
    return out.getvalue()


def archive_zip(campaign: dict[str, Any], markers: list[dict[str, Any]], records: list[dict[str, Any]],
                photos: list[dict[str, Any]], report: str, workbook: bytes) -> bytes:
    """Return the archive package: records, registration table, photos, report, and a checksum manifest."""
    files: dict[str, bytes] = {
        "report.html": report.encode(), "report.xlsx": workbook,
        "records.csv": pd.DataFrame([{k: v for k, v in r.items() if k != "geometry"} | {
            "lon": r["geometry"].x if r.get("geometry") is not None else None,
            "lat": r["geometry"].y if r.get("geometry") is not None else None} for r in records]
        ).to_csv(index=False).encode("utf-8-sig"),
        "marker_registration.csv": pd.DataFrame([{k: v for k, v in m.items() if k != "geometry"} | {
            "lon": m["geometry"].x, "lat": m["geometry"].y} for m in markers]).to_csv(index=False).encode("utf-8-sig"),
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
