"""Value objects parsed at the boundary: points and boxes in the storage CRS, CRS names.

Parsing refuses wrong arity, NaN/inf and out-of-range values and converts the CRS on the way in,
so code behind the boundary only ever sees CGCS2000 (EPSG:4490) longitude/latitude.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime

from geo import crs as _crs
from geo import messages as msg
from geo.errors import InputError, OutsideChina
from geo.messages import BEIJING, in_beijing, label

STORAGE_CRS = "EPSG:4490"
METRIC_CRS = "EPSG:4546"

# CRS-01: the area of use of EPSG:4490.
CHINA_LON_MIN, CHINA_LON_MAX = 73.62, 134.77
CHINA_LAT_MIN, CHINA_LAT_MAX = 16.70, 53.56


def _parse_numbers(text: str, count: int, field: str) -> list[float]:
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) != count:
        raise InputError(msg.text("checks.count_numbers", field=label(field), count=count, got=len(parts)), field=field)
    values: list[float] = []
    for p in parts:
        try:
            v = float(p)
        except ValueError:
            problem = msg.text("checks.not_a_number", field=label(field), value=msg.quoted(p))
            raise InputError(problem, field=field) from None
        if not math.isfinite(v):
            raise InputError(msg.text("checks.not_finite", field=label(field), value=repr(p)), field=field)
        values.append(v)
    return values


def check_in_china(lon: float, lat: float, *, field: str) -> None:
    """Raise :class:`OutsideChina` unless the storage-CRS point lies in CGCS2000's area of use."""
    if not (CHINA_LON_MIN <= lon <= CHINA_LON_MAX and CHINA_LAT_MIN <= lat <= CHINA_LAT_MAX):
        raise OutsideChina(
            msg.text("checks.point_outside_china", field=label(field), lon=f"{lon:.6f}", lat=f"{lat:.6f}",
                 lon_min=CHINA_LON_MIN, lon_max=CHINA_LON_MAX, lat_min=CHINA_LAT_MIN, lat_max=CHINA_LAT_MAX),
            field=field,
        )


@dataclass(frozen=True)
class LonLat:
    """A point in CGCS2000 geographic coordinates (EPSG:4490), longitude first."""

    lon: float
    lat: float

    @classmethod
    def parse(cls, text: str, *, crs: str = "EPSG:4490", field: str = "lonlat") -> LonLat:
        """Parse ``"lon,lat"`` given in ``crs`` and return it in EPSG:4490."""
        x, y = _parse_numbers(text, 2, field)
        return cls.from_xy(x, y, crs=crs, field=field)

    @classmethod
    def from_xy(cls, x: float, y: float, *, crs: str = "EPSG:4490", field: str = "lonlat") -> LonLat:
        """Convert one coordinate pair in ``crs`` to EPSG:4490, refusing non-finite or foreign points."""
        if not (math.isfinite(x) and math.isfinite(y)):
            raise InputError(msg.text("checks.finite_numbers", field=label(field)), field=field)
        name = _crs.normalise_crs(crs, field="crs")
        if name != METRIC_CRS:
            check_in_china(x, y, field=field)
        lon, lat = _crs.to_storage([x], [y], name)
        check_in_china(float(lon[0]), float(lat[0]), field=field)
        return cls(float(lon[0]), float(lat[0]))


@dataclass(frozen=True)
class Bbox:
    """A bounding box in EPSG:4490: min lon, min lat, max lon, max lat."""

    minx: float
    miny: float
    maxx: float
    maxy: float

    @classmethod
    def parse(cls, text: str, *, crs: str = "EPSG:4490", field: str = "bbox") -> Bbox:
        """Parse ``"minx,miny,maxx,maxy"`` given in ``crs`` and return it in EPSG:4490."""
        minx, miny, maxx, maxy = _parse_numbers(text, 4, field)
        if minx > maxx or miny > maxy:
            raise InputError(msg.text("checks.bbox_order", field=label(field)), field=field)
        name = _crs.normalise_crs(crs, field="bbox-crs")
        xs, ys = _crs.to_storage([minx, maxx, minx, maxx], [miny, miny, maxy, maxy], name)
        box = cls(float(min(xs)), float(min(ys)), float(max(xs)), float(max(ys)))
        for lon, lat in ((box.minx, box.miny), (box.maxx, box.maxy)):
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise InputError(msg.text("checks.bbox_range", field=label(field)), field=field)
        return box

    def as_tuple(self) -> tuple[float, float, float, float]:
        """Return ``(minx, miny, maxx, maxy)``."""
        return (self.minx, self.miny, self.maxx, self.maxy)


def beijing_today() -> date:
    """Return today's date in Beijing (UTC+8), whatever the server's clock zone: a repair done at
    07:30 Beijing time is dated today, not yesterday as a UTC server would say."""
    return datetime.now(BEIJING).date()


def beijing_date(moment: datetime) -> date:
    """Return the Beijing date of a stored moment (aware; a naive one is read as UTC, as the store keeps them).

    ``moment.date()`` of a UTC timestamp is a day behind Beijing from 16:00 to 24:00 UTC: a change made at
    01:00 on the 5th, Beijing time, would be dated the 4th."""
    try:
        return in_beijing(moment).date()
    except OverflowError:  # after 9999-12-31 16:00 UTC (a restored far-future value): the last day there is
        return date.max


def parse_date(value: object, *, field: str) -> date | None:
    """Return a date from a date or ``YYYY-MM-DD`` text (None when empty), or raise naming the field.

    A moment given where a day is meant (a datetime, or ISO text with a time) is dated as Beijing dates it when
    it says its offset ("2026-12-04T17:00:00Z" is the 5th in Beijing), and by its own day when it does not."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return beijing_date(value) if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    given = str(value)
    try:
        if len(given) > 10:  # a time follows the day
            return parse_date(datetime.fromisoformat(given), field=field)
        return date.fromisoformat(given)
    except ValueError:
        raise InputError(msg.text("checks.date", field=label(field), value=repr(value)), field=field) from None
