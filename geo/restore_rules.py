"""What a restored backup must hold before it commits: the rules the use cases keep, checked once more.

A backup's archive is checked for shape (hashes, columns) before anything changes
(:func:`geo.store.backup.read_manifest`); its *content* may still have been edited by hand or come
from a damaged copy whose manifest was recomputed. :func:`check_restored` runs inside the restore's
transaction after the rows are loaded, so a refusal rolls everything back and the database stays as
it was. It checks what the place-name work (#17) stores and no generic path validates:

- identifiers: address ids ``{adcode}A{8 digits}``;
- each district's units make one tree, as a first load must (:func:`geo.divisions.first_load.unit_tree_problem`):
  its active outline, levels the district's own units take, parents of a level that may hold them (active under
  active), codes per PN-13 (prefix of the parent, 001–199 communities, 200–399 villages), names a decision gives;
  a hand-edited backup restored a cycle, a level ``foo`` and a 10,000-character name (review);
- identifiers: sign ids ``S`` + seven characters of the plate alphabet (:mod:`geo.signs._uids`);
- enumerations: address levels and states, sign states, types and sides, unit and plate states;
- references: an address's plate and parent, a plate's successor and community (a stored community or
  village; an active plate's one in force, as division changes leave it);
- counters: no ``code_counters`` row of addresses or signs below a serial already used (the next id
  would clash with a stored one; place and unit codes pass over held serials, so they need no check).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from geo.adcodes import is_county_code
from geo.addresses.rules import LEVEL_ORDER
from geo.divisions.first_load import NEIGHBOUR_LEVEL, STARTING_STATUS, unit_tree_problem
from geo.errors import InputError
from geo.layers import NEIGHBOUR_STATUS, PLATE_STATUSES, UNIT_STATUSES
from geo.location_rules import UNIT_LEVELS_WITH_PLATES
from geo.messages import Term, quoted, text
from geo.signs import _uids as sign_uids
from geo.signs.rules import SIDES, SIGN_TYPES, STATUSES
from geo.store import schema

ADDRESS_UID = re.compile(r"^\d{6}A\d{8}$")
ADDRESS_STATUSES = ("active", "retired")


def _refuse(table: str, record_id: Any, field: str, value: Any, rule: str) -> InputError:
    return InputError(text("restore_rules.refused", table=table, id=record_id, field=field,
                           value=quoted(str(value), max_chars=40), rule=rule), field=field)


def _outside(conn: sa.Connection, column: sa.Column, allowed: Iterable[str], *, nullable: bool = False) -> None:
    table = column.table
    query = sa.select(table.c.id, column).where(column.not_in(list(allowed)))
    if not nullable:
        query = sa.select(table.c.id, column).where(sa.or_(column.not_in(list(allowed)), column.is_(None)))
    row = conn.execute(query.limit(1)).first()
    if row is not None:
        raise _refuse(table.name, row[0], column.name, row[1], "、".join(allowed))


def _dangling(conn: sa.Connection, column: sa.Column, target: sa.Column) -> None:
    table = column.table
    row = conn.execute(sa.select(table.c.id, column).where(
        column.is_not(None), column.not_in(sa.select(target).where(target.is_not(None)))).limit(1)).first()
    if row is not None:
        raise _refuse(table.name, row[0], column.name, row[1], f"{target.table.name}.{target.name}")


def check_restored(conn: sa.Connection) -> None:
    """Refuse (InputError naming the table, record, field and rule) restored rows the use cases would
    never have written; run in the restore's transaction, so a refusal stores nothing."""
    a, s, p, u, c = (schema.addresses, schema.street_signs, schema.door_plates, schema.admin_units,
                     schema.code_counters)
    _outside(conn, a.c.level, LEVEL_ORDER)
    _outside(conn, a.c.status, ADDRESS_STATUSES)
    _outside(conn, s.c.status, STATUSES)
    _outside(conn, s.c.sign_type, SIGN_TYPES)
    _outside(conn, s.c.side, SIDES, nullable=True)
    _dangling(conn, a.c.plate_uid, p.c.plate_uid)
    _dangling(conn, a.c.parent_uid, a.c.address_uid)
    _dangling(conn, p.c.successor_plate_uid, p.c.plate_uid)
    _outside(conn, u.c.status, UNIT_STATUSES, nullable=True)
    _outside(conn, p.c.status, PLATE_STATUSES)
    _check_plate_communities(conn)
    top_serial: dict[str, int] = {}
    for record_id, uid in conn.execute(sa.select(a.c.id, a.c.address_uid)):
        if not ADDRESS_UID.match(str(uid or "")):
            raise _refuse("addresses", record_id, "address_uid", uid, "{adcode}A{8 位序号 digits}")
        top_serial[uid[:6]] = max(top_serial.get(uid[:6], 0), int(uid[7:]))
    _check_unit_trees(conn)
    for record_id, prefix, last in conn.execute(sa.select(c.c.id, c.c.prefix, c.c.last_serial)
                                                .where(c.c.scheme == "address")):
        used = top_serial.get(str(prefix), 0)
        if int(last or 0) < used:
            raise _refuse("code_counters", record_id, "last_serial", last,
                          text("restore_rules.counter_behind", used=used))
    _check_sign_ids(conn)


def _check_unit_trees(conn: sa.Connection) -> None:
    """Each district's own units make one tree under its active outline, and its code is a county's (GB/T 2260); a
    neighbour's reference outline is a county's outline under its own code (a 街道 and its communities marked
    ``neighbour`` escaped every check, 4,172 active plates in them: review)."""
    u = schema.admin_units
    columns = (u.c.id, u.c.adcode, u.c.code, u.c.name, u.c.level, u.c.parent_code, u.c.status)
    by_district: dict[str, dict[str, dict[str, Any]]] = {}
    for row in conn.execute(sa.select(*columns).order_by(u.c.id)).mappings():
        adcode = str(row["adcode"])
        if not is_county_code(adcode):
            raise _refuse("admin_units", row["id"], "adcode", adcode, text("restore_rules.county_code"))
        if row["status"] == NEIGHBOUR_STATUS:
            for field, wanted in (("level", NEIGHBOUR_LEVEL), ("code", f"{adcode}000000")):
                if row[field] != wanted:
                    raise _refuse("admin_units", row["id"], field, row[field],
                                  text("restore_rules.neighbour_row", level=NEIGHBOUR_LEVEL))
            continue
        unit = {**row, "status": row["status"] or STARTING_STATUS}  # no status reads as active (own_outline)
        by_district.setdefault(adcode, {})[str(row["code"])] = unit
    for adcode, units in by_district.items():
        outline = units.get(f"{adcode}000000")
        if outline is None:
            raise _refuse("admin_units", "—", "code", f"{adcode}000000",
                          text("restore_rules.no_outline", district=adcode))
        for field, wanted in (("level", "district"), ("status", STARTING_STATUS)):  # the outline row itself changed
            if outline[field] != wanted:
                raise _refuse("admin_units", outline["id"], field, outline[field],
                              text("restore_rules.no_outline", district=adcode))
        for unit in units.values():
            problem = unit_tree_problem(unit, units.get(str(unit["parent_code"] or "")), adcode=adcode,
                                        scope=Term("备份", "the backup"), name_endings=False)
            if problem is not None:
                field = problem.field or "code"
                raise _refuse("admin_units", unit["id"], field, unit.get(field), problem.message)


def _check_plate_communities(conn: sa.Connection) -> None:
    """A plate names a stored community or village; an active one, a unit in force."""
    p, u = schema.door_plates, schema.admin_units
    leaves = sa.select(u.c.code).where(u.c.level.in_(UNIT_LEVELS_WITH_PLATES))
    row = conn.execute(sa.select(p.c.id, p.c.community_code).where(
        p.c.community_code.is_not(None), p.c.community_code != "", p.c.community_code.not_in(leaves)).limit(1)).first()
    if row is not None:
        raise _refuse("door_plates", row[0], "community_code", row[1], "admin_units.code（社区或村 community/village）")
    abolished = sa.select(u.c.code).where(u.c.level.in_(UNIT_LEVELS_WITH_PLATES), u.c.status == "retired")
    row = conn.execute(sa.select(p.c.id, p.c.community_code).where(
        p.c.status == "active", p.c.community_code.in_(abolished)).limit(1)).first()
    if row is not None:
        raise _refuse("door_plates", row[0], "community_code", row[1],
                      text("restore_rules.plate_in_abolished_unit"))


def _check_sign_ids(conn: sa.Connection) -> None:
    """Every sign id has its form, and the sign counter (the highest district's) is not behind the highest one
    stored."""
    s, c = schema.street_signs, schema.code_counters
    top = 0
    for record_id, uid in conn.execute(sa.select(s.c.id, s.c.sign_uid)):
        serial = sign_uids.decode(str(uid or ""))
        if serial is None:
            raise _refuse("street_signs", record_id, "sign_uid", uid,
                          f"{sign_uids.PREFIX} + {sign_uids.DIGITS} 位编码字符 characters of {sign_uids.ALPHABET}")
        top = max(top, serial)
    if not top:
        return
    # Each district counts in its own row, from the highest any district has given (revision 0014):
    # the highest of the rows is the database's counter.
    counter = conn.execute(sa.select(c.c.id, c.c.last_serial).where(
        c.c.scheme == sign_uids.SCHEME, c.c.prefix == sign_uids.PREFIX).order_by(c.c.last_serial.desc())).first()
    if counter is None or int(counter[1] or 0) < top:
        raise _refuse("code_counters", counter[0] if counter else "—", "last_serial",
                      counter[1] if counter else "—", text("restore_rules.counter_behind", used=top))
