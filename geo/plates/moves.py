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
from typing import Any

import numpy as np
import shapely
import sqlalchemy as sa

from geo import crs as C
from geo.errors import InputError
from geo.messages import at_row, text
from geo.plates.numbering import merged_street, oriented, positions
from geo.plates.rules import FAR_FROM_STREET_M
from geo.store import schema


def correct_position(conn: sa.Connection, before: Mapping[str, Any], changes: dict[str, Any], *,
                     row: int | None = None) -> None:
    """Refuse a move of the stored plate ``before`` away from its street; else set ``changes["side"]``
    to the side it now stands on. Does nothing unless ``changes`` moves the plate."""
    point = changes.get("geometry")
    if point is None or (before.get("geometry") is not None and shapely.equals(point, before["geometry"])):
        return
    street = str(changes.get("street_name", before.get("street_name")) or "").strip()
    s = schema.streets
    parts = conn.execute(sa.select(s.c.geom, s.c.numbering_start).where(
        s.c.name == street, s.c.geom.is_not(None)).order_by(s.c.id)).mappings().all()
    if not parts:
        return
    line = merged_street(C.to_metric(np.asarray([r["geom"] for r in parts], dtype=object)))
    gap = float(shapely.distance(C.to_metric(point), line))
    if gap > FAR_FROM_STREET_M:
        raise InputError(at_row(text("plates.moved_far", uid=before.get("plate_uid") or "", street=street,
                                     gap=f"{gap:.0f}", limit=f"{FAR_FROM_STREET_M:.0f}"), row), field="geometry")
    xy = shapely.get_coordinates(C.to_metric(point))
    changes["side"] = str(positions(oriented(line, parts[0]["numbering_start"] or "start"), xy).side[0])
