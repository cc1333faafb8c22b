"""Reads of the standard addresses: one address with its parent chain, a plate's tree, a list, the public view.

The public view (what the QR on a 楼牌 or 单元牌 opens) holds the standard address in Chinese, its
romanized form, the Mongolian names of its street and community, and the parent chain up to the
plate: nothing private (no households, no people, no internal ids beyond the address's own).

The public scans addresses city-wide (#19): :func:`address_district` finds which district holds the
address a QR token names (:func:`geo.store.districts.district_of`, nothing else of another district),
and the view is read through that district's store, with that district's name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa

from geo import DISTRICT_ADCODE, DISTRICT_NAME
from geo.addresses._read import address_by_token, address_by_uid, is_key, plate_contexts
from geo.addresses.codes import address_uid, token_place
from geo.addresses.standard import head_pinyin, head_zh, romanize_label
from geo.errors import NotFound
from geo.messages import quoted, text
from geo.store import Store, schema
from geo.store.districts import district_of, own_outline
from geo.store.search_sql import contains_folded
from geo.store.store import _record

PUBLIC_FIELDS = ("address_uid", "level", "plate_uid", "parent_uid", "building", "unit", "room", "floor",
                 "standard_address", "romanized", "status", "retired_on", "version")
LEVEL_ZH = {"plate": "门牌", "building": "楼", "unit": "单元", "room": "室"}


def public_fields(address: dict[str, Any]) -> dict[str, Any]:
    """Return the fields of an address an officer's answer shows (no token, no internal id)."""
    out = {k: address.get(k) for k in PUBLIC_FIELDS}
    if out.get("retired_on") is not None:
        out["retired_on"] = str(out["retired_on"])
    return out


def get_address(store: Store, address_uid: str) -> dict[str, Any]:
    """Return one address of this district or raise :class:`NotFound`."""
    with store.reading() as conn:
        found = address_by_uid(conn, address_uid)
    if found is None or found["adcode"] != store.adcode:
        raise NotFound(text("addresses.no_address", value=quoted(address_uid)), field="address_uid")
    return found


def parent_chain(conn: sa.Connection, address: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the addresses above ``address``, the building first, ending with its direct parent."""
    chain: list[dict[str, Any]] = []
    uid = address.get("parent_uid")
    seen = set()
    while uid and uid not in seen:
        seen.add(uid)
        parent = address_by_uid(conn, uid)
        if parent is None:
            break
        chain.insert(0, parent)
        uid = parent.get("parent_uid")
    return chain


def with_chain(store: Store, address: dict[str, Any]) -> dict[str, Any]:
    """Return an address's public fields with its parent chain (plate first)."""
    with store.reading() as conn:
        chain = parent_chain(conn, address)
        ctx = plate_contexts(conn, [address["plate_uid"]]).get(address["plate_uid"])
    plate = {"level": "plate", "plate_uid": address["plate_uid"],
             "standard_address": " ".join(head_zh(ctx)) if ctx else None}
    return {**public_fields(address), "parents": [plate, *(public_fields(p) for p in chain)]}


def plate_tree(store: Store, plate_uid: str, *, include_retired: bool = False) -> dict[str, Any]:
    """Return the buildings of a plate with their units and rooms nested (retired ones on request)."""
    with store.reading() as conn:
        ctx = plate_contexts(conn, [plate_uid]).get(plate_uid)
        if ctx is None or ctx.adcode != store.adcode:
            raise NotFound(text("addresses.no_plate", value=quoted(plate_uid), field="plate_uid"), field="plate_uid")
        a = schema.addresses
        query = sa.select(a).where(a.c.plate_uid == plate_uid, a.c.adcode == store.adcode).order_by(a.c.id)
        if not include_retired:
            query = query.where(a.c.status == "active")
        rows = [_record(r) for r in conn.execute(query).mappings()]
    nodes = {r["address_uid"]: {**public_fields(r), "children": []} for r in rows}
    roots: list[dict[str, Any]] = []
    for r in rows:
        node = nodes[r["address_uid"]]
        parent = nodes.get(r["parent_uid"] or "")
        (parent["children"] if parent else roots).append(node)
    counts = {level: sum(1 for r in rows if r["level"] == level) for level in ("building", "unit", "room")}
    return {"plate_uid": plate_uid, "standard_address": " ".join(head_zh(ctx)), "status": ctx.status,
            "counts": counts, "buildings": roots}


def list_addresses(store: Store, *, plate_uid: str | None = None, level: str | None = None,
                   status: str | None = "active", limit: int = 200, offset: int = 0) -> list[dict[str, Any]]:
    """Return this district's addresses, filtered, in id order, at most ``limit``."""
    where: dict[str, Any] = {"adcode": store.adcode}
    if plate_uid is not None and not is_key(plate_uid):
        return []
    for key, value in (("plate_uid", plate_uid), ("level", level), ("status", status)):
        if value:
            where[key] = value
    return [public_fields(r) for r in store.select("addresses", where=where, limit=limit, offset=offset)]


SEARCHED_COLUMNS = ("standard_address", "romanized", "address_uid", "plate_uid")


def former_streets_in(text_query: str, former: Mapping[str, str]) -> list[tuple[str, str]]:
    """Return (former name, current name) for each street's former name that ``text_query`` holds,
    longest first and never two overlapping ("春光路12号" → [("春光路", "春晖路")]).

    ``former`` maps a former street name to the street's current name
    (:func:`geo.placenames.search.former_street_names`, the reading address cleaning uses too). A
    name that is its street's current name too is no former name here.
    """
    found: list[tuple[str, str]] = []
    taken: list[tuple[int, int]] = []
    for old, new in sorted(former.items(), key=lambda kv: (-len(kv[0]), kv[0])):
        if not old or old == new:
            continue
        at = text_query.find(old)
        while at >= 0 and any(at < end and start < at + len(old) for start, end in taken):
            at = text_query.find(old, at + 1)
        if at >= 0:
            taken.append((at, at + len(old)))
            found.append((old, new))
    return found


def with_current_street_names(text_query: str, renamed: list[tuple[str, str]]) -> str:
    """Return ``text_query`` with each former street name in ``renamed`` replaced by the current one."""
    for old, new in renamed:
        text_query = text_query.replace(old, new)
    return text_query


def former_street_notes(renamed: list[tuple[str, str]]) -> list[str]:
    """Return what the search says for each former street name it read: its current name (Chinese first)."""
    return [text("addresses.former_street", old=quoted(old), new=quoted(new)) for old, new in renamed]


def search_addresses(store: Store, text_query: str, *, level: str | None = None, status: str | None = "active",
                     limit: int = 50, offset: int = 0, former: Mapping[str, str] | None = None,
                     plate_uid: str | None = None) -> tuple[int, list[dict[str, Any]]]:
    """Return how many of this district's addresses hold ``text_query`` anywhere in their standard
    address, romanized form (tone marks, spaces and case ignored: "chengjisihan dajie" finds
    "Chéngjísīhán Dàjiē"), id or plate id, and one page of them in id order: a count and a page
    selected in SQL, so a district of a few hundred thousand rooms is never read into the process.

    With ``former`` (former street name → current name, see :func:`former_streets_in`), a query
    written with a street's former name also finds the addresses by its current name: after 春光路 is
    renamed 春晖路, "春光路12号" finds 春晖路 12号's buildings, units and rooms (an officer holding an
    old register); the query as typed is searched too (a retired address keeps its old string).
    ``plate_uid`` keeps the addresses of one plate.
    """
    a = schema.addresses
    wanted = [text_query]
    current = with_current_street_names(text_query, former_streets_in(text_query, former or {}))
    if current != text_query:
        wanted.append(current)
    clauses = [a.c.adcode == store.adcode,
               sa.or_(*(contains_folded(a.c[col], q, dialect=store.dialect) for q in wanted
                        for col in SEARCHED_COLUMNS))]
    if level:
        clauses.append(a.c.level == level)
    if status:
        clauses.append(a.c.status == status)
    if plate_uid is not None:
        clauses.append(a.c.plate_uid == plate_uid)
    with store.reading() as conn:
        total = int(conn.execute(sa.select(sa.func.count()).select_from(a).where(*clauses)).scalar_one())
        rows = conn.execute(sa.select(a).where(*clauses).order_by(a.c.id).limit(limit).offset(offset)).mappings()
        return total, [public_fields(dict(r)) for r in rows]


@dataclass
class AddressView:
    """The public content of an address page (from its QR token): names only, nothing private."""

    level: str
    level_zh: str
    status: str
    standard_address: str
    romanized: str | None
    street_mong: str | None
    community_mong: str | None
    community: str | None
    subdistrict: str | None
    parents: list[dict[str, str]] = field(default_factory=list)
    current_address: str | None = None     # a retired address: the active one that took its place, if any
    adcode: str = DISTRICT_ADCODE          # the address's district (the public scans addresses city-wide)
    district: str | None = DISTRICT_NAME   # its name, as its district's outline row says

    def to_dict(self) -> dict[str, Any]:
        """Return the view as JSON-safe data."""
        return asdict(self)


def active_successor(conn: sa.Connection, address: Mapping[str, Any]) -> tuple[str, str] | None:
    """Return (standard address, uid) of the active address that took a retired one's place: the newest
    active address of the same plate, level and labels (rebuilt after it was retired), or None."""
    a = schema.addresses
    same = [a.c[k].is_(None) if address.get(k) is None else a.c[k] == address[k]
            for k in ("level", "building", "unit", "room")]
    row = conn.execute(sa.select(a.c.standard_address, a.c.address_uid).where(
        a.c.plate_uid == address["plate_uid"], a.c.adcode == address["adcode"], a.c.status == "active",
        a.c.id != address["id"], *same).order_by(a.c.id.desc()).limit(1)).first()
    return (str(row[0]), str(row[1])) if row is not None else None


def token_serial(token: str) -> int | None:
    """Return the serial of QR token ``token`` within its district (see :func:`token_place`), or None."""
    place = token_place(token)
    return None if place is None else place[1]


def address_district(store: Store, token: str) -> str | None:
    """Return the district (adcode) holding the address of QR token ``token``, or None: the token says
    which district's serial it is (:func:`geo.addresses.codes.token_place`), and
    :func:`~geo.store.districts.district_of` says whether that district holds the address."""
    place = token_place(token)
    if place is None:
        return None
    adcode, serial = place
    return adcode if district_of(store, "address", address_uid(adcode, serial)) == adcode else None


def store_district_name(store: Store) -> str | None:
    """Return the name of the store's district as its outline row says (:func:`district_name`), in one read."""
    with store.reading() as conn:
        return district_name(conn, store.adcode)


def district_name(conn: sa.Connection, adcode: str) -> str | None:
    """Return the name of district ``adcode``'s outline row (``<adcode>000000``, level district), as
    the data says; without one, 新城区 for the service's own district and None for another."""
    units = schema.admin_units
    name = conn.execute(sa.select(units.c.name).where(*own_outline(units, f"{adcode}000000")).limit(1)).scalar()
    if name:
        return str(name)
    return DISTRICT_NAME if adcode == DISTRICT_ADCODE else None


def public_view_anywhere(store: Store, token: str) -> AddressView | None:
    """Return the public view of the address of QR token ``token`` in whichever district holds it, read
    through that district's store (None: no such address in any district)."""
    adcode = address_district(store, token)
    return None if adcode is None else public_view(store.for_district(adcode), token)


def public_view(store: Store, token: str) -> AddressView | None:
    """Return the public view of the address with QR token ``token`` (None: no such address here)."""
    with store.reading() as conn:
        found = address_by_token(conn, token)
        if found is None or found["adcode"] != store.adcode:
            return None
        chain = parent_chain(conn, found)
        ctx = plate_contexts(conn, [found["plate_uid"]]).get(found["plate_uid"])
        successor = active_successor(conn, found) if found["status"] not in (None, "active") else None
        district = district_name(conn, store.adcode)
    parents = []
    if ctx is not None:
        parents.append({"level_zh": LEVEL_ZH["plate"], "zh": " ".join(head_zh(ctx)[1:]),
                        "pinyin": " ".join(head_pinyin(ctx)[1:])})
    for p in chain:
        parents.append({"level_zh": LEVEL_ZH.get(p["level"], p["level"]),
                        "zh": " ".join(x for x in (p["building"], p["unit"], p["room"]) if x),
                        "pinyin": " ".join(romanize_label(x) for x in (p["building"], p["unit"], p["room"]) if x)})
    return AddressView(level=found["level"], level_zh=LEVEL_ZH.get(found["level"], found["level"]),
                       status=found["status"] or "active", standard_address=found["standard_address"] or "",
                       romanized=found.get("romanized"), street_mong=ctx.street_mong if ctx else None,
                       community_mong=ctx.community_mong if ctx else None,
                       community=ctx.community if ctx else None, subdistrict=ctx.subdistrict if ctx else None,
                       parents=parents, current_address=successor[0] if successor else None,
                       adcode=store.adcode, district=district)
