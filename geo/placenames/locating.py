"""Where a proposed name lies, and which streets a typed street text may mean.

A name approved without geometry is on no map and in no reverse lookup, so the officers' proposal
form requires a location (:func:`proposal_geometry`). What is acceptable depends on the class:

- a road (class ``street``) takes its street's centreline from the store ("from the street"), the
  geometry the walking network, the plates and the maps already use; a clicked or typed point is
  also accepted for a road not yet in the street layer (a new road being named before it is drawn);
- every other class (community, building, facility, bridge, natural feature ...) is located by a
  point: the officer clicks it on the map or types its coordinates in one of the accepted CRSs
  (EPSG:4490, EPSG:4326, GCJ-02, BD-09). "From the street" then gives the point halfway along the
  street, so a building can be placed on its road when its exact spot is not at hand. Polygons of
  communities and villages come from the administrative units, not from a proposal form.

Points are converted to CGCS2000 (EPSG:4490) on the way in; :func:`geo.placenames.lifecycle.propose`
then checks that the geometry lies in the district.
"""

from __future__ import annotations

import difflib
from typing import Any

import shapely
from shapely.geometry import Point, mapping
from shapely.geometry.base import BaseGeometry

from geo.errors import DomainError, InputError
from geo.layers import TOWNSHIP_LEVELS
from geo.messages import text
from geo.placenames.lifecycle import propose
from geo.store import Store
from geo.types import LonLat

LOCATION_MODES = ("point", "street")
ROAD_CLASS = "street"
# The backdrop of the location map is drawn without tiles; 0.0001 degrees is about 10 m here.
BACKDROP_TOLERANCE_DEG = 0.0001


def _street_line(store: Store, street: str) -> BaseGeometry:
    rows = [r for r in store.select("streets", where={"name": street}) if r.get("geometry") is not None]
    if not rows:
        raise InputError(text("officer.street_unknown", street=street), field="location")
    merged = shapely.line_merge(shapely.union_all([r["geometry"] for r in rows]))
    return merged


def proposal_geometry(store: Store, *, feature_class: str | None, mode: str, lonlat: str = "",
                      crs: str = "EPSG:4490", street: str = "", proposed_name: str = "") -> BaseGeometry:
    """Return the EPSG:4490 geometry of a proposal from what the officer gave.

    ``mode="point"`` parses ``lonlat`` (``"lon,lat"`` in ``crs``); ``mode="street"`` takes the
    street named ``street``: its line for a road, the point halfway along it for other classes.
    A road may take the line of the street that already bears ``proposed_name``, or a line with no name
    in force (:func:`unnamed_street_lines`); giving a named street's line to a new road name would put
    two names in force on one road, which is a rename (the rename form keeps the former name and
    reprints the plates), not a proposal.
    Every refusal names the field ``location`` (位置) and says what to give instead.
    """
    if mode not in LOCATION_MODES:
        raise InputError(text("officer.location_kind", given=mode), field="location")
    if mode == "street":
        if not street.strip():
            raise InputError(text("officer.location_required"), field="location")
        line = _street_line(store, street.strip())
        if feature_class == ROAD_CLASS:
            if street.strip() != proposed_name.strip() and street.strip() not in unnamed_street_lines(store):
                raise InputError(text("officer.street_has_a_name", street=street.strip()), field="location")
            return line
        return line.interpolate(0.5, normalized=True)
    if not lonlat.strip():
        raise InputError(text("officer.location_required"), field="location")
    try:
        point = LonLat.parse(lonlat.replace("，", ","), crs=crs or "EPSG:4490", field="location")
    except DomainError as exc:  # already names what is wrong (not numbers, outside China, bad CRS)
        raise InputError(exc.message, field="location") from None
    return Point(point.lon, point.lat)


def similar_streets(store: Store, typed: str, *, limit: int = 8) -> list[str]:
    """Return street names that contain ``typed`` or resemble it, best first (at most ``limit``).

    Used where a street text matched nothing (``新华`` → 新华大街, 新华东街), so the officer gets
    links instead of an empty page.
    """
    typed = typed.strip()
    if not typed:
        return []
    names = sorted({r["name"] for r in store.select("streets") if r.get("name")})
    containing = [n for n in names if typed in n]
    close = difflib.get_close_matches(typed, names, n=limit, cutoff=0.4)
    sharing = sorted((n for n in names if n not in containing and set(typed) & set(n)),
                     key=lambda n: -len(set(typed) & set(n)))
    ranked: list[str] = []
    for name in [*containing, *close, *sharing]:
        if name not in ranked:
            ranked.append(name)
    return ranked[:limit]


def street_names(store: Store) -> list[str]:
    """Return the distinct street names, sorted (the choices of the "from the street" field)."""
    return sorted({r["name"] for r in store.select("streets") if r.get("name")})


def unnamed_street_lines(store: Store) -> list[str]:
    """Return the street lines with no name in force, sorted: the only lines a new road name may take
    ("from the street" for a road). A line's label is a name in force when the gazetteer holds it as
    a road in force, or the line is linked to a name in force (``streets.place_name_id``)."""
    in_force = {r["id"]: r["standard_name"] for r in store.select("place_names", where={"status": "in_force"})}
    road_names = {r["standard_name"] for r in store.select("place_names", where={"status": "in_force",
                                                                                   "feature_class": ROAD_CLASS})}
    named, labels = set(road_names), set()
    for row in store.select("streets"):
        if not row.get("name"):
            continue
        labels.add(row["name"])
        if row.get("place_name_id") in in_force:
            named.add(row["name"])
    return sorted(labels - named)


def backdrop(store: Store) -> dict[str, Any]:
    """Return the district's units and streets as simplified GeoJSON (EPSG:4490, lon/lat).

    The proposal map draws this instead of tiles, so it works with no internet; simplified to
    about 10 m it stays small enough for a first load.
    """
    features: list[dict[str, Any]] = []
    for table, kind, label in (("admin_units", "unit", "name"), ("streets", "street", "name")):
        for row in store.select(table):
            geom = row.get("geometry")
            if geom is None or geom.is_empty:
                continue
            if table == "admin_units" and row.get("level") not in ("district", *TOWNSHIP_LEVELS):
                continue
            simple = shapely.simplify(geom, BACKDROP_TOLERANCE_DEG, preserve_topology=True)
            rounded = shapely.set_precision(simple, 1e-5)
            features.append({"type": "Feature", "geometry": mapping(rounded),
                             "properties": {"kind": kind, "name": row.get(label) or "",
                                            "level": row.get("level") or ""}})
    return {"type": "FeatureCollection", "features": features}


class _DryRun(Exception):
    """Raised inside :func:`check_proposal` to roll its transaction back."""


def check_proposal(store: Store, record: dict[str, Any], *, justification: str | None) -> None:
    """Run every check :func:`propose` runs on ``record`` and store nothing.

    The form uses it when the location is missing or wrong, so the officer sees the name's
    problems at the same time as the location's. The proposal runs in a transaction that is
    rolled back, so the checks are exactly the use case's own.
    """
    try:
        with store.writing() as conn:
            propose(store, record, actor="check", justification=justification, conn=conn)
            raise _DryRun
    except _DryRun:
        return
