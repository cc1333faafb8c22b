"""The place-name heritage protection list (地名文化遗产保护名录, PN-09).

Each entry (table ``name_protections``) is a decision: the body and document that listed the name,
the reason, a category and the date. Lifting the protection is a decision too (document, reason,
date); the entry stays, with status ``lifted``, so the list keeps its history. ``place_names.protected``
is the derived flag (true while the name has a listed entry); names loaded with the flag and no entry
(from before the list existed) count as protected too.

A protected name refuses renaming and retirement ("一般不得更名", 条例 art.10, 25) until a decision lifts
the protection. The use case that lists and lifts is :func:`geo.placenames.lifecycle.set_protection`
(one transaction with the flag, the entry and the name's event); this module holds its steps and the
reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa

from geo.errors import Conflict, InputError
from geo.messages import as_term, label, text
from geo.store import Store, schema
from geo.text import clean, has_text
from geo.types import beijing_today, parse_date
from geo.validation import check_one_line

LISTED, LIFTED = "listed", "lifted"
MAX_CATEGORY_CHARS = 24  # name_protections.category is String(24)


def active_entry(conn: sa.Connection, place_id: int) -> dict[str, Any] | None:
    """Return the name's listed (not lifted) entry, or None."""
    t = schema.name_protections
    row = conn.execute(sa.select(t).where(t.c.place_name_id == place_id, t.c.status == LISTED)
                       .order_by(t.c.id.desc()).limit(1)).mappings().first()
    return dict(row) if row is not None else None


def decision_date(value: Any, *, field: str, not_before: date | None = None) -> date:
    """Return a decision's date (today in Beijing when not given); a future date, or one before
    ``not_before``, is refused naming the field."""
    when = parse_date(value, field=field) or beijing_today()
    if when > beijing_today():
        raise InputError(text("place_codes.decision_in_future", field=label(field), date=when.isoformat()),
                         field=field)
    if not_before is not None and when < not_before:
        raise InputError(text("place_codes.lift_before_listing", field=label(field), date=not_before.isoformat()),
                         field=field)
    return when


def list_name(store: Store, conn: sa.Connection, place_id: int, *, decision_body: str | None, decision_doc_no: str,
              reason: str, category: str | None, listed_on: Any, actor: str) -> dict[str, Any]:
    """Add the name to the list (a new entry, status listed) inside the caller's transaction."""
    check_one_line(decision_body, field="decision_body")
    check_one_line(decision_doc_no, field="decision_doc_no")
    category = clean(category) if has_text(category) else None
    if category is not None and len(category) > MAX_CATEGORY_CHARS:
        raise InputError(text("place_codes.category_too_long", field=label("category"), most=MAX_CATEGORY_CHARS),
                         field="category")
    entry = {"place_name_id": place_id, "decision_body": clean(decision_body) if has_text(decision_body) else None,
             "decision_doc_no": clean(decision_doc_no), "reason": clean(reason), "category": category,
             "listed_on": decision_date(listed_on, field="decision_date"), "status": LISTED}
    (eid,) = store.insert("name_protections", [entry], actor=actor, conn=conn)
    return store.get("name_protections", eid, conn=conn)


def lift_name(store: Store, conn: sa.Connection, place_id: int, *, lift_doc_no: str, lift_reason: str,
              lifted_on: Any, actor: str) -> dict[str, Any]:
    """Lift the name's protection (its entry kept, status lifted) inside the caller's transaction.

    A name flagged protected before the list existed has no entry: one is written, lifted, so the
    lifting decision is on the list too.
    """
    entry = active_entry(conn, place_id)
    lifted = {"lift_doc_no": clean(lift_doc_no), "lift_reason": clean(lift_reason), "status": LIFTED,
              "lifted_on": decision_date(lifted_on, field="decision_date",
                                         not_before=entry["listed_on"] if entry else None)}
    if entry is None:
        (eid,) = store.insert("name_protections", [{"place_name_id": place_id, **lifted}], actor=actor, conn=conn,
                              note="listed before the protection list existed")
        return store.get("name_protections", eid, conn=conn)
    return store.update("name_protections", int(entry["id"]), lifted, expected_version=int(entry["version"]),
                        actor=actor, conn=conn, action="lift")


def refuse_if_protected(conn: sa.Connection, name: Mapping[str, Any], *, action: str) -> None:
    """PN-09: refuse to rename or retire a protected name until a decision lifts its protection."""
    entry = active_entry(conn, int(name["id"]))
    if entry is None and not name.get("protected"):
        return
    if entry is not None:
        listed = text("place_codes.entry", id=entry["id"], doc=entry.get("decision_doc_no") or "—",
                      date=entry["listed_on"].isoformat() if entry.get("listed_on") else "—")
    else:
        listed = text("place_codes.entry_flag_only")
    key = "place_codes.protected_rename" if action == "rename" else "place_codes.protected_retire"
    raise Conflict(text(key, name=name.get("standard_name") or "", entry=as_term(listed), id=name["id"]),
                   field="protected")


def protection_list(store: Store, *, status: str | None = None, place_id: int | None = None,
                    conn: sa.Connection | None = None) -> list[dict[str, Any]]:
    """Return the list's entries (newest first) with the name, its code and its status (one name's with
    ``place_id``); with ``conn``, read in the caller's transaction."""
    t, p = schema.name_protections, schema.place_names
    query = (sa.select(t, p.c.standard_name, p.c.place_code, p.c.status.label("name_status"))
             .join(p, p.c.id == t.c.place_name_id, isouter=True).order_by(t.c.id.desc()))
    if status is not None:
        if status not in (LISTED, LIFTED):
            raise InputError(text("place_codes.bad_list_status", field=label("status"), value=repr(status)),
                             field="status")
        query = query.where(t.c.status == status)
    if place_id is not None:
        query = query.where(t.c.place_name_id == place_id)
    if conn is not None:
        return [dict(r) for r in conn.execute(query).mappings()]
    with store.reading() as own:
        return [dict(r) for r in own.execute(query).mappings()]


def listed_by_name(store: Store, *, conn: sa.Connection | None = None) -> dict[int, dict[str, Any]]:
    """Return each protected name's listed entry by name id (for exports); with ``conn``, in its transaction."""
    return {int(e["place_name_id"]): e for e in reversed(protection_list(store, status=LISTED, conn=conn))}
