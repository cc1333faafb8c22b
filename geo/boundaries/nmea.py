"""NMEA 0183 position sentences pasted from an external GNSS/RTK receiver: parse and check them.

A phone fix (5–50 m) cannot show a marker's displacement; a survey receiver can (RTK: centimetres).
The field page lets an inspector paste the receiver's ``$GPGGA``/``$GNGGA`` (and optionally
``$GPRMC``/``$GNRMC``) sentences. The page parses them to show what it read, and the service parses
them again here so the record says what the sentences said, not what the page claims: every
sentence's checksum is verified, the position comes from the GGA sentence, and its fix quality
(4 = RTK fixed, 5 = RTK float), HDOP and satellite count are kept as the record's position detail.
Pure: text in, a :class:`NmeaFix` out, no database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import reduce

from geo.errors import InputError
from geo.messages import text

MAX_NMEA_CHARS = 4000  # a few sentences; a whole log is not a position
# GGA fix quality → (Chinese, English). 0 (no fix), 6 (dead reckoning), 7 (manual input) and
# 8 (simulation) are not a measurement and are refused.
FIX_QUALITY = {1: ("单点定位", "autonomous GNSS"), 2: ("差分定位", "differential GNSS"), 3: ("PPS 定位", "PPS fix"),
               4: ("RTK 固定解", "RTK fixed"), 5: ("RTK 浮点解", "RTK float"), 9: ("SBAS 增强定位", "SBAS fix")}
# The best horizontal accuracy (metres) a fix of each GGA quality can honestly claim: (metres, times HDOP?).
# ASSUMED typical values, not a receiver's specification: autonomous ≈ 3 m × HDOP (single-frequency
# pseudorange error), PPS likewise, DGPS ≈ 0.5 m × HDOP, SBAS ≈ 1 m × HDOP, RTK float ≈ 0.2 m,
# RTK fixed ≈ 0.02 m (2 cm). A GGA without HDOP counts as HDOP 1. An accuracy typed better than this
# floor is refused; with none typed the floor is the record's accuracy (README, field inspection).
ACCURACY_FLOOR_M: dict[int, tuple[float, bool]] = {1: (3.0, True), 2: (0.5, True), 3: (3.0, True), 9: (1.0, True),
                                                   5: (0.2, False), 4: (0.02, False)}
_POSITION_TYPES = ("GGA", "RMC")


@dataclass(frozen=True)
class NmeaFix:
    """What a receiver's sentences said: position (WGS84 degrees), fix quality, HDOP, satellites, UTC time."""

    lon: float
    lat: float
    quality: int
    hdop: float | None
    satellites: int | None
    utc_time: str | None
    utc_date: str | None = None

    @property
    def quality_zh(self) -> str:
        """The fix quality as the inspector reads it (RTK 固定解)."""
        return FIX_QUALITY[self.quality][0]

    @property
    def accuracy_floor_m(self) -> float:
        """The best accuracy this fix can claim (:data:`ACCURACY_FLOOR_M`): metres, rounded to the centimetre."""
        return accuracy_floor_m(self.quality, self.hdop)

    @property
    def detail(self) -> str:
        """The record's position detail, Chinese first: "RTK 固定解 RTK fixed · HDOP 0.8 · 14 颗卫星 satellites"."""
        zh, en = FIX_QUALITY[self.quality]
        parts = [f"{zh} {en}"]
        if self.hdop is not None:
            parts.append(f"HDOP {self.hdop:g}")
        if self.satellites is not None:
            parts.append(f"{self.satellites} 颗卫星 satellites")
        if self.utc_time:
            stamp = f"{self.utc_date} {self.utc_time}" if self.utc_date else self.utc_time
            parts.append(f"UTC {stamp}")
        return " · ".join(parts)


def accuracy_floor_m(quality: int, hdop: float | None) -> float:
    """Return the best horizontal accuracy (m) a GGA fix of ``quality`` and ``hdop`` can claim (assumed floors)."""
    metres, scaled = ACCURACY_FLOOR_M[quality]
    return round(metres * (hdop if scaled and hdop is not None else 1.0), 2)


def _refuse(key: str, field: str, **params: object) -> InputError:
    return InputError(text(f"field_offline.{key}", **params), field=field)


def checksum_ok(sentence: str) -> bool:
    """Return whether ``$...*HH`` carries the XOR checksum of the characters between ``$`` and ``*``."""
    if not sentence.startswith("$") or "*" not in sentence:
        return False
    body, _, given = sentence[1:].partition("*")
    try:
        expected = int(given.strip()[:2], 16)
    except ValueError:
        return False
    return len(given.strip()) == 2 and reduce(lambda acc, ch: acc ^ ord(ch), body, 0) == expected


def _degrees(value: str, hemisphere: str, *, width: int, field: str, line: int) -> float:
    """Convert NMEA ``ddmm.mmmm`` / ``dddmm.mmmm`` with its hemisphere to signed decimal degrees."""
    try:
        whole = float(value)
        degrees = int(value[:width])
        minutes = float(value[width:])
    except ValueError:
        raise _refuse("nmea_number", field, line=line, value=value[:20]) from None
    if not math.isfinite(whole) or not 0 <= minutes < 60 or hemisphere not in ("N", "S", "E", "W"):
        raise _refuse("nmea_number", field, line=line, value=f"{value[:20]},{hemisphere[:2]}")
    out = degrees + minutes / 60
    return -out if hemisphere in ("S", "W") else out


def _time(value: str) -> str | None:
    """Return ``hhmmss(.ss)`` as ``hh:mm:ss``, or None when absent."""
    return f"{value[0:2]}:{value[2:4]}:{value[4:6]}" if len(value) >= 6 and value[:6].isdigit() else None


def parse_nmea(raw: str, *, field: str = "nmea") -> NmeaFix:
    """Parse pasted NMEA sentences; return the fix of the (last) GGA sentence.

    Every ``$`` line must carry a correct checksum (a line damaged in copying is refused, naming its
    number); other sentence types (GSA, GSV, GST…) are checked and ignored. A GGA sentence is required
    (it carries the fix quality, HDOP and satellites); a GGA without a fix, or with a quality that is not
    a measurement, and an RMC marked void (``V``) are refused. The RMC date is kept when present.
    """
    source = str(raw or "")
    if not source.strip():
        raise _refuse("nmea_empty", field)
    if len(source) > MAX_NMEA_CHARS:
        raise _refuse("nmea_too_long", field, limit=MAX_NMEA_CHARS)
    gga: tuple[int, list[str]] | None = None
    rmc: tuple[int, list[str]] | None = None
    for number, line in enumerate(source.splitlines(), start=1):
        sentence = line.strip()
        if not sentence:
            continue
        if not checksum_ok(sentence):
            raise _refuse("nmea_checksum", field, line=number, sentence=sentence[:24])
        parts = sentence[1:].split("*", 1)[0].split(",")
        kind = parts[0][2:] if len(parts[0]) == 5 else ""
        if kind == "GGA":
            gga = (number, parts)
        elif kind == "RMC":
            rmc = (number, parts)
    if gga is None:
        raise _refuse("nmea_no_gga", field)
    number, g = gga
    if len(g) < 9:
        raise _refuse("nmea_short", field, line=number)
    try:
        quality = int(g[6] or "0")
    except ValueError:
        raise _refuse("nmea_number", field, line=number, value=g[6][:20]) from None
    if quality not in FIX_QUALITY:
        raise _refuse("nmea_no_fix", field, line=number, quality=quality)
    lat = _degrees(g[2], g[3], width=2, field=field, line=number)
    lon = _degrees(g[4], g[5], width=3, field=field, line=number)
    try:
        satellites = int(g[7]) if g[7] else None
        hdop = float(g[8]) if g[8] else None
    except ValueError:
        raise _refuse("nmea_number", field, line=number, value=f"{g[7][:8]},{g[8][:8]}") from None
    if hdop is not None and not (math.isfinite(hdop) and 0 < hdop < 100):  # "nan", "inf", 0 parse as floats
        raise _refuse("nmea_number", field, line=number, value=f"HDOP {g[8][:8]}")
    utc_date = None
    if rmc is not None:
        rnumber, r = rmc
        if len(r) < 10:
            raise _refuse("nmea_short", field, line=rnumber)
        if r[2] != "A":
            raise _refuse("nmea_void", field, line=rnumber)
        d = r[9]
        if len(d) == 6 and d.isdigit():  # ddmmyy: two-digit years from 80 are 19xx (GPS began in 1980)
            utc_date = f"{'19' if int(d[4:6]) >= 80 else '20'}{d[4:6]}-{d[2:4]}-{d[0:2]}"
    return NmeaFix(lon=lon, lat=lat, quality=quality, hdop=hdop, satellites=satellites, utc_time=_time(g[1]),
                   utc_date=utc_date)
