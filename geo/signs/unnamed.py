"""The unnamed-roads worklist (#17 item 3): street lines with no standard name in force, for naming.

A line (``streets`` rows sharing one working label) is unnamed when none of its segments is linked
to a name in force (``place_name_id`` → an ``in_force`` place name), whether it has no link, a link
to a name still in its approval (proposed … announced) or a retired one, or a label no standard
name carries. New roads and bridges (a segment above grade) arrive so. Each entry gives the length
in metres (EPSG:4546), where it lies (centre point, extent, sub-district and community) and the
link to the proposal form filled in for it ("from the street", the road class); entries come
sorted by sub-district, longest first, as an officer works through them.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from urllib.parse import urlencode

import numpy as np
import shapely

from geo import crs as C
from geo.messages import text
from geo.signs._units import units_at
from geo.store import Store

PROPOSE_PATH = "/officer/placenames/new"
ROAD_CLASS = "street"   # the gazetteer's feature class of roads (geo.placenames.locating.ROAD_CLASS)


def propose_link(label: str, *, admin_code: str | None) -> str:
    """Return the proposal form's address filled in for the road labelled ``label``."""
    query = {"feature_class": ROAD_CLASS, "loc_mode": "street", "street": label}
    if admin_code:
        query["admin_code"] = admin_code
    return f"{PROPOSE_PATH}?{urlencode(query)}"


def unnamed_roads(store: Store) -> list[dict[str, Any]]:
    """Return this district's unnamed street lines with length, location and the proposal link."""
    names = {n["id"]: n for n in store.select("place_names", where={"adcode": store.adcode})}
    by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for street in store.select("streets", where={"adcode": store.adcode}):
        if street.get("geometry") is not None and not street["geometry"].is_empty:
            by_label[street["name"]].append(street)
    in_force_labels = {n["standard_name"] for n in names.values() if n.get("status") == "in_force"
                       and n.get("feature_class") == ROAD_CLASS}
    entries = []
    for label, segments in by_label.items():
        linked = [names.get(s.get("place_name_id")) for s in segments]
        if any(n is not None and n.get("status") == "in_force" for n in linked):
            continue
        if label in in_force_labels and all(s.get("place_name_id") is None for s in segments):
            continue  # carries a name in force, only not linked yet (link_streets does it)
        pending = next((n for n in linked if n is not None), None)
        if pending is not None:
            reason = text("signs.unnamed.not_in_force", name=pending["standard_name"], status=pending["status"])
        elif any(n.get("standard_name") == label for n in names.values()):
            reason = text("signs.unnamed.not_in_force", name=label, status="—")
        else:
            reason = text("signs.unnamed.no_name")
        metric = C.to_metric(np.asarray([s["geometry"] for s in segments], dtype=object))
        merged = shapely.line_merge(shapely.union_all(metric))
        centre_m = merged.interpolate(0.5, normalized=True) if merged.geom_type == "LineString" else merged.centroid
        entries.append({"label": label, "street_ids": sorted(s["id"] for s in segments), "segments": len(segments),
                        "length_m": round(float(shapely.length(metric).sum()), 1),
                        "above_grade": any((s.get("grade") or 0) > 0 for s in segments),
                        "street_class": segments[0].get("street_class"), "reason": reason,
                        "centre": C.from_metric(centre_m), "bbox": shapely.bounds(shapely.union_all(
                            [s["geometry"] for s in segments])).tolist()})
    places = units_at(store, [e["centre"] for e in entries])
    for entry, place in zip(entries, places, strict=True):
        centre = entry.pop("centre")
        entry.update(place, lon=round(centre.x, 6), lat=round(centre.y, 6),
                     propose_url=propose_link(entry["label"], admin_code=place["community_code"]))
    entries.sort(key=lambda e: (e["subdistrict"] or "\uffff", -e["length_m"], e["label"]))
    return entries
