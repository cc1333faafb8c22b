"""Domain assertions: geometry closeness in metres, CRS checks."""

from __future__ import annotations

import shapely

from geo import crs as C


def assert_geom_close(got, expected, *, tol_m: float) -> None:
    """Assert two EPSG:4490 geometries lie within ``tol_m`` metres of each other (Hausdorff)."""
    a, b = C.to_metric(got), C.to_metric(expected)
    dist = shapely.hausdorff_distance(a, b)
    assert dist <= tol_m, f"geometries differ by {dist:.3f} m (tolerance {tol_m} m)"
