"""Another version of a boundary compared with ours: the disputed areas and the markers standing in them.

Their version (features read from a file, in EPSG:4490) is either the neighbour's version of the
shared line, compared with our stored line, or the neighbour's unit polygon, compared with the
neighbour's polygon we store. Areas are found in metres (EPSG:4546) and handed back in EPSG:4490
for files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geo import crs as C
from geo.boundaries.lines import SQM_PER_MU, disputed_areas, disputed_between_lines, markers_affected
from geo.errors import InputError
from geo.messages import text
from geo.store import Store


@dataclass(frozen=True)
class BoundaryComparison:
    """The disputed areas (largest first, geometries in metres) and the active markers near them.

    ``compared`` is ``"polygon"`` or ``"line"``; ``markers_affected`` holds ``(marker_no, distance_m)``
    of the markers within 20 m of a disputed area.
    """

    neighbour: str
    compared: str
    areas: list[dict[str, Any]] = field(default_factory=list)
    markers_affected: list[tuple[str, float]] = field(default_factory=list)

    @property
    def total_m2(self) -> float:
        """Return the disputed area in m²."""
        return float(sum(a["area_m2"] for a in self.areas))

    @property
    def total_mu(self) -> float:
        """Return the disputed area in 亩."""
        return self.total_m2 / SQM_PER_MU

    def areas_frame(self) -> gpd.GeoDataFrame:
        """Return the disputed areas as a table in EPSG:4490 (who claims each, m², 亩), for a file."""
        return gpd.GeoDataFrame([{k: v for k, v in a.items() if k != "geometry"} for a in self.areas],
                                geometry=gpd.GeoSeries([C.from_metric(a["geometry"]) for a in self.areas],
                                                       crs="EPSG:4490"), crs="EPSG:4490")


def compare_boundary(store: Store, theirs: gpd.GeoDataFrame, *, neighbour: str) -> BoundaryComparison:
    """Compare another version of a boundary with ours; return the disputed areas and markers affected.

    Parameters
    ----------
    store
        The store holding our unit polygons, boundary lines and markers.
    theirs
        Their version's features in EPSG:4490 (as :func:`geo.io.formats.read_features` returns a
        file), merged into one geometry.
    neighbour
        The 6-digit adcode of the neighbour whose line or polygon ``theirs`` holds.

    A polygon is compared with the neighbour's unit polygon, anything else with the stored line
    shared with that neighbour; either missing from the store is an :class:`InputError`.
    """
    if theirs.crs is None or not theirs.crs.equals("EPSG:4490"):
        raise InputError(text("boundaries.their_crs", crs=theirs.crs), field="crs")
    merged = C.to_metric(shapely.union_all(np.asarray(theirs.geometry.values, dtype=object)))
    if merged.geom_type in ("Polygon", "MultiPolygon"):
        units = store.select("admin_units", where={"code": f"{neighbour}000000"})
        if not units:
            raise InputError(text("boundaries.no_unit", adcode=neighbour), field="neighbour")
        compared, areas = "polygon", disputed_areas(C.to_metric(units[0]["geometry"]), merged)
    else:
        lines = store.select("boundary_lines", where={"right_adcode": neighbour})
        if not lines:
            raise InputError(text("boundaries.no_line_with", adcode=neighbour), field="neighbour")
        compared, areas = "line", disputed_between_lines(C.to_metric(lines[0]["geometry"]), merged)
    markers = store.select("boundary_markers", where={"status": "active"})
    hit = markers_affected(C.to_metric(np.asarray([m["geometry"] for m in markers], dtype=object)), areas)
    return BoundaryComparison(neighbour=neighbour, compared=compared, areas=areas,
                              markers_affected=[(markers[i]["marker_no"], d) for i, d in hit])
