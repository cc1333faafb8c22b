"""Use cases of the standard addresses: add a building, unit or room; edit one; retire one.

Each is one transaction with an audit row per record written; an edit or a retirement names the
version it was based on and is refused (409, logged) when the record changed meanwhile.

Retiring (AD-06): an address with active addresses below it is refused unless ``with_children`` is
set, which retires the whole subtree with it in the same transaction. A retired address keeps its
id and its QR token (the page then says it is retired); its id is never given again.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa

from geo.addresses._plan import AddressPlan
from geo.addresses._read import address_by_uid, labels_of
from geo.addresses.rules import check_floor, clean_label, field_label
from geo.addresses.standard import PlateContext, romanized_address, standard_address
from geo.errors import Conflict, InputError, NotFound, StaleVersion
from geo.messages import Term, quoted, text
from geo.store import Store, schema
from geo.text import clean, has_text
from geo.types import beijing_today
from geo.validation import refuses_control_characters

EDITABLE = ("building", "unit", "room", "floor")
MAX_REASON_CHARS = 200


def _insert_planned(store: Store, conn: sa.Connection, plan: AddressPlan, *, actor: str,
                    source: str | None) -> list[dict[str, Any]]:
    records = plan.records(actor=actor, source=source)
    ids = store.insert("addresses", records, actor=actor, conn=conn)
    return [store.get("addresses", i, conn=conn) for i in ids]


@refuses_control_characters
def add_building(store: Store, plate_uid: str, building: str, *, actor: str, source: str | None = None
                 ) -> dict[str, Any]:
    """Add a building (楼/幢) below an active door plate of this district; return the stored address."""
    with store.writing() as conn:
        plan = AddressPlan(store, conn, [plate_uid])
        plan.add_building(plate_uid, building)
        return _insert_planned(store, conn, plan, actor=actor, source=source)[0]


def _parent(store: Store, conn: sa.Connection, parent_uid: str) -> dict[str, Any]:
    parent = address_by_uid(conn, parent_uid)
    if parent is None or parent["adcode"] != store.adcode:
        raise NotFound(text("addresses.no_parent", value=quoted(parent_uid), field=field_label("parent_uid")),
                       field="parent_uid")
    return parent


@refuses_control_characters
def add_unit(store: Store, parent_uid: str, unit: str, *, actor: str, source: str | None = None) -> dict[str, Any]:
    """Add a unit (单元) below a building; return the stored address."""
    with store.writing() as conn:
        parent = _parent(store, conn, parent_uid)
        plan = AddressPlan(store, conn, [parent["plate_uid"]])
        plan.add_unit(parent_uid, unit)
        return _insert_planned(store, conn, plan, actor=actor, source=source)[0]


@refuses_control_characters
def add_room(store: Store, parent_uid: str, room: str, *, floor: int | str | None = None, actor: str,
             source: str | None = None) -> dict[str, Any]:
    """Add a room (室) below a unit, or below a building without units; its floor from its number (AD-03)."""
    with store.writing() as conn:
        parent = _parent(store, conn, parent_uid)
        plan = AddressPlan(store, conn, [parent["plate_uid"]])
        plan.add_room(parent_uid, room, floor)
        return _insert_planned(store, conn, plan, actor=actor, source=source)[0]


def _current(store: Store, conn: sa.Connection, address_uid: str, expected_version: int) -> dict[str, Any]:
    current = address_by_uid(conn, address_uid)
    if current is None or current["adcode"] != store.adcode:
        raise NotFound(text("addresses.no_address", value=quoted(address_uid)), field="address_uid")
    if current["version"] != expected_version:
        raise StaleVersion(text("addresses.stale", value=address_uid, current=current["version"],
                                given=expected_version), field="version")
    return current


def _refused(store: Store, address_uid: str, attempted: Mapping[str, Any], expected_version: int, actor: str) -> None:
    with store.reading() as conn:
        row = address_by_uid(conn, address_uid)
    if row is not None:
        store.record_refused("addresses", row["id"], dict(attempted), expected_version=expected_version, actor=actor)


@refuses_control_characters
def edit_address(store: Store, address_uid: str, changes: Mapping[str, Any], *, expected_version: int,
                 actor: str) -> dict[str, Any]:
    """Renumber an address (its own label, or a room's floor); the addresses below it follow.

    Only the address's own level may change (a unit edits ``unit``); the new label is checked as a
    new one would be (AD-01..AD-03) and the standard address of the address and every address below
    it is recomputed in the same transaction. Stale ``expected_version``: 409, nothing changed.
    """
    unknown = sorted(set(changes) - set(EDITABLE))
    editable = Term("、".join(field_label(f) for f in EDITABLE), ", ".join(EDITABLE))
    if unknown:
        raise InputError(text("addresses.not_editable", field=field_label(unknown[0]), fields=editable),
                         field=unknown[0])
    try:
        with store.writing() as conn:
            current = _current(store, conn, address_uid, expected_version)
            if current["status"] != "active":
                raise Conflict(text("addresses.retired_edit", value=address_uid), field="status")
            level = current["level"]
            allowed = {level, "floor"} if level == "room" else {level}
            wrong = sorted(set(changes) - allowed)
            if wrong:
                raise InputError(text("addresses.not_editable", field=field_label(wrong[0]),
                                      fields=Term("、".join(field_label(f) for f in sorted(allowed)),
                                                  ", ".join(sorted(allowed)))), field=wrong[0])
            if not changes:
                raise InputError(text("addresses.nothing_to_edit", fields=editable), field=level)
            label = clean_label(level, changes.get(level, current[level]))
            update: dict[str, Any] = {level: label}
            if level == "room":
                update["floor"] = check_floor(label, changes.get("floor", None if level in changes else
                                                                 current["floor"]))
            plan = AddressPlan(store, conn, [current["plate_uid"]])
            parent_key = current["parent_uid"] or f"plate:{current['plate_uid']}"
            plan.refuse_duplicate(parent_key, level, label, row=None, ignore=address_uid)
            labels = labels_of({**current, level: label})
            ctx = plan.contexts[current["plate_uid"]]
            update.update(standard_address=standard_address(ctx, labels), romanized=romanized_address(ctx, labels))
            after = store.update("addresses", current["id"], update, expected_version=expected_version,
                                 actor=actor, conn=conn, action="renumber")
            if label != current[level]:
                _relabel_descendants(store, conn, after, level, label, ctx, actor=actor)
            return after
    except StaleVersion:
        _refused(store, address_uid, changes, expected_version, actor)
        raise


def _descendants(conn: sa.Connection, root_uid: str) -> list[dict[str, Any]]:
    a = schema.addresses
    out: list[dict[str, Any]] = []
    frontier = [root_uid]
    while frontier:
        rows = conn.execute(sa.select(a.c.id, a.c.address_uid, a.c.status).where(a.c.parent_uid.in_(frontier))
                            ).mappings().all()
        out.extend(dict(r) for r in rows)
        frontier = [r["address_uid"] for r in rows]
    return out


def _relabel_descendants(store: Store, conn: sa.Connection, root: dict[str, Any], level: str, label: str,
                         ctx: PlateContext, *, actor: str) -> None:
    """Give every address below ``root`` the new label of ``root``'s level and its new strings (one batch)."""
    changes: dict[int, dict[str, Any]] = {}
    for below in _descendants(conn, root["address_uid"]):
        row = address_by_uid(conn, below["address_uid"])
        if row is None:
            continue
        labels = labels_of({**row, level: label})
        changes[row["id"]] = {level: label, "standard_address": standard_address(ctx, labels),
                              "romanized": romanized_address(ctx, labels)}
    store.update_each("addresses", changes, actor=actor, conn=conn, action="renumber",
                      note=f"上级改号 parent renumbered: {root['address_uid']}")


RETIRE_FIELDS = ("version", "reason", "with_children", "document_ref")
# How clients misname the decision's document number (folded: lower case, no _ - or spaces).
_DOCUMENT_REF_NAMES = frozenset({
    "documentref", "docref", "docno", "documentno", "documentnumber", "document", "decisiondocno",
    "decisiondocumentref", "decisionref", "decisionno", "approvaldocno", "依据文件", "文号", "决定文号", "文件编号"})
_MAX_BODY_DEPTH = 32
_MAX_BODY_VALUES = 10_000


def _looks_like_document_ref(key: object) -> bool:
    """Return whether a body key names the decision's document number (``document_ref`` or a misspelling)."""
    folded = str(key).lower().replace("_", "").replace("-", "").replace(" ", "")
    return folded in _DOCUMENT_REF_NAMES


def misplaced_document_ref(body: Mapping[str, Any]) -> str | None:
    """Return where a retirement's body holds the decision's document number other than at its top level
    as ``document_ref`` ("decision.document_ref", "doc_no"), or None when it is not misplaced.

    A retirement takes ``document_ref`` beside ``version`` and ``reason``; a client that nests it
    (``{"decision": {"document_ref": …}}``) or names it as another request does (``decision_doc_no``)
    is told where it belongs rather than that some field is unknown (finding 14a)."""
    for key in body:
        if key not in RETIRE_FIELDS and _looks_like_document_ref(key):
            return str(key)
    stack = deque((str(k), v, 1) for k, v in body.items())
    seen = 0
    while stack:
        path, value, depth = stack.popleft()
        seen += 1
        if depth > _MAX_BODY_DEPTH or seen > _MAX_BODY_VALUES:  # a hostile body: read no further
            break
        if isinstance(value, Mapping):
            for key, inner in value.items():
                if _looks_like_document_ref(key):
                    return f"{path}.{key}"
                stack.append((f"{path}.{key}", inner, depth + 1))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", inner, depth + 1) for i, inner in enumerate(value))
    return None


def refuse_misplaced_document_ref(body: Mapping[str, Any]) -> None:
    """Refuse (400, naming ``document_ref``) a retirement whose document number is not at the top level."""
    where = misplaced_document_ref(body)
    if where is not None:
        raise InputError(text("addresses.document_ref_misplaced", field=field_label("document_ref"),
                              where=quoted(where, max_chars=60)), field="document_ref")


def _document_ref(value: object) -> str | None:
    """Return the decision's document number as stored (cleaned; None when not given), or refuse it."""
    if value is None or (isinstance(value, str) and not has_text(value)):
        return None
    if not isinstance(value, str):
        raise InputError(text("addresses.document_ref_not_text", field=field_label("document_ref"),
                              value=quoted(value, max_chars=30)), field="document_ref")
    ref = clean(value)
    if len(ref) > MAX_REASON_CHARS:
        raise InputError(text("addresses.label_too_long", field=field_label("document_ref"), length=len(ref),
                              limit=MAX_REASON_CHARS, value=quoted(ref, max_chars=30)), field="document_ref")
    return ref


@refuses_control_characters
def retire_address(store: Store, address_uid: str, *, reason: str, expected_version: int, actor: str,
                   with_children: bool = False, on: date | None = None,
                   document_ref: str | None = None) -> list[dict[str, Any]]:
    """Retire an address (and, with ``with_children``, every active address below it); return those retired.

    ``document_ref``, the decision's document number when there is one, is kept in the audit note of
    every address retired, where a refused print names it (:func:`geo.addresses.printing.retired_refusal`).
    """
    if not has_text(reason):
        raise InputError(text("addresses.reason_needed", field=field_label("reason")), field="reason")
    reason = clean(str(reason))
    if len(reason) > MAX_REASON_CHARS:
        raise InputError(text("addresses.label_too_long", field=field_label("reason"), length=len(reason),
                              limit=MAX_REASON_CHARS, value=quoted(reason, max_chars=30)), field="reason")
    ref = _document_ref(document_ref)
    try:
        with store.writing() as conn:
            current = _current(store, conn, address_uid, expected_version)
            if current["status"] != "active":
                raise Conflict(text("addresses.already_retired", value=address_uid), field="status")
            below = [d for d in _descendants(conn, address_uid) if d["status"] == "active"]
            if below and not with_children:
                raise Conflict(text("addresses.active_children", value=address_uid, count=len(below),
                                    field=field_label("with_children")), field="with_children")
            when = on or beijing_today()
            note = f"注销 retired: {reason}" + (f"；依据文件 document: {ref}" if ref else "")
            retired = [store.update("addresses", current["id"], {"status": "retired", "retired_on": when},
                                    expected_version=expected_version, actor=actor, conn=conn, action="retire",
                                    note=note)]
            if below:
                retired += store.update_matching(
                    "addresses", schema.addresses.c.id.in_([d["id"] for d in below]),
                    {"status": "retired", "retired_on": when}, actor=actor, conn=conn, action="retire",
                    note=f"{note}（随上级 {address_uid} with its parent）")
            return retired
    except StaleVersion:
        _refused(store, address_uid, {"call": "retire", "reason": reason}, expected_version, actor)
        raise
