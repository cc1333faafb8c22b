"""PN-08: a facility's name should agree with the place name where it stands (“一般应当与所在地地名统一”).

A warning, never a refusal (the regulation says "generally"): a facility agrees when its name contains
the standard name, or the specific part (two characters or more), of an in-force place name (not
another facility's) within ``radius_m`` of it — a community or sub-district polygon it lies in counts
at distance 0, a street nearby within the radius. The radius (500 m by default) is a project choice [U].

Two uses: the warning a facility's create or edit returns (:func:`facility_name_warnings`), and the
check listing every facility whose name matches no place name around it (:func:`check_facility_names`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
import sqlalchemy as sa

from geo import crs as C
from geo.errors import InputError
from geo.messages import label, text
from geo.store import Store, schema

DEFAULT_RADIUS_M = 500.0
MAX_RADIUS_M = 5000.0
MIN_SPECIFIC_CHARS = 2


@dataclass(frozen=True)
class LocalNames:
    """In-force place names (facilities' own names left out) in metres, with a spatial index."""

    names: list[dict[str, Any]]
    geoms_m: np.ndarray
    tree: shapely.STRtree

    def around(self, geom_m: Any, radius_m: float) -> list[dict[str, Any]]:
        """Return the names within ``radius_m`` of a geometry (metres)."""
        if geom_m is None or not len(self.names):
            return []
        hits = self.tree.query(geom_m, predicate="dwithin", distance=radius_m)
        return [self.names[i] for i in sorted(int(h) for h in hits)]


def local_names(rows: Iterable[Mapping[str, Any]]) -> LocalNames:
    """Build :class:`LocalNames` from place-name records (EPSG:4490)."""
    kept = [dict(r) for r in rows if r.get("geometry") is not None and r.get("feature_class") != "facility"
            and r.get("status") == "in_force"]
    geoms = C.to_metric(np.asarray([r["geometry"] for r in kept], dtype=object)) if kept else np.zeros(0, dtype=object)
    return LocalNames(kept, np.asarray(geoms, dtype=object), shapely.STRtree(np.asarray(geoms, dtype=object)))


def agrees(facility_name: str, names: Sequence[Mapping[str, Any]]) -> bool:
    """Return whether a facility name contains one of the names' standard name or specific part."""
    text_ = str(facility_name or "")
    for n in names:
        whole = str(n.get("standard_name") or "")
        specific = str(n.get("specific") or "").replace(" ", "").replace("·", "")
        if (whole and whole in text_) or (len(specific) >= MIN_SPECIFIC_CHARS and specific in text_):
            return True
    return False


def check_radius(radius_m: Any) -> float:
    """Return a search radius in metres (above 0, at most 5000), else refuse naming ``radius_m``."""
    try:
        value = float(radius_m)
    except (TypeError, ValueError):
        value = float("nan")
    if not 0 < value <= MAX_RADIUS_M:
        raise InputError(text("place_codes.radius", field=label("radius_m"), most=f"{MAX_RADIUS_M:g}",
                              value=repr(radius_m)), field="radius_m")
    return value


def finding(facility: Mapping[str, Any], local: LocalNames, *, radius_m: float) -> dict[str, Any] | None:
    """Return the PN-08 finding of one facility (None when its name agrees, or it has no position)."""
    geom = facility.get("geometry")
    name = str(facility.get("name") or "")
    if geom is None or not name:
        return None
    geom_m = C.to_metric(np.asarray([geom], dtype=object))[0]
    around = local.around(geom_m, radius_m)
    if agrees(name, around):
        return None
    nearest = [n["standard_name"] for n in around[:5]]
    return {"rule": "PN-08", "severity": "warning", "facility_id": facility.get("id"), "name": name,
            "kind": facility.get("kind"), "nearby_names": nearest,
            "message": text("place_codes.pn08", name=name, radius=f"{radius_m:g}",
                            nearby="、".join(nearest) if nearest else "—")}


def _names(conn: sa.Connection) -> LocalNames:
    p = schema.place_names
    rows = conn.execute(sa.select(p.c.id, p.c.standard_name, p.c.specific, p.c.feature_class, p.c.status,
                                  p.c.geom).where(p.c.status == "in_force")).mappings()
    return local_names({**dict(r), "geometry": r["geom"]} for r in rows)


def facility_name_warnings(conn: sa.Connection, record: Mapping[str, Any], *,
                           radius_m: float = DEFAULT_RADIUS_M) -> list[str]:
    """Return the PN-08 warning of a facility being written (its name and position), inside the write."""
    found = finding(record, _names(conn), radius_m=radius_m)
    return [found["message"]] if found else []


def check_facility_names(store: Store, *, radius_m: float = DEFAULT_RADIUS_M,
                         statuses: Sequence[str] = ("active", "planned", "under_construction")) -> dict[str, Any]:
    """List the facilities whose name matches no place name around them (PN-08 warnings)."""
    radius_m = check_radius(radius_m)
    with store.reading() as conn:
        local = _names(conn)
    facilities = store.select("facilities", where={"status": list(statuses)})
    findings = [f for f in (finding(fac, local, radius_m=radius_m) for fac in facilities) if f is not None]
    return {"rule": "PN-08", "radius_m": radius_m, "checked": len(facilities), "findings": findings}
