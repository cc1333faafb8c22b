"""Store the sample district's street name signs (data/sample_district/signs.py) in one batch.

Called by :func:`geo.io.importer.load_layers` after the streets are linked to their names: each
row's street segment is the nearest segment carrying the row's street name, its name the segment's
linked name in force, and what it shows that name's standard form, sign text and Mongolian (as
:func:`geo.signs.register.install` would store them). Ids come from the never-reused counter.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa

from geo import crs as C
from geo.signs import _uids
from geo.signs.register import shown_text
from geo.store import Store, schema

FIELDS = ("side", "sign_type", "number_from", "number_to", "direction", "installed_on", "inspected_on",
          "damaged_on", "replaced_on", "condition", "status", "remarks")


def _value(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, np.integer) or (isinstance(value, float) and value.is_integer()):
        return int(value)
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value


def load_sample_signs(store: Store, frame: pd.DataFrame, *, actor: str, conn: sa.Connection) -> int:
    """Insert the sample's signs (metric points, EPSG:4546, with a street ``name``); return how many."""
    if frame is None or len(frame) == 0:
        return 0
    s, p = schema.streets, schema.place_names
    streets = conn.execute(sa.select(s.c.id, s.c.name, s.c.place_name_id, s.c.geom)
                           .where(s.c.adcode == store.adcode)).mappings().all()
    names = {r["id"]: dict(r) for r in conn.execute(
        sa.select(p.c.id, p.c.standard_name, p.c.sign_text, p.c.name_mong)
        .where(p.c.adcode == store.adcode, p.c.status == "in_force")).mappings()}
    by_name: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in streets:
        if r["geom"] is not None and r["place_name_id"] in names:
            by_name[r["name"]].append(dict(r))
    lines = {name: (rows, C.to_metric(np.asarray([r["geom"] for r in rows], dtype=object)))
             for name, rows in by_name.items()}
    points_m = np.asarray(frame.geometry.values, dtype=object)
    points = C.from_metric(points_m)
    records = []
    for i, row in enumerate(frame.to_dict("records")):
        found = lines.get(row["name"])
        if found is None:
            continue  # a street the gazetteer does not hold in force takes no sign
        rows, metric = found
        street = rows[int(np.argmin(shapely.distance(metric, points_m[i])))]
        name = names[street["place_name_id"]]
        records.append({"street_id": street["id"], "place_name_id": name["id"], **shown_text(name),
                        **{k: _value(row.get(k)) for k in FIELDS if k in row}, "geometry": points[i]})
    if not records:
        return 0
    uids = _uids.allocate(store, conn, count=len(records), actor=actor)
    for record, uid in zip(records, uids, strict=True):
        record["sign_uid"] = uid
    store.insert("street_signs", records, actor=actor, conn=conn, audit="batch",
                 note="样例路牌 sample street signs")
    return len(records)
