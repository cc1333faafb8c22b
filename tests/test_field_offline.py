"""Offline-first field inspection and external GNSS positions (issue #16 part 5).

- NMEA sentences from a survey receiver: parsed and checked on the server (geo/boundaries/nmea.py),
  against published reference sentences and sentences checksummed here by the NMEA 0183 rule.
- A record says where its position came from (phone, external GNSS, NMEA, manual), through the use case
  and the HTTP API, both backends; a refused source or a damaged sentence stores nothing.
- In headless Chromium against the real server: the campaign opened online, the network switched off
  (CDP, page and service worker), the page reloaded from the service worker, a record with a photo
  queued in IndexedDB, the tab closed and opened again offline, the network back on, sent once, sent
  again (a double sync), exactly one record; then an NMEA record and a damaged NMEA sentence refused.
"""

from __future__ import annotations

import asyncio
import base64
import json
import operator
import re
import shutil
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import reduce
from zoneinfo import ZoneInfo

import httpx
import pytest
import shapely
import sqlalchemy as sa

from api.app import create_app
from geo import crs as C
from geo.boundaries.inspections import create_campaign, submit
from geo.boundaries.nmea import parse_nmea
from geo.errors import InputError
from geo.store import Store, schema
from tests.cdp import Browser
from tests.conftest import USERS, running_server, server_settings
from tests.test_field_loop import log_in_on_phone
from tests.test_inspections import _record, _setup
from tests.test_officer_pages import login

# The reference pair from the NMEA 0183 descriptions (gpsd's "NMEA revealed"): 48°07.038' N, 11°31.000' E.
REFERENCE_GGA = "$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47"
REFERENCE_RMC = "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A"


def _sentence(body: str) -> str:
    """Return ``$body*HH`` with the NMEA 0183 checksum: XOR of every character between ``$`` and ``*``."""
    return f"${body}*{reduce(operator.xor, body.encode('ascii'), 0):02X}"


def _ddmm(value: float, width: int) -> str:
    degrees = int(abs(value))
    return f"{degrees:0{width}d}{(abs(value) - degrees) * 60:011.8f}"


def _gga(lon: float, lat: float, *, quality: int = 4, satellites: int = 14, hdop: float = 0.8,
         talker: str = "GN") -> str:
    return _sentence(f"{talker}GGA,031245.00,{_ddmm(lat, 2)},N,{_ddmm(lon, 3)},E,{quality},{satellites:02d},"
                     f"{hdop},1052.3,M,-21.4,M,1.0,0001")


def _png() -> bytes:
    """A real 2×2 PNG (red), built by the PNG rules: signature, IHDR, IDAT (zlib), IEND with CRCs."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


# --- the NMEA parser -------------------------------------------------------------------------------------

def test_reference_sentences_give_position_quality_and_date():
    fix = parse_nmea(f"{REFERENCE_GGA}\r\n{REFERENCE_RMC}\n")
    assert fix.lat == pytest.approx(48 + 7.038 / 60) and fix.lon == pytest.approx(11 + 31 / 60)
    assert (fix.quality, fix.hdop, fix.satellites, fix.utc_time, fix.utc_date) == (1, 0.9, 8, "12:35:19", "1994-03-23")
    assert fix.detail == "单点定位 autonomous GNSS · HDOP 0.9 · 8 颗卫星 satellites · UTC 1994-03-23 12:35:19"


def test_rtk_fixed_and_float_are_reported_south_and_west_signed():
    fixed = parse_nmea(_gga(111.6712345, 40.8412345))
    assert fixed.lon == pytest.approx(111.6712345, abs=1e-9) and fixed.lat == pytest.approx(40.8412345, abs=1e-9)
    assert fixed.detail.startswith("RTK 固定解 RTK fixed · HDOP 0.8 · 14 颗卫星 satellites")
    assert parse_nmea(_gga(111.6, 40.8, quality=5, talker="GP")).quality_zh == "RTK 浮点解"
    south_west = parse_nmea(_sentence("GPGGA,000001,3345.000,S,07030.000,W,2,09,1.1,10,M,0,M,,"))
    assert south_west.lat == pytest.approx(-33.75) and south_west.lon == pytest.approx(-70.5)


@pytest.mark.parametrize(("text", "says"), [
    (REFERENCE_GGA[:-2] + "48", "第 1 行校验和不符"),                       # damaged checksum
    (f"{REFERENCE_RMC}\n{REFERENCE_GGA.replace('545.4', '545.5')}", "第 2 行校验和不符"),  # damaged in copying
    (REFERENCE_GGA.split("*")[0], "第 1 行校验和不符"),                      # no checksum at all
    (REFERENCE_RMC, "没有 GGA 定位语句"),
    (_gga(111.6, 40.8, quality=0), "定位质量为 0"),
    (_gga(111.6, 40.8, quality=7), "定位质量为 7"),
    (f"{_gga(111.6, 40.8)}\n{_sentence('GNRMC,031245.00,V,4050.0,N,11136.0,E,0,0,021226,,')}", "RMC 状态为无效"),
    ("   ", "须粘贴接收机"),
])
def test_bad_sentences_are_refused_naming_the_field(text, says):
    with pytest.raises(InputError) as caught:
        parse_nmea(text)
    assert caught.value.field == "nmea" and says in caught.value.message, caught.value.message


# --- position sources through the use case and the API ---------------------------------------------------

def test_nmea_record_stores_what_the_sentence_said_not_what_the_page_claims(store: Store):
    campaign = _setup(store)
    marker = shapely.Point(111.70, 40.90)
    east = C.from_metric(shapely.Point(C.to_metric(marker).x + 0.5, C.to_metric(marker).y))  # 0.5 m east
    data = _record(campaign, client_id="rtk-000001", gnss_accuracy_m=0.03, position_source="nmea",
                   nmea=_gga(east.x, east.y), position={"lon": 111.7003, "lat": 40.9003, "crs": "wgs84"})
    rec, created = submit(store, data, actor="inspector-zhao")
    assert created and rec["position_source"] == "nmea"
    assert rec["position_detail"].startswith("RTK 固定解 RTK fixed · HDOP 0.8 · 14 颗卫星 satellites")
    assert rec["displacement_m"] == pytest.approx(0.5, abs=0.005)  # the sentence's position, not the page's
    again, created = submit(store, data, actor="inspector-zhao")  # the queue sending it twice
    assert not created and again["id"] == rec["id"] and store.count("inspections") == 1


def test_external_receiver_in_north_east_and_manual_entry_say_their_source(store: Store):
    campaign = _setup(store)
    grid = C.to_metric(shapely.Point(111.70, 40.90))
    typed = {"lon": grid.x + 1.2, "lat": grid.y, "crs": "EPSG:4546"}  # E, N in the 3° zone: 1.2 m east
    rec, _ = submit(store, _record(campaign, client_id="rtk-000002", gnss_accuracy_m=0.02,
                                   position_source="external_gnss", position=typed), actor="inspector-zhao")
    assert rec["position_source"] == "external_gnss" and rec["displacement_m"] == pytest.approx(1.2, abs=0.005)
    assert rec["position_detail"] == ("外接 GNSS 接收机，标称精度 ±0.02 米（EPSG:4546） · "
                                      "external GNSS receiver, stated accuracy ±0.02 m (EPSG:4546)")
    assert rec["classification"] == "displaced"  # 1.2 m > max(2 × 0.02 m, 1 m): only a receiver shows it
    manual, _ = submit(store, _record(campaign, client_id="hand-000003", position_source="manual"), actor="zhao")
    assert manual["position_source"] == "manual" and manual["position_detail"].startswith("手工输入坐标")
    old, _ = submit(store, _record(campaign, client_id="old-client-4"), actor="zhao")  # an older client: none
    assert old["position_source"] is None and old["position_detail"] is None


@pytest.mark.parametrize(("extra", "field", "says"), [
    ({"position_source": "gps"}, "position_source", "BM-02"),
    ({"position_source": "nmea", "nmea": REFERENCE_GGA[:-2] + "00"}, "nmea", "校验和不符"),
    ({"position_source": "nmea"}, "nmea", "须粘贴接收机"),
])
def test_a_bad_source_or_sentence_stores_nothing(store: Store, extra, field, says):
    campaign = _setup(store)
    with pytest.raises(InputError) as caught:
        submit(store, _record(campaign, client_id="bad-source-1", **extra), actor="inspector-zhao")
    assert caught.value.field == field and says in caught.value.message, caught.value.message
    assert store.count("inspections") == 0 and store.count("inspection_photos") == 0


def _rtk_campaign(store: Store, required_m: float) -> dict:
    _setup(store)
    return create_campaign(store, {"name": f"RTK {required_m}", "line_codes": ["XH01"],
                                   "required_accuracy_m": required_m}, actor="admin")


def test_nmea_accuracy_cannot_be_claimed_better_than_its_fix_quality(store: Store):
    tight = _rtk_campaign(store, 0.5)
    autonomous = _gga(111.70, 40.90, quality=1, hdop=2.5)  # floor 3 m × HDOP 2.5 = 7.5 m
    with pytest.raises(InputError) as caught:  # the review's case: single point, HDOP 2.5, "0.02 m" typed
        submit(store, _record(tight, client_id="floor-0001", gnss_accuracy_m=0.02, position_source="nmea",
                              nmea=autonomous), actor="inspector-zhao")
    said = caught.value.message
    assert caught.value.field == "gnss_accuracy_m" and "gnss_accuracy_m" in said, said
    assert "单点定位" in said and "HDOP 2.5" in said and "±7.5 米" in said and "±0.02" in said, said
    with pytest.raises(InputError) as caught:  # none typed: the floor (7.5 m) is the accuracy, worse than 0.5 m
        submit(store, _record(tight, client_id="floor-0002", gnss_accuracy_m=None, position_source="nmea",
                              nmea=autonomous), actor="inspector-zhao")
    assert caught.value.field == "gnss_accuracy_m" and "7.5" in caught.value.message
    assert store.count("inspections") == 0 and store.count("inspection_photos") == 0
    # RTK fixed with none typed: recorded at its floor, 2 cm, and the detail says so.
    rec, _ = submit(store, _record(tight, client_id="floor-0003", gnss_accuracy_m=None, position_source="nmea",
                                   nmea=_gga(111.70, 40.90, quality=4)), actor="inspector-zhao")
    assert rec["gnss_accuracy_m"] == pytest.approx(0.02) and "下限 ±0.02 米" in rec["position_detail"]
    loose = create_campaign(store, {"name": "宽松", "line_codes": ["XH01"], "required_accuracy_m": 5}, actor="admin")
    expected = {(5, 0.8, None): 0.2, (9, 1.2, None): 1.2, (2, 0.8, 0.4): 0.4, (1, 0.9, 3.0): 3.0}
    for n, ((quality, hdop, typed), accuracy) in enumerate(expected.items()):
        rec, _ = submit(store, _record(loose, client_id=f"floor-ok-{n:03d}", gnss_accuracy_m=typed,
                                       position_source="nmea", nmea=_gga(111.70, 40.90, quality=quality, hdop=hdop)),
                        actor="inspector-zhao")
        assert rec["gnss_accuracy_m"] == pytest.approx(accuracy), (quality, hdop, typed)
    for quality, hdop, typed in ((2, 0.8, 0.3), (5, 0.8, 0.1), (9, 1.0, 0.5)):  # better than the floor
        with pytest.raises(InputError) as caught:
            submit(store, _record(loose, client_id=f"floor-bad-{quality}", gnss_accuracy_m=typed,
                                  position_source="nmea", nmea=_gga(111.70, 40.90, quality=quality, hdop=hdop)),
                   actor="inspector-zhao")
        assert caught.value.field == "gnss_accuracy_m" and f"定位质量 {quality}" in caught.value.message
    assert store.count("inspections") == 5


@pytest.mark.parametrize("hdop", ["nan", "inf", "0", "-1"])
def test_a_sentence_with_an_impossible_hdop_is_refused(hdop):
    sentence = _sentence(f"GPGGA,031245.00,4054.0,N,11142.0,E,1,08,{hdop},1052.3,M,-21.4,M,,")
    with pytest.raises(InputError) as caught:
        parse_nmea(sentence)
    assert caught.value.field == "nmea" and "HDOP" in caught.value.message


@pytest.mark.parametrize("value", ["nan", "NaN", "-1", "inf", "abc", 0, -2.5, float("nan"), True])
def test_an_accuracy_that_is_not_a_valid_number_is_refused_naming_the_field(store: Store, value):
    campaign = _setup(store)
    with pytest.raises(InputError) as caught:
        submit(store, _record(campaign, client_id="nan-accuracy-1", gnss_accuracy_m=value), actor="inspector-zhao")
    assert caught.value.field == "gnss_accuracy_m" and "gnss_accuracy_m" in caught.value.message
    assert "不是有效数值" in caught.value.message and "nan 米" not in caught.value.message
    assert store.count("inspections") == 0 and store.count("inspection_photos") == 0


def test_accuracy_rules_hold_on_the_api_the_queue_and_the_form(writable_server, writable_sample_store):
    admin, inspector = _bearer(writable_server, "admin"), _bearer(writable_server, "boundary_inspector")
    cid = httpx.post(f"{writable_server}/api/inspections/campaigns", headers=admin,
                     json={"name": "RTK 0.5", "line_codes": ["XS01"], "required_accuracy_m": 0.5}).json()["id"]
    m = writable_sample_store.select("boundary_markers", where={"marker_no": "XS01005A"})[0]["geometry"]
    single = _gga(m.x, m.y, quality=1, hdop=2.5)
    body = {"client_id": "api-floor-01", "campaign_id": cid, "marker_no": "XS01005A", "condition": "intact",
            "gnss_accuracy_m": 0.02, "position_source": "nmea", "nmea": single}
    api = httpx.post(f"{writable_server}/api/inspections", headers=inspector, json=body)
    assert api.status_code == 400 and api.json()["field"] == "gnss_accuracy_m", api.text
    assert "HDOP 2.5" in api.json()["message"] and "7.5" in api.json()["message"]
    raw = (f'{{"client_id": "api-nan-0001", "campaign_id": {cid}, "marker_no": "XS01005A", "condition": "intact",'
           f' "gnss_accuracy_m": NaN, "position": {{"lon": {m.x!r}, "lat": {m.y!r}}}}}')
    nan = httpx.post(f"{writable_server}/api/inspections", content=raw,
                     headers={**inspector, "Content-Type": "application/json"})
    assert nan.status_code in (400, 422) and "gnss_accuracy_m" in nan.text, nan.text
    path = f"/field/campaigns/{cid}/markers/XS01005A"
    origin = {"Origin": writable_server}
    with httpx.Client(base_url=writable_server, follow_redirects=True) as c:
        name, password = USERS["boundary_inspector"]
        assert login(c, {"username": name, "password": password}).status_code == 200
        token = c.get("/field/session").json()["csrf_token"]
        form = {"client_id": "queue-acc-0001", "condition": "intact", "position_source": "phone", "lon": str(m.x),
                "lat": str(m.y), "csrf_token": token}
        for n, value in enumerate(("nan", "-1", "abc")):
            queued = c.post(f"{path}/queued", data={**form, "client_id": f"queue-acc-{n:04d}", "accuracy": value},
                            headers=origin)
            said = queued.json()
            assert queued.status_code == 400 and said["field"] == "gnss_accuracy_m", queued.text
            assert "不是有效数值" in said["error"] and "请在开阔处稍候" not in said["error"], said
            page = c.post(path, data={**form, "client_id": f"form-acc-{n:04d}", "accuracy": value}, headers=origin)
            assert page.status_code == 400 and "不是有效数值" in page.text and "±nan" not in page.text
            assert "请在开阔处稍候" not in page.text
        nmea = {**form, "position_source": "nmea", "nmea": single, "accuracy": "0.02", "client_id": "queue-nmea-01"}
        refused = c.post(f"{path}/queued", data=nmea, headers=origin)
        assert refused.status_code == 400 and refused.json()["field"] == "gnss_accuracy_m"
        assert "HDOP 2.5" in refused.json()["error"], refused.text
        none_typed = c.post(f"{path}/queued", data={**nmea, "accuracy": ""}, headers=origin)  # floor 7.5 m > 0.5 m
        assert none_typed.status_code == 400 and "7.5" in none_typed.json()["error"], none_typed.text
        assert writable_sample_store.select("inspections", where={"campaign_id": cid}) == []
        rtk = c.post(f"{path}/queued", data={**nmea, "accuracy": "", "nmea": _gga(m.x, m.y, quality=4),
                                             "client_id": "queue-nmea-02"}, headers=origin)
        assert rtk.status_code == 201, rtk.text
    (row,) = writable_sample_store.select("inspections", where={"campaign_id": cid})
    assert row["gnss_accuracy_m"] == pytest.approx(0.02) and row["position_source"] == "nmea"


def _bearer(base: str, role: str) -> dict[str, str]:
    login = httpx.post(f"{base}/api/auth/login", json=dict(zip(("username", "password"), USERS[role], strict=True)))
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def test_api_records_the_source_and_refuses_a_damaged_sentence(writable_server, writable_sample_store):
    admin, inspector = _bearer(writable_server, "admin"), _bearer(writable_server, "boundary_inspector")
    cid = httpx.post(f"{writable_server}/api/inspections/campaigns", headers=admin,
                     json={"name": "RTK 联检", "line_codes": ["XS01"], "required_accuracy_m": 1}).json()["id"]
    m = writable_sample_store.select("boundary_markers", where={"marker_no": "XS01005A"})[0]["geometry"]
    body = {"client_id": "api-rtk-0001", "campaign_id": cid, "marker_no": "XS01005A", "condition": "intact",
            "gnss_accuracy_m": 0.02, "position_source": "nmea", "nmea": _gga(m.x, m.y)}
    damaged = body["nmea"][:-1] + ("0" if body["nmea"][-1] != "0" else "1")
    bad = httpx.post(f"{writable_server}/api/inspections", headers=inspector, json={**body, "nmea": damaged})
    assert bad.status_code in (400, 422) and bad.json()["field"] == "nmea", bad.text
    assert "校验和不符" in bad.json()["message"]
    assert writable_sample_store.select("inspections", where={"campaign_id": cid}) == []
    ok = httpx.post(f"{writable_server}/api/inspections", headers=inspector, json=body)
    assert ok.status_code == 201, ok.text
    assert ok.json()["properties"]["position_source"] == "nmea"
    (row,) = writable_sample_store.select("inspections", where={"campaign_id": cid})
    assert row["position_detail"].startswith("RTK 固定解") and row["displacement_m"] == pytest.approx(0, abs=0.001)


def test_the_marker_page_lists_each_record_with_its_beijing_time(writable_server, writable_sample_store):
    """An inspector back at a marker tells today's record from an earlier one by its time, shown in Beijing time
    (the API is sent UTC; Hohhot reads UTC+8), the records in the order of the visits, not of their arrival (a
    record queued offline arrives late). A record restored without a time shows "—" and comes first, before one
    observed at the calendar's first moment; the page still opens."""
    admin, inspector = _bearer(writable_server, "admin"), _bearer(writable_server, "boundary_inspector")
    cid = httpx.post(f"{writable_server}/api/inspections/campaigns", headers=admin,
                     json={"name": "时间 联检", "line_codes": ["XS01"], "required_accuracy_m": 5}).json()["id"]
    m = writable_sample_store.select("boundary_markers", where={"marker_no": "XS01005A"})[0]["geometry"]
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    later, earlier, placeholder = now - timedelta(minutes=7), now - timedelta(minutes=40), now - timedelta(minutes=3)
    ids = {}
    for client, observed in (("api-time-0001", later), ("api-time-0004", placeholder), ("api-time-0002", earlier),
                             ("api-time-0003", placeholder)):
        body = {"client_id": client, "campaign_id": cid, "marker_no": "XS01005A", "condition": "intact",
                "gnss_accuracy_m": 2, "position": {"lon": m.x, "lat": m.y},
                "observed_at": observed.strftime("%Y-%m-%dT%H:%M:%SZ")}
        sent = httpx.post(f"{writable_server}/api/inspections", headers=inspector, json=body)
        assert sent.status_code == 201, sent.text
        ids[client] = sent.json()["id"]
    inspections = schema.metadata.tables["inspections"]
    with writable_sample_store.writing() as conn:  # as a restored backup may hold them (the column allows NULL)
        conn.execute(sa.update(inspections).where(inspections.c.id == ids["api-time-0003"]).values(observed_at=None))
        conn.execute(sa.update(inspections).where(inspections.c.id == ids["api-time-0004"])
                     .values(observed_at=datetime(1, 1, 1, tzinfo=UTC)))  # the calendar's first moment
    with httpx.Client(base_url=writable_server, follow_redirects=True) as c:
        name, password = USERS["boundary_inspector"]
        assert login(c, {"username": name, "password": password}).status_code == 200
        page = c.get(f"/field/campaigns/{cid}/markers/XS01005A")
    assert page.status_code == 200, page.text
    table = page.text.split("id='records'", 1)[1].split("</table>", 1)[0]
    assert "观测时间（北京时间）" in table
    in_hohhot = [t.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M") for t in (earlier, later)]
    shown = re.findall(r"<td class='observed'>([^<]*)</td>", table)
    assert shown == ["—", "0001-01-01 08:00", *in_hohhot], table
    assert later.strftime("%Y-%m-%d %H:%M") not in table  # not the UTC clock time
    rows = re.findall(r"<tr><td>(\d+) · ", table)
    assert rows == [str(ids[c]) for c in ("api-time-0003", "api-time-0004", "api-time-0002", "api-time-0001")], table


def test_queue_endpoints_need_a_session_and_a_token(writable_server, writable_sample_store):
    cid = create_campaign(writable_sample_store, {"name": "队列", "line_codes": ["XS01"], "required_accuracy_m": 5},
                          actor="t-admin")["id"]
    path = f"/field/campaigns/{cid}/markers/XS01005A/queued"
    form = {"client_id": "queue-000001", "condition": "missing", "accuracy": "3", "position_source": "phone"}
    origin = {"Origin": writable_server}
    with httpx.Client(base_url=writable_server) as anonymous:
        assert anonymous.get("/field/session").status_code == 401
        expired = anonymous.post(path, data=form, headers=origin)
        assert expired.status_code == 401 and expired.json()["login"] is True
        assert "重新登录" in expired.json()["error"]
    with httpx.Client(base_url=writable_server, follow_redirects=True) as c:
        name, password = USERS["boundary_inspector"]
        assert login(c, {"username": name, "password": password}).status_code == 200
        no_token = c.post(path, data=form, headers=origin)
        assert no_token.status_code == 403 and no_token.json()["field"] == "csrf_token"
        session = c.get("/field/session").json()
        assert session["username"] == name
        forged = c.post(path, data={**form, "csrf_token": session["csrf_token"]},
                        headers={"Origin": "https://evil.example"})  # the cookie and a valid token, another site
        assert forged.status_code == 403 and forged.json()["field"] == "csrf_token"
        bad = c.post(path, data={**form, "position_source": "gps", "csrf_token": session["csrf_token"]}, headers=origin)
        assert bad.status_code == 400 and bad.json()["field"] == "position_source" and "BM-02" in bad.json()["error"]
        assert writable_sample_store.select("inspections", where={"campaign_id": cid}) == []
        sent = [c.post(path, data={**form, "csrf_token": session["csrf_token"]}, headers=origin) for _ in range(2)]
        assert [r.status_code for r in sent] == [201, 200]
        assert sent[0].json()["record_id"] == sent[1].json()["record_id"]
        saved = c.get(sent[1].json()["saved_url"])
        assert saved.status_code == 200 and "已保存" in saved.text and "手机定位" in saved.text
        listing = c.get(f"/field/campaigns/{cid}/markers.json").json()
        assert "XS01005A" in {m["no"] for m in listing["markers"]}
        sw = c.get("/field/sw.js")
        assert sw.headers["content-type"].startswith("text/javascript") and "networkFirst" in sw.text
        assert sw.headers["service-worker-allowed"] == "/field"
    assert len(writable_sample_store.select("inspections", where={"campaign_id": cid})) == 1


# --- the phone with no network, in headless Chromium -----------------------------------------------------

@pytest.fixture
def phone() -> Iterator[Browser]:
    b = Browser(width=360, height=740)
    yield b
    b.close()


def _queue_text(b: Browser) -> str:
    return b.evaluate("(document.getElementById('queue') || {innerText: ''}).innerText") or ""


def _fill_nmea(b: Browser, sentences: str) -> None:
    b.evaluate("{const rec=document.forms.rec; rec.position_source.value='nmea';"
               "rec.position_source.dispatchEvent(new Event('change'));"
               f"rec.nmea.value={sentences!r}; rec.nmea.dispatchEvent(new Event('input'));"
               "rec.stated_accuracy.value='0.02'; rec.stated_accuracy.dispatchEvent(new Event('input'));}")


def _watch_problems(b: Browser) -> None:
    """Record every page's script errors and CSP refusals in ``window.__problems`` (checked by the test)."""
    b.send("Page.enable")
    b.send("Page.addScriptToEvaluateOnNewDocument", source=(
        "window.__problems=[];addEventListener('error',e=>__problems.push(String(e.message)));"
        "addEventListener('unhandledrejection',e=>__problems.push(String(e.reason)));"
        "addEventListener('securitypolicyviolation',e=>__problems.push('CSP '+e.violatedDirective));"))


def _watch_worker(b: Browser) -> list[str]:
    """Record the service worker's unhandled rejections and errors (``self.__problems``); return the sessions."""
    sessions = list(b._sessions.values())
    for session in sessions:
        b.send_to(session, "Runtime.evaluate", expression=(
            "self.__problems=[];addEventListener('unhandledrejection',e=>__problems.push(String(e.reason)));"
            "addEventListener('error',e=>__problems.push(String(e.message)));"))
    return sessions


def _worker_problems(b: Browser, sessions: list[str]) -> list[str]:
    return [p for session in sessions for p in json.loads(b.send_to(
        session, "Runtime.evaluate", expression="JSON.stringify(self.__problems)", returnByValue=True)
        ["result"]["value"])]


def _queue_emptied(b: Browser) -> None:
    """Wait until the page's queue is empty; fail showing what is still queued and why."""
    deadline = time.time() + 20
    while time.time() < deadline:
        if "没有待同步" in (b.evaluate("(document.getElementById('queue-count') || {}).textContent") or ""):
            return
        time.sleep(0.2)
    left = b.evaluate("fieldQueue.all().then(a => JSON.stringify(a.map(i => [i.marker_no, i.state, i.error])))")
    raise AssertionError(f"the queue was not sent: {left} {b.evaluate('JSON.stringify(window.__problems)')}")


def test_offline_record_with_photo_survives_reload_and_reopen_then_syncs_once(writable_server,
                                                                              writable_sample_store, phone):
    cid = create_campaign(writable_sample_store, {"name": "大青山联检", "line_codes": ["XS01"],
                                                  "required_accuracy_m": 5}, actor="t-admin")["id"]
    target = writable_sample_store.select("boundary_markers", where={"marker_no": "XS01012Q"})[0]["geometry"]
    reg = C.to_metric(target)
    near = C.from_metric(type(reg)(reg.x + 3, reg.y))
    phone.send("Browser.grantPermissions", permissions=["geolocation"], origin=writable_server)
    phone.send("Emulation.setGeolocationOverride", latitude=near.y, longitude=near.x, accuracy=2)
    _watch_problems(phone)
    log_in_on_phone(phone, writable_server, f"/field/campaigns/{cid}")
    phone.wait_for("document.body.dataset.offlineReady === '1' && !!navigator.serviceWorker.controller",
                   timeout_s=60)

    # No network: the campaign page reloads from the service worker, and a marker's form opens.
    phone.set_online(False)
    worker = _watch_worker(phone)
    assert phone.evaluate("navigator.onLine") is False and worker
    phone.goto(f"{writable_server}/field/campaigns/{cid}")
    assert "XS01012Q" in phone.evaluate("document.body.innerText")
    phone.wait_for("document.getElementById('offline-state').textContent.includes('记录先保存在本机')")
    said = phone.wait_for("document.getElementById('served-state').textContent")  # a kept copy, not called current
    assert said.startswith("离线：这是本机保存的页面，不是最新的") and "not the latest" in said, said
    phone.goto(f"{writable_server}/field/campaigns")
    time.sleep(0.5)
    assert _worker_problems(phone, worker) == []  # a failed fetch is handled: no unhandled rejection in the worker
    assert phone.evaluate("window.__problems") == []
    phone.goto(f"{writable_server}/field/campaigns/{cid + 1}")  # never opened: the worker's own answer, no server
    assert "没有网络，本页也未保存在本机" in phone.evaluate("document.body.innerText")
    phone.goto(f"{writable_server}/field/campaigns/{cid}/markers/XS01012Q")
    phone.wait_for("document.forms.rec && document.forms.rec.accuracy.value")
    photo = base64.b64encode(_png()).decode()
    phone.evaluate(
        "{const rec=document.forms.rec; rec.condition.value='damaged'; rec.remarks.value='碑体倾斜 <b>';"
        f"const bytes=Uint8Array.from(atob({photo!r}), c=>c.charCodeAt(0));"
        "const dt=new DataTransfer(); dt.items.add(new File([bytes], 'marker.png', {type:'image/png'}));"
        "rec.photo.files=dt.files; rec.photo.dispatchEvent(new Event('change'));"
        "document.getElementById('send').click();}")
    phone.wait_for("document.getElementById('saved-here').textContent.includes('待联网后自动发送')")
    assert "待同步 1 条" in phone.wait_for("document.getElementById('queue-count').textContent")
    assert writable_sample_store.select("inspections", where={"campaign_id": cid}) == []

    # The tab closed and opened again, still with no network: the record is still queued, photo and all.
    phone.reopen()
    _watch_problems(phone)
    phone.set_online(False)
    phone.goto(f"{writable_server}/field/campaigns/{cid}")
    queued = phone.wait_for("document.getElementById('queue-items') && "
                            "document.getElementById('queue-items').innerText")
    assert "XS01012Q" in queued and "损坏 damaged" in queued and "有照片" in queued, queued
    assert "待同步 1 条" in _queue_text(phone)
    copy = "fieldQueue.all().then(items => { window.__kept = items[0]; return items[0].photo.size; })"
    assert phone.evaluate(copy) == len(_png())
    assert writable_sample_store.select("inspections", where={"campaign_id": cid}) == []

    # The network back: sent on the `online` event, once.
    phone.set_online(True)
    _queue_emptied(phone)
    rows = writable_sample_store.select("inspections", where={"campaign_id": cid})
    assert len(rows) == 1 and rows[0]["condition"] == "damaged" and rows[0]["remarks"] == "碑体倾斜 <b>"
    assert rows[0]["position_source"] == "phone" and rows[0]["displacement_m"] == pytest.approx(3.0, abs=0.05)
    (stored_photo,) = writable_sample_store.select("inspection_photos", where={"inspection_id": rows[0]["id"]})
    assert bytes(stored_photo["data"]) == _png()

    # A double sync: the answer was lost, so the record is queued again and sent twice at once.
    sent = phone.evaluate("fieldQueue.put(window.__kept).then(() => Promise.all([fieldSync(), fieldSync()]))"
                          ".then(rs => rs.flatMap(r => r.sent.map(s => s.created)))")
    assert sent and not any(sent), sent  # the service answered "stored before"
    _queue_emptied(phone)
    assert len(writable_sample_store.select("inspections", where={"campaign_id": cid})) == 1
    assert len(writable_sample_store.select("inspection_photos", where={"inspection_id": rows[0]["id"]})) == 1

    # An RTK receiver's NMEA pasted on the form: stored with its source and what the sentence said.
    xs13 = writable_sample_store.select("boundary_markers", where={"marker_no": "XS01013Q"})[0]["geometry"]
    phone.goto(f"{writable_server}/field/campaigns/{cid}/markers/XS01013Q")
    phone.wait_for("document.forms.rec")
    _fill_nmea(phone, _gga(xs13.x, xs13.y))
    read = phone.evaluate("document.getElementById('nmea-read').textContent")
    assert read.startswith("RTK 固定解 RTK fixed · HDOP 0.8 · 14 颗卫星"), read
    phone.evaluate("document.forms.rec.lon.value='111.0'; document.getElementById('send').click()")  # a page's claim
    # an online save: the server writes the inspection and answers the saved page (60 s: a loaded CI machine)
    saved = phone.wait_for("location.pathname.includes('/saved/') && document.getElementById('source').innerText",
                           timeout_s=60)
    assert "NMEA 语句" in saved and "RTK 固定解" in saved, saved
    (nmea_row,) = writable_sample_store.select("inspections", where={"campaign_id": cid, "position_source": "nmea"})
    assert nmea_row["displacement_m"] == pytest.approx(0, abs=0.001)
    assert nmea_row["position_detail"].startswith("RTK 固定解 RTK fixed · HDOP 0.8 · 14 颗卫星 satellites")
    phone.goto(f"{writable_server}/field/campaigns/{cid}/markers/XS01013Q")
    assert "NMEA 语句" in phone.evaluate("document.getElementById('records').innerText")

    # A single-point fix claiming 2 cm: the page warns before sending (floor 3 m × HDOP 2.5 = 7.5 m); with no
    # accuracy typed, the floor is what the record says.
    _fill_nmea(phone, _gga(xs13.x, xs13.y, quality=1, hdop=2.5))
    warned = phone.evaluate("document.getElementById('warn-text').textContent")
    assert "HDOP 2.5" in warned and "±7.5 米" in warned and "gnss_accuracy_m" in warned, warned
    phone.evaluate("{const rec=document.forms.rec; rec.stated_accuracy.value='';"
                   "rec.stated_accuracy.dispatchEvent(new Event('input'));}")
    assert phone.evaluate("document.forms.rec.accuracy.value") == "7.5"

    # A damaged sentence: refused by the service naming the field, kept in the queue to fix, nothing stored.
    _fill_nmea(phone, REFERENCE_GGA[:-2] + "00")
    assert phone.evaluate("document.getElementById('nmea-read').textContent").startswith("✗ 第 1 行校验和不符")
    phone.evaluate("document.forms.rec.lon.value='111.6'; document.forms.rec.lat.value='40.8';"
                   "document.getElementById('send').click()")
    refused = phone.wait_for("!document.getElementById('refused').classList.contains('hidden') && "
                             "document.getElementById('refused').textContent")
    assert "校验和不符" in refused and "nmea" in refused, refused
    assert "被拒绝" in phone.wait_for("document.getElementById('queue-items').innerText")
    assert len(writable_sample_store.select("inspections", where={"campaign_id": cid})) == 2
    assert phone.evaluate("window.__problems") == []

    # Logging out deletes the kept pages; the unsent (refused) record stays for its inspector. With no
    # network the page says the server's session is still open, and ends it once the network is back.
    assert phone.evaluate("caches.keys().then(k => k.join())") == "xincheng-field-v1"
    phone.set_online(False)
    phone.evaluate("document.querySelector(\"form[action='/officer/logout'] button\").click()")
    note = phone.wait_for("document.getElementById('logout-pending') && "
                          "document.getElementById('logout-pending').textContent")
    assert note.startswith("没有网络") and "尚未退出" in note and "once online" in note, note
    assert phone.evaluate("caches.keys().then(k => k.join())") == ""
    assert phone.evaluate("location.pathname").startswith("/field/")
    phone.set_online(True)
    phone.wait_for("location.pathname === '/officer/login' && document.readyState === 'complete'", timeout_s=60)
    assert phone.evaluate("fetch('/field/session').then(r => r.status)") == 401  # the server's session ended
    assert phone.evaluate("caches.keys().then(k => k.join())") == ""
    kept = phone.evaluate("new Promise(ok => { const r = indexedDB.open('xincheng-field', 1);"
                          "r.onsuccess = () => { const q = r.result.transaction('queue').objectStore('queue').count();"
                          "q.onsuccess = () => ok(q.result); }; })")
    assert kept == 1


def test_a_server_that_cannot_save_now_keeps_the_queue_and_says_it_retries(writable_server, writable_sample_store,
                                                                           phone):
    """A 503 from /field/session (the database away) was read as the session: every record was then skipped in
    silence as another user's. Now the queue is kept and the page says it is tried again, with the server's words.
    The server's 503 itself is tested for real in tests/test_database_outage.py; here the page's answer to it."""
    cid = create_campaign(writable_sample_store, {"name": "大青山联检", "line_codes": ["XS01"],
                                                  "required_accuracy_m": 5}, actor="t-admin")["id"]
    _watch_problems(phone)
    log_in_on_phone(phone, writable_server, f"/field/campaigns/{cid}")
    phone.wait_for("document.body.dataset.offlineReady === '1' && !!document.getElementById('queue-count')",
                   timeout_s=60)
    queued = phone.evaluate(
        "fieldQueue.all().then(() => fetch('/field/session').then(r => r.json())).then(s => fieldQueue.put({"
        "client_id: 'c-503', user: s.username, marker_no: 'XS01012Q', state: 'waiting', saved_at: new Date()"
        ".toISOString(), sync_url: location.pathname + '/markers/XS01012Q/queued', fields: {condition: 'intact'}}))"
        ".then(() => fieldQueue.all()).then(a => a.length)")
    assert queued == 1
    said = "数据库暂时无法连接或正忙，请约 30 秒后重试 · the database cannot be reached or is busy right now"
    phone.evaluate(  # the server's answer while its database is away
        "{const real = window.fetch; window.fetch = (u, o) => String(u).includes('/field/session') ? "
        "Promise.resolve(new Response(JSON.stringify({error: 'database_unavailable', message: "
        f"{said!r}, status: 503}}), {{status: 503, headers: {{'content-type': 'application/json'}}}})) "
        ": real(u, o);}")
    result = phone.evaluate("fieldSync().then(r => JSON.stringify(r))")
    assert '"sent":[]' in result and said in result, result
    busy = phone.wait_for("document.getElementById('queue-busy') && document.getElementById('queue-busy').textContent")
    assert busy.startswith("暂未发送，稍后自动重试") and said in busy, busy
    assert "待同步 1 条" in _queue_text(phone)
    assert phone.evaluate("fieldQueue.all().then(a => a.map(i => i.state).join())") == "waiting"
    assert writable_sample_store.select("inspections", where={"campaign_id": cid}) == []
    assert phone.evaluate("window.__problems") == []


def _own_sample(sample_templates, tmp_path) -> Store:
    """Return this test's own copy of the sample district in a SQLite file under ``tmp_path`` (for a test that
    serves it itself)."""
    url, drop = sample_templates("sqlite").copy()
    path = tmp_path / "x.db"
    shutil.copyfile(sa.make_url(url).database, path)
    drop()
    return Store.open(f"sqlite:///{path}")


def test_a_server_that_cannot_serve_gives_the_inspector_the_kept_page_and_says_so(sample_templates, tmp_path, phone):
    """The service worker passed the server's 503 page through (its database away) although the campaign was kept
    on the phone: the inspector lost the marker list. Now a 5xx answer falls back to the kept copy, as no network
    does, and the page says the server cannot serve; a page never kept still shows the server's own answer.

    The server's 503 is real: its SQLite file's folder is taken away and its pool emptied, so every new
    connection fails to open the file (SQLITE_CANTOPEN)."""
    url, drop = sample_templates("sqlite").copy()
    own = tmp_path / "db"
    own.mkdir()
    path = own / "x.db"
    shutil.copyfile(sa.make_url(url).database, path)
    drop()
    store = Store.open(f"sqlite:///{path}")
    away = tmp_path / "db-away"
    try:
        cid = create_campaign(store, {"name": "大青山联检", "line_codes": ["XS01"], "required_accuracy_m": 5},
                              actor="t-admin")["id"]
        settings = server_settings(store)
        app = create_app(settings)
        with running_server(settings, app=app) as base:
            _watch_problems(phone)
            log_in_on_phone(phone, base, f"/field/campaigns/{cid}")
            phone.wait_for("document.body.dataset.offlineReady === '1' && !!navigator.serviceWorker.controller",
                           timeout_s=60)
            store.close()
            own.rename(away)
            app.state.store.engine.dispose()
            try:
                assert httpx.get(f"{base}/api/health", timeout=30).status_code == 503  # the outage is real

                phone.goto(f"{base}/field/campaigns/{cid}")
                assert "XS01012Q" in phone.evaluate("document.body.innerText")  # the kept list, not the 503 page
                said = phone.wait_for("document.getElementById('served-state').textContent")
                assert said.startswith("服务器暂时无法服务：这是本机保存的页面，不是最新的"), said
                assert "cannot serve right now" in said, said
                said = phone.wait_for("document.getElementById('offline-state').textContent")  # said once, above
                assert said.startswith("记录先保存在本机，稍后自动发送"), said
                assert phone.evaluate("document.body.dataset.offlineReady") == "0"
                phone.goto(f"{base}/field/campaigns/{cid}/markers/XS01012Q")  # a kept form opens too
                phone.wait_for("!!document.forms.rec")
                phone.goto(f"{base}/field/campaigns/{cid + 1}")  # never kept: the server's own answer
                answer = phone.evaluate("document.body.innerText")
                assert "暂时无法服务" in answer, answer
                # ... which does not offer a logged-in inspector the login form: it could not read the session
                assert "登录 Log in" not in answer and "Log out" not in answer, answer
            finally:
                away.rename(own)
                app.state.store.engine.dispose()
            phone.goto(f"{base}/field/campaigns/{cid}")  # served again: the page is fresh and says it is kept
            phone.wait_for("document.body.dataset.offlineReady === '1'", timeout_s=60)
            assert "没有网络也可使用" in phone.evaluate("document.getElementById('offline-state').textContent")
            assert phone.evaluate("window.__problems") == []
    finally:
        if away.exists():
            away.rename(own)
        store.close()


def test_a_server_out_of_reach_while_the_phone_counts_as_online_is_said_so_not_blamed_on_the_server(
        sample_templates, tmp_path, phone):
    """Signal bars but no data: the phone counts as online, the server cannot be reached. The kept page was shown
    with no word at all; and where a page had not been kept, the phone's own "no network" answer (a 503) was
    read as the server's failure. Now the campaign page says the server cannot be reached, in both cases."""
    store = _own_sample(sample_templates, tmp_path)
    try:
        cid = create_campaign(store, {"name": "大青山联检", "line_codes": ["XS01"], "required_accuracy_m": 5},
                              actor="t-admin")["id"]
        settings = server_settings(store)
        with running_server(settings) as base:
            _watch_problems(phone)
            log_in_on_phone(phone, base, f"/field/campaigns/{cid}")
            phone.wait_for("document.body.dataset.offlineReady === '1' && !!navigator.serviceWorker.controller",
                           timeout_s=60)
        with pytest.raises(httpx.TransportError):  # the server is gone; the phone still counts as online
            httpx.get(f"{base}/api/health", timeout=5)
        assert phone.evaluate("navigator.onLine") is True
        for dropped in ("", f"/field/campaigns/{cid}/markers.json"):  # all kept; the marker list not kept
            if dropped:
                phone.evaluate(f"caches.open('xincheng-field-v1').then(c => c.delete({dropped!r}))")
            phone.goto(f"{base}/field/campaigns/{cid}")
            assert "XS01012Q" in phone.evaluate("document.body.innerText")
            said = phone.wait_for("document.getElementById('served-state').textContent")
            assert said.startswith("连不上服务器：这是本机保存的页面，不是最新的"), (dropped, said)
            state = phone.wait_for("document.getElementById('offline-state').textContent")
            assert state.startswith("记录先保存在本机，稍后自动发送"), (dropped, state)
            assert "服务器暂时无法服务" not in said + state
        assert phone.evaluate("window.__problems") == []
    finally:
        store.close()


def _weak_signal(app, hold: threading.Event, let_go: threading.Event):
    """Return ``app`` behind a weak signal: a /field request that comes while ``hold`` is set is answered by the
    server at once (the answer of that moment), and the answer reaches the phone only once ``let_go`` is set."""
    async def weak(scope, receive, send):
        if not (scope["type"] == "http" and hold.is_set() and scope["path"].startswith("/field")
                and scope["path"] != "/field/sw.js"):
            await app(scope, receive, send)
            return
        answer: list[dict] = []

        async def keep(message: dict) -> None:
            answer.append(message)

        await app(scope, receive, keep)
        while not let_go.is_set():
            await asyncio.sleep(0.05)
        for message in answer:
            await send(message)
    return weak


def test_a_weak_signal_gives_the_kept_page_says_it_is_not_the_latest_then_keeps_the_late_answer(
        sample_templates, tmp_path, phone):
    """Signal bars and a trickle of data: the server's answer does not come. Network first waited as long as the
    network did before the kept page showed. Now, with a copy kept, the service worker gives it after its wait
    (6 s), the page says it is the kept copy and not the latest; the answer, when it comes, is kept and the page
    offers it. An answer that comes after a logout is not kept. The slow network is the real server holding
    its /field answers (the phone's connection open, nothing coming back) until the test lets them go."""
    store = _own_sample(sample_templates, tmp_path)
    hold, let_go = threading.Event(), threading.Event()
    try:
        cid = create_campaign(store, {"name": "大青山联检", "line_codes": ["XS01"], "required_accuracy_m": 5},
                              actor="t-admin")["id"]
        settings = server_settings(store)
        app = create_app(settings)

        with running_server(settings, app=_weak_signal(app, hold, let_go)) as base:
            page = f"{base}/field/campaigns/{cid}"
            _watch_problems(phone)
            log_in_on_phone(phone, base, f"/field/campaigns/{cid}")
            phone.wait_for("document.body.dataset.offlineReady === '1' && !!navigator.serviceWorker.controller",
                           timeout_s=60)
            assert phone.evaluate("document.body.dataset.served") == "fresh"
            assert phone.evaluate("document.getElementById('served-state').textContent") == ""
            marker = store.select("boundary_markers", where={"marker_no": "XS01012Q"})[0]["geometry"]
            record, _ = submit(store, {"client_id": "weak-signal-0001", "campaign_id": cid, "marker_no": "XS01012Q",
                                       "condition": "intact", "gnss_accuracy_m": 2.0, "fixes": 10,
                                       "position": {"lon": marker.x, "lat": marker.y, "crs": "EPSG:4490"},
                                       "photo": {"data_base64": base64.b64encode(_png()).decode()}},
                               actor="inspector-zhao")
            saved = f"{page}/markers/XS01012Q/saved/{record['id']}"
            phone.goto(saved)  # opened once online: kept, like every field page
            phone.wait_for("document.body.dataset.served === 'fresh'")

            hold.set()  # from here the server holds every /field answer
            phone.evaluate("window.__before = 1")
            started = time.monotonic()
            phone.send("Page.navigate", url=f"{page}#queue")  # with a #part: the late answer is still offered
            phone.wait_for("!window.__before && document.readyState === 'complete' && document.body.dataset.served",
                           timeout_s=30)
            waited = time.monotonic() - started
            assert 5.5 < waited < 20, waited  # the service worker's wait, then the kept copy
            assert phone.evaluate("document.body.dataset.served") == "slow"
            assert "已检查 recorded 0" in phone.evaluate("document.body.innerText")  # the kept copy: before the record
            said = phone.evaluate("document.getElementById('served-state').textContent")
            assert said.startswith("网络慢：这是本机保存的页面，不是最新的") and "not the latest" in said, said
            state = phone.wait_for("document.getElementById('offline-state').textContent", timeout_s=30)
            assert state.startswith("记录先保存在本机，稍后自动发送"), state  # the cause said once, under the title

            let_go.set()  # the answers come: the late one is kept, and the page offers it
            said = phone.wait_for("document.body.dataset.served === 'refreshed' && "
                                  "document.getElementById('served-state').textContent", timeout_s=30)
            assert said.startswith("最新的页面已取回并保存在本机，本页仍是之前保存的"), said
            assert "open the latest" in said, said
            kept = phone.evaluate(f"caches.match({page!r}).then(a => a ? a.text() : '')")
            assert re.search(r"已检查 <span class='en'>recorded</span> 1", kept), "the late answer was not kept"

            # "Open it" with the signal still weak: the copy that has just arrived, at once, and said to be so, even
            # after the worker was stopped meanwhile (a browser stops an idle one after ~30 s; a review found the
            # offer then refused).
            phone.send("ServiceWorker.enable")
            phone.send("ServiceWorker.stopAllWorkers")
            hold.set()
            let_go.clear()
            phone.evaluate("window.__before = 1")
            started = time.monotonic()
            phone.evaluate("document.querySelector('#served-state a').click()")
            phone.wait_for("!window.__before && document.readyState === 'complete' && document.body.dataset.served",
                           timeout_s=30)
            assert time.monotonic() - started < 5  # not another weak-signal wait
            assert phone.evaluate("document.body.dataset.served") == "arrived"
            assert "已检查 recorded 1" in phone.evaluate("document.body.innerText")
            said = phone.evaluate("document.getElementById('served-state').textContent")
            assert said.startswith("这是刚刚取回并保存在本机的最新页面"), said

            # The marker form on a weak signal: the note is on the phone's first screen, under the title.
            phone.evaluate("window.__before = 1")
            phone.send("Page.navigate", url=f"{page}/markers/XS01012Q")
            phone.wait_for("!window.__before && document.readyState === 'complete' && "
                           "document.body.dataset.served === 'slow'", timeout_s=30)
            assert phone.evaluate("document.getElementById('served-state').getBoundingClientRect().bottom "
                                  "<= innerHeight && document.getElementById('served-state').textContent "
                                  ".startsWith('网络慢：这是本机保存的页面')")

            # The record's saved page: said to be the kept copy too; a logout there, then the late answer: not kept
            # (the next user of the phone sees nothing of this one).
            phone.evaluate("window.__before = 1")
            phone.send("Page.navigate", url=saved)
            phone.wait_for("!window.__before && document.readyState === 'complete' && "
                           "document.body.dataset.served === 'slow'", timeout_s=30)
            said = phone.evaluate("document.getElementById('served-state').textContent")
            assert said.startswith("网络慢：这是本机保存的页面，不是最新的"), said
            phone.evaluate("document.querySelector(\"form[action='/officer/logout'] button\").click()")
            phone.wait_for("caches.has('xincheng-field-v1').then(kept => !kept)", timeout_s=30)  # deleted at once
            let_go.set()  # the held answers come now (the logout's own check among them): none may be kept
            phone.wait_for("location.pathname === '/officer/login'", timeout_s=30)
            time.sleep(1)
            names = phone.evaluate("caches.keys()")
            left = phone.evaluate(f"caches.match({saved!r}).then(a => a ? 'kept' : 'none')")
            assert left == "none", names
            assert phone.evaluate("window.__problems") in ([], None)
    finally:
        let_go.set()
        store.close()


def test_a_logout_from_a_page_outside_the_field_pages_deletes_the_kept_field_pages(writable_server,
                                                                                  writable_sample_store, phone):
    """Reviews: the inspector logged out from the home page, from a map page (their own logout form), or someone
    else logged in over the session: the kept campaign stayed on the phone for the next user to be given on a
    weak signal or offline. Every page's logout, and every login, now deletes it; with no network the home
    page's logout says the server's session is still open and finishes it once online, as a field page does."""
    cid = create_campaign(writable_sample_store, {"name": "大青山联检", "line_codes": ["XS01"],
                                                  "required_accuracy_m": 5}, actor="t-admin")["id"]
    _watch_problems(phone)

    def keep_then(path: str) -> None:
        log_in_on_phone(phone, writable_server, f"/field/campaigns/{cid}")
        phone.wait_for("document.body.dataset.offlineReady === '1' && !!navigator.serviceWorker.controller",
                       timeout_s=60)
        phone.goto(f"{writable_server}{path}")
        assert phone.evaluate("caches.has('xincheng-field-v1')") is True

    def logged_out() -> None:
        phone.evaluate("window.__before = 1")
        phone.evaluate("document.querySelector(\"form[action='/officer/logout'] button\").click()")
        phone.wait_for("!window.__before && location.pathname === '/officer/login' && "
                       "document.readyState === 'complete'", timeout_s=30)
        assert phone.evaluate("caches.has('xincheng-field-v1')") is False

    keep_then("/")  # the home page
    logged_out()
    keep_then(f"/maps/campaigns/{cid}/report?format=html")  # a map page: the map menu's own logout form
    logged_out()
    keep_then("/officer/login")  # someone else logs in over the session
    name, password = USERS["admin"]
    phone.evaluate("window.__before = 1")
    phone.evaluate(f"document.querySelector('[name=username]').value={name!r};"
                   f"document.querySelector('[name=password]').value={password!r};"
                   "document.querySelector(\"form[action='/officer/login'] button\").click()")
    phone.wait_for("!window.__before && location.pathname !== '/officer/login' && document.readyState === 'complete'",
                   timeout_s=30)
    assert phone.evaluate("caches.has('xincheng-field-v1')") is False
    logged_out()
    keep_then("/")  # with no network: said, and finished once online
    phone.set_online(False)
    phone.evaluate("document.querySelector(\"form[action='/officer/logout'] button\").click()")
    said = phone.wait_for("document.getElementById('logout-pending') && "
                          "document.getElementById('logout-pending').textContent", timeout_s=30)
    assert said.startswith("没有网络：本机保存的页面已删除，但服务器上的登录尚未退出"), said
    assert phone.evaluate("caches.has('xincheng-field-v1')") is False
    phone.set_online(True)
    phone.wait_for("location.pathname === '/officer/login'", timeout_s=60)
    keep_then("/officer/login")  # a login tapped with no network: nothing deleted, nothing lost, said so
    phone.set_online(False)
    phone.evaluate(f"document.querySelector('[name=username]').value={name!r};"
                   f"document.querySelector('[name=password]').value={password!r};"
                   "document.querySelector(\"form[action='/officer/login'] button\").click()")
    said = phone.wait_for("document.getElementById('login-offline') && "
                          "document.getElementById('login-offline').textContent", timeout_s=30)
    assert said.startswith("没有网络，无法登录；本机保存的页面仍在"), said
    assert phone.evaluate("caches.has('xincheng-field-v1')") is True
    assert phone.evaluate("document.querySelector('[name=username]').value") == name
    phone.set_online(True)
    assert phone.evaluate("window.__problems") == []


def test_a_weak_signals_older_late_answer_never_replaces_a_newer_kept_copy_nor_opens_as_the_latest(
        sample_templates, tmp_path, phone):
    """Reviews: an answer held by a weak signal and let go after a newer one had been kept replaced it (the
    campaign went back to "recorded 0"); for two minutes after a late answer any visit was given the kept copy
    at once as "the latest"; a newer copy kept meanwhile was never offered. A late answer is kept only if no
    copy asked for after it is; the page is told of the newest copy kept; only its "open the latest" opens that
    copy at once (a made-up one is refused); a plain visit asks the network as ever."""
    store = _own_sample(sample_templates, tmp_path)
    hold, let_go = threading.Event(), threading.Event()
    try:
        cid = create_campaign(store, {"name": "大青山联检", "line_codes": ["XS01"], "required_accuracy_m": 5},
                              actor="t-admin")["id"]
        settings = server_settings(store)
        with running_server(settings, app=_weak_signal(create_app(settings), hold, let_go)) as base:
            page = f"{base}/field/campaigns/{cid}"
            _watch_problems(phone)
            log_in_on_phone(phone, base, f"/field/campaigns/{cid}")
            phone.wait_for("document.body.dataset.offlineReady === '1' && !!navigator.serviceWorker.controller",
                           timeout_s=60)
            hold.set()  # the campaign page asked now is answered "recorded 0", and held
            phone.evaluate("window.__before = 1")
            phone.send("Page.navigate", url=page)
            phone.wait_for("!window.__before && document.body.dataset.served === 'slow'", timeout_s=30)
            hold.clear()  # what is asked from now on comes at once
            marker = store.select("boundary_markers", where={"marker_no": "XS01012Q"})[0]["geometry"]
            submit(store, {"client_id": "weak-signal-0002", "campaign_id": cid, "marker_no": "XS01012Q",
                           "condition": "intact", "gnss_accuracy_m": 2.0, "fixes": 10,
                           "position": {"lon": marker.x, "lat": marker.y, "crs": "EPSG:4490"},
                           "photo": {"data_base64": base64.b64encode(_png()).decode()}}, actor="inspector-zhao")
            newer = phone.evaluate(f"fetch({page!r}, {{cache: 'no-store'}}).then(a => a.text())")
            assert "已检查 <span class='en'>recorded</span> 1" in newer
            let_go.set()  # the older answer ("recorded 0") comes last
            time.sleep(1.5)
            kept = phone.evaluate(f"caches.match({page!r}).then(a => a ? a.text() : '')")
            assert "已检查 <span class='en'>recorded</span> 1" in kept, "an older late answer replaced a newer copy"
            # The page was told of the newer copy (a review: only the late answer was announced, so a newer one
            # kept by the page's own fetch was never offered); a made-up copy is not opened as the latest.
            assert phone.evaluate("document.body.dataset.served") == "refreshed"
            assert phone.evaluate(f"fieldAsk({{type: 'open-arrived', url: {page!r}, token: '5'}}, 'none')") is False
            phone.evaluate("window.__before = 1")
            phone.evaluate("document.querySelector('#served-state a').click()")
            phone.wait_for("!window.__before && document.readyState === 'complete' && document.body.dataset.served",
                           timeout_s=30)
            assert phone.evaluate("document.body.dataset.served") == "arrived"
            assert "已检查 recorded 1" in phone.evaluate("document.body.innerText")
            phone.evaluate("window.__before = 1")
            phone.send("Page.navigate", url=page)  # a plain visit: the network's answer, not a kept copy
            phone.wait_for("!window.__before && document.readyState === 'complete' && document.body.dataset.served",
                           timeout_s=30)
            assert phone.evaluate("document.body.dataset.served") == "fresh"
            assert phone.evaluate("window.__problems") == []
    finally:
        let_go.set()
        store.close()
