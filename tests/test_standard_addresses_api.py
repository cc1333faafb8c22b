"""Standard addresses through the API, the public page, printing (a real QR decode) and the CLI (#17 item 1)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import httpx
import openpyxl
import pytest

from geo.addresses import refresh_standard_addresses
from geo.errors import Forbidden
from geo.store import Store
from maps.plate_print import print_pdf
from tests.qr_decode import decode_qr
from tests.test_api import _assert_error_shape, _token
from tests.xincheng_cli import run

API = "/api/standard-addresses"


def _free_plate(store: Store) -> dict:
    used = {a["plate_uid"] for a in store.select("addresses")}
    return next(p for p in store.select("door_plates", where={"status": "active"}, limit=200)
                if p["plate_uid"] not in used)


def test_officer_builds_an_address_tree_and_others_cannot_write(writable_server, writable_sample_store: Store):
    base, store = writable_server, writable_sample_store
    h, planner = _token(base, "placename_officer"), _token(base, "planner")
    plate = _free_plate(store)
    b = httpx.post(f"{base}{API}/buildings", headers=h, json={"plate_uid": plate["plate_uid"], "building": "2"})
    assert b.status_code == 200, b.text
    building = b.json()
    assert building["building"] == "2号楼" and "qr_token" not in building and "id" not in building
    u = httpx.post(f"{base}{API}/units", headers=h, json={"parent_uid": building["address_uid"], "unit": "1"}).json()
    r = httpx.post(f"{base}{API}/rooms", headers=h, json={"parent_uid": u["address_uid"], "room": "1502"}).json()
    assert r["floor"] == 15 and r["standard_address"].endswith("2号楼 1单元 1502室")
    # The same room again, a hostile label, a floor that disagrees: each refused naming field and rule.
    dup = _assert_error_shape(httpx.post(f"{base}{API}/rooms", headers=h,
                                         json={"parent_uid": u["address_uid"], "room": "1502室"}), 409, "room")
    assert dup["message"].startswith("AD-02")
    _assert_error_shape(httpx.post(f"{base}{API}/buildings", headers=h,
                                   json={"plate_uid": plate["plate_uid"], "building": "<img src=x onerror=1>"}),
                        400, "building")
    _assert_error_shape(httpx.post(f"{base}{API}/rooms", headers=h,
                                   json={"parent_uid": u["address_uid"], "room": "1601", "floor": 3}), 400, "floor")
    _assert_error_shape(httpx.post(f"{base}{API}/buildings", headers=h,
                                   json={"plate_uid": plate["plate_uid"], "building": ["3"]}), 422)
    # Roles: a planner reads but does not write; nobody writes without logging in.
    _assert_error_shape(httpx.post(f"{base}{API}/buildings", headers=planner,
                                   json={"plate_uid": plate["plate_uid"], "building": "9"}), 403)
    _assert_error_shape(httpx.post(f"{base}{API}/buildings", json={"plate_uid": plate["plate_uid"],
                                                                     "building": "9"}), 401)
    _assert_error_shape(httpx.get(f"{base}{API}/plates/{plate['plate_uid']}/addresses"), 401)
    tree = httpx.get(f"{base}{API}/plates/{plate['plate_uid']}/addresses", headers=planner).json()
    assert tree["counts"] == {"building": 1, "unit": 1, "room": 1}
    one = httpx.get(f"{base}{API}/{r['address_uid']}", headers=planner).json()
    assert [p["level"] for p in one["parents"]] == ["plate", "building", "unit"]
    # A stale version is refused (409) and changes nothing; the current one renumbers.
    _assert_error_shape(httpx.patch(f"{base}{API}/{building['address_uid']}", headers=h,
                                    json={"version": 7, "building": "3"}), 409, "version")
    moved = httpx.patch(f"{base}{API}/{building['address_uid']}", headers=h, json={"version": 1, "building": "3"})
    assert moved.status_code == 200 and moved.json()["building"] == "3号楼"
    assert httpx.get(f"{base}{API}/{r['address_uid']}", headers=h).json()["building"] == "3号楼"
    # Retiring: the children first or with it (AD-06).
    refused = _assert_error_shape(httpx.post(f"{base}{API}/{building['address_uid']}/retire", headers=h,
                                             json={"version": 2, "reason": "拆除"}), 409, "with_children")
    assert refused["message"].startswith("AD-06")
    done = httpx.post(f"{base}{API}/{building['address_uid']}/retire", headers=h,
                      json={"version": 2, "reason": "拆除", "with_children": True}).json()
    assert len(done["retired"]) == 3


def test_another_districts_plate_is_not_found(writable_server, writable_sample_store: Store):
    base, store = writable_server, writable_sample_store
    row = {"plate_uid": "QW23ERTY", "street_name": "外区路", "number": 1, "status": "active"}
    if store.dialect == "sqlite":  # SQLite holds one district: another's plate cannot even be stored
        with pytest.raises(Forbidden):
            store.insert("door_plates", [{**row, "adcode": "150103"}], actor="t")
    else:
        store.for_district("150103").insert("door_plates", [row], actor="t")
    h = _token(base, "placename_officer")
    body = _assert_error_shape(httpx.post(f"{base}{API}/buildings", headers=h,
                                          json={"plate_uid": "QW23ERTY", "building": "1"}), 404, "plate_uid")
    assert ("AD-05" if store.dialect == "sqlite" else "AD-04") in body["message"]
    _assert_error_shape(httpx.get(f"{base}{API}/plates/QW23ERTY/addresses", headers=h), 404)


@pytest.mark.skipif(shutil.which("chromium") is None and shutil.which("chromium-browser") is None,
                    reason="printing needs Chromium")
def test_printed_building_plate_qr_decodes_and_opens_the_public_page(live_server, sample_store: Store, tmp_path):
    h = _token(live_server, "placename_officer")
    building = sample_store.select("addresses", where={"level": "building"}, limit=1)[0]
    svg = httpx.get(f"{live_server}{API}/{building['address_uid']}/plate.svg", headers=h, params={"proof": True})
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(svg.text)  # well-formed
    assert root.get("width") == "900.0mm" and root.get("height") == "500.0mm"
    assert building["qr_token"] not in svg.text  # only the signed code, inside the QR's modules
    pdf = print_pdf(f"<!doctype html><html><head><meta charset='utf-8'><style>@page{{size:900mm 500mm;margin:0}}"
                    f"body{{margin:0}}</style></head><body>{svg.text}</body></html>", tmp_path / "plate.pdf")
    subprocess.run(["pdftoppm", "-r", "60", "-f", "1", "-l", "1", "-png", str(pdf), str(tmp_path / "page")],
                   check=True)
    url = decode_qr(next(tmp_path.glob("page*.png")))
    assert re.fullmatch(r"https://mp\.xincheng\.example/a/[2-9A-HJ-NP-Z]{8}[A-Z2-9][A-Z2-7]{10}", url), url
    page = httpx.get(f"{live_server}{urlsplit(url).path}")
    assert page.status_code == 200 and building["standard_address"] in page.text
    assert building["romanized"].replace("'", "&#39;") in page.text and "households" not in page.text
    code = urlsplit(url).path.rsplit("/", 1)[1]
    data = httpx.get(f"{live_server}{API}/lookup/{code}").json()
    assert data["standard_address"] == building["standard_address"] and data["parents"][0]["level_zh"] == "门牌"
    forged = httpx.get(f"{live_server}/a/{code[:-1]}{'A' if code[-1] != 'A' else 'B'}")
    assert forged.status_code == 404 and "无法识别" in forged.text
    plate_code = httpx.get(f"{live_server}/a/{building['plate_uid']}A{'2' * 10}")
    assert plate_code.status_code == 404


def test_unit_plate_and_the_pdf_batch_have_their_sizes(live_server, sample_store: Store):
    h = _token(live_server, "placename_officer")
    unit = sample_store.select("addresses", where={"level": "unit"}, limit=1)[0]
    svg = httpx.get(f"{live_server}{API}/{unit['address_uid']}/plate.svg", headers=h, params={"proof": True}).text
    assert "270.0mm" in svg and unit["unit"] in svg and "校样 PROOF" in svg
    room = sample_store.select("addresses", where={"level": "room"}, limit=1)[0]
    _assert_error_shape(httpx.get(f"{live_server}{API}/{room['address_uid']}/plate.svg", headers=h,
                                  params={"proof": True}), 400, "address_uid")


def test_hostile_names_are_escaped_on_the_page_and_the_printed_plate(writable_server, writable_sample_store: Store):
    base, store = writable_server, writable_sample_store
    building = store.select("addresses", where={"level": "building"}, limit=1)[0]
    plate = store.select("door_plates", where={"plate_uid": building["plate_uid"]})[0]
    unit = store.select("admin_units", where={"code": plate["community_code"]})[0]
    store.update("admin_units", unit["id"], {"name": "<script>alert(1)</script>社区"},
                 expected_version=unit["version"], actor="t")
    store.update("door_plates", plate["id"], {"street_name": "'\"></text><script>alert(2)</script>路"},
                 expected_version=plate["version"], actor="t")
    with store.writing() as conn:
        assert refresh_standard_addresses(store, conn, plate_uids=[plate["plate_uid"]], actor="t") >= 1
    h = _token(base, "placename_officer")
    svg = httpx.get(f"{base}{API}/{building['address_uid']}/plate.svg", headers=h, params={"proof": True}).text
    assert "<script>" not in svg and "&lt;script&gt;alert(2)" in svg
    ET.fromstring(svg)
    code = re.search(r"/a/([A-Z0-9]+)", httpx.get(f"{base}{API}/{building['address_uid']}", headers=h).text)
    assert code is None  # the officer's answer carries no code or token
    from geo.addresses.codes import address_code
    from geo.plates.codes import PlateSigner

    signer = PlateSigner.from_setting("", fallback_secret="x" * 40)
    page = httpx.get(f"{base}/a/{address_code(signer, building['qr_token'])}")
    assert page.status_code == 200
    assert "<script>alert" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;社区" in page.text


def test_address_match_api_reports_the_level_and_keeps_its_answers(live_server, sample_store: Store):
    h = _token(live_server, "placename_officer")
    room = next(r for r in sample_store.select("addresses", where={"level": "room"}) if r["unit"])
    plate = sample_store.select("door_plates", where={"plate_uid": room["plate_uid"]})[0]
    q = f"{plate['street_name']}{plate['number']}号{room['building']}{room['unit']}{room['room']}"
    m = httpx.get(f"{live_server}/api/addresses/match", headers=h, params={"q": q}, timeout=120).json()
    assert m["grade"] == "exact" and m["plate"]["plate_uid"] == plate["plate_uid"]
    assert (m["level"], m["address_grade"], m["address"]["address_uid"]) == ("room", "exact", room["address_uid"])
    part = httpx.get(f"{live_server}/api/addresses/match", headers=h,
                     params={"q": f"{plate['street_name']}{plate['number']}号{room['building']}99单元"},
                     timeout=120).json()
    assert (part["level"], part["address_grade"], part["unmatched"]) == ("building", "partial", ["99单元"])


def _xlsx_bytes(header, rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_import_endpoint_stores_a_file_or_lists_every_refused_row(writable_server, writable_sample_store: Store):
    base, store = writable_server, writable_sample_store
    h = _token(base, "placename_officer")
    uid = _free_plate(store)["plate_uid"]
    good = _xlsx_bytes(["plate_uid", "building", "unit", "room"], [[uid, "1", "1", "101"], [uid, "1", "1", "201"]])
    r = httpx.post(f"{base}{API}/import", headers=h, content=good)
    assert r.status_code == 200 and r.json() == {"imported": 4, "building": 1, "unit": 1, "room": 2}
    bad = _xlsx_bytes(["门牌编号", "楼号", "单元", "室号"], [[uid, "1", "1", "101"], [uid, "2", "1", "1a1"],
                                                        [uid, "3", "1", "000"]])
    body = _assert_error_shape(httpx.post(f"{base}{API}/import", headers=h, content=bad), 400)
    assert len(body["details"]) == 3 and body["details"][0].startswith("第 2 行")
    assert store.count("addresses", where={"plate_uid": uid}) == 4
    _assert_error_shape(httpx.post(f"{base}{API}/import", headers=_token(base, "planner"), content=good), 403)
    # a download cut half-way is a workbook broken, named as the officer named it (fourth review: "须为 .xlsx")
    cut = _assert_error_shape(httpx.post(f"{base}{API}/import", params={"filename": "开发商.xlsx"}, headers=h,
                                         content=good[: len(good) // 2]), 400)
    assert cut["message"].startswith("工作簿 「开发商.xlsx」 的内容已损坏"), cut["message"]


def test_cli_add_show_tree_retire_import_and_print(cli_sample, tmp_path):
    db = tmp_path / "x.db"
    shutil.copy(cli_sample.path, db)
    store = Store.open(f"sqlite:///{db}")
    plate = _free_plate(store)
    added = run("addresses", "add", "building", plate["plate_uid"], "12", db=db)
    assert added.returncode == 0, added.stderr
    uid = re.search(r"(150102A\d{8})", added.stdout).group(1)
    unit = run("addresses", "add", "unit", uid, "1", db=db)
    unit_uid = re.search(r"(150102A\d{8})", unit.stdout).group(1)
    bad = run("addresses", "add", "room", unit_uid, "<b>", db=db)
    assert bad.returncode == 2 and "AD-01" in bad.stderr and "室号 room" in bad.stderr and "Traceback" not in bad.stderr
    dup = run("addresses", "add", "unit", uid, "1单元", db=db)
    assert dup.returncode == 1 and "AD-02" in dup.stderr
    assert run("addresses", "add", "room", unit_uid, "1201", db=db).returncode == 0
    tree = run("addresses", "tree", plate["plate_uid"], db=db)
    assert "12号楼" in tree.stdout and "1201室" in tree.stdout and "室 1" in tree.stdout
    show = run("addresses", "show", unit_uid, db=db)
    assert "1单元" in show.stdout and plate["plate_uid"] in show.stdout
    assert run("addresses", "retire", uid, "--reason", "拆除", db=db).returncode == 2  # --version is required
    refused = run("addresses", "retire", uid, "--version", "1", "--reason", "拆除", db=db)
    assert refused.returncode == 1 and "AD-06" in refused.stderr
    xlsx = tmp_path / "rooms.xlsx"
    xlsx.write_bytes(_xlsx_bytes(["门牌编号", "楼号", "单元", "室号"], [[plate["plate_uid"], "13", "1", "101"]]))
    imported = run("addresses", "import", str(xlsx), db=db)
    assert imported.returncode == 0 and "已导入 3 个地址" in imported.stdout
    env = {"XINCHENG_SECRET_KEY": "k" * 48, "XINCHENG_PUBLIC_BASE_URL": "https://mp.xincheng.example"}
    out = tmp_path / "unit.svg"
    printed = run("addresses", "print", str(out), "--address", unit_uid, "--proof", db=db, env_extra=env)
    assert printed.returncode == 0, printed.stderr
    assert ET.fromstring(out.read_text(encoding="utf-8")).get("width") == "270.0mm"
    no_key = run("addresses", "print", str(out), "--address", unit_uid, "--proof", db=db)
    assert no_key.returncode == 2 and "SECRET_KEY" in no_key.stderr
    assert run("addresses", "retire", uid, "--version", "1", "--reason", "拆除", "--with-children",
               db=db).returncode == 0
