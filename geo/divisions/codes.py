"""Administrative unit codes (PN-13, standards §1.7): checked, offered and never reused.

A code has 12 digits: the county (6, here 150102), the township level (3: 001–099 街道, 100–199 镇, 200–399
乡/民族乡/苏木 = township) and the village level (3: 001–199 居委会 = community, 200–399 村委会/嘎查 = village). A
community's or village's code starts with the first 9 digits of its 街道/镇/乡; a township-level unit's with the
district's 6 and ends in 000. The district-level check of the gazetteer (:func:`geo.placenames.rules.check_admin_code`,
12 digits inside the district) runs first; the parent prefix and the ranges are checked here.

A code once held is never handed out again: a retired unit keeps its row (status ``retired``), the
code history keeps every old code, the audit trail keeps deleted rows, and ``code_counters`` (scheme
``unit``, one row per parent prefix and level) remembers the highest serial handed out automatically.
An automatic code is the first serial after that counter that none of them has used; a code given
explicitly (``150``) is used from then on (its row, its history) but does not move the counter, so
the automatic sequence still takes the free serials below it (002, 003 …) and passes over 150.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from geo.errors import Conflict, InputError
from geo.layers import LEAF_LEVELS, TOWNSHIP_LEVELS
from geo.messages import Term, label, quoted, text, value_label, value_labels
from geo.placenames.rules import check_admin_code
from geo.store import Store, schema

SCHEME = "unit"
LEVELS = (*TOWNSHIP_LEVELS, *LEAF_LEVELS)


@dataclass(frozen=True)
class CodeRange:
    """Where a level's serial sits in the code and which serials it may take."""

    start: int  # the serial's first digit (0-based) in the 12-digit code
    low: int
    high: int


RANGES: dict[str, CodeRange] = {
    "subdistrict": CodeRange(6, 1, 99), "town": CodeRange(6, 100, 199), "township": CodeRange(6, 200, 399),
    "community": CodeRange(9, 1, 199), "village": CodeRange(9, 200, 399),
}
# The levels a parent may hold (a 街道 holds communities and, in the urban fringe, villages).
PARENT_LEVELS: dict[str, tuple[str, ...]] = {
    "subdistrict": ("district",), "town": ("district",), "township": ("district",),
    "community": TOWNSHIP_LEVELS, "village": TOWNSHIP_LEVELS,
}


def check_level(level: str) -> None:
    """Refuse a level this module does not code."""
    if level not in RANGES:
        raise InputError(text("divisions.level", field=label("level"), allowed=value_labels(LEVELS),
                              value=quoted(level)), field="level")


def prefix_of(parent_code: str, level: str) -> str:
    """Return the digits a child of ``parent_code`` at ``level`` must start with."""
    return parent_code[:RANGES[level].start]


def serial_of(code: str, level: str) -> int:
    """Return the serial of ``code`` at ``level`` (the 3 digits after the parent's prefix)."""
    start = RANGES[level].start
    return int(code[start:start + 3])


def make_code(prefix: str, serial: int, level: str) -> str:
    """Return the 12-digit code of ``serial`` under ``prefix``."""
    return f"{prefix}{serial:03d}" + ("000" if level in TOWNSHIP_LEVELS else "")


def check_code(code: str, *, level: str, parent_code: str, district: str) -> None:
    """PN-13: refuse a code that is not 12 digits in the district, not under its parent or out of range."""
    check_level(level)
    findings = check_admin_code({"admin_code": code}, district=district)
    if findings or not code:
        raise InputError(text("divisions.code_digits", field=label("code"), value=quoted(code)), field="code")
    rng = RANGES[level]
    if code[:rng.start] != parent_code[:rng.start]:
        raise InputError(text("divisions.code_prefix", value=code, digits=rng.start, parent=parent_code),
                         field="code")
    serial = serial_of(code, level)
    if not rng.low <= serial <= rng.high:
        raise InputError(text("divisions.code_range", value=code, serial=f"{serial:03d}", level=value_label(level),
                              low=f"{rng.low:03d}", high=f"{rng.high:03d}"), field="code")
    if level in TOWNSHIP_LEVELS and code[9:] != "000":
        raise InputError(text("divisions.code_tail", value=code), field="code")


def _counter_key(prefix: str, level: str) -> str:
    return f"{prefix}:{level}"


def _used_where(conn: sa.Connection, code: str) -> Term | None:
    """Return where ``code`` has been used (a unit, the history, a deleted row), or None."""
    units, history, log = schema.admin_units, schema.unit_code_history, schema.audit_log
    status = conn.execute(sa.select(units.c.status).where(units.c.code == code)).scalar()
    if status is not None:
        key = "divisions.used_retired" if status == "retired" else "divisions.used_active"
        return _term(key)
    in_history = conn.execute(sa.select(sa.func.count()).select_from(history).where(
        sa.or_(history.c.old_code == code, history.c.new_code == code))).scalar_one()
    if in_history:
        return _term("divisions.used_history")
    # The log's JSON as json.dumps wrote it (older rows, and any that fall back to it) and as orjson writes it
    # (geo.store.store.to_json, no spaces): a code written either way has been used (review of #15).
    said = [f'%"code": "{code}"%', f'%"code":"{code}"%']
    in_log = conn.execute(sa.select(sa.func.count()).select_from(log).where(
        log.c.table_name == "admin_units",
        sa.or_(*(side.like(pattern) for side in (log.c.before, log.c.after) for pattern in said)))).scalar_one()
    return _term("divisions.used_audit") if in_log else None


def _term(key: str) -> Term:
    zh, _, en = text(key).partition(" · ")
    return Term(zh, en)


def _counter(conn: sa.Connection, key: str) -> tuple[int | None, int]:
    """Return the counter row's id (None when absent) and its last serial (0 when absent)."""
    c = schema.code_counters
    row = conn.execute(sa.select(c.c.id, c.c.last_serial).where(c.c.scheme == SCHEME, c.c.prefix == key)
                       .with_for_update()).first()
    return (None, 0) if row is None else (int(row[0]), int(row[1]))


def _remember(store: Store, conn: sa.Connection, key: str, serial: int, *, actor: str) -> None:
    """Move the automatic counter up to ``serial`` (never down), audited."""
    counter_id, last = _counter(conn, key)
    if counter_id is None:
        store.insert("code_counters", [{"scheme": SCHEME, "prefix": key, "last_serial": serial}], actor=actor,
                     conn=conn)
    elif serial > last:
        version = store.get("code_counters", counter_id, conn=conn)["version"]
        store.update("code_counters", counter_id, {"last_serial": serial}, expected_version=version, actor=actor,
                     conn=conn)


def next_free_code(conn: sa.Connection, *, parent_code: str, level: str, taken: set[str] | None = None) -> str:
    """Return the next code never used under ``parent_code`` at ``level``: the first serial of the level's
    range after the automatic counter that no unit, code history or audit row has held (nor ``taken``),
    or raise :class:`Conflict` when the range is used up."""
    check_level(level)
    rng = RANGES[level]
    prefix = prefix_of(parent_code, level)
    _, last = _counter(conn, _counter_key(prefix, level))
    units, history = schema.admin_units, schema.unit_code_history
    held = {r[0] for r in conn.execute(sa.select(units.c.code).where(units.c.code.like(f"{prefix}%")))}
    held |= {r[0] for r in conn.execute(sa.select(history.c.old_code).where(history.c.old_code.like(f"{prefix}%")))}
    held |= {r[0] for r in conn.execute(sa.select(history.c.new_code).where(history.c.new_code.like(f"{prefix}%")))}
    held |= taken or set()
    serial = max(last, rng.low - 1) + 1
    while serial <= rng.high:
        code = make_code(prefix, serial, level)
        if code not in held and _used_where(conn, code) is None:
            return code
        serial += 1
    raise Conflict(text("divisions.code_exhausted", parent=parent_code, level=value_label(level),
                        low=f"{rng.low:03d}", high=f"{rng.high:03d}"), field="code")


def take_code(store: Store, conn: sa.Connection, *, parent_code: str, level: str, given: str | None,
              district: str, actor: str, taken: set[str] | None = None) -> str:
    """Return the code a new unit gets: ``given`` if it passes PN-13 and was never used (the automatic
    counter stays where it is), else the next free one (the counter moves up to it), in the caller's
    transaction."""
    if given:
        check_code(given, level=level, parent_code=parent_code, district=district)
        where = _used_where(conn, given)
        if where is not None or given in (taken or set()):
            raise Conflict(text("divisions.code_used", value=given, where=where or _term("divisions.used_active")),
                           field="code")
        return given  # used from now on (its row and history); the automatic sequence keeps the free serials
    code = next_free_code(conn, parent_code=parent_code, level=level, taken=taken)
    _remember(store, conn, _counter_key(prefix_of(parent_code, level), level), serial_of(code, level), actor=actor)
    return code

