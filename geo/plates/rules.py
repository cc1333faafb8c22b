"""Rules a door plate must pass when it is written, on every path (API, import, officer pages).

- The plate uid is printed in the QR code: 8 characters of the signer's alphabet (no 0/O/1/I), so
  every stored uid is one the signer can sign and verify; generated uids never collide.
- DP-04: a street carries each number once; a second plate needs a sub-number (suffix, 之一/附1).
- The street exists: a street segment of that name is stored and its name is in force.
- CRS-01 / district: the plate lies inside the district's boundary; a plate far from its street is
  accepted with a warning (a long driveway is possible, a wrong coordinate system is likelier).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
import sqlalchemy as sa

from geo import crs as C
from geo import messages as msg
from geo.errors import Conflict, InputError
from geo.location_rules import PREPARE_FROM
from geo.messages import Rows, at_row, label, nth_row
from geo.placenames.romanize import chinese_number
from geo.store import schema
from geo.store.spatial_sql import lock_natural_keys
from geo.text import clean, storable

PLATE_UID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
PLATE_UID_PATTERN = re.compile(r"^[2-9A-HJ-NP-Z]{8}$")
FAR_FROM_STREET_M = 150.0


_SUFFIX = re.compile(r"^(?:(之)([一二三四五六七八九十百零〇两\d]+)|(附)(\d+)|([A-Z]))$")


def address_suffix(suffix: Any, *, strict: bool = False, row: int | None = None) -> str:
    """Return a sub-number's DP-04 key: 之一 = 之1 = 之１, 附01 = 附 1 = 附1, a = A; blank is none.

    ``strict`` refuses a form the standard does not know (之N, 附N or one letter A–Z), as new plates
    must; stored legacy values get a lenient key.
    """
    text = clean(str(suffix or "")).replace(" ", "").upper()
    if not text:
        return ""
    m = _SUFFIX.match(text)
    if m is None:
        if strict:
            raise InputError(at_row(msg.text("plates.suffix", field=label("suffix"), value=repr(suffix)), row),
                             field="suffix")
        return text.casefold()
    if m.group(1):
        digits = m.group(2)
        number = int(digits) if digits.isdigit() else chinese_number(digits)
        return f"之{number}"
    if m.group(3):
        return f"附{int(m.group(4))}"
    return m.group(5)


def check_plate_uid(uid: Any, *, row: int | None = None) -> str:
    """Return ``uid`` if it is a well-formed plate uid (what the QR signer signs), else refuse."""
    text = str(uid or "")
    if not PLATE_UID_PATTERN.match(text):
        raise InputError(at_row(msg.text("plates.uid_form", field=label("plate_uid"), value=repr(text),
                                         alphabet=PLATE_UID_ALPHABET), row), field="plate_uid")
    return text


def new_plate_uids(count: int, *, taken: Iterable[str] = ()) -> list[str]:
    """Return ``count`` fresh random plate uids, distinct from each other and from ``taken``."""
    used = set(taken)
    out: list[str] = []
    while len(out) < count:
        uid = "".join(secrets.choice(PLATE_UID_ALPHABET) for _ in range(8))
        if uid not in used:
            used.add(uid)
            out.append(uid)
    return out


@dataclass
class PlateContext:
    """What the plate rules need from the store, read once per write."""

    streets_m: dict[str, Any]                   # street name → merged centreline in metres
    in_force_names: set[str]                    # street names in force in the gazetteer
    addresses: dict[tuple[str, int, str], str]  # (street, number, suffix) → plate uid, plates in use
    uids: set[str]
    district: Any | None                        # the district polygon (EPSG:4490), if stored
    warnings: list[str] = field(default_factory=list)


def street_key(street: Any) -> str:
    """Return the lock key of a street's DP-04 scope (its numbers)."""
    return "plate:" + str(street or "").strip()


def lock_streets(conn: sa.Connection, records: Iterable[Mapping[str, Any]]) -> None:
    """Hold the DP-04 scope of every street the records are addressed on until the write commits
    (PostgreSQL; see :func:`geo.store.spatial_sql.lock_natural_keys`). Take it before
    :func:`load_plate_context`, so a concurrent plate on the same street is seen, not raced."""
    lock_natural_keys(conn, (street_key(rec.get("street_name")) for rec in records))


# A write of at most this many plates reads only what its plates are checked against (their streets, those streets'
# plates, the uids they name); a larger batch (an import) reads the district's streets and plates once.
NARROW_CONTEXT_MAX = 200


def _street_of(record: Mapping[str, Any]) -> str:
    return str(record.get("street_name") or "").strip()


def load_plate_context(conn: sa.Connection, *, adcode: str, locking: Iterable[Mapping[str, Any]] = (),
                       for_records: Sequence[Mapping[str, Any]] | None = None) -> PlateContext:
    """Read streets, retired street names, plates in use and the district boundary.

    ``locking``: the records about to be checked; their streets are locked first (:func:`lock_streets`).
    ``for_records``: read only what :func:`check_plates` looks up for these records (their streets, the plates on
    those streets, the uids they name); the district's 957 streets and 34,710 plates took 0.17 s to read on
    PostgreSQL for every single plate written. ``uids`` then holds only the named uids that are taken: fresh uids
    are checked against the table (:func:`fresh_plate_uids`), not against this set.
    """
    lock_streets(conn, locking)
    s, p, n, u = schema.streets, schema.door_plates, schema.place_names, schema.admin_units
    streets_q, names_q = sa.select(s.c.name, s.c.geom), sa.select(n.c.standard_name)
    plates_q, uids_q = sa.select(p.c.plate_uid, p.c.street_name, p.c.number, p.c.suffix, p.c.status), None
    if for_records is not None:
        # only what could be stored is asked for (a NUL or a lone surrogate failed in the driver, not as a refusal)
        wanted = sorted({name for rec in for_records if storable(name := _street_of(rec))})
        named = sorted({uid for rec in for_records if PLATE_UID_PATTERN.match(uid := str(rec.get("plate_uid") or ""))})
        streets_q, names_q = streets_q.where(s.c.name.in_(wanted)), names_q.where(n.c.standard_name.in_(wanted))
        plates_q = plates_q.where(p.c.street_name.in_(wanted))
        uids_q = sa.select(p.c.plate_uid).where(p.c.plate_uid.in_(named))
    parts: dict[str, list[Any]] = {}
    for name, geom in conn.execute(streets_q):
        if geom is not None:
            parts.setdefault(name, []).append(geom)
    names = list(parts)
    merged = [shapely.union_all(parts[k]) for k in names]
    metric = C.to_metric(np.array(merged, dtype=object)) if merged else []
    in_force = {r[0] for r in conn.execute(names_q.where(n.c.feature_class == "street", n.c.status == "in_force"))}
    addresses: dict[tuple[str, int, str], str] = {}
    uids: set[str] = set()
    for uid, street, number, suffix, status in conn.execute(plates_q):
        uids.add(uid)
        if status == "active":
            addresses[(street, int(number), address_suffix(suffix))] = uid
    if uids_q is not None:
        uids = set(conn.execute(uids_q).scalars())
    district = conn.execute(sa.select(u.c.geom).where(u.c.level == "district", u.c.code.like(f"{adcode}%"))
                            .limit(1)).scalar()
    return PlateContext(dict(zip(names, metric, strict=True)), in_force, addresses, uids, district)


def fresh_plate_uids(conn: sa.Connection, count: int, *, taken: Iterable[str] = ()) -> list[str]:
    """Return ``count`` fresh plate uids that no stored plate holds and that are not in ``taken``: drawn by
    :func:`new_plate_uids`, then any draw a stored plate holds drawn again (with the sample's 34,710 plates, about
    one draw in 3·10^7: 32^8 uids)."""
    used, out = set(taken), []  # type: set[str], list[str]
    while len(out) < count:
        draws = new_plate_uids(count - len(out), taken=used)
        used.update(draws)
        held = set(conn.execute(sa.select(schema.door_plates.c.plate_uid)
                                .where(schema.door_plates.c.plate_uid.in_(draws))).scalars())
        out += [uid for uid in draws if uid not in held]
    return out


def check_plates(records: Sequence[Mapping[str, Any]], ctx: PlateContext, *, first_row: Rows = None,
                 replacing: Mapping[int, str] | None = None) -> list[str]:
    """Refuse the first plate that breaks a rule (naming row, field and rule); return warnings.

    ``replacing`` maps a record's position to the uid of the stored plate it updates, so that a plate
    does not collide with its own old address.
    """
    replacing = replacing or {}
    seen: dict[tuple[str, int, str], int] = {}
    warnings: list[str] = []
    suffix_keys: dict[tuple[type, Any], str] = {}  # a sub-number's key is a function of its text: once per value
    for i, rec in enumerate(records):
        row = nth_row(first_row, i)
        street = str(rec.get("street_name") or "").strip()
        if street not in ctx.streets_m:
            raise InputError(at_row(msg.text("plates.no_street", field=label("street_name"), value=repr(street)), row),
                             field="street_name")
        if street not in ctx.in_force_names:
            raise InputError(at_row(msg.text("plates.street_not_in_force", field=label("street_name"),
                                             value=repr(street)), row), field="street_name")
        if (rec.get("status") or "active") == "active":
            suffix = rec.get("suffix")
            known = (type(suffix), suffix if isinstance(suffix, str | None) else repr(suffix))
            if known not in suffix_keys:  # a form the standard does not know is refused here, naming this row
                suffix_keys[known] = address_suffix(suffix, strict=True, row=row)
            key = (street, int(rec["number"]), suffix_keys[known])
            holder = ctx.addresses.get(key)
            if (holder is not None and holder != replacing.get(i)) or key in seen:
                other = msg.as_term(msg.text("plates.other_plate", uid=holder) if holder and key not in seen
                                    else msg.text("plates.other_row", row=nth_row(first_row, seen[key])))
                raise Conflict(at_row(msg.text("plates.number_taken", street=street, number=key[1], suffix=key[2],
                                               other=other), row), field="number")
            seen[key] = i
    geoms = np.array([rec.get("geometry") for rec in records], dtype=object)
    has = np.array([g is not None for g in geoms], dtype=bool)
    if ctx.district is not None and has.any():
        if has.sum() >= PREPARE_FROM:
            shapely.prepare(ctx.district)  # an index of the boundary's edges: many plates, one polygon
        inside = shapely.covers(ctx.district, geoms[has])
        if not inside.all():
            row = nth_row(first_row, int(np.flatnonzero(has)[np.argmin(inside)]))
            raise InputError(at_row(msg.text("plates.outside_district"), row), field="geometry")
    if has.any():
        rows = np.flatnonzero(has)
        lines = np.array([ctx.streets_m[str(records[i].get("street_name") or "").strip()] for i in rows.tolist()],
                         dtype=object)
        gaps = shapely.distance(C.to_metric(geoms[has]), lines)
        for i, gap in zip(rows[gaps > FAR_FROM_STREET_M], gaps[gaps > FAR_FROM_STREET_M], strict=True):
            street = str(records[i].get("street_name") or "").strip()
            far = msg.text("plates.far_from_street", street=street, gap=f"{gap:.0f}")
            warnings.append(at_row(far, nth_row(first_row, i)))
    if ctx.district is None and records:
        warnings.append(msg.text("plates.no_district"))
    return warnings


def plates_for_write(conn: sa.Connection, records: Sequence[dict[str, Any]], *, adcode: str,
                     first_row: Rows = None) -> list[str]:
    """Check new plates and give each one without a uid a fresh one; return warnings.

    Called inside the write transaction, so the uniqueness read and the insert see the same data;
    the records' streets are locked first, so concurrent writers of one street take turns.
    """
    narrow = len(records) <= NARROW_CONTEXT_MAX
    ctx = load_plate_context(conn, adcode=adcode, locking=records, for_records=records if narrow else None)
    given: dict[str, int] = {}
    for i, rec in enumerate(records):
        if rec.get("plate_uid"):
            uid = check_plate_uid(rec["plate_uid"], row=nth_row(first_row, i))
            if uid in given:  # twice in one batch: it read as if stored (review)
                twice = msg.text("plates.uid_twice", field=label("plate_uid"), value=uid,
                                 other=nth_row(first_row, given[uid]) or given[uid] + 1)
                raise Conflict(at_row(twice, nth_row(first_row, i)), field="plate_uid")
            if uid in ctx.uids:
                taken = msg.text("plates.uid_taken", field=label("plate_uid"), value=uid)
                raise Conflict(at_row(taken, nth_row(first_row, i)), field="plate_uid")
            given[uid] = i
    wanted = sum(1 for r in records if not r.get("plate_uid"))
    fresh = iter(fresh_plate_uids(conn, wanted, taken=given) if narrow
                 else new_plate_uids(wanted, taken=ctx.uids | set(given)))
    stored_forms: dict[str, str] = {}
    for rec in records:
        if not rec.get("plate_uid"):
            rec["plate_uid"] = next(fresh)
        if rec.get("suffix") is not None:  # stored as written, less look-alike forms and blanks
            written = str(rec["suffix"])
            if written not in stored_forms:
                stored_forms[written] = clean(written).replace(" ", "").upper()
            rec["suffix"] = stored_forms[written]
    return check_plates(records, ctx, first_row=first_row)
