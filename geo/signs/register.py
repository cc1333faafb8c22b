"""The register of street name signs (路牌): install, inspect, report damage, replace, remove.

One function per use case, each one transaction with an audit row per record written. A sign
stands on one street segment of this district whose name is in force, and shows exactly that
standard name, its sign-form pinyin (SG-02) and its Mongolian name (条例第十九条: signs show the
standard name). Later steps carry the version the caller read (a stale one is refused, 409, and
logged); replaced and removed signs stay in the register as history, a replaced one linked to its
successor (``successor_sign_uid``). The caller names the districts it acts for; an officer of
another district is refused (403).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any, TypeVar

import numpy as np
import shapely
import sqlalchemy as sa

from geo import crs as C
from geo.errors import Conflict, Forbidden, InputError, NotFound, StaleVersion
from geo.messages import Term, quoted, text
from geo.signs import _uids
from geo.signs.ranges import audit_note, check_range, numbering_direction, street_numbers
from geo.signs.rules import (
    CONDITIONS,
    DAMAGING_CONDITIONS,
    DIRECTIONS,
    MAX_OFFSET_M,
    SIDES,
    SIGN_TYPES,
    STANDING,
    choice,
    not_before_approval,
    not_before_install,
    not_future,
    number_range,
    short_text,
    sign_label,
    value_term,
    values_term,
)
from geo.signs.siting import lock_street_signs, refuse_duplicate, side_of
from geo.store import Store, schema
from geo.types import beijing_today, parse_date
from geo.validation import refuses_control_characters

F = TypeVar("F", bound=Callable[..., Any])


def check_acts_for(store: Store, *, actor: str, actor_adcodes: Iterable[str] | None) -> None:
    """Refuse (403) an actor who does not act for this store's district; ``None`` is the CLI (trusted)."""
    if actor_adcodes is None:
        return
    own = sorted(actor_adcodes)
    if store.adcode not in own:
        raise Forbidden(text("signs.acts_for", actor=actor, own=", ".join(own) or "-", district=store.adcode),
                        field="actor_adcodes")


def street_and_name(conn: sa.Connection, store: Store, street_id: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return this district's street segment ``street_id`` and its standard name in force, or refuse.

    A segment of another district is answered as absent (404): nothing about it is shown.
    """
    s, p = schema.streets, schema.place_names
    if isinstance(street_id, bool) or not isinstance(street_id, int):
        raise InputError(text("signs.required", field=sign_label("street_id")), field="street_id")
    street = conn.execute(sa.select(s).where(s.c.id == street_id, s.c.adcode == store.adcode)).mappings().first()
    if street is None:
        raise NotFound(text("signs.no_street", id=street_id, field=sign_label("street_id")), field="street_id")
    name = None
    if street["place_name_id"] is not None:
        # FOR SHARE: a rename of this name (which queues the street's standing signs) waits for this
        # sign's transaction, or this one waits for the rename and reads the new name (PostgreSQL; F23).
        name = conn.execute(sa.select(p).where(p.c.id == street["place_name_id"], p.c.status == "in_force",
                                               p.c.adcode == store.adcode)
                            .with_for_update(read=True)).mappings().first()
    if name is None:
        raise Conflict(text("signs.street_unnamed", id=street_id, label=quoted(street["name"])), field="street_id")
    out = {k: v for k, v in street.items() if k not in ("minx", "miny", "maxx", "maxy", "geom")}
    return {**out, "geometry": street["geom"]}, dict(name)


def shown_text(name: Mapping[str, Any], conn: sa.Connection | None = None) -> dict[str, Any]:
    """Return what a sign of the standard name ``name`` shows: the name, its sign text, its Mongolian
    (none after a rename until the new name's is recorded: a production print then waits, SG-01)."""
    mong = name.get("name_mong") or None
    return {"shows_name": name["standard_name"], "shows_romanization": name.get("sign_text"), "shows_mong": mong}


def _check_shown(name: Mapping[str, Any], shows_name: str | None, shows_romanization: str | None) -> None:
    """Refuse a sign text other than the standard name in force (R1 art.19) or its sign text (SG-02)."""
    if shows_name is not None and shows_name.strip() != name["standard_name"]:
        raise Conflict(text("signs.shown_name", field=sign_label("shows_name"), value=quoted(shows_name),
                            standard=name["standard_name"]), field="shows_name")
    wanted = name.get("sign_text") or ""
    if shows_romanization is not None and shows_romanization.strip() != wanted:
        raise Conflict(text("signs.shown_romanization", field=sign_label("shows_romanization"),
                            value=quoted(shows_romanization), sign_text=wanted), field="shows_romanization")


def _metric_line(street: Mapping[str, Any]) -> shapely.LineString:
    return C.to_metric(street["geometry"])


def placement(street: Mapping[str, Any], position: shapely.Point) -> dict[str, Any]:
    """Return where a sign at ``position`` (EPSG:4490) stands on ``street``: offset (m), side, arrow.

    The side is left or right of the segment's direction (its first vertex is where numbering
    starts); the arrow points the way the numbers increase, to the nearest compass point.
    """
    line = _metric_line(street)
    point = C.to_metric(position)
    along = line.project(point)
    offset_m = float(line.distance(point))
    before = line.interpolate(max(along - 1.0, 0.0))
    after = line.interpolate(min(along + 1.0, line.length))
    dx, dy = after.x - before.x, after.y - before.y
    foot = line.interpolate(along)
    cross = dx * (point.y - foot.y) - dy * (point.x - foot.x)
    side = "left" if cross > 0 else "right"
    angle = math.degrees(math.atan2(dy, dx)) % 360
    direction = ("east", "north", "west", "south")[int(((angle + 45) % 360) // 90)]
    return {"offset_m": offset_m, "side": side, "direction": direction, "along_m": float(along)}


def _position(position: Any) -> shapely.Point:
    if not isinstance(position, shapely.Point) or position.is_empty or not np.isfinite(position.coords[0]).all():
        raise InputError(text("signs.required", field=sign_label("lonlat")), field="lonlat")
    return position


def _today(today: date | None) -> date:
    return today or beijing_today()


@refuses_control_characters
def install(store: Store, *, street_id: int, position: shapely.Point, sign_type: str, actor: str,
            actor_adcodes: Iterable[str] | None = None, side: str | None = None, direction: str | None = None,
            number_from: int | None = None, number_to: int | None = None, installed_on: Any = None,
            shows_name: str | None = None, shows_romanization: str | None = None, remarks: str | None = None,
            today: date | None = None) -> dict[str, Any]:
    """Register a sign standing on ``street_id`` at ``position`` (EPSG:4490); return the stored sign.

    The sign shows the street's standard name in force, its sign text and its Mongolian name (a
    ``shows_*`` given must be exactly those); it stands within :data:`MAX_OFFSET_M` of its segment;
    its side is the one its position is on (:func:`geo.signs.siting.side_of`; a typed ``side`` that
    contradicts it is refused) and its arrow defaults to the way the street's numbers rise there. A
    second standing sign of the same street at the same spot and side is refused (409,
    :func:`geo.signs.siting.refuse_duplicate`, under a lock on the street's signs), and so is an
    ``installed_on`` before the shown name's approval date.
    Its arrow and number range are checked against the street's active plates
    (:mod:`geo.signs.ranges`): a contradiction is refused, a doubtful range is stored with its
    ``warnings`` (returned, and written in the audit note). Its id comes from the never-reused counter.
    """
    check_acts_for(store, actor=actor, actor_adcodes=actor_adcodes)
    day = _today(today)
    sign_type = choice(sign_type, SIGN_TYPES, field="sign_type")
    if side is not None:
        choice(side, SIDES, field="side")
    if direction is not None:
        choice(direction, DIRECTIONS, field="direction")
    low, high = number_range(number_from, number_to)
    installed = not_future(parse_date(installed_on, field="installed_on") or day, field="installed_on", today=day)
    remarks = short_text(remarks, field="remarks")
    position = _position(position)
    with store.writing() as conn:
        street, name = street_and_name(conn, store, street_id)
        _check_shown(name, shows_name, shows_romanization)
        not_before_approval(installed, name, field="installed_on")
        where = placement(street, position)
        if where["offset_m"] > MAX_OFFSET_M:
            raise InputError(text("signs.far_from_street", field=sign_label("lonlat"),
                                  distance=f"{where['offset_m']:.0f}", most=f"{MAX_OFFSET_M:g}"), field="lonlat")
        side = side_of(conn, street, position, given=side, fallback=where["side"])
        lock_street_signs(conn, name)
        refuse_duplicate(conn, store, street=street, name=name, position=position, side=side)
        arrow = direction or numbering_direction(conn, store, street=street, position=position)
        warnings = _checked_range(conn, store, street=street, name=name, position=position, direction=arrow,
                                  number_from=low, number_to=high)
        (uid,) = _uids.allocate(store, conn, actor=actor)
        record = {"sign_uid": uid, "street_id": street["id"], "place_name_id": name["id"],
                  "side": side, "sign_type": sign_type, **shown_text(name, conn),
                  "number_from": low, "number_to": high, "direction": arrow,
                  "installed_on": installed, "condition": "good", "status": "active", "remarks": remarks,
                  "geometry": position}
        (sign_id,) = store.insert("street_signs", [record], actor=actor, conn=conn,
                                  note=audit_note("设置路牌 sign installed", warnings))
        return {**store.get("street_signs", sign_id, conn=conn), "warnings": warnings}


def _checked_range(conn: sa.Connection, store: Store, *, street: Mapping[str, Any], name: Mapping[str, Any],
                   position: shapely.Point, direction: str, number_from: int | None,
                   number_to: int | None) -> list[dict[str, Any]]:
    """Check a sign's arrow and range against its street's active plates (:mod:`geo.signs.ranges`):
    refuse a contradiction, return the warnings (stored with the sign's audit row, answered beside it)."""
    numbering = street_numbers(conn, store, street=street, standard_name=name["standard_name"], position=position,
                               direction=direction)
    return check_range(numbering, number_from=number_from, number_to=number_to, direction=direction)


def _logging_refusals(func: F) -> F:
    """Log a stale-version refusal of a sign step in the audit trail, then re-raise it."""

    @functools.wraps(func)
    def wrapper(store: Store, sign_uid: str, **kwargs: Any) -> Any:
        try:
            return func(store, sign_uid, **kwargs)
        except StaleVersion:
            sign = store.select("street_signs", where={"sign_uid": sign_uid, "adcode": store.adcode}, limit=1)
            if sign:
                attempted = {"call": func.__name__, **{k: v for k, v in kwargs.items()
                                                        if isinstance(v, str) and k != "actor"}}
                store.record_refused("street_signs", sign[0]["id"], attempted,
                                     expected_version=kwargs["expected_version"], actor=kwargs["actor"])
            raise

    return wrapper  # type: ignore[return-value]


def _current(conn: sa.Connection, store: Store, sign_uid: str, expected_version: int, *,
             allowed: tuple[str, ...], action: Term) -> dict[str, Any]:
    """Return this district's sign ``sign_uid`` at ``expected_version`` in a state ``allowed`` for ``action``."""
    t = schema.street_signs
    row = conn.execute(sa.select(t).where(t.c.sign_uid == str(sign_uid), t.c.adcode == store.adcode)
                       .with_for_update()).mappings().first()
    if row is None:
        raise NotFound(text("signs.not_found", uid=quoted(sign_uid)), field="sign_uid")
    sign = store.get("street_signs", int(row["id"]), conn=conn)
    if isinstance(expected_version, bool) or not isinstance(expected_version, int):
        raise InputError(text("signs.required", field=sign_label("version")), field="version")
    if sign["version"] != expected_version:
        raise StaleVersion(text("signs.stale", uid=sign_uid, current=sign["version"], given=expected_version),
                           field="version")
    if sign["status"] not in allowed:
        raise Conflict(text("signs.bad_step", uid=sign_uid, status=value_term(sign["status"]), action=action,
                            allowed=values_term(allowed)), field="status")
    return sign


@_logging_refusals
@refuses_control_characters
def inspect(store: Store, sign_uid: str, *, expected_version: int, condition: str, actor: str,
            actor_adcodes: Iterable[str] | None = None, inspected_on: Any = None, remarks: str | None = None,
            today: date | None = None) -> dict[str, Any]:
    """Record an inspection: the condition seen and the date; damaged or missing marks the sign damaged."""
    check_acts_for(store, actor=actor, actor_adcodes=actor_adcodes)
    day = _today(today)
    condition = choice(condition, CONDITIONS, field="condition")
    seen = not_future(parse_date(inspected_on, field="inspected_on") or day, field="inspected_on", today=day)
    remarks = short_text(remarks, field="remarks")
    with store.writing() as conn:
        sign = _current(conn, store, sign_uid, expected_version, allowed=STANDING,
                        action=Term("检查", "inspected"))
        not_before_install(seen, sign.get("installed_on"), field="inspected_on")
        changes: dict[str, Any] = {"condition": condition, "inspected_on": seen}
        if remarks:
            changes["remarks"] = remarks
        if condition in DAMAGING_CONDITIONS and sign["status"] == "active":
            changes.update(status="damaged", damaged_on=seen)
        return store.update("street_signs", sign["id"], changes, expected_version=expected_version, actor=actor,
                            conn=conn, action="inspect", note=f"检查 inspected: {condition}")


@_logging_refusals
@refuses_control_characters
def report_damage(store: Store, sign_uid: str, *, expected_version: int, actor: str,
                  actor_adcodes: Iterable[str] | None = None, damaged_on: Any = None, condition: str = "damaged",
                  remarks: str | None = None, today: date | None = None) -> dict[str, Any]:
    """Record that a sign is damaged (or missing) since ``damaged_on``; it waits for replacement."""
    check_acts_for(store, actor=actor, actor_adcodes=actor_adcodes)
    day = _today(today)
    condition = choice(condition, DAMAGING_CONDITIONS, field="condition")
    when = not_future(parse_date(damaged_on, field="damaged_on") or day, field="damaged_on", today=day)
    remarks = short_text(remarks, field="remarks")
    with store.writing() as conn:
        sign = _current(conn, store, sign_uid, expected_version, allowed=("active", "damaged"),
                        action=Term("登记损坏", "reported damaged"))
        if sign["status"] == "damaged":
            raise Conflict(text("signs.already_damaged", uid=sign_uid, date=str(sign.get("damaged_on") or "")),
                           field="status")
        not_before_install(when, sign.get("installed_on"), field="damaged_on")
        changes: dict[str, Any] = {"status": "damaged", "damaged_on": when, "condition": condition}
        if remarks:
            changes["remarks"] = remarks
        return store.update("street_signs", sign["id"], changes, expected_version=expected_version, actor=actor,
                            conn=conn, action="damage", note=f"损坏 damaged: {condition}")


def _lock_name_of_sign(conn: sa.Connection, store: Store, sign_uid: str) -> None:
    """Hold the name of the sign's street (FOR SHARE) before the sign itself, in a rename's order (name,
    then its signs): a replacement and a rename take turns without a deadlock (PostgreSQL; F23)."""
    if conn.dialect.name != "postgresql":
        return
    s, st, p = schema.street_signs, schema.streets, schema.place_names
    name_id = conn.execute(sa.select(st.c.place_name_id).select_from(s.join(st, st.c.id == s.c.street_id))
                           .where(s.c.sign_uid == str(sign_uid), s.c.adcode == store.adcode)).scalar()
    if name_id is not None:
        conn.execute(sa.select(p.c.id).where(p.c.id == name_id).with_for_update(read=True)).all()


@_logging_refusals
@refuses_control_characters
def replace(store: Store, sign_uid: str, *, expected_version: int, actor: str,
            actor_adcodes: Iterable[str] | None = None, replaced_on: Any = None, sign_type: str | None = None,
            position: shapely.Point | None = None, number_from: int | None = None, number_to: int | None = None,
            direction: str | None = None, remarks: str | None = None,
            today: date | None = None) -> dict[str, dict[str, Any]]:
    """Replace a standing sign with a new one showing the street's standard name in force today.

    The new sign takes a new id and, unless given, the old one's place, side, type, range and
    arrow; the old one becomes ``replaced`` with its date and ``successor_sign_uid``. Returns
    ``{"old": ..., "new": ...}``. A sign on a street whose name was retired cannot be replaced
    (there is no standard name to show): remove it instead. The new sign's arrow and range (given or
    kept) are checked against the street's plates, its side taken from its position, its date against
    the name's approval and its spot against other standing signs, as :func:`install` does.
    """
    check_acts_for(store, actor=actor, actor_adcodes=actor_adcodes)
    day = _today(today)
    when = not_future(parse_date(replaced_on, field="replaced_on") or day, field="replaced_on", today=day)
    if sign_type is not None:
        choice(sign_type, SIGN_TYPES, field="sign_type")
    if direction is not None:
        choice(direction, DIRECTIONS, field="direction")
    given_range = number_from is not None or number_to is not None
    low, high = number_range(number_from, number_to) if given_range else (None, None)
    remarks = short_text(remarks, field="remarks")
    with store.writing() as conn:
        _lock_name_of_sign(conn, store, sign_uid)
        old = _current(conn, store, sign_uid, expected_version, allowed=STANDING, action=Term("更换", "replaced"))
        not_before_install(when, old.get("installed_on"), field="replaced_on")
        street, name = street_and_name(conn, store, old["street_id"])
        not_before_approval(when, name, field="replaced_on")
        where_at = _position(position) if position is not None else old["geometry"]
        where = placement(street, where_at)
        if where["offset_m"] > MAX_OFFSET_M:
            raise InputError(text("signs.far_from_street", field=sign_label("lonlat"),
                                  distance=f"{where['offset_m']:.0f}", most=f"{MAX_OFFSET_M:g}"), field="lonlat")
        side = side_of(conn, street, where_at, given=None, fallback=where["side"])
        lock_street_signs(conn, name)
        refuse_duplicate(conn, store, street=street, name=name, position=where_at, side=side, ignore_id=old["id"])
        arrow = direction or old.get("direction") or numbering_direction(conn, store, street=street,
                                                                         position=where_at)
        if not given_range:
            low, high = old.get("number_from"), old.get("number_to")
        warnings = _checked_range(conn, store, street=street, name=name, position=where_at, direction=arrow,
                                  number_from=low, number_to=high)
        (uid,) = _uids.allocate(store, conn, actor=actor)
        new = {"sign_uid": uid, "street_id": street["id"], "place_name_id": name["id"],
               "side": side,
               "sign_type": sign_type or old["sign_type"], **shown_text(name, conn),
               "number_from": low, "number_to": high, "direction": arrow, "installed_on": when,
               "condition": "good", "status": "active", "remarks": remarks, "geometry": where_at}
        (new_id,) = store.insert("street_signs", [new], actor=actor, conn=conn,
                                 note=audit_note(f"更换 replaces {sign_uid}", warnings))
        after_old = store.update("street_signs", old["id"], {"status": "replaced", "replaced_on": when,
                                                             "successor_sign_uid": uid},
                                 expected_version=expected_version, actor=actor, conn=conn, action="replace",
                                 note=f"由 {uid} 更换 replaced by {uid}")
        return {"old": after_old, "new": {**store.get("street_signs", new_id, conn=conn), "warnings": warnings}}


@_logging_refusals
@refuses_control_characters
def remove(store: Store, sign_uid: str, *, expected_version: int, actor: str, reason: str,
           actor_adcodes: Iterable[str] | None = None, removed_on: Any = None,
           today: date | None = None) -> dict[str, Any]:
    """Take a sign down for good (the road closed, the sign moved elsewhere); the record stays as history."""
    check_acts_for(store, actor=actor, actor_adcodes=actor_adcodes)
    day = _today(today)
    reason_text = short_text(reason, field="reason")
    if not reason_text:
        raise InputError(text("signs.reason_needed", field=sign_label("reason")), field="reason")
    when = not_future(parse_date(removed_on, field="removed_on") or day, field="removed_on", today=day)
    with store.writing() as conn:
        sign = _current(conn, store, sign_uid, expected_version, allowed=STANDING, action=Term("拆除", "removed"))
        not_before_install(when, sign.get("installed_on"), field="removed_on")
        remarks = f"{when.isoformat()} 拆除 removed: {reason_text}"
        return store.update("street_signs", sign["id"], {"status": "removed", "remarks": remarks},
                            expected_version=expected_version, actor=actor, conn=conn, action="remove",
                            note=remarks)


def get_sign(store: Store, sign_uid: str) -> dict[str, Any]:
    """Return this district's sign ``sign_uid`` or refuse (404)."""
    rows = store.select("street_signs", where={"sign_uid": str(sign_uid), "adcode": store.adcode}, limit=1)
    if not rows:
        raise NotFound(text("signs.not_found", uid=quoted(sign_uid)), field="sign_uid")
    return rows[0]


def list_signs(store: Store, *, status: str | None = None, street_id: int | None = None,
               limit: int = 500, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Return a page of this district's signs (id order) and how many match."""
    where: dict[str, Any] = {"adcode": store.adcode}
    if status is not None:
        where["status"] = choice(status, ("active", "damaged", "replacement_queued", "replaced", "removed"),
                                 field="status")
    if street_id is not None:
        where["street_id"] = street_id
    return store.select("street_signs", where=where, limit=limit, offset=offset), store.count("street_signs",
                                                                                             where=where)
