"""Reads the address use cases share: plate contexts (the names above a plate) and stored addresses."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from geo.addresses.standard import PlateContext
from geo.store import schema
from geo.store.store import _record

MAX_KEY_CHARS = 64
_NOT_A_KEY = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")


def is_key(value: object) -> bool:
    """Return whether ``value`` can be an id at all (short, no control character or lone surrogate): a
    path or query value that cannot is simply not found, never sent to the database (PostgreSQL
    refuses a NUL in text with an error)."""
    text = str(value)
    return 0 < len(text) <= MAX_KEY_CHARS and not _NOT_A_KEY.search(text)


def plate_contexts(conn: sa.Connection, plate_uids: Iterable[str]) -> dict[str, PlateContext]:
    """Return the context of each stored plate among ``plate_uids`` (any district; the caller checks)."""
    wanted = sorted({str(u) for u in plate_uids if is_key(u)})
    if not wanted:
        return {}
    p, units, names = schema.door_plates, schema.admin_units, schema.place_names
    community, subdistrict, district = units.alias("community"), units.alias("subdistrict"), units.alias("district")
    rows = conn.execute(
        sa.select(p.c.plate_uid, p.c.adcode, p.c.status, p.c.street_name, p.c.number, p.c.suffix,
                  community.c.name.label("community"), community.c.name_mong.label("community_mong"),
                  subdistrict.c.name.label("subdistrict"), district.c.name.label("district"))
        .outerjoin(community, community.c.code == p.c.community_code)
        .outerjoin(subdistrict, subdistrict.c.code == community.c.parent_code)
        .outerjoin(district, sa.and_(district.c.code == p.c.adcode + "000000", district.c.level == "district"))
        .where(p.c.plate_uid.in_(wanted))).mappings().all()
    streets = {r["street_name"] for r in rows if r["street_name"]}
    street_names: dict[str, dict[str, Any]] = {}
    if streets:
        found = conn.execute(
            sa.select(names.c.standard_name, names.c.pinyin_toned, names.c.name_mong, names.c.status)
            .where(names.c.feature_class == "street", names.c.standard_name.in_(sorted(streets)))
            .order_by(names.c.id)).mappings().all()
        for n in found:  # the name in force wins over a proposed or retired one of the same text
            if n["standard_name"] not in street_names or n["status"] == "in_force":
                street_names[n["standard_name"]] = dict(n)
    out = {}
    for r in rows:
        street = street_names.get(r["street_name"] or "", {})
        out[r["plate_uid"]] = PlateContext(
            plate_uid=r["plate_uid"], adcode=r["adcode"], status=r["status"] or "active",
            street_name=r["street_name"] or "", street_pinyin=street.get("pinyin_toned"),
            street_mong=street.get("name_mong"), number=int(r["number"]), suffix=r["suffix"],
            community=r["community"], community_mong=r["community_mong"], subdistrict=r["subdistrict"],
            district=r["district"])
    return out


def lock_plates(conn: sa.Connection, plate_uids: Iterable[str]) -> None:
    """Hold the plates ``plate_uids`` (FOR SHARE) until the transaction ends, before their names are read.

    A street rename or a division change rewrites the plate row (street name, community) and then the
    addresses below it in one transaction: an address added meanwhile either waits and is built from
    the new names, or makes the change wait and is rewritten with the others (PostgreSQL; SQLite
    serialises writers). Only the plates: the changes take their other rows first (no deadlock).
    """
    wanted = sorted({str(u) for u in plate_uids if is_key(u)})
    if wanted and conn.dialect.name == "postgresql":
        p = schema.door_plates
        conn.execute(sa.select(p.c.id).where(p.c.plate_uid.in_(wanted)).order_by(p.c.id)
                     .with_for_update(read=True)).all()


def addresses_of_plates(conn: sa.Connection, plate_uids: Iterable[str], *, lock: bool = False
                        ) -> list[dict[str, Any]]:
    """Return every stored address below ``plate_uids`` (any status), in id order; ``lock`` them for update."""
    wanted = sorted({str(u) for u in plate_uids if is_key(u)})
    if not wanted:
        return []
    a = schema.addresses
    query = sa.select(a).where(a.c.plate_uid.in_(wanted)).order_by(a.c.id)
    if lock:
        query = query.with_for_update()
    return [_record(r) for r in conn.execute(query).mappings()]


def address_by_uid(conn: sa.Connection, address_uid: str) -> dict[str, Any] | None:
    """Return the stored address ``address_uid`` or None."""
    if not is_key(address_uid):
        return None
    a = schema.addresses
    row = conn.execute(sa.select(a).where(a.c.address_uid == str(address_uid))).mappings().first()
    return None if row is None else _record(row)


def address_by_token(conn: sa.Connection, token: str) -> dict[str, Any] | None:
    """Return the address whose QR token is ``token`` or None."""
    if not is_key(token):
        return None
    a = schema.addresses
    row = conn.execute(sa.select(a).where(a.c.qr_token == str(token))).mappings().first()
    return None if row is None else _record(row)


def labels_of(address: dict[str, Any]) -> list[str]:
    """Return the labels below the plate an address carries: [building], [building, unit], [building, unit, room]."""
    return [x for x in (address.get("building"), address.get("unit"), address.get("room")) if x]
