"""Boundary dispute cases (BM-09, 行政区域界线管理条例 art.15): recorded, assigned, documented, closed.

A dispute over where a line lies is handled by the authority that approved the line, under the
agreement; the system records the case (the disputed area, the markers concerned, the documents)
and the authority's decision, and never decides. A case moves ``open → assigned → resolved`` and can
be ``withdrawn`` before it is resolved; a resolved or withdrawn case is history. Every change names the
version it was based on (a stale one is a 409) and is made by someone acting for a side of the line.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import numpy as np
import shapely
import shapely.errors
import shapely.geometry
import sqlalchemy as sa

from geo import crs as C
from geo.boundaries.attachments import (
    DOCUMENT_TYPES,
    MAX_DOCUMENT_BYTES,
    attach,
    attachments_of,
    casework_label,
    checked_file,
    required_text,
)
from geo.boundaries.repairs import known_line
from geo.errors import Conflict, Forbidden, InputError, InvalidGeometry, OutsideChina, StaleVersion
from geo.messages import Term, as_term, catalogue, label, record_label, text
from geo.store import Store, schema
from geo.store.store import integrity_problem
from geo.text import has_text
from geo.types import beijing_today, parse_date
from geo.validation import check_text, geometry_problems, outside_china, refuses_control_characters

STATES = ("open", "assigned", "resolved", "withdrawn")
MOVES: dict[str, tuple[str, ...]] = {"open": ("assigned", "withdrawn"),
                                     "assigned": ("assigned", "resolved", "withdrawn"),
                                     "resolved": (), "withdrawn": ()}
AREA_TYPES = ("Polygon", "MultiPolygon")
MAX_FROM_LINE_M = 1000.0   # a disputed area lies along its line; farther is a wrong CRS or a wrong line
MAX_AREA_M2 = 50_000_000.0  # 50 km²: far more than any stretch of a district line puts in question
CASE_ATTEMPTS = 10


def state_label(state: str) -> Term:
    """Return a case's state as messages and listings show it: ``已交办 assigned`` (every state has its
    Chinese label; the shared value labels say 进行中 for ``open``, which is a campaign's word)."""
    message = catalogue().get(f"boundary_casework.state.{state}")
    return Term(f"{message.zh} {state}" if message else state, state)


def states_named(states: Sequence[str] = STATES) -> Term:
    """Return several states as :func:`state_label` shows them, joined by "、" (", " in English)."""
    named = [state_label(s) for s in states] or [Term("无", "none")]
    return Term("、".join(named), ", ".join(t.en for t in named))


def _line(store: Store, code: Any, *, conn: sa.Connection | None = None) -> dict[str, Any]:
    lines = store.select("boundary_lines", where={"line_code": str(code or "")}, conn=conn)
    if not lines:
        raise InputError(text("boundaries.unknown_line", field=label("line_code")), field="line_code")
    return lines[0]


def _acting_side(line: Mapping[str, Any], actor: str, actor_adcodes: set[str]) -> list[str]:
    """Return the sides of the line the actor acts for, or refuse one who acts for neither (403)."""
    mine = sorted(a for a in (line.get("left_adcode"), line.get("right_adcode")) if a and a in actor_adcodes)
    if not mine:
        raise Forbidden(text("boundary_casework.not_a_side", actor=actor, own=", ".join(sorted(actor_adcodes)),
                             line=line["line_code"]), field="line_code")
    return mine


def disputed_area(obj: Any, *, crs: str = "EPSG:4490", field: str = "geometry") -> shapely.Geometry:
    """Return a GeoJSON polygon or multipolygon as a valid EPSG:4490 geometry, checked as imports are
    (type, vertices, parts, finite coordinates, validity, inside China)."""
    named = label(field)
    if not isinstance(obj, Mapping):
        raise InvalidGeometry(text("checks.not_geojson", field=named), field=field)
    try:
        geom = shapely.geometry.shape(dict(obj))
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, shapely.errors.ShapelyError) as exc:
        raise InvalidGeometry(text("checks.bad_geojson", field=named, reason=exc), field=field) from None
    if not np.isfinite(shapely.get_coordinates(geom, include_z=bool(shapely.has_z(geom)))).all():
        problem = as_term(text("checks.nonfinite_coordinate"))
        raise InvalidGeometry(text("checks.geometry", field=named, problem=problem), field=field)
    geom = shapely.force_2d(geom)
    arr = np.array([geom], dtype=object)
    if C.normalise_crs(crs) != C.METRIC_CRS and outside_china(arr):
        raise OutsideChina(text("checks.geometry_outside_china", field=named), field=field)
    problems = geometry_problems(arr, AREA_TYPES)
    if problems:
        raise InvalidGeometry(text("checks.geometry", field=named, problem=as_term(problems[0][1])), field=field)
    stored = C.geoms_to_storage(geom, crs)
    if outside_china(np.array([stored], dtype=object)):
        raise OutsideChina(text("checks.outside_china_after", field=named, crs=crs), field=field)
    return stored


def _markers_on_line(store: Store, numbers: Any, line_code: str) -> list[str]:
    if numbers in (None, ""):
        return []
    named = casework_label("marker_nos")
    if not isinstance(numbers, list | tuple) or not all(isinstance(n, str) for n in numbers):
        raise InputError(text("boundary_casework.marker_not_on_line", field=named, value=repr(numbers),
                              line=line_code), field="marker_nos")
    known = {m["marker_no"] for m in store.select("boundary_markers", where={"line_code": line_code})}
    for number in numbers:
        if number not in known:
            raise InputError(text("boundary_casework.marker_not_on_line", field=named, value=repr(number),
                                  line=line_code), field="marker_nos")
    return sorted(set(numbers))


def _date(value: Any, field: str, *, today: date, default: date | None = None) -> date:
    parsed = parse_date(value, field=field) or default
    if parsed is None:
        raise InputError(text("boundary_casework.required", field=casework_label(field), rule="BM-09"), field=field)
    if parsed > today:
        raise InputError(text("boundary_casework.future", field=casework_label(field), value=parsed.isoformat()),
                         field=field)
    return parsed


def _next_case_no(conn: sa.Connection, year: int) -> str:
    d = schema.boundary_disputes
    prefix = f"JX{year}-"
    taken = conn.execute(sa.select(d.c.case_no).where(d.c.case_no.like(f"{prefix}%"))).scalars().all()
    numbers = [int(n[len(prefix):]) for n in taken if n[len(prefix):].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:03d}"


@refuses_control_characters
def open_dispute(store: Store, data: Mapping[str, Any], *, actor: str, actor_adcodes: set[str],
                 today: date | None = None) -> dict[str, Any]:
    """Open a dispute case on a line: its title, the disputed area, the markers concerned (BM-09).

    ``data``: ``line_code``, ``title``, ``geometry`` (GeoJSON polygon) with ``crs`` (default
    EPSG:4490), optionally ``marker_nos`` (on that line), ``raised_by_adcode`` (a side of the line the
    actor acts for; default the actor's side), ``opened_on`` (default today), ``remarks``. The case
    number (``JX<year>-<n>``) is given here and the area computed in EPSG:4546 m².
    """
    today = today or beijing_today()
    line = _line(store, data.get("line_code"))
    mine = _acting_side(line, actor, actor_adcodes)
    sides = [a for a in (line.get("left_adcode"), line.get("right_adcode")) if a]
    raised_by = data.get("raised_by_adcode") or mine[0]
    if raised_by not in sides:
        raise InputError(text("boundary_casework.side_of_line", field=casework_label("raised_by_adcode"),
                              sides=", ".join(sides), value=repr(raised_by)), field="raised_by_adcode")
    if raised_by not in actor_adcodes:
        raise Forbidden(text("boundary_casework.acts_for", actor=actor, own=", ".join(sorted(actor_adcodes)),
                             side=raised_by, rule="BM-09"), field="raised_by_adcode")
    title = required_text(data, "title", "BM-09")
    if data.get("remarks") is not None:
        check_text(data["remarks"], field="remarks")
    area = disputed_area(data.get("geometry"), crs=str(data.get("crs") or "EPSG:4490"))
    area_m, line_m = C.to_metric(np.array([area, line["geometry"]], dtype=object))
    area_m2 = float(area_m.area)
    if area_m2 > MAX_AREA_M2:
        raise InputError(text("boundary_casework.dispute_area", field=label("geometry"), area=f"{area_m2:,.0f}",
                              limit=f"{MAX_AREA_M2:,.0f}"), field="geometry")
    gap = float(shapely.distance(area_m, line_m)) if line_m is not None else 0.0
    if gap > MAX_FROM_LINE_M:
        raise InputError(text("boundary_casework.dispute_far", field=label("geometry"), line=line["line_code"],
                              gap=f"{gap:,.0f}", limit=f"{MAX_FROM_LINE_M:,.0f}"), field="geometry")
    markers = _markers_on_line(store, data.get("marker_nos"), line["line_code"])
    opened_on = _date(data.get("opened_on"), "opened_on", today=today, default=today)
    record = {"line_code": line["line_code"], "title": title, "state": "open", "raised_by_adcode": raised_by,
              "opened_on": opened_on, "marker_nos": json.dumps(markers, ensure_ascii=False),
              "area_m2": round(area_m2, 1), "remarks": data.get("remarks"), "geometry": area}
    with store.writing() as conn:
        for _attempt in range(CASE_ATTEMPTS):
            case_no = _next_case_no(conn, opened_on.year)
            try:
                with conn.begin_nested():  # a concurrent case took the number: take the next one
                    (did,) = store.insert("boundary_disputes", [{**record, "case_no": case_no}], actor=actor,
                                          conn=conn, note="BM-09")
            except sa.exc.IntegrityError as exc:
                problem = integrity_problem(exc)
                if not (isinstance(problem, Conflict) and problem.field == "case_no"):
                    raise problem from None
                continue
            return _public(store.get("boundary_disputes", did, conn=conn))
    raise Conflict(text("boundary_casework.case_no_busy"), field="case_no")


def _public(record: Mapping[str, Any], attachments: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """Return a case as the API shows it: marker numbers as a list, with its documents (no bytes)."""
    return {**record, "marker_nos": json.loads(record.get("marker_nos") or "[]"), "documents": list(attachments)}


def _moving(store: Store, conn: sa.Connection, dispute_id: int, to: str, *, expected_version: int, actor: str,
            actor_adcodes: set[str]) -> dict[str, Any]:
    """Return the case about to move to ``to`` (checked: state machine, side, version), inside ``conn``."""
    case = store.get("boundary_disputes", dispute_id, conn=conn)
    line = _line(store, case["line_code"], conn=conn)
    _acting_side(line, actor, actor_adcodes)
    allowed = MOVES.get(case["state"], ())
    if to not in allowed:
        action = as_term(text(f"boundary_casework.action_{to}"))
        raise Conflict(text("boundary_casework.move", case=case["case_no"], state=state_label(case["state"]),
                            action=action, allowed=states_named(allowed)), field="state")
    if case["version"] != expected_version:
        raise StaleVersion(text("store.stale", record=record_label("boundary_disputes", dispute_id),
                                current=case["version"], given=expected_version), field="version")
    return case


@refuses_control_characters
def assign_dispute(store: Store, dispute_id: int, *, assigned_to: str, expected_version: int, actor: str,
                   actor_adcodes: set[str]) -> dict[str, Any]:
    """Record who handles the case (the approving authority or its office); a case may be re-assigned."""
    who = required_text({"assigned_to": assigned_to}, "assigned_to", "BM-09")
    with store.writing() as conn:
        _moving(store, conn, dispute_id, "assigned", expected_version=expected_version, actor=actor,
                actor_adcodes=actor_adcodes)
        after = store.update("boundary_disputes", dispute_id, {"state": "assigned", "assigned_to": who},
                             expected_version=expected_version, actor=actor, action="assign", conn=conn)
    return dispute_detail(store, after["id"])


def _document(document: Mapping[str, Any] | None, *, today: date, field: str = "document",
              number: str | None = None) -> tuple[dict[str, Any], tuple[bytes, str, str]]:
    """Return a document's metadata and checked file (PDF, JPEG or PNG) or refuse it naming the field."""
    document = document or {}
    if not isinstance(document, Mapping):
        raise InputError(text("boundary_casework.required", field=casework_label(field), rule="BM-07"), field=field)
    doc_no = number or required_text(document, "document_no", "BM-07")
    issued = _date(document.get("issued_on"), "issued_on", today=today)
    title = document.get("title")
    if title is not None:
        check_text(title, field="title")
    if not document.get("data_base64"):
        raise InputError(text("boundary_casework.required", field=casework_label("data_base64"), rule="BM-07"),
                         field="data_base64")
    file = checked_file(document, field="data_base64", kinds=DOCUMENT_TYPES, max_bytes=MAX_DOCUMENT_BYTES)
    return {"title": title, "document_no": doc_no, "issued_on": issued}, file


@refuses_control_characters
def add_dispute_document(store: Store, dispute_id: int, document: Mapping[str, Any], *, expected_version: int,
                         actor: str, actor_adcodes: set[str], today: date | None = None) -> dict[str, Any]:
    """Archive a document of an open or assigned case (BM-07): ``document_no``, ``issued_on``, ``title`` and
    the file (``data_base64``: PDF, JPEG or PNG). The case's version moves on."""
    meta, file = _document(document, today=today or beijing_today())
    with store.writing() as conn:
        case = store.get("boundary_disputes", dispute_id, conn=conn)
        _acting_side(_line(store, case["line_code"], conn=conn), actor, actor_adcodes)
        if case["state"] not in ("open", "assigned"):
            raise Conflict(text("boundary_casework.move", case=case["case_no"], state=state_label(case["state"]),
                                action=as_term(text("boundary_casework.action_documented")),
                                allowed=states_named(())), field="state")
        store.update("boundary_disputes", dispute_id, {}, expected_version=expected_version, actor=actor,
                     action="add_document", note=f"BM-07 {meta['document_no']}", conn=conn)
        attach(store, conn, "boundary_disputes", dispute_id, file, kind="document", actor=actor, **meta)
    return dispute_detail(store, dispute_id)


@refuses_control_characters
def resolve_dispute(store: Store, dispute_id: int, data: Mapping[str, Any], *, expected_version: int, actor: str,
                    actor_adcodes: set[str], today: date | None = None) -> dict[str, Any]:
    """Record the approving authority's decision on an assigned case (BM-09: recorded, never made here).

    ``data``: ``decision_doc`` (the decision's document number) and ``resolution`` (what it decided),
    ``resolved_on`` (default today, not before the case opened) and the decision's file: ``document``
    (archived with ``decision_doc`` as its number), or a document of that number added to the case
    before (BM-07: the decision is archived, not only its number typed).
    """
    today = today or beijing_today()
    for field in ("decision_doc", "resolution"):
        if not has_text(data.get(field)):
            raise InputError(text("boundary_casework.decision_needed", field=casework_label(field)), field=field)
        check_text(data[field], field=field)
    resolved_on = _date(data.get("resolved_on"), "resolved_on", today=today, default=today)
    decision = None
    if data.get("document"):
        decision = _document(data["document"], today=today, number=str(data["decision_doc"]).strip())
    with store.writing() as conn:
        case = _moving(store, conn, dispute_id, "resolved", expected_version=expected_version, actor=actor,
                       actor_adcodes=actor_adcodes)
        if resolved_on < case["opened_on"]:
            raise InputError(text("boundary_casework.before_opened", field=casework_label("resolved_on"),
                                  value=resolved_on.isoformat(), opened=case["opened_on"].isoformat()),
                             field="resolved_on")
        if decision is None and not _has_document(conn, dispute_id, str(data["decision_doc"]).strip()):
            raise InputError(text("boundary_casework.decision_file_needed", field=casework_label("document"),
                                  number=str(data["decision_doc"]).strip()), field="document")
        store.update("boundary_disputes", dispute_id,
                     {"state": "resolved", "decision_doc": str(data["decision_doc"]).strip(),
                      "resolution": str(data["resolution"]).strip(), "resolved_on": resolved_on},
                     expected_version=expected_version, actor=actor, action="resolve", conn=conn,
                     note=f"BM-09 {str(data['decision_doc']).strip()}")
        if decision is not None:
            attach(store, conn, "boundary_disputes", dispute_id, decision[1], kind="document", actor=actor,
                   **decision[0])
    return dispute_detail(store, dispute_id)


def _has_document(conn: sa.Connection, dispute_id: int, number: str) -> bool:
    """Return whether a document numbered ``number`` is archived with the case (read inside ``conn``)."""
    a = schema.boundary_attachments
    found = conn.execute(sa.select(a.c.id).where(a.c.record_table == "boundary_disputes",
                                                 a.c.record_id == dispute_id, a.c.kind == "document",
                                                 a.c.document_no == number).limit(1)).scalar()
    return found is not None


@refuses_control_characters
def withdraw_dispute(store: Store, dispute_id: int, *, reason: str, expected_version: int, actor: str,
                     actor_adcodes: set[str]) -> dict[str, Any]:
    """Close a case that is not resolved because it was withdrawn; the reason is kept in its remarks."""
    why = required_text({"reason": reason}, "reason", "BM-09")
    with store.writing() as conn:
        case = _moving(store, conn, dispute_id, "withdrawn", expected_version=expected_version, actor=actor,
                       actor_adcodes=actor_adcodes)
        remarks = "\n".join(p for p in (case.get("remarks"), f"撤回 withdrawn: {why}") if p)
        store.update("boundary_disputes", dispute_id, {"state": "withdrawn", "remarks": remarks},
                     expected_version=expected_version, actor=actor, action="withdraw", note=why, conn=conn)
    return dispute_detail(store, dispute_id)


def dispute_detail(store: Store, dispute_id: int) -> dict[str, Any]:
    """Return one case with its marker numbers as a list and its documents (without their bytes)."""
    case = store.get("boundary_disputes", dispute_id)
    return _public(case, attachments_of(store, "boundary_disputes", dispute_id))


def list_disputes(store: Store, *, state: str | None = None, line_code: str | None = None) -> list[dict[str, Any]]:
    """Return the cases (of one state, one line), newest first, each with its documents; an unknown state
    or line is refused."""
    if state is not None and state not in STATES:
        raise InputError(text("boundaries.choice", field=casework_label("state"), value=repr(state),
                              allowed=states_named()), field="state")
    where: dict[str, Any] = {}
    if line_code is not None:
        known_line(store, line_code)
    if state is not None:
        where["state"] = state
    if line_code is not None:
        where["line_code"] = line_code
    cases = store.select("boundary_disputes", where=where)
    docs = attachments_of(store, "boundary_disputes", [c["id"] for c in cases])
    return [_public(c, [d for d in docs if d["record_id"] == c["id"]]) for c in reversed(cases)]
