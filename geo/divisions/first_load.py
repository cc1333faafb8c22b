"""A district's first load of its units by file import (DEPLOYMENT.md "Adding a district", step 1).

Units are otherwise created only by a division decision (``POST /api/divisions/create``); a file import may fill
them once, while the district holds none of its own (:data:`geo.write_rules.FIRST_LOAD_ALLOWED`).

In a database that holds no other district (the embedded SQLite file, a new PostgreSQL database) the load is what
an export of the district's units carries: its outline, its units and the neighbours' reference outlines (rows of
status ``neighbour`` under their own district's code, read by every district).

Beside other districts (a district added to a city's database) it must leave a district the service holds and can
serve, and write only the district's own units:

* it carries the district's own outline (code ``{adcode}000000``, level ``district``): a district is held once
  its outline is there (:func:`geo.store.districts.holds_district`); units loaded without it left a district
  that was not held and no longer empty, which no later import or decision could reach (review);
* every unit is the district's own: no other district's code and no ``neighbour`` reference outline (a file must
  not plant one that every district reads, in any district's partition: review).

Everywhere, a unit given no status starts ``active``, as one created by a decision does, and a unit under
another district's code is refused unless it is a neighbour's reference outline of a database alone.

The units must also make one tree the division decisions can then change (third review: a file path checked none of
it, where a decision checks codes, parents, gaps and overlaps), each refusal naming the file row:

* one row per code, and one district-level row: the outline;
* a unit's parent (``parent_code``) is one of the district's own units (beside other districts: one in the file),
  of a level that may hold it, and its code follows the parent's (PN-13, :func:`geo.divisions.codes.check_code`);
* an active unit lies within its parent and does not overlap an active sibling, beyond the tolerance of a split
  (:func:`geo.divisions.geometry.tolerance_m2`);
* beside other districts, the outline does not overlap another district's (``other_outlines``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from geo import crs as C
from geo.divisions import codes as K
from geo.divisions import geometry as G
from geo.errors import InputError
from geo.layers import NEIGHBOUR_STATUS
from geo.messages import at_row, label, quoted, text, value_label, value_labels

STARTING_STATUS = "active"


def check_first_units(records: Sequence[dict[str, Any]], *, adcode: str, rows: Sequence[int], alone: bool,
                      other_outlines: Mapping[str, BaseGeometry] | None = None) -> None:
    """Refuse a first load of units that is not the district's own (or, beside other districts, lacks its outline),
    or that does not make one tree of units (see the module); give each unit without a status the starting one (in
    place: ``records`` are the plan's own new records). ``rows``: each record's file row, for the messages;
    ``alone``: the database holds no other district; ``other_outlines``: the other held districts' active outlines
    (EPSG:4490) by adcode."""
    outline = f"{adcode}000000"
    for record, row in zip(records, rows, strict=True):
        if record.get("status") == NEIGHBOUR_STATUS:
            if not alone:
                raise InputError(at_row(text("divisions.first_load_neighbour", field=label("status")), row),
                                 field="status")
            continue  # a neighbour's reference outline, under its own district's code
        if record.get("adcode") not in (None, "", adcode):
            raise InputError(at_row(text("divisions.first_load_other_district", field=label("adcode"),
                                         value=quoted(record["adcode"]), district=adcode), row), field="adcode")
        code = str(record.get("code") or "")
        if code[:6] != adcode:
            raise InputError(at_row(text("divisions.first_load_code", field=label("code"), value=quoted(code),
                                         district=adcode), row), field="code")
        if record.get("status") in (None, ""):
            record["status"] = STARTING_STATUS
    if not alone and not any(str(r.get("code")) == outline and r.get("level") == "district"
                             and r.get("status") == STARTING_STATUS for r in records):
        raise InputError(text("divisions.first_load_outline", district=adcode, code=outline), field="code")
    own = [(record, row) for record, row in zip(records, rows, strict=True) if record.get("status") != NEIGHBOUR_STATUS]
    by_code = _one_row_per_code(own)
    _check_tree(own, by_code, adcode=adcode, alone=alone)
    _check_geometry(own, by_code)
    if not alone:
        _check_beside(by_code.get(outline), other_outlines or {}, adcode=adcode)


def _one_row_per_code(own: Sequence[tuple[dict[str, Any], int]]) -> dict[str, tuple[dict[str, Any], int]]:
    """Return the units by code; refuse a code given twice (it failed on the unique constraint, naming no row)."""
    by_code: dict[str, tuple[dict[str, Any], int]] = {}
    for record, row in own:
        code = str(record.get("code") or "")
        if code in by_code:
            raise InputError(at_row(text("divisions.first_load_twice", field=label("code"), value=quoted(code),
                                         first=by_code[code][1]), row), field="code")
        by_code[code] = (record, row)
    return by_code


def _check_tree(own: Sequence[tuple[dict[str, Any], int]], by_code: Mapping[str, tuple[dict[str, Any], int]], *,
                adcode: str, alone: bool) -> None:
    """Refuse a second district-level row, a parent outside the district, missing (beside other districts) or of a
    level that cannot hold the unit, and a code that does not follow its parent's (PN-13)."""
    outline = f"{adcode}000000"
    for record, row in own:
        code, level = str(record.get("code") or ""), str(record.get("level") or "")
        if level == "district":
            if code != outline:
                raise InputError(at_row(text("divisions.first_load_second_district", field=label("level"),
                                             value=quoted(code), code=outline), row), field="level")
            continue
        parent_code = str(record.get("parent_code") or "")
        if not parent_code:
            if alone:
                continue  # a database alone may take part of a tree (its later decisions check the rest)
            raise InputError(at_row(text("divisions.first_load_parent_missing", field=label("parent_code"),
                                         value=quoted(parent_code), unit=quoted(code)), row), field="parent_code")
        if parent_code[:6] != adcode:
            raise InputError(at_row(text("divisions.first_load_code", field=label("parent_code"),
                                         value=quoted(parent_code), district=adcode), row), field="parent_code")
        parent = by_code.get(parent_code)
        if parent is None:
            if alone:
                continue
            raise InputError(at_row(text("divisions.first_load_parent_missing", field=label("parent_code"),
                                         value=quoted(parent_code), unit=quoted(code)), row), field="parent_code")
        parent_level = str(parent[0].get("level") or "")
        if level in K.PARENT_LEVELS and parent_level not in K.PARENT_LEVELS[level]:
            raise InputError(at_row(text("divisions.bad_parent", field=label("parent_code"), value=parent_code,
                                         level=value_label(level), allowed=value_labels(K.PARENT_LEVELS[level])),
                                    row), field="parent_code")
        if level in K.RANGES:
            try:
                K.check_code(code, level=level, parent_code=parent_code, district=adcode)
            except InputError as exc:
                raise InputError(at_row(exc.message, row), field=exc.field) from None


def _active_shapes(own: Sequence[tuple[dict[str, Any], int]]) -> list[tuple[dict[str, Any], int, BaseGeometry]]:
    """Return the active units with a geometry, and it in EPSG:4546 metres (areas in m²)."""
    found = [(record, row) for record, row in own if record.get("status") == STARTING_STATUS
             and isinstance(record.get("geometry"), BaseGeometry) and not record["geometry"].is_empty]
    if not found:
        return []
    metric = C.to_metric([record["geometry"] for record, _row in found])
    return [(record, row, geom) for (record, row), geom in zip(found, metric, strict=True)]


def _check_geometry(own: Sequence[tuple[dict[str, Any], int]],
                    by_code: Mapping[str, tuple[dict[str, Any], int]]) -> None:
    """Refuse an active unit lying outside its parent, or overlapping an active sibling, beyond the tolerance."""
    shapes = _active_shapes(own)
    metric = {str(record.get("code")): geom for record, _row, geom in shapes}
    for record, row, geom in shapes:
        parent_code = str(record.get("parent_code") or "")
        outer = metric.get(parent_code) if parent_code in by_code else None
        if outer is None:
            continue
        outside = float(shapely.difference(geom, outer).area)
        tol = G.tolerance_m2(float(geom.area))
        if outside > tol:
            raise InputError(at_row(text("divisions.first_load_outside_parent", field=label("parent_code"),
                                         parent=parent_code, value=record["code"], area_m2=f"{outside:,.0f}",
                                         tolerance_m2=f"{tol:,.0f}"), row), field="geometry")
    geoms = [geom for _record, _row, geom in shapes]
    if len(geoms) < 2:
        return
    tree = shapely.STRtree(geoms)
    pairs = tree.query(geoms, predicate="intersects")
    for i, j in sorted(zip(pairs[0].tolist(), pairs[1].tolist(), strict=True)):
        (first, first_row, a), (second, row, b) = shapes[i], shapes[j]
        if i >= j or first.get("parent_code") != second.get("parent_code"):
            continue
        overlap = float(shapely.intersection(a, b).area)
        tol = G.tolerance_m2(min(float(a.area), float(b.area)))
        if overlap > tol:
            raise InputError(at_row(text("divisions.first_load_overlap", value=second["code"], other=first["code"],
                                         first=first_row, area_m2=f"{overlap:,.0f}", tolerance_m2=f"{tol:,.0f}"),
                                    row), field="geometry")


def _check_beside(outline: tuple[dict[str, Any], int] | None, others: Mapping[str, BaseGeometry], *,
                  adcode: str) -> None:
    """Refuse a district outline overlapping another held district's beyond the tolerance (units of two districts
    would then cover the same ground, and a plate there would belong to both)."""
    if outline is None or not isinstance(outline[0].get("geometry"), BaseGeometry) or not others:
        return
    record, row = outline
    mine = C.to_metric(record["geometry"])
    tol = G.tolerance_m2(float(mine.area))
    for other, geom in sorted(others.items()):
        overlap = float(shapely.intersection(mine, C.to_metric(geom)).area)
        if overlap > tol:
            raise InputError(at_row(text("divisions.first_load_other_outline", district=adcode, other=other,
                                         area_m2=f"{overlap:,.0f}", tolerance_m2=f"{tol:,.0f}"), row),
                             field="geometry")
