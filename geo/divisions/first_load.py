"""A district's first load of its units by file import (DEPLOYMENT.md "Adding a district", step 1).

Units are otherwise created only by a division decision (``POST /api/divisions/create``); a file import may fill
them once, while the district holds none of its own (:data:`geo.write_rules.FIRST_LOAD_ALLOWED`). So that one file
leaves a district the service holds and its decisions can change, it must make one tree, each refusal naming the
file row (reviews: units without the outline left a district no later import or decision could reach, and the
location checks of every layer then let a facility in Beijing in):

* it carries the district's own outline (code ``{adcode}000000``, level ``district``, no parent but the city's) and
  only the district's own units (codes starting with the adcode), one row per code; a unit with no status starts
  ``active``, as one created by a decision does;
* each other unit is a 街道/镇/乡(苏木)/社区/村(嘎查) whose parent (``parent_code``) is in the file, of a level
  that may hold it (PN-13, :data:`geo.divisions.codes.PARENT_LEVELS`), active when the unit is, and the code
  follows the parent's;
* an active unit lies within its parent and does not overlap an active sibling, and the outline does not overlap a
  district the database holds already, beyond slivers: what lies outside or overlaps is computed in the file's
  geometry (EPSG:4490: a straight edge in degrees is not straight in metres, and projecting only the corners made
  a tiling refused) and is refused where any of it lies farther than :data:`SLIVER_WIDTH_M` from the boundaries
  it should follow (edges digitised apart leave slivers of a few metres along a shared boundary; a block of another
  unit's ground, or a strip reaching into it, lies farther; an area tolerance grown with the unit let a banner take a
  block of 新城区 and refused rounded data). Every such problem is listed.

In a database that holds no other district (the embedded SQLite file, a new PostgreSQL database) the file may also
carry what an export of the units carries: the neighbours' reference outlines (status ``neighbour``, level
``county``, each under its own district's code and outline code, read by every district). Beside other districts it
may not (a file must not plant a row every district reads, in any district's partition).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo import crs as C
from geo.divisions import codes as K
from geo.divisions.names import unit_name_problem
from geo.errors import InputError
from geo.layers import NEIGHBOUR_STATUS
from geo.messages import Term, as_term, at_row, label, quoted, text, value_label, value_labels
from geo.placenames.rules import MAX_STANDARD_NAME_CHARS
from geo.validation import raise_collected

STARTING_STATUS = "active"
# What lies outside a parent or overlaps is a sliver when all of it lies this near the boundaries it should follow:
# boundaries digitised at 1:10,000 (±5 m) and coordinates rounded to 1 m differ by a few metres along a shared edge
# (the sample's town and its neighbouring 街道 by 2-4 m along 2.9 km); a block of another unit's ground lies farther.
SLIVER_WIDTH_M = 10.0
_DENSIFY_DEG = 1e-3  # ~100 m: a chord that long in degrees is off the projected curve by millimetres
_DUST_M2 = 0.01  # what a buffer's rounded corners leave of a sliver exactly at the distance (a 1 m² allowance let a
# separate part of a few metres' square, on another district's door plate, through: review)
_HOLE_M2 = 100.0  # a hole smaller than this is no boundary a sliver follows (pinholes made a sibling's whole ground
# "near a boundary": review)
NEIGHBOUR_LEVEL = "county"
IN_THE_FILE = Term("文件", "the file")  # where a first load's parents are (a parent is loaded with its units)


def check_first_units(records: Sequence[dict[str, Any]], *, adcode: str, rows: Sequence[int], alone: bool,
                      other_outlines: Mapping[str, BaseGeometry] | None = None,
                      source_crs: str = C.STORAGE_CRS) -> None:
    """Refuse a first load of units that does not make one tree of the district's own units (see the module); give
    each unit without a status the starting one (in place: ``records`` are the plan's own new records). ``rows``:
    each record's file row, for the messages; ``alone``: the database holds no other district; ``other_outlines``:
    the other held districts' active outlines (EPSG:4490) by adcode; ``source_crs``: the file's, whose straight
    edges the extents follow (:func:`geo.crs.edges_followed`)."""
    own: list[tuple[dict[str, Any], int]] = []
    others = dict(other_outlines or {})
    for record, row in zip(records, rows, strict=True):
        if record.get("status") == NEIGHBOUR_STATUS:
            _check_neighbour(record, row, adcode=adcode, alone=alone)
            if isinstance(record.get("geometry"), BaseGeometry):  # the district's units stay off it (review)
                others[str(record["adcode"])] = record["geometry"]
            continue
        if record.get("adcode") not in (None, "", adcode):
            raise InputError(at_row(text("divisions.first_load_other_district", field=label("adcode"),
                                         value=quoted(record["adcode"]), district=adcode), row), field="adcode")
        code = str(record.get("code") or "")
        if code[:6] != adcode:
            raise InputError(at_row(text("divisions.first_load_code", field=label("code"), value=quoted(code),
                                         district=adcode), row), field="code")
        if record.get("status") in (None, ""):
            record["status"] = STARTING_STATUS
        own.append((record, row))
    outline = f"{adcode}000000"
    if not any(str(r.get("code")) == outline and r.get("level") == "district" and r.get("status") == STARTING_STATUS
               for r, _row in own):
        raise InputError(text("divisions.first_load_outline", district=adcode, code=outline), field="code")
    by_code = _one_row_per_code(own)
    _check_tree(own, by_code, adcode=adcode)
    shapes = _active_shapes(own, source_crs=source_crs)
    problems = _geometry_problems(shapes)
    problems += _overlaps_beside(shapes, others)
    if problems:
        raise_collected(InputError, "divisions.first_load_geometry", problems, "geometry")


def _check_neighbour(record: Mapping[str, Any], row: int, *, adcode: str, alone: bool) -> None:
    """Refuse a neighbour's reference outline beside other districts (a file must not plant a row every district
    reads), or one that is not a county's outline under another district's code (review: a row of status neighbour
    under this district's own code became a unit nobody may change, and an outline code taken so)."""
    if not alone:
        raise InputError(at_row(text("divisions.first_load_neighbour", field=label("status")), row), field="status")
    other = str(record.get("adcode") or "")
    if (other in ("", adcode) or str(record.get("code") or "") != f"{other}000000"
            or record.get("level") != NEIGHBOUR_LEVEL):
        raise InputError(at_row(text("divisions.first_load_neighbour_row", field=label("status"), district=adcode,
                                     level=value_label(NEIGHBOUR_LEVEL), adcode=label("adcode")), row),
                         field="adcode" if other in ("", adcode) else "status")


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
                adcode: str) -> None:
    """Refuse the first unit that breaks the tree (:func:`unit_tree_problem`), naming its file row."""
    for record, row in own:
        parent = by_code.get(str(record.get("parent_code") or ""))
        problem = unit_tree_problem(record, None if parent is None else parent[0], adcode=adcode, scope=IN_THE_FILE)
        if problem is not None:
            raise InputError(at_row(text("divisions.first_load_problem", problem=as_term(problem.message)), row),
                             field=problem.field)


def unit_tree_problem(record: Mapping[str, Any], parent: Mapping[str, Any] | None, *, adcode: str,
                      scope: Term, name_endings: bool = True) -> InputError | None:
    """Return what keeps one of district ``adcode``'s own units (not a neighbour's outline) out of its tree, or
    None: a name longer than a decision gives, a second district-level row, an outline under anything but its city,
    a level the district's own units do not take, a ``parent`` (the unit its ``parent_code`` names, None if none)
    missing, of a level that cannot hold the unit or retired under an active unit, and a code that does not follow
    its parent's (PN-13), and (``name_endings``) a name not ending in its level's generic (PN-02). ``scope`` names
    where the parent was looked for (:data:`IN_THE_FILE`, the backup). A first load names the file row; a restore
    the record (:mod:`geo.restore_rules`), without PN-02: first loads did not check it before 2026-12-06, and a
    bureau's own backup must restore."""
    outline, city = f"{adcode}000000", f"{adcode[:4]}00000000"
    code, level = str(record.get("code") or ""), str(record.get("level") or "")
    parent_code = str(record.get("parent_code") or "")
    name = str(record.get("name") or "")
    if len(name) > MAX_STANDARD_NAME_CHARS:  # as a decision names a unit
        return InputError(text("divisions.text_too_long", field=label("name"), most=MAX_STANDARD_NAME_CHARS),
                          field="name")
    named = unit_name_problem(name, level) if name_endings else None  # a 镇 named …苏木 was loaded (review)
    if named is not None:
        return named
    if level == "district":
        if code != outline:
            return InputError(text("divisions.tree_second_district", field=label("level"), value=quoted(code),
                                   code=outline), field="level")
        if parent_code not in ("", city):  # a cycle through the outline, or a neighbour as its parent
            return InputError(text("divisions.tree_district_parent", field=label("parent_code"),
                                   value=quoted(parent_code), city=city), field="parent_code")
        return None
    if level not in K.PARENT_LEVELS:  # a county is a neighbour's reference outline, never one's own unit
        return InputError(text("divisions.tree_level", field=label("level"), allowed=value_labels(K.LEVELS),
                               value=quoted(level)), field="level")
    if parent is None:
        return InputError(text("divisions.tree_parent_missing", field=label("parent_code"), value=quoted(parent_code),
                               unit=quoted(code), scope=scope), field="parent_code")
    parent_level = str(parent.get("level") or "")
    if parent_level not in K.PARENT_LEVELS[level]:
        return InputError(text("divisions.bad_parent", field=label("parent_code"), value=parent_code,
                               level=value_label(level), allowed=value_labels(K.PARENT_LEVELS[level])),
                          field="parent_code")
    if record.get("status") == STARTING_STATUS and parent.get("status") != STARTING_STATUS:
        return InputError(text("divisions.tree_parent_retired", field=label("parent_code"), value=parent_code,
                               unit=code, status=value_label(parent.get("status"))), field="parent_code")
    try:
        K.check_code(code, level=level, parent_code=parent_code, district=adcode)
    except InputError as exc:
        return exc
    return None


def off_edges(region: BaseGeometry, *units: BaseGeometry) -> dict[str, str] | None:
    """Return the area in m² of ``region`` (EPSG:4490: what lies outside a parent, or two units' overlap) and a
    point of it (longitude, latitude) farther than :data:`SLIVER_WIDTH_M` from the rings of one of ``units`` (the
    boundaries it runs along, :func:`_outer_rings`), as the messages show them; None when all of it lies nearer: a
    sliver where boundaries were digitised apart, not a block, nor a strip reaching into another unit, nor a comb of
    thin ones (each narrow, together a large area). Both are densified to about 100 m before they are projected to
    metres, so a straight edge in degrees keeps its bend."""
    if region.is_empty or float(region.area) == 0.0:
        return None
    metric = C.to_metric(shapely.segmentize(region, _DENSIFY_DEG))
    for unit in units:
        near = shapely.buffer(_outer_rings(C.to_metric(shapely.segmentize(unit, _DENSIFY_DEG))), SLIVER_WIDTH_M,
                              quad_segs=16)
        far = shapely.difference(metric, near)
        if float(far.area) > _DUST_M2:
            point = C.from_metric(shapely.point_on_surface(far))
            return {"area_m2": f"{float(metric.area):,.0f}", "where": f"{point.x:.6f}, {point.y:.6f}",
                    "width_m": f"{SLIVER_WIDTH_M:g}"}
    return None


def _outer_rings(unit_m: BaseGeometry) -> BaseGeometry:
    """Return the rings of a unit (EPSG:4546, metres) a sliver may follow: its exteriors and its holes of at least
    :data:`_HOLE_M2` (an enclave's, say)."""
    rings = []
    for part in shapely.get_parts(unit_m):
        rings.append(part.exterior)
        rings.extend(ring for ring in part.interiors if shapely.Polygon(ring).area >= _HOLE_M2)
    return shapely.MultiLineString(rings)


def _active_shapes(own: Sequence[tuple[dict[str, Any], int]], *, source_crs: str
                   ) -> list[tuple[dict[str, Any], int, BaseGeometry]]:
    """Return the active units with a geometry, and it with the file's straight edges followed."""
    found = [(record, row) for record, row in own if record.get("status") == STARTING_STATUS
             and isinstance(record.get("geometry"), BaseGeometry) and not record["geometry"].is_empty]
    followed = C.edges_followed(np.asarray([record["geometry"] for record, _row in found], dtype=object), source_crs)
    return [(record, row, geom) for (record, row), geom in zip(found, followed, strict=True)]


def _geometry_problems(shapes: Sequence[tuple[dict[str, Any], int, BaseGeometry]]) -> list[str]:
    """Return, row by row, each active unit lying outside its parent and each pair of active siblings overlapping,
    beyond slivers."""
    problems: list[str] = []
    geoms = {str(record.get("code")): geom for record, _row, geom in shapes}
    for record, row, geom in shapes:
        outer = geoms.get(str(record.get("parent_code") or ""))
        found = None if outer is None else off_edges(shapely.difference(geom, outer), outer)
        if found:
            problems.append(at_row(text("divisions.first_load_outside_parent", field=label("parent_code"),
                                        parent=record["parent_code"], value=record["code"], **found), row))
    if len(shapes) < 2:
        return problems
    tree = shapely.STRtree([geom for _record, _row, geom in shapes])
    pairs = tree.query([geom for _record, _row, geom in shapes], predicate="intersects")
    for i, j in sorted(zip(pairs[0].tolist(), pairs[1].tolist(), strict=True)):
        (first, first_row, a), (second, row, b) = shapes[i], shapes[j]
        if i >= j or first.get("parent_code") != second.get("parent_code"):
            continue
        found = off_edges(shapely.intersection(a, b), a, b)
        if found:
            problems.append(at_row(text("divisions.first_load_overlap", value=second["code"], other=first["code"],
                                        first=first_row, **found), row))
    return problems


def _overlaps_beside(shapes: Sequence[tuple[dict[str, Any], int, BaseGeometry]],
                     others: Mapping[str, BaseGeometry]) -> list[str]:
    """Return each active unit overlapping another district's outline (held here, or a neighbour's in the file)
    beyond slivers: units of two districts would then cover the same ground, and a plate there would belong to both
    (reviews: a tolerance grown with the outline's area let a banner take a block of 新城区; each level's own 10 m
    against its parent let a village reach 20 m past the outline, 1.4 km² of 新城区, where only the outline was
    compared)."""
    if not others or not shapes:
        return []
    names = sorted(others)
    tree = shapely.STRtree([others[name] for name in names])
    problems = []
    for record, row, geom in shapes:
        for k in sorted(tree.query(geom, predicate="intersects").tolist()):
            other = others[names[k]]
            found = off_edges(shapely.intersection(geom, other), geom, other)
            if found:
                problems.append(at_row(text("divisions.first_load_other_outline", value=record["code"],
                                            other=names[k], **found), row))
    return problems
