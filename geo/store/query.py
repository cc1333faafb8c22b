"""Exact, paged spatial selection: the index finds candidates, shapely decides."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import numpy as np
import shapely
import sqlalchemy as sa

from geo.store.store import Store, _record


def select_intersecting(store: Store, table_name: str, bbox: tuple[float, float, float, float] | None,
                        *, limit: int, offset: int = 0, where: dict[str, Any] | None = None,
                        geometry_types: Collection[str] | None = None) -> tuple[list[dict[str, Any]], int]:
    """Return one page of records whose geometry meets ``bbox`` exactly, and how many match.

    ``geometry_types`` (GeoJSON names such as ``"Point"``, ``"MultiPolygon"``) keeps only records
    of those types, so a layer that mixes points and polygons can be served as one layer per type.
    """
    if bbox is None and geometry_types is None:
        return (store.select(table_name, limit=limit, offset=offset, where=where),
                store.count(table_name, where=where))
    table = store.table(table_name)
    filters = store.filters(table, bbox, where)
    with store.reading() as conn:
        rows = conn.execute(sa.select(table.c.id, table.c.geom).where(*filters).order_by(table.c.id)).all()
        if not rows:
            return [], 0
        ids = np.array([r[0] for r in rows])
        geoms = np.array([r[1] for r in rows], dtype=object)
        mask = np.ones(len(ids), dtype=bool)
        if bbox is not None:
            mask &= shapely.intersects(geoms, shapely.box(*bbox))
        if geometry_types is not None:
            wanted = [int(shapely.GeometryType[name.upper()]) for name in geometry_types]
            mask &= np.isin(shapely.get_type_id(geoms), wanted)
        keep = ids[mask]
        page = keep[offset:offset + limit].tolist()
        if not page:
            return [], len(keep)
        found = conn.execute(sa.select(table).where(table.c.id.in_(page)).order_by(table.c.id)).mappings()
        return [_record(r) for r in found], len(keep)


def layer_extent(store: Store, table_name: str, *,
                 where: dict[str, Any] | None = None) -> tuple[float, float, float, float] | None:
    """Return the bounding box of the records of a table (storage CRS) that match ``where`` (as
    :meth:`Store.filters` reads it), or ``None`` when there are none.

    Read from the stored per-record bounds, so no geometry is decoded.
    """
    t = store.table(table_name)
    with store.reading() as conn:
        row = conn.execute(sa.select(sa.func.min(t.c.minx), sa.func.min(t.c.miny), sa.func.max(t.c.maxx),
                                     sa.func.max(t.c.maxy)).where(*store.filters(t, None, where))).one()
    return None if row[0] is None else (float(row[0]), float(row[1]), float(row[2]), float(row[3]))
