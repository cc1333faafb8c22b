"""The gazetteer (地名信息库): proposing, editing, the approval lifecycle, and renames.

Lifecycle (条例 arts 11–14): proposed → consultation → expert_review → assessment → approved →
filed → announced → in_force → superseded | retired. Each step is dated, signed by an officer and
logged as an event; nothing is deleted. A rename keeps the former name with its dates, renames the
streets that carry the name, rewrites the addresses of their door plates (their QR codes keep
working: they carry only the plate id) and queues those plates for reprinting — one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from geo.errors import Conflict, InputError, StaleVersion
from geo.layers import PLACE_NAME_STATUSES
from geo.location_rules import check_in_district
from geo.messages import Term, at_row, label, labels, quoted, text, value_label, value_labels
from geo.placenames.categories import category_name, check_category
from geo.placenames.codes import new_place_code
from geo.placenames.heritage import lift_name, list_name, listed_by_name, refuse_if_protected
from geo.placenames.romanize import (
    Romanization,
    initials,
    is_mongolian_origin,
    override,
    romanize,
    split_name,
    toneless_key,
)
from geo.placenames.rules import Finding, check_date_order, check_deadlines, overdue, validate
from geo.placenames.unit_names import refuse_binding_another_name, refuse_changing_a_unit_name
from geo.signs.replacement import queue_street_signs
from geo.store import Store, schema
from geo.store.spatial_sql import lock_natural_keys
from geo.text import clean, clean_field, has_text
from geo.types import beijing_date, beijing_today, parse_date
from geo.validation import refuses_control_characters

STATES = PLACE_NAME_STATUSES
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "proposed": ("consultation", "retired"),
    "consultation": ("expert_review", "retired"),
    "expert_review": ("assessment", "retired"),
    "assessment": ("approved", "retired"),
    "approved": ("filed",),
    "filed": ("announced",),
    "announced": ("in_force",),
    "in_force": ("retired",),
    "superseded": (),
    "retired": (),
}
# What a step must record (the approval decision, the filing and announcement dates).
REQUIRED_FOR: dict[str, tuple[str, ...]] = {
    "approved": ("approval_authority", "approval_doc_no", "approval_date"),
    "filed": ("filed_date",),
    "announced": ("announce_date",),
    "retired": ("document_ref",),
}
STEP_RECORDS_ALL = ("approval_authority", "approval_doc_no", "approval_date", "filed_date", "announce_date")
EDITABLE_BEFORE_APPROVAL = ("proposed", "consultation", "expert_review", "assessment")
NAME_FIELDS = ("standard_name", "specific", "generic", "name_mong", "name_mong_pending", "category_code",
               "category_name", "feature_class", "admin_code", "meaning", "origin", "history", "description",
               "language_of_origin", "source")  # protection is a decision: set_protection (PN-09)


class ValidationFailed(InputError):
    """A name that breaks a rule, or has warnings without a justification; lists every finding."""

    code = "placename_rules"

    def __init__(self, findings: list[Finding], *, needs_justification: bool = False):
        first = findings[0]
        shown = "；".join(f.message for f in findings[:3]) + (" …" if len(findings) > 3 else "")
        message = text("placenames.justify", findings=shown) if needs_justification else shown
        super().__init__(message, field=first.field, details=[f.message for f in findings])
        self.findings = findings


def romanization_fields(rom: Romanization) -> dict[str, Any]:
    """Return the stored romanization fields of a romanization."""
    return {"pinyin_toned": rom.pinyin_toned, "romanization": rom.romanization, "sign_text": rom.sign_text,
            "romanization_basis": None if rom.basis == "auto" else rom.reason,
            "override_reason": rom.reason if rom.basis == "override" else None}


def _romanize(rec: Mapping[str, Any], romanization_override: Mapping[str, str] | None) -> Romanization:
    """Return exactly :func:`romanize` of the name, its generic (direction words included) found by the
    dictionary (RM-01/02); an officer's specific counts only when it marks word division (spaces or ·)."""
    if romanization_override:
        return override(romanization_override.get("pinyin_toned", ""), reason=romanization_override.get("reason", ""),
                        basis=romanization_override.get("basis", ""))
    spec = str(rec.get("specific") or "")
    divided = spec if (" " in spec.strip() or "·" in spec) else None
    return romanize(rec["standard_name"], specific=divided,
                    settlement=True if rec.get("feature_class") == "village" else None,
                    language_of_origin=rec.get("language_of_origin"))


def lock_name(conn: sa.Connection, name: Any) -> None:
    """Hold the PN-07 scope of a name (its toneless key: the same name and its homophones) until the
    write commits, so two writers of one name take turns and the second sees the first (PostgreSQL;
    see :func:`geo.store.spatial_sql.lock_natural_keys`). Take it before :func:`_existing`."""
    text = str(clean(str(name or "")))
    if text:
        lock_natural_keys(conn, ["name:" + toneless_key(text)])


def _existing(conn: sa.Connection, *, district: str, name: Any) -> list[dict[str, Any]]:
    """Return the names PN-07 compares ``name`` with: those of the same text or the same toneless key
    (homophones; :func:`geo.placenames.rules.check_duplicates` looks at no other), the district's own, and
    on a database of many districts (PostGIS) the streets, residential areas and buildings of the city's
    other districts, whose names share one built-up area (domain §1.3), read through
    ``xincheng_city_names`` (revision 0015: the city is the transaction's district's). Each read is by
    index: a district's check costs the same with one district or a hundred."""
    text_ = str(name or "")  # as check_duplicates reads it
    if not text_:
        return []
    key = toneless_key(text_)
    t = schema.place_names
    rows = [dict(r) for r in conn.execute(
        sa.select(t.c.id, t.c.standard_name, t.c.feature_class, t.c.admin_code, t.c.status, t.c.search_key,
                  t.c.adcode)
        .where(t.c.adcode == district,
               sa.or_(t.c.standard_name == text_, t.c.search_key == key, t.c.search_key.is_(None)))).mappings()]
    if conn.dialect.name == "postgresql":  # the service runs on the latest revision, which has the function
        city = conn.execute(sa.text("SELECT * FROM xincheng_city_names(:name, :key) WHERE adcode <> :district"),
                            {"name": text_, "key": key, "district": district}).mappings()
        # ``district`` marks a row of another district; the message cites it by name and code
        rows += [{**r, "district": f"{r['district_name']}（{r['adcode']}）" if r["district_name"] else r["adcode"]}
                 for r in city]
    return rows


def _compared_with(conn: sa.Connection, store: Store, rec: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the names PN-07 compares the record ``rec`` with, in the store's district (:func:`_existing`)."""
    return _existing(conn, district=store.adcode, name=rec.get("standard_name"))


def names_to_compare(store: Store, name: Any) -> list[dict[str, Any]]:
    """Return the names ``name`` is checked against under PN-07 (see :func:`_existing`), for a check that
    saves nothing (``POST /api/placenames/validate``)."""
    with store.reading() as conn:
        return _existing(conn, district=store.adcode, name=name)


@refuses_control_characters
def check_name(store: Store, record: Mapping[str, Any]) -> list[Finding]:
    """Return every finding (PN rules) for a name as :func:`propose` would judge it, saving nothing
    (``POST /api/placenames/validate``): the same cleaning first (spaces, zero-width characters), the same
    refusal of control characters and of a category code not in the table, the same names compared under
    PN-07."""
    rec = _fill({k: clean_field(k, v) for k, v in record.items() if v is not None})
    check_category(rec)  # GB/T 18521, refused as propose refuses it
    with store.reading() as conn:
        return validate(rec, _compared_with(conn, store, rec), district=store.adcode)


def _check(rec: Mapping[str, Any], existing, *, district: str, justification: str | None) -> list[Finding]:
    check_category(rec)  # GB/T 18521: a code in the category table (data/placenames/categories.csv)
    findings = validate(rec, existing, district=district)
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        raise ValidationFailed(errors)
    warnings = [f for f in findings if f.severity == "warning"]
    if warnings and not has_text(justification):
        raise ValidationFailed(warnings, needs_justification=True)
    return warnings


def _fill(rec: dict[str, Any]) -> dict[str, Any]:
    """Fill the specific and the generic from the dictionary; a one-syllable direction or other
    modifier belongs to the generic it modifies (春晖北路: 春晖 + 北路, RM-02)."""
    name = str(rec.get("standard_name") or "").strip()
    if name and not rec.get("generic"):
        given = rec.get("specific") or None
        parts = split_name(name, specific=given if given and (" " in given or "·" in given) else None)
        rec["specific"] = given or "".join(parts.specific) + parts.ordinal
        rec["generic"] = parts.modifier + parts.generic
    return rec


def _event(conn: sa.Connection, store: Store, place_id: int, before: str | None, after: str, *, actor: str,
           comment: str | None = None, document_ref: str | None = None, warnings: list[Finding] | None = None) -> None:
    store.insert("place_name_events", [{
        "place_name_id": place_id, "from_status": before, "to_status": after, "at": datetime.now(UTC),
        "actor": actor, "comment": comment, "document_ref": document_ref,
        "warnings": json.dumps([w.to_dict() for w in warnings], ensure_ascii=False) if warnings else None}],
        actor=actor, conn=conn)


@refuses_control_characters
def propose(store: Store, record: Mapping[str, Any], *, actor: str, justification: str | None = None,
            romanization_override: Mapping[str, str] | None = None, geometry=None,
            conn: sa.Connection | None = None) -> dict[str, Any]:
    """Propose a new name: validated (PN rules), romanized, stored as ``proposed`` with an event.

    With ``conn`` it writes inside that transaction (an import proposes every row in one).
    """
    if conn is None:
        with store.writing() as own:
            return propose(store, record, actor=actor, justification=justification,
                           romanization_override=romanization_override, geometry=geometry, conn=own)
    unknown = sorted(set(record) - set(NAME_FIELDS))
    if unknown:
        raise InputError(text("placenames.field_not_proposable", field=label(unknown[0])), field=unknown[0])
    rec = _fill({k: clean_field(k, v) for k, v in record.items() if v is not None})
    if rec.get("category_code") and not rec.get("category_name"):  # the table's name (GB/T 18521)
        rec["category_name"] = category_name(rec["category_code"])
    lock_name(conn, rec.get("standard_name"))
    refuse_binding_another_name(conn, None, rec)  # a unit in force has its own name
    warnings = _check(rec, _compared_with(conn, store, rec), district=store.adcode,
                      justification=justification)
    check_in_district(conn, "place_names", [geometry], adcode=store.adcode)
    rom = _romanize(rec, romanization_override)
    rec.update(romanization_fields(rom), status="proposed", status_date=beijing_today(),
               search_key=toneless_key(rec["standard_name"]), justification=justification, geometry=geometry)
    (pid,) = store.insert("place_names", [rec], actor=actor, conn=conn)
    _event(conn, store, pid, None, "proposed", actor=actor, comment=justification, warnings=warnings)
    return store.get("place_names", pid, conn=conn)


def _current(store: Store, conn: sa.Connection, place_id: int, expected_version: int) -> dict[str, Any]:
    """Return the name if it is still at ``expected_version``; else refuse (409), changing nothing."""
    current = store.get("place_names", place_id, conn=conn)
    if current["version"] != expected_version:
        raise StaleVersion(text("placenames.stale", id=place_id, current=current["version"], given=expected_version),
                           field="version")
    return current


def _logging_refusals(func):
    """Log a stale-version refusal of a gazetteer change in the audit trail, then re-raise it."""

    def wrapper(store: Store, place_id: int, *args, expected_version: int, actor: str, **kwargs):
        try:
            return func(store, place_id, *args, expected_version=expected_version, actor=actor, **kwargs)
        except StaleVersion:
            attempted = {"call": func.__name__, **{k: v for k, v in kwargs.items() if isinstance(v, str | dict)}}
            if args:
                attempted["value"] = args[0]
            store.record_refused("place_names", place_id, attempted, expected_version=expected_version,
                                 actor=actor)
            raise

    wrapper.__name__, wrapper.__doc__ = func.__name__, func.__doc__
    return wrapper


@_logging_refusals
@refuses_control_characters
def edit(store: Store, place_id: int, changes: Mapping[str, Any], *, expected_version: int, actor: str,
         justification: str | None = None, romanization_override: Mapping[str, str] | None = None,
         geometry=None) -> dict[str, Any]:
    """Edit a name before approval (after it, a change of name is a rename); stale versions get 409."""
    unknown = sorted(set(changes) - set(NAME_FIELDS))
    if unknown:
        raise InputError(text("placenames.field_not_editable", field=label(unknown[0])), field=unknown[0])
    changes = {k: clean_field(k, v) for k, v in changes.items()}
    with store.writing() as conn:
        current = _current(store, conn, place_id, expected_version)
        name_change = any(k in changes for k in ("standard_name", "specific", "generic"))
        if name_change and current["status"] not in EDITABLE_BEFORE_APPROVAL:
            raise Conflict(text("placenames.rename_instead", status=value_label(current["status"])), field="status")
        if name_change:
            refuse_if_protected(conn, current, action="rename")  # PN-09
        leaves_mongolian = ("language_of_origin" in changes and _is_mongolian(current.get("language_of_origin"))
                            and not _is_mongolian(changes["language_of_origin"]))
        if leaves_mongolian and not has_text(justification):
            raise InputError(text("placenames.leave_mongolian"), field="justification")
        base = {k: current.get(k) for k in NAME_FIELDS}
        if "standard_name" in changes:  # the old parts describe the old name
            base.update(specific=None, generic=None)
        merged = _fill({**base, "id": place_id, **changes})
        refuse_binding_another_name(conn, current, merged)  # a unit's name changes by a division decision
        lock_name(conn, merged.get("standard_name"))
        # A justification recorded earlier still covers the warnings it was given for.
        warnings = _check(merged, _compared_with(conn, store, merged), district=store.adcode,
                          justification=justification or current.get("justification"))
        update = dict(changes)
        if name_change or romanization_override or "language_of_origin" in changes:
            update.update(romanization_fields(_romanize(merged, romanization_override)),
                          search_key=toneless_key(merged["standard_name"]),
                          specific=merged["specific"], generic=merged["generic"])
        if justification:
            update["justification"] = justification
        if geometry is not None:
            check_in_district(conn, "place_names", [geometry], adcode=store.adcode)
            update["geometry"] = geometry
        after = store.update("place_names", place_id, update, expected_version=expected_version, actor=actor,
                             conn=conn)
        if warnings or leaves_mongolian:
            what = "RM-13 language of origin changed from mn" if leaves_mongolian else "edit"
            _event(conn, store, place_id, current["status"], current["status"], actor=actor,
                   comment=f"{what}: {justification}", warnings=warnings)
        return after


@_logging_refusals
@refuses_control_characters
def transition(store: Store, place_id: int, to: str, *, expected_version: int, actor: str,
               comment: str | None = None, document_ref: str | None = None,
               data: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Move a name one step through the lifecycle, recording what the step requires."""
    if to not in STATES:
        raise InputError(text("placenames.bad_target", field=label("to"), value=quoted(to),
                              allowed=value_labels(STATES)), field="to")
    data = dict(data or {})
    out_of_step = [k for k in data if k in STEP_RECORDS_ALL and k not in REQUIRED_FOR.get(to, ())]
    if out_of_step:
        raise InputError(text("placenames.out_of_step", field=label(out_of_step[0]), to=value_label(to)),
                         field=out_of_step[0])
    with store.writing() as conn:
        current = _current(store, conn, place_id, expected_version)
        allowed = TRANSITIONS[current["status"]]
        if to not in allowed:
            raise Conflict(text("placenames.bad_step", status=value_label(current["status"]), to=value_label(to),
                                allowed=value_labels(allowed) if allowed else Term("（无）", "nothing")),
                           field="to")
        given = {**data, "document_ref": document_ref}
        missing = [k for k in REQUIRED_FOR.get(to, ()) if not has_text(given.get(k))]
        if missing:
            raise InputError(text("placenames.step_requires", to=value_label(to), fields=labels(missing)),
                             field=missing[0])
        if to == "retired":
            refuse_if_protected(conn, current, action="retire")  # PN-09
            refuse_changing_a_unit_name(conn, current, action="retire")  # abolished with its unit
        if to == "retired" and current.get("feature_class") == "street":
            _refuse_retiring_a_street_in_use(conn, store, current["standard_name"])
        changes = {k: v for k, v in data.items() if k in STEP_RECORDS_ALL}
        for key in ("approval_date", "filed_date", "announce_date"):
            if key in changes:
                changes[key] = parse_date(changes[key], field=key)
        changes.update(status=to, status_date=beijing_today())
        _refuse_bad_dates({**current, **changes})
        proposed_on = beijing_date(current["created_at"]) if current.get("created_at") else None
        if changes.get("approval_date") and proposed_on and changes["approval_date"] < proposed_on:
            raise InputError(text("placenames.approved_before_proposed", field=label("approval_date"),
                                  date=proposed_on.isoformat()), field="approval_date")
        if to == "approved" and needs_romanization_confirmation(current):
            raise Conflict(text("placenames.confirm_romanization_first", id=place_id), field="romanization")
        warnings = check_deadlines({**current, **changes})
        if to == "approved" and not current.get("place_code"):  # it becomes a standard name: its 地名代码
            changes["place_code"] = new_place_code(store, conn, current, actor=actor)
        after = store.update("place_names", place_id, changes, expected_version=expected_version, actor=actor,
                             conn=conn, action=f"status:{to}")
        _event(conn, store, place_id, current["status"], to, actor=actor, comment=comment,
               document_ref=document_ref, warnings=warnings)
        return after


@_logging_refusals
@refuses_control_characters
def rename(store: Store, place_id: int, new_name: str, *, expected_version: int, actor: str,
           approval: Mapping[str, Any], specific: str | None = None, generic: str | None = None,
           justification: str | None = None,
           romanization_override: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Rename an in-force name: keep the former name, rename its streets, readdress and requeue plates.

    The Mongolian name spelled the former name, so it is cleared and marked pending (the audit row
    keeps it): no sign or plate prints the old Mongolian beside the new name (PN-10, SG-01), and
    production prints wait until the new name's Mongolian is recorded.

    A name on the protection list is refused (PN-09) until a decision lifts its protection
    (:func:`set_protection`); the name keeps its 地名代码.
    """
    missing = [k for k in ("approval_authority", "approval_doc_no", "approval_date") if not has_text(approval.get(k))]
    if missing:
        raise InputError(text("placenames.rename_requires", fields=labels(missing)), field=missing[0])
    with store.writing() as conn:
        current = _current(store, conn, place_id, expected_version)
        if current["status"] != "in_force":
            raise Conflict(text("placenames.rename_not_in_force", status=value_label(current["status"])),
                           field="status")
        refuse_if_protected(conn, current, action="rename")  # PN-09
        refuse_changing_a_unit_name(conn, current, action="rename")  # renamed with its unit
        new_name = clean(new_name)
        if new_name == current["standard_name"]:
            raise InputError(text("placenames.same_name"), field="new_name")
        approved_on = parse_date(approval["approval_date"], field="approval_date")
        if current.get("approval_date") and approved_on and approved_on < current["approval_date"]:
            raise InputError(text("placenames.rename_before_approval", field=label("approval_date"),
                                  date=current["approval_date"].isoformat()), field="approval_date")
        merged = _fill({**{k: current.get(k) for k in NAME_FIELDS}, "id": place_id, "standard_name": new_name,
                        "specific": specific, "generic": generic})
        lock_name(conn, new_name)
        warnings = _check(merged, _compared_with(conn, store, merged), district=store.adcode,
                          justification=justification)
        old = current["standard_name"]
        store.insert("former_names", [{
            "place_name_id": place_id, "name": old, "romanization": current.get("romanization"),
            "valid_from": current.get("approval_date"),
            "valid_to": parse_date(approval["approval_date"], field="approval_date"),
            "reason": justification}], actor=actor, conn=conn)
        changes = {"standard_name": new_name, "specific": merged["specific"], "generic": merged["generic"],
                   "search_key": toneless_key(new_name), "approval_authority": approval["approval_authority"],
                   "approval_doc_no": approval["approval_doc_no"],
                   "approval_date": parse_date(approval["approval_date"], field="approval_date"),
                   # A rename is filed and announced like a new name: the dates it has, or none yet
                   # (then it shows on the overdue list after 15 days, PN-11/12).
                   "filed_date": parse_date(approval.get("filed_date"), field="filed_date"),
                   "announce_date": parse_date(approval.get("announce_date"), field="announce_date"),
                   **romanization_fields(_romanize(merged, romanization_override))}
        if current.get("name_mong"):  # the Mongolian spelled the former name: the new one waits for its own
            changes.update(name_mong=None, name_mong_pending=True)
        _refuse_bad_dates(changes)
        after = store.update("place_names", place_id, changes, expected_version=expected_version, actor=actor,
                             conn=conn, action="rename", note=f"{old} → {new_name}")
        _event(conn, store, place_id, "in_force", "in_force", actor=actor, comment=f"rename {old} → {new_name}",
               document_ref=approval["approval_doc_no"], warnings=warnings)
        if current.get("feature_class") == "street":
            _propagate_street_rename(store, conn, place_id, old, new_name, actor=actor)
        return after


def check_name_change(store: Store, conn: sa.Connection, before: Mapping[str, Any],
                      changes: Mapping[str, Any], *, row: int | None = None) -> None:
    """Refuse a generic change (PATCH, upsert) that leaves a name breaking a PN rule (errors only:
    the generic path carries no justification, and a warning already accepted stays accepted)."""
    merged = {**{k: before.get(k) for k in NAME_FIELDS}, "id": before["id"], **changes}
    if "category_code" in changes:
        check_category(merged)
    lock_name(conn, merged.get("standard_name"))
    errors = [f for f in validate(merged, _compared_with(conn, store, merged), district=store.adcode)
              if f.severity == "error"]
    if errors:
        failed = ValidationFailed(errors)
        if row is not None:
            failed.message = at_row(failed.message, row)
            failed.args = (failed.message,)
        raise failed


def _refuse_retiring_a_street_in_use(conn: sa.Connection, store: Store, name: str) -> None:
    """A street name still carried by street segments or active plates cannot simply be retired."""
    plates = conn.execute(sa.select(sa.func.count()).select_from(schema.door_plates).where(
        schema.door_plates.c.street_name == name, schema.door_plates.c.status == "active",
        schema.door_plates.c.adcode == store.adcode)).scalar_one()
    segments = conn.execute(sa.select(sa.func.count()).select_from(schema.streets).where(
        schema.streets.c.name == name)).scalar_one()
    if plates or segments:
        raise Conflict(text("placenames.street_in_use", name=name, segments=segments, plates=plates), field="to")


def _refuse_bad_dates(rec: Mapping[str, Any]) -> None:
    """Refuse dates out of order (filing before approval) or in the future (PN-11/12)."""
    errors = check_date_order(rec)
    if errors:
        raise ValidationFailed(errors)


def _is_mongolian(language: Any) -> bool:
    return is_mongolian_origin(language)


def needs_romanization_confirmation(rec: Mapping[str, Any]) -> bool:
    """RM-13: a name of Mongolian origin whose automatic pinyin no officer has confirmed or overridden."""
    return _is_mongolian(rec.get("language_of_origin")) and not (rec.get("romanization_basis") or "").strip()


@_logging_refusals
@refuses_control_characters
def confirm_romanization(store: Store, place_id: int, *, expected_version: int, actor: str,
                         basis: str) -> dict[str, Any]:
    """RM-13: an officer confirms the automatic pinyin of a Mongolian-origin name, giving the basis."""
    if not has_text(basis):
        raise InputError(text("placenames.confirm_basis", field=label("basis")), field="basis")
    with store.writing() as conn:
        current = _current(store, conn, place_id, expected_version)
        after = store.update("place_names", place_id, {"romanization_basis": f"confirmed: {basis.strip()}"},
                             expected_version=expected_version, actor=actor, conn=conn,
                             action="romanization_confirmed")
        _event(conn, store, place_id, current["status"], current["status"], actor=actor,
               comment=f"RM-13 romanization confirmed: {basis.strip()}")
        return after


@_logging_refusals
@refuses_control_characters
def record_filing(store: Store, place_id: int, *, expected_version: int, actor: str,
                  filed_date: Any = None, announce_date: Any = None) -> dict[str, Any]:
    """Record the filing (备案) or announcement (公告) date of a renamed name in force (PN-11/12)."""
    given = {k: parse_date(v, field=k) for k, v in (("filed_date", filed_date), ("announce_date", announce_date))}
    changes = {k: d for k, d in given.items() if d is not None}  # parse_date is None only for None and ""
    if not changes:
        raise InputError(text("placenames.filing_date_required", fields=labels(("filed_date", "announce_date"))),
                         field="filed_date")
    with store.writing() as conn:
        current = _current(store, conn, place_id, expected_version)
        if current["status"] != "in_force":
            raise Conflict(text("placenames.filing_not_in_force", status=value_label(current["status"])),
                           field="status")
        taken = [k for k in changes if current.get(k)]
        if taken:
            raise Conflict(text("placenames.recorded_already", field=label(taken[0])), field=taken[0])
        _refuse_bad_dates({**current, **changes})
        warnings = check_deadlines({**current, **changes})
        after = store.update("place_names", place_id, changes, expected_version=expected_version, actor=actor,
                             conn=conn, action="filing")
        _event(conn, store, place_id, "in_force", "in_force", actor=actor,
               comment="; ".join(f"{k} {v.isoformat()}" for k, v in changes.items()), warnings=warnings)
        return after


@_logging_refusals
@refuses_control_characters
def set_protection(store: Store, place_id: int, protected: bool, *, expected_version: int, actor: str,
                   document_ref: str, reason: str, decision_body: str | None = None, decision_date: Any = None,
                   category: str | None = None) -> dict[str, Any]:
    """PN-09: put a name on the heritage protection list (名录) or lift its protection; each a decision.

    Listing records the deciding body, the document (``document_ref``), the reason, a category and
    the date (default today, Beijing); lifting records its document, reason and date and keeps the
    entry (status lifted). ``protected`` on the name follows the list. One transaction: the entry,
    the flag and the name's event.
    """
    missing = [k for k, v in (("document_ref", document_ref), ("reason", reason)) if not has_text(v)]
    if missing:
        raise InputError(text("placenames.protection_requires", fields=labels(missing)), field=missing[0])
    with store.writing() as conn:
        current = _current(store, conn, place_id, expected_version)
        if bool(current.get("protected")) == bool(protected):
            state = Term("已在保护名录", "protected") if protected else Term("不在保护名录", "unprotected")
            raise Conflict(text("placenames.protection_unchanged", state=state), field="protected")
        if protected:
            entry = list_name(store, conn, place_id, decision_body=decision_body, decision_doc_no=document_ref,
                              reason=reason, category=category, listed_on=decision_date, actor=actor)
        else:
            entry = lift_name(store, conn, place_id, lift_doc_no=document_ref, lift_reason=reason,
                              lifted_on=decision_date, actor=actor)
        after = store.update("place_names", place_id, {"protected": bool(protected)},
                             expected_version=expected_version, actor=actor, conn=conn,
                             action="protect" if protected else "unprotect",
                             note=f"{document_ref}: {reason} (name_protections #{entry['id']})")
        _event(conn, store, place_id, current["status"], current["status"], actor=actor,
               comment=("PN-09 protected: " if protected else "PN-09 protection cleared: ") + reason.strip(),
               document_ref=document_ref.strip())
        return after


def overdue_names(store: Store, *, today: date | None = None) -> list[dict[str, Any]]:
    """PN-11/12: names approved more than 15 days ago that are still unfiled or unannounced."""
    today = today or beijing_today()
    t = schema.place_names
    with store.reading() as conn:
        rows = conn.execute(sa.select(t.c.id, t.c.standard_name, t.c.status, t.c.approval_date, t.c.filed_date,
                                      t.c.announce_date).where(t.c.approval_date.is_not(None),
                                                               t.c.status.not_in(("retired", "superseded")))
                            .order_by(t.c.approval_date, t.c.id)).mappings()
        out = []
        for r in rows:
            missing = overdue(r, today=today)
            if missing:
                out.append({**dict(r), "missing": missing, "days_since_approval": (today - r["approval_date"]).days})
        return out


def _propagate_street_rename(store: Store, conn: sa.Connection, place_id: int, old: str, new: str, *,
                             actor: str) -> None:
    """Rename the street segments and readdress their plates; queue the plates for reprinting.

    Only this district's records change, in the rename's transaction, each with its own audit row
    (before and after): segments linked to the name (or unlinked ones carrying the old name) and
    the plates addressed on the old name.
    """
    streets, plates = schema.streets, schema.door_plates
    note = f"{old} → {new}"
    store.update_matching(
        "streets", sa.or_(streets.c.place_name_id == place_id,
                          sa.and_(streets.c.place_name_id.is_(None), streets.c.name == old)),
        {"name": new, "place_name_id": place_id}, actor=actor, conn=conn,
        action="rename_propagation", note=note)
    readdressed = store.update_matching(
        "door_plates", plates.c.street_name == old, {"street_name": new}, actor=actor, conn=conn,
        action="rename_propagation", note=note)
    reprints = [{"plate_uid": p["plate_uid"], "reason": f"街路巷更名 street renamed {note}"}
                for p in readdressed if p["status"] == "active"]
    if reprints:
        store.insert("plate_reprints", reprints, actor=actor, conn=conn, note=note)
    queue_street_signs(store, conn, place_id=place_id, old=old, new=new, actor=actor)  # the 路牌 too
    from geo.addresses.refresh import refresh_standard_addresses  # here: geo.addresses imports geo.placenames
    refresh_standard_addresses(store, conn, plate_uids=[p["plate_uid"] for p in readdressed], actor=actor)


def link_streets(conn: sa.Connection) -> int:
    """Set each street's ``place_name_id`` from the street-class name it carries; return the count."""
    s, p = schema.streets, schema.place_names
    match = (sa.select(p.c.id).where(p.c.standard_name == s.c.name, p.c.feature_class == "street")
             .order_by(p.c.id).limit(1).scalar_subquery())
    return conn.execute(s.update().where(s.c.place_name_id.is_(None)).values(place_name_id=match)).rowcount


def search_fields(name: str) -> dict[str, str]:
    """Return the search keys of a name: toneless pinyin and initials."""
    return {"pinyin": toneless_key(name), "initials": initials(name)}


def unit_names(store: Store) -> dict[str, str]:
    """Return administrative unit names by code."""
    return {u["code"]: u["name"] for u in store.select("admin_units")}


def former_names_by_place(store: Store) -> dict[int, list[str]]:
    """Return each place name's former names."""
    out: dict[int, list[str]] = {}
    for f in store.select("former_names"):
        out.setdefault(int(f["place_name_id"]), []).append(f["name"])
    return out


def exchange_table_of(store: Store, status: str = "in_force"):
    """Return the national exchange table of the names with ``status`` (see geo.placenames.exchange)."""
    from geo.placenames.exchange import exchange_table

    return exchange_table(store.select("place_names", where={"status": status}), unit_names=unit_names(store),
                          former=former_names_by_place(store), protections=listed_by_name(store))
