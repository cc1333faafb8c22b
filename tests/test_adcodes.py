"""Only a county-level code of GB/T 2260's form names a district (review: ``--district 999999`` on PostgreSQL made
a district of a code no province has, and an account could be made for it)."""

from __future__ import annotations

import pytest

from geo.adcodes import is_county_code
from geo.errors import InputError


@pytest.mark.parametrize("code", ["150102", "110101", "659001", "540102", "159002", "152921",
                                  "441900", "620200"])  # 东莞, 嘉峪关: cities without counties (review)
def test_county_level_codes_name_districts(code):
    assert is_county_code(code)


@pytest.mark.parametrize("code", ["999999", "150100", "150000", "150002", "710101", "810101", "000102", "15010",
                                  "1501020", "１５０１０２", "15010x", ""])
def test_other_codes_do_not(code):
    assert not is_county_code(code)


def test_an_account_for_a_code_no_province_has_is_refused(store):
    from geo.users import create_user

    for code in ("999999", "150100"):
        with pytest.raises(InputError) as err:
            create_user(store, "officer9", "a-long-password-1", role="placename_officer", actor="test", adcodes=[code])
        assert err.value.field == "adcodes" and "GB/T 2260" in err.value.message and code in err.value.message
    assert store.select("users", where={"username": "officer9"}) == []
