"""Street name signs through the real server and the CLI, on both backends: an officer's day, an attacker's tries,
a rename through its endpoint, the printed sign's QR read back by a camera's decoder and the page it opens."""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from html import unescape

import httpx
import pytest
import shapely

from geo.errors import InputError
from geo.signs.layout import sign_layout
from geo.signs.printed import SignText
from geo.store import Store
from tests.browser import screenshot
from tests.conftest import USERS
from tests.qr_decode import decode_qr
from tests.test_officer_pages import _client
from tests.xincheng_cli import invoke

BASE = "https://mp.xincheng.example"
MONG = "ᠰᠢᠨᠬᠤᠸᠠ ᠶᠡᠬᠡ ᠭᠤᠳᠤᠮᠵᠢ"


def _auth(server: str, role: str = "placename_officer") -> dict[str, str]:
    name, password = USERS[role]
    token = httpx.post(f"{server}/api/auth/login", json={"username": name, "password": password}).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def _url(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def _arterial(store: Store) -> dict:
    return next(s for s in store.select("streets", where={"street_class": "arterial"}) if s["place_name_id"])


def test_an_officer_installs_inspects_and_replaces_a_sign_and_others_cannot(writable_server, writable_sample_store):
    from geo.users import create_user

    store = writable_sample_store
    street = _arterial(store)
    foot = street["geometry"].interpolate(0.5, normalized=True)
    body = {"street_id": street["id"], "lonlat": f"{foot.x:.6f},{foot.y + 0.0001:.6f}", "sign_type": "smart",
            "number_from": 1, "number_to": 99, "remarks": "<img src=x onerror=alert(1)>"}
    officer = _auth(writable_server)
    assert httpx.post(f"{writable_server}/api/street-signs", json=body).status_code == 401
    planner = httpx.post(f"{writable_server}/api/street-signs", json=body, headers=_auth(writable_server, "planner"))
    assert planner.status_code == 403
    create_user(store, "officer-of-150103", "x-password-12345", "placename_officer", actor="test", adcodes=["150103"])
    other = httpx.post(f"{writable_server}/api/auth/login",  # another district's officer does not get in
                       json={"username": "officer-of-150103", "password": "x-password-12345"})
    assert other.status_code == 403 and other.json()["field"] == "adcodes"
    for bad, field in (({"sign_type": "neon"}, "sign_type"), ({"lonlat": "111.0,40.0"}, "lonlat"),
                       ({"lonlat": "nan,40"}, "lonlat"), ({"street_id": 2**31 - 1}, "street_id"),
                       ({"shows_name": "假名路"}, "shows_name"), ({"number_from": "1"}, None)):
        refused = httpx.post(f"{writable_server}/api/street-signs", json={**body, **bad}, headers=officer)
        assert refused.status_code in (400, 404, 409, 422), (bad, refused.text)
        if field:
            assert refused.json()["field"] == field and re.search(r"[\u4e00-\u9fff]", refused.json()["message"])
    made = httpx.post(f"{writable_server}/api/street-signs", json=body, headers=officer)
    assert made.status_code == 201, made.text
    sign = made.json()
    assert sign["shows_name"] == street["name"] and sign["remarks"] == body["remarks"] and sign["version"] == 1
    uid = sign["sign_uid"]
    seen = httpx.post(f"{writable_server}/api/street-signs/{uid}/inspect", headers=officer,
                      json={"version": 1, "condition": "tilted"})
    assert seen.status_code == 200 and seen.json()["condition"] == "tilted"
    stale = httpx.post(f"{writable_server}/api/street-signs/{uid}/damage", headers=officer, json={"version": 1})
    assert stale.status_code == 409 and stale.json()["field"] == "version"
    done = httpx.post(f"{writable_server}/api/street-signs/{uid}/replace", headers=officer, json={"version": 2})
    assert done.status_code == 200
    assert done.json()["old"]["successor_sign_uid"] == done.json()["new"]["sign_uid"]
    listed = httpx.get(f"{writable_server}/api/street-signs", params={"street_id": street["id"]}, headers=officer)
    assert {s["sign_uid"] for s in listed.json()["signs"]} >= {uid, done.json()["new"]["sign_uid"]}
    assert httpx.get(f"{writable_server}/api/street-signs/S9999999", headers=officer).status_code == 404


def test_a_rename_through_its_endpoint_queues_exactly_that_streets_signs(writable_server, writable_sample_store):
    store = writable_sample_store
    street = _arterial(store)
    name = store.get("place_names", street["place_name_id"])
    ids = {s["id"] for s in store.select("streets", where={"place_name_id": name["id"]})}
    before = {s["sign_uid"]: s["status"] for s in store.select("street_signs")}
    ours = {s["sign_uid"] for s in store.select("street_signs") if s["street_id"] in ids and s["status"] in (
        "active", "damaged")}
    assert len(ours) >= 10
    officer = _auth(writable_server)
    renamed = httpx.post(f"{writable_server}/api/placenames/{name['id']}/rename", headers=officer, json={
        "new_name": "敕勒川大街", "version": name["version"], "justification": "测试更名 test rename",
        "approval": {"approval_authority": "呼和浩特市人民政府", "approval_doc_no": "呼政字〔2026〕9号",
                     "approval_date": "2026-06-01"}}, timeout=120)
    assert renamed.status_code == 200, renamed.text
    after = {s["sign_uid"]: s["status"] for s in store.select("street_signs")}
    assert {u for u, st in after.items() if st == "replacement_queued"} == ours
    assert {u: st for u, st in after.items() if u not in ours} == {u: st for u, st in before.items() if u not in ours}
    queue = httpx.get(f"{writable_server}/api/street-signs/replacement-queue", headers=officer, timeout=60).json()
    assert queue["count"] == len(ours) and {q["standard_name"] for q in queue["signs"]} == {"敕勒川大街"}
    assert {q["shows_name"] for q in queue["signs"]} == {name["standard_name"]}
    one = next(s for s in store.select("street_signs") if s["sign_uid"] in ours)
    assert store.audit_rows("street_signs", one["id"])[-1]["action"] == "rename_propagation"
    cli = invoke(["--database-url", _url(store), "signs", "queue"])
    assert cli.returncode == 0 and f"共 {len(ours)} 块待更换" in cli.stdout and "敕勒川大街" in cli.stdout


def test_the_sample_junction_check_finds_the_unsigned_junctions(live_server, sample_store):
    officer = _auth(live_server)
    # a whole-district check: seconds on a loaded machine, past httpx's default 5 s (a slow answer, not a wrong one)
    check = httpx.get(f"{live_server}/api/street-signs/junction-check", headers=officer, timeout=120).json()
    assert check["distance_m"] == 30 and check["unsigned_junctions"] >= 5 and check["junctions"] > 1000
    first = check["items"][0]
    assert first["missing"] and first["subdistrict"] and 111.5 < first["lon"] < 111.9 and 40.7 < first["lat"] < 41.0
    bad = httpx.get(f"{live_server}/api/street-signs/junction-check", params={"distance_m": 9999}, headers=officer,
                    timeout=120)
    assert bad.status_code == 400 and bad.json()["field"] == "distance_m"
    assert httpx.get(f"{live_server}/api/street-signs/junction-check",
                     headers=_auth(live_server, "boundary_inspector")).status_code == 403
    cli = invoke(["--database-url", _url(sample_store), "signs", "junctions", "--distance-m", "30"])
    assert cli.returncode == 0 and f"其中 {check['unsigned_junctions']} 个缺路牌" in cli.stdout
    assert invoke(["--database-url", _url(sample_store), "signs", "junctions", "--distance-m", "0"]).returncode == 2


def test_a_new_road_on_the_worklist_opens_the_proposal_form_filled_in(writable_server, writable_sample_store):
    store = writable_sample_store
    street = _arterial(store)
    x, y = street["geometry"].coords[0]
    store.insert("streets", [{"name": "规划<b>三</b>路", "street_class": "local",
                              "geometry": shapely.LineString([(x, y), (x, y + 0.004)])}], actor="setup")
    officer = _auth(writable_server)
    # (a new street makes the server refresh its plate lookups first: give it time)
    roads = httpx.get(f"{writable_server}/api/street-signs/unnamed-roads", headers=officer, timeout=120).json()
    (road,) = [r for r in roads["roads"] if r["label"] == "规划<b>三</b>路"]
    assert 430 < road["length_m"] < 460 and road["propose_url"].startswith("/officer/placenames/new?")
    cli = invoke(["--database-url", _url(store), "signs", "unnamed-roads"])
    assert cli.returncode == 0 and "规划<b>三</b>路" in cli.stdout
    with _client(writable_server) as page:
        form = page.get(road["propose_url"])
        assert form.status_code == 200
        assert "value='规划&lt;b&gt;三&lt;/b&gt;路'" in form.text and "<b>三</b>" not in form.text
        assert re.search(r"<option value='street' selected>", form.text)
        assert re.search(r"id='mode-street' checked", form.text)
        worklist = page.get("/officer/street-signs", timeout=60)
        assert worklist.status_code == 200 and "缺路牌的路口 Junction missing a sign" in worklist.text
        assert "规划&lt;b&gt;三&lt;/b&gt;路" in worklist.text and "<b>三</b>" not in worklist.text
        assert "\\u003cb\\u003e" in worklist.text   # in the map's data too, escaped for the script
        assert page.get("/officer/street-signs", params={"distance_m": "abc"}).status_code == 400
        assert "href='/officer/street-signs/register'" in worklist.text  # the worklist leads to the register
        assert page.get("/officer/street-signs/register").status_code == 200
    with _client(writable_server, "planner", expect_ok=False) as planner:
        assert planner.get("/officer/street-signs").status_code == 403


def test_a_smart_signs_printed_qr_opens_the_streets_public_page(writable_server, writable_sample_store, tmp_path):
    store = writable_sample_store
    sign = store.select("street_signs", where={"sign_type": "smart", "status": "active"}, limit=1)[0]
    name = store.get("place_names", sign["place_name_id"])
    hostile = "'\"></script><script>alert(1)</script>取<b>春</b>意"
    store.update("place_names", name["id"], {"name_mong": MONG, "meaning": hostile, "origin": "𠀋 清代旧路"},
                 expected_version=name["version"], actor="setup")
    officer = _auth(writable_server)
    svg = httpx.get(f"{writable_server}/api/street-signs/{sign['sign_uid']}/sign.svg", headers=officer)
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(svg.text)   # well-formed: every text escaped
    assert root.get("width") == "1000.0mm" and root.get("height") == "600.0mm"
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert name["standard_name"] in texts and name["sign_text"] in texts
    mong = [t for t in root.iter("{http://www.w3.org/2000/svg}text") if t.get("lang") == "mn"]
    assert " ".join("".join(t.itertext()) for t in mong) == MONG   # wrapped in columns at its spaces
    assert all(t.get("font-size") == mong[0].get("font-size") for t in root.iter("{http://www.w3.org/2000/svg}text")
               if t.get("lang") in ("mn", "zh-CN"))   # SG-01: both scripts the same size
    page = tmp_path / "sign.html"
    page.write_text("<html><body style='margin:0;background:#fff'><img src='sign.svg' style='width:1500px'>"
                    "</body></html>", encoding="utf-8")
    (tmp_path / "sign.svg").write_text(svg.text, encoding="utf-8")
    url = decode_qr(screenshot(page.as_uri(), tmp_path / "sign.png", width=1500, height=900).read_bytes())
    assert url.startswith(f"{BASE}/s/") and name["standard_name"] not in url
    public = httpx.get(f"{writable_server}/s/{url.rsplit('/', 1)[1]}")
    assert public.status_code == 200
    html = public.text
    assert name["standard_name"] in html and MONG in html and "𠀋 清代旧路" in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html and "<script" not in html.lower()
    plates = store.count("door_plates", where={"street_name": name["standard_name"], "status": "active"})
    assert f"共 {plates} 块门牌" in html
    assert "households" not in html and "setup" not in html and sign["sign_uid"] not in unescape(html)
    forged = httpx.get(f"{writable_server}/s/{url.rsplit('/', 1)[1][:-1]}A")
    assert forged.status_code == 404 and "无法识别的路牌" in forged.text
    assert "可能是伪造的" in forged.text and "门牌" not in forged.text  # a sign's page speaks of signs, never plates
    real = url.rsplit("/", 1)[1]
    for code, said in (("HELLO", "这不是本服务的路牌二维码"), ("A" * 65, "这不是本服务的路牌二维码"),
                       (real[:8] + ("B" if real[8] != "B" else "C") + real[9:], "此二维码的密钥已停用")):
        refused = httpx.get(f"{writable_server}/s/{code}", headers={"Accept": "text/html"})
        assert refused.status_code == 404 and "无法识别的路牌" in refused.text and said in refused.text, code
        assert "门牌" not in refused.text and "区划代码" not in refused.text, code
    from geo.plates.codes import PlateSigner

    plate = store.select("door_plates", limit=1)[0]   # a genuine plate code opens the plate, never a sign page
    plate_code = PlateSigner.from_setting("", fallback_secret="x" * 40).code(plate["plate_uid"])
    assert httpx.get(f"{writable_server}/p/{plate_code}").status_code == 200
    assert httpx.get(f"{writable_server}/s/{plate_code}").status_code == 404


def test_the_printed_pdf_is_the_signs_size_and_its_qr_reads_back(tmp_path):
    from api.routers.street_signs import batch_html, sign_svg
    from maps.plate_print import print_pdf

    url = f"{BASE}/s/S2222223AOTECZCEKZH"
    sign = SignText("S2222223", "新华大街", "XINHUA DAJIE", MONG, "1–99号", "west", url)
    pdf = print_pdf(batch_html([sign, sign], proof=False), tmp_path / "signs.pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    w, h = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert pages == 2 and abs(w - 1000 / 25.4 * 72) < 2 and abs(h - 600 / 25.4 * 72) < 2
    subprocess.run(["pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-png", str(pdf), str(tmp_path / "page")], check=True)
    assert decode_qr(next(tmp_path.glob("page*.png")).read_bytes()) == url
    svg = sign_svg(sign, proof=False)
    assert "data-arrow='west'" in svg and "1–99号" in svg and "writing-mode: vertical-lr" in svg
    with pytest.raises(InputError) as err:   # SG-01: no production sign without the Mongolian name
        sign_layout(SignText("S2222223", "新华大街", "XINHUA DAJIE", None, "", "none", None))
    assert err.value.message.startswith("SG-01") and err.value.field == "name_mong"
    proof = sign_svg(SignText("S2222223", "<新华>&大街", "XINHUA DAJIE", None, "", "none", None), proof=True)
    assert "校样 PROOF" in proof and "&lt;新华&gt;&amp;大街" in proof and ET.fromstring(proof) is not None


def test_the_cli_prints_a_proof_and_needs_the_servers_key_for_a_smart_sign(sample_store, tmp_path):
    url = _url(sample_store)
    ordinary = sample_store.select("street_signs", where={"sign_type": "ordinary", "status": "active"}, limit=1)[0]
    smart = sample_store.select("street_signs", where={"sign_type": "smart", "status": "active"}, limit=1)[0]
    proof = invoke(["--database-url", url, "signs", "print", ordinary["sign_uid"], "--out", str(tmp_path / "a.svg"),
                    "--proof"])
    assert proof.returncode == 0, proof.stderr
    svg = (tmp_path / "a.svg").read_text(encoding="utf-8")
    assert ordinary["shows_name"] in svg and "校样 PROOF" in svg and "<path transform" not in svg   # no QR
    sg01 = invoke(["--database-url", url, "signs", "print", ordinary["sign_uid"], "--out", str(tmp_path / "b.svg")])
    assert sg01.returncode == 2 and "SG-01" in sg01.stderr   # the sample's names wait for their Mongolian form
    keyless = invoke(["--database-url", url, "signs", "print", smart["sign_uid"], "--out", str(tmp_path / "c.svg"),
                      "--proof"])
    assert keyless.returncode == 2 and "XINCHENG_SECRET_KEY" in keyless.stderr
    keyed = invoke(["--database-url", url, "signs", "print", smart["sign_uid"], "--out", str(tmp_path / "c.svg"),
                    "--proof"], env_extra={"XINCHENG_SECRET_KEY": "x" * 40, "XINCHENG_PUBLIC_BASE_URL": BASE})
    assert keyed.returncode == 0, keyed.stderr
    assert "<path transform" in (tmp_path / "c.svg").read_text(encoding="utf-8")
    many = invoke(["--database-url", url, "signs", "print", ordinary["sign_uid"], smart["sign_uid"],
                   "--out", str(tmp_path / "d.svg")])
    assert many.returncode == 2 and "--out" in many.stderr
