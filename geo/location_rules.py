"""Where a record may lie, and which units and streets it may name: checked on every write path.

- A facility, place name, street, grave or door plate lies in the district (CRS-01 tightened to the
  district's own boundary once it is stored): a point inside it (50 m of slack for a point on the
  boundary road), a line or area touching it. Neighbouring units, boundary lines and railways may
  reach beyond it, so they are not checked here.
- A community code names a stored community or village.
- A street segment carries a name in force in the gazetteer (a proposed name is not yet a street).
- Identifiers printed on the ground or used as keys keep their form: a unit code is the 12-digit
  statistical code (统计用区划代码), a boundary line code two to four capital letters and two to four
  digits (XH01), the sides of a line six-digit adcodes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
import sqlalchemy as sa

from geo.errors import InputError
from geo.messages import Term, at_row, label, nth_row, text
from geo.store import schema

IN_DISTRICT_LAYERS = frozenset({"facilities", "place_names", "streets", "graves", "door_plates", "ban_zone_areas",
                                "premises", "new_estates"})
POINT_SLACK_DEG = 0.0006  # about 50 m at Hohhot's latitude
UNIT_LEVELS_WITH_PLATES = ("community", "village")
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
                      first_row: int | None = None) -> None:
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


def check_unit_codes(conn: sa.Connection, codes: Sequence[Any], *, field: str = "community_code",
                     first_row: int | None = None) -> None:
    """Refuse a community code that names no stored community or village."""
    given = {str(c) for c in codes if c not in (None, "")}
    if not given:
        return
    u = schema.admin_units
    known = {r[0] for r in conn.execute(sa.select(u.c.code).where(u.c.code.in_(sorted(given)),
                                                                  u.c.level.in_(UNIT_LEVELS_WITH_PLATES)))}
    for i, code in enumerate(codes):
        if code not in (None, "") and str(code) not in known:
            problem = text("checks.unknown_unit", field=label(field), value=repr(code))
            raise InputError(at_row(problem, nth_row(first_row, i)), field=field)


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


def check_street_names(conn: sa.Connection, names: Sequence[Any], *, first_row: int | None = None) -> None:
    """Refuse a street segment whose name is neither a street name in force (name it first) nor a
    working label of a road not yet named (``规划三路``: it joins the unnamed-roads worklist)."""
    in_force = in_force_street_names(conn)
    for i, name in enumerate(names):
        if str(name or "").strip() not in in_force and not is_working_label(name):
            raise InputError(at_row(text("checks.street_not_in_force", value=repr(name)), nth_row(first_row, i)),
                             field="name")


def check_identifier_forms(layer: str, records: Sequence[dict[str, Any]], *, first_row: int | None = None) -> None:
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
                          adcode: str, first_row: int | None = None, creating: bool = True) -> None:
    """Apply the location, unit and street-name rules to records about to be written to ``layer``."""
    if creating:
        check_identifier_forms(layer, records, first_row=first_row)
    geoms = [r.get("geometry") for r in records if "geometry" in r]
    if geoms:
        check_in_district(conn, layer, [r.get("geometry") for r in records], adcode=adcode, first_row=first_row)
    if layer in ("door_plates", "facilities", "new_estates", "premises") and any("community_code" in r
                                                                                 for r in records):
        check_unit_codes(conn, [r.get("community_code") for r in records], first_row=first_row)
    if layer == "streets" and creating:
        check_street_names(conn, [r.get("name") for r in records], first_row=first_row)
