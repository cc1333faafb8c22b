"""Read a planner's own siting candidates from a feature file (geo.planning.siting_candidates keeps the rest)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from geo.errors import InputError
from geo.io.formats import read_features
from geo.messages import label, text
from geo.planning.siting_candidates import candidate_points, check_candidates_in_district
from geo.store import Store


def read_candidate_file(store: Store, path: Path | str, *, crs: str) -> gpd.GeoDataFrame:
    """Read candidate points from a feature file in ``crs``; keep ``name``, ``floor_area_m2``, ``capacity``.

    A candidate outside ``store``'s district is refused, naming its row as the file's program shows it (the
    command took one at 112.5° E and answered "1 station" without a word: review; the HTTP request checked)."""
    frame, info = read_features(path, crs=crs)
    kinds = {g.geom_type for g in frame.geometry if g is not None}
    if frame.empty or not kinds <= {"Point", "Polygon", "MultiPolygon"} or any(g is None for g in frame.geometry):
        raise InputError(text("siting.file_points", field=label("candidates")), field="candidates")
    points = candidate_points(frame)
    check_candidates_in_district(store, list(points.geometry), rows=info.get("file_rows") or 1)
    return points
