"""Repairs of boundary markers (BM-03): the repair done, by the side that manages the marker, with the
neighbouring side present, with photos; a re-set marker gets its new registered position (BM-04).

行政区域界线管理条例 art.6: a damaged marker is repaired by the side that manages it as the agreement
divides them, with the neighbouring side present; art.16 sanctions staff who repair without them
(BM-10). A re-set is a move: it needs both sides' agreement, a joint survey and filing, and runs
through :func:`geo.boundaries.markers.move_marker` in the same transaction as the repair record, so
the marker's old position stays in the audit trail and a refused move stores no repair. A repair
may close a repair request (a field record with ``action = repair_requested``); the campaign's repair
list then shows the request as done.

A re-set during a repair puts the marker back near where it was registered (within
:data:`MAX_RESET_M`); moving it farther is a move of the marker under BM-04, not a repair. A repair
sent again with the same content (a phone retrying on a bad network) is recognised inside the write
transaction, under the marker's row lock, and answered with the first record: nothing is stored twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import shapely
import sqlalchemy as sa

from geo import crs as C
from geo.boundaries.attachments import (
    MAX_FILES,
    MAX_PHOTO_BYTES,
    PHOTO_TYPES,
    attach,
    attachments_of,
    casework_label,
    checked_file,
    required_text,
)
from geo.boundaries.markers import move_marker
from geo.errors import Conflict, Forbidden, InputError, NotFound, StaleVersion
from geo.messages import Term, quoted, record_label, text, value_label
from geo.store import Store, schema
from geo.text import has_text
from geo.types import LonLat, beijing_date, beijing_today, parse_date
from geo.validation import check_text, refuses_control_characters

REPAIRABLE = ("active", "damaged")  # a decommissioned marker is history: it is not repaired
RESET_RECORDS = ("agreement_doc", "survey_ref", "filed_with", "new_position", "marker_version")
TEXTS = ("our_representative", "neighbour_representative", "work", "remarks")
EARLIEST_REPAIR = date(1949, 10, 1)  # no boundary marker of the People's Republic predates it
MAX_RESET_M = 50.0  # a re-set during a repair stays by the old site; farther is a BM-04 move of the marker
SAME_REPAIR = ("repaired_on", "our_representative", "neighbour_representative", "work", "reset")


def _date_not_future(value: Any, field: str, *, today: date) -> date:
    parsed = parse_date(value, field=field)
    if parsed is None:
        raise InputError(text("boundary_casework.required", field=casework_label(field), rule="BM-03"), field=field)
    if parsed > today:
        raise InputError(text("boundary_casework.future", field=casework_label(field), value=parsed.isoformat()),
                         field=field)
    if parsed < EARLIEST_REPAIR:
        raise InputError(text("boundary_casework.too_early", field=casework_label(field), value=parsed.isoformat(),
                              earliest=EARLIEST_REPAIR.isoformat()), field=field)
    return parsed


def _photos(photos: Sequence[Mapping[str, Any]] | None) -> list[tuple[bytes, str, str]]:
    """Return the checked photos of a repair: one at least, :data:`MAX_FILES` at most, JPEG or PNG."""
    photos = list(photos or [])
    if not photos:
        raise InputError(text("boundary_casework.photos_required", field=casework_label("photos")), field="photos")
    if len(photos) > MAX_FILES:
        raise InputError(text("boundary_casework.too_many_files", field=casework_label("photos"), limit=MAX_FILES,
                              count=len(photos)), field="photos")
    return [checked_file(p, field="photos", kinds=PHOTO_TYPES, max_bytes=MAX_PHOTO_BYTES) for p in photos]


def _new_position(data: Mapping[str, Any]) -> shapely.Point:
    position = data.get("new_position")
    if not isinstance(position, Mapping):
        raise InputError(text("boundary_casework.reset_records", fields=casework_label("new_position")),
                         field="new_position")
    try:
        lon, lat = float(position.get("lon", "nan")), float(position.get("lat", "nan"))
    except (TypeError, ValueError):
        lon = lat = float("nan")
    p = LonLat.from_xy(lon, lat, crs=str(position.get("crs") or "EPSG:4490"), field="new_position")
    return shapely.Point(p.lon, p.lat)


def _reset_distance_m(old: shapely.Geometry, new: shapely.Point) -> float:
    """Return how far (metres, EPSG:4546) a re-set takes a marker from its registered position."""
    return float(shapely.distance(C.to_metric(old), C.to_metric(new)))


def _same_repair(store: Store, conn: sa.Connection, record: Mapping[str, Any], hashes: list[str]) -> int | None:
    """Return the id of a repair already stored with this content (same marker, date, representatives,
    work, re-set, same photos by SHA-256), read inside the caller's transaction, or ``None``."""
    r, a = schema.marker_repairs, schema.boundary_attachments
    query = sa.select(r.c.id).where(r.c.marker_id == record["marker_id"],
                                    *(r.c[k] == record[k] for k in SAME_REPAIR)).order_by(r.c.id)
    for rid in conn.execute(query).scalars():
        stored = conn.execute(sa.select(a.c.sha256).where(a.c.record_table == "marker_repairs",
                                                          a.c.record_id == rid)).scalars().all()
        if sorted(stored) == sorted(hashes):
            return int(rid)
    return None


def _sides(store: Store, marker: Mapping[str, Any]) -> tuple[str | None, str | None]:
    lines = store.select("boundary_lines", where={"line_code": marker["line_code"]})
    return (lines[0]["left_adcode"], lines[0]["right_adcode"]) if lines else (None, None)


def _request(store: Store, marker: Mapping[str, Any], inspection_id: Any) -> dict[str, Any] | None:
    """Return the repair request (field record) a repair closes, or refuse one that is not this marker's."""
    if inspection_id in (None, ""):
        return None
    named = casework_label("inspection_id")
    if not isinstance(inspection_id, int) or isinstance(inspection_id, bool):
        raise InputError(text("boundary_casework.not_a_request", field=named, value=repr(inspection_id)),
                         field="inspection_id")
    found = store.select("inspections", where={"id": inspection_id})
    if not found or found[0]["marker_id"] != marker["id"] or found[0]["action"] != "repair_requested":
        raise InputError(text("boundary_casework.not_a_request", field=named, value=inspection_id),
                         field="inspection_id")
    return found[0]


def _requested_on(request: Mapping[str, Any] | None) -> date | None:
    """Return the Beijing day a repair request was made: when the phone says it was observed, but never after
    the server received it (a phone's clock may run up to ``OBSERVED_AT_SLACK`` ahead, and a repair done
    the same evening must not be dated before its own request)."""
    if request is None or request.get("observed_at") is None:
        return None
    moments = [m for m in (request["observed_at"], request.get("created_at")) if m is not None]
    return beijing_date(min(moments))


@refuses_control_characters
def record_repair(store: Store, data: Mapping[str, Any], *, photos: Sequence[Mapping[str, Any]] | None, actor: str,
                  actor_adcodes: set[str], today: date | None = None) -> dict[str, Any]:
    """Record a repair done on a marker (BM-03); with ``reset`` the marker gets its new position (BM-04).

    ``data`` holds ``marker_id``, ``repaired_on``, ``neighbour_present`` (true), ``our_representative``,
    ``neighbour_representative``, ``work``, optionally ``repairing_adcode``/``neighbour_adcode`` (they
    must be the marker's managing side and the other side of its line), ``inspection_id`` (the repair
    request it closes), ``remarks``; a re-set adds ``agreement_doc``, ``survey_ref``, ``filed_with``,
    ``new_position`` ``{lon, lat, crs}`` and ``marker_version`` (the marker's version as read: a stale
    one is a 409). ``actor_adcodes`` are the districts the actor acts for: the managing side's only.
    Everything is checked before anything is written; the record, its photos and the move are one
    transaction. Returns the stored repair with its photos (without their bytes) and ``repeated``:
    ``True`` when the same repair (same marker, date, representatives, work, re-set and photos) was
    stored already, in which case that first record is returned and nothing new is stored.
    """
    today = today or beijing_today()
    raw_id = data.get("marker_id")
    if not isinstance(raw_id, int) or isinstance(raw_id, bool):
        raise NotFound(text("boundaries.no_marker", value=repr(raw_id)), field="marker_id")
    marker = store.get("boundary_markers", raw_id)
    if marker["status"] not in REPAIRABLE:
        raise Conflict(text("boundary_casework.marker_not_repairable", number=marker["marker_no"],
                            status=value_label(marker["status"])), field="marker_id")
    manager = marker.get("managing_adcode")
    if not manager:
        raise InputError(text("boundary_casework.no_manager", number=marker["marker_no"]), field="managing_adcode")
    repairing = data.get("repairing_adcode") or manager
    if repairing != manager:
        raise InputError(text("boundary_casework.repairing_side", field=casework_label("repairing_adcode"),
                              manager=manager, value=repr(repairing)), field="repairing_adcode")
    if manager not in actor_adcodes:
        raise Forbidden(text("boundary_casework.acts_for", actor=actor, own=", ".join(sorted(actor_adcodes)),
                             side=manager, rule="BM-03"), field="repairing_adcode")
    left, right = _sides(store, marker)
    if manager in (left, right):
        expected = right if manager == left else left
        neighbour = data.get("neighbour_adcode") or expected
    else:  # a triple marker managed by a third unit: the neighbour present is named, one side of the line
        neighbour = data.get("neighbour_adcode")
        expected = neighbour if neighbour in (left, right) else " / ".join(a for a in (left, right) if a)
    if not expected or neighbour != expected:
        raise InputError(text("boundary_casework.neighbour_side", field=casework_label("neighbour_adcode"),
                              expected=expected, value=repr(neighbour)), field="neighbour_adcode")
    if data.get("neighbour_present") is not True:
        raise InputError(text("boundary_casework.neighbour_absent", field=casework_label("neighbour_present")),
                         field="neighbour_present")
    ours = required_text(data, "our_representative", "BM-03")
    theirs = required_text(data, "neighbour_representative", "BM-03")
    work = required_text(data, "work", "BM-03")
    if data.get("remarks") is not None:
        check_text(data["remarks"], field="remarks")
    repaired_on = _date_not_future(data.get("repaired_on"), "repaired_on", today=today)
    installed = marker.get("installed_on")
    if installed is not None and repaired_on < installed:
        raise InputError(text("boundary_casework.before_installed", field=casework_label("repaired_on"),
                              value=repaired_on.isoformat(), installed=installed.isoformat()), field="repaired_on")
    request = _request(store, marker, data.get("inspection_id"))
    requested_on = _requested_on(request)
    if requested_on is not None and repaired_on < requested_on:
        raise InputError(text("boundary_casework.before_request", field=casework_label("repaired_on"),
                              value=repaired_on.isoformat(), requested=requested_on.isoformat()),
                         field="repaired_on")
    checked = _photos(photos)
    reset = data.get("reset") is True
    version = data.get("marker_version")
    position = None
    if reset:
        missing = [k for k in RESET_RECORDS if data.get(k) in (None, "") or (isinstance(data.get(k), str)
                                                                             and not has_text(data[k]))]
        if missing:
            fields = Term("、".join(casework_label(k) for k in missing), ", ".join(missing))
            raise InputError(text("boundary_casework.reset_records", fields=fields), field=missing[0])
        position = _new_position(data)
        moved_m = _reset_distance_m(marker["geometry"], position)
        if moved_m > MAX_RESET_M:
            raise InputError(text("boundary_casework.reset_far", field=casework_label("new_position"),
                                  distance=f"{moved_m:,.1f}", limit=f"{MAX_RESET_M:,.0f}"), field="new_position")
    else:
        for extra in ("new_position", "agreement_doc", "survey_ref", "filed_with"):
            if data.get(extra) not in (None, ""):
                raise InputError(text("boundary_casework.reset_only", field=casework_label(extra)), field=extra)
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        raise InputError(text("boundary_casework.required", field=casework_label("marker_version"), rule="BM-04"),
                         field="marker_version")
    record = {"marker_id": marker["id"], "repaired_on": repaired_on, "repairing_adcode": manager,
              "neighbour_adcode": expected, "neighbour_present": True, "our_representative": ours,
              "neighbour_representative": theirs, "work": work, "reset": reset,
              "new_marker_id": marker["id"] if reset else None,
              "inspection_id": request["id"] if request else None, "remarks": data.get("remarks")}
    hashes = [sha for _raw, _kind, sha in checked]
    with store.writing() as conn:
        m = schema.boundary_markers
        current = conn.execute(sa.select(m.c.version).where(m.c.id == marker["id"]).with_for_update()).scalar()
        rid = _same_repair(store, conn, record, hashes)  # under the row lock: two retries cannot both miss
        repeated = rid is not None
        if rid is None:
            rid = _store_repair(store, conn, marker, record, checked, data, request=request, version=version,
                                current=current, position=position, actor=actor)
        repair = store.get("marker_repairs", rid, conn=conn)
    return {**repair, "marker_no": marker["marker_no"], "repeated": repeated,
            "photos": attachments_of(store, "marker_repairs", rid)}


def _store_repair(store: Store, conn: sa.Connection, marker: Mapping[str, Any], record: Mapping[str, Any],
                  checked: Sequence[tuple[bytes, str, str]], data: Mapping[str, Any], *,
                  request: Mapping[str, Any] | None, version: int | None, current: int | None,
                  position: shapely.Point | None, actor: str) -> int:
    """Write a new repair, its photos and (a re-set) the marker's move inside ``conn``; return its id."""
    if version is not None and current != version:
        raise StaleVersion(text("store.stale", record=record_label("boundary_markers", marker["id"]),
                                current=current, given=version), field="marker_version")
    if request is not None:
        r = schema.marker_repairs
        done = conn.execute(sa.select(r.c.id).where(r.c.inspection_id == request["id"])).scalar()
        if done is not None:
            raise Conflict(text("boundary_casework.request_done", value=request["id"], repair=done),
                           field="inspection_id")
    if record["reset"]:
        assert position is not None and isinstance(version, int)
        move_marker(store, marker["id"], position,
                    {"reason": f"重新埋设 re-set (BM-03): {record['work']}",
                     "agreement_doc": data["agreement_doc"], "survey_ref": data["survey_ref"],
                     "filed_with": data["filed_with"]}, expected_version=version, actor=actor, conn=conn)
    (rid,) = store.insert("marker_repairs", [record], actor=actor, conn=conn, note=f"BM-03 {marker['marker_no']}")
    for photo in checked:
        attach(store, conn, "marker_repairs", rid, photo, kind="photo", actor=actor)
    return int(rid)


def repairs_of_marker(store: Store, marker_id: int) -> list[dict[str, Any]]:
    """Return a marker's repairs, oldest first, each with its photos (without their bytes)."""
    marker = store.get("boundary_markers", marker_id)
    repairs = store.select("marker_repairs", where={"marker_id": marker_id})
    photos = attachments_of(store, "marker_repairs", [r["id"] for r in repairs])
    return [{**r, "marker_no": marker["marker_no"], "photos": [p for p in photos if p["record_id"] == r["id"]]}
            for r in repairs]


def repairs_done(store: Store, *, line_code: str | None = None, since: date | None = None) -> list[dict[str, Any]]:
    """Return every repair recorded (of one line, from a date), newest first, with its marker number.

    A ``line_code`` that names no registered line is refused (an empty list would read as "no repairs").
    """
    if line_code is not None:
        known_line(store, line_code)
    r, m = schema.marker_repairs, schema.boundary_markers
    query = (sa.select(r, m.c.marker_no, m.c.line_code).join(m, m.c.id == r.c.marker_id)
             .order_by(r.c.repaired_on.desc(), r.c.id.desc()))
    if line_code is not None:
        query = query.where(m.c.line_code == line_code)
    if since is not None:
        query = query.where(r.c.repaired_on >= since)
    with store.reading() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def known_line(store: Store, line_code: str) -> str:
    """Return ``line_code`` if it names a registered boundary line; otherwise refuse it naming the known ones."""
    known = sorted(r["line_code"] for r in store.select("boundary_lines"))
    if line_code not in known:
        raise InputError(text("boundary_casework.unknown_line", field=casework_label("line_code"),
                              value=quoted(line_code), known=", ".join(known) or "—"), field="line_code")
    return line_code


def repairs_for_requests(store: Store, inspection_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Return the repair that closed each repair request (field record id → repair), for the repair list."""
    if not inspection_ids:
        return {}
    r = schema.marker_repairs
    with store.reading() as conn:
        rows = conn.execute(sa.select(r).where(r.c.inspection_id.in_(list(inspection_ids)))
                            .order_by(r.c.id)).mappings()
        return {row["inspection_id"]: dict(row) for row in rows}
