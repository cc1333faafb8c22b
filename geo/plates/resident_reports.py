"""Residents' problem reports (from the public plate page): the officers' inbox.

A resident scanning a plate may report it damaged, missing or wrong (``problem_reports``, written
by the public page with no personal data). Officers read them here, filtered by status, street,
kind and date, and resolve each one with a note saying what was done. Resolving is one use case,
one transaction with its audit row; the report's version guards against two officers resolving it
at once (a stale version is refused, 409, and logged as a refused attempt). Nothing is deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from geo.errors import Conflict, InputError, NotFound, StaleVersion
from geo.messages import BEIJING, beijing_minute, quoted, text, value_labels
from geo.store import Store, schema
from geo.text import clean, has_text
from geo.validation import refuses_control_characters

REPORT_STATUSES = ("open", "resolved")
REPORT_STATUS_ZH = {"open": "待处理", "resolved": "已处理"}
# The kinds the public page offers (api/routers/public_plates.py REPORT_KINDS), named in Chinese.
REPORT_KIND_ZH = {"damaged_plate": "门牌损坏", "wrong_info": "信息有误", "missing_plate": "门牌缺失",
                  "other": "其他"}
NOTE_MAX_CHARS = 1000
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class ReportFilter:
    """Which reports to list; ``None`` (or empty text) means no restriction on that field."""

    status: str | None = None
    street: str | None = None
    kind: str | None = None
    since: date | None = None
    until: date | None = None

    def __post_init__(self) -> None:
        if self.status and self.status not in REPORT_STATUSES:
            raise InputError(text("officer.report_status_bad", given=quoted(self.status)), field="status")
        if self.kind and self.kind not in REPORT_KIND_ZH:
            raise InputError(text("officer.report_kind_bad", kinds=value_labels(REPORT_KIND_ZH, field="kind"),
                                  given=quoted(self.kind)), field="kind")


def _beijing_midnight_utc(day: date) -> datetime:
    """Return the moment (UTC) Beijing's ``day`` begins (from 0001-01-02 on; 0001-01-01 begins before year 1
    in UTC).

    The date filters' days are Beijing days: a report made at 07:00 on 2 December Beijing time belongs to
    2 December, though it is 23:00 on 1 December in UTC."""
    return datetime.combine(day, time(0), tzinfo=BEIJING).astimezone(UTC)


def _clauses(flt: ReportFilter) -> list[sa.ColumnElement[bool]]:
    r, p = schema.problem_reports, schema.door_plates
    clauses: list[sa.ColumnElement[bool]] = []
    if flt.status:
        clauses.append(r.c.status == flt.status)
    if flt.kind:
        clauses.append(r.c.kind == flt.kind)
    if has_text(flt.street):
        clauses.append(p.c.street_name.contains(str(flt.street).strip(), autoescape=True))
    # The calendar's ends bound nothing: every stored moment is on or after 0001-01-01 and before 10000.
    if flt.since is not None and flt.since > date.min:
        clauses.append(r.c.created_at >= _beijing_midnight_utc(flt.since))
    if flt.until is not None and flt.until < date.max:
        clauses.append(r.c.created_at < _beijing_midnight_utc(flt.until + timedelta(days=1)))
    return clauses


def list_reports(store: Store, flt: ReportFilter, *, limit: int = 50,
                 offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Return one page of reports, newest first, with the plate's street and number; and the total.

    ``limit`` is clamped to 1..:data:`MAX_PAGE_SIZE`. A report whose plate is unknown keeps
    ``street_name`` and ``number`` as ``None`` (a street filter then leaves it out).
    """
    limit = max(1, min(int(limit), MAX_PAGE_SIZE))
    r, p = schema.problem_reports, schema.door_plates
    joined = r.outerjoin(p, p.c.plate_uid == r.c.plate_uid)
    where = _clauses(flt)
    query = (sa.select(r, p.c.street_name, p.c.number, p.c.suffix).select_from(joined).where(*where)
             .order_by(r.c.id.desc()).limit(limit).offset(max(0, int(offset))))
    count = sa.select(sa.func.count()).select_from(joined).where(*where)
    with store.reading() as conn:
        rows = [dict(row) for row in conn.execute(query).mappings()]
        total = int(conn.execute(count).scalar_one())
    return rows, total


@refuses_control_characters
def resolve_report(store: Store, report_id: int, *, note: str, expected_version: int,
                   actor: str) -> dict[str, Any]:
    """Mark a report resolved with the officer's note, in one transaction with its audit row.

    Refused: an empty or over-long note (400, field ``note``), an unknown report (404), a report
    already resolved (409, field ``status``), a stale version (409, logged as a refused attempt).
    """
    if not has_text(note):
        raise InputError(text("officer.note_required"), field="note")
    note = str(clean(note))
    if len(note) > NOTE_MAX_CHARS:
        raise InputError(text("officer.note_too_long", limit=NOTE_MAX_CHARS), field="note")
    try:
        with store.writing() as conn:
            try:
                current = store.get("problem_reports", report_id, conn=conn)
            except NotFound:
                raise NotFound(text("officer.report_not_found", report_id=report_id),
                               field="report_id") from None
            if current.get("status") == "resolved":
                at = current.get("resolved_at")
                raise Conflict(text("officer.report_resolved_already",
                                    at=beijing_minute(at) if at else "?",
                                    by=current.get("resolved_by") or "?"), field="status")
            return store.update("problem_reports", report_id, {
                "status": "resolved", "resolved_at": datetime.now(UTC), "resolved_by": actor,
                "resolution_note": note}, expected_version=expected_version, actor=actor, conn=conn,
                action="resolve")
    except StaleVersion:
        store.record_refused("problem_reports", report_id, {"status": "resolved", "note": note},
                             expected_version=expected_version, actor=actor)
        raise
