"""Findings of the outside review, fixed, each checked on SQLite and PostGIS.

1. Uniqueness checks (DP-04 plates, PN-07 names) hold under concurrent writers on PostgreSQL.
2. ``POST /api/planning/siting`` and ``/cemetery-site-check`` bodies are bounded (422 naming the field).
3. The login throttle counts the name authentication looks up (cleaned, case-folded).
4. Control characters in a use case's free text are a 400 naming the field, on both backends.
5. A door plate without a community (or household count) is zero demand, not a failed 2SFCA.
6. Decommissioned markers neither count in a campaign's report nor hold up its sign-off.
"""

from __future__ import annotations

import math
from collections import Counter

import httpx
import pytest

from geo.boundaries.inspections import campaign_report, sign_off, submit
from geo.boundaries.markers import decommission_marker
from geo.errors import InputError
from geo.generic_writes import create_feature
from geo.placenames.lifecycle import set_protection, transition
from geo.planning.run import PlanningInputs, run_accessibility, run_planning, walk_params
from geo.plates.decisions import decide_plate_status
from geo.store import Store
from tests.conftest import USERS, running_server, server_settings
from tests.test_hardening import _together
from tests.test_inspections import _setup

SLOW = 120.0
WRITERS = 16


def _token(base: str, role: str) -> dict[str, str]:
    name, password = USERS[role]
    r = httpx.post(f"{base}/api/auth/login", json={"username": name, "password": password}, timeout=SLOW)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


# -- 1. uniqueness under concurrent writers --------------------------------------------------------


@pytest.mark.both_backends  # concurrent writes: locks per backend
def test_concurrent_plates_with_one_address_store_one(writable_server: str, writable_sample_store: Store):
    store = writable_sample_store
    plate = store.select("door_plates", where={"status": "active"}, limit=1)[0]
    street = plate["street_name"]
    body = {"properties": {"street_name": street, "number": 5600},
            "geometry": {"type": "Point", "coordinates": list(plate["geometry"].coords[0])}}
    officer = _token(writable_server, "placename_officer")
    answers = _together(WRITERS, lambda i: httpx.post(f"{writable_server}/api/layers/door_plates/features",
                                                      json=body, headers=officer, timeout=SLOW))
    assert Counter(r.status_code for r in answers) == {201: 1, 409: WRITERS - 1}, [r.text for r in answers]
    assert all(r.json()["field"] == "number" and "DP-04" in r.json()["message"]
               for r in answers if r.status_code == 409)
    assert store.count("door_plates", where={"street_name": street, "number": 5600}) == 1


@pytest.mark.both_backends  # concurrent writes: locks per backend
def test_concurrent_proposals_of_one_name_store_one(writable_server: str, writable_sample_store: Store):
    body = {"properties": {"standard_name": "敕勒川路", "feature_class": "street", "meaning": "取敕勒川之意",
                           "admin_code": "150102003000", "name_mong_pending": True},
            "geometry": {"type": "LineString", "coordinates": [[111.70, 40.86], [111.71, 40.86]]},
            "justification": "蒙古文名称待译"}
    officer = _token(writable_server, "placename_officer")
    answers = _together(WRITERS, lambda i: httpx.post(f"{writable_server}/api/placenames", json=body,
                                                      headers=officer, timeout=SLOW))
    assert Counter(r.status_code for r in answers) == {201: 1, 400: WRITERS - 1}, [r.text for r in answers]
    assert all(r.json()["field"] == "standard_name" and "PN-07" in r.json()["message"]
               for r in answers if r.status_code == 400)
    assert writable_sample_store.count("place_names", where={"standard_name": "敕勒川路"}) == 1


# -- 2. bounded planning bodies ----------------------------------------------------------------------


def test_siting_and_site_check_bodies_are_bounded(live_server: str):
    planner = _token(live_server, "planner")

    def siting(body: dict) -> httpx.Response:
        return httpx.post(f"{live_server}/api/planning/siting", json=body, headers=planner, timeout=SLOW)

    point = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [111.70, 40.85]}}
    for body, field in (({"target_share": 0}, "target_share"), ({"target_share": 1.5}, "target_share"),
                        ({"k": 2, "weight": "cats"}, "weight"), ({"k": 2, "preset": "runner"}, "preset"),
                        ({"k": 2, "minutes": 0.5}, "minutes"), ({"k": 2, "minutes": 121}, "minutes"),
                        ({"k": 2, "speed_m_per_s": 0.01}, "speed_m_per_s"),
                        ({"k": 2, "speed_m_per_s": 4}, "speed_m_per_s"),
                        ({"k": 1180591620717411303424}, "k"), ({"k": 51}, "k"), ({"k": -1}, "k"),
                        ({"k": 1, "candidates": {"type": "FeatureCollection", "features": [point] * 2001}},
                         "candidates.features"),
                        ({"k": 1, "candidates": {"type": "FeatureCollection", "features": [
                            {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[1, 2], [3, 4]]}}]}},
                         "candidates.features.0.geometry.type")):
        r = siting(body)
        assert r.status_code == 422, (body if len(str(body)) < 200 else field, r.text)
        assert r.json()["field"].startswith(field), (field, r.text)
    ok = siting({"k": 1, "candidates": {"type": "FeatureCollection", "features": [point]}})
    assert ok.status_code == 200 and len(ok.json()["sites"]["features"]) <= 1, ok.text
    check = f"{live_server}/api/planning/cemetery-site-check"
    bad = httpx.post(check, headers=planner, json={"geometry": {"type": "LineString", "coordinates": [[1, 2]]}})
    assert bad.status_code == 422 and bad.json()["field"].startswith("geometry"), bad.text
    huge = httpx.post(check, headers=planner, json={"geometry": {"type": "Point", "coordinates": [111.9, 41.0, 0, 0]}})
    assert huge.status_code == 422 and huge.json()["field"].startswith("geometry"), huge.text
    fine = httpx.post(check, headers=planner, json={"geometry": {"type": "Point", "coordinates": [111.90, 41.05]}})
    assert fine.status_code == 200 and fine.json()["allowed"] is True, fine.text


# -- 3. the login throttle counts the cleaned name ------------------------------------------------------


def test_the_login_throttle_counts_the_name_as_authentication_reads_it(writable_sample_store: Store):
    name = USERS["planner"][0]
    with running_server(server_settings(writable_sample_store, login_max_failures=3)) as base:
        def login(username: str) -> httpx.Response:
            return httpx.post(f"{base}/api/auth/login", json={"username": username, "password": "wrong-guess-1"},
                              timeout=SLOW)

        assert [login(name).status_code for _ in range(3)] == [401] * 3
        assert login(name).status_code == 429
        fullwidth = "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in name)
        for variant in (f" {name}", fullwidth, f"{name[0]}\u200b{name[1:]}", name.upper(), f"{name}\u00ad"):
            r = login(variant)
            assert r.status_code == 429 and r.json()["field"] == "username", (variant, r.text)


# -- 4. no control characters in a use case's text ---------------------------------------------------------


def test_control_characters_in_use_case_text_are_refused_naming_the_field(writable_server: str,
                                                                          writable_sample_store: Store):
    store = writable_sample_store
    marker = store.select("boundary_markers", where={"status": "active"}, limit=1)[0]
    audit_rows = store.count("audit_log")
    admin = _token(writable_server, "admin")
    r = httpx.post(f"{writable_server}/api/markers/{marker['id']}/decommission", headers=admin,
                   json={"version": marker["version"], "reason": "损毁\u0000", "document_ref": "文-1"})
    assert r.status_code == 400 and r.json()["field"] == "reason", r.text
    assert "控制字符" in r.json()["message"]
    with pytest.raises(InputError) as err:
        decommission_marker(store, marker["id"], reason="损毁", document_ref="文\x1b-1",
                            expected_version=marker["version"], actor="t")
    assert err.value.field == "document_ref"
    plate = store.select("door_plates", where={"status": "active"}, limit=1)[0]
    with pytest.raises(InputError) as err:
        decide_plate_status(store, plate["plate_uid"], "revoked",
                            {"decision_body": "新城区民政局\x00", "decision_doc_no": "新民〔2026〕1号",
                             "decision_date": "2026-01-05"}, expected_version=plate["version"], actor="t")
    assert err.value.field == "decision_body"
    name = store.select("place_names", where={"status": "in_force"}, limit=1)[0]
    with pytest.raises(InputError) as err:
        set_protection(store, name["id"], not name.get("protected"), expected_version=name["version"], actor="t",
                       document_ref="文-2", reason="老地名\x07")
    assert err.value.field == "reason"
    with pytest.raises(InputError) as err:
        transition(store, name["id"], "retired", expected_version=name["version"], actor="t",
                   comment="撤销\x00", document_ref="文-3")
    assert err.value.field == "comment"
    # Nothing was written; tabs and line breaks are text, not control characters.
    assert store.count("audit_log") == audit_rows
    done = decommission_marker(store, marker["id"], reason="损毁\n见附件", document_ref="文-1\t甲",
                               expected_version=marker["version"], actor="t")
    assert done["status"] == "decommissioned"


# -- 5. a plate without a community --------------------------------------------------------------------


def test_a_plate_without_a_community_is_zero_demand(writable_sample_store: Store):
    store = writable_sample_store
    plate = store.select("door_plates", where={"status": "active"}, limit=1)[0]
    made = create_feature(store, "door_plates", {"street_name": plate["street_name"], "number": 5601,
                                                 "geometry": plate["geometry"]}, actor="t").record
    assert made["community_code"] == plate["community_code"]  # a new plate takes the community it stands in
    # A plate stored before that rule (legacy data) may still have none: it counts as zero demand.
    store.update("door_plates", made["id"], {"community_code": None}, expected_version=made["version"], actor="t")
    assert store.count("door_plates", where={"number": 5601, "community_code": None}) == 1
    run = run_planning(PlanningInputs.load(store), walk_params())
    acc = run_accessibility(run)
    district = acc.units[acc.units["level"] == "district"].iloc[0]
    assert math.isfinite(district["score_per100_60plus"]) and district["score_per100_60plus"] > 0


# -- 6. decommissioned markers in a campaign ----------------------------------------------------------------


def test_decommissioned_markers_do_not_count_in_a_campaign(store: Store):
    campaign = _setup(store)
    gone = store.select("boundary_markers", where={"marker_no": "XH01002Q"})[0]
    decommission_marker(store, gone["id"], reason="河道改线", document_ref="文-9", expected_version=gone["version"],
                        actor="admin")
    submit(store, {"client_id": "c-XH01001Q", "campaign_id": campaign["id"], "marker_no": "XH01001Q",
                   "condition": "intact", "gnss_accuracy_m": 3.0,
                   "position": {"lon": 111.70, "lat": 40.90, "crs": "EPSG:4490"}}, actor="inspector")
    (line,) = campaign_report(store, campaign["id"])
    assert (line["markers"], line["inspected"], line["not_visited"]) == (1, 1, 0)
    signed = sign_off(store, campaign["id"], "150102", actor="xincheng", actor_adcodes={"150102"})
    assert signed["waiting_for"] == ["150103"]


@pytest.mark.both_backends  # concurrent writes: locks per backend
def test_concurrent_imports_of_one_plate_store_one(writable_server: str, writable_sample_store: Store):
    """The import path takes the same street locks as the API (all scopes at once, sorted)."""
    import json

    store = writable_sample_store
    plate = store.select("door_plates", where={"status": "active"}, limit=1)[0]
    street = plate["street_name"]
    body = json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"street_name": street, "number": 5602},
         "geometry": {"type": "Point", "coordinates": list(plate["geometry"].coords[0])}}]}).encode()
    officer = _token(writable_server, "placename_officer")
    answers = _together(4, lambda i: httpx.post(f"{writable_server}/api/layers/door_plates/import",
                                                params={"crs": "EPSG:4490", "format": "geojson"}, content=body,
                                                headers=officer, timeout=SLOW))
    statuses = Counter(r.status_code for r in answers)
    assert statuses[200] + statuses[201] == 1, [r.text for r in answers]
    assert all(r.status_code in (200, 201, 409, 429) for r in answers), [r.text for r in answers]
    assert store.count("door_plates", where={"street_name": street, "number": 5602}) == 1
