"""Many districts in one database (#19, item 1): every read and write is the request's district's.

A second district (150121, 土默特左旗) is put beside the sample in the same database: a copy of one
record of each of its own tables, carrying a probe text, placed in the middle of the sample district
(so a bounding-box query over 新城区 covers it). Then, through the real server:

* every GET of the JSON API, the OGC API and the pages, opened as 新城区's admin with the probe
  records' ids and uids in the path, never shows a probe;
* 新城区's officer editing a probe record by id gets 404 and nothing changes;
* naming the other district in a request does not give rights in it (403 for an account of 新城区);
* the other district's own officer, naming it, sees its records (so the probes are findable at all).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import shapely
import sqlalchemy as sa

from api.app import create_app
from geo.errors import Conflict, Forbidden, InputError, NotFound
from geo.placenames.lifecycle import ValidationFailed, propose
from geo.placenames.romanize import toneless_key
from geo.plates.codes import PlateSigner
from geo.store import Store, schema
from geo.store.districts import district_of, held_districts, refuse_unheld_district
from geo.users import create_user
from tests.conftest import USERS, running_server, server_settings
from tests.test_front_door import _post_login
from tests.test_offline_pages import _walk
from tests.test_security import API_WRITES, _concrete
from tests.xincheng_cli import run

OTHER = "150121"
# Many districts are PostGIS's (row-level security binds each district's transactions); SQLite holds one.
on_postgis = pytest.mark.parametrize("writable_sample_store", ["postgis"], indirect=True)
PROBE = "泄漏探针"
OFFICER = ("t-tumed-officer", "tumed-officer-password-123")
CITY_OFFICER = ("t-city-officer", "city-officer-password-123")  # acts for 新城区 and 土默特左旗

# table → the columns given a probe value (names shown to users) and the unique ones given a new value
_TEXT = {
    "place_names": ("standard_name", "specific", "description"),
    "streets": ("name",),
    "door_plates": ("street_name", "building_name"),
    "facilities": ("name",),
    "addresses": ("standard_address",),
    "street_signs": ("remarks",),
    "boundary_lines": ("name",),
    "boundary_markers": ("material",),
    "inspection_campaigns": ("name",),
    "problem_reports": ("message",),
    "premises": ("name", "remarks"),
    "new_estates": ("name", "remarks"),
    "linear_features": ("name",),
    "ban_zone_areas": ("name",),
}
_UNIQUE = {"place_names": "place_code", "door_plates": "plate_uid", "addresses": "address_uid",
           "street_signs": "sign_uid", "boundary_markers": "marker_no", "boundary_lines": "line_code"}
# The sample has none of these: the probe's own, complete enough for its pages.
_FIRST = {"problem_reports": {"kind": "damaged_plate", "message": "x", "status": "open", "plate_uid": "x"},
          "inspection_campaigns": {"name": "x", "campaign_type": "routine", "status": "open", "line_codes": '["XS01"]',
                                   "required_accuracy_m": 10}}
_KEPT_OUT = {"id", "version", "adcode", "created_at", "updated_at", "qr_token"}


def _probe_value(column: str, value: Any) -> str:
    """A unique value of the same length class: the probe text for names, a ``Z``-marked one for uids."""
    if column in ("plate_uid", "address_uid", "sign_uid"):
        return "Z" + str(value)[1:]
    if column in ("marker_no", "line_code", "place_code"):
        return f"ZZ{str(value)[2:]}"
    return f"{PROBE}{column}"


def plant_other_district(home: Store) -> dict[str, Any]:
    """Copy one record of each own table into district ``OTHER`` (probe texts, middle of 新城区);
    return what identifies them: ``{"ids": {table: id}, "uids": {table: its unique code}}``."""
    other = home.for_district(OTHER)
    middle = home.select("admin_units", where={"level": "district", "adcode": home.adcode})[0]["geometry"]
    point = shapely.Point(middle.representative_point())
    outline = shapely.box(110.2, 40.5, 110.6, 40.8)  # 土默特左旗's own outline (west of the city), not ours
    other.insert("admin_units", [
        {"code": f"{OTHER}000000", "name": f"土默特左旗{PROBE}", "level": "district", "status": "active",
         "geometry": shapely.MultiPolygon([outline])},
        {"code": f"{OTHER}001001", "name": f"{PROBE}社区", "level": "community", "status": "active",
         "parent_code": f"{OTHER}000000", "geometry": shapely.MultiPolygon([point.buffer(0.002)])}],
        actor="test")
    ids: dict[str, int] = {}
    uids: dict[str, str] = {}
    for table, columns in _TEXT.items():
        sample = home.select(table, limit=1) or [_FIRST.get(table, {})]
        if not sample[0]:
            continue
        row = {k: v for k, v in sample[0].items() if k not in _KEPT_OUT and v is not None}
        for column in columns:
            row[column] = _probe_value(column, row.get(column))
        if table in _UNIQUE:
            row[_UNIQUE[table]] = _probe_value(_UNIQUE[table], row[_UNIQUE[table]])
            uids[table] = row[_UNIQUE[table]]
        if "geometry" in row:
            geom = row["geometry"]
            row["geometry"] = shapely.affinity.translate(geom, point.x - geom.centroid.x, point.y - geom.centroid.y)
        if table in ("problem_reports", "addresses"):
            row["plate_uid"] = uids["door_plates"]
        if table == "boundary_lines":  # 土默特左旗's own line, with a district that is not 新城区
            row.update(left_adcode=OTHER, right_adcode="150125")
        if table == "boundary_markers":  # on that line, and the campaign inspects it
            row["line_code"] = uids["boundary_lines"]
        if table == "inspection_campaigns":
            row["line_codes"] = f'["{uids["boundary_lines"]}"]'
        ids[table] = other.insert(table, [row], actor="test")[0]
    return {"ids": ids, "uids": uids}


@pytest.fixture
def two_districts(writable_sample_store) -> Iterator[tuple[Store, dict[str, Any]]]:
    """The sample (新城区) and district 150121's probe records in the same database, and its officer."""
    planted = plant_other_district(writable_sample_store)
    create_user(writable_sample_store, OFFICER[0], OFFICER[1], "placename_officer", actor="test", adcodes=[OTHER])
    create_user(writable_sample_store, CITY_OFFICER[0], CITY_OFFICER[1], "placename_officer", actor="test",
                adcodes=[writable_sample_store.adcode, OTHER])
    yield writable_sample_store, planted


def _token(base: str, username: str, password: str, district: str | None = None) -> str:
    headers = {"X-Xincheng-District": district} if district else {}
    reply = httpx.post(f"{base}/api/auth/login", json={"username": username, "password": password}, headers=headers)
    assert reply.status_code == 200, reply.text
    return reply.json()["access_token"]


def _leaks(reply: httpx.Response, planted: dict[str, Any]) -> list[str]:
    """The probe text anywhere; a probe uid in an answer that is not a refusal (a 404 may say what was asked)."""
    shown = [PROBE] if reply.status_code >= 400 else [PROBE, *planted["uids"].values()]
    return [p for p in shown if p in reply.text]


# What the public scans shows the scanned record of whichever district holds it (by design).
PUBLIC_SCANS = ("/p/", "/api/plates/lookup/", "/a/", "/api/standard-addresses/lookup/", "/s/")
LAYERS = ("place_names", "streets", "door_plates", "facilities", "admin_units", "boundary_markers",
          "boundary_lines", "addresses", "street_signs", "premises", "new_estates", "linear_features",
          "ban_zone_areas")


def _get_paths(store: Store, planted: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Return every GET path of the app (API, OGC and pages) filled with the probe records' ids and
    uids (a layer's paths once per layer), and the templates no value was known for."""
    app = create_app(server_settings(store))
    ids, uids = planted["ids"], planted["uids"]
    signer = PlateSigner.from_setting("", fallback_secret="x" * 40)
    plate_uid = uids["door_plates"]
    values: dict[str, Any] = {
        "place_id": ids.get("place_names"), "campaign_id": ids.get("inspection_campaigns"),
        "report_id": ids.get("problem_reports"), "marker_id": ids.get("boundary_markers"),
        "plate_uid": plate_uid, "marker_no": uids["boundary_markers"], "address_uid": uids["addresses"],
        "sign_uid": uids["street_signs"], "fmt": "png",
    }

    def code_for(path: str) -> str:
        if path.startswith(("/a/", "/api/standard-addresses/lookup")):
            return signer.code(uids["addresses"])
        if path.startswith("/s/"):
            return signer.code(uids["street_signs"])
        if "/divisions/" in path:
            return f"{OTHER}001001"
        return signer.code(plate_uid)

    paths, skipped = set(), []
    for route in _walk(app.router.routes):
        if "GET" not in route.methods:
            continue
        names = set(re.findall(r"{(\w+)(?::\w+)?}", route.path))
        layered = names & {"layer", "collection_id"}
        for layer in (LAYERS if layered else (None,)):
            given = {**values, "code": code_for(route.path), "layer": layer, "collection_id": layer,
                     "fid": ids.get(layer or ""), "feature_id": ids.get(layer or "")}
            if any(given.get(n) in (None, "") for n in names):
                skipped.append(route.path)
                continue
            paths.add(re.sub(r"{(\w+)(?::\w+)?}", lambda m, given=given: quote(str(given[m.group(1)]), safe=""),
                             route.path))
    return sorted(paths), sorted(set(skipped))


@on_postgis
def test_no_read_shows_another_districts_records(two_districts) -> None:
    """Every GET of the service, as 新城区's admin with the other district's ids in the path: no probe."""
    store, planted = two_districts
    with running_server(server_settings(store)) as base:
        admin = {"Authorization": f"Bearer {_token(base, *USERS['admin'])}"}
        paths, skipped = _get_paths(store, planted)
        # The walk reaches the service, not a handful of paths.
        assert len(paths) > 200 and len(skipped) <= 12, (len(paths), "\n".join(skipped))
        seen: dict[str, list[str]] = {}
        with httpx.Client(base_url=base, headers=admin, timeout=120,
                          cookies={"xc_token": admin["Authorization"][7:]}) as client:
            for path in paths:
                if path.startswith(PUBLIC_SCANS):  # any district's: tests/test_public_districts.py
                    continue
                # A search for the probe's first half: the answer may repeat the query, never the name found.
                reply = client.get(path, params={"q": PROBE[:2]} if "search" in path or "placenames" in path else None)
                leaked = _leaks(reply, planted)
                if leaked:
                    seen[path] = leaked
        assert seen == {}, "\n".join(f"{k}: {v}" for k, v in sorted(seen.items()))

        # The positive control: the other district's officer, naming it, finds its records.
        officer = {"Authorization": f"Bearer {_token(base, *OFFICER, district=OTHER)}",
                   "X-Xincheng-District": OTHER}
        listed = httpx.get(f"{base}/api/placenames/search", params={"q": PROBE}, headers=officer, timeout=60)
        assert listed.status_code == 200, listed.text
        assert PROBE in listed.text
        # The OGC API takes the district by query parameter too (a GIS client sets no header).
        ogc = httpx.get(f"{base}/ogc/collections/place_names/items", params={"district": OTHER, "limit": 5})
        assert ogc.status_code == 200 and PROBE in ogc.text, ogc.text[:300]


@on_postgis
def test_an_officer_cannot_edit_another_districts_records(two_districts) -> None:
    """新城区's officer: the probe name by id is 404 (read and write) and stays as it was; naming the other
    district in the request is 403; the other district's officer edits it."""
    store, planted = two_districts
    place_id = planted["ids"]["place_names"]
    before = store.for_district(OTHER).get("place_names", place_id)
    with running_server(server_settings(store)) as base:
        officer = {"Authorization": f"Bearer {_token(base, *USERS['placename_officer'])}"}
        change = {"version": before["version"], "properties": {"description": "改自新城区"}}
        for headers in (officer, {**officer, "X-Xincheng-District": OTHER}):
            got = httpx.get(f"{base}/api/placenames/{place_id}", headers=headers)
            edited = httpx.patch(f"{base}/api/placenames/{place_id}", json=change, headers=headers)
            assert got.status_code in (403, 404) and edited.status_code in (403, 404), (got.text, edited.text)
            assert PROBE not in got.text
        denied = httpx.get(f"{base}/api/placenames/search?q=x", headers={**officer, "X-Xincheng-District": OTHER})
        assert denied.status_code == 403 and "150121" in denied.json()["message"], denied.text
        unknown = httpx.get(f"{base}/api/placenames/search?q=x", headers={**officer, "X-Xincheng-District": "159999"})
        assert unknown.status_code == 404 and "159999" in unknown.json()["message"], unknown.text
        bad = httpx.get(f"{base}/api/placenames/search", params={"q": "x", "district": "新城区"}, headers=officer)
        assert bad.status_code == 400 and "区县" in bad.json()["message"], bad.text

        # The other district's officer logs in on the page and works in their district: its name is on
        # their list, the header says which district, and 新城区's names are not.
        with httpx.Client(base_url=base, timeout=120) as browser:
            wrong = _post_login(browser, username=OFFICER[0], password="not-the-password")
            assert "officer/login" in wrong.headers["location"] and "xc_district" not in browser.cookies
            assert _post_login(browser, username=OFFICER[0], password=OFFICER[1]).status_code == 303
            assert browser.cookies.get("xc_district") == OTHER
            listing = browser.get("/officer/placenames")
            assert listing.status_code == 200 and PROBE in listing.text
            assert f"区县 <span class='en'>district</span> 土默特左旗{PROBE}（{OTHER}）" in listing.text
            assert "新华大街" not in listing.text

        # A city-level officer works in 新城区 first and switches to 土默特左旗 from the header's form.
        with httpx.Client(base_url=base, timeout=120) as browser:
            assert _post_login(browser, username=CITY_OFFICER[0], password=CITY_OFFICER[1]).status_code == 303
            first = browser.get("/officer/placenames")
            assert PROBE not in first.text and "action='/officer/district'" in first.text
            token = re.search(r"name='csrf_token' value='([^']+)'", first.text).group(1)
            origin = {"Origin": base}
            forged = browser.post("/officer/district", data={"district": OTHER, "csrf_token": token},
                                  headers={"Origin": "https://evil.example"})
            assert forged.status_code == 403 and "xc_district" not in browser.cookies
            elsewhere = browser.post("/officer/district", data={"district": "150202", "csrf_token": token,
                                                                "next": "/officer/placenames"}, headers=origin)
            assert elsewhere.status_code == 404 and "150202" in elsewhere.text and "xc_district" not in browser.cookies
            switched = browser.post("/officer/district", data={"district": OTHER, "csrf_token": token,
                                                               "next": "/officer/placenames"}, headers=origin)
            assert switched.status_code == 303 and browser.cookies.get("xc_district") == OTHER
            assert PROBE in browser.get("/officer/placenames").text
        # A cookie naming no district held here (a stale one) is ignored: nothing locks the browser out.
        with httpx.Client(base_url=base, timeout=120, cookies={"xc_district": "150199"}) as browser:
            assert browser.get("/").status_code == 200 and browser.get("/officer/login").status_code == 200
            assert _post_login(browser, username=CITY_OFFICER[0], password=CITY_OFFICER[1]).status_code == 303
            assert browser.get("/officer/placenames").status_code == 200
        # A bearer-token client names its district itself: the pages' cookie does not move its requests.
        city = {"Authorization": f"Bearer {_token(base, *CITY_OFFICER)}"}
        with httpx.Client(base_url=base, timeout=120, cookies={"xc_district": OTHER}, headers=city) as client:
            found = client.get("/api/placenames/search", params={"q": PROBE[:2]})
            assert found.status_code == 200 and PROBE not in found.text
            named = client.get("/api/placenames/search", params={"q": PROBE[:2]},
                               headers={"X-Xincheng-District": OTHER})
            assert named.status_code == 200 and PROBE in named.text
        # The other district's own officer cannot switch into 新城区.
        with httpx.Client(base_url=base, timeout=120) as browser:
            assert _post_login(browser, username=OFFICER[0], password=OFFICER[1]).status_code == 303
            token = re.search(r"name='csrf_token' value='([^']+)'", browser.get("/officer/placenames").text).group(1)
            refused = browser.post("/officer/district", data={"district": store.adcode, "csrf_token": token},
                                   headers={"Origin": base})
            assert refused.status_code == 403 and browser.cookies.get("xc_district") == OTHER
    after = store.for_district(OTHER).get("place_names", place_id)
    assert after["description"] == before["description"] and after["version"] == before["version"]


@on_postgis
def test_store_reads_and_writes_one_district(two_districts) -> None:
    """The store itself: a district's store neither reads nor writes another's rows."""
    store, planted = two_districts
    other = store.for_district(OTHER)
    place_id = planted["ids"]["place_names"]
    assert other.get("place_names", place_id)["standard_name"].startswith(PROBE)
    with pytest.raises(NotFound):
        store.get("place_names", place_id)
    with pytest.raises(NotFound):
        store.update("place_names", place_id, {"description": "x"}, expected_version=1, actor="test")
    assert all(r["adcode"] == store.adcode for r in store.select("place_names"))
    assert store.count("place_names", where={"id": place_id}) == 0
    with pytest.raises(Forbidden) as refused:
        store.insert("place_names", [{"standard_name": "越界", "adcode": OTHER}], actor="test")
    assert "150121" in str(refused.value) and "adcode" in str(refused.value)
    # Which district a plate, address or sign belongs to is answered city-wide (the public scans them).
    for kind, table in (("plate", "door_plates"), ("address", "addresses"), ("sign", "street_signs")):
        assert district_of(store, kind, planted["uids"][table]) == OTHER
    assert district_of(store, "plate", store.select("door_plates", limit=1)[0]["plate_uid"]) == store.adcode
    assert district_of(store, "plate", "NOSUCHUID") is None
    # A neighbour's outline is reference geography: read by every district, changed by none.
    outline = next(u for u in store.select("admin_units") if u["status"] == "neighbour")
    with pytest.raises(NotFound):
        store.update("admin_units", outline["id"], {"name": "x"}, expected_version=outline["version"], actor="test")
    with pytest.raises(NotFound):  # not even by the district it outlines
        store.for_district(outline["adcode"]).update("admin_units", outline["id"], {"name": "x"},
                                                     expected_version=outline["version"], actor="test")
    # A district the database does not hold is refused by name (the CLI's --district), one it holds is not.
    with pytest.raises(InputError) as unheld:
        refuse_unheld_district(store.for_district("150199"))
    assert "150199" in str(unheld.value) and OTHER in str(unheld.value)
    refuse_unheld_district(other)
    # Never fail open: a database that does not bind district transactions (an account that may not take
    # the role, as when a DBA skipped a step) serves its own district only.
    assert store.binds_districts()
    store.engine._xc_district_role = False
    try:
        with pytest.raises(Conflict) as unbound:
            store.for_district(OTHER)
        assert "xincheng_district" in str(unbound.value) and OTHER in str(unbound.value)
    finally:
        store.schema_changed()


@pytest.mark.parametrize("writable_sample_store", ["sqlite"], indirect=True)
def test_sqlite_holds_one_district(writable_sample_store) -> None:
    """The embedded default holds its own district only: another is refused, naming both, and nothing is stored."""
    with pytest.raises(InputError) as refused:
        writable_sample_store.for_district(OTHER)
    assert "SQLite" in str(refused.value) and OTHER in str(refused.value) and "150102" in str(refused.value)
    with pytest.raises(Forbidden):
        writable_sample_store.insert("streets", [{"name": "越界路", "adcode": OTHER}], actor="test")
    assert writable_sample_store.count("streets", where={"name": "越界路"}) == 0


@on_postgis
def test_pn07_street_names_are_checked_across_the_city(writable_sample_store) -> None:
    """PN-07 from the data itself: a street name in use in another district of 呼和浩特 (1501xx) is a
    duplicate in 新城区, cited with its district; one in use in another city (包头 150202) is not; a
    community's name is checked within its district only. The other district's rows stay unreadable."""
    store = writable_sample_store
    base = {"standard_name": "云杉路", "specific": "云杉", "generic": "路", "feature_class": "street",
            "meaning": "以树名路", "name_mong": "ᠶᠦᠨ ᠱᠠᠨ ᠵᠠᠮ",
            "admin_code": "150102001000", "status": "approved"}
    # as every write of a name stores it (its toneless key, write_rules), which PN-07's homophones are found by
    store.for_district(OTHER).insert("place_names", [{**base, "admin_code": f"{OTHER}001000",
                                                      "search_key": toneless_key("云杉路")}], actor="test")
    store.for_district("150202").insert("place_names", [{**base, "standard_name": "白桦路", "specific": "白桦",
                                                         "admin_code": "150202001000"}], actor="test")
    line = shapely.LineString([(111.70, 40.85), (111.71, 40.85)])
    with pytest.raises(ValidationFailed) as duplicate:
        propose(store, {k: v for k, v in base.items() if k != "status"}, actor="officer", geometry=line)
    found = [f.message for f in duplicate.value.findings if f.rule == "PN-07"]
    assert len(found) == 1 and OTHER in found[0] and "云杉路" in found[0], duplicate.value.findings
    with pytest.raises(ValidationFailed) as homophone:  # 云山路 sounds like 云杉路: a justification is needed
        propose(store, {**{k: v for k, v in base.items() if k != "status"}, "standard_name": "云山路",
                        "specific": "云山"}, actor="officer", geometry=line)
    assert all(f.severity == "warning" for f in homophone.value.findings)
    assert [f.message for f in homophone.value.findings if f.rule == "PN-07" and OTHER in f.message]
    baotou = propose(store, {**{k: v for k, v in base.items() if k != "status"}, "standard_name": "白桦路",
                             "specific": "白桦"}, actor="officer", geometry=line)
    assert baotou["standard_name"] == "白桦路" and baotou["adcode"] == store.adcode
    assert store.select("place_names", where={"standard_name": "云杉路"}) == []  # still not readable here


def test_the_cli_acts_for_one_district_and_sqlite_holds_one(cli_sample, tmp_path) -> None:
    """``xincheng --district`` picks the district a command acts for: on the sample's SQLite file another
    district is a usage error naming both (nothing written); a code that is not 6 digits is refused too."""
    db = cli_sample.copy(tmp_path)
    before = db.stat().st_size, db.stat().st_mtime_ns
    other = run("--district", OTHER, "gazetteer", "search", "新华", db=db)
    assert other.returncode == 2 and "SQLite" in other.stderr and OTHER in other.stderr and "150102" in other.stderr
    bad = run("--district", "15012", "gazetteer", "search", "新华", db=db)
    assert bad.returncode == 2 and "--district" in bad.stderr and "15012" in bad.stderr
    wide = run("--district", "１５０１０２", "gazetteer", "search", "新华", db=db)  # full-width digits are no code
    assert wide.returncode == 2 and "6 位" in wide.stderr
    for code in ("999999", "150100"):  # no province's code; a city's, not a district's (review)
        nowhere = run("--district", code, "gazetteer", "search", "新华", db=db)
        assert nowhere.returncode == 2 and "GB/T 2260" in nowhere.stderr and code in nowhere.stderr, nowhere.stderr
    sample = run("--district", OTHER, "init", db=tmp_path / "new.db")  # the sample is 新城区's alone
    assert sample.returncode == 2 and "--empty" in sample.stderr and not (tmp_path / "new.db").exists()
    assert (db.stat().st_size, db.stat().st_mtime_ns) == before
    own = run("--district", "150102", "gazetteer", "search", "新华", db=db)
    assert own.returncode == 0 and "新华" in own.stdout


@on_postgis
def test_a_new_district_beside_the_samples_neighbour_outlines_imports_its_own_outline_first(
        writable_sample_store, tmp_path) -> None:
    """DEPLOYMENT.md "Adding a district", step 1, on a database holding the sample (review): the neighbours'
    reference outlines every district reads are nobody's own, so 150124's outline is its first load of admin_units
    (it was refused as a generic create: use POST /api/divisions/create); a second file of units is then refused."""
    from tests.xincheng_cli import invoke

    store, district = writable_sample_store, "150124"
    assert store.for_district(district).select("admin_units")  # it reads the neighbours' outlines
    url = store.engine.url.render_as_string(hide_password=False)
    outline = tmp_path / "outline.geojson"
    outline.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"code": f"{district}000000", "name": "和林格尔县", "level": "district"},
        "geometry": shapely.geometry.mapping(shapely.box(111.6, 40.2, 112.1, 40.5))}]}, ensure_ascii=False),
        encoding="utf-8")
    command = ["--database-url", url, "--district", district, "import", str(outline), "--layer", "admin_units",
               "--crs", "EPSG:4490"]

    def features(*properties: dict[str, Any]) -> Path:
        """A file of units, each a box inside the outline's."""
        path = tmp_path / f"units-{len(list(tmp_path.iterdir()))}.geojson"
        path.write_text(json.dumps({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": p,
             "geometry": shapely.geometry.mapping(shapely.box(111.7, 40.3, 111.8, 40.4))} for p in properties]},
            ensure_ascii=False), encoding="utf-8")
        return path

    # The first load writes only the district's own units, and with its outline (second review): a file planting
    # a neighbour's reference outline, another district's unit, or units without the outline is refused.
    town = {"code": f"{district}001000", "name": "城关街道", "level": "subdistrict"}
    refusals = {
        "status": features({"code": f"{district}000000", "name": "和林格尔县", "level": "district"},
                           {"code": "150199000000", "name": "假邻区", "level": "district", "status": "neighbour"}),
        "adcode": features({"code": f"{district}000000", "name": "和林格尔县", "level": "district"},
                           {**town, "code": "150102999000", "adcode": "150102"}),
        "code": features({"code": f"{district}000000", "name": "和林格尔县", "level": "district"},
                         {**town, "code": "150102999000"}),
        "outline": features(town),
        "retired outline": features({"code": f"{district}000000", "name": "和林格尔县", "level": "district",
                                     "status": "retired"}, town),
        "number adcode": features({"code": f"{district}000000", "name": "和林格尔县", "level": "district"},
                                  {**town, "adcode": 150102}),  # a number column was ignored (third review)
    }
    for field, path in refusals.items():
        refused = invoke([str(path) if part == str(outline) else part for part in command])
        assert refused.returncode == 2, (field, refused.stderr)
        assert "首次导入本区区划" in refused.stderr or "不属本区" in refused.stderr, (field, refused.stderr)

    def shaped(*units: tuple[dict[str, Any], shapely.Geometry]) -> Path:
        path = tmp_path / f"shaped-{len(list(tmp_path.iterdir()))}.geojson"
        path.write_text(json.dumps({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": p, "geometry": shapely.geometry.mapping(g)} for p, g in units]},
            ensure_ascii=False), encoding="utf-8")
        return path

    # The units make one tree inside the outline, beside no other district (fourth review: none of it was checked).
    whole_box, inner = shapely.box(111.6, 40.2, 112.1, 40.5), shapely.box(111.7, 40.3, 111.8, 40.4)
    county = ({"code": f"{district}000000", "name": "和林格尔县", "level": "district"}, whole_box)
    placed = {**town, "parent_code": f"{district}000000"}
    xincheng = store.select("admin_units", where={"code": "150102000000"})[0]["geometry"]
    shapes = {
        "已在第 1 行出现": shaped(county, county),  # failed on the unique constraint, naming no row
        "只能是本区轮廓": shaped(county, ({**placed, "level": "district"}, inner)),
        "不在文件中": shaped(county, ({**town, "parent_code": f"{district}002000"}, inner)),
        "「150102001000」 不在文件中": shaped(county, ({**town, "parent_code": "150102001000"}, inner)),
        "不能作为": shaped(county, ({"code": f"{district}001001", "name": "新社区", "level": "community",
                                    "parent_code": f"{district}000000"}, inner)),
        "不在": shaped(county, ({**placed, "code": f"{district}150000"}, inner)),  # a 街道's serial is 001-099
        "位于上级之外": shaped(county, (placed, shapely.box(112.0, 40.4, 112.3, 40.6))),
        "状态为 已注销": shaped(county, ({**placed, "status": "retired"}, inner),
                              ({"code": f"{district}001001", "name": "城关社区", "level": "community",
                                "parent_code": town["code"]}, inner)),
        "重叠": shaped(county, (placed, inner), ({**placed, "code": f"{district}002000", "name": "城南街道"},
                                                shapely.box(111.75, 40.3, 111.85, 40.4))),
        "与区县 150102": shaped(({**county[0]}, xincheng.buffer(0.01))),
    }
    for words, path in shapes.items():
        refused = invoke([str(path) if part == str(outline) else part for part in command])
        assert refused.returncode == 2 and words in refused.stderr, (words, refused.stderr)
        assert "第 " in refused.stderr and " 行" in refused.stderr and "row " in refused.stderr, (words, refused.stderr)
    with store.whole().reading() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM admin_units WHERE code IN "
                                    "('150199000000', '150102999000', :town)"), {"town": town["code"]}).scalar() == 0
        own_rows = sa.text("SELECT count(*) FROM admin_units WHERE adcode = :d")
        assert conn.execute(own_rows, {"d": district}).scalar() == 0
    assert district not in held_districts(store)
    community = {"code": f"{district}001001", "name": "城关社区", "level": "community", "parent_code": town["code"]}
    first = invoke([str(shaped(county, (placed, inner), (community, shapely.box(111.72, 40.32, 111.78, 40.38))))
                    if part == str(outline) else part for part in command])
    assert first.returncode == 0, first.stderr
    own = [u for u in store.for_district(district).select("admin_units") if u["adcode"] == district]
    assert sorted((u["code"], u["name"], u["status"]) for u in own) == [
        (f"{district}000000", "和林格尔县", "active"), (town["code"], "城关街道", "active"),
        (community["code"], "城关社区", "active")]
    assert district in held_districts(store)
    units = tmp_path / "units.geojson"
    units.write_text(outline.read_text(encoding="utf-8").replace(f"{district}000000", f"{district}003000")
                     .replace('"district"', '"subdistrict"').replace("和林格尔县", "城西镇"), encoding="utf-8")
    again = invoke([str(units) if part == str(outline) else part for part in command])
    assert again.returncode != 0 and "POST /api/divisions/create" in again.stderr, again.stderr


@on_postgis
def test_the_write_matrix_per_district(two_districts) -> None:
    """Every write endpoint of the authorization matrix, as an admin of one district naming the other
    (header, query or cookie): 403, and no district's audit log grows."""
    store, _planted = two_districts
    create_user(store, "t-tumed-admin", "tumed-admin-password-123", "admin", actor="test", adcodes=[OTHER])
    create_user(store, "t-saihan-inspector", "saihan-password-123", "boundary_inspector", actor="test",
                adcodes=["150105"])
    create_user(store, "t-tumed-inspector", "tumed-inspector-password-123", "boundary_inspector", actor="test",
                adcodes=[OTHER])
    cases = [(m, _concrete(p)) for (m, p), roles in API_WRITES.items() if "admin" in roles]

    def audit_rows() -> int:
        with store.whole().reading() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(schema.audit_log)).scalar_one()

    before = audit_rows()
    wrong = []
    with running_server(server_settings(store)) as base:
        ours = _token(base, *USERS["admin"])
        theirs = _token(base, "t-tumed-admin", "tumed-admin-password-123", district=OTHER)
        for token, named, how in ((ours, OTHER, "header"), (theirs, store.adcode, "header"),
                                  (ours, OTHER, "query"), (theirs, store.adcode, "cookie")):
            with httpx.Client(base_url=base, timeout=60, headers={"Authorization": f"Bearer {token}"},
                              cookies={"xc_district": named} if how == "cookie" else None) as client:
                for method, path in cases:
                    reply = client.request(method, path, json={},
                                           headers={"X-Xincheng-District": named} if how == "header" else None,
                                           params={"district": named} if how == "query" else None)
                    if reply.status_code != 403:
                        wrong.append(f"{how} {named} {method} {path}: {reply.status_code}")
        # A boundary inspector is let into another district only as a neighbour (a common boundary line)
        # and then only for the joint inspection: not 150102's into 150121 (no common line), and 150105's
        # into 150102 reads no layer, export or page beyond the inspectors'.
        inspector = _token(base, *USERS["boundary_inspector"])
        outside = httpx.get(f"{base}/api/boundary-lines/inspection-due",
                            headers={"Authorization": f"Bearer {inspector}", "X-Xincheng-District": OTHER})
        assert outside.status_code == 403 and OTHER in outside.json()["message"], outside.text
        neighbour = {"Authorization": f"Bearer {_token(base, 't-saihan-inspector', 'saihan-password-123')}"}
        assert httpx.get(f"{base}/api/boundary-lines/inspection-due", headers=neighbour).status_code == 200
        for path in ("/api/layers/premises/features", "/api/layers/door_plates/export?format=csv", "/api/audit",
                     "/api/users"):  # refused as a neighbour (403), or read as anyone reads (401 for officers' data)
            refused = httpx.get(f"{base}{path}", headers=neighbour)
            assert refused.status_code in (401, 403), (path, refused.status_code, refused.text[:300])
            assert refused.status_code == 401 or "界线联检" in refused.json()["message"], refused.text
        # An inspector's queued record goes to the district its form was opened in, whatever is chosen later.
        with httpx.Client(base_url=base, timeout=120) as phone:
            assert _post_login(phone, username="t-tumed-inspector",
                               password="tumed-inspector-password-123").status_code == 303
            form = phone.get(f"/field/campaigns/{_planted['ids']['inspection_campaigns']}/markers/"
                             f"{_planted['uids']['boundary_markers']}")
            assert form.status_code == 200 and f'"district": "{OTHER}"' in form.text, form.text[:500]
            assert "'?district=' + encodeURIComponent(ctx.district)" in form.text
        # The other district's planning report works with its few records (no elder-care station yet).
        report = httpx.get(f"{base}/api/planning/report", params={"format": "html"}, timeout=300,
                           headers={"Authorization": f"Bearer {theirs}", "X-Xincheng-District": OTHER})
        assert report.status_code == 200, report.text[:500]
    assert len(cases) > 40 and wrong == []
    assert audit_rows() == before


def test_an_outline_with_no_status_is_the_districts_own_wherever_its_name_is_read(store) -> None:
    """A district outline stored with no status (an explicit NULL; the column's default is active) is the district's
    own for every reader: it made the district held, but the public address page, the street-sign page and the plate
    lookup's district name asked ``status != 'neighbour'``, which NULL never is, and fell back to the sample's name."""
    from geo.addresses.views import district_name

    store.insert("admin_units", [{"code": f"{store.adcode}000000", "name": "测试区", "level": "district",
                                  "status": None, "geometry": shapely.box(111.6, 40.8, 111.7, 40.9)}], actor="test")
    with store.reading() as conn:
        assert conn.execute(sa.select(schema.admin_units.c.status)).scalar() is None
        assert district_name(conn, store.adcode) == "测试区"
    assert store.adcode in held_districts(store)


@on_postgis
def test_a_district_held_as_a_neighbours_outline_is_told_it_cannot_load_here_yet(writable_sample_store,
                                                                                 tmp_path) -> None:
    """The sample's 回民区 (150103) is a neighbour's reference outline here: its first load was told to use
    --mode upsert, which is refused too (review). It is told the step does not exist yet, naming the guide."""
    from tests.xincheng_cli import invoke

    store, district = writable_sample_store, "150103"
    (reference,) = [u for u in store.select("admin_units") if u["code"] == f"{district}000000"]
    assert reference["status"] == "neighbour"
    outline = tmp_path / "outline.geojson"
    outline.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"code": f"{district}000000", "name": "回民区", "level": "district"},
        "geometry": shapely.geometry.mapping(reference["geometry"])}]}, ensure_ascii=False), encoding="utf-8")
    url = store.engine.url.render_as_string(hide_password=False)
    for mode in ("insert", "upsert"):
        out = invoke(["--database-url", url, "--district", district, "import", str(outline), "--layer", "admin_units",
                      "--crs", "EPSG:4490", "--mode", mode])
        assert out.returncode == 1 and "邻区参考界线" in out.stderr and "Adding a district" in out.stderr, out.stderr
        assert "--mode upsert" not in out.stderr
    assert store.get("admin_units", reference["id"]) == reference
