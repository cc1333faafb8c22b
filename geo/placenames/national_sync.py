"""The annual sync with the national place-name database (中国·国家地名信息库, “按年度更新维护”).

A batch is the year's gazetteer changes in the exchange format (:mod:`geo.placenames.exchange`,
codes and category names filled) with a change-type column (新增 created, 变更 changed, 废止 retired),
as UTF-8 CSV with a byte-order mark, and its SHA-256. The changes are read from the audit log
(``place_names`` rows, numbered in commit order): a batch covers the commit numbers after the year's
previous batch up to the newest committed one, and holds each standard name (approved or later; a
proposal under review is not sent) changed in the year once, in the state of its last change there (a
change in January of the next year does not leak into it).

Idempotent: asking again for a year with nothing new returns the year's last batch, the same stored
bytes and checksum; later changes go into the next batch only. A year with no change at all is
refused (an empty file is not "nothing changed"). Sending and the national side's acknowledgement
(with its reference) are recorded as separate steps. Names loaded in bulk (one audit row for the
whole load) are the starting register, not a change of any year: ``xincheng place-codes sync export``
sends what changed after it. A register name given its 地名代码 later (``init`` codes the sample's)
goes as 变更, not 新增: the register is what the national database already holds (the census's
names), and the code is what changed about it. A name approved and abolished before any batch was
sent goes as 废止 with its full record (code, dates, decision), so the national side can keep it as a
historical name rather than never hear of it.

The year of a change is the (Beijing) year it was *recorded*, not its decision date: a batch covers
commit numbers, and each commit is sent once. A rename decided in June 2025 but recorded in 2026 goes
into a 2026 batch; putting it into 2025's would need a new 2025 batch after 2025's were sent, and
the national side takes each year's changes as they were reported. So a year is refused only for
having no change *recorded* in it that is not yet in a batch, and the refusal says so.

Batches are sent in order (earlier year first, then batch number): each batch holds only the
changes since the one before, so a batch sent while an earlier one is not would leave the earlier
changes out of the national database for good; :func:`mark_sent` refuses it, naming the earlier
unsent batches.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import shapely.geometry
import sqlalchemy as sa

from geo.errors import Conflict, InputError, NotFound, StaleVersion
from geo.messages import BEIJING, label, text
from geo.placenames.codes import CODED_STATUSES
from geo.placenames.exchange import exchange_table
from geo.placenames.heritage import listed_by_name
from geo.store import Store, schema
from geo.store.spatial_sql import lock_natural_keys
from geo.text import clean, has_text
from geo.types import beijing_today

FIRST_YEAR = 2000
CHANGE_TYPES = {"created": "新增", "changed": "变更", "retired": "废止"}
CHANGE_COLUMN = "变更类型"
FILE_FORMAT = "csv"
LISTED_FIELDS = ("id", "year", "batch_no", "from_seq", "to_seq", "record_count", "file_format", "checksum_sha256",
                 "made_by", "created_at", "sent_at", "acknowledged_at", "ack_ref", "version")
# What a listed batch shows beside its stored fields: its rows without codes and the warnings about them.
SHOWN_FIELDS = (*LISTED_FIELDS, "gaps", "warnings")


def check_year(year: Any) -> int:
    """Return ``year`` if it is a whole year from 2000 to this year (Beijing), else refuse naming ``year``."""
    this_year = beijing_today().year
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= this_year:
        raise InputError(text("place_codes.sync_year", field=label("year"), value=repr(year), first=FIRST_YEAR,
                              last=this_year), field="year")
    return year


def _beijing_year(moment: datetime) -> int:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(BEIJING).year


def _state(row: Mapping[str, Any]) -> dict[str, Any]:
    """Return a name's state from an audit row's ``after`` (geometry back as shapely)."""
    state = json.loads(row["after"])
    geom = state.get("geometry")
    state["geometry"] = shapely.geometry.shape(geom) if isinstance(geom, dict) else None
    return state


def year_changes(rows: Sequence[Mapping[str, Any]], year: int) -> list[tuple[str, dict[str, Any]]]:
    """Return each standard name changed in ``year`` (Beijing time) once: its change type and last state.

    ``rows`` are audit rows of ``place_names`` in commit order. Only standard names are sent: a name
    whose last state in the year is approved or later (or retired after approval); a proposal still
    under review is not. Ending the year retired → retired (废止); else created or approved in the year
    → created (新增); else changed (变更).
    """
    created: set[int] = set()
    was_standard: set[int] = set()
    last: dict[int, Mapping[str, Any]] = {}
    for row in rows:
        if row["record_id"] is None or not row.get("after") or _beijing_year(row["at"]) != year:
            continue
        rid = int(row["record_id"])
        if row["action"] in ("create", "status:approved"):
            created.add(rid)
        if _was_standard(row):
            was_standard.add(rid)
        last[rid] = row
    out = []
    for rid in sorted(last):
        state = _state(last[rid])
        if not is_standard_name(state) and not (state.get("status") == "retired" and rid in was_standard):
            continue
        kind = "retired" if state.get("status") == "retired" else "created" if rid in created else "changed"
        out.append((kind, state))
    return out


def _was_standard(row: Mapping[str, Any]) -> bool:
    """Return whether an audit row's ``before`` state is a standard name's (approved or later): a name of
    the starting register retired in the year was in the national database, approval date or not (F12)."""
    raw = row.get("before")
    if not raw:
        return False
    try:
        before = json.loads(raw)
    except (TypeError, ValueError):
        return False
    return isinstance(before, dict) and before.get("status") in CODED_STATUSES


def is_standard_name(state: Mapping[str, Any]) -> bool:
    """Return whether a name's state is a standard name's: approved or later, or retired after approval
    (or retired holding a 地名代码, which only a standard name gets)."""
    status = state.get("status")
    return status in CODED_STATUSES or (status == "retired" and (bool(state.get("approval_date"))
                                                                  or has_text(state.get("place_code"))))


def batch_payload(changes: list[tuple[str, dict[str, Any]]], *, unit_names: Mapping[str, str],
                  former: Mapping[int, list[str]], protections: Mapping[int, Mapping[str, Any]]) -> str:
    """Return the batch file: the exchange table with the change type first, CSV with a BOM, LF line ends."""
    table = exchange_table([state for _kind, state in changes], unit_names=unit_names, former=former,
                           protections=protections)
    table.insert(0, CHANGE_COLUMN, [CHANGE_TYPES[kind] for kind, _state in changes])
    out = io.StringIO()
    table.to_csv(out, index=False, lineterminator="\n")
    return "\ufeff" + out.getvalue()


def batch_gaps(payload: str) -> dict[str, int]:
    """Count the batch file's rows still without a 地名代码 or a 类别代码 (GB/T 18521's table is not
    known here, so most streets and facilities have none): shown beside every batch, never hidden."""
    table = pd.read_csv(io.StringIO(payload.lstrip("\ufeff")), dtype=str, keep_default_na=False)
    blank = {column: int((table[column].str.strip() == "").sum()) if column in table else len(table)
             for column in ("地名代码", "类别代码")}
    return {"rows": len(table), "without_place_code": blank["地名代码"], "without_category_code": blank["类别代码"]}


def gap_warnings(gaps: Mapping[str, int]) -> list[str]:
    """Return the batch's gaps as Chinese-first warnings (empty when every row is complete)."""
    out = []
    if gaps.get("without_place_code"):
        out.append(text("place_codes.sync_gap_place_code", count=gaps["without_place_code"], rows=gaps["rows"]))
    if gaps.get("without_category_code"):
        out.append(text("place_codes.sync_gap_category", count=gaps["without_category_code"], rows=gaps["rows"]))
    return out


def checksum(payload: str) -> str:
    """Return the SHA-256 (hex) of the batch file's bytes (UTF-8, as downloaded)."""
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _fill_codes(conn: sa.Connection, changes: list[tuple[str, dict[str, Any]]]) -> None:
    """Give each row without a 地名代码 the code its name holds now (a code is permanent and never
    rewritten, so a code given after the name's last change in the year is still its code)."""
    p = schema.place_names
    missing = [state for _kind, state in changes if not has_text(state.get("place_code")) and state.get("id")]
    ids = [int(state["id"]) for state in missing]
    codes: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        codes.update({int(r[0]): r[1] for r in conn.execute(sa.select(p.c.id, p.c.place_code).where(
            p.c.id.in_(ids[start:start + 500]), p.c.place_code.is_not(None), p.c.place_code != ""))})
    for state in missing:
        if int(state["id"]) in codes:
            state["place_code"] = codes[int(state["id"])]


def _last_batch(conn: sa.Connection, year: int) -> dict[str, Any] | None:
    t = schema.sync_batches
    row = conn.execute(sa.select(t).where(t.c.year == year).order_by(t.c.batch_no.desc()).limit(1)).mappings().first()
    return dict(row) if row is not None else None


def make_batch(store: Store, year: int, *, actor: str) -> tuple[dict[str, Any], bool]:
    """Return the year's batch of changes not yet in a batch, and whether it is new.

    With nothing new since the year's last batch, that batch is returned as stored (same bytes, same
    checksum). A year without any change is refused (409).
    """
    year = check_year(year)
    log = schema.audit_log
    with store.writing() as conn:
        lock_natural_keys(conn, [f"sync:{year}"])  # two officers at once: the second waits, then gets the first's
        last = _last_batch(conn, year)
        since = int(last["to_seq"]) if last is not None else 0
        horizon = store.commit_horizon(conn)
        start = datetime(year, 1, 1, tzinfo=BEIJING) - timedelta(days=1)
        end = datetime(year + 1, 1, 1, tzinfo=BEIJING) + timedelta(days=1)
        rows = [dict(r) for r in conn.execute(
            sa.select(log).where(log.c.table_name == "place_names", log.c.seq > since, log.c.seq <= horizon,
                                 log.c.at >= start, log.c.at < end, log.c.action != "refused_stale_version")
            .order_by(log.c.seq)).mappings()]
        changes = year_changes(rows, year)
        if not changes:
            if last is not None:
                return with_gaps(last), False
            raise Conflict(text("place_codes.sync_nothing", year=year), field="year")
        _fill_codes(conn, changes)
        units = {r[0]: r[1] for r in conn.execute(sa.select(schema.admin_units.c.code, schema.admin_units.c.name))}
        former: dict[int, list[str]] = {}
        f = schema.former_names
        for pid, name in conn.execute(sa.select(f.c.place_name_id, f.c.name).order_by(f.c.id)):
            former.setdefault(int(pid), []).append(name)
        payload = batch_payload(changes, unit_names=units, former=former, protections=listed_by_name(store, conn=conn))
        record = {"year": year, "batch_no": (int(last["batch_no"]) + 1) if last is not None else 1,
                  "from_seq": since + 1, "to_seq": horizon, "record_count": len(changes), "file_format": FILE_FORMAT,
                  "checksum_sha256": checksum(payload), "payload": payload, "made_by": actor}
        (bid,) = store.insert("sync_batches", [record], actor=actor, conn=conn,
                              note=f"{year} #{record['batch_no']}: {len(changes)} names, seq {since + 1}–{horizon}")
        return with_gaps(store.get("sync_batches", bid, conn=conn)), True


def _current(store: Store, conn: sa.Connection, batch_id: int, expected_version: int) -> dict[str, Any]:
    t = schema.sync_batches
    row = conn.execute(sa.select(t.c.id).where(t.c.id == batch_id)).first()
    if row is None:
        raise NotFound(text("place_codes.no_batch", id=batch_id), field="id")
    current = store.get("sync_batches", batch_id, conn=conn)
    if current["version"] != expected_version:
        raise StaleVersion(text("place_codes.batch_stale", id=batch_id, current=current["version"],
                                given=expected_version), field="version")
    return current


def _refuse_out_of_order(conn: sa.Connection, batch: Mapping[str, Any]) -> None:
    """Refuse (409) sending ``batch`` while an earlier one (an earlier year, or the same year with a
    lower number) is not recorded as sent: each batch holds only the changes since the one before, so
    sending the newest alone would lose the earlier changes; the refusal lists the batches to send first."""
    t = schema.sync_batches
    year, number = int(batch["year"]), int(batch["batch_no"])
    earlier = conn.execute(sa.select(t.c.id, t.c.year, t.c.batch_no).where(
        t.c.sent_at.is_(None), sa.or_(t.c.year < year, sa.and_(t.c.year == year, t.c.batch_no < number)))
        .order_by(t.c.year, t.c.batch_no)).all()
    if earlier:
        shown = "、".join(f"{int(r.year)} #{int(r.batch_no)}（id {int(r.id)}）" for r in earlier)
        raise Conflict(text("place_codes.sent_out_of_order", id=int(batch["id"]), year=year, no=number,
                            earlier=shown, count=len(earlier)), field="id")


def mark_sent(store: Store, batch_id: int, *, expected_version: int, actor: str) -> dict[str, Any]:
    """Record that a batch was sent to the national database (once, and only after every earlier batch:
    :func:`_refuse_out_of_order`)."""
    with store.writing() as conn:
        current = _current(store, conn, batch_id, expected_version)
        if current.get("sent_at") is not None:
            raise Conflict(text("place_codes.already_sent", id=batch_id), field="sent_at")
        _refuse_out_of_order(conn, current)
        return store.update("sync_batches", batch_id, {"sent_at": datetime.now(UTC)}, expected_version=expected_version,
                            actor=actor, conn=conn, action="sent")


def mark_acknowledged(store: Store, batch_id: int, *, ack_ref: str, expected_version: int, actor: str
                      ) -> dict[str, Any]:
    """Record the national side's acknowledgement of a sent batch, with its reference (once)."""
    if not has_text(ack_ref):
        raise InputError(text("place_codes.ack_ref_required", field=label("ack_ref")), field="ack_ref")
    with store.writing() as conn:
        current = _current(store, conn, batch_id, expected_version)
        if current.get("sent_at") is None:
            raise Conflict(text("place_codes.ack_before_sent", id=batch_id), field="sent_at")
        if current.get("acknowledged_at") is not None:
            raise Conflict(text("place_codes.already_acknowledged", id=batch_id, ref=current.get("ack_ref") or ""),
                           field="acknowledged_at")
        return store.update("sync_batches", batch_id, {"acknowledged_at": datetime.now(UTC),
                                                       "ack_ref": clean(ack_ref)},
                            expected_version=expected_version, actor=actor, conn=conn, action="acknowledged")


def list_batches(store: Store, *, year: int | None = None) -> list[dict[str, Any]]:
    """Return the batches (without their files), newest year and batch first."""
    t = schema.sync_batches
    query = sa.select(*(t.c[k] for k in LISTED_FIELDS), t.c.payload).order_by(t.c.year.desc(), t.c.batch_no.desc())
    if year is not None:
        query = query.where(t.c.year == check_year(year))
    with store.reading() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    return [{k: v for k, v in with_gaps(r).items() if k != "payload"} for r in rows]


def with_gaps(batch: dict[str, Any]) -> dict[str, Any]:
    """Return a batch with its ``gaps`` (:func:`batch_gaps`) and their ``warnings``."""
    gaps = batch_gaps(batch["payload"])
    return {**batch, "gaps": gaps, "warnings": gap_warnings(gaps)}


def get_batch(store: Store, batch_id: int) -> dict[str, Any]:
    """Return one batch with its file (404 when there is none)."""
    t = schema.sync_batches
    with store.reading() as conn:
        if conn.execute(sa.select(t.c.id).where(t.c.id == batch_id)).first() is None:
            raise NotFound(text("place_codes.no_batch", id=batch_id), field="id")
        return with_gaps(store.get("sync_batches", batch_id, conn=conn))


def batch_filename(batch: Mapping[str, Any]) -> str:
    """Return the download name of a batch: ``gazetteer_sync_2026_01.csv``."""
    return f"gazetteer_sync_{int(batch['year'])}_{int(batch['batch_no']):02d}.{batch.get('file_format') or 'csv'}"
