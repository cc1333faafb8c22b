"""The street's public page a smart sign's QR opens: its name in three scripts, its story, its plates.

Public: only what the gazetteer publishes (standard name, pinyin, Mongolian, meaning, origin,
history, the approval, former names) and the door plates along the street as number ranges and a
count. Nothing private: no households, no officer, no sign condition or remarks.

The public scans signs city-wide (#19): :func:`street_page_anywhere` finds the sign's district
(:func:`geo.store.districts.district_of`, nothing else of another district) and reads the page
through that district's store; the page names that district as its outline row does.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from geo import DISTRICT_ADCODE, DISTRICT_NAME
from geo.errors import NotFound
from geo.messages import text
from geo.store import Store, schema
from geo.store.districts import district_of, own_outline


@dataclass(frozen=True)
class NumberRange:
    """The numbers on one side of the street: first, last and how many plates."""

    side: str          # odd, even
    first: int
    last: int
    plates: int


@dataclass(frozen=True)
class StreetPage:
    """What the public street page shows."""

    standard_name: str
    pinyin: str | None
    sign_text: str | None
    name_mong: str | None
    meaning: str | None
    origin: str | None
    history: str | None
    approval_authority: str | None
    approval_doc_no: str | None
    approval_date: date | None
    former_names: list[str] = field(default_factory=list)
    ranges: list[NumberRange] = field(default_factory=list)
    plates: int = 0
    sign_standing: bool = True      # False: this sign was replaced or removed (the page still helps)
    adcode: str = DISTRICT_ADCODE   # the sign's district (the public scans signs city-wide)
    district: str | None = DISTRICT_NAME  # its name, as its district's outline row says

    def to_dict(self) -> dict[str, Any]:
        """Return the page as JSON-ready data."""
        out = asdict(self)
        out["approval_date"] = self.approval_date.isoformat() if self.approval_date else None
        return out


def street_page_anywhere(store: Store, sign_uid: str) -> StreetPage:
    """Return the public page of sign ``sign_uid`` in whichever district holds it, read through that
    district's store (404 when no district holds it, or its street has no name in force)."""
    adcode = district_of(store, "sign", sign_uid)
    if adcode is None:
        raise NotFound(text("signs.not_found", uid=sign_uid), field="code")
    return street_page(store.for_district(adcode), sign_uid)


def street_page(store: Store, sign_uid: str) -> StreetPage:
    """Return the public page of the street sign ``sign_uid`` stands on (404 when there is none)."""
    s, p, d, f = schema.street_signs, schema.place_names, schema.door_plates, schema.former_names
    with store.reading() as conn:
        sign = conn.execute(sa.select(s.c.place_name_id, s.c.status).where(
            s.c.sign_uid == sign_uid, s.c.adcode == store.adcode)).mappings().first()
        name = None
        if sign is not None and sign["place_name_id"] is not None:
            name = conn.execute(sa.select(p).where(p.c.id == sign["place_name_id"],
                                                   p.c.status == "in_force")).mappings().first()
        if name is None:
            raise NotFound(text("signs.not_found", uid=sign_uid), field="code")
        former = [r[0] for r in conn.execute(sa.select(f.c.name).where(f.c.place_name_id == name["id"])
                                             .order_by(f.c.valid_to, f.c.id))]
        parity = sa.case((d.c.number % 2 == 1, "odd"), else_="even")
        ranges = [NumberRange(r.side, int(r.first), int(r.last), int(r.plates)) for r in conn.execute(
            sa.select(parity.label("side"), sa.func.min(d.c.number).label("first"),
                      sa.func.max(d.c.number).label("last"), sa.func.count().label("plates"))
            .where(d.c.street_name == name["standard_name"], d.c.status == "active", d.c.adcode == store.adcode)
            .group_by(parity).order_by(parity.desc()))]
        units = schema.admin_units
        district = conn.execute(sa.select(units.c.name).where(*own_outline(units, f"{store.adcode}000000"))
                                .limit(1)).scalar()
    return StreetPage(name["standard_name"], name.get("pinyin_toned"), name.get("sign_text"),
                      name.get("name_mong") or None, name.get("meaning"), name.get("origin"), name.get("history"),
                      name.get("approval_authority"), name.get("approval_doc_no"), name.get("approval_date"),
                      former, ranges, sum(r.plates for r in ranges),
                      bool(sign is not None and sign["status"] in ("active", "damaged", "replacement_queued")),
                      store.adcode,
                      str(district) if district else (DISTRICT_NAME if store.adcode == DISTRICT_ADCODE else None))
