"""What the third review of the upload pace and names found: a boundary file named by the server's temporary name,
file names unquoted or in the wrong language, the spreadsheet import's 413 page giving a photo's advice, odd file
names on the officers' page, settings echoed whole, and a user's own retry told to come back before the stall."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest

from api.import_places import ImportRunningForYou, ImportSlots
from api.settings import Settings
from api.upload_names import clean_upload_name
from geo.errors import InputError
from geo.io.formats import public_message
from geo.io.legacy_import import load_parameters
from geo.messages import Term
from tests.test_boundary_compare import _post
from tests.test_hardening import OFFICER, SLOW, _server
from tests.test_hardening_leftovers import _answer_before_the_body
from tests.test_officer_pages import CSRF
from tests.test_officer_pages import login as form_login


@pytest.fixture
def page_server(store) -> Iterator[str]:
    """A server over a store with the test users (the officers' pages)."""
    with _server(store) as base:
        yield base


def test_a_boundary_file_is_named_as_the_user_named_it(live_server):
    from tests.test_api import _token

    inspector = _token(live_server, "boundary_inspector")
    disposition = "attachment; filename*=UTF-8''" + quote("界线 2026.dat")
    named = _post(live_server, b"garbage", {**inspector, "Content-Disposition": disposition}, format="gpkg")
    unnamed = _post(live_server, b"garbage", inspector, format="gpkg")
    assert named.status_code == 400 and "「界线 2026.dat」" in named.json()["message"], named.text
    zh_half, _, en_half = unnamed.json()["message"].partition(" · ")
    assert "「上传的文件」" in zh_half and "「the uploaded file」" in en_half, unnamed.text
    assert "upload." not in named.text + unnamed.text


def test_a_readers_english_text_names_the_file_in_english(tmp_path):
    folder = tmp_path / "x"
    message = public_message(f"'{folder / 'a.shp'}' not recognized", tmp_path / "upload.zip",
                             Term("上传的文件", "the uploaded file"), extracted=folder)
    assert message == "'the uploaded file/a.shp' not recognized", message


def test_a_parameter_file_that_is_not_json_is_named_in_corner_brackets(tmp_path):
    params = tmp_path / "参数 2026.json"
    params.write_text("not json", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_parameters(params)
    assert "参数文件 「参数 2026.json」" in err.value.message, err.value.message


def test_the_import_pages_413_speaks_of_the_file_not_a_photo(page_server):
    with httpx.Client(base_url=page_server, timeout=SLOW) as officer:
        assert form_login(officer, {"username": OFFICER[0], "password": OFFICER[1]}).status_code in (200, 303)
        cookie = "; ".join(f"{k}={v}" for k, v in officer.cookies.items())
    answer = _answer_before_the_body(page_server, "/officer/addresses/import", declared_bytes=60 * 1024 * 1024,
                                     headers=f"Cookie: {cookie}\r\nAccept: text/html\r\n").decode("utf-8", "replace")
    assert answer.startswith("HTTP/1.1 413") and "分成几个较小的文件" in answer and "照片" not in answer, answer[-3000:]


def test_odd_file_names_on_the_import_page_are_cleaned_as_the_api_cleans_them(page_server):
    with httpx.Client(base_url=page_server, timeout=SLOW) as officer:
        assert form_login(officer, {"username": OFFICER[0], "password": OFFICER[1]}).status_code in (200, 303)
        token = CSRF.search(officer.get("/officer/addresses/import").text).group(1)
        pages = [officer.post("/officer/addresses/import", data={"csrf_token": token},
                              files={"file": (name, b"x", "application/octet-stream")})
                 for name in ("   ", "/tmp/x/")]
    for page in pages:
        assert page.status_code == 400 and "「上传的文件」" in page.text, page.text[-3000:]
        assert "/tmp/x/" not in page.text
    long_name = "开发商楼盘表" * 40 + ".xlsx"
    cleaned = clean_upload_name(long_name)
    assert cleaned is not None and len(cleaned) <= 120 and cleaned.endswith("….xlsx"), cleaned


def test_a_users_own_retry_waits_at_least_the_stall():
    places = ImportSlots(2, stall_s=45)
    with places.hold(username="o"):
        with pytest.raises(ImportRunningForYou) as refused, places.hold(username="o"):
            pass
        with places.hold(username="another"):
            assert places.running == 2
    assert refused.value.retry_after_s == 45 and "45 秒" in refused.value.message
    assert places.running == 0


@pytest.mark.parametrize("name", ["DATABASE_CONNECTIONS", "MAX_CONCURRENT_IMPORTS", "MAX_PAGE_SIZE"])
def test_a_huge_setting_is_refused_and_shown_cut(name):
    with pytest.raises(InputError) as err:
        Settings.from_env({"XINCHENG_SECRET_KEY": "k" * 40, f"XINCHENG_{name}": "9" * 400})
    message = err.value.message
    assert err.value.field == name.lower() and "「99999999999999999999…」" in message and len(message) < 400, message


def test_a_refused_body_is_read_for_a_moment_so_the_answer_is_not_lost_to_a_reset(store):
    """A CI run and the third review: the server closed at once after its 413 or 408 while the client still sent,
    and the connection was reset, which can destroy the answer before the client reads it. The server now reads and
    drops what still comes for up to 2 s (nginx's lingering close), having sent the whole answer first."""
    import socket
    import time

    from tests.conftest import running_server, server_settings

    with running_server(server_settings(store, max_request_bytes=10_000)) as base:
        host, port = base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(f"POST /api/auth/login HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
                         f"Content-Length: 60000000\r\n\r\n".encode())
            answer = sock.recv(65536)
            assert answer.startswith(b"HTTP/1.1 413") and b"connection: close" in answer.lower(), answer[:300]
            sent, started = 0, time.monotonic()
            while time.monotonic() - started < 1.0:  # still sending, as a phone's upload does after the answer
                sock.sendall(b"x" * 16_384)
                sent += 16_384
                time.sleep(0.01)
    assert sent > 0


def test_a_mongolian_file_name_keeps_what_shapes_its_letters():
    """Noticed in review: cleaning a file name dropped every format character, the Mongolian vowel separator among
    them (ᠰᠢᠨ᠎ᠡ became ᠰᠢᠨᠡ, another word); an override that reorders the text is still dropped."""
    assert clean_upload_name("ᠰᠢᠨ\u180eᠡ ᠬᠣᠲᠠ.xlsx") == "ᠰᠢᠨ\u180eᠡ ᠬᠣᠲᠠ.xlsx"
    assert clean_upload_name("\u202egpkg.xlsx") == "gpkg.xlsx"
    assert clean_upload_name("\u200d\u180e \u202e") is None
