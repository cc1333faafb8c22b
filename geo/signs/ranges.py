"""A sign's door-number range and arrow, checked against the street and its active door plates (finding 10).

A sign's arrow points along its street; its range is the numbers found ahead along the street in the
arrow's direction (``none``: no arrow, the whole street). The register stores the range low to high
(``number_from`` ≤ ``number_to``, printed "1–88号" whichever way the arrow points, as
:func:`geo.signs.rules.number_range_text` prints it), so "the right order for the arrow" means the
range lies on the arrow's side of the sign: numbers above those behind it when the arrow points the
way numbers increase, below them when it points back to where numbering starts.

The street is read as the plates' numbering reads it (:mod:`geo.plates.numbering`, as
:mod:`geo.plates.street_check` does): its segments merged into one centreline oriented from its
``numbering_start``, its active plates (by the standard name they carry) placed along it by chainage.

What is refused and what is only reported, and why:

Errors (refused, 4xx, nothing stored) — a sign that would send people the wrong way or to numbers that
cannot exist:

* the arrow points across the street (more than :data:`MAX_ARROW_ANGLE` degrees from it): it points
  neither way along it (400);
* a one-parity range (both ends odd, or both even) on a street whose plates of that parity do not exist
  at all: the sign claims a side of the street that has no numbers (409);
* no plate of the range's parity stands ahead in the arrow's direction: the sign stands at the street's
  end pointing off it, or its plates are all behind it (409);
* the range shares no number with the plates ahead (e.g. 500–900 where they run 1–88) (409);
* the range runs past the last plate ahead by more numbers than the rest of the street can still take
  (one number step per :data:`geo.plates.numbering.FRONTAGE_M` metres of street left, each side) (409).

Warnings (stored, returned in ``warnings`` and written in the audit note) — a range an officer may have
a good reason for, which the plates alone cannot settle:

* the range runs past the last plate ahead by no more than the street left can take: numbers reserved
  for buildings not yet built;
* the range includes numbers of plates behind the sign (a sign near a junction showing the whole
  street), or does not include every plate ahead (a sign showing only the next block);
* the street has no active plates yet: the range cannot be checked.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
import sqlalchemy as sa

from geo import crs as C
from geo.errors import Conflict, InputError
from geo.messages import Term, text
from geo.plates.numbering import FRONTAGE_M, merged_street, oriented, positions
from geo.signs.rules import number_range_text, sign_label, value_term
from geo.store import Store, schema

MAX_ARROW_ANGLE = 75.0   # degrees between the arrow and the street: a compass arrow is at most 45° off a street
NEAR_M = FRONTAGE_M      # a plate within one frontage behind the sign (its corner building) counts as ahead
ARROWS = {"east": (1.0, 0.0), "north": (0.0, 1.0), "west": (-1.0, 0.0), "south": (0.0, -1.0)}
PARITY_TERMS = {1: Term("单号", "odd-numbered "), 0: Term("双号", "even-numbered ")}  # English: before "plates"


@dataclass(frozen=True)
class StreetNumbers:
    """A street as its numbering reads it at one sign: where the sign stands, which way the arrow points
    (+1 the way numbers increase, -1 back, 0 no arrow), and its active plates' numbers and chainages."""

    line: Any
    chainage_m: float
    sense: int
    numbers: np.ndarray
    plate_chainage_m: np.ndarray


def _street_line(conn: sa.Connection, store: Store, street: Mapping[str, Any]) -> Any:
    """Return the street's centreline in metres, oriented from where its numbering starts.

    As :func:`geo.plates.street_check.street_line`: every segment of the street's name, the first
    segment's ``numbering_start``; read on ``conn`` (the sign's transaction).
    """
    s = schema.streets
    parts = conn.execute(sa.select(s.c.geom, s.c.numbering_start).where(
        s.c.name == street["name"], s.c.adcode == store.adcode).order_by(s.c.id)).mappings().all()
    geoms = [p["geom"] for p in parts if p["geom"] is not None] or [street["geometry"]]
    line = merged_street(C.to_metric(np.asarray(geoms, dtype=object)))
    return oriented(line, (parts[0]["numbering_start"] if parts else None) or "start")


def _plates(conn: sa.Connection, store: Store, standard_name: str, line: Any) -> tuple[np.ndarray, np.ndarray]:
    """Return the numbers of the street's active plates and their chainage along ``line``."""
    d = schema.door_plates
    rows = conn.execute(sa.select(d.c.number, d.c.geom).where(
        d.c.street_name == standard_name, d.c.status == "active", d.c.adcode == store.adcode)).all()
    rows = [r for r in rows if r.geom is not None and r.number is not None]
    if not rows:
        return np.zeros(0, dtype=int), np.zeros(0)
    xy = shapely.get_coordinates(C.to_metric(np.asarray([r.geom for r in rows], dtype=object)))
    return np.asarray([int(r.number) for r in rows], dtype=int), positions(line, xy).chainage_m


def _sense(line: Any, along: float, direction: str) -> int:
    """Return +1 if the arrow points the way numbers increase, -1 back, 0 without one; refuse an arrow
    across the street (more than :data:`MAX_ARROW_ANGLE` degrees from it at the sign)."""
    if direction not in ARROWS:
        return 0
    ahead = line.interpolate(min(along + 1.0, line.length))
    behind = line.interpolate(max(along - 1.0, 0.0))
    tx, ty = ahead.x - behind.x, ahead.y - behind.y
    length = math.hypot(tx, ty)
    if length == 0:
        return 0
    ax, ay = ARROWS[direction]
    cosine = (tx * ax + ty * ay) / length
    if abs(cosine) < math.cos(math.radians(MAX_ARROW_ANGLE)):
        bearing = ("east", "north", "west", "south")[int(((math.degrees(math.atan2(ty, tx)) + 45) % 360) // 90)]
        raise InputError(text("signs.range_across", field=sign_label("direction"), direction=value_term(direction),
                              along=value_term(bearing), most=f"{MAX_ARROW_ANGLE:g}"), field="direction")
    return 1 if cosine > 0 else -1


def street_numbers(conn: sa.Connection, store: Store, *, street: Mapping[str, Any], standard_name: str,
                   position: shapely.Point, direction: str) -> StreetNumbers:
    """Return the street's numbering at a sign standing at ``position`` (EPSG:4490) with arrow ``direction``."""
    line = _street_line(conn, store, street)
    along = float(positions(line, shapely.get_coordinates(C.to_metric(position))).chainage_m[0])
    numbers, chainage = _plates(conn, store, standard_name, line)
    return StreetNumbers(line, along, _sense(line, along, direction), numbers, chainage)


def numbering_direction(conn: sa.Connection, store: Store, *, street: Mapping[str, Any],
                        position: shapely.Point) -> str:
    """Return the compass point the street's numbers increase towards at ``position``: a sign's default arrow."""
    line = _street_line(conn, store, street)
    along = float(positions(line, shapely.get_coordinates(C.to_metric(position))).chainage_m[0])
    ahead = line.interpolate(min(along + 1.0, line.length))
    behind = line.interpolate(max(along - 1.0, 0.0))
    angle = math.degrees(math.atan2(ahead.y - behind.y, ahead.x - behind.x)) % 360
    return ("east", "north", "west", "south")[int(((angle + 45) % 360) // 90)]


def _span(numbers: np.ndarray) -> str:
    """Return numbers as a range the way a sign prints it ("1–88"), without the 号."""
    return number_range_text(int(numbers.min()), int(numbers.max())).removesuffix("号")


def _finding(key: str, *, on: str, **params: Any) -> dict[str, Any]:
    """Return a warning: the field it is about, its rule (the message key) and its message."""
    return {"field": on, "rule": key.removeprefix("signs."), "message": text(key, **params)}


def check_range(numbering: StreetNumbers, *, number_from: int | None, number_to: int | None,
                direction: str) -> list[dict[str, Any]]:
    """Check a sign's range (low to high, already checked by :func:`geo.signs.rules.number_range`) against
    the plates ahead of it; refuse an error (see the module's docstring), return the warnings."""
    if number_from is None or number_to is None:
        return []
    low, high = number_from, number_to
    shown = f"{low}–{high}" if low != high else str(low)
    both = Term(f"{sign_label('number_from')}、{sign_label('number_to')}", "number_from, number_to")
    nums, chain = numbering.numbers, numbering.plate_chainage_m
    if len(nums) == 0:
        return [_finding("signs.range_unchecked", on="number_from", fields=both, range=shown)]
    one_parity = low % 2 == high % 2
    parity_word = PARITY_TERMS[low % 2] if one_parity else Term("", "")
    relevant = (nums % 2 == low % 2) if one_parity else np.ones(len(nums), dtype=bool)
    if not relevant.any():
        raise Conflict(text("signs.range_parity", fields=both, range=shown, parity=parity_word,
                            street=_span(nums)), field="number_from")
    if numbering.sense > 0:
        ahead_mask = chain >= numbering.chainage_m - NEAR_M
    elif numbering.sense < 0:
        ahead_mask = chain <= numbering.chainage_m + NEAR_M
    else:
        ahead_mask = np.ones(len(nums), dtype=bool)
    arrow = value_term(direction) if numbering.sense else Term("无箭头，全街", "no arrow: the whole street")
    ahead, behind = nums[relevant & ahead_mask], nums[relevant & ~ahead_mask]
    if len(ahead) == 0:
        raise Conflict(text("signs.range_none_ahead", fields=both, range=shown, direction=arrow,
                            parity=parity_word, behind=_span(behind)), field="direction")
    first, last = int(ahead.min()), int(ahead.max())
    if high < first or low > last:
        in_behind = behind[(behind >= low) & (behind <= high)]
        key = "signs.range_wrong_way" if len(in_behind) else "signs.range_outside"
        every = nums[ahead_mask]   # outside every plate that way: say so, whatever the parity
        wide = high < int(every.min()) or low > int(every.max())
        raise Conflict(text(key, fields=both, range=shown, direction=arrow, parity="" if wide else parity_word,
                            ahead=_span(every if wide else ahead),
                            behind=_span(in_behind) if len(in_behind) else ""), field="number_from")
    warnings = _far_end(numbering, ahead_chain=chain[relevant & ahead_mask], low=low, high=high, first=first,
                        last=last, shown=shown, parity=parity_word, ahead=_span(ahead))
    in_behind = behind[(behind >= low) & (behind <= high)]
    if len(in_behind):
        warnings.append(_finding("signs.range_behind", on="number_from", fields=both, range=shown,
                                 behind=_span(in_behind), parity=parity_word, ahead=_span(ahead)))
    if low > first or high < last:
        warnings.append(_finding("signs.range_short", on="number_from", fields=both, range=shown,
                                 parity=parity_word, ahead=_span(ahead)))
    return warnings


def _far_end(numbering: StreetNumbers, *, ahead_chain: np.ndarray, low: int, high: int, first: int, last: int,
             shown: str, parity: Term, ahead: str) -> list[dict[str, Any]]:
    """Check the ends of the range that run past the plates ahead, towards the street's far end(s).

    The street left beyond the last plate can still take one number step (2) per
    :data:`FRONTAGE_M` metres on each side (the room :func:`geo.plates.numbering.suggest` leaves), plus
    one for the other parity: a range within that is a warning (numbers reserved), past it an error.
    """
    warnings = []
    ends = []
    if numbering.sense >= 0 and high > last:   # towards the street's end
        room = max(numbering.line.length - float(ahead_chain.max()), 0.0)
        ends.append(("number_to", high - last, last, room, last + 2 * math.ceil(room / FRONTAGE_M) + 1))
    if numbering.sense <= 0 and low < first:   # towards where numbering starts
        room = max(float(ahead_chain.min()), 0.0)
        ends.append(("number_from", first - low, first, room, first - 2 * math.ceil(room / FRONTAGE_M) - 1))
    for field, excess, plate, room, most in ends:
        past = high > most if field == "number_to" else low < most
        params = {"field": sign_label(field), "range": shown, "plate": plate, "excess": excess,
                  "room": f"{room:.0f}", "most": max(most, 1), "parity": parity, "ahead": ahead}
        if past:
            raise Conflict(text("signs.range_beyond", **params), field=field)
        warnings.append(_finding("signs.range_reserved", on=field, **params))
    return warnings


def audit_note(note: str, warnings: list[dict[str, Any]]) -> str:
    """Return an audit note with the range warnings after it, so the sign's history shows them."""
    if not warnings:
        return note
    return note + "；提示 warnings: " + "；".join(w["message"] for w in warnings)
