"""Division changes (区划调整): create, split, merge, rename and re-code communities, villages, 街道 and 镇.

One use case per change, each one transaction under a decision (body, document number, date, and
the date it takes effect): the change is recorded in ``division_changes``; every old code and name
in ``unit_code_history`` (old → new, dated, with the change id); an abolished unit is retired
(status ``retired``, ``valid_to``), never deleted, and new units start on ``valid_from``. Door plates,
facilities, premises and new estates follow to the unit that contains them
(:mod:`geo.divisions.reparent`), the standard addresses below the plates are rewritten, and the
unit's place name follows (:mod:`geo.divisions.names`). Every write is audited; a unit touched is
checked against the version the caller read (409 when stale). Codes follow PN-13
(:mod:`geo.divisions.codes`). Only this district's units change.

Split and merge apply to communities and villages; a 街道, 镇 or 乡 can be created, renamed and re-coded (乡改镇,
撤镇设街道: its communities and villages follow under the new code, each keeping its serial).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import wraps
from typing import Any, TypeVar

import sqlalchemy as sa
from shapely.geometry.base import BaseGeometry

from geo.divisions import codes as K
from geo.divisions import geometry as G
from geo.divisions import names as N
from geo.divisions.reparent import new_figures, refresh_addresses, reparent
from geo.errors import Conflict, InputError, NotFound, StaleVersion
from geo.location_rules import successor_code
from geo.messages import as_term, label, labels, quoted, text, value_label, value_labels
from geo.placenames.rules import MAX_STANDARD_NAME_CHARS
from geo.store import Store, schema
from geo.text import clean, clean_mongolian, has_text
from geo.types import beijing_today, parse_date
from geo.validation import check_one_line, refuses_control_characters

MAX_DECISION_CHARS = 200
MAX_PARTS = 20
MAX_MERGED = 20
FIGURES = ("households", "residents", "registered_residents", "residents_60plus")

F = TypeVar("F", bound=Callable[..., Any])


# No division decision of the People's Republic predates its founding: an earlier date is a typing error.
EARLIEST_DECISION = date(1949, 10, 1)


@dataclass(frozen=True)
class Decision:
    """The decision a change rests on: who decided, the document, the date, and when it takes effect."""

    body: str
    doc_no: str
    decided_on: date
    effective_on: date | None = None

    @property
    def on(self) -> date:
        """The day the new division starts (the effective date, else the decision date)."""
        return self.effective_on or self.decided_on

    def fields(self) -> dict[str, Any]:
        """Return the decision as ``division_changes`` stores it."""
        return {"decision_body": self.body, "decision_doc_no": self.doc_no, "decision_date": self.decided_on,
                "effective_on": self.effective_on}


def parse_decision(data: Mapping[str, Any], *, today: date | None = None) -> Decision:
    """Return the decision in ``data`` (decision_body, decision_doc_no, decision_date, effective_on) or
    refuse it naming the field: all three required, dates not in the future nor out of order."""
    required = ("decision_body", "decision_doc_no", "decision_date")
    missing = [k for k in required if not has_text(data.get(k))]
    if missing:
        raise InputError(text("divisions.decision_required", fields=labels(missing)), field=missing[0])
    for key in ("decision_body", "decision_doc_no"):
        check_one_line(data[key], field=key)
        if len(str(data[key])) > MAX_DECISION_CHARS:
            raise InputError(text("divisions.text_too_long", field=label(key), most=MAX_DECISION_CHARS), field=key)
    decided = parse_date(data["decision_date"], field="decision_date")
    effective = parse_date(data.get("effective_on"), field="effective_on")
    assert decided is not None
    if decided < EARLIEST_DECISION:
        raise InputError(text("divisions.decision_too_early", field=label("decision_date"), value=decided.isoformat(),
                              earliest=EARLIEST_DECISION.isoformat()), field="decision_date")
    if decided > (today or beijing_today()):
        raise InputError(text("divisions.decision_future", field=label("decision_date"), value=decided.isoformat()),
                         field="decision_date")
    if effective is not None and effective < decided:
        raise InputError(text("divisions.effective_before", field=label("effective_on"), value=effective.isoformat(),
                              decided=decided.isoformat()), field="effective_on")
    today_ = today or beijing_today()
    if effective is not None and effective > today_:  # F28: never "in force" before it takes effect
        raise InputError(text("division_dates.effective_future", field=label("effective_on"),
                              value=effective.isoformat(), today=today_.isoformat()), field="effective_on")
    return Decision(clean(str(data["decision_body"])), clean(str(data["decision_doc_no"])), decided,
                    effective or decided)  # takes effect on the decision's date unless it says otherwise


def _unit_name(name: Any, level: str, *, field: str = "name") -> str:
    """Return a unit name cleaned, or refuse it: required, at most 50 characters, the level's generic."""
    value = clean(str(name or ""))
    if not value:
        raise InputError(text("divisions.name_required", field=label(field)), field=field)
    if len(value) > MAX_STANDARD_NAME_CHARS:
        raise InputError(text("divisions.text_too_long", field=label(field), most=MAX_STANDARD_NAME_CHARS),
                         field=field)
    problem = N.unit_name_problem(value, level, field=field)
    if problem is not None:
        raise problem
    return value


def _load(conn: sa.Connection, store: Store, code: Any, *, field: str) -> dict[str, Any]:
    """Return this district's active unit ``code`` (geometry under ``geometry``) or refuse it.

    The row is locked for the rest of the change (PostgreSQL; SQLite serialises writers): two changes
    under one parent, or of one unit, run one after the other, so two admins creating the first
    communities of a 街道 at once never take the same code nor the same land. A community's or village's
    街道/镇/乡 is locked with it, the two in id order, as a re-code of that 街道/镇/乡 locks it with its units and
    every other write locks records (:meth:`Store.lock_records`): the changes then wait for each other instead of
    each holding what the other needs (reviews: deadlocks, answered 503).
    """
    code = str(code or "").strip()
    t = schema.admin_units
    placed = conn.execute(sa.select(t.c.level, t.c.parent_code).where(t.c.code == code)).first()
    if placed is not None and placed.level in K.LEAF_LEVELS and placed.parent_code:
        _lock_codes(conn, [placed.parent_code, code])
    row = conn.execute(sa.select(t).where(t.c.code == code).with_for_update()).mappings().first()
    if row is None:
        raise NotFound(text("divisions.no_unit", value=quoted(code), field=label(field)), field=field)
    unit = {k: v for k, v in row.items() if k not in ("minx", "miny", "maxx", "maxy", "geom")}
    unit["geometry"] = row["geom"]
    if row["adcode"] != store.adcode or not code.startswith(store.adcode) or row["level"] not in (*K.LEVELS,
                                                                                                  "district"):
        raise InputError(text("divisions.other_district", value=code, district=store.adcode), field=field)
    if row["status"] not in (None, "active"):
        successor = successor_code(conn, code)
        raise Conflict(text("divisions.not_active", value=code, status=value_label(row["status"]),
                            successor=as_term(text("divisions.now_held_as", code=successor)) if successor else ""),
                       field=field)
    return unit


def _lock_codes(conn: sa.Connection, codes: Sequence[str]) -> None:
    """Lock units ``codes`` in one statement, in id order: the one order every write takes units in
    (:meth:`Store.lock_records`; an import naming units locks them for share in id order), so two writes wait for
    each other instead of each holding what the other needs (reviews: a merge listing its units in another order, a
    parent locked before children of lower ids in a county loaded leaves first, deadlocked, answered 503)."""
    t = schema.admin_units
    wanted = sorted({c for c in codes if c})
    if wanted:
        conn.execute(sa.select(t.c.id).where(t.c.code.in_(wanted)).order_by(t.c.id).with_for_update())


def _lock_in_id_order(conn: sa.Connection, codes: Sequence[str]) -> None:
    """Lock units ``codes`` and their parents for the change, all in id order (:func:`_lock_codes`)."""
    t = schema.admin_units
    parents = [r[0] for r in conn.execute(sa.select(t.c.parent_code).where(
        t.c.code.in_(list(codes)), t.c.level.in_(K.LEAF_LEVELS), t.c.parent_code.is_not(None)))]
    _lock_codes(conn, [*parents, *codes])


def _lock_family(conn: sa.Connection, code: str, new_parent: str | None) -> None:
    """Lock what a re-code changes or reads under lock, all in id order (:func:`_lock_codes`): the unit, its parent,
    the parent it moves under, and a 街道/镇/乡's active units (two villages moved each under the other's 街道 at
    once, or a town re-coded beside an upsert of its villages, deadlocked)."""
    t = schema.admin_units
    current = conn.execute(sa.select(t.c.parent_code).where(t.c.code == code)).scalar()
    children = [r[0] for r in conn.execute(sa.select(t.c.code).where(
        t.c.parent_code == code, sa.func.coalesce(t.c.status, "active") == "active"))]
    _lock_codes(conn, [code, current or "", new_parent or "", *children])


def _check_version(unit: Mapping[str, Any], given: Any) -> None:
    """Refuse a change based on another version of ``unit`` than the current one (409)."""
    if given is None:
        raise InputError(text("divisions.version_missing", value=unit["code"], field=label("version")),
                         field="version")
    if unit["version"] != given:
        raise StaleVersion(text("divisions.stale", value=unit["code"], current=unit["version"], given=given),
                           field="version")


def _parent(conn: sa.Connection, store: Store, parent_code: Any, level: str) -> dict[str, Any]:
    """Return the parent a unit of ``level`` may have, or refuse it (PN-13: the code follows it)."""
    parent = _load(conn, store, parent_code, field="parent_code")
    allowed = K.PARENT_LEVELS[level]
    if parent["level"] not in allowed:
        raise InputError(text("divisions.bad_parent", field=label("parent_code"), value=parent["code"],
                              level=value_label(level), allowed=value_labels(allowed)), field="parent_code")
    return parent


def _refuse_outside_parent(unit: Mapping[str, Any], parent: Mapping[str, Any]) -> None:
    """Refuse moving ``unit`` under a ``parent`` it does not lie in (beyond the tiling tolerance): a
    change of parent re-parents the records and rewrites the addresses, which must then be true."""
    geom, outer = unit.get("geometry"), parent.get("geometry")
    if geom is None or outer is None:
        return
    outside = G.metric_area_m2(geom.difference(outer))
    tol = G.tolerance_m2(G.metric_area_m2(geom))
    if outside > tol:
        raise InputError(text("division_dates.recode_outside_parent", field=label("parent_code"),
                              parent=parent["code"], value=unit["code"], area_m2=f"{outside:,.0f}",
                              tolerance_m2=f"{tol:,.0f}"), field="parent_code")


def _logging_refusals(func: F) -> F:
    """Log a stale-version refusal in the audit trail (its own transaction), then re-raise it."""

    @wraps(func)
    def wrapper(store: Store, *args: Any, actor: str, **kwargs: Any) -> Any:
        try:
            return func(store, *args, actor=actor, **kwargs)
        except StaleVersion as exc:
            with store.writing() as conn:
                conn.execute(schema.audit_log.insert().values(
                    adcode=store.adcode, table_name="admin_units", record_id=None, action="refused_stale_version",
                    actor=actor, at=datetime.now(UTC), before=None,
                    after=json.dumps({"call": func.__name__}, ensure_ascii=False),
                    note=f"{exc.message}; nothing was changed"))
            raise

    return wrapper  # type: ignore[return-value]


def _refuse_before_history(conn: sa.Connection, decision: Decision, codes: Sequence[str]) -> None:
    """Refuse a change that would take effect before a unit it changes began, or before that unit's
    latest recorded change (a history read in date order must not run backwards: 1900-01-01 is refused)."""
    if not codes:
        return
    u, h = schema.admin_units, schema.unit_code_history
    starts = conn.execute(sa.select(u.c.code, u.c.valid_from).where(u.c.code.in_(list(codes)))).all()
    latest = conn.execute(sa.select(h.c.old_code, h.c.new_code, h.c.changed_on).where(
        sa.or_(h.c.old_code.in_(list(codes)), h.c.new_code.in_(list(codes))))
        .order_by(h.c.changed_on.desc()).limit(1)).first()
    bounds = [(code, start) for code, start in starts if start is not None]
    if latest is not None:
        bounds.append((latest.new_code if latest.new_code in codes else latest.old_code, latest.changed_on))
    field = "effective_on" if decision.effective_on != decision.decided_on else "decision_date"
    for code, bound in bounds:
        if decision.on < bound:
            raise InputError(text("divisions.before_history", field=label(field), value=decision.on.isoformat(),
                                  code=code, bound=bound.isoformat()), field=field)


def _record(store: Store, conn: sa.Connection, change_type: str, decision: Decision, *, before: Sequence[str],
            after: Sequence[str], summary: str, actor: str) -> int:
    _refuse_before_history(conn, decision, before)
    (change_id,) = store.insert("division_changes", [{
        "change_type": change_type, **decision.fields(), "units_before": json.dumps(list(before)),
        "units_after": json.dumps(list(after)), "summary": summary, "made_by": actor}], actor=actor, conn=conn)
    return change_id


def _history(store: Store, conn: sa.Connection, change_id: int, pairs: Sequence[tuple[Mapping[str, Any], str, str]],
             decision: Decision, *, actor: str) -> None:
    """Write one code-history row per (old unit, new code, new name)."""
    store.insert("unit_code_history", [
        {"change_id": change_id, "old_code": old["code"], "new_code": new_code, "old_name": old["name"],
         "new_name": new_name, "changed_on": decision.on} for old, new_code, new_name in pairs],
        actor=actor, conn=conn)


def _retire(store: Store, conn: sa.Connection, unit: Mapping[str, Any], decision: Decision, *, actor: str,
            note: str) -> None:
    store.update("admin_units", unit["id"], {"status": "retired", "valid_to": decision.on},
                 expected_version=unit["version"], actor=actor, conn=conn, action="division_retire", note=note)
    N.retire_names(store, conn, unit, decision, actor=actor, note=note)


def _insert_unit(store: Store, conn: sa.Connection, *, code: str, name: str, level: str, parent_code: str,
                 geometry: BaseGeometry, decision: Decision, actor: str, note: str,
                 figures: Mapping[str, Any] | None = None, name_mong: str | None = None,
                 settlement_type: str | None = None) -> dict[str, Any]:
    record = {"code": code, "name": name, "level": level, "parent_code": parent_code, "status": "active",
              "valid_from": decision.on, "geometry": geometry, "name_mong": name_mong,
              "settlement_type": settlement_type or ("urban_community" if level == "community" else None),
              **{k: v for k, v in (figures or {}).items() if k in FIGURES}}
    (uid,) = store.insert("admin_units", [record], actor=actor, conn=conn, note=note)
    return store.get("admin_units", uid, conn=conn)


def _follow(store: Store, conn: sa.Connection, old: Sequence[Mapping[str, Any]], new: Sequence[dict[str, Any]],
            decision: Decision, *, actor: str, note: str, change_id: int) -> dict[str, Any]:
    """Move the records of ``old`` to ``new``, set the new units' figures, refresh addresses."""
    moved = reparent(store, conn, [u["code"] for u in old], new, actor=actor, note=note)
    figures = new_figures(old, new, moved["households"])
    for unit in new:
        after = store.update("admin_units", unit["id"], figures[unit["code"]], expected_version=unit["version"],
                             actor=actor, conn=conn, action="division_figures", note=note)
        unit.update(after)
    refreshed = refresh_addresses(store, conn, moved["plate_uids"], actor=actor)
    return {"plates_moved": len(moved["plate_uids"]), "addresses_refreshed": refreshed, "figures": figures}


def _parse_name_mong(value: Any) -> str | None:
    text_ = clean_mongolian(value) if isinstance(value, str) else None
    return text_ or None


def _result(store: Store, conn: sa.Connection, change_id: int, **extra: Any) -> dict[str, Any]:
    change = store.get("division_changes", change_id, conn=conn)
    change.update(units_before=json.loads(change["units_before"] or "[]"),
                  units_after=json.loads(change["units_after"] or "[]"), **extra)
    return change


@_logging_refusals
@refuses_control_characters
def create_unit(store: Store, *, parent_code: str, level: str, name: str, geometry: BaseGeometry,
                decision: Mapping[str, Any], actor: str, code: str | None = None, name_mong: str | None = None,
                meaning: str | None = None) -> dict[str, Any]:
    """Create a community, village, 街道, 镇 or 乡/苏木 on land inside its parent that no active sibling holds;
    the records inside it follow to it; its name enters the gazetteer in force by the decision."""
    K.check_level(level)
    dec = parse_decision(decision)
    name = _unit_name(name, level)
    with store.writing() as conn:
        parent = _parent(conn, store, parent_code, level)
        geom = G.as_multipolygon(geometry)
        outside = G.metric_area_m2(geom.difference(parent["geometry"]))
        tol = G.tolerance_m2(G.metric_area_m2(geom))
        if outside > tol:
            raise InputError(text("divisions.create_outside", parent=parent["code"], area_m2=f"{outside:,.0f}",
                                  tolerance_m2=f"{tol:,.0f}"), field="geometry")
        t = schema.admin_units
        for sib in conn.execute(sa.select(t.c.code, t.c.geom).where(
                t.c.parent_code == parent["code"], sa.or_(t.c.status.is_(None), t.c.status == "active"))).mappings():
            overlap = G.metric_area_m2(geom.intersection(sib["geom"])) if sib["geom"] is not None else 0.0
            if overlap > tol:
                raise Conflict(text("divisions.create_overlap", value=sib["code"], area_m2=f"{overlap:,.0f}"),
                               field="geometry")
        geom = G.as_multipolygon(geom.intersection(parent["geometry"]))
        new_code = K.take_code(store, conn, parent_code=parent["code"], level=level, given=code,
                               district=store.adcode, actor=actor)
        summary = text("divisions.summary.create", level=value_label(level), name=name, code=new_code)
        change_id = _record(store, conn, "create", dec, before=[], after=[new_code], summary=summary, actor=actor)
        note = f"division change {change_id}: {dec.doc_no}"
        unit = _insert_unit(store, conn, code=new_code, name=name, level=level, parent_code=parent["code"],
                            geometry=geom, decision=dec, actor=actor, note=note, name_mong=_parse_name_mong(name_mong))
        _history(store, conn, change_id, [({"code": None, "name": None}, new_code, name)], dec, actor=actor)
        follow: dict[str, Any] = {}
        if level in K.LEAF_LEVELS:  # records of the parent's own code inside the new unit move to it
            moved = reparent(store, conn, [parent["code"]], [unit], actor=actor, note=note, inside_only=True)
            households = sum(moved["households"][new_code].values())
            store.update("admin_units", unit["id"], {"households": households}, expected_version=unit["version"],
                         actor=actor, conn=conn, action="division_figures", note=note)
            follow = {"plates_moved": len(moved["plate_uids"]), "figures": {new_code: {"households": households}},
                      "addresses_refreshed": refresh_addresses(store, conn, moved["plate_uids"], actor=actor)}
        N.name_new_unit(store, conn, code=new_code, level=level, name=name, decision=dec, actor=actor, geometry=geom,
                        name_mong=_parse_name_mong(name_mong), meaning=meaning)
        return _result(store, conn, change_id, **follow)


@_logging_refusals
@refuses_control_characters
def split_unit(store: Store, code: str, parts: Sequence[Mapping[str, Any]], *, expected_version: int,
               decision: Mapping[str, Any], actor: str) -> dict[str, Any]:
    """Split a community or village into ``parts`` (each: name, geometry, optional code, name_mong,
    meaning) that tile it; the old unit is retired, the parts get new codes (PN-13)."""
    dec = parse_decision(decision)
    if len(parts) < 2:
        raise InputError(text("divisions.parts_count", field=label("parts"), count=len(parts)), field="parts")
    if len(parts) > MAX_PARTS:
        raise InputError(text("divisions.parts_too_many", field=label("parts"), most=MAX_PARTS, count=len(parts)),
                         field="parts")
    with store.writing() as conn:
        old = _load(conn, store, code, field="code")
        if old["level"] not in K.LEAF_LEVELS:
            raise InputError(text("divisions.leaf_only", field=label("code"), value=old["code"],
                                  level=value_label(old["level"])), field="code")
        _check_version(old, expected_version)
        level = old["level"]
        names = [_unit_name(p.get("name"), level, field=f"parts[{i}].name") for i, p in enumerate(parts)]
        for i, name in enumerate(names):  # two parts of one split named alike: said as such, before PN-07
            if name in names[:i]:
                raise InputError(text("divisions.parts_same_name", value=quoted(name), first=names.index(name) + 1,
                                      second=i + 1), field=f"parts[{i}].name")
        geoms = [p["geometry"] for p in parts]
        problem = G.tiling_problem(old["geometry"], geoms)
        if problem is not None:
            common = {"value": old["code"], "area_m2": f"{problem.area_m2:,.1f}",
                      "tolerance_m2": f"{problem.tolerance_m2:,.1f}"}
            if problem.kind == "overlap":
                raise InputError(text("divisions.split_overlap", first=problem.first, second=problem.second,
                                      **common), field="parts")
            raise InputError(text(f"divisions.split_{problem.kind}", **common), field="parts")
        clipped = G.clipped_parts(old["geometry"], geoms)
        for i, g in enumerate(clipped):
            if g.is_empty or G.metric_area_m2(g) <= 0:
                raise InputError(text("divisions.part_empty", index=i + 1), field="parts")
        parent = _parent(conn, store, old["parent_code"], level)
        given = [str(p.get("code") or "").strip() or None for p in parts]
        repeated = next((c for c in given if c and given.count(c) > 1), None)
        if repeated:
            raise InputError(text("divisions.codes_repeated", value=repeated, field=label("parts")), field="parts")
        taken: set[str] = set()
        new_codes = []
        for wanted in given:
            new_code = K.take_code(store, conn, parent_code=parent["code"], level=level, given=wanted,
                                   district=store.adcode, actor=actor, taken=taken)
            taken.add(new_code)
            new_codes.append(new_code)
        summary = text("divisions.summary.split", old=f"{old['name']}（{old['code']}）",
                       new="、".join(f"{n}（{c}）" for n, c in zip(names, new_codes, strict=True)))
        change_id = _record(store, conn, "split", dec, before=[old["code"]], after=new_codes, summary=summary,
                            actor=actor)
        note = f"division change {change_id}: {dec.doc_no}"
        _retire(store, conn, old, dec, actor=actor, note=note)
        new = [_insert_unit(store, conn, code=c, name=n, level=level, parent_code=parent["code"], geometry=g,
                            decision=dec, actor=actor, note=note, name_mong=_parse_name_mong(p.get("name_mong")),
                            settlement_type=old.get("settlement_type"))
               for c, n, g, p in zip(new_codes, names, clipped, parts, strict=True)]
        _history(store, conn, change_id, [(old, c, n) for c, n in zip(new_codes, names, strict=True)], dec,
                 actor=actor)
        follow = _follow(store, conn, [old], new, dec, actor=actor, note=note, change_id=change_id)
        for unit, p in zip(new, parts, strict=True):
            N.name_new_unit(store, conn, code=unit["code"], level=level, name=unit["name"], decision=dec, actor=actor,
                            geometry=unit["geometry"], name_mong=_parse_name_mong(p.get("name_mong")),
                            meaning=p.get("meaning"))
        return _result(store, conn, change_id, **follow)


@_logging_refusals
@refuses_control_characters
def merge_units(store: Store, codes: Sequence[str], *, name: str, expected_versions: Mapping[str, int],
                decision: Mapping[str, Any], actor: str, code: str | None = None, name_mong: str | None = None,
                meaning: str | None = None) -> dict[str, Any]:
    """Merge adjoining communities or villages of one parent into a new unit named ``name``."""
    dec = parse_decision(decision)
    codes = [str(c or "").strip() for c in codes]
    if len(codes) < 2:
        raise InputError(text("divisions.units_count", field=label("units"), count=len(codes)), field="units")
    if len(codes) > MAX_MERGED:
        raise InputError(text("divisions.parts_too_many", field=label("units"), most=MAX_MERGED, count=len(codes)),
                         field="units")
    repeated = next((c for c in codes if codes.count(c) > 1), None)
    if repeated:
        raise InputError(text("divisions.units_repeated", value=repeated, field=label("units")), field="units")
    with store.writing() as conn:
        _lock_in_id_order(conn, codes)
        old = [_load(conn, store, c, field="units") for c in codes]
        for unit in old:
            if unit["level"] not in K.LEAF_LEVELS:
                raise InputError(text("divisions.leaf_only", field=label("units"), value=unit["code"],
                                      level=value_label(unit["level"])), field="units")
            _check_version(unit, expected_versions.get(unit["code"]))
        levels = sorted({u["level"] for u in old})
        if len(levels) > 1:
            raise InputError(text("divisions.merge_level", value=value_labels(levels)), field="units")
        parents = sorted({u["parent_code"] for u in old})
        if len(parents) > 1:
            raise InputError(text("divisions.merge_parent", value="、".join(parents)), field="units")
        alone = G.apart([u["geometry"] for u in old])
        if alone is not None:
            raise InputError(text("divisions.merge_apart", value=old[alone]["code"]), field="units")
        level = levels[0]
        name = _unit_name(name, level)
        parent = _parent(conn, store, parents[0], level)
        new_code = K.take_code(store, conn, parent_code=parent["code"], level=level, given=code,
                               district=store.adcode, actor=actor)
        summary = text("divisions.summary.merge", old="、".join(f"{u['name']}（{u['code']}）" for u in old),
                       new=f"{name}（{new_code}）")
        change_id = _record(store, conn, "merge", dec, before=codes, after=[new_code], summary=summary, actor=actor)
        note = f"division change {change_id}: {dec.doc_no}"
        for unit in old:
            _retire(store, conn, unit, dec, actor=actor, note=note)
        settlement = old[0].get("settlement_type") if len({u.get("settlement_type") for u in old}) == 1 else None
        new = _insert_unit(store, conn, code=new_code, name=name, level=level, parent_code=parent["code"],
                           geometry=G.merged([u["geometry"] for u in old]), decision=dec, actor=actor, note=note,
                           name_mong=_parse_name_mong(name_mong), settlement_type=settlement)
        _history(store, conn, change_id, [(u, new_code, name) for u in old], dec, actor=actor)
        follow = _follow(store, conn, old, [new], dec, actor=actor, note=note, change_id=change_id)
        N.name_new_unit(store, conn, code=new_code, level=level, name=name, decision=dec, actor=actor,
                        geometry=new["geometry"], name_mong=_parse_name_mong(name_mong), meaning=meaning)
        return _result(store, conn, change_id, **follow)


@_logging_refusals
@refuses_control_characters
def rename_unit(store: Store, code: str, new_name: str, *, expected_version: int, decision: Mapping[str, Any],
                actor: str) -> dict[str, Any]:
    """Rename a unit (code and geometry kept); its place name is renamed with its former name kept, and
    the addresses below its plates are rewritten."""
    dec = parse_decision(decision)
    with store.writing() as conn:
        unit = _load(conn, store, code, field="code")
        if unit["level"] not in K.LEVELS:
            raise InputError(text("divisions.level", field=label("level"), allowed=value_labels(K.LEVELS),
                                  value=quoted(unit["level"])), field="code")
        _check_version(unit, expected_version)
        name = _unit_name(new_name, unit["level"], field="new_name")
        if name == unit["name"]:
            raise InputError(text("divisions.same_name", value=quoted(name)), field="new_name")
        summary = text("divisions.summary.rename", code=unit["code"], old=unit["name"], new=name)
        change_id = _record(store, conn, "rename", dec, before=[unit["code"]], after=[unit["code"]],
                            summary=summary, actor=actor)
        note = f"division change {change_id}: {dec.doc_no}"
        store.update("admin_units", unit["id"], {"name": name}, expected_version=unit["version"], actor=actor,
                     conn=conn, action="division_rename", note=note)
        _history(store, conn, change_id, [(unit, unit["code"], name)], dec, actor=actor)
        N.rename_names(store, conn, code=unit["code"], level=unit["level"], new_name=name, decision=dec, actor=actor,
                       geometry=unit["geometry"])
        refreshed = refresh_addresses(store, conn, _plates_below(conn, store, unit), actor=actor)
        return _result(store, conn, change_id, addresses_refreshed=refreshed)


def _plates_below(conn: sa.Connection, store: Store, unit: Mapping[str, Any]) -> list[str]:
    """Return the plate uids of a unit (a 街道/镇/乡: of its communities and villages)."""
    p, t = schema.door_plates, schema.admin_units
    codes = [unit["code"]]
    if unit["level"] not in K.LEAF_LEVELS:
        codes += [r[0] for r in conn.execute(sa.select(t.c.code).where(t.c.parent_code == unit["code"]))]
    return [r[0] for r in conn.execute(sa.select(p.c.plate_uid).where(p.c.community_code.in_(codes),
                                                                      p.c.adcode == store.adcode))]


def _active_children_locked(conn: sa.Connection, code: str) -> list[dict[str, Any]]:
    """Return the active units under ``code`` (geometry under ``geometry``), locked for the change, by code."""
    t = schema.admin_units
    active = sa.or_(t.c.status.is_(None), t.c.status == "active")
    rows = conn.execute(sa.select(t).where(t.c.parent_code == code, active).order_by(t.c.id).with_for_update()
                        ).mappings().all()
    rows = sorted(rows, key=lambda row: row["code"])  # locked in id order (as every write locks), changed by code
    return [{**{k: v for k, v in row.items() if k not in ("minx", "miny", "maxx", "maxy", "geom")},
             "geometry": row["geom"]} for row in rows]


def _recoded_child_code(store: Store, conn: sa.Connection, child: Mapping[str, Any], *, new_parent: str,
                        actor: str) -> str:
    """Return the code a community or village takes under its township's new code: its own serial after the new
    9-digit prefix (PN-13), refused naming it where that code was ever used."""
    level = child["level"]
    given = K.make_code(K.prefix_of(new_parent, level), K.serial_of(child["code"], level), level)
    try:
        return K.take_code(store, conn, parent_code=new_parent, level=level, given=given, district=store.adcode,
                           actor=actor)
    except Conflict as exc:  # the officer typed the town's code only: say whose code it is (review)
        raise Conflict(text("divisions.child_code_used", name=child["name"], old=child["code"], code=given,
                            problem=as_term(exc.message)), field="new_code") from None


def _recode_one(store: Store, conn: sa.Connection, old: Mapping[str, Any], *, code: str, name: str, level: str,
                parent_code: str, decision: Decision, actor: str, note: str) -> dict[str, Any]:
    """Retire ``old`` and start it again as ``code`` (same land and figures); its place names follow."""
    store.update("admin_units", old["id"], {"status": "retired", "valid_to": decision.on},
                 expected_version=old["version"], actor=actor, conn=conn, action="division_retire", note=note)
    settlement = "urban_community" if level == "community" else (
        old.get("settlement_type") if level == old["level"] else None)
    new = _insert_unit(store, conn, code=code, name=name, level=level, parent_code=parent_code,
                       geometry=old["geometry"], decision=decision, actor=actor, note=note,
                       figures={k: old.get(k) for k in FIGURES}, name_mong=old.get("name_mong"),
                       settlement_type=settlement)
    N.rename_names(store, conn, code=old["code"], level=old["level"], new_name=name, decision=decision, actor=actor,
                   geometry=old["geometry"], new_code=code, new_level=level)
    p = schema.place_names  # the streets and places the gazetteer files under the unit (a 镇's roads) follow it
    store.update_matching("place_names", sa.and_(p.c.admin_code == old["code"],
                                                 p.c.status.not_in(("superseded", "retired"))),
                          {"admin_code": code}, actor=actor, conn=conn, action="division_change", note=note)
    return new


@_logging_refusals
@refuses_control_characters
def recode_unit(store: Store, code: str, *, expected_version: int, decision: Mapping[str, Any], actor: str,
                new_code: str | None = None, level: str | None = None, parent_code: str | None = None,
                new_name: str | None = None) -> dict[str, Any]:
    """Give a unit a new code (PN-13), e.g. a village become a community (村改居) or moved to another
    街道, a 乡 become a 镇 (乡改镇) or a 镇 a 街道: the old row is retired, a new one (same geometry and figures)
    starts; records follow. A township-level unit's active communities and villages are re-coded with it, each
    keeping its serial under the new code and its land, names and figures, in the same change; their plates,
    facilities, premises and estates follow them and the addresses below are rewritten (they name the 街道/镇)."""
    dec = parse_decision(decision)
    with store.writing() as conn:
        _lock_family(conn, str(code or "").strip(), str(parent_code or "").strip() or None)
        old = _load(conn, store, code, field="code")
        if old["level"] not in K.LEVELS:
            raise InputError(text("divisions.level", field=label("level"), allowed=value_labels(K.LEVELS),
                                  value=quoted(old["level"])), field="code")
        _check_version(old, expected_version)
        children = _active_children_locked(conn, old["code"]) if old["level"] in K.TOWNSHIP_LEVELS else []
        target_level = level or old["level"]
        K.check_level(target_level)
        if (target_level in K.LEAF_LEVELS) != (old["level"] in K.LEAF_LEVELS):
            raise InputError(text("divisions.level", field=label("level"), value=quoted(target_level),
                                  allowed=value_labels(K.LEAF_LEVELS if old["level"] in K.LEAF_LEVELS
                                                       else K.TOWNSHIP_LEVELS)), field="level")
        parent = _parent(conn, store, parent_code or old["parent_code"], target_level)
        if new_code and str(new_code).strip() == old["code"]:
            raise InputError(text("divisions.same_code"), field="new_code")
        if parent["code"] != old["parent_code"]:
            _refuse_outside_parent(old, parent)
        name = _unit_name(new_name or old["name"], target_level, field="new_name")
        try:
            assigned = K.take_code(store, conn, parent_code=parent["code"], level=target_level, given=new_code,
                                   district=store.adcode, actor=actor)
        except (InputError, Conflict) as exc:  # the request's field is new_code (a create's is code)
            raise type(exc)(exc.message, field="new_code" if new_code else exc.field) from None
        child_codes = [_recoded_child_code(store, conn, child, new_parent=assigned, actor=actor)
                       for child in children]
        summary = (text("divisions.summary.recode_with_children", name=name, old=old["code"], new=assigned,
                        count=len(children)) if children
                   else text("divisions.summary.recode", name=name, old=old["code"], new=assigned))
        change_id = _record(store, conn, "recode", dec, before=[old["code"], *(c["code"] for c in children)],
                            after=[assigned, *child_codes], summary=summary, actor=actor)
        note = f"division change {change_id}: {dec.doc_no}"
        try:
            new = _recode_one(store, conn, old, code=assigned, name=name, level=target_level,
                              parent_code=parent["code"], decision=dec, actor=actor, note=note)
        except InputError as exc:  # the gazetteer's rules name the place name's field; the request's is new_name
            raise InputError(exc.message, field="new_name" if exc.field in ("standard_name", "name_mong")
                             else exc.field) from None
        new_children = [_recode_one(store, conn, child, code=child_code, name=child["name"], level=child["level"],
                                    parent_code=assigned, decision=dec, actor=actor, note=note)
                        for child, child_code in zip(children, child_codes, strict=True)]
        _history(store, conn, change_id, [(old, assigned, name),
                                          *((c, n, c["name"]) for c, n in zip(children, child_codes, strict=True))],
                 dec, actor=actor)
        plate_uids: list[str] = []
        for before, after in [(old, new), *zip(children, new_children, strict=True)]:
            plate_uids += reparent(store, conn, [before["code"]], [after], actor=actor, note=note)["plate_uids"]
        return _result(store, conn, change_id, plates_moved=len(plate_uids),
                       addresses_refreshed=refresh_addresses(store, conn, plate_uids, actor=actor))


def offer_code(store: Store, *, parent_code: str, level: str) -> str:
    """Return the code a new unit of ``level`` under this district's ``parent_code`` would get now (not
    reserved: the change that uses it takes it in its own transaction)."""
    K.check_level(level)
    with store.reading() as conn:
        parent = _parent(conn, store, parent_code, level)
        return K.next_free_code(conn, parent_code=parent["code"], level=level)
