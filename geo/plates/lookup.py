"""What a resident sees after scanning a door plate: the standard address and the services near it.

Built from plain records (the plate, its street's standard name, its community) and the walking
results passed in; no personal data (households are never shown). :func:`stored_plate_view` is the
public request path: one indexed read of the plate with its stored services (kept by
:mod:`geo.plates.lookup_table`) and its names, no walking search.

The full address names the plate's own district (#19): the name of its district's outline row
(``admin_units`` of code ``<adcode>000000``, level district) after the province and city its adcode
says (:func:`province_city`), so a plate of 土默特左旗 reads 内蒙古自治区呼和浩特市土默特左旗…, not 新城区.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from geo import DISTRICT_ADCODE
from geo.district_names import district_name_of, province_city
from geo.layers import PLATE_FINAL_STATUSES
from geo.placenames.romanize import plate_number_pinyin
from geo.store import Store
from geo.store.plate_lookups import KINDS, read_lookup

PROVINCE_CITY = "内蒙古自治区呼和浩特市"  # the service's own district's (150102) province and city
DISTRICT = "新城区"
EMERGENCY = (("110", "报警 Police"), ("119", "火警 Fire"), ("120", "急救 Ambulance"),
             ("12345", "政务服务便民热线 Citizen hotline"))
STATUS_NOTE = {"revoked": "此门牌已撤销 · This door plate has been revoked.",
               "replaced": "此门牌已被新门牌替换 · This door plate has been replaced by a new one."}


@dataclass
class PlateView:
    """The public content of one door plate's page (and its JSON)."""

    plate_uid: str
    status: str
    in_use: bool  # False for a revoked or replaced plate: no services named (they were the old address's)
    status_note: str | None
    number_text: str
    address_zh: str
    address_full_zh: str
    address_pinyin: str | None
    street_name: str
    street_mong: str | None
    street_story: str | None
    community: str | None
    subdistrict: str | None
    nearest_elder_care: dict[str, Any] | None
    nearest_service_centre: dict[str, Any] | None
    emergency: list[dict[str, str]] = field(default_factory=list)
    services_as_of: int | None = None  # the audit seq the services reflect; None: not computed yet
    services_stale: bool = False  # the data changed since; the refresher is updating them
    services_computed_at: str | None = None  # when the services shown were last computed (ISO 8601, UTC)
    adcode: str = DISTRICT_ADCODE  # the plate's district (the public scans plates city-wide)
    district: str = DISTRICT  # its name, as its district's outline row says

    def to_dict(self) -> dict[str, Any]:
        """Return the view as JSON-safe data: its own copy, one level deep (every nested value is a flat
        dict of text and numbers). ``dataclasses.asdict`` deep-copied each value, a third of a lookup's time
        in the database's absence (55 µs of 200)."""
        out = {name: getattr(self, name) for name in _VIEW_FIELDS}
        for name in ("nearest_elder_care", "nearest_service_centre"):
            if out[name] is not None:
                out[name] = dict(out[name])
        out["emergency"] = [dict(item) for item in self.emergency]
        return out


_VIEW_FIELDS = tuple(f.name for f in fields(PlateView))


def number_text(number: int, suffix: str | None) -> str:
    """Return the plate's printed number: 12号, 12-1号, 12甲号."""
    suffix = (suffix or "").strip()
    if suffix and suffix[0].isdigit():
        suffix = f"-{suffix}"
    return f"{number}{suffix}号"


def plate_view(plate: dict[str, Any], *, street: dict[str, Any] | None, community: dict[str, Any] | None,
               subdistrict: dict[str, Any] | None, elder_care: dict[str, Any] | None,
               service_centre: dict[str, Any] | None, services_as_of: int | None = None,
               services_stale: bool = False, adcode: str | None = None,
               district: str | None = None, services_computed_at: str | None = None) -> PlateView:
    """Assemble the public view of a plate; only standard names are shown (条例 art.18).

    ``adcode`` and ``district``: the plate's district and its outline row's name (default the
    service's own, 新城区); the full address starts with them. A plate no longer in use (revoked or
    replaced) names no services, on its page and in its JSON alike: they were the old address's, and a
    replaced plate's successor has its own.
    """
    status = plate.get("status") or "active"
    in_use = status not in PLATE_FINAL_STATUSES
    num = number_text(int(plate["number"]), plate.get("suffix"))
    adcode = adcode or plate.get("adcode") or DISTRICT_ADCODE
    district = district_name_of(adcode, district)
    street_name = plate["street_name"]
    pinyin = None
    if street and street.get("pinyin_toned"):
        pinyin = f"{street['pinyin_toned']} {plate_number_pinyin(int(plate['number']), plate.get('suffix'))} Hào"
    return PlateView(
        plate_uid=plate["plate_uid"], status=status, in_use=in_use, status_note=STATUS_NOTE.get(status),
        number_text=num,
        address_zh=f"{street_name}{num}", address_full_zh=f"{province_city(adcode)}{district}{street_name}{num}",
        address_pinyin=pinyin, street_name=street_name,
        street_mong=(street or {}).get("name_mong"), street_story=(street or {}).get("meaning"),
        community=(community or {}).get("name"), subdistrict=(subdistrict or {}).get("name"),
        nearest_elder_care=elder_care if in_use else None, nearest_service_centre=service_centre if in_use else None,
        emergency=[{"number": n, "what": w} for n, w in EMERGENCY],
        # a plate no longer in use names no services, so none are being brought up to date either
        services_as_of=services_as_of, services_stale=services_stale and in_use,
        services_computed_at=services_computed_at,
        adcode=adcode, district=district)


SHOWN_FIELDS = ("id", "name", "distance_m", "minutes", "minutes_elderly")  # the kind is stored, not shown


def _service(lookup: dict[str, Any] | None, kind: str) -> dict[str, Any] | None:
    if lookup is None or lookup[f"{kind}_id"] is None:
        return None
    return {f: lookup[f"{kind}_{f}"] for f in SHOWN_FIELDS}


def stored_plate_view(store: Store, plate_uid: str) -> PlateView | None:
    """Return the public view of a plate from what is stored for it (``None``: no such plate).

    The services are those last computed for the plate; they are flagged stale when the plate has
    moved or the streets or facilities changed since (the refresher is then updating them), and
    absent (stale, ``services_as_of`` None) for a plate the refresher has not reached yet.
    """
    found = read_lookup(store, plate_uid)
    if found is None:
        return None
    lookup = found["lookup"]
    stale = (lookup is None or (lookup["plate_x"], lookup["plate_y"]) != (found["minx"], found["miny"])
             or lookup["seq"] < found["services_changed_seq"])
    named = {"name": found["community"]} if found["community"] is not None else None
    return plate_view(found, street=found["street"], community=named,
                      subdistrict={"name": found["subdistrict"]} if found["subdistrict"] is not None else None,
                      elder_care=_service(lookup, KINDS[0]), service_centre=_service(lookup, KINDS[1]),
                      services_as_of=None if lookup is None else int(lookup["seq"]), services_stale=stale,
                      services_computed_at=None if lookup is None else _utc_text(lookup["computed_at"]),
                      adcode=found["adcode"], district=found["district"])


def _utc_text(moment: Any) -> str | None:
    """Return a stored moment as ISO 8601 in UTC (SQLite hands back a naive UTC datetime)."""
    if not isinstance(moment, datetime):
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
