"""Findings of the outside review of #14 on the officer, field and public forms, each held by a test.

- a form over the body limit gets a Chinese-first page (413) with the limit in MB, not the API's JSON;
- refused lifecycle-step, rename and plate-status forms come back as typed;
- a name's history shows Beijing time, marked;
- a malformed id or page number in a page address is the 网址有误 page, also for form posts;
- "from the street" offers a new road only street lines with no name in force, and takes one;
- the same proposal sent twice leads to the record made by the first; a different one keeps the refusal;
- a version that is not a whole number is 版本号无效 (422), not "changed by someone else";
- a revoked plate offers no status change; an unknown plate status filter is named;
- table cells wrap long unbroken text (phones).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from shapely.geometry import LineString

from geo.boundaries.inspections import create_campaign
from tests.cdp import Browser
from tests.test_field_loop import log_in_on_phone
from tests.test_officer_pages import CSRF, VERSION, _client

PAGE = {"accept": "text/html,application/xhtml+xml"}


@pytest.fixture
def phone() -> Iterator[Browser]:
    b = Browser(width=360, height=740)
    yield b
    b.close()


def _token(c: httpx.Client, path: str) -> tuple[str, httpx.Response]:
    page = c.get(path)
    return CSRF.search(page.text).group(1), page


def test_an_oversize_form_gets_a_chinese_page_with_the_limit_in_mb(writable_server):
    with _client(writable_server) as c:
        token, _ = _token(c, "/officer/placenames/new")
        big = c.post("/officer/placenames/new", data={"csrf_token": token, "standard_name": "阴山路",
                                                      "meaning": "义" * (3 * 1024 * 1024)},
                     headers={**PAGE, "referer": f"{writable_server}/officer/placenames/new"})
        assert big.status_code == 413 and big.headers["content-type"].startswith("text/html")
        assert "超过上限 8 MB" in big.text and "over the limit of 8 MB" in big.text
        assert "<title>内容过大</title>" in big.text
        assert "id='back-to-form' href='/officer/placenames/new'" in big.text
        api = c.post("/api/placenames", content=b"x" * (9 * 1024 * 1024),
                     headers={"content-type": "application/json"})
        assert api.status_code == 413 and api.headers["content-type"] == "application/json"


def _open_campaign(store, *, required_accuracy_m: float = 10) -> int:
    return create_campaign(store, {"name": "2026年联检", "line_codes": ["XS01"],
                                   "required_accuracy_m": required_accuracy_m}, actor="t-admin")["id"]


def test_the_field_form_shrinks_a_large_photo_on_the_phone_before_sending(writable_server, writable_sample_store,
                                                                           phone):
    cid = _open_campaign(writable_sample_store)
    marker = writable_sample_store.select("boundary_markers", where={"marker_no": "XS01012Q"})[0]
    phone.send("Browser.grantPermissions", permissions=["geolocation"], origin=writable_server)
    phone.send("Emulation.setGeolocationOverride", latitude=marker["geometry"].y, longitude=marker["geometry"].x,
               accuracy=2)
    phone.send("Page.enable")
    phone.send("Page.addScriptToEvaluateOnNewDocument", source=(
        "window.__problems=[];addEventListener('error',e=>__problems.push(String(e.message)));"
        "addEventListener('securitypolicyviolation',e=>__problems.push('CSP '+e.violatedDirective));"))
    path = f"/field/campaigns/{cid}/markers/XS01012Q"
    log_in_on_phone(phone, writable_server, path)
    phone.wait_for("document.forms.rec.accuracy.value")
    # A 12-megapixel photo of noise (JPEG at full quality: well over the 5 MB a record takes), chosen.
    phone.evaluate("""(async () => {
      const c = document.createElement('canvas'); c.width = 4000; c.height = 3000;
      const g = c.getContext('2d'), img = g.createImageData(4000, 3000);
      for (let i = 0; i < img.data.length; i++) img.data[i] = (i % 4 === 3) ? 255 : Math.random() * 256;
      g.putImageData(img, 0, 0);
      const blob = await new Promise(done => c.toBlob(done, 'image/jpeg', 1.0));
      window.__big = blob.size;
      const t = new DataTransfer(); t.items.add(new File([blob], 'IMG_0001.jpg', {type: 'image/jpeg'}));
      document.forms.rec.photo.files = t.files;
      document.forms.rec.photo.dispatchEvent(new Event('change'));
    })()""")
    note = phone.wait_for("document.getElementById('photo-note').textContent", timeout_s=60)
    assert phone.evaluate("window.__big") > 5 * 1024 * 1024
    assert "已在本机缩小为" in note and "made smaller on this device" in note, note
    assert phone.evaluate("document.forms.rec.photo.files[0].size") <= 5 * 1024 * 1024
    phone.evaluate("document.forms.rec.condition.value='intact';document.getElementById('send').click()")
    phone.wait_for("document.title === '已提交' && document.readyState === 'complete'", timeout_s=60)
    assert phone.evaluate("window.__problems") == []
    rows = writable_sample_store.select("inspections", where={"campaign_id": cid})
    assert len(rows) == 1
    (photo,) = writable_sample_store.select("inspection_photos", where={"inspection_id": rows[0]["id"]})
    assert photo["content_type"] == "image/jpeg" and photo["size_bytes"] <= 5 * 1024 * 1024


def test_refused_forms_come_back_as_typed(writable_server, writable_sample_store):
    place = writable_sample_store.select("place_names", where={"status": "in_force"}, limit=1)[0]
    plate = writable_sample_store.select("door_plates", where={"status": "active"}, limit=1)[0]
    with _client(writable_server) as c:
        token, page = _token(c, f"/officer/placenames/{place['id']}")
        refused = c.post(f"/officer/placenames/{place['id']}/rename",
                         data={"csrf_token": token, "version": str(place["version"]), "new_name": "阴山新路",
                               "approval_authority": "呼和浩特市人民政府", "approval_doc_no": "呼政发〔2026〕9号",
                               "approval_date": "2999-01-01"})
        assert refused.status_code >= 400 and "呼政发〔2026〕9号" in refused.text and "阴山新路" in refused.text
        assert "登录已过期" not in refused.text  # a refusal, not an expired session
        token, page = _token(c, f"/officer/plates/{plate['plate_uid']}")
        bad_date = c.post(f"/officer/plates/{plate['plate_uid']}/status",
                          data={"csrf_token": token, "version": VERSION.search(page.text).group(1),
                                "status": "revoked", "decision_body": "新城区民政局",
                                "decision_doc_no": "新民发〔2026〕31号", "decision_date": "2026-13-01"})
        assert bad_date.status_code == 400
        assert "value='新城区民政局'" in bad_date.text and "value='新民发〔2026〕31号'" in bad_date.text
        assert "value='revoked' selected" in bad_date.text
    assert writable_sample_store.get("place_names", place["id"])["version"] == place["version"]
    assert writable_sample_store.get("door_plates", plate["id"])["status"] == "active"


def test_history_shows_beijing_time(writable_server, writable_sample_store):
    with _client(writable_server) as c:  # a name with a history: proposed now
        token, _ = _token(c, "/officer/placenames/new")
        made = c.post("/officer/placenames/new", data={
            "csrf_token": token, "standard_name": "白塔小区", "feature_class": "residential",
            "admin_code": "150102003000", "meaning": "以白塔命名", "name_mong_pending": "1",
            "justification": "蒙古文待译", "loc_mode": "point", "lonlat": "111.6935,40.8285"})
    place = {"id": int(str(made.url).rsplit("/", 1)[1])}
    events = writable_sample_store.select("place_name_events", where={"place_name_id": place["id"]})
    assert events
    with _client(writable_server) as c:
        page = c.get(f"/officer/placenames/{place['id']}")
    history = page.text.split("History")[-1]
    assert history.count("（北京时间）") == len(events)


def test_a_malformed_id_or_page_is_the_invalid_address_page(writable_server, writable_sample_store):
    with _client(writable_server) as c:
        token, _ = _token(c, "/officer/placenames")
        for path in ("/officer/placenames/abc/step", "/officer/placenames/abc/edit",
                     "/officer/placenames/abc/mongolian", "/officer/reports/abc/resolve",
                     "/officer/placenames/99999999999999999999/step"):
            r = c.post(path, data={"csrf_token": token, "version": "1"})  # no Accept header at all
            assert r.status_code == 422 and "网址有误" in r.text and "text/html" in r.headers["content-type"], path
        for path in ("/officer/reports/abc",):  # a bad page= shows the nearest page (test_review17_pages_recheck)
            r = c.get(path, headers=PAGE)  # a browser: the page, not the API's JSON
            assert r.status_code == 422 and "网址有误" in r.text and "text/html" in r.headers["content-type"], path
    with _client(writable_server, "boundary_inspector", expect_ok=False) as c:
        token, _ = _token(c, "/field")
        r = c.post("/field/campaigns/abc/markers/X", data={"csrf_token": token, "condition": "intact"})
        assert r.status_code == 422 and "网址有误" in r.text and "text/html" in r.headers["content-type"]


def test_from_the_street_offers_a_new_road_only_unnamed_lines(writable_server, writable_sample_store):
    named = writable_sample_store.select("streets", limit=1)[0]
    unnamed = "规划一路"
    writable_sample_store.insert("streets", [{"name": unnamed, "street_class": "branch", "adcode": "150102",
                                              "geometry": LineString([(111.700, 40.830), (111.703, 40.830)])}],
                                 actor="test")
    with _client(writable_server) as c:
        token, page = _token(c, "/officer/placenames/new")
        offered = page.text.split("id='road-street-names'>")[1].split("</datalist>")[0]
        assert unnamed in offered and named["name"] not in offered
        base = {"csrf_token": token, "feature_class": "street", "admin_code": "150102003000", "meaning": "规划",
                "name_mong_pending": "1", "justification": "蒙古文待译", "loc_mode": "street"}
        refused = c.post("/officer/placenames/new", data={**base, "standard_name": "阴山路", "street": named["name"]})
        assert refused.status_code == 400 and "已是这条道路的标准名称" in refused.text
        made = c.post("/officer/placenames/new", data={**base, "standard_name": "阴山路", "street": unnamed})
        assert made.status_code == 200 and re.search(r"/officer/placenames/\d+$", str(made.url)), made.text[:500]
    place_id = int(str(made.url).rsplit("/", 1)[1])
    assert writable_sample_store.get("place_names", place_id)["geometry"].geom_type == "LineString"


def test_the_same_proposal_twice_leads_to_its_record(writable_server, writable_sample_store):
    with _client(writable_server) as c:
        token, _ = _token(c, "/officer/placenames/new")
        form = {"csrf_token": token, "standard_name": "青山小区", "feature_class": "residential",
                "admin_code": "150102003000", "meaning": "以青山命名", "name_mong_pending": "1",
                "justification": "蒙古文待译", "loc_mode": "point", "lonlat": "111.6935,40.8285"}
        first = c.post("/officer/placenames/new", data=form)
        place_id = int(str(first.url).rsplit("/", 1)[1])
        again = c.post("/officer/placenames/new", data=form)
        assert again.status_code == 200 and str(again.url).split("?")[0].endswith(f"/officer/placenames/{place_id}")
        assert f"已申报（记录 {place_id}）" in again.text
        other = c.post("/officer/placenames/new", data={**form, "meaning": "另一种含义"})
        assert other.status_code == 400 and f"href='/officer/placenames/{place_id}'" in other.text
    assert len(writable_sample_store.select("place_names", where={"standard_name": "青山小区"})) == 1


def test_a_version_that_is_not_a_number_is_invalid_not_stale(writable_server, writable_sample_store):
    place = writable_sample_store.select("place_names", where={"status": "in_force"}, limit=1)[0]
    plate = writable_sample_store.select("door_plates", where={"status": "active"}, limit=1)[0]
    with _client(writable_server) as c:
        token, _ = _token(c, f"/officer/placenames/{place['id']}")
        for version in ("abc", "99999999999999999999", "-1", ""):
            r = c.post(f"/officer/placenames/{place['id']}/edit",
                       data={"csrf_token": token, "version": version, "meaning": "新的含义"})
            assert r.status_code == 422 and "版本号无效" in r.text and "已被他人修改" not in r.text, version
            assert "新的含义" in r.text  # kept as typed
        r = c.post(f"/officer/plates/{plate['plate_uid']}/status",
                   data={"csrf_token": token, "version": "abc", "status": "revoked"})
        assert r.status_code == 422 and "版本号无效" in r.text
    assert writable_sample_store.get("place_names", place["id"])["version"] == place["version"]


def test_a_revoked_plate_offers_no_status_change_and_a_bad_status_filter_is_named(writable_server,
                                                                                   writable_sample_store):
    plate = writable_sample_store.select("door_plates", where={"status": "active"}, limit=1)[0]
    writable_sample_store.update("door_plates", plate["id"], {"status": "revoked"},
                                 expected_version=plate["version"], actor="test")
    with _client(writable_server) as c:
        page = c.get(f"/officer/plates/{plate['plate_uid']}")
        assert "id='status-final'" in page.text and "状态不能再更改" in page.text
        assert "/status'" not in page.text and "value='active'" not in page.text
        other = writable_sample_store.select("door_plates", where={"status": "active"}, limit=1)[0]
        active = c.get(f"/officer/plates/{other['plate_uid']}")
        options = re.findall(r"<option value='(\w+)'", active.text.split("name='status'")[1].split("</select>")[0])
        assert options == ["revoked"]  # replacing has its own form, through the replace use case (F14)
        bogus = c.get("/officer/plates", params={"status": "bogus"})
        assert bogus.status_code == 400 and "门牌状态「bogus」无效" in bogus.text and "已撤销 revoked" in bogus.text
        assert "overflow-wrap:anywhere" in bogus.text  # long unbroken text wraps in table cells on phones
