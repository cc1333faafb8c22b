"""Smart door plates: signed codes, QR decoding with a real decoder, the public page in Chromium."""

from __future__ import annotations

import html
import re

import httpx
import pytest

from geo.plates.codes import InvalidCode, PlateSigner, plate_url
from geo.plates.qr import qr_png, qr_svg
from tests.browser import ARTIFACTS, dump_dom, screenshot
from tests.conftest import USERS, report_figure, running_server, server_settings
from tests.qr_decode import decode_qr

BASE = "https://mp.xincheng.example"


def test_codes_verify_and_tampering_is_refused():
    signer = PlateSigner.from_setting("", fallback_secret="s" * 40)
    code = signer.code("XCV87EZX")
    assert signer.verify(code) == "XCV87EZX" and len(code) == 19
    flipped = code[:-1] + ("A" if code[-1] != "A" else "B")
    with pytest.raises(InvalidCode) as err:
        signer.verify(flipped)
    assert "伪造" in err.value.message
    with pytest.raises(InvalidCode):
        signer.verify("XCV87EZY" + code[8:])  # another plate's id under this signature
    with pytest.raises(InvalidCode):
        signer.verify("not-a-code")
    other = PlateSigner.from_setting("", fallback_secret="t" * 40)
    with pytest.raises(InvalidCode):
        other.verify(code)


def test_key_rotation_keeps_old_codes_until_their_key_is_removed():
    old = PlateSigner.from_setting("A:first-secret-123456", fallback_secret="")
    code_a = old.code("XCV87EZX")
    rotated = PlateSigner.from_setting("B:second-secret-12345,A:first-secret-123456", fallback_secret="")
    assert rotated.code("XCV87EZX")[8] == "B" and rotated.verify(code_a) == "XCV87EZX"
    retired = PlateSigner.from_setting("B:second-secret-12345", fallback_secret="")
    with pytest.raises(InvalidCode) as err:
        retired.verify(code_a)
    assert "停用" in err.value.message


def test_qr_png_decodes_to_the_plate_url():
    url = plate_url(BASE, PlateSigner.from_setting("", fallback_secret="s" * 40).code("XCV87EZX"))
    assert decode_qr(qr_png(url)) == url


def test_qr_svg_rendered_by_chromium_decodes_to_the_plate_url(tmp_path):
    url = plate_url(BASE, PlateSigner.from_setting("", fallback_secret="s" * 40).code("R4X2VUD8"))
    page = tmp_path / "qr.html"
    page.write_text(f"<html><body style='margin:0;background:#fff'>{qr_svg(url, scale=8)}</body></html>",
                    encoding="utf-8")
    shot = screenshot(page.as_uri(), tmp_path / "qr.png", width=400, height=400)
    assert decode_qr(shot.read_bytes()) == url


def _code(live_server, uid: str) -> str:
    """Read a plate's code out of its QR, as a phone would."""
    name, password = USERS["placename_officer"]
    token = httpx.post(f"{live_server}/api/auth/login", json={"username": name, "password": password}).json()
    png = httpx.get(f"{live_server}/api/plates/{uid}/qr.png",
                    headers={"Authorization": f"Bearer {token['access_token']}"})
    assert png.status_code == 200
    url = decode_qr(png.content)
    assert url.startswith(f"{BASE}/p/")
    return url.rsplit("/", 1)[1]


def test_public_page_in_a_phone_sized_chromium(live_server, sample_store):
    plate = sample_store.select("door_plates", where={"street_name": "新华大街"}, limit=1)[0]
    code = _code(live_server, plate["plate_uid"])
    url = f"{live_server}/p/{code}"
    dom = html.unescape(dump_dom(url))
    assert f"新华大街{plate['number']}号" in dom
    assert "最近的养老服务站" in dom and re.search(r"步行约 [0-9.]+ 分钟", dom)
    assert "Xīnhuá Dàjiē" in dom and "<script" not in dom.lower()
    assert "households" not in dom and str(plate["households"]) + "户" not in dom
    shot = screenshot(url, ARTIFACTS / "plate_page_phone.png", width=390, height=844)
    assert shot.stat().st_size > 10_000
    lookup = httpx.get(f"{live_server}/api/plates/lookup/{code}").json()
    assert lookup["nearest_elder_care"]["minutes"] > 0 and lookup["number_text"] == f"{plate['number']}号"


def test_forged_and_unknown_codes_get_a_clear_page(live_server, sample_store):
    plate = sample_store.select("door_plates", limit=1)[0]
    code = _code(live_server, plate["plate_uid"])
    forged = code[:-1] + ("A" if code[-1] != "A" else "B")
    r = httpx.get(f"{live_server}/p/{forged}")
    assert r.status_code == 404 and "无法识别的门牌" in r.text and "伪造" in r.text
    assert httpx.get(f"{live_server}/p/hello").status_code == 404
    j = httpx.get(f"{live_server}/api/plates/lookup/{forged}")
    assert j.status_code == 404 and j.json()["error"] == "invalid_plate_code"


def test_revoked_plate_says_so_and_rename_keeps_the_code(writable_server, writable_sample_store):
    plate = writable_sample_store.select("door_plates", where={"street_name": "中山东路"}, limit=1)[0]
    code = _code(writable_server, plate["plate_uid"])
    writable_sample_store.update("door_plates", plate["id"], {"status": "revoked"}, expected_version=plate["version"],
                        actor="test")
    assert "此门牌已撤销" in httpx.get(f"{writable_server}/p/{code}").text
    other = writable_sample_store.select("door_plates", where={"street_name": "兴安北路"}, limit=1)[0]
    code2 = _code(writable_server, other["plate_uid"])
    name = writable_sample_store.select("place_names", where={"standard_name": "兴安北路"})[0]
    from geo.placenames.lifecycle import rename

    rename(writable_sample_store, name["id"], "兴安路", expected_version=name["version"], actor="test",
           approval={"approval_authority": "呼和浩特市人民政府", "approval_doc_no": "T-1",
                     "approval_date": "2026-11-01"},
           justification="蒙古文名称待译")
    page = httpx.get(f"{writable_server}/p/{code2}").text
    assert f"兴安路{other['number']}号" in page and "兴安北路" not in page.split("About the name")[0]


def test_report_is_stored_without_personal_data(writable_server, writable_sample_store):
    plate = writable_sample_store.select("door_plates", limit=2)[1]
    code = _code(writable_server, plate["plate_uid"])
    before = writable_sample_store.count("problem_reports")
    r = httpx.post(f"{writable_server}/p/{code}/report", data={"kind": "damaged_plate", "message": "字被刮花了"})
    assert r.status_code == 200 and "已收到" in r.text
    row = writable_sample_store.select("problem_reports")[-1]
    assert writable_sample_store.count("problem_reports") == before + 1 and row["plate_uid"] == plate["plate_uid"]
    assert set(row) >= {"kind", "message"} and not {"name", "phone", "ip"} & set(row)
    bad = httpx.post(f"{writable_server}/p/{code}/report", data={"kind": "nonsense"})
    assert bad.status_code == 400


def test_public_rate_limit_holds_under_a_burst(sample_store):
    settings = server_settings(sample_store, public_rate_per_minute=20, report_rate_per_hour=2)
    plate = sample_store.select("door_plates", limit=1)[0]
    with running_server(settings) as base, httpx.Client(base_url=base) as c:
        code = PlateSigner.from_setting("", fallback_secret=settings.secret_key).code(plate["plate_uid"])
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(16) as pool:  # a concurrent burst, as a scraper would send it
            statuses = list(pool.map(lambda _i: c.get(f"/api/plates/lookup/{code}").status_code, range(60)))
        report_figure(f"public burst: 60 concurrent lookups, limit 20/min: {statuses.count(200)} served, "
              f"{statuses.count(429)} refused (429), {sum(s >= 500 for s in statuses)} 5xx")
        assert statuses.count(200) == 20 and statuses.count(429) == 40
        body = c.get(f"/api/plates/lookup/{code}").json()
        assert body["error"] == "rate_limited" and body["status"] == 429


def test_plate_svg_endpoint_enforces_sg01(live_server, sample_store):
    name, password = USERS["placename_officer"]
    token = httpx.post(f"{live_server}/api/auth/login", json={"username": name, "password": password}).json()
    h = {"Authorization": f"Bearer {token['access_token']}"}
    plate = sample_store.select("door_plates", where={"street_name": "新华大街"}, limit=1)[0]
    refused = httpx.get(f"{live_server}/api/plates/{plate['plate_uid']}/plate.svg", headers=h)
    assert refused.status_code == 400 and refused.json()["field"] == "name_mong"
    proof = httpx.get(f"{live_server}/api/plates/{plate['plate_uid']}/plate.svg", headers=h, params={"proof": True})
    assert proof.status_code == 200 and "新华大街" in proof.text and "校样" in proof.text
    assert httpx.get(f"{live_server}/api/plates/{plate['plate_uid']}/plate.svg").status_code == 401


def test_page_serves_a_shaping_mongolian_font_subset(writable_server, writable_sample_store):
    import io

    from fontTools.ttLib import TTFont

    mong = "ᠰᠢᠨᠬᠤᠸᠠ ᠵᠠᠮ"
    name = writable_sample_store.select("place_names", where={"standard_name": "新华大街"})[0]
    writable_sample_store.update("place_names", name["id"], {"name_mong": mong}, expected_version=name["version"],
                                 actor="t")
    plate = writable_sample_store.select("door_plates", where={"street_name": "新华大街"}, limit=1)[0]
    page = httpx.get(f"{writable_server}/p/{_code(writable_server, plate['plate_uid'])}").text
    assert mong in page and "/fonts/mongolian.woff2?t=" in page
    font_url = re.search(r"url\('([^']+)'\)", page).group(1)
    woff = httpx.get(f"{writable_server}{font_url}")
    assert woff.status_code == 200 and woff.content[:4] == b"wOF2" and len(woff.content) < 30_000
    font = TTFont(io.BytesIO(woff.content))
    features = {f.FeatureTag for f in font["GSUB"].table.FeatureList.FeatureRecord}
    assert {"init", "medi", "fina"} <= features  # the phone can still join the letters
    cmap = font.getBestCmap()
    assert all(ord(c) in cmap for c in mong if c != " ")
    assert httpx.get(f"{writable_server}/fonts/mongolian.woff2", params={"t": "abc"}).status_code == 400
