"""Address cleaning: a free-text Chinese address matched to a door plate, with a confidence grade.

Grades: ``exact`` (street and number found as written), ``safe`` (one plate after correcting the
street by its pinyin or a former name, or ignoring noise such as the district), ``uncertain`` (several
candidates, or only a near number), ``none``. The street is read as the longest known street name in
the text, then by pinyin for wrong characters; the number is the Arabic or Chinese numeral before 号.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from geo.placenames.romanize import chinese_number, toneless_key
from geo.store import Store

_NUMBER = re.compile(r"([0-9]+|[零〇一二两三四五六七八九十百]+)\s*(?:号|號)"
                     r"(?:之([0-9一二三四五六七八九十]+)|附([0-9]+))?")
_NOISE = ("内蒙古自治区", "内蒙古", "呼和浩特市", "呼和浩特", "新城区")


@dataclass
class AddressMatch:
    """The result of matching an address: grade, the plate if one, and the candidates."""

    grade: str
    plate: dict[str, Any] | None = None
    street: str | None = None
    number: int | None = None
    candidates: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""


class AddressMatcher:
    """Match addresses against the active door plates and the street names (with former names)."""

    def __init__(self, plates: Iterable[Mapping[str, Any]], former: Mapping[str, str] | None = None):
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
                return new, f"former name {old}", text[i + len(old):]
        m = re.search(r"([\u4e00-\u9fff]{1,12}?(?:大街|路|街|巷|胡同|道))", text)
        if m:
            same_sound = self.by_pinyin.get(toneless_key(m.group(1)), [])
            if len(same_sound) == 1:
                return same_sound[0], f"same pinyin as {m.group(1)}", text[m.end():]
        return None, "", text

    def match(self, address: str) -> AddressMatch:
        """Return the best door plate for a free-text address and how sure the match is."""
        text = re.sub(r"\s+", "", address or "")
        for noise in _NOISE:
            text = text.replace(noise, "")
        street, how, rest = self._street(text)
        if street is None:
            return AddressMatch("none", note="no known street in the address")
        m = _NUMBER.search(rest)
        if not m:
            cands = [p for plates in self.by_street[street].values() for p in plates][:10]
            return AddressMatch("uncertain", street=street, candidates=cands, note="no house number")
        raw = m.group(1)
        number = int(raw) if raw.isdigit() else chinese_number(raw)
        plates = self.by_street[street].get(number or -1, [])
        suffix = m.group(2) or m.group(3)
        if suffix:
            plates = [p for p in plates if str(p.get("suffix") or "").endswith(suffix)] or plates
        if len(plates) == 1:
            grade = "exact" if how == "as written" else "safe"
            return AddressMatch(grade, plate=plates[0], street=street, number=number,
                                note=how if grade == "safe" else "")
        if len(plates) > 1:
            return AddressMatch("uncertain", street=street, number=number, candidates=plates,
                                note="several plates carry this number")
        near = sorted(self.by_street[street], key=lambda n: abs(n - (number or 0)))[:3]
        cands = [p for n in near for p in self.by_street[street][n]]
        return AddressMatch("uncertain", street=street, number=number, candidates=cands,
                            note=f"no plate {number} on {street}; nearest numbers shown")


def load_address_matcher(store: Store, *, former_names: bool = True) -> AddressMatcher:
    """Build the matcher from the active door plates and, with ``former_names``, the streets' former names.

    Parameters
    ----------
    store
        The store holding the plates and the gazetteer.
    former_names
        Also read each street's former names (from the gazetteer), so an address written with a
        street's old name still finds its plate (graded ``safe``).
    """
    plates = store.select("door_plates", where={"status": "active"})
    former: dict[str, str] = {}
    if former_names:
        streets = {n["id"]: n["standard_name"] for n in store.select("place_names", where={"feature_class": "street"})}
        former = {f["name"]: streets[f["place_name_id"]] for f in store.select("former_names")
                  if f["place_name_id"] in streets}
    return AddressMatcher(plates, former)
