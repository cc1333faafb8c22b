"""Value objects parsed at the boundary refuse bad input by name."""

from __future__ import annotations

import pytest

from geo.errors import InputError, OutsideChina, UnknownCRS
from geo.types import Bbox, LonLat


def test_lonlat_converts_gcj02_to_storage():
    p = LonLat.parse("111.7569191,40.8514533", crs="gcj02")
    assert (p.lon, p.lat) == pytest.approx((111.75, 40.85), abs=1e-7)


@pytest.mark.parametrize("text", ["111.7", "111.7,40.8,3", "a,b", "nan,40", "inf,40"])
def test_lonlat_refuses_malformed(text):
    with pytest.raises(InputError) as err:
        LonLat.parse(text)
    assert err.value.field == "lonlat"


def test_lonlat_refuses_swapped_axes_outside_china():
    with pytest.raises(OutsideChina):
        LonLat.parse("40.85,111.75")


def test_lonlat_refuses_unknown_crs():
    with pytest.raises(UnknownCRS):
        LonLat.parse("111.7,40.8", crs="EPSG:3857")


def test_bbox_parse_and_order():
    b = Bbox.parse("111.6,40.8,111.7,40.9")
    assert b.as_tuple() == (111.6, 40.8, 111.7, 40.9)
    with pytest.raises(InputError):
        Bbox.parse("111.7,40.8,111.6,40.9")


def test_today_is_the_date_in_beijing_whatever_the_servers_zone(monkeypatch):
    """At 23:30 UTC on 1 December it is 07:30 on 2 December in Hohhot: a repair done then is dated the 2nd."""
    from datetime import UTC, date, datetime

    import geo.types as types

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2026, 12, 1, 23, 30, tzinfo=UTC).astimezone(tz)

    monkeypatch.setattr(types, "datetime", Clock)
    assert types.beijing_today() == date(2026, 12, 2)


def test_a_moment_is_dated_by_beijings_day_even_at_the_end_of_what_a_date_holds():
    """16:00 UTC is the next day in Beijing; a restored 9999-12-31 20:00 UTC has no Beijing day a date can hold,
    and is dated the last one rather than failing the request (review, 2026-12-04)."""
    from datetime import UTC, date, datetime

    from geo.types import beijing_date

    assert beijing_date(datetime(2026, 12, 4, 16, 0, tzinfo=UTC)) == date(2026, 12, 5)
    assert beijing_date(datetime(2026, 12, 4, 15, 59, 59, tzinfo=UTC)) == date(2026, 12, 4)
    assert beijing_date(datetime(2026, 12, 4, 16, 0)) == date(2026, 12, 5)  # naive: read as UTC
    assert beijing_date(datetime(9999, 12, 31, 20, 0, tzinfo=UTC)) == date.max


def test_a_moment_given_for_a_day_is_dated_as_beijing_dates_it():
    """A file's date column written as a UTC moment ("…T17:00:00Z", 01:00 on the 5th in Beijing) is the 5th, as
    the same moment written with +08:00 is; a moment with no offset keeps its own day; anything else after the
    day is refused naming the field (it was cut off and the rest ignored)."""
    from datetime import UTC, date, datetime

    from geo.types import parse_date

    assert parse_date("2026-12-04T17:00:00Z", field="available_from") == date(2026, 12, 5)
    assert parse_date("2026-12-05T01:00:00+08:00", field="available_from") == date(2026, 12, 5)
    assert parse_date("2026-12-04T17:00:00", field="available_from") == date(2026, 12, 4)
    assert parse_date(datetime(2026, 12, 4, 17, tzinfo=UTC), field="available_from") == date(2026, 12, 5)
    assert parse_date(datetime(2026, 12, 4, 17), field="available_from") == date(2026, 12, 4)
    assert parse_date("2026-12-04", field="available_from") == date(2026, 12, 4)
    assert parse_date(date(2026, 12, 4), field="available_from") == date(2026, 12, 4)
    with pytest.raises(InputError) as err:
        parse_date("2026-12-04 或 2026-12-05", field="available_from")
    assert err.value.field == "available_from" and "available_from" in err.value.message


def test_a_moment_in_year_1_is_shown_with_its_four_digit_year():
    """strftime's %Y writes year 1 as "1" here: a restored report made at 0001-01-01 00:00 UTC read "1-01-01 08:00"
    in the officers' list, the CLI and the campaign workbook (review, 2026-12-04)."""
    from datetime import UTC, datetime

    from geo.messages import beijing_minute, beijing_time

    assert beijing_minute(datetime(1, 1, 1, tzinfo=UTC)) == "0001-01-01 08:00"
    assert beijing_minute(datetime(2026, 12, 4, 16, 5)) == "2026-12-05 00:05"  # naive: read as UTC
    assert "0001-01-01 08:00" in beijing_time(datetime(1, 1, 1, tzinfo=UTC))
