"""A marker's reference objects (方位物): the poles, trees and corners a team finds the marker by.

A joint inspection checks that each marker's reference objects are complete (standards §4); the
marker record form lists each with its bearing from the marker (degrees clockwise from grid north,
as surveyors read them) and its distance in metres. They are kept by marker number, the marker's
natural key, so a surveyor's table loads as it is written.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from geo.errors import InputError
from geo.messages import label, text
from geo.store import Store
from geo.text import clean, has_text

MAX_PER_MARKER = 8
MAX_DISTANCE_M = 2_000.0  # farther than this, an object no longer helps to find a marker
MAX_NAME_CHARS = 60
TABLE = "marker_reference_objects"


def _number(row: Mapping[str, Any], field: str, *, low: float, high: float, high_open: bool) -> float:
    """Return a row's number in [low, high] (or [low, high)); refuse it naming the field otherwise."""
    value = row.get(field)
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = math.nan
    inside = low <= number < high if high_open else low < number <= high
    if isinstance(value, bool) or not math.isfinite(number) or not inside:
        raise InputError(text("common.between", field=label(field), low=low, high=high, value=repr(value)),
                         field=field)
    return number


def check_reference_object(row: Mapping[str, Any]) -> dict[str, Any]:
    """Return one reference object as stored: name, bearing [0, 360) degrees, distance (0, 2000] m."""
    name = clean(row.get("name"))
    if not has_text(name):
        raise InputError(text("common.required", field=label("name")), field="name")
    if len(name) > MAX_NAME_CHARS:
        raise InputError(text("reference_objects.name_length", field=label("name"), limit=MAX_NAME_CHARS,
                              length=len(name)), field="name")
    description = clean(row.get("description"))
    return {"name": name, "bearing_deg": _number(row, "bearing_deg", low=0.0, high=360.0, high_open=True),
            "distance_m": _number(row, "distance_m", low=0.0, high=MAX_DISTANCE_M, high_open=False),
            "description": description if has_text(description) else None}


def check_reference_objects(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Check every row (pure): each names its marker, at most :data:`MAX_PER_MARKER` per marker."""
    checked: list[dict[str, Any]] = []
    per_marker: dict[str, int] = {}
    for row in rows:
        number = clean(row.get("marker_no"))
        if not has_text(number):
            raise InputError(text("common.required", field=label("marker_no")), field="marker_no")
        per_marker[number] = per_marker.get(number, 0) + 1
        if per_marker[number] > MAX_PER_MARKER:
            raise InputError(text("reference_objects.too_many", limit=MAX_PER_MARKER, count=per_marker[number]),
                             field="reference_objects")
        checked.append({"marker_no": number, **check_reference_object(row)})
    return checked


def add_reference_objects(store: Store, rows: Iterable[Mapping[str, Any]], *, actor: str,
                          conn: sa.Connection | None = None) -> int:
    """Record reference objects of registered markers in one transaction; return how many.

    Every row is checked before anything is written; a row naming an unregistered marker refuses
    the whole batch. ``conn`` joins an outer transaction (the sample district's load).
    """
    checked = check_reference_objects(rows)
    if not checked:
        return 0
    if conn is None:
        with store.writing() as outer:
            return add_reference_objects(store, checked, actor=actor, conn=outer)
    markers = store.table("boundary_markers")
    numbers = sorted({row["marker_no"] for row in checked})
    known = set(conn.execute(sa.select(markers.c.marker_no).where(markers.c.marker_no.in_(numbers))).scalars())
    unknown = [n for n in numbers if n not in known]
    if unknown:
        raise InputError(text("reference_objects.unknown_marker", number=unknown[0]), field="marker_no")
    taken = store.table(TABLE)
    already = conn.execute(sa.select(taken.c.marker_no, sa.func.count()).where(taken.c.marker_no.in_(numbers))
                           .group_by(taken.c.marker_no)).all()
    counts: dict[str, int] = {str(number): int(n) for number, n in already}
    for row in checked:
        counts[row["marker_no"]] = counts.get(row["marker_no"], 0) + 1
        if counts[row["marker_no"]] > MAX_PER_MARKER:
            raise InputError(text("reference_objects.too_many", limit=MAX_PER_MARKER,
                                  count=counts[row["marker_no"]]), field="reference_objects")
    store.insert(TABLE, checked, actor=actor, conn=conn, audit="batch")
    return len(checked)


def reference_objects(store: Store, marker_no: str) -> list[dict[str, Any]]:
    """Return a marker's reference objects by bearing (as the record form lists them)."""
    rows = store.select(TABLE, where={"marker_no": marker_no})
    return sorted(rows, key=lambda r: (r.get("bearing_deg") or 0.0, r["id"]))
