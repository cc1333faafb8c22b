"""A unit's place name follows its division change, inside the change's transaction.

The unit's name in the gazetteer is the ``place_names`` row whose ``admin_code`` is the unit's code
and whose feature class is the unit's (community, village, or admin_unit for a 街道/镇/乡). A new unit's
name is proposed through the gazetteer's own use case (:func:`geo.placenames.lifecycle.propose`,
PN rules and romanization) and put in force by the division decision, which is its approval; its
filing and announcement (PN-11/12) follow as for any name. A retired unit's name is retired with
it; a renamed unit's name is renamed with its former name kept (``former_names``), checked by the
gazetteer's PN rules (:func:`geo.placenames.lifecycle.check_name_change`).

``lifecycle.rename`` and ``lifecycle.transition`` open their own transactions, so they cannot join
the division change's one; the steps they take are taken here with the same helpers and the same
audit and event rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from geo.errors import InputError
from geo.messages import Term, quoted, text, value_label
from geo.placenames import lifecycle
from geo.placenames.codes import needs_code, new_place_code
from geo.placenames.heritage import refuse_if_protected
from geo.placenames.romanize import romanize, split_name, toneless_key
from geo.placenames.unit_names import UNIT_FEATURE_CLASS
from geo.store import Store, schema
from geo.text import has_text

FEATURE_CLASS = UNIT_FEATURE_CLASS
# The generic a unit's name ends in, by level (PN-02): decisions, a first load and a restore keep it alike.
UNIT_GENERICS: dict[str, tuple[str, ...]] = {
    "community": ("社区",), "village": ("村", "嘎查"), "subdistrict": ("街道",), "town": ("镇",),
    "township": ("乡", "苏木"),  # 民族乡 ends in 乡 too
}


def unit_name_problem(name: str, level: str, *, field: str = "name") -> InputError | None:
    """Return why ``name`` cannot name a unit of ``level`` (PN-02: it ends in the level's generic, after a specific
    part), or None; levels without a generic here (the district's outline) take any name."""
    generics = UNIT_GENERICS.get(level)
    if generics is None:
        return None
    allowed = Term("、".join(generics), ", ".join(generics))
    if name in generics:  # a generic alone (苏木) ends in one but names nothing
        return InputError(text("divisions.name_specific", level=value_label(level), value=quoted(name),
                               allowed=allowed), field=field)
    if not name.endswith(generics):
        return InputError(text("divisions.name_generic", level=value_label(level), value=quoted(name),
                               allowed=allowed), field=field)
    return None
CATEGORY = {"community": "21620", "village": "22200"}
LIVE = ("retired", "superseded")


def unit_names(conn: sa.Connection, code: str, level: str) -> list[dict[str, Any]]:
    """Return the gazetteer names of the unit ``code`` that are not retired or superseded."""
    p = schema.place_names
    rows = conn.execute(sa.select(p).where(p.c.admin_code == code, p.c.feature_class == FEATURE_CLASS[level],
                                           p.c.status.not_in(LIVE)).order_by(p.c.id)).mappings()
    return [{k: v for k, v in r.items() if k != "geom"} for r in rows]


def _event(store: Store, conn: sa.Connection, place_id: int, before: str | None, after: str, *, actor: str,
           comment: str, document_ref: str) -> None:
    store.insert("place_name_events", [{
        "place_name_id": place_id, "from_status": before, "to_status": after, "at": datetime.now(UTC),
        "actor": actor, "comment": comment, "document_ref": document_ref}], actor=actor, conn=conn)


def retire_names(store: Store, conn: sa.Connection, unit: Mapping[str, Any], decision: Any, *, actor: str,
                 note: str) -> list[int]:
    """Retire the names of a unit abolished by the decision; return their ids (they stay searchable)."""
    out = []
    for name in unit_names(conn, unit["code"], unit["level"]):
        refuse_if_protected(conn, name, action="retire")  # PN-09, as for any retirement
        changes: dict[str, Any] = {"status": "retired", "status_date": decision.on}
        if needs_code(name):  # a standard name loaded without its code: the 废止 row must carry one (F12/F13)
            changes["place_code"] = new_place_code(store, conn, name, actor=actor)
        store.update("place_names", name["id"], changes,
                     expected_version=name["version"], actor=actor, conn=conn, action="status:retired", note=note)
        _event(store, conn, name["id"], name["status"], "retired", actor=actor,
               comment=f"区划调整 division change: {note}", document_ref=decision.doc_no)
        out.append(name["id"])
    return out


def name_new_unit(store: Store, conn: sa.Connection, *, code: str, level: str, name: str, decision: Any,
                  actor: str, geometry: Any, name_mong: str | None = None, meaning: str | None = None) -> int:
    """Propose the new unit's name through the gazetteer's use case and put it in force by the decision."""
    parts = split_name(name)
    record = {"standard_name": name, "specific": "".join(parts.specific) + parts.modifier + parts.ordinal,
              "generic": parts.generic, "feature_class": FEATURE_CLASS[level], "admin_code": code,
              "category_code": CATEGORY.get(level),
              "meaning": meaning if has_text(meaning) else f"区划调整设立 · created by division decision "
                                                             f"{decision.doc_no}",
              "history": f"{decision.decided_on.isoformat()} {decision.body} {decision.doc_no}",
              "name_mong": name_mong if has_text(name_mong) else None,
              "name_mong_pending": not has_text(name_mong)}
    proposed = lifecycle.propose(store, {k: v for k, v in record.items() if v is not None}, actor=actor,
                                 justification=f"区划调整决定 division decision {decision.doc_no}",
                                 geometry=geometry, conn=conn)
    # The decision approves the name: it becomes a standard name and gets its 地名代码 now (F13), and it
    # carries the unit's polygon (F20) so reverse lookup and PN-08 know what lies in the unit.
    code = proposed.get("place_code") or new_place_code(store, conn, proposed, actor=actor)
    store.update("place_names", proposed["id"], {
        "status": "in_force", "status_date": decision.on, "approval_authority": decision.body,
        "approval_doc_no": decision.doc_no, "approval_date": decision.decided_on, "place_code": code},
        expected_version=proposed["version"], actor=actor, conn=conn, action="status:in_force",
        note=f"区划调整决定 division decision {decision.doc_no}")
    _event(store, conn, proposed["id"], "proposed", "in_force", actor=actor,
           comment="区划调整决定即命名批准 · the division decision approves the name", document_ref=decision.doc_no)
    return int(proposed["id"])


def rename_names(store: Store, conn: sa.Connection, *, code: str, level: str, new_name: str, decision: Any,
                 actor: str, geometry: Any,
                 new_code: str | None = None, new_level: str | None = None) -> list[int]:
    """Rename (and, with ``new_code``, re-code) the unit's names, keeping each former name (PN rules,
    PN-09 protection); a unit without a name in the gazetteer gets one. Return the name ids."""
    names = unit_names(conn, code, level)
    target_level = new_level or level
    if not names:
        return [name_new_unit(store, conn, code=new_code or code, level=target_level, name=new_name,
                              decision=decision, actor=actor, geometry=geometry)]
    out = []
    for before in names:
        changes: dict[str, Any] = {}
        if new_code and new_code != code:
            changes["admin_code"] = new_code
        if target_level != level:
            changes["feature_class"] = FEATURE_CLASS[target_level]
            if target_level in CATEGORY:
                changes["category_code"] = CATEGORY[target_level]
        renamed = before["standard_name"] != new_name
        if renamed:
            refuse_if_protected(conn, before, action="rename")  # PN-09: a decision lifts the protection first
            parts = split_name(new_name)
            rom = romanize(new_name, settlement=True if target_level == "village" else None,
                           language_of_origin=before.get("language_of_origin"))
            changes.update({"standard_name": new_name,
                            "specific": "".join(parts.specific) + parts.modifier + parts.ordinal,
                            "generic": parts.generic, "search_key": toneless_key(new_name),
                            **lifecycle.romanization_fields(rom)})
        lifecycle.lock_name(conn, new_name)
        lifecycle.check_name_change(store, conn, before, {k: v for k, v in changes.items()
                                                          if k in lifecycle.NAME_FIELDS})
        if renamed:
            store.insert("former_names", [{
                "place_name_id": before["id"], "name": before["standard_name"],
                "romanization": before.get("romanization"), "valid_from": before.get("approval_date"),
                "valid_to": decision.on, "reason": f"区划调整 division change {decision.doc_no}"}],
                actor=actor, conn=conn)
            changes.update({"approval_authority": decision.body, "approval_doc_no": decision.doc_no,
                            "approval_date": decision.decided_on, "filed_date": None, "announce_date": None})
        if needs_code(before):  # a standard name without its code gets one with the change (F13)
            changes["place_code"] = new_place_code(store, conn, before, actor=actor)
        if not changes:
            continue
        note = f"{before['standard_name']} → {new_name}" if renamed else f"{code} → {new_code}"
        store.update("place_names", before["id"], changes, expected_version=before["version"], actor=actor,
                     conn=conn, action="rename" if renamed else "recode", note=note)
        _event(store, conn, before["id"], before["status"], before["status"], actor=actor,
               comment=f"区划调整 division change: {note}", document_ref=decision.doc_no)
        out.append(before["id"])
    return out
