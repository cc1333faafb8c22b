"""Which sub-district and community (or village) each point lies in: for the officer's worklists."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely

from geo.layers import LEAF_LEVELS, TOWNSHIP_LEVELS
from geo.store import Store

UNIT_LEVELS = (*TOWNSHIP_LEVELS, *LEAF_LEVELS)


def units_at(store: Store, points: Sequence[Any]) -> list[dict[str, str | None]]:
    """Return, for each point (EPSG:4490), the sub-district/town and community/village holding it."""
    units = [u for u in store.select("admin_units", where={"level": list(UNIT_LEVELS), "adcode": store.adcode})
             if u.get("geometry") is not None and u.get("status", "active") != "retired"]
    out: list[dict[str, str | None]] = [{"subdistrict": None, "community": None, "community_code": None}
                                        for _ in points]
    if not units or not len(points):
        return out
    tree = shapely.STRtree([u["geometry"] for u in units])
    pts = np.asarray(list(points), dtype=object)
    hit_point, hit_unit = tree.query(pts, predicate="intersects")
    for i, j in zip(hit_point.tolist(), hit_unit.tolist(), strict=True):
        unit = units[j]
        if unit["level"] in TOWNSHIP_LEVELS:
            out[i]["subdistrict"] = unit["name"]
        else:
            out[i]["community"], out[i]["community_code"] = unit["name"], unit["code"]
    return out
