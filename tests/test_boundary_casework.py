"""Boundary casework on both backends: repairs (BM-03), the five-year cadence (BM-06), dispute cases (BM-09).

Use cases are called on a real store (a copy of the sample district on SQLite and PostGIS); the HTTP
tests run the real server over loopback with the test users, and the CLI runs as a subprocess.
"""

from __future__ import annotations

import base64
import io
import json
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
import shapely
from PIL import Image

from geo import crs as C
from geo.boundaries.attachments import verified_image
from geo.boundaries.cadence import inspection_due, line_cadence, overdue_lines
from geo.boundaries.disputes import (
    add_dispute_document,
    assign_dispute,
    open_dispute,
    resolve_dispute,
    withdraw_dispute,
)
from geo.boundaries.inspections import create_campaign, submit
from geo.boundaries.repairs import record_repair, repairs_of_marker
from geo.errors import Conflict, Forbidden, InputError, StaleVersion
from geo.messages import BEIJING
from geo.store import Store
from geo.types import beijing_today
from geo.users import create_user
from tests.concurrently import at_once
from tests.conftest import USERS, running_server, server_settings


def _image(kind: str, colour: str = "red", size: tuple[int, int] = (8, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, kind)
    return out.getvalue()


PNG = _image("PNG")
JPEG = _image("JPEG", size=(32, 32))
FAKE_PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # the signature, then junk: not an image
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
OURS = "150102"      # the district (the test users act for it)
SAIHAN = "150105"    # the neighbour on line XS01
HOSTILE = "<script>alert('x')</script>"
FUTURE = "<future>"  # resolved when the test runs: a run crossing Beijing's midnight must not flip it


def _today() -> date:
    """Beijing's date now, read at each use: the CI run that crossed Beijing's midnight (16:00 UTC) saw a
    date taken at import disagree with the service's."""
    return beijing_today()


def _dated(change: dict) -> dict:
    """The change with ``FUTURE`` put as a day after Beijing's today, read when the test runs (two days on:
    still in the future if Beijing's midnight passes before the code reads its own today)."""
    return {key: (_today() + timedelta(days=2)).isoformat() if value == FUTURE else value
            for key, value in change.items()}


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _marker(store: Store, number: str) -> dict:
    return store.select("boundary_markers", where={"marker_no": number})[0]


def _managed_by(store: Store, adcode: str) -> str:
    """Return the number of a single marker on XS01 that ``adcode`` manages (the sample alternates them)."""
    found = store.select("boundary_markers", where={"line_code": "XS01", "marker_type": "single",
                                                    "managing_adcode": adcode, "status": "active"})
    return found[0]["marker_no"]


def _ours(store: Store) -> str:
    return _managed_by(store, OURS)


def _theirs(store: Store) -> str:
    return _managed_by(store, SAIHAN)


def _repair(store: Store, number: str | None = None, **changes) -> dict:
    data = {"marker_id": _marker(store, number or _ours(store))["id"], "repaired_on": _today().isoformat(),
            "neighbour_present": True, "our_representative": "王建国", "neighbour_representative": "赛罕区民政局 李明",
            "work": "扶正桩体，重新描字"}
    return {**data, **changes}


def _nothing_stored(store: Store, marker: dict) -> None:
    assert store.count("marker_repairs") == 0 and store.count("boundary_attachments") == 0
    assert _marker(store, marker["marker_no"])["version"] == marker["version"]


# --- repairs (BM-03) ------------------------------------------------------------------------------


def test_a_repair_by_the_managing_side_closes_the_request_and_shows_in_the_repair_list(writable_sample_store):
    store = writable_sample_store
    from maps.campaign_report import campaign_report_file

    marker = _marker(store, _ours(store))
    campaign = create_campaign(store, {"name": "2026年新赛界线联检", "line_codes": ["XS01"],
                                       "required_accuracy_m": 10}, actor="admin")
    p = marker["geometry"]
    request, _ = submit(store, {"client_id": "repair-req-0001", "campaign_id": campaign["id"],
                                "marker_no": marker["marker_no"], "condition": "damaged",
                                "action": "repair_requested", "gnss_accuracy_m": 2,
                                "position": {"lon": p.x, "lat": p.y, "crs": "EPSG:4490"}}, actor="inspector")
    repair = record_repair(store, _repair(store, inspection_id=request["id"], our_representative=HOSTILE),
                           photos=[{"data_base64": _b64(PNG)}], actor="t-boundary_inspector", actor_adcodes={OURS})
    assert repair["repairing_adcode"] == OURS and repair["neighbour_adcode"] == SAIHAN and repair["neighbour_present"]
    assert repair["inspection_id"] == request["id"] and not repair["reset"]
    (photo,) = repair["photos"]
    assert photo["kind"] == "photo" and photo["content_type"] == "image/png" and photo["size_bytes"] == len(PNG)
    assert [a["action"] for a in store.audit_rows("marker_repairs", repair["id"])] == ["create"]
    assert store.get("boundary_markers", marker["id"])["geometry"].equals(p)  # a repair in place moves nothing
    html = campaign_report_file(store, campaign["id"], "html")[0].decode()
    assert "已修复 done" in html and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html and HOSTILE not in html
    with pytest.raises(Conflict) as err:  # one request is closed by one repair
        record_repair(store, _repair(store, inspection_id=request["id"]), photos=[{"data_base64": _b64(PNG)}],
                      actor="t-boundary_inspector", actor_adcodes={OURS})
    assert err.value.field == "inspection_id" and store.count("marker_repairs") == 1
    assert [r["id"] for r in repairs_of_marker(store, marker["id"])] == [repair["id"]]


def _repair_request(store: Store, marker: dict, client_id: str, *, observed_at: datetime | None = None) -> dict:
    """Open a campaign on XS01 and file a repair request for ``marker`` (its observed time set when given)."""
    campaign = create_campaign(store, {"name": f"联检 {client_id}", "line_codes": ["XS01"],
                                       "required_accuracy_m": 10}, actor="admin")
    p = marker["geometry"]
    request, _ = submit(store, {"client_id": client_id, "campaign_id": campaign["id"],
                                "marker_no": marker["marker_no"], "condition": "damaged",
                                "action": "repair_requested", "gnss_accuracy_m": 2,
                                "position": {"lon": p.x, "lat": p.y, "crs": "EPSG:4490"}}, actor="inspector")
    if observed_at is not None:
        request = store.update("inspections", request["id"], {"observed_at": observed_at},
                               expected_version=request["version"], actor="t")
    return request


def test_a_repair_dated_before_the_beijing_day_of_its_request_is_refused(writable_sample_store):
    """A request observed at 17:00 UTC is the next day in Beijing: a repair dated the UTC day comes before
    it, and the refusal names the Beijing day (review, 2026-12-04: the UTC date let it through)."""
    store = writable_sample_store
    marker = _marker(store, _ours(store))
    utc_day = _today() - timedelta(days=3)
    request = _repair_request(store, marker, "repair-req-utc-01",
                              observed_at=datetime(utc_day.year, utc_day.month, utc_day.day, 17, 0, tzinfo=UTC))
    beijing_day = utc_day + timedelta(days=1)
    with pytest.raises(InputError) as err:
        record_repair(store, _repair(store, inspection_id=request["id"], repaired_on=utc_day.isoformat()),
                      photos=[{"data_base64": _b64(PNG)}], actor="t-boundary_inspector", actor_adcodes={OURS})
    assert err.value.field == "repaired_on" and beijing_day.isoformat() in err.value.message, err.value.message
    _nothing_stored(store, marker)
    done = record_repair(store, _repair(store, inspection_id=request["id"], repaired_on=beijing_day.isoformat()),
                         photos=[{"data_base64": _b64(PNG)}], actor="t-boundary_inspector", actor_adcodes={OURS})
    assert done["repaired_on"] == beijing_day


def test_a_request_from_a_phone_whose_clock_runs_ahead_does_not_block_todays_repair(writable_sample_store):
    """A phone may say a request was observed tomorrow (its clock ahead; up to 12 h is accepted): the request's
    day is never after the server received it, so the repair done today is recorded (review, 2026-12-04)."""
    store = writable_sample_store
    marker = _marker(store, _ours(store))
    today = _today()
    ahead = datetime(today.year, today.month, today.day, 10, 0, tzinfo=BEIJING) + timedelta(days=1)
    request = _repair_request(store, marker, "repair-req-fast-01", observed_at=ahead)
    done = record_repair(store, _repair(store, inspection_id=request["id"], repaired_on=today.isoformat()),
                         photos=[{"data_base64": _b64(PNG)}], actor="t-boundary_inspector", actor_adcodes={OURS})
    assert done["repaired_on"] == today and done["inspection_id"] == request["id"]


GIF = {"data_base64": _b64(b"GIF89a" + b"\x00" * 20)}


@pytest.mark.parametrize("change,photos,field,words", [
    ({"neighbour_present": False}, None, "neighbour_present", "BM-03"),
    ({"neighbour_present": None}, None, "neighbour_present", "相邻方"),
    ({"neighbour_representative": "  "}, None, "neighbour_representative", "BM-03"),
    ({"our_representative": None}, None, "our_representative", "本方代表"),
    ({"work": ""}, None, "work", "修复内容"),
    ({"repaired_on": FUTURE}, None, "repaired_on", "不能晚于今天"),
    ({"repaired_on": "2026-13-40"}, None, "repaired_on", "repaired_on"),
    ({"repaired_on": None}, None, "repaired_on", "修复日期"),
    ({"repairing_adcode": SAIHAN}, None, "repairing_adcode", "BM-03"),
    ({"neighbour_adcode": "150103"}, None, "neighbour_adcode", "BM-03"),
    ({}, [], "photos", "照片"),
    ({}, [GIF], "photos", "JPEG"),
    ({}, [{"data_base64": "not base64!"}], "photos", "base64"),
    ({"reset": True, "marker_version": 1, "survey_ref": "联测-1", "filed_with": "呼和浩特市民政局",
      "new_position": {"lon": 111.8, "lat": 40.8}}, None, "agreement_doc", "BM-04"),
    ({"new_position": {"lon": 111.8, "lat": 40.8}}, None, "new_position", "reset"),
    ({"inspection_id": 999_999}, None, "inspection_id", "repair_requested"),
    ({"repaired_on": "1800-01-01"}, None, "repaired_on", "1949-10-01"),
    ({"repaired_on": "1949-09-30"}, None, "repaired_on", "BM-03"),
    ({}, [{"data_base64": _b64(FAKE_PNG)}], "photos", "无法解码"),
    ({}, [{"data_base64": _b64(PNG)}, {"data_base64": _b64(JPEG[: len(JPEG) // 2])}], "photos", "无法解码"),
])
def test_bad_repairs_are_refused_naming_the_field_and_nothing_is_stored(writable_sample_store, change, photos,
                                                                         field, words):
    store = writable_sample_store
    marker = _marker(store, _ours(store))
    with pytest.raises(InputError) as err:
        record_repair(store, _repair(store, **_dated(change)),
                      photos=[{"data_base64": _b64(PNG)}] if photos is None else photos,
                      actor="t-boundary_inspector", actor_adcodes={OURS})
    assert err.value.field == field and words in err.value.message, err.value.message
    assert err.value.message.index(" · ") > 0 and any("\u4e00" <= ch <= "\u9fff" for ch in err.value.message[:20])
    _nothing_stored(store, marker)


def test_a_repair_before_the_marker_was_installed_is_refused(writable_sample_store):
    store = writable_sample_store
    marker = _marker(store, _ours(store))
    marker = store.update("boundary_markers", marker["id"], {"installed_on": date(2020, 5, 1)},
                          expected_version=marker["version"], actor="test")
    with pytest.raises(InputError) as err:
        record_repair(store, _repair(store, repaired_on="2019-12-31"), photos=[{"data_base64": _b64(PNG)}],
                      actor="t-boundary_inspector", actor_adcodes={OURS})
    assert err.value.field == "repaired_on" and "2020-05-01" in err.value.message
    _nothing_stored(store, marker)


def test_only_the_managing_side_repairs(writable_sample_store):
    """BM-03: an officer acting for 赛罕区 cannot record the repair of a marker 新城区 manages, and back."""
    store = writable_sample_store
    ours = _marker(store, _ours(store))
    with pytest.raises(Forbidden) as err:
        record_repair(store, _repair(store), photos=[{"data_base64": _b64(PNG)}], actor="saihan",
                      actor_adcodes={SAIHAN})
    assert err.value.field == "repairing_adcode" and "BM-03" in err.value.message
    _nothing_stored(store, ours)
    theirs = record_repair(store, _repair(store, _theirs(store), neighbour_representative="新城区民政局 张伟"),
                           photos=[{"data_base64": _b64(PNG)}], actor="saihan", actor_adcodes={SAIHAN})
    assert theirs["repairing_adcode"] == SAIHAN and theirs["neighbour_adcode"] == OURS


def test_a_reset_moves_the_marker_through_bm04_and_keeps_the_old_position(writable_sample_store):
    store = writable_sample_store
    marker = _marker(store, _ours(store))
    old = marker["geometry"]
    metric = C.to_metric(old)
    new = C.from_metric(shapely.Point(metric.x + 0.8, metric.y))
    docs = {"reset": True, "agreement_doc": "新赛协〔2026〕2号", "survey_ref": "联测-2026-09",
            "filed_with": "呼和浩特市民政局", "new_position": {"lon": new.x, "lat": new.y, "crs": "EPSG:4490"}}
    with pytest.raises(StaleVersion) as err:  # based on an old version of the marker: 409, nothing stored
        record_repair(store, _repair(store, **docs, marker_version=marker["version"] - 1 or 99),
                      photos=[{"data_base64": _b64(PNG)}], actor="t-boundary_inspector", actor_adcodes={OURS})
    assert err.value.status == 409 and err.value.field == "marker_version"
    _nothing_stored(store, marker)
    repair = record_repair(store, _repair(store, **docs, marker_version=marker["version"]),
                           photos=[{"data_base64": _b64(PNG)}], actor="t-boundary_inspector", actor_adcodes={OURS})
    moved = store.get("boundary_markers", marker["id"])
    assert repair["reset"] and repair["new_marker_id"] == marker["id"]
    assert moved["version"] == marker["version"] + 1 and moved["geometry"].x == pytest.approx(new.x)
    last = store.audit_rows("boundary_markers", marker["id"])[-1]
    assert last["action"] == "move" and "新赛协〔2026〕2号" in last["note"] and "联测-2026-09" in last["note"]
    before = json.loads(last["before"])["geometry"]["coordinates"]
    assert before == pytest.approx([old.x, old.y])
    # a re-set 5 km away is no repair (BM-04 move): refused naming the distance, no repair stored either
    far = C.from_metric(shapely.Point(metric.x, metric.y + 5000))
    with pytest.raises(InputError) as err:
        record_repair(store, _repair(store, **{**docs, "new_position": {"lon": far.x, "lat": far.y}},
                                     marker_version=moved["version"]),
                      photos=[{"data_base64": _b64(PNG)}], actor="t-boundary_inspector", actor_adcodes={OURS})
    assert err.value.field == "new_position" and store.count("marker_repairs") == 1
    assert store.get("boundary_markers", marker["id"])["version"] == moved["version"]


# --- the five-year cadence (BM-06) ------------------------------------------------------------------


def test_inspection_due_around_the_five_year_boundary():
    last = date(2021, 6, 30)
    on_the_day = inspection_due(last, today=date(2026, 6, 30))
    assert on_the_day.due_on == date(2026, 6, 30) and on_the_day.days_overdue == 0 and not on_the_day.overdue
    assert inspection_due(last, today=date(2026, 7, 1)).days_overdue == 1
    assert inspection_due(last, today=date(2026, 7, 1)).overdue
    assert inspection_due(last, today=date(2026, 6, 29)).days_overdue == -1
    assert inspection_due(date(2020, 2, 29), today=date(2025, 3, 1)).due_on == date(2025, 2, 28)
    latest = inspection_due(date(2019, 1, 1), None, date(2022, 3, 1), today=date(2026, 1, 1))
    assert latest.last_inspected_on == date(2022, 3, 1) and not latest.overdue
    never = inspection_due(None, None, today=date(2026, 1, 1))
    assert never.overdue and never.due_on is None and never.days_overdue is None


def test_overdue_lines_from_the_register_and_filed_periodic_campaigns(writable_sample_store):
    store = writable_sample_store
    today = date(2026, 7, 1)
    lines = {r["line_code"]: r for r in store.select("boundary_lines")}
    assert set(lines) >= {"XH01", "XS01", "XW01", "XZ01"}
    for code, last in (("XH01", date(2021, 6, 30)), ("XS01", date(2021, 7, 1)), ("XW01", date(2018, 1, 1)),
                       ("XZ01", None)):
        store.update("boundary_lines", lines[code]["id"], {"last_inspected_on": last},
                     expected_version=lines[code]["version"], actor="test")
    # XW01: a filed periodic campaign in 2024 counts; a special one, or one not filed, does not
    for kind, filed, codes in (("periodic", date(2024, 5, 1), ["XW01"]), ("special", date(2025, 1, 1), ["XZ01"]),
                               ("periodic", None, ["XZ01"])):
        c = create_campaign(store, {"name": f"{kind}-{filed}", "campaign_type": kind, "line_codes": codes,
                                    "required_accuracy_m": 5}, actor="admin")
        if filed:
            store.update("inspection_campaigns", c["id"], {"status": "signed_off", "filed_date": filed},
                         expected_version=c["version"], actor="test")
    cadence = {r["line_code"]: r for r in line_cadence(store, today=today)}
    assert cadence["XH01"]["days_overdue"] == 1 and cadence["XH01"]["status"] == "overdue"
    assert cadence["XS01"]["days_overdue"] == 0 and cadence["XS01"]["status"] == "ok"
    assert cadence["XW01"]["last_inspected_on"] == date(2024, 5, 1) and cadence["XW01"]["status"] == "ok"
    assert cadence["XZ01"]["status"] == "never" and "从未联检" in cadence["XZ01"]["note"]
    assert [r["line_code"] for r in overdue_lines(store, today=today)] == ["XZ01", "XH01"]
    assert [r["line_code"] for r in overdue_lines(store, today=date(2029, 5, 2))] == ["XZ01", "XH01", "XS01",
                                                                                       "XW01"]


def test_a_date_past_the_calendar_end_is_not_due_in_any_shown_year(writable_sample_store):
    """A restore can hold a last inspection in year 9998 (the API refuses a future day; an archive is not the API):
    the five years on fall past 9999, and the register, the API's due list and the CLI's overdue list read it as
    not due (they answered 500 and a traceback: ``year 10003 is out of range``)."""
    assert inspection_due(date(9998, 6, 1), today=date(2026, 7, 1)).due_on == date.max
    assert not inspection_due(date(9998, 6, 1), today=date(2026, 7, 1)).overdue
    assert inspection_due(date(1, 1, 1), years=-5, today=date(2026, 7, 1)).due_on == date.min
    store = writable_sample_store
    line = next(r for r in store.select("boundary_lines") if r["line_code"] == "XH01")
    store.update("boundary_lines", line["id"], {"last_inspected_on": date(9998, 6, 1)},
                 expected_version=line["version"], actor="test")
    cadence = {r["line_code"]: r for r in line_cadence(store, today=date(2026, 7, 1))}
    assert cadence["XH01"]["status"] == "ok" and cadence["XH01"]["due_on"] == date.max
    assert "XH01" not in [r["line_code"] for r in overdue_lines(store, today=date(2026, 7, 1))]


# --- dispute cases (BM-09) --------------------------------------------------------------------------


def _area_on_line(store: Store, code: str = "XS01", *, width_m: float = 100.0, height_m: float = 50.0,
                  shift_m: float = 0.0) -> dict:
    line = store.select("boundary_lines", where={"line_code": code})[0]["geometry"]
    mid = C.to_metric(line).interpolate(0.5, normalized=True)
    box = shapely.box(mid.x - width_m / 2, mid.y - height_m / 2 + shift_m, mid.x + width_m / 2,
                      mid.y + height_m / 2 + shift_m)
    return shapely.geometry.mapping(C.from_metric(box))


def _open(store: Store, **changes) -> dict:
    data = {"line_code": "XS01", "title": "二道河段界线走向争议", "geometry": _area_on_line(store),
            "marker_nos": [_ours(store), _theirs(store)], **changes}
    return open_dispute(store, data, actor="t-boundary_inspector", actor_adcodes={OURS})


def test_dispute_lifecycle_with_documents_and_the_decision(writable_sample_store):
    store = writable_sample_store
    before = _today()
    case = _open(store, title=HOSTILE)
    opened = {before, _today()}  # the day the code read lies between the two reads
    assert case["case_no"] in {f"JX{d.year}-001" for d in opened} and case["state"] == "open"
    assert case["raised_by_adcode"] == OURS
    assert case["area_m2"] == pytest.approx(5000, rel=0.01) and case["title"] == HOSTILE
    assert case["marker_nos"] == sorted([_ours(store), _theirs(store)]) and case["opened_on"] in opened
    assert _open(store)["case_no"] == f"JX{_today().year}-002"
    with pytest.raises(Conflict) as err:  # open → resolved skips the assignment
        resolve_dispute(store, case["id"], {"decision_doc": "呼民发〔2026〕8号", "resolution": "维持原界线"},
                        expected_version=case["version"], actor="a", actor_adcodes={OURS})
    assert err.value.field == "state" and "已立案 open" in err.value.message
    case = assign_dispute(store, case["id"], assigned_to="呼和浩特市民政局区划地名科", expected_version=1,
                          actor="a", actor_adcodes={OURS})
    assert case["state"] == "assigned" and case["version"] == 2
    with pytest.raises(StaleVersion):
        assign_dispute(store, case["id"], assigned_to="别处", expected_version=1, actor="a", actor_adcodes={OURS})
    case = add_dispute_document(store, case["id"], {"title": "现场踏勘记录", "document_no": "踏勘-01",
                                                    "issued_on": _today().isoformat(), "data_base64": _b64(PDF)},
                                expected_version=2, actor="a", actor_adcodes={SAIHAN})
    (doc,) = case["documents"]
    assert doc["content_type"] == "application/pdf" and doc["document_no"] == "踏勘-01" and case["version"] == 3
    with pytest.raises(InputError) as err:  # BM-09: the decision document is required
        resolve_dispute(store, case["id"], {"resolution": "维持原界线"}, expected_version=3, actor="a",
                        actor_adcodes={OURS})
    assert err.value.field == "decision_doc" and "BM-09" in err.value.message
    done = resolve_dispute(store, case["id"], {"decision_doc": "呼民发〔2026〕8号", "resolution": "维持协议界线",
                                               "document": {"data_base64": _b64(PDF), "issued_on": _today().isoformat(),
                                                            "title": "处理决定"}},
                           expected_version=3, actor="a", actor_adcodes={OURS})
    assert done["state"] == "resolved" and done["resolved_on"] == _today()
    assert done["decision_doc"] == "呼民发〔2026〕8号"
    assert [d["document_no"] for d in done["documents"]] == ["踏勘-01", "呼民发〔2026〕8号"]
    with pytest.raises(Conflict):  # a resolved case is history
        withdraw_dispute(store, case["id"], reason="双方和解", expected_version=4, actor="a", actor_adcodes={OURS})
    actions = [r["action"] for r in store.audit_rows("boundary_disputes", case["id"])]
    assert actions == ["create", "assign", "refused_stale_version", "add_document", "resolve"] or \
        actions == ["create", "assign", "add_document", "resolve"]
    other = store.select("boundary_disputes", where={"case_no": f"JX{_today().year}-002"})[0]
    gone = withdraw_dispute(store, other["id"], reason="对方撤回申请", expected_version=1, actor="a",
                            actor_adcodes={OURS})
    assert gone["state"] == "withdrawn" and "对方撤回申请" in gone["remarks"]


@pytest.mark.parametrize("change,field,error", [
    ({"geometry": None}, "geometry", InputError),
    ({"geometry": {"type": "Polygon", "coordinates": [[[111.70, 40.80], [111.71, 40.81], [111.71, 40.80],
                                                        [111.70, 40.81], [111.70, 40.80]]]}}, "geometry", InputError),
    ({"geometry": {"type": "Point", "coordinates": [111.7, 40.8]}}, "geometry", InputError),
    ({"far": True}, "geometry", InputError),
    ({"marker_nos": ["XH01003Q"]}, "marker_nos", InputError),
    ({"line_code": "XX99"}, "line_code", InputError),
    ({"title": " "}, "title", InputError),
    ({"opened_on": FUTURE}, "opened_on", InputError),
    ({"raised_by_adcode": "150103"}, "raised_by_adcode", InputError),
    ({"raised_by_adcode": SAIHAN}, "raised_by_adcode", Forbidden),
])
def test_bad_disputes_are_refused_and_nothing_is_stored(writable_sample_store, change, field, error):
    store = writable_sample_store
    if change.pop("far", False):
        change["geometry"] = _area_on_line(store, shift_m=3000)
    with pytest.raises(error) as err:
        _open(store, **_dated(change))
    assert err.value.field == field, err.value.message
    assert store.count("boundary_disputes") == 0 and store.count("boundary_attachments") == 0


def test_a_district_off_the_line_cannot_touch_its_cases_and_bad_documents_store_nothing(writable_sample_store):
    store = writable_sample_store
    case = _open(store)
    with pytest.raises(Forbidden):
        open_dispute(store, {"line_code": "XS01", "title": "x", "geometry": _area_on_line(store)}, actor="huimin",
                     actor_adcodes={"150103"})
    with pytest.raises(Forbidden):
        assign_dispute(store, case["id"], assigned_to="x", expected_version=1, actor="huimin",
                       actor_adcodes={"150103"})
    for document, field in (({"document_no": "x", "issued_on": _today().isoformat(), "data_base64": _b64(b"MZ\x90")},
                             "data_base64"),
                            ({"issued_on": _today().isoformat(), "data_base64": _b64(PDF)}, "document_no"),
                            ({"document_no": "x", "data_base64": _b64(PDF)}, "issued_on")):
        with pytest.raises(InputError) as err:
            add_dispute_document(store, case["id"], document, expected_version=1, actor="a", actor_adcodes={OURS})
        assert err.value.field == field
    assert store.count("boundary_attachments") == 0 and store.get("boundary_disputes", case["id"])["version"] == 1


# --- over HTTP, with roles and districts ------------------------------------------------------------


def _token(base: str, name: str, password: str) -> dict[str, str]:
    r = httpx.post(f"{base}/api/auth/login", json={"username": name, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _role(base: str, role: str) -> dict[str, str]:
    return _token(base, *USERS[role])


def test_casework_over_http(writable_server, writable_sample_store):
    store, base = writable_sample_store, writable_server
    create_user(store, "saihan-inspector", "saihan-password-123", "boundary_inspector", adcodes=[SAIHAN],
                actor="test")
    inspector, planner = _role(base, "boundary_inspector"), _role(base, "planner")
    saihan = _token(base, "saihan-inspector", "saihan-password-123")
    ours = _marker(store, _ours(store))
    body = {k: v for k, v in _repair(store).items() if k != "marker_id"} | {"photos": [{"data_base64": _b64(PNG)}]}
    url = f"{base}/api/markers/{ours['id']}/repairs"
    assert httpx.post(url, json=body).status_code == 401
    assert httpx.post(url, json=body, headers=planner).status_code == 403
    refused = httpx.post(url, json=body, headers=saihan)  # acts for 150105, the marker is 150102's
    assert refused.status_code == 403 and refused.json()["field"] == "repairing_adcode"
    bad = httpx.post(url, json={**body, "neighbour_present": False}, headers=inspector)
    assert bad.status_code == 400 and bad.json()["field"] == "neighbour_present" and "BM-03" in bad.json()["message"]
    assert store.count("marker_repairs") == 0
    made = httpx.post(url, json={**body, "remarks": HOSTILE}, headers=inspector)
    assert made.status_code == 201, made.text
    listed = httpx.get(url, headers=inspector).json()
    assert [r["id"] for r in listed] == [made.json()["id"]] and listed[0]["remarks"] == HOSTILE
    photo = httpx.get(f"{base}/api/boundary-attachments/{listed[0]['photos'][0]['id']}", headers=inspector)
    assert photo.status_code == 200 and photo.content == PNG and photo.headers["content-type"] == "image/png"
    assert httpx.get(f"{base}/api/boundary-attachments/{listed[0]['photos'][0]['id']}",
                     headers=planner).status_code == 403

    due = httpx.get(f"{base}/api/boundary-lines/inspection-due", headers=inspector)
    assert due.status_code == 200 and due.json()
    assert [r["line_code"] for r in due.json()] == [r["line_code"] for r in overdue_lines(store)]
    assert all(r["status"] in ("overdue", "never") for r in due.json())
    every = httpx.get(f"{base}/api/boundary-lines/inspection-due", params={"all": "true"}, headers=inspector).json()
    assert {r["line_code"] for r in every} == {"XH01", "XS01", "XW01", "XZ01"}

    opened = httpx.post(f"{base}/api/disputes", headers=inspector,
                        json={"line_code": "XS01", "title": HOSTILE, "geometry": _area_on_line(store),
                              "marker_nos": [_ours(store)]})
    assert opened.status_code == 201, opened.text
    case = opened.json()
    assert case["title"] == HOSTILE and "geometry" not in case and case["state"] == "open"
    geometry = httpx.get(f"{base}/api/disputes/{case['id']}/geometry", headers=inspector)
    assert geometry.headers["content-type"].startswith("application/geo+json")
    feature = geometry.json()
    assert feature["geometry"]["type"] == "Polygon" and feature["properties"]["case_no"] == case["case_no"]
    stale = httpx.post(f"{base}/api/disputes/{case['id']}/assign", headers=inspector,
                       json={"version": 7, "assigned_to": "市民政局"})
    assert stale.status_code == 409 and stale.json()["field"] == "version"
    jumped = httpx.post(f"{base}/api/disputes/{case['id']}/resolve", headers=inspector,
                        json={"version": 1, "decision_doc": "呼民发〔2026〕8号", "resolution": "维持"})
    assert jumped.status_code == 409 and jumped.json()["field"] == "state"
    assigned = httpx.post(f"{base}/api/disputes/{case['id']}/assign", headers=saihan,
                          json={"version": 1, "assigned_to": "市民政局"})
    assert assigned.status_code == 200 and assigned.json()["state"] == "assigned"
    doc = httpx.post(f"{base}/api/disputes/{case['id']}/documents", headers=inspector,
                     json={"version": 2, "document_no": "踏勘-01", "issued_on": _today().isoformat(),
                           "data_base64": _b64(PDF)})
    assert doc.status_code == 200 and doc.json()["documents"][0]["document_no"] == "踏勘-01"
    no_decision = httpx.post(f"{base}/api/disputes/{case['id']}/resolve", headers=inspector,
                             json={"version": 3, "resolution": "维持"})
    assert no_decision.status_code == 400 and no_decision.json()["field"] == "decision_doc"
    resolved = httpx.post(f"{base}/api/disputes/{case['id']}/resolve", headers=inspector,
                          json={"version": 3, "decision_doc": "呼民发〔2026〕8号", "resolution": "维持协议界线",
                                "document": {"data_base64": _b64(PDF), "issued_on": _today().isoformat()}})
    assert resolved.status_code == 200 and resolved.json()["state"] == "resolved"
    listed = httpx.get(f"{base}/api/disputes", params={"state": "resolved"}, headers=inspector).json()
    assert [c["case_no"] for c in listed] == [case["case_no"]]
    assert httpx.get(f"{base}/api/disputes", headers=planner).status_code == 403
    spec = httpx.get(f"{base}/openapi.json", timeout=60).json()["paths"]
    assert {"/api/disputes", "/api/markers/{marker_id}/repairs", "/api/boundary-lines/inspection-due"} <= set(spec)


def test_generic_layer_paths_cannot_reach_the_casework_tables(writable_server):
    admin = _role(writable_server, "admin")
    for table in ("marker_repairs", "boundary_disputes", "boundary_attachments"):
        r = httpx.post(f"{writable_server}/api/layers/{table}/features", headers=admin,
                       json={"type": "Feature", "properties": {"state": "resolved"}, "geometry": None})
        assert r.status_code == 404 and r.json()["field"] == "layer"


def test_cli_lists_overdue_lines_repairs_and_disputes(writable_sample_store):
    store = writable_sample_store
    record_repair(store, _repair(store, work="重新描字"), photos=[{"data_base64": _b64(PNG)}], actor="t",
                  actor_adcodes={OURS})
    _open(store)
    for line in store.select("boundary_lines"):
        last = None if line["line_code"] == "XZ01" else date(2024, 1, 1)
        store.update("boundary_lines", line["id"], {"last_inspected_on": last}, expected_version=line["version"],
                     actor="test")
    url = store.engine.url.render_as_string(hide_password=False)

    def run(*args: str) -> str:
        r = subprocess.run([sys.executable, "-m", "api.cli", "--database-url", url, "boundaries", *args],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        return r.stdout

    overdue = run("overdue", "--today", "2026-07-01")
    assert "XZ01" in overdue and "从未联检" in overdue and "XS01" not in overdue and "共 1 条" in overdue
    assert "共 4 条" in run("overdue", "--all") and "2029-01-01" in run("overdue", "--all")
    assert _ours(store) in run("repairs") and "重新描字" in run("repairs", "--line", "XS01")
    assert "二道河段界线走向争议" in run("disputes", "--state", "open")


def test_the_boundary_report_lists_overdue_lines_open_disputes_and_repairs(writable_sample_store):
    from data.names import NEIGHBOURS
    from data.sample_district import load_boundaries
    from geo.boundaries.report import boundary_report, casework_summary

    store = writable_sample_store
    repair = record_repair(store, _repair(store), photos=[{"data_base64": _b64(PNG)}], actor="t",
                           actor_adcodes={OURS})
    case = _open(store)
    xz = store.select("boundary_lines", where={"line_code": "XZ01"})[0]
    store.update("boundary_lines", xz["id"], {"last_inspected_on": None}, expected_version=xz["version"], actor="t")
    report = {r.neighbour: r for r in boundary_report(store, load_boundaries(),
                                                      {a: n for a, (n, _l) in NEIGHBOURS.items()},
                                                      today=date(2026, 7, 1))}
    assert report[SAIHAN].open_disputes == [case["case_no"]] and report["150103"].open_disputes == []
    assert report[SAIHAN].repairs == [(_ours(store), repair["repaired_on"])]
    assert report["150921"].inspection_status == "never" and report["150921"].overdue
    summary = casework_summary(store, today=date(2026, 7, 1))
    assert summary.overdue[0]["line_code"] == "XZ01" and [d["case_no"] for d in summary.open_disputes] == [
        case["case_no"]] and [r["id"] for r in summary.repairs] == [repair["id"]]


def test_two_cases_opened_at_once_get_two_numbers(writable_sample_store):
    store = writable_sample_store
    outcomes = at_once(lambda: _open(store)["case_no"])
    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    assert sorted(str(o) for o in outcomes) == [f"JX{_today().year}-001", f"JX{_today().year}-002"]


# --- fixes after the outside review of #16 ----------------------------------------------------------


def _photo_ids(store: Store) -> list[int]:
    return [a["id"] for a in store.select("boundary_attachments")]


def test_the_same_repair_sent_again_returns_the_first_record_and_stores_nothing(writable_sample_store):
    """A phone retrying on a bad network sends the same repair three times: one record, one set of photos."""
    store = writable_sample_store
    photos = [{"data_base64": _b64(PNG)}, {"data_base64": _b64(JPEG)}]
    sent = _repair(store)  # one payload, sent again as is (read once: a retry carries the day it was made)
    first = record_repair(store, dict(sent), photos=photos, actor="t", actor_adcodes={OURS})
    audit = len(store.audit_rows("marker_repairs", first["id"]))
    for again in (photos, list(reversed(photos))):  # the photos in another order are the same photos
        repeat = record_repair(store, dict(sent), photos=again, actor="t", actor_adcodes={OURS})
        assert repeat["repeated"] and repeat["id"] == first["id"] and not first["repeated"]
        assert [p["id"] for p in repeat["photos"]] == [p["id"] for p in first["photos"]]
    assert store.count("marker_repairs") == 1 and store.count("boundary_attachments") == 2
    assert len(store.audit_rows("marker_repairs", first["id"])) == audit
    # another photo, another day or other work is another repair
    other = record_repair(store, _repair(store), photos=[{"data_base64": _b64(_image("PNG", "blue"))}], actor="t",
                          actor_adcodes={OURS})
    later = record_repair(store, _repair(store, work="更换桩体"), photos=photos, actor="t", actor_adcodes={OURS})
    assert not other["repeated"] and not later["repeated"] and store.count("marker_repairs") == 3


def test_repeats_sent_at_the_same_moment_store_one_repair(writable_sample_store):
    store = writable_sample_store
    sent = _repair(store)  # one payload for the three sends
    outcomes = at_once(lambda: record_repair(store, dict(sent), photos=[{"data_base64": _b64(PNG)}],
                                             actor="t", actor_adcodes={OURS}), times=3)
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    results = [o for o in outcomes if not isinstance(o, BaseException)]
    assert not errors, errors
    assert len({r["id"] for r in results}) == 1 and sorted(r["repeated"] for r in results) == [False, True, True]
    assert store.count("marker_repairs") == 1 and store.count("boundary_attachments") == 1


def test_a_reset_kilometres_away_is_not_a_repair(writable_sample_store):
    """0.05° east (about 4.2 km) is a BM-04 move of the marker, not a re-set during a repair (50 m at most)."""
    store = writable_sample_store
    marker = _marker(store, _ours(store))
    p = marker["geometry"]
    docs = {"reset": True, "agreement_doc": "新赛协〔2026〕2号", "survey_ref": "联测-2026-09",
            "filed_with": "呼和浩特市民政局", "marker_version": marker["version"]}
    with pytest.raises(InputError) as err:
        record_repair(store, _repair(store, **docs, new_position={"lon": p.x + 0.05, "lat": p.y}),
                      photos=[{"data_base64": _b64(PNG)}], actor="t", actor_adcodes={OURS})
    assert err.value.field == "new_position" and "BM-04" in err.value.message and "50 米" in err.value.message
    metres = float(err.value.message.split("距界桩原登记位置 ")[1].split(" 米")[0].replace(",", ""))
    assert 4000 < metres < 4400
    _nothing_stored(store, marker)
    metric = C.to_metric(p)
    near = C.from_metric(shapely.Point(metric.x + 30, metric.y))  # 30 m: a re-set by the old site
    done = record_repair(store, _repair(store, **docs, new_position={"lon": near.x, "lat": near.y}),
                         photos=[{"data_base64": _b64(PNG)}], actor="t", actor_adcodes={OURS})
    assert done["reset"] and store.get("boundary_markers", marker["id"])["geometry"].x == pytest.approx(near.x)


def test_images_must_decode_as_photos_and_as_documents(writable_sample_store):
    assert verified_image(PNG, field="photos") == "image/png"
    assert verified_image(JPEG, field="photos") == "image/jpeg"
    for junk in (FAKE_PNG, JPEG[:-40], b"\xff\xd8\xff" + b"\x00" * 100, PNG[:-12]):
        with pytest.raises(InputError) as err:
            verified_image(junk, field="photos")
        assert err.value.field == "photos" and err.value.message.startswith("照片")
    store = writable_sample_store
    case = _open(store)
    with pytest.raises(InputError) as err:
        add_dispute_document(store, case["id"], {"document_no": "踏勘-01", "issued_on": _today().isoformat(),
                                                 "data_base64": _b64(FAKE_PNG)}, expected_version=1, actor="a",
                             actor_adcodes={OURS})
    assert err.value.field == "data_base64" and "无法解码" in err.value.message
    assert store.count("boundary_attachments") == 0 and store.get("boundary_disputes", case["id"])["version"] == 1
    scanned = add_dispute_document(store, case["id"], {"document_no": "踏勘-01", "issued_on": _today().isoformat(),
                                                       "data_base64": _b64(JPEG)}, expected_version=1, actor="a",
                                   actor_adcodes={OURS})
    assert scanned["documents"][0]["content_type"] == "image/jpeg"


def test_a_dispute_is_resolved_only_with_its_decision_document_on_file(writable_sample_store):
    store = writable_sample_store
    case = _open(store)
    case = assign_dispute(store, case["id"], assigned_to="呼和浩特市民政局", expected_version=1, actor="a",
                          actor_adcodes={OURS})
    case = add_dispute_document(store, case["id"], {"document_no": "踏勘-01", "issued_on": _today().isoformat(),
                                                    "data_base64": _b64(PDF)}, expected_version=2, actor="a",
                                actor_adcodes={OURS})
    decision = {"decision_doc": "呼民发〔2026〕8号", "resolution": "维持协议界线"}
    with pytest.raises(InputError) as err:  # only the number typed (another document on file is not it)
        resolve_dispute(store, case["id"], decision, expected_version=3, actor="a", actor_adcodes={OURS})
    assert err.value.field == "document" and "呼民发〔2026〕8号" in err.value.message and "BM-09" in err.value.message
    after = store.get("boundary_disputes", case["id"])
    assert after["state"] == "assigned" and after["version"] == 3 and after["decision_doc"] is None
    assert store.count("boundary_attachments") == 1
    # the decision added to the case before, under its number: the case can be resolved
    case = add_dispute_document(store, case["id"], {"document_no": "呼民发〔2026〕8号",
                                                    "issued_on": _today().isoformat(),
                                                    "data_base64": _b64(PDF), "title": "处理决定"},
                                expected_version=3, actor="a", actor_adcodes={OURS})
    done = resolve_dispute(store, case["id"], decision, expected_version=4, actor="a", actor_adcodes={OURS})
    assert done["state"] == "resolved" and done["decision_doc"] == "呼民发〔2026〕8号"


def test_repairs_over_http_are_strict_and_idempotent(writable_server, writable_sample_store):
    store, base = writable_sample_store, writable_server
    inspector = _role(base, "boundary_inspector")
    ours = _marker(store, _ours(store))
    url = f"{base}/api/markers/{ours['id']}/repairs"
    body = {k: v for k, v in _repair(store).items() if k != "marker_id"} | {"photos": [{"data_base64": _b64(PNG)}]}
    for change, field in (({"neighbour_present": "yes"}, "neighbour_present"),
                          ({"neighbour_present": 1}, "neighbour_present"),
                          ({"marker_version": "1"}, "marker_version"),
                          ({"reset": "true"}, "reset"),
                          ({"repaired_on": "1800-01-01"}, "repaired_on"),
                          ({"photos": [{"data_base64": _b64(FAKE_PNG)}]}, "photos")):
        r = httpx.post(url, json={**body, **change}, headers=inspector)
        assert r.status_code in (400, 422) and field in r.json()["field"], (change, r.text)
        chinese = r.json()["message"].split(" · ")[0]  # Chinese first, English beside it
        assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese), r.text
    assert store.count("marker_repairs") == 0 and store.count("boundary_attachments") == 0
    answers = [httpx.post(url, json=body, headers=inspector) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 200, 200], [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert store.count("marker_repairs") == 1 and store.count("boundary_attachments") == 1
    assert len(httpx.get(url, headers=inspector).json()) == 1


def test_an_oversized_document_is_refused_chinese_first(writable_sample_store):
    with running_server(server_settings(writable_sample_store, max_request_bytes=64_000)) as base:
        inspector = _role(base, "boundary_inspector")
        big = {"version": 1, "document_no": "x", "issued_on": _today().isoformat(), "data_base64": "A" * 100_000}
        r = httpx.post(f"{base}/api/disputes/1/documents", json=big, headers=inspector)
    assert r.status_code == 413 and r.json()["field"] == "body"
    message = r.json()["message"]
    assert message.startswith("请求内容有 ") and "64,000" in message and " · the request body is " in message


def test_cli_labels_states_says_when_lines_are_due_and_refuses_unknown_lines(writable_sample_store):
    store = writable_sample_store
    for line in store.select("boundary_lines"):
        last = None if line["line_code"] == "XZ01" else date(2024, 1, 1)
        store.update("boundary_lines", line["id"], {"last_inspected_on": last}, expected_version=line["version"],
                     actor="test")
    url = store.engine.url.render_as_string(hide_password=False)

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "api.cli", "--database-url", url, "boundaries", *args],
                              capture_output=True, text=True, timeout=120)

    bogus = run("disputes", "--state", "bogus")
    assert bogus.returncode == 2 and "Traceback" not in bogus.stderr
    assert all(w in bogus.stderr for w in ("已立案 open", "已交办 assigned", "已结案 resolved", "已撤回 withdrawn"))
    assert "--state" in bogus.stderr and "进行中" not in bogus.stderr
    _open(store)
    listed = run("disputes", "--state", "open")
    assert listed.returncode == 0 and "已立案 open" in listed.stdout
    every = run("overdue", "--all", "--today", "2026-07-01")
    assert every.returncode == 0 and not re.search(r"\t-\d", every.stdout), every.stdout
    assert "距到期 915 天 · due in 915 days" in every.stdout and "从未联检" in every.stdout
    late = run("overdue", "--today", "2029-01-03")
    assert "逾期 2 天 · 2 days overdue" in late.stdout
    for command in ("repairs", "disputes"):
        unknown = run(command, "--line", "XX99")
        assert unknown.returncode == 2 and "--line" in unknown.stderr and "XX99" in unknown.stderr, unknown.stderr
        assert "不是已登记的界线" in unknown.stderr and "Traceback" not in unknown.stderr
        assert "0 repairs" not in unknown.stdout
