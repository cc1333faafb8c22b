"""A street's rename queues every sign of the street for replacement, with its plates (#17 item 2).

Called by :func:`geo.placenames.lifecycle.rename` in the rename's transaction: the signs standing on
the street's segments are marked ``replacement_queued`` (each with its own audit row), so the sign
team's worklist shows them beside the plates queued for reprinting.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from geo.store import Store, schema

REPLACEMENT_QUEUED = "replacement_queued"
STANDING = ("active", "damaged")


def queue_street_signs(store: Store, conn: sa.Connection, *, place_id: int, old: str, new: str,
                       actor: str) -> int:
    """Queue the standing signs of the street named ``place_id`` for replacement; return how many."""
    streets, signs = schema.streets, schema.street_signs
    street_ids = sa.select(streets.c.id).where(streets.c.adcode == store.adcode,
                                               streets.c.place_name_id == place_id)
    queued = store.update_matching(
        "street_signs", sa.and_(signs.c.street_id.in_(street_ids), signs.c.status.in_(STANDING)),
        {"status": REPLACEMENT_QUEUED}, actor=actor, conn=conn, action="rename_propagation",
        note=f"街路巷更名 street renamed {old} → {new}")
    return len(queued)


def replacement_queue(store: Store) -> list[dict[str, Any]]:
    """Return this district's signs waiting for replacement: what each shows and what it should show.

    Sorted by street, then sign id: the sign team's worklist beside the plates' reprint queue.
    """
    signs, names = schema.street_signs, schema.place_names
    query = (sa.select(signs.c.id, signs.c.sign_uid, signs.c.version, signs.c.street_id, signs.c.sign_type,
                       signs.c.side, signs.c.shows_name, signs.c.number_from, signs.c.number_to, signs.c.geom,
                       signs.c.updated_at, names.c.standard_name.label("standard_name"))
             .select_from(signs.outerjoin(names, names.c.id == signs.c.place_name_id))
             .where(signs.c.adcode == store.adcode, signs.c.status == REPLACEMENT_QUEUED)
             .order_by(names.c.standard_name, signs.c.sign_uid))
    with store.reading() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    out = []
    for r in rows:
        geom = r.pop("geom")
        out.append({**r, "lon": round(geom.x, 6) if geom is not None else None,
                    "lat": round(geom.y, 6) if geom is not None else None})
    return out
