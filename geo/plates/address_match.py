"""Address cleaning: a free-text Chinese address matched to a door plate, with a confidence grade.

Grades: ``exact`` (street and number found as written), ``safe`` (one plate after correcting the
street by its pinyin or a former name, or ignoring noise such as the district), ``uncertain`` (several
candidates, or only a near number), ``none``. The street is read as the longest known street name in
the text, then by pinyin for wrong characters; the number is the Arabic or Chinese numeral before 号.

Below a plate found for sure (exact or safe), the rest of the text is read for the standard
addresses under it (#17): building (``3号楼``, ``3#楼``, ``3#``, ``3栋``, ``3幢``, ``三号楼``, ``A座``, a named
building), unit (``2单元``), room (``302室``, ``302``), or the short form ``3-2-302``. The answer says the deepest
``level`` reached (plate, building, unit, room), the address found there, and ``address_grade``:
``exact`` when every part the text names was found, ``partial`` with the parts not found in
``unmatched`` (``["2单元", "302室"]`` when the building exists but not that unit).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from geo.addresses.reading import label_core, normalised
from geo.placenames.romanize import chinese_number, toneless_key
from geo.placenames.search import former_street_names
from geo.plates.rules import address_suffix
from geo.store import Store

# The house number and its sub-number (DP-04), in the service's own form (3之1号, 3附1号, 3A号, 12-1号:
# geo.plates.lookup.number_text) or with the sub-number after 号 (3号之一, 3号附1), as people write it.
_NUMERAL = r"[0-9]+|[零〇一二两三四五六七八九十百]+"
_NUMBER = re.compile(rf"({_NUMERAL})\s*(?:(之(?:[0-9]+|[零〇一二两三四五六七八九十百]+)|附[0-9]+|[A-Za-z]|-[0-9]+)\s*)?"
                     r"(?:号|號)(?:(之(?:[0-9]+|[一二三四五六七八九十]+)|附[0-9]+))?")
# Punctuation and spacing left between or after the parts of an address: not "text it could not read".
_SEPARATORS = " ,，、。.;；:：-—_/（）()#"


@dataclass
class AddressMatch:
    """The result of matching an address: grade, the plate if one, and the candidates."""

    grade: str
    plate: dict[str, Any] | None = None
    street: str | None = None
    number: int | None = None
    candidates: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""
    level: str | None = None                      # plate, building, unit or room (None: no plate for sure)
    address: dict[str, Any] | None = None         # the address at that level (below the plate)
    address_grade: str | None = None              # exact or partial (see the module docstring)
    unmatched: list[str] = field(default_factory=list)

    def depth(self) -> dict[str, Any]:
        """Return the standard-address part of the answer: level, address (public fields), grade, unmatched."""
        shown = None
        if self.address is not None:
            shown = {k: self.address.get(k) for k in ("address_uid", "level", "building", "unit", "room", "floor",
                                                      "standard_address", "romanized")}
        return {"level": self.level, "address": shown, "address_grade": self.address_grade,
                "unmatched": list(self.unmatched)}


class AddressMatcher:
    """Match addresses against the active door plates and the street names (with former names)."""

    def __init__(self, plates: Iterable[Mapping[str, Any]], former: Mapping[str, str] | None = None,
                 addresses: Iterable[Mapping[str, Any]] = ()):
        # The active standard addresses below the plates, by parent (a plate uid for buildings).
        self.children: dict[str, list[dict[str, Any]]] = {}
        for a in addresses:
            self.children.setdefault(str(a.get("parent_uid") or a["plate_uid"]), []).append(dict(a))
        self.by_street: dict[str, dict[int, list[dict[str, Any]]]] = {}
        for p in plates:
            self.by_street.setdefault(str(p["street_name"]), {}).setdefault(int(p["number"]), []).append(dict(p))
        self.former = dict(former or {})           # former street name → current name
        self.streets = sorted(self.by_street, key=len, reverse=True)
        self.by_pinyin: dict[str, list[str]] = {}
        for s in self.streets:
            self.by_pinyin.setdefault(toneless_key(s), []).append(s)

    def _street(self, text: str) -> tuple[str | None, str, str]:
        """Return (street, how, rest of the text after it)."""
        for s in self.streets:
            i = text.find(s)
            if i >= 0:
                return s, "as written", text[i + len(s):]
        for old, new in sorted(self.former.items(), key=lambda kv: -len(kv[0])):
            i = text.find(old)
            if i >= 0 and new in self.by_street:
                return new, f"曾用名 {old} former name {old}", text[i + len(old):]
        m = re.search(r"([\u4e00-\u9fff]{1,12}?(?:大街|路|街|巷|胡同|道))", text)
        if m:
            same_sound = self.by_pinyin.get(toneless_key(m.group(1)), [])
            if len(same_sound) == 1:
                return same_sound[0], f"与 {m.group(1)} 同音 same pinyin as {m.group(1)}", text[m.end():]
        return None, "", text

    def match(self, address: str) -> AddressMatch:
        """Return the best door plate for a free-text address and how sure the match is."""
        text = normalised(address)
        street, how, rest = self._street(text)
        if street is None:
            return AddressMatch("none", note="地址中没有已知的街路巷 no known street in the address")
        m = _NUMBER.search(rest) or _DASHED_NUMBER.match(rest)
        if not m:
            cands = [p for plates in self.by_street[street].values() for p in plates][:10]
            return AddressMatch("uncertain", street=street, candidates=cands, note="没有门牌号 no house number")
        raw = m.group(1)
        number = int(raw) if raw.isdigit() else chinese_number(raw)
        same_number = self.by_street[street].get(number or -1, [])
        typed = address_suffix((m.group(2) or m.group(3) or "").lstrip("-"))
        # The sub-number read as DP-04 keys it (之一 = 之1; 之1 and 附1 apart); no sub-number typed is
        # the plate without one. A plate with another sub-number is never taken for it.
        plates = [p for p in same_number if address_suffix(p.get("suffix")) == typed]
        if not plates and same_number:
            return AddressMatch("uncertain", street=street, number=number, candidates=same_number,
                                note=f"{street}{number}号没有{('「' + typed + '」') if typed else '不带附号的'}门牌，"
                                     f"列出同号门牌 no plate {number}{typed} on {street}; plates of that number shown")
        if len(plates) == 1:
            grade = "exact" if how == "as written" else "safe"
            found = AddressMatch(grade, plate=plates[0], street=street, number=number,
                                 note=how if grade == "safe" else "")
            return self._deeper(found, rest[m.end():])
        if len(plates) > 1:
            return AddressMatch("uncertain", street=street, number=number, candidates=plates,
                                note="多块门牌同号 several plates carry this number")
        near = sorted(self.by_street[street], key=lambda n: abs(n - (number or 0)))[:3]
        cands = [p for n in near for p in self.by_street[street][n]]
        return AddressMatch("uncertain", street=street, number=number, candidates=cands,
                            note=f"{street}没有 {number} 号门牌，列出最近的门牌号 "
                                 f"no plate {number} on {street}; nearest numbers shown")


    def _deeper(self, found: AddressMatch, rest: str) -> AddressMatch:
        """Follow the text below the plate: building, then unit, then room; say how deep it got."""
        wanted, end = _below_plate(rest)
        found.level, found.address_grade = "plate", "exact"
        parent = str(found.plate["plate_uid"]) if found.plate else ""
        skipped: list[str] = []
        for i, (level, typed) in enumerate(wanted):
            hit = _pick(self.children.get(parent, []), level, typed)
            if hit is None and level == "unit" and found.level == "building" and i + 1 < len(wanted):
                skipped.append(typed)  # no such unit: the building may hold its rooms directly
                continue
            if hit is None:
                found.unmatched = [*skipped, *(t for _, t in wanted[i:])]
                break
            found.level, found.address, parent = level, hit, str(hit["address_uid"])
        else:
            found.unmatched = skipped
            left = rest[end:].strip(_SEPARATORS)
            if left:  # text after the deepest part it could read: said, never dropped
                found.unmatched = [*found.unmatched, left]
        if found.unmatched:
            found.address_grade = "partial"
        return found


_SHORT_FORM = re.compile(r"^[^0-9]{0,4}?([0-9]+)-([0-9]+)-([0-9]+)")
# "1#楼" and "1#" (full-width "1＃" reads as "#" after NFKC) are building 1, as Hohhot addresses write it.
_BUILDING = re.compile(r"([0-9A-Za-z]+|[零〇一二两三四五六七八九十百]+)(号楼|#楼|号|#|栋|幢|座|楼)")
_UNIT = re.compile(r"([0-9A-Za-z]+|[一二三四五六七八九十]+)(?:单元|门)")
# "37-1-1-101": the number, then building, unit and room, as people write them on forms.
_DASHED_NUMBER = re.compile(r"^[^0-9]{0,2}?([0-9]+)(?=-[0-9]+-[0-9]+-[0-9]+)()()")
_ROOM = re.compile(r"([A-Za-z]?[0-9]{3,4})(?:室|号|房)?")


def _below_plate(rest: str) -> tuple[list[tuple[str, str]], int]:
    """Return the (level, text) parts the text names below the plate, in order, and where the last
    part read ends (what follows is text it could not read)."""
    short = _SHORT_FORM.match(rest)
    if short:
        b, u, r = short.groups()
        return [("building", f"{b}号楼"), ("unit", f"{u}单元"), ("room", f"{r}室")], short.end()
    parts: list[tuple[str, str]] = []
    at = 0
    building = _BUILDING.search(rest)
    if building and not _UNIT.match(rest, building.start()):
        parts.append(("building", building.group(0)))
        at = building.end()
    unit = _UNIT.search(rest, at)
    if unit:
        parts.append(("unit", unit.group(0)))
        at = unit.end()
    room = _ROOM.search(rest, at) if parts else None
    if room:
        parts.append(("room", room.group(0)))
        at = room.end()
    return parts, at


def _pick(children: list[dict[str, Any]], level: str, typed: str) -> dict[str, Any] | None:
    """Return the one child at ``level`` whose label is ``typed`` (exactly, or by its core), else None."""
    same = [c for c in children if c["level"] == level]
    exact = [c for c in same if str(c.get(level) or "") == typed]
    if len(exact) == 1:
        return exact[0]
    by_core = [c for c in same if label_core(str(c.get(level) or "")) == label_core(typed)]
    return by_core[0] if len(by_core) == 1 else None


def load_address_matcher(store: Store, *, former_names: bool = True) -> AddressMatcher:
    """Build the matcher from the active door plates and, with ``former_names``, the streets' former names.

    Parameters
    ----------
    store
        The store holding the plates and the gazetteer.
    former_names
        Also read each street's former names (from the gazetteer), so an address written with a
        street's old name still finds its plate (graded ``safe``).

    The plates and addresses are read without their geometries (the matcher uses none): decoding tens
    of thousands of points was most of the time it took to build.
    """
    plates = _rows_without_geometry(store, "door_plates", status="active")
    former = former_street_names(store) if former_names else {}
    addresses = _rows_without_geometry(store, "addresses", status="active", adcode=store.adcode)
    return AddressMatcher(plates, former, addresses)


def _rows_without_geometry(store: Store, table_name: str, **where: Any) -> list[dict[str, Any]]:
    """Return the records of ``table_name`` matching ``where`` (equality), every column but the geometry, by id."""
    table = store.table(table_name)
    columns = [c for c in table.c if c.name not in ("geom", "minx", "miny", "maxx", "maxy")]
    query = sa.select(*columns).where(*(table.c[k] == v for k, v in where.items())).order_by(table.c.id)
    with store.reading() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]
