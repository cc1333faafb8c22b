"""Field inspections: idempotent retries, two phones at once, photos, CRS and accuracy, sign-off."""

from __future__ import annotations

import base64
import json
import threading
from datetime import UTC, datetime

import pytest
import shapely

from geo import crs as C
from geo.boundaries.inspections import campaign_report, create_campaign, sign_off, submit
from geo.errors import Conflict, InputError
from geo.messages import BEIJING, beijing_time
from geo.store import Store, schema
from tests.images import png

MARKER = shapely.Point(111.70, 40.90)
PNG = png()


def _setup(store: Store) -> dict:
    store.insert("boundary_lines", [{"line_code": "XH01", "name": "新城区—回民区界线", "left_adcode": "150102",
                                     "right_adcode": "150103",
                                     "geometry": shapely.LineString([(111.69, 40.90), (111.71, 40.90)])}], actor="t")
    store.insert("boundary_markers", [{"marker_no": f"XH01{i:03d}Q", "line_code": "XH01", "seq": i, "type_code": "Q",
                                       "geometry": shapely.Point(111.70 + (i - 1) * 0.001, 40.90)} for i in (1, 2)],
                 actor="t")
    return create_campaign(store, {"name": "2026年联检", "line_codes": ["XH01"], "required_accuracy_m": 5,
                                   "teams": ["新城区联检一组", "回民区联检组"]}, actor="admin")


def _record(campaign, client_id="phone-a-0001", **kw) -> dict:
    # 3 m north of the marker, given in WGS84 as a phone does.
    north = C.from_metric(shapely.Point(C.to_metric(MARKER).x, C.to_metric(MARKER).y + 3))
    return {"client_id": client_id, "campaign_id": campaign["id"], "marker_no": "XH01001Q", "condition": "intact",
            "gnss_accuracy_m": 2.5, "fixes": 10, "position": {"lon": north.x, "lat": north.y, "crs": "wgs84"},
            "photo": {"data_base64": base64.b64encode(PNG).decode()}, **kw}


def test_record_with_photo_displacement_and_retry(store: Store):
    campaign = _setup(store)
    rec, created = submit(store, _record(campaign), actor="inspector-zhao")
    assert created and rec["displacement_m"] == pytest.approx(3.0, abs=0.01) and rec["classification"] == "in_place"
    (photo,) = store.select("inspection_photos")
    assert photo["inspection_id"] == rec["id"] and photo["content_type"] == "image/png" and len(photo["sha256"]) == 64
    again, created = submit(store, _record(campaign), actor="inspector-zhao")
    assert not created and again["id"] == rec["id"] and store.count("inspections") == 1
    with pytest.raises(Conflict):
        submit(store, _record(campaign, condition="damaged"), actor="inspector-zhao")
    assert store.get("boundary_markers", 1)["geometry"].equals(MARKER)  # BM-02: never moved by field data


def test_two_phones_at_once_both_kept_and_flagged(store: Store):
    campaign = _setup(store)
    barrier = threading.Barrier(2)
    results = []

    def phone(client_id, condition):
        barrier.wait()
        results.append(submit(store, _record(campaign, client_id=client_id, condition=condition), actor=client_id))

    threads = [threading.Thread(target=phone, args=("phone-a-0001", "intact")),
               threading.Thread(target=phone, args=("phone-b-0001", "damaged"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rows = store.select("inspections")
    assert len(rows) == 2 and all(r["conflict"] for r in rows)
    report = campaign_report(store, campaign["id"])[0]
    assert report["conflicts"] == 1 and report["not_visited"] == 1 and report["inspected"] == 1


def test_retry_race_makes_one_record(store: Store):
    campaign = _setup(store)
    barrier = threading.Barrier(3)

    def phone():
        barrier.wait()
        submit(store, _record(campaign, photo=None), actor="inspector")

    threads = [threading.Thread(target=phone) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.count("inspections") == 1


@pytest.mark.parametrize("change,field", [
    ({"photo": {"data_base64": base64.b64encode(b"GIF89a" + b"\0" * 20).decode()}}, "photo"),
    ({"photo": {"data_base64": "not base64!"}}, "photo"),
    ({"gnss_accuracy_m": 12}, "gnss_accuracy_m"),
    ({"position": {"lon": 40.9, "lat": 111.7, "crs": "wgs84"}}, "position"),
    ({"position": {"lon": 111.70, "lat": 40.90, "crs": "EPSG:3857"}}, "crs"),
    ({"position": {"lon": 111.80, "lat": 40.95, "crs": "wgs84"}}, "position"),
    ({"condition": "stolen"}, "condition"),
    ({"client_id": "x"}, "client_id"),
])
def test_bad_records_are_refused_and_nothing_is_stored(store: Store, change, field):
    campaign = _setup(store)
    with pytest.raises(InputError) as err:
        submit(store, _record(campaign, **change), actor="inspector")
    assert err.value.field == field
    assert store.count("inspections") == 0 and store.count("inspection_photos") == 0


def test_joint_sign_off_needs_both_districts(store: Store):
    campaign = _setup(store)
    with pytest.raises(Conflict) as err:  # nothing inspected yet
        sign_off(store, campaign["id"], "150102", actor="xincheng", actor_adcodes={"150102"})
    assert "2" in err.value.message and not store.select("campaign_signoffs")
    for no in ("XH01001Q", "XH01002Q"):
        submit(store, {"client_id": f"c-{no}", "campaign_id": campaign["id"], "marker_no": no,
                       "condition": "missing", "gnss_accuracy_m": 3.0}, actor="inspector")
    first = sign_off(store, campaign["id"], "150102", actor="xincheng", actor_adcodes={"150102"})
    assert first["waiting_for"] == ["150103"]
    with pytest.raises(Conflict):
        sign_off(store, campaign["id"], "150102", actor="xincheng", actor_adcodes={"150102"})
    with pytest.raises(InputError):
        sign_off(store, campaign["id"], "150105", actor="saihan", actor_adcodes={"150105"})
    done = sign_off(store, campaign["id"], "150103", actor="huimin", actor_adcodes={"150103"})
    assert done["waiting_for"] == [] and store.get("inspection_campaigns", campaign["id"])["status"] == "signed_off"


def test_marker_add_move_and_decommission_keep_their_history(store: Store):
    from geo.boundaries.markers import add_marker, decommission_marker, move_marker

    _setup(store)
    docs = {"reason": "道路施工", "agreement_doc": "新回协〔2026〕3号", "survey_ref": "联测-17",
            "filed_with": "呼和浩特市民政局"}
    with pytest.raises(InputError) as err:
        add_marker(store, {"line_code": "XH01"}, shapely.Point(111.702, 40.90), actor="admin")
    assert err.value.field == "reason" and "BM-04" in err.value.message
    new = add_marker(store, {"line_code": "XH01", "installed_on": "2026-10-01", "material": "花岗岩", **docs},
                     shapely.Point(111.702, 40.90), actor="admin")
    assert new["marker_no"] == "XH01003Q" and new["seq"] == 3 and str(new["installed_on"]) == "2026-10-01"
    moved = move_marker(store, new["id"], shapely.Point(111.7021, 40.90), docs, expected_version=1, actor="admin")
    assert moved["version"] == 2 and moved["geometry"].x == pytest.approx(111.7021)
    last = store.audit_rows("boundary_markers", new["id"])[-1]
    assert last["action"] == "move" and "联测-17" in last["note"]
    before, after = json.loads(last["before"]), json.loads(last["after"])
    assert before["geometry"] == {"type": "Point", "coordinates": [111.702, 40.9]}
    assert after["geometry"] == {"type": "Point", "coordinates": [111.7021, 40.9]}
    gone = decommission_marker(store, new["id"], reason="重复设置", document_ref="新回协〔2026〕4号",
                               expected_version=2, actor="admin")
    assert gone["status"] == "decommissioned" and store.count("boundary_markers") == 3  # never deleted
    with pytest.raises(Conflict):
        move_marker(store, new["id"], shapely.Point(111.70, 40.90), docs, expected_version=3, actor="admin")


def _sheet(workbook: bytes, name: str) -> list[list]:
    import io

    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(workbook), read_only=True)
    return [list(row) for row in book[name].iter_rows(values_only=True)]


def test_report_files_read_as_a_surveyor_reads_them(store: Store):
    import csv
    import io
    import zipfile

    from geo.boundaries.reference_objects import add_reference_objects
    from maps.campaign_report import campaign_report_file

    campaign = _setup(store)
    marker_id = store.select("boundary_markers", where={"marker_no": "XH01001Q"})[0]["id"]
    store.update("boundary_markers", marker_id, {"elevation_m": 1234.56, "coordinate_source": "2025 年联测"},
                 expected_version=store.get("boundary_markers", marker_id)["version"], actor="t")
    add_reference_objects(store, [{"marker_no": "XH01001Q", "name": "电杆", "bearing_deg": 45, "distance_m": 12.3},
                                  {"marker_no": "XH01001Q", "name": "=HYPERLINK(1)", "bearing_deg": 300,
                                   "distance_m": 8, "description": "院墙拐角"}], actor="t")
    rec, _ = submit(store, _record(campaign, condition="damaged", position_source="external_gnss"), actor="zhao")

    page = campaign_report_file(store, campaign["id"], "html")[0].decode()
    assert "<th>界线编号 line</th>" in page and "<th>line_code</th>" not in page
    workbook = campaign_report_file(store, campaign["id"], "xlsx")[0]
    lines = _sheet(workbook, "各界线 per line")
    assert lines[0][:3] == ["界线编号 line", "界桩数 markers", "已检查 inspected"] and lines[1][0] == "XH01"
    head, row = _sheet(workbook, "检查记录 records")[:2]
    record = dict(zip(head, row, strict=True))
    assert "marker_id" not in head and "client_id" not in head
    assert record["界桩编号 marker"] == "XH01001Q" and record["状况 condition"] == "损坏 damaged"
    assert record["定位来源 position source"] == "外接 GNSS 接收机 external_gnss"
    assert record["定位说明 position detail"].startswith("外接 GNSS 接收机，标称精度 ±2.5 米")
    registered = _sheet(workbook, "界桩登记 markers")
    assert registered[0][0] == "界桩编号 marker" and "电杆 45.0° 12.3 m" in registered[1][-1]

    archive = zipfile.ZipFile(io.BytesIO(campaign_report_file(store, campaign["id"], "zip")[0]))
    table = list(csv.DictReader(io.StringIO(archive.read("marker_registration.csv").decode("utf-8-sig"))))
    first = {r["界桩编号 marker"]: r for r in table}["XH01001Q"]
    assert float(first["高程 m elevation"]) == 1234.56 and first["坐标来源 coordinates from"] == "2025 年联测"
    assert "电杆 45.0° 12.3 m" in first["方位物 reference objects"] and "院墙拐角" in first["方位物 reference objects"]
    objects = list(csv.DictReader(io.StringIO(archive.read("reference_objects.csv").decode("utf-8-sig"))))
    assert [(o["界桩编号 marker"], o["方位物 object"]) for o in objects] == [("XH01001Q", "电杆"),
                                                                       ("XH01001Q", "'=HYPERLINK(1)")]
    (kept,) = csv.DictReader(io.StringIO(archive.read("records.csv").decode("utf-8-sig")))
    assert kept["marker_no"] == "XH01001Q" and kept["position_source"] == "external_gnss"
    assert int(kept["id"]) == rec["id"]


def test_the_campaign_records_and_the_cli_sync_listing_show_beijing_time():
    """A record observed at 17:05 UTC on the 4th was made at 01:05 on the 5th in Hohhot: the surveyor's table
    and the officer's CLI listing say so, not the UTC instant (review, 2026-12-04)."""
    from datetime import UTC, datetime

    from api.cli.place_codes import _show
    from maps.campaign_report import records_table

    moment = datetime(2026, 12, 4, 17, 5, tzinfo=UTC)
    table = records_table([{"id": 1, "marker_id": 9, "observed_at": moment}], {9: {"marker_no": "XS01001Q"}})
    cells = [str(v) for v in table.iloc[0].tolist()]
    assert any(c.startswith("2026-12-05 01:05（北京时间）") for c in cells), cells
    assert not any("2026-12-04" in c for c in cells), cells
    line = _show({"id": 3, "year": 2026, "batch_no": 1, "record_count": 2, "from_seq": 1, "to_seq": 9,
                  "checksum_sha256": "ab", "sent_at": moment, "acknowledged_at": moment, "ack_ref": "MCA-1",
                  "version": 3})
    assert line.count("2026-12-05 01:05（北京时间）") == 2 and "17:05" not in line, line


def test_a_campaign_restored_as_opened_in_year_1_still_takes_records(store: Store):
    """A restore can hold a campaign opened at 0001-01-01 00:00 UTC; the check "observed no earlier than the
    campaign opened, less the slack" subtracted the slack from it and refused every record as out of range."""
    campaign = _setup(store)
    table = schema.inspection_campaigns
    with store.writing() as conn:  # as a restore writes it: no use case changes when a campaign was opened
        conn.execute(table.update().where(table.c.id == campaign["id"])
                     .values(created_at=datetime(1, 1, 1, tzinfo=UTC)))
    rec, created = submit(store, _record(campaign, client_id="year1-000001"), actor="inspector-zhao")
    assert created and rec["campaign_id"] == campaign["id"] and store.count("inspections") == 1
    # Within the slack before it, but with no UTC time (before year 1 there): refused naming the field, not a 500.
    for n, given in enumerate(("0001-01-01T07:59:59", "0001-01-01T08:00:00+14:00")):
        with pytest.raises(InputError) as err:
            submit(store, _record(campaign, client_id=f"year1-00000{n + 2}", observed_at=given), actor="inspector-zhao")
        assert err.value.field == "observed_at" and "observed_at" in err.value.message, given
    assert store.count("inspections") == 1


def test_an_observed_at_without_an_offset_is_beijing_time(store: Store):
    """An API client in Hohhot sending its clock's time with no offset means Beijing time: stored as the same
    instant, not eight hours later (the campaign report showed 12:20 for a record made at 04:20)."""
    campaign = _setup(store)
    beijing_now = datetime.now(UTC).astimezone(BEIJING).replace(microsecond=0)
    rec, _ = submit(store, _record(campaign, client_id="naive-000001",
                                   observed_at=beijing_now.replace(tzinfo=None).isoformat()), actor="inspector-zhao")
    assert rec["observed_at"] == beijing_now
    assert beijing_time(rec["observed_at"]) == beijing_time(beijing_now.astimezone(UTC))
    utc, _ = submit(store, _record(campaign, client_id="utc-000001",
                                   observed_at=beijing_now.astimezone(UTC).isoformat()), actor="inspector-zhao")
    assert utc["observed_at"] == rec["observed_at"]
