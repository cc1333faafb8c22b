"""Where a sign stands (review 17, fifth pass): its side from its position, one sign per spot.

Install and replace ask the same two questions inside their write transaction: which side of its
street a sign's position is on (the way door plates answer it, :func:`geo.plates.moves.place_on_street`:
the street's parts merged and oriented from where its numbering starts), and whether a standing sign
of the same street already stands there (a double-posted form, two officers at once: one physical
sign, one record).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import shapely
import sqlalchemy as sa

from geo import crs as C
from geo.errors import Conflict, InputError
from geo.messages import quoted, text
from geo.plates.moves import place_on_street
from geo.signs.rules import STANDING, sign_label, value_term
from geo.store import Store, schema
from geo.store.spatial_sql import lock_natural_keys

SAME_SPOT_M = 5.0
"""Two standing signs of one street on the same side closer than this are one sign recorded twice.

A sign post is placed by hand-held GNSS or clicked on the map: the same post read twice lands a few
metres apart, while two real signs of one street on one side stand at least a junction arm or a
block apart (tens of metres). 5 m absorbs the reading, not a second post."""

ON_LINE_M = 0.5
"""A position closer than this to the street's drawn line has no side of its own: the typed one stands."""


def side_of(conn: sa.Connection, street: Mapping[str, Any], position: shapely.Point, *,
            given: str | None, fallback: str) -> str:
    """Return the side of ``street`` that ``position`` (EPSG:4490) is on; refuse a ``given`` side that
    contradicts it (422, field ``side``). ``fallback`` (the segment's own reading) serves a street
    whose line cannot be merged by name."""
    place = place_on_street(conn, str(street.get("name") or ""), position)
    actual = place.side if place is not None else fallback
    if given is None or given == actual:
        return actual
    if place is not None and place.gap_m < ON_LINE_M:
        return given
    lon, lat = position.coords[0]
    raise InputError(text("signs.side_contradicts", field=sign_label("side"), given=value_term(given),
                          actual=value_term(actual), position=f"{lon:.6f},{lat:.6f}"), field="side")


def lock_street_signs(conn: sa.Connection, name: Mapping[str, Any]) -> None:
    """Hold the signs of the street named ``name`` until the transaction ends (PostgreSQL advisory lock;
    SQLite serialises writers): a second install at the same spot waits, then sees the first sign."""
    lock_natural_keys(conn, [f"street_sign:{name['standard_name']}"])


def refuse_duplicate(conn: sa.Connection, store: Store, *, street: Mapping[str, Any], name: Mapping[str, Any],
                     position: shapely.Point, side: str, field: str = "lonlat",
                     ignore_id: int | None = None) -> None:
    """Refuse (409) a sign where a standing sign of the same street name already stands: on ``side``
    within :data:`SAME_SPOT_M` of ``position``. ``ignore_id`` is the sign a replacement takes over from.
    Call after :func:`lock_street_signs`."""
    sg, st = schema.street_signs, schema.streets
    same_street = sa.or_(st.c.place_name_id == name["id"], st.c.name == street["name"],
                         sg.c.place_name_id == name["id"])
    query = (sa.select(sg.c.id, sg.c.sign_uid, sg.c.side, sg.c.geom)
             .select_from(sg.join(st, st.c.id == sg.c.street_id))
             .where(sg.c.adcode == store.adcode, sg.c.status.in_(STANDING), sg.c.side == side, same_street)
             .order_by(sg.c.id))
    here = C.to_metric(position)
    for row in conn.execute(query).mappings():
        if row["id"] == ignore_id or row["geom"] is None:
            continue
        gap = float(shapely.distance(here, C.to_metric(row["geom"])))
        if gap < SAME_SPOT_M:
            raise Conflict(text("signs.duplicate", uid=row["sign_uid"], name=quoted(name["standard_name"]),
                                side=value_term(side), distance=f"{gap:.1f}", most=f"{SAME_SPOT_M:g}"),
                           field=field)
