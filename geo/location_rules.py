"""Where a record may lie, and which units and streets it may name: checked on every write path.

- A facility, place name, street, grave or door plate lies in the district (CRS-01 tightened to the
  district's own boundary once it is stored): a point inside it (50 m of slack for a point on the
  boundary road), a line or area touching it. Neighbouring units, boundary lines and railways may
  reach beyond it, so they are not checked here.
- A community code names a community or village in force (an abolished one's code is history).
- A door plate belongs to the community or village it stands in: its code is set from its position
  when it is created or moved, and a code sent that names another unit is refused.
- A street segment carries a name in force in the gazetteer (a proposed name is not yet a street).
- Identifiers printed on the ground or used as keys keep their form: a unit code is the 12-digit
  statistical code (统计用区划代码), a boundary line code two to four capital letters and two to four
  digits (XH01), the sides of a line six-digit adcodes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import shapely
import sqlalchemy as sa

from geo.containment import containing_part
from geo.errors import InputError
from geo.layers import LEAF_LEVELS
from geo.messages import Rows, Term, at_row, label, nth_row, text
from geo.store import schema

IN_DISTRICT_LAYERS = frozenset({"facilities", "place_names", "streets", "graves", "door_plates", "ban_zone_areas",
                                "premises", "new_estates"})
POINT_SLACK_DEG = 0.0006  # about 50 m at Hohhot's latitude
UNIT_LEVELS_WITH_PLATES = LEAF_LEVELS
# field -> (pattern, Chinese description, English description), per layer
IDENTIFIER_FORMS: dict[str, dict[str, tuple[re.Pattern[str], str, str]]] = {
    "admin_units": {
        "code": (re.compile(r"\d{12}"), "12 位统计用区划代码", "a 12-digit statistical area code"),
        "parent_code": (re.compile(r"\d{12}"), "12 位统计用区划代码", "a 12-digit statistical area code"),
    },
    "boundary_lines": {
        "line_code": (re.compile(r"[A-Z]{2,4}\d{2,4}"), "2–4 个大写字母加 2–4 位数字（如 XH01）",
                      "2-4 capital letters and 2-4 digits (e.g. XH01)"),
        "left_adcode": (re.compile(r"\d{6}"), "6 位行政区划代码", "a 6-digit adcode"),
        "right_adcode": (re.compile(r"\d{6}"), "6 位行政区划代码", "a 6-digit adcode"),
    },
}


def district_boundary(conn: sa.Connection, *, adcode: str):
    """Return the stored district polygon (EPSG:4490), or ``None`` before one is imported."""
    u = schema.admin_units
    return conn.execute(sa.select(u.c.geom).where(u.c.level == "district", u.c.code.like(f"{adcode}%"))
                        .limit(1)).scalar()


PREPARE_FROM = 32  # test this many geometries or more against one polygon: prepare it first (an index of its edges)


def _prepare_for_many(polygon: Any, count: int) -> None:
    """Prepare ``polygon`` (in place) when ``count`` geometries will be tested against it; a file of
    34,000 plates is checked in a fraction of the time, a single record pays nothing."""
    if count >= PREPARE_FROM:
        shapely.prepare(polygon)


def check_in_district(conn: sa.Connection, layer: str, geoms: Sequence[Any], *, adcode: str,
                      first_row: Rows = None) -> None:
    """Refuse the first geometry of ``layer`` that lies outside the district (naming its row)."""
    if layer not in IN_DISTRICT_LAYERS or not geoms:
        return
    district = district_boundary(conn, adcode=adcode)
    if district is None:
        return
    arr = np.array(list(geoms), dtype=object)
    has = np.array([g is not None for g in arr], dtype=bool)
    if not has.any():
        return
    points = np.array([g.geom_type == "Point" if g is not None else False for g in arr], dtype=bool)
    ok = np.ones(len(arr), dtype=bool)
    if points.any():
        slack = district.buffer(POINT_SLACK_DEG)
        _prepare_for_many(slack, int(points.sum()))
        ok[points] = shapely.covers(slack, arr[points])
    others = has & ~points
    if others.any():
        _prepare_for_many(district, int(others.sum()))
        ok[others] = shapely.intersects(district, arr[others])
    if not ok.all():
        row = nth_row(first_row, int(np.argmin(ok)))
        raise InputError(at_row(text("checks.outside_district"), row), field="geometry")


def current_codes(history: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Return each old code of ``history`` (code-history rows: old_code, new_code, changed_on) with the last code
    its unit came to, in date order; a code split into several ends at the first of them (a 街道 or 镇 is never
    split)."""
    step: dict[str, str] = {}
    for row in sorted(history, key=lambda r: (r["changed_on"], r.get("id") or 0)):
        if row["old_code"] != row["new_code"]:
            step.setdefault(row["old_code"], row["new_code"])
    out: dict[str, str] = {}
    for old in step:
        code, seen = old, {old}
        while code in step and step[code] not in seen:  # a cycle (never written by a change) ends where it turns
            code = step[code]
            seen.add(code)
        out[old] = code
    return out


def successor_code(conn: sa.Connection, code: str) -> str | None:
    """Return the code a retired unit's land is held under now (its code history followed), or None."""
    h = schema.unit_code_history
    rows = [dict(r) for r in conn.execute(sa.select(h.c.id, h.c.old_code, h.c.new_code, h.c.changed_on)
                                          .where(h.c.old_code.like(f"{code[:6]}%"))).mappings()]
    return current_codes(rows).get(code)


def check_unit_codes(conn: sa.Connection, codes: Sequence[Any], *, field: str = "community_code",
                     first_row: Rows = None) -> None:
    """Refuse a community code that names no community or village in force (unknown or abolished; an abolished
    one naming the code its land is held under now).

    In a write on PostgreSQL the named units are locked for share until the write commits: a division change
    retiring one (which locks it for update) and this write then run one after the other, so a record is never
    stored naming a unit retired by a change that committed meanwhile (review: 5 of 14 facilities created during a
    撤镇设街道 kept their retired village's code). SQLite runs one writer at a time."""
    given = {str(c) for c in codes if c not in (None, "")}
    if not given:
        return
    u = schema.admin_units
    query = sa.select(u.c.code, u.c.status).where(u.c.code.in_(sorted(given)), u.c.level.in_(UNIT_LEVELS_WITH_PLATES))
    if conn.dialect.name == "postgresql" and conn.get_execution_options().get("xc_write"):
        query = query.order_by(u.c.id).with_for_update(read=True)  # id order, as every write locks (no deadlock)
    status = dict(conn.execute(query).all())
    for i, code in enumerate(codes):
        if code in (None, ""):
            continue
        if str(code) not in status:
            raise InputError(at_row(text("checks.unknown_unit", field=label(field), value=repr(code)),
                                    nth_row(first_row, i)), field=field)
        if status[str(code)] not in (None, "active"):
            successor = successor_code(conn, str(code))
            raise InputError(at_row(text("checks.abolished_unit", field=label(field), value=repr(code),
                                         successor=successor or "—"), nth_row(first_row, i)), field=field)


def plate_units_at(conn: sa.Connection, points: Sequence[Any], *, adcode: str) -> list[Any | None]:
    """Return, for each point, the community or village in force of the district that holds it
    (a row with ``code`` and ``name``): on a shared boundary or in a sliver the nearest one within the
    district's 50 m of slack; None further from every unit or without a point."""
    u = schema.admin_units
    units = conn.execute(sa.select(u.c.code, u.c.name, u.c.geom).where(
        u.c.level.in_(UNIT_LEVELS_WITH_PLATES), sa.func.coalesce(u.c.status, "active") == "active",
        u.c.code.like(f"{adcode}%"), u.c.geom.is_not(None)).order_by(u.c.code)).all()
    if not units:
        return [None] * len(points)
    parts = [row.geom for row in units]
    where = containing_part(points, parts, inside_only=True)
    outside = [k for k, w in enumerate(where) if w < 0 and points[k] is not None]
    if outside:
        near = containing_part([points[k] for k in outside], parts)
        for k, w in zip(outside, near, strict=True):
            if w >= 0 and float(shapely.distance(parts[w], points[k])) <= POINT_SLACK_DEG:
                where[k] = w
    return [units[w] if w >= 0 else None for w in where]


def place_plates_in_units(conn: sa.Connection, records: Sequence[dict[str, Any]], *, adcode: str,
                          first_row: Rows = None, creating: bool = True) -> None:
    """Set each plate's ``community_code`` (in place) to the community or village in force it stands in.

    A plate on a shared boundary or in a sliver takes the nearest unit within the district's 50 m of
    slack; a position further from every unit keeps the code sent (checked by :func:`check_unit_codes`).
    On creation a code sent that names another unit is refused, naming the unit at the position (a
    plate printed with the wrong community would send residents to the wrong office); a moved plate
    takes its new unit's code, which its record then shows.
    """
    placed = [(i, r) for i, r in enumerate(records) if r.get("geometry") is not None]
    if not placed:
        return
    at = plate_units_at(conn, [r["geometry"] for _i, r in placed], adcode=adcode)
    for (i, record), unit in zip(placed, at, strict=True):
        if unit is None:
            continue
        sent = record.get("community_code")
        if creating and sent not in (None, "") and str(sent) != unit.code:
            raise InputError(at_row(text("checks.plate_in_other_unit", field=label("community_code"),
                                         value=repr(sent), name=unit.name, code=unit.code),
                                    nth_row(first_row, i)), field="community_code")
        record["community_code"] = unit.code


def in_force_street_names(conn: sa.Connection) -> set[str]:
    """Return the street names in force in the gazetteer."""
    n = schema.place_names
    return {r[0] for r in conn.execute(sa.select(n.c.standard_name).where(
        n.c.feature_class == "street", n.c.status == "in_force"))}


# A new road or bridge enters the network before it is named, under a working label that says so
# ("规划三路", "未命名道路", "在建桥"): it then waits on the unnamed-roads worklist for its name.
WORKING_LABEL_PREFIXES = ("规划", "未命名", "在建")


def is_working_label(name: Any) -> bool:
    """Return whether ``name`` is a working label of a road not yet named (see WORKING_LABEL_PREFIXES)."""
    text = str(name or "").strip()
    return text.startswith(WORKING_LABEL_PREFIXES) and len(text) > 2


def check_street_names(conn: sa.Connection, names: Sequence[Any], *, first_row: Rows = None) -> None:
    """Refuse a street segment whose name is neither a street name in force (name it first) nor a
    working label of a road not yet named (``规划三路``: it joins the unnamed-roads worklist)."""
    in_force = in_force_street_names(conn)
    for i, name in enumerate(names):
        if str(name or "").strip() not in in_force and not is_working_label(name):
            raise InputError(at_row(text("checks.street_not_in_force", value=repr(name)), nth_row(first_row, i)),
                             field="name")


def check_identifier_forms(layer: str, records: Sequence[dict[str, Any]], *, first_row: Rows = None) -> None:
    """Refuse a unit code, line code or adcode that does not have its standard form."""
    for field, (pattern, zh, en) in IDENTIFIER_FORMS.get(layer, {}).items():
        for i, record in enumerate(records):
            value = record.get(field)
            if value in (None, "") and field == "parent_code":
                continue
            if not (isinstance(value, str) and pattern.fullmatch(value)):
                raise InputError(at_row(text("checks.identifier_form", field=label(field), form=Term(zh, en),
                                             value=repr(value)), nth_row(first_row, i)), field=field)


def check_layer_locations(conn: sa.Connection, layer: str, records: Sequence[dict[str, Any]], *,
                          adcode: str, first_row: Rows = None, creating: bool = True) -> None:
    """Apply the location, unit and street-name rules to records about to be written to ``layer``; a
    door plate's ``community_code`` is set in place from its position (:func:`place_plates_in_units`)."""
    if creating:
        check_identifier_forms(layer, records, first_row=first_row)
    geoms = [r.get("geometry") for r in records if "geometry" in r]
    if geoms:
        check_in_district(conn, layer, [r.get("geometry") for r in records], adcode=adcode, first_row=first_row)
    if layer == "door_plates":
        place_plates_in_units(conn, records, adcode=adcode, first_row=first_row, creating=creating)
    if layer in ("door_plates", "facilities", "new_estates", "premises") and any("community_code" in r
                                                                                 for r in records):
        check_unit_codes(conn, [r.get("community_code") for r in records], first_row=first_row)
    if layer == "streets" and creating:
        check_street_names(conn, [r.get("name") for r in records], first_row=first_row)
