"""The boundary-marker registry: add, move (with the agreement behind it) and decommission.

Moving or adding markers needs both sides' agreement, a joint survey and filing with the authority
that approved the line (BM-04); the previous registered position stays in the audit trail. Nothing
is deleted: a marker is decommissioned with a reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import nullcontext
from typing import Any

import numpy as np
import shapely
import sqlalchemy as sa

from geo import crs as C
from geo.errors import Conflict, InputError
from geo.messages import Term, as_term, label, labels, text, value_label
from geo.store import Store, schema
from geo.store.store import integrity_problem
from geo.text import has_text
from geo.types import parse_date
from geo.validation import refuses_control_characters

MOVE_RECORDS = ("reason", "agreement_doc", "survey_ref", "filed_with")
TYPES = {"single": "Q", "paired": "AB", "triple": "CDE"}
_KIND = {"single": Term("单立", "single"), "paired": Term("同号双立", "paired"), "triple": Term("同号三立", "triple")}
MAX_SEQ = 999  # a marker number carries its sequence in three digits
SEQ_ATTEMPTS = 10  # a marker numbered by the line's next sequence retries this often on a collision


def _require(data: Mapping[str, Any], keys: tuple[str, ...], what: str) -> None:
    """Refuse a marker change that lacks the records BM-04 asks for; ``what`` names it (``new``, ``move``…)."""
    missing = [k for k in keys if not has_text(data.get(k))]
    if missing:
        raise InputError(text("boundaries.requires", what=as_term(text(f"boundaries.what_{what}")),
                              fields=labels(missing)), field=missing[0])


MAX_OFF_LINE_M = 1000.0  # a marker stands on or beside its line; farther is a wrong position or CRS


def _near_its_line(store: Store, line_code: str, position: shapely.Point, *,
                   conn: sa.Connection | None = None) -> None:
    """Refuse a marker position more than 1 km from its boundary line (BM-04 positions are surveyed)."""
    lines = store.select("boundary_lines", where={"line_code": line_code}, conn=conn)
    if not lines or lines[0].get("geometry") is None:
        return
    line_m, point_m = C.to_metric(np.array([lines[0]["geometry"], position], dtype=object))
    gap = float(shapely.distance(line_m, point_m))
    if gap > MAX_OFF_LINE_M:
        raise InputError(text("boundaries.off_line", line=line_code, gap=f"{gap:,.0f}", limit=f"{MAX_OFF_LINE_M:,.0f}"),
                         field="position")


def _next_seq(conn: sa.Connection, line_code: str) -> int:
    """Return the line's next sequence number: one past the highest ever given (numbers are never reused)."""
    markers = schema.boundary_markers
    top = conn.execute(sa.select(sa.func.max(markers.c.seq)).where(markers.c.line_code == line_code)).scalar()
    seq = int(top or 0) + 1
    if seq > MAX_SEQ:
        raise Conflict(text("boundaries.seq_used_up", line=line_code, limit=MAX_SEQ), field="seq")
    return seq


def _taken(number: str) -> Conflict:
    return Conflict(text("boundaries.marker_taken", number=number), field="marker_no")


@refuses_control_characters
def add_marker(store: Store, data: Mapping[str, Any], position: shapely.Point, *, actor: str,
               conn: sa.Connection | None = None) -> dict[str, Any]:
    """Register a new marker on a line, numbered as the line's next sequence unless given.

    The next sequence is read inside the write transaction and the insert runs in a savepoint: when
    a concurrent registration on the same line took that number first (a unique collision on
    ``marker_no``), the next free sequence is tried, up to :data:`SEQ_ATTEMPTS` times. A sequence
    given explicitly is never changed: its collision is a 409 naming ``marker_no``. With ``conn`` the
    registration joins the caller's transaction (a legacy survey table registers all its markers or none);
    ``elevation_m`` and ``coordinate_source`` are stored when given (geo.io.legacy_import).
    """
    _require(data, MOVE_RECORDS, "new")
    line = store.select("boundary_lines", where={"line_code": str(data.get("line_code") or "")}, conn=conn)
    if not line:
        raise InputError(text("boundaries.unknown_line", field=label("line_code")), field="line_code")
    kind = data.get("marker_type", "single")
    if kind not in TYPES:
        raise InputError(text("boundaries.choice", field=label("marker_type"), value=repr(kind),
                              allowed=", ".join(TYPES)), field="marker_type")
    code = line[0]["line_code"]
    _near_its_line(store, code, position, conn=conn)
    type_code = str(data.get("type_code") or TYPES[kind][0])
    if type_code not in TYPES[kind]:
        raise InputError(text("boundaries.type_code", kind=_KIND[kind], field=label("type_code"),
                              allowed=", ".join(TYPES[kind])), field="type_code")
    raw = data.get("seq")
    given = raw if isinstance(raw, int) and not isinstance(raw, bool) else None
    if raw is not None and (given is None or not 1 <= given <= MAX_SEQ):
        raise InputError(text("boundaries.seq_range", field=label("seq"), limit=MAX_SEQ, value=repr(raw)), field="seq")
    manager = data.get("managing_adcode")
    sides = (line[0].get("left_adcode"), line[0].get("right_adcode"))
    if manager not in (None, "") and manager not in sides:
        shown = ", ".join(map(str, sides))
        raise InputError(text("boundaries.manager", field=label("managing_adcode"), sides=shown, value=repr(manager)),
                         field="managing_adcode")
    record = {"line_code": code, "type_code": type_code, "marker_type": kind, "status": "active",
              "material": data.get("material"), "managing_adcode": manager or None,
              "installed_on": parse_date(data.get("installed_on"), field="installed_on"), "geometry": position,
              **{k: data[k] for k in ("elevation_m", "coordinate_source") if data.get(k) is not None}}
    note = "; ".join(f"{k}: {data[k]}" for k in MOVE_RECORDS)
    with store.writing() if conn is None else nullcontext(conn) as conn:
        for _attempt in range(SEQ_ATTEMPTS):
            seq = given if given is not None else _next_seq(conn, code)
            number = f"{code}{seq:03d}{type_code}"
            try:
                with conn.begin_nested():  # a collision undoes only this attempt
                    (mid,) = store.insert("boundary_markers", [{**record, "marker_no": number, "seq": seq}],
                                          actor=actor, conn=conn, note=note)
            except sa.exc.IntegrityError as exc:
                problem = integrity_problem(exc)
                if not (isinstance(problem, Conflict) and problem.field == "marker_no"):
                    raise problem from None
                if given is not None:
                    raise _taken(number) from None
                continue  # another registration took this number meanwhile: take the next one
            return store.get("boundary_markers", mid, conn=conn)
    raise Conflict(text("boundaries.busy", line=code), field="seq")


@refuses_control_characters
def move_marker(store: Store, marker_id: int, position: shapely.Point, data: Mapping[str, Any], *,
                expected_version: int, actor: str, conn: sa.Connection | None = None) -> dict[str, Any]:
    """Register a new position after a joint survey; the old one stays in the audit trail (BM-04).

    With ``conn`` the move joins the caller's transaction (a repair that re-sets the marker, BM-03).
    """
    _require(data, MOVE_RECORDS, "move")
    current = store.get("boundary_markers", marker_id, conn=conn)
    if current["status"] != "active":
        raise Conflict(text("boundaries.marker_status", number=current["marker_no"],
                            status=value_label(current["status"])), field="status")
    _near_its_line(store, current["line_code"], position, conn=conn)
    return store.update("boundary_markers", marker_id, {"geometry": position}, expected_version=expected_version,
                        actor=actor, action="move", note="; ".join(f"{k}: {data[k]}" for k in MOVE_RECORDS),
                        conn=conn)


@refuses_control_characters
def decommission_marker(store: Store, marker_id: int, *, reason: str, document_ref: str, expected_version: int,
                        actor: str) -> dict[str, Any]:
    """Take a marker out of service (never deleted)."""
    _require({"reason": reason, "document_ref": document_ref}, ("reason", "document_ref"), "decommission")
    return store.update("boundary_markers", marker_id, {"status": "decommissioned"}, expected_version=expected_version,
                        actor=actor, action="decommission", note=f"{reason}; {document_ref}")
