"""Numbering along one stored street (DP-01..DP-05): check its plates, suggest numbers for new ones.

The pure rules live in :mod:`geo.plates.numbering`; this module reads the street (its merged
centreline, numbering start and odd side) and its active plates from the store and hands them over.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely

from geo import crs as C
from geo.errors import InputError, NotFound
from geo.messages import label, text
from geo.plates.numbering import (
    NumberingSettings,
    StreetLine,
    check,
    load_numbering_settings,
    merged_street,
    oriented,
    suggest,
)
from geo.store import Store
from geo.types import LonLat

MAX_SUGGEST_POINTS = 500
MAX_DISTANCE_FROM_STREET_M = 100.0


def street_line(store: Store, street_name: str) -> tuple[StreetLine, str]:
    """Return the street's centreline (metres, oriented from where numbering starts) and its odd side."""
    parts = store.select("streets", where={"name": street_name})
    if not parts:
        raise NotFound(text("plates.no_street_called", value=repr(street_name)), field="street_name")
    line = merged_street(C.to_metric(np.asarray([p["geometry"] for p in parts], dtype=object)))
    rule = parts[0]
    return oriented(line, rule.get("numbering_start") or "start"), rule.get("odd_side") or "left"


def active_plates(store: Store, street_name: str) -> tuple[list[dict[str, Any]], np.ndarray]:
    """Return the street's active plates and their positions in metres (EPSG:4546)."""
    plates = store.select("door_plates", where={"street_name": street_name, "status": "active"})
    xy = shapely.get_coordinates(C.to_metric(np.asarray([p["geometry"] for p in plates], dtype=object))) \
        if plates else np.zeros((0, 2))
    return plates, xy


def check_street(store: Store, street_name: str) -> dict[str, Any]:
    """Report the street's plates on the wrong side for their parity, out of order, or duplicated."""
    line, odd_side = street_line(store, street_name)
    plates, xy = active_plates(store, street_name)
    settings = load_numbering_settings()
    problems = check(line, xy, np.array([p["number"] for p in plates], dtype=int),
                     [p.get("suffix") or "" for p in plates], odd_side=odd_side, lucky=settings.lucky) if plates else []
    return {"street_name": street_name, "plates": len(plates),
            "problems": [{**pr, "plate_uid": plates[pr["index"]]["plate_uid"]} for pr in problems],
            "dp05": _dp05(settings)}


def _dp05(settings: NumberingSettings) -> dict[str, Any]:
    """Return how DP-05 is set, for the answer (data/placenames/numbering.toml)."""
    return {"enabled": settings.dp05, "numbers": sorted(settings.numbers), "source": settings.source}


def check_point_count(count: int) -> None:
    """Refuse fewer than one or more than 500 new positions (checked before they are parsed)."""
    if not 1 <= count <= MAX_SUGGEST_POINTS:
        raise InputError(text("plates.points_count", field=label("points"), limit=MAX_SUGGEST_POINTS), field="points")


def suggest_numbers(store: Store, street_name: str, points: Sequence[LonLat]) -> dict[str, Any]:
    """Suggest numbers for new plates at ``points`` by the street's rule: parity by side, rising
    along it, room left for later plates. Points more than 100 m from the street are refused."""
    check_point_count(len(points))
    line, odd_side = street_line(store, street_name)
    new_xy = shapely.get_coordinates(C.to_metric(shapely.points([(p.lon, p.lat) for p in points])))
    plates, xy = active_plates(store, street_name)
    far = shapely.distance(shapely.points(new_xy), line) > MAX_DISTANCE_FROM_STREET_M
    if far.any():
        n = int(np.flatnonzero(far)[0]) + 1
        raise InputError(text("plates.point_far", n=n, street=street_name), field="points")
    settings = load_numbering_settings()
    return {"street_name": street_name, "odd_side": odd_side, "dp05": _dp05(settings),
            "suggestions": suggest(line, xy, np.array([p["number"] for p in plates]), new_xy, odd_side=odd_side,
                                   lucky=settings.lucky)}
