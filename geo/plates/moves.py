"""A door plate's position corrected through the generic paths (PATCH, file upsert): what follows from it.

A plate moved within reach of its street is a correction of where it was drawn: it takes the side of
the street it now stands on (its community follows in :func:`geo.location_rules.place_plates_in_units`),
and the standard addresses below it are rebuilt in the same transaction, so no building below a
plate names another community than the plate. A plate moved further than
:data:`geo.plates.rules.FAR_FROM_STREET_M` from its street stands by another street: that is a
renumbering decision (replace it, ``POST /api/plates/{plate_uid}/replace``, or revoke it and create
the new one), refused here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import shapely
import sqlalchemy as sa

from geo import crs as C
from geo.errors import InputError
from geo.messages import at_row, text
from geo.plates.numbering import merged_street, oriented, positions
from geo.plates.rules import FAR_FROM_STREET_M
from geo.store import schema


class StreetPlace(NamedTuple):
    """Where a point stands against its street: metres from it, the side it is on, the street's odd side."""

    gap_m: float
    side: str
    odd_side: str


def place_on_street(conn: sa.Connection, street: str, point: shapely.Geometry) -> StreetPlace | None:
    """Return where ``point`` stands against the street named ``street`` (all its parts merged, oriented
    from where its numbering starts), or None when the street has no drawn line."""
    s = schema.streets
    parts = conn.execute(sa.select(s.c.geom, s.c.numbering_start, s.c.odd_side).where(
        s.c.name == street, s.c.geom.is_not(None)).order_by(s.c.id)).mappings().all()
    if not parts:
        return None
    line = merged_street(C.to_metric(np.asarray([r["geom"] for r in parts], dtype=object)))
    metric = C.to_metric(point)
    along = oriented(line, parts[0]["numbering_start"] or "start")
    side = str(positions(along, shapely.get_coordinates(metric)).side[0])
    return StreetPlace(float(shapely.distance(metric, line)), side, parts[0]["odd_side"] or "left")


def correct_position(conn: sa.Connection, before: Mapping[str, Any], changes: dict[str, Any], *,
                     row: int | None = None) -> None:
    """Refuse a move of the stored plate ``before`` away from its street; else set ``changes["side"]``
    to the side it now stands on. Does nothing unless ``changes`` moves the plate."""
    point = changes.get("geometry")
    if point is None or (before.get("geometry") is not None and shapely.equals(point, before["geometry"])):
        return
    street = str(changes.get("street_name", before.get("street_name")) or "").strip()
    place = place_on_street(conn, street, point)
    if place is None:
        return
    if place.gap_m > FAR_FROM_STREET_M:
        raise InputError(at_row(text("plates.moved_far", uid=before.get("plate_uid") or "", street=street,
                                     gap=f"{place.gap_m:.0f}", limit=f"{FAR_FROM_STREET_M:.0f}"), row),
                         field="geometry")
    changes["side"] = place.side
