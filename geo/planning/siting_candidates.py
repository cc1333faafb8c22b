"""Where new stations could go: street nodes, available premises, or a planner's own file.

* ``nodes``: network nodes on a grid over the residential plates (:func:`geo.planning.siting.grid_candidates`);
  places a station could be, with no notion of whether a room is free there.
* ``premises``: the layer ``premises`` (vacant ground floors, community rooms, former shops) kept
  only where ``status`` is ``available`` and ``available_from`` is today or earlier (a premises
  with no date is available now), optionally of at least ``min_floor_area_m2``. A polygon stands
  for its representative point; its floor area gives its capacity (geo.planning.siting_capacity).
* ``file``: points read from a GeoJSON, GeoPackage, Shapefile or CSV; optional ``name``,
  ``floor_area_m2`` or ``capacity`` columns are kept (reading: :func:`geo.io.siting_candidates.read_candidate_file`).

Reading the store (:func:`load_premises`) is kept apart from the choice (:func:`available_premises`),
which takes and returns frames.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import InputError
from geo.messages import Rows, label, text
from geo.store import Store

CANDIDATE_SOURCES = ("nodes", "premises", "file")
KEPT_COLUMNS = ("name", "floor_area_m2", "capacity")


def available_premises(premises: gpd.GeoDataFrame, *, today: date,
                       min_floor_area_m2: float | None = None) -> gpd.GeoDataFrame:
    """Return the premises a station could move into on ``today``, as points with name and floor area."""
    frame = premises
    if frame.empty:
        return candidate_points(frame.iloc[0:0])
    status = frame["status"].fillna("available") if "status" in frame else pd.Series("available", index=frame.index)
    keep = status.eq("available").to_numpy(dtype=bool).copy()
    if "available_from" in frame:
        since = frame["available_from"]
        keep &= np.array([d is None or (isinstance(d, float) and np.isnan(d)) or pd.isna(d) or d <= today
                          for d in since], dtype=bool)
    if min_floor_area_m2 is not None:
        area = pd.to_numeric(frame.get("floor_area_m2"), errors="coerce").to_numpy(dtype=float)
        keep &= np.nan_to_num(area, nan=-1.0) >= min_floor_area_m2
    keep &= np.array([g is not None and not g.is_empty for g in frame.geometry], dtype=bool)
    return candidate_points(frame[keep])


def candidate_points(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``frame`` as points (a polygon's representative point) with the columns siting reads."""
    geoms = np.asarray(frame.geometry.values, dtype=object)
    pts = [g if g.geom_type == "Point" else g.representative_point() for g in geoms]
    data = {c: frame[c].to_numpy() for c in ("id", *KEPT_COLUMNS) if c in frame}
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(pts, crs="EPSG:4490"), crs="EPSG:4490").reset_index(drop=True)


def load_premises(store: Store, *, today: date, min_floor_area_m2: float | None = None) -> gpd.GeoDataFrame:
    """Read the layer ``premises`` and return those available on ``today`` (see :func:`available_premises`).

    None available is refused: siting over no candidates would propose nothing and look like a result.
    """
    if min_floor_area_m2 is not None and not (np.isfinite(min_floor_area_m2) and min_floor_area_m2 >= 0):
        raise InputError(text("siting.min_floor_area", field=label("min_floor_area_m2"), value=min_floor_area_m2),
                         field="min_floor_area_m2")
    found = available_premises(store.read_frame("premises"), today=today, min_floor_area_m2=min_floor_area_m2)
    if found.empty:
        raise InputError(text("siting.no_premises", date=today.isoformat(),
                              area="—" if min_floor_area_m2 is None else f"{min_floor_area_m2:g}"),
                         field="candidates")
    return found


def candidate_numbers(candidates: gpd.GeoDataFrame, column: str) -> np.ndarray | None:
    """Return a numeric column of the candidates (NaN where missing), or None if they have none."""
    if column not in candidates:
        return None
    values = pd.to_numeric(candidates[column], errors="coerce").to_numpy(dtype=float)
    if np.any(values[np.isfinite(values)] < 0):
        raise InputError(text("siting.negative", field=label(column)), field=column)
    return values



def check_candidates_in_district(store: Store, geoms: list[Any], *, rows: Rows = 1) -> None:
    """Refuse the first candidate outside the district (naming its row: ``rows``, the first's or each one's): no
    street of ours joins it."""
    from geo.location_rules import check_in_district

    with store.reading() as conn:
        check_in_district(conn, "facilities", geoms, adcode=store.adcode, first_row=rows)
