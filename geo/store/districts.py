"""The districts one database holds (#19): which a request may name, and the store of each.

A district is in the database when its own outline is there: an ``admin_units`` row of its code
(``<adcode>000000``) that is not a neighbour's reference outline. A name that is not a 6-digit code,
or a code of no district held here, is refused with a Chinese-first 404 naming the districts held.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from geo.adcodes import is_county_code
from geo.errors import InputError, NotFound
from geo.layers import NEIGHBOUR_STATUS
from geo.messages import label, text
from geo.store import schema
from geo.store.store import Store


def own_outline(units: sa.FromClause, code: Any) -> list[sa.ColumnElement[bool]]:
    """Return the clauses that pick a district's own outline among ``units`` (``admin_units`` or an alias of it):
    the row of ``code`` (``<adcode>000000``, a value or an expression), level ``district``, and not a neighbour's
    reference outline; a row with no status is the district's own (``status != 'neighbour'`` alone left it out,
    where :func:`holds_district` counted it)."""
    return [units.c.code == code, units.c.level == "district",
            sa.func.coalesce(units.c.status, "") != NEIGHBOUR_STATUS]


def _outlined(store: Store) -> set[str]:
    """Return the adcodes whose own district outline is in the database (every district's, not one's)."""
    units = schema.admin_units
    query = sa.select(units.c.adcode).distinct().where(*own_outline(units, units.c.adcode + "000000"))
    with store.whole().reading() as conn:  # which districts there are is the database's, not one district's
        return {str(a) for a in conn.execute(query).scalars()}


def holds_district(store: Store, adcode: str) -> bool:
    """Return whether the database holds district ``adcode`` (its own outline is here): one read of that
    district's partition, asked on every request that names a district, however many districts there are."""
    units = schema.admin_units
    query = sa.select(units.c.id).where(units.c.adcode == adcode, *own_outline(units, f"{adcode}000000")).limit(1)
    with store.whole().reading() as conn:
        return conn.execute(query).first() is not None


def other_outlines(store: Store) -> dict[str, Any]:
    """Return the active outlines (EPSG:4490 geometries) of the districts held here other than the store's own, by
    adcode: a new district's first load must not overlap them (geo.divisions.first_load)."""
    units = schema.admin_units
    query = (sa.select(units.c.adcode, units.c.geom)
             .where(*own_outline(units, units.c.adcode + "000000"), units.c.adcode != store.adcode,
                    sa.func.coalesce(units.c.status, "active") == "active"))
    with store.whole().reading() as conn:  # other districts' rows: the database's, not one district's
        return {str(adcode): geom for adcode, geom in conn.execute(query) if geom is not None}


def held_districts(store: Store) -> list[str]:
    """Return the adcodes of the districts this database holds, the store's own first."""
    return [store.adcode, *sorted(_outlined(store) - {store.adcode})]


def district_store(home: Store, adcode: str) -> Store:
    """Return the store of district ``adcode`` over ``home``'s database, or refuse a district not held."""
    if not is_county_code(adcode):
        raise InputError(text("districts.not_a_code", field=label("district"), value=adcode[:20]), field="district")
    if adcode != home.adcode and not holds_district(home, adcode):
        held = held_districts(home)
        raise NotFound(text("districts.not_held", field=label("district"), value=adcode, held="、".join(held)),
                       field="district")
    return home.for_district(adcode)


def refuse_second_sqlite_district(store: Store) -> None:
    """Refuse to open a SQLite database for a district other than the one it holds: SQLite, the
    embedded default, holds one district (a PostGIS database holds many)."""
    if store.dialect != "sqlite":
        return
    found = _outlined(store)
    if found and store.adcode not in found:
        raise InputError(text("store.one_district", district="、".join(sorted(found)), value=store.adcode),
                         field="district")


_UID_KINDS = {"plate": ("door_plates", "plate_uid"), "address": ("addresses", "address_uid"),
              "sign": ("street_signs", "sign_uid")}


def district_of(store: Store, kind: str, uid: str) -> str | None:
    """Return the district (adcode) of the plate, standard address or street sign ``uid`` (``kind`` one of
    ``plate``, ``address``, ``sign``), whichever district holds it, or ``None``: the public scans them
    city-wide. One index read; on PostGIS through ``xincheng_district_of`` (revision 0012; since 0014 a
    read of the uid registry ``xincheng_uids``), which answers this and nothing else of another district."""
    table_name, column = _UID_KINDS[kind]
    if not uid or len(uid) > 64 or "\x00" in uid:  # no uid is that (and PostgreSQL text holds no NUL)
        return None
    with store.reading() as conn:
        if conn.dialect.name == "postgresql":
            return conn.execute(sa.text("SELECT xincheng_district_of(:kind, :uid)"),
                                {"kind": kind, "uid": uid}).scalar()
        table = schema.metadata.tables[table_name]
        found = conn.execute(sa.select(table.c.adcode).where(table.c[column] == uid)).scalar()
        return None if found is None else str(found)


def refuse_unheld_district(store: Store) -> None:
    """Refuse a store of a district this database does not hold (no outline of its own here): naming
    one by mistake would read nothing and write into a district nobody else sees. Its first import is
    the exception (the caller's)."""
    found = _outlined(store)
    if found and store.adcode not in found:
        raise InputError(text("districts.not_held", field=label("district"), value=store.adcode,
                              held="、".join(sorted(found))), field="district")
