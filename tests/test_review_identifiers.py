"""Review findings: unit codes, line codes and adcodes keep their standard form on every create (7); a broken
JSON body names the body (19)."""

from __future__ import annotations

import httpx
import pytest

from geo.errors import InputError
from geo.location_rules import check_identifier_forms
from tests.conftest import USERS

SQUARE = {"type": "Polygon", "coordinates": [[[111.70, 40.84], [111.701, 40.84], [111.701, 40.841],
                                              [111.70, 40.841], [111.70, 40.84]]]}


@pytest.mark.parametrize("layer,record,field", [
    ("admin_units", {"code": "abc", "name": "x", "level": "community"}, "code"),
    ("admin_units", {"code": "-1", "name": "x", "level": "community"}, "code"),
    ("admin_units", {"code": "150102001001", "parent_code": "1501", "name": "x", "level": "community"},
     "parent_code"),
    ("boundary_lines", {"line_code": "<b>X</b>", "name": "x", "left_adcode": "150102", "right_adcode": "150103"},
     "line_code"),
    ("boundary_lines", {"line_code": "XH09", "name": "x", "left_adcode": "15010", "right_adcode": "150103"},
     "left_adcode"),
])
def test_malformed_identifiers_are_refused_naming_the_field(layer, record, field):
    with pytest.raises(InputError) as err:
        check_identifier_forms(layer, [record])
    assert err.value.field == field and "须为" in err.value.message


def test_standard_identifiers_pass():
    check_identifier_forms("admin_units", [{"code": "150102001001", "parent_code": "150102001000"},
                                           {"code": "150102000000", "parent_code": None}])
    check_identifier_forms("boundary_lines", [{"line_code": "XH01", "left_adcode": "150102", "right_adcode": "150103"}])


def test_a_unit_with_a_malformed_code_is_not_stored(writable_server, writable_sample_store):
    name, password = USERS["admin"]
    token = httpx.post(f"{writable_server}/api/auth/login", json={"username": name, "password": password}).json()
    h = {"Authorization": f"Bearer {token['access_token']}"}
    before = writable_sample_store.count("admin_units")
    r = httpx.post(f"{writable_server}/api/layers/admin_units/features", headers=h, json={
        "type": "Feature", "properties": {"code": "abc", "name": "假社区", "level": "community"}, "geometry": SQUARE})
    # units are created by a division decision, which checks the code (PN-13; tests/test_divisions.py)
    assert r.status_code == 422 and "/api/divisions/create" in r.json()["message"], r.text
    assert writable_sample_store.count("admin_units") == before


def test_a_broken_json_body_names_the_body_not_a_byte_position(writable_server):
    r = httpx.post(f"{writable_server}/api/auth/login", content=b'{"username": "x", ',
                   headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["field"] == "body", r.text
    assert "不是有效的 JSON" in r.json()["message"]


def test_a_marker_is_managed_by_one_side_of_its_line(store):
    """Re-check finding 2: managing_adcode was stored as anything ("abc", 100,000 characters)."""
    import shapely

    from geo.boundaries.markers import add_marker
    from tests.test_hardening import MARKER_AT, _seed

    _seed(store)
    docs = {"reason": "新设界桩", "agreement_doc": "协议-1", "survey_ref": "联测-1", "filed_with": "市民政局"}
    for bad in ("abc", "x" * 1000, "150999"):
        with pytest.raises(InputError) as err:
            add_marker(store, {"line_code": "XH01", "managing_adcode": bad, **docs}, shapely.Point(*MARKER_AT),
                       actor="admin")
        assert err.value.field == "managing_adcode"
    assert store.count("boundary_markers") == 0
    ok = add_marker(store, {"line_code": "XH01", "managing_adcode": "150102", **docs}, shapely.Point(*MARKER_AT),
                    actor="admin")
    assert ok["managing_adcode"] == "150102"


@pytest.mark.parametrize("text", ["损毁\ud800", "损毁\u0085", "\u202e损毁", "损毁\u2028", "损毁\ufffe"])
def test_lone_surrogates_and_invisible_controls_are_refused(text):
    """Re-check findings 3 and 7: a lone surrogate was a 500 from the driver; C1 and direction overrides passed."""
    from geo.validation import check_no_control

    with pytest.raises(InputError) as err:
        check_no_control({"reason": text}, field="body")
    assert err.value.field == "reason"
    check_no_control({"reason": "损毁\t严重\n需修复"}, field="body")  # tab and line breaks are text


def test_siting_k_refuses_a_boolean():
    """Re-check finding 8: `k: true` was taken as one station."""
    from pydantic import ValidationError

    from api.routers.planning import SitingIn

    with pytest.raises(ValidationError):
        SitingIn.model_validate({"k": True})
    assert SitingIn.model_validate({"k": 3}).k == 3
