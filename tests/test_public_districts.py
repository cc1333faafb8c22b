"""The public scans plates, addresses and signs city-wide (#19): a QR of another district's record.

District 150121's probe records are put beside the sample in the same PostGIS database
(:func:`tests.test_districts.plant_other_district`). A resident scanning the QR of its plate, its
address or its sign sees that record's public view, named with its own district (the name of its
outline row, 土默特左旗泄漏探针 in the plant), not 新城区; a report from its plate's page lands in its
district's inbox, not 新城区's; a bogus code is the same 404 as before; the sample's own plate still
reads 新城区. The stored plate lookups are kept for every district the database holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from geo.addresses import add_building
from geo.addresses.codes import address_code, address_uid, token_of, token_place
from geo.addresses.views import address_district, token_serial
from geo.plates.codes import PlateSigner
from geo.plates.lookup import stored_plate_view
from geo.plates.lookup_table import refresh_every_district, refresh_plate_lookups
from geo.signs.printed import sign_signer
from geo.store import Store, schema
from geo.store import plate_lookups as stored
from tests.conftest import running_server, server_settings
from tests.test_districts import OTHER, PROBE, plant_other_district

on_postgis = pytest.mark.parametrize("writable_sample_store", ["postgis"], indirect=True)
OTHER_NAME = f"土默特左旗{PROBE}"  # the plant's outline row of 150121
SIGNER = PlateSigner.from_setting("", fallback_secret="x" * 40)  # the test server's (server_settings)
SERIAL = 654_321  # the planted address's serial in 150121 (within a district's block of 2**20)


@pytest.fixture
def planted(writable_sample_store) -> Iterator[tuple[Store, dict[str, Any]]]:
    """The sample (新城区) and 150121's probe records, with a scannable address (a lifetime id and QR
    token of 150121's own) and a sign standing on 150121's own street name (in force)."""
    store = writable_sample_store
    found = plant_other_district(store)
    other = store.for_district(OTHER)
    probe = other.select("addresses", where={"address_uid": found["uids"]["addresses"]})[0]
    row = {k: v for k, v in probe.items() if k not in ("id", "version", "adcode", "created_at", "updated_at")
           and v is not None}
    row.update(address_uid=address_uid(OTHER, SERIAL), qr_token=token_of(SERIAL, OTHER), level="building",
               parent_uid=None, building="探针楼", standard_address=f"{PROBE}地址 探针楼")
    other.insert("addresses", [row], actor="test")
    found["address_token"] = token_of(SERIAL, OTHER)
    with other.writing() as conn:  # the probe sign names the probe street name, in force
        conn.execute(sa.update(schema.place_names).where(schema.place_names.c.id == found["ids"]["place_names"])
                     .values(status="in_force"))
        conn.execute(sa.update(schema.street_signs).where(schema.street_signs.c.id == found["ids"]["street_signs"])
                     .values(place_name_id=found["ids"]["place_names"], status="active"))
    yield store, found


def _reports(store: Store, plate_uid: str) -> list[dict[str, Any]]:
    return [r for r in store.select("problem_reports") if r["plate_uid"] == plate_uid]


@on_postgis
def test_a_plate_of_another_district_opens_its_page_and_takes_its_reports(planted) -> None:
    """The 150121 plate's QR: its page and JSON (its street, its district's name), a report stored in
    150121 only; a bogus code is 404; the sample's own plate still reads 新城区."""
    store, found = planted
    uid = found["uids"]["door_plates"]
    code = SIGNER.code(uid)
    own = store.select("door_plates", where={"status": "active"}, limit=1)[0]
    other = store.for_district(OTHER)
    with running_server(server_settings(store)) as base, httpx.Client(base_url=base, timeout=60) as client:
        page = client.get(f"/p/{code}")
        assert page.status_code == 200, page.text
        assert f"{PROBE}street_name" in page.text
        assert f"内蒙古自治区呼和浩特市{OTHER_NAME}{PROBE}street_name" in page.text
        assert f"呼和浩特市新城区{PROBE}" not in page.text
        # its bureau, not 新城区's (outside review #19 slice 2, finding 5)
        assert f"{OTHER_NAME}民政局" in page.text and "新城区民政局" not in page.text, page.text

        lookup = client.get(f"/api/plates/lookup/{code}")
        assert lookup.status_code == 200, lookup.text
        body = lookup.json()
        assert body["plate_uid"] == uid and body["adcode"] == OTHER and body["district"] == OTHER_NAME
        assert body["street_name"] == f"{PROBE}street_name" and "新城区" not in body["address_full_zh"]
        assert body["address_full_zh"].startswith(f"内蒙古自治区呼和浩特市{OTHER_NAME}")

        before_own = len(store.select("problem_reports"))
        sent = client.post(f"/p/{code}/report", data={"kind": "damaged_plate", "message": "探针门牌损坏"},
                           headers={"Origin": base})
        assert sent.status_code == 200 and "已收到" in sent.text, sent.text
        # the thanks come from the plate's district's bureau (re-check, finding 1)
        assert f"{OTHER_NAME}民政局" in sent.text and "新城区民政局" not in sent.text, sent.text
        landed = _reports(other, uid)
        assert [(r["message"], r["adcode"]) for r in landed if r["message"] == "探针门牌损坏"] == [
            ("探针门牌损坏", OTHER)]
        assert len(store.select("problem_reports")) == before_own and _reports(store, uid) == []

        # A code of no plate (signed, or not ours at all): the page's 404, and nothing is stored.
        for bogus in (SIGNER.code("ZZZZZZZZ"), "NOTACODE123"):
            unknown = client.get(f"/p/{bogus}")
            # no plate, no district known: no bureau named (re-check, finding 2)
            assert unknown.status_code == 404 and "民政局" not in unknown.text, unknown.text
            assert client.get(f"/api/plates/lookup/{bogus}").status_code == 404
        refused = client.post(f"/p/{SIGNER.code('ZZZZZZZZ')}/report", data={"kind": "other", "message": "x"},
                              headers={"Origin": base})
        assert refused.status_code == 404 and "没有这块门牌" in refused.text
        assert _reports(other, "ZZZZZZZZ") == [] and _reports(store, "ZZZZZZZZ") == []

        # The sample's own plate: as before, 新城区.
        mine = client.get(f"/api/plates/lookup/{SIGNER.code(own['plate_uid'])}")
        assert mine.status_code == 200 and mine.json()["district"] == "新城区", mine.text
        assert mine.json()["address_full_zh"].startswith("内蒙古自治区呼和浩特市新城区")
        own_page = client.get(f"/p/{SIGNER.code(own['plate_uid'])}").text
        assert "内蒙古自治区呼和浩特市新城区" in own_page and "新城区民政局 · Xincheng District" in own_page


@on_postgis
def test_an_address_and_a_sign_of_another_district_open_their_pages(planted) -> None:
    """The 150121 address's and sign's QR open their public views (named with 150121's district);
    bogus codes are 404; the token is found in its district by district_of only."""
    store, found = planted
    token = found["address_token"]
    assert token_serial(token) == SERIAL and address_district(store, token) == OTHER
    # The same serial in 新城区 is another token (the district's block of the token space); 新城区's printed
    # tokens are what they were, and say 新城区.
    assert token_of(SERIAL) != token and token_place(token_of(SERIAL)) == (store.adcode, SERIAL)
    own = store.select("addresses", limit=1)[0]
    own_serial = int(own["address_uid"].split("A")[1])
    assert own["qr_token"] == token_of(own_serial) and address_district(store, own["qr_token"]) == store.adcode
    assert address_district(store, "22222222") is None and token_serial("not-one") is None
    code = address_code(SIGNER, token)
    sign_code = sign_signer(SIGNER).code(found["uids"]["street_signs"])
    with running_server(server_settings(store)) as base, httpx.Client(base_url=base, timeout=60) as client:
        page = client.get(f"/a/{code}")
        assert page.status_code == 200 and f"{PROBE}地址 探针楼" in page.text, page.text
        lookup = client.get(f"/api/standard-addresses/lookup/{code}")
        assert lookup.status_code == 200, lookup.text
        assert lookup.json()["district"] == OTHER_NAME and lookup.json()["adcode"] == OTHER
        assert lookup.json()["standard_address"] == f"{PROBE}地址 探针楼"
        unknown = address_code(SIGNER, "22222222")
        assert client.get(f"/a/{unknown}").status_code == 404
        assert client.get(f"/api/standard-addresses/lookup/{unknown}").status_code == 404

        street = client.get(f"/s/{sign_code}")
        assert street.status_code == 200 and f"{PROBE}standard_name" in street.text, street.text
        assert f"{OTHER_NAME}民政局" in street.text and f"{OTHER_NAME}民政局" in page.text, street.text
        assert client.get(f"/s/{sign_signer(SIGNER).code('ZZZZZZZZ')}").status_code == 404

        # The sample's own address still opens, named 新城区.
        own = next(a for a in store.select("addresses", limit=50) if a.get("qr_token"))
        mine = client.get(f"/api/standard-addresses/lookup/{address_code(SIGNER, own['qr_token'])}")
        assert mine.status_code == 200 and mine.json()["district"] == "新城区", mine.text


@on_postgis
def test_plate_lookups_are_kept_for_every_district(planted) -> None:
    """The refresher's rounds reach 150121 (its own state row, its own plates) without recomputing or
    dropping 新城区's lookups; a lookup of the 150121 plate then answers from its stored row."""
    store, found = planted
    uid = found["uids"]["door_plates"]
    refresh_plate_lookups(store)  # 新城区 current (the plant wrote nothing of 新城区's)
    own_rows, own_seq = stored.stored_lookups(store), stored.processed_seq(store)
    assert stored_plate_view(store.for_district(OTHER), uid).services_as_of is None  # not yet computed

    done = refresh_every_district(store)
    assert list(done) == [store.adcode, OTHER] and done[store.adcode] is None
    assert done[OTHER] is not None and done[OTHER].computed >= 1
    view = stored_plate_view(store.for_district(OTHER), uid)
    assert view.services_as_of is not None and not view.services_stale and view.district == OTHER_NAME
    other_rows = stored.stored_lookups(store.for_district(OTHER))
    assert set(other_rows) == {uid}
    # 新城区's lookups and progress are untouched; each district has its own state row (150102 keeps 1).
    assert stored.stored_lookups(store) == own_rows and stored.processed_seq(store) == own_seq
    with store.whole().reading() as conn:
        ids = set(conn.execute(sa.select(schema.plate_lookup_state.c.id)).scalars())
    assert ids == {stored.STATE_ID, int(OTHER)}
    assert refresh_every_district(store) == {store.adcode: None, OTHER: None}  # nothing left to do


@on_postgis
def test_another_districts_standard_address_starts_with_its_own_district(planted) -> None:
    """A building added below 150121's plate by 150121's use case reads 内蒙古自治区呼和浩特市 + 150121's own
    name (its outline row), not 新城区; its QR token says 150121."""
    store, found = planted
    other = store.for_district(OTHER)
    building = add_building(other, found["uids"]["door_plates"], "8", actor="tumed-officer")
    assert building["standard_address"].startswith(f"内蒙古自治区呼和浩特市土默特左旗{PROBE}")
    assert "新城区" not in building["standard_address"] and building["adcode"] == OTHER
    assert token_place(building["qr_token"])[0] == OTHER and address_district(store, building["qr_token"]) == OTHER
