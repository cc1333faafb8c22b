"""Instant what-if (geo/planning/whatif.py, POST /api/planning/whatif, /maps/whatif, ``xincheng whatif``).

Figures are checked against a small network worked out by hand, and the incremental answers against
a full ``run_planning`` on the edited inputs (random edit lists on the sample district).
"""

from __future__ import annotations

import base64
import json
import re
import time

import geopandas as gpd
import httpx
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import crs as C
from geo.planning.coverage import ELDER_CARE_KINDS, WalkParams, points_xy
from geo.planning.network import attach_points, build_walk_network
from geo.planning.run import PlanningInputs, run_planning
from geo.planning.whatif import Edit, EditRefused, WhatIf
from tests.conftest import USERS
from tests.test_cli import sample_db  # noqa: F401 - the CLI's sample database fixture

# One pytest-xdist worker runs this module (scripts/test.sh: --dist loadgroup),
# so the sample's inputs are built once, not once per worker.
pytestmark = pytest.mark.xdist_group("whatif")

# -- a network small enough to work out by hand ---------------------------------------------------------
#
#   street 1: (0,0) — (500,0) — (1000,0) — (1500,0) — (2000,0)      street 2: (1000,0) — (1000,400) — (1000,800)
#   station 10 at (0,0); reach 900 m (15 min at 1 m/s); plates (households, community):
#   P0 (400,0) 10 C1, d 400 covered     P1 (850,0) 20 C1, d 850 covered     P2 (1200,0) 30 C2, d 1200
#   P3 (1900,0) 40 C2, d 1900           P4 (1000,700) 50 C2, d 1700          P5 (300,50) 5 C1, d 50+300 = 350 covered
#   covered before: P0, P1, P5 = 35 households.

STREET_1 = shapely.LineString([(0, 0), (500, 0), (1000, 0), (1500, 0), (2000, 0)])
STREET_2 = shapely.LineString([(1000, 0), (1000, 400), (1000, 800)])
PLATES = np.array([(400, 0), (850, 0), (1200, 0), (1900, 0), (1000, 700), (300, 50)], dtype=float)
HOUSEHOLDS = np.array([10, 20, 30, 40, 50, 5], dtype=float)
COMMUNITY = np.array(["C1", "C1", "C2", "C2", "C2", "C1"])
UNITS = pd.DataFrame({"code": ["D", "S", "C1", "C2"], "name": ["区", "街道", "社区一", "社区二"],
                      "level": ["district", "subdistrict", "community", "community"],
                      "parent_code": [None, "D", "S", "S"], "households": [155.0, 155.0, 35.0, 120.0],
                      "covered_households": [35.0, 35.0, 35.0, 0.0], "residents_60plus": [31.0, 31.0, 7.0, 24.0],
                      "covered_60plus": [7.0, 7.0, 7.0, 0.0]})


@pytest.fixture(scope="module")
def small() -> WhatIf:
    net = build_walk_network(np.array([STREET_1, STREET_2], dtype=object))
    params = WalkParams()
    fac_xy = np.array([(0.0, 0.0)])
    return WhatIf(net, plate_xy=PLATES, plate_att=attach_points(net, PLATES, max_attach_m=150), fac_xy=fac_xy,
                  fac_att=attach_points(net, fac_xy, max_attach_m=150), fac_ids=np.array([10]), reach_m=params.reach_m,
                  max_attach_m=params.max_attach_m, households=HOUSEHOLDS, residents_60plus=HOUSEHOLDS * 0.2,
                  edge_street=np.where(net.edge_line == 0, 1, 2), plate_community=COMMUNITY, units=UNITS)


def test_baseline_of_the_hand_network(small):
    assert small.covered.tolist() == [True, True, False, False, False, True]
    assert small.dist[small.covered].tolist() == pytest.approx([400, 850, 350])


@pytest.mark.parametrize(("edits", "gained", "lost", "households"), [
    # a station at (1500,0): P2 at 300 m and P3 at 400 m are gained; P4 is 500 + 700 = 1200 m away
    ([Edit("add", xy_m=(1500, 0))], [2, 3], [], 70),
    # a station at (1000,300) on street 2: P2 at 300 + 200 = 500 m, P4 at 400 m
    ([Edit("add", xy_m=(1000, 300))], [2, 4], [], 80),
    # station 10 removed after adding (1500,0): P0 (1100 m) and P5 (1250 m) are lost, P1 keeps 650 m
    ([Edit("add", xy_m=(1500, 0)), Edit("remove", facility_id=10)], [2, 3], [0, 5], 70 - 15),
    # station 10 moved to (1500,0): the same as the line above
    ([Edit("move", xy_m=(1500, 0), facility_id=10)], [2, 3], [0, 5], 55),
    # street 2 closed after adding (1000,300): the new station joins no street (300 m from street 1),
    # so nothing is gained; P4 (700 m from street 1) is unattached
    ([Edit("add", xy_m=(1000, 300)), Edit("close_street", street_id=2)], [], [], 0),
    # street 1 closed: station 10 and every plate on it join nothing within 150 m: all three lost
    ([Edit("close_street", street_id=1)], [], [0, 1, 5], -35),
])
def test_hand_computed_changes(small, edits, gained, lost, households):
    r = small.apply(edits)
    assert r.gained.tolist() == gained and r.lost.tolist() == lost
    assert r.households == households
    assert r.residents_60plus == pytest.approx(households * 0.2)
    assert r.covered_households_before == 35 and r.total_households == 155
    assert r.household_share_after == pytest.approx((35 + households) / 155)


def test_per_unit_changes_roll_up(small):
    r = small.apply([Edit("move", xy_m=(1500, 0), facility_id=10)])
    units = r.units.set_index("code")
    assert units.loc["C1", "delta_households"] == -15    # P0 and P5
    assert units.loc["C2", "delta_households"] == 70     # P2 and P3
    assert units.loc["S", "delta_households"] == 55 and units.loc["D", "delta_households"] == 55
    assert units.loc["C2", "household_share_after"] == pytest.approx(70 / 120)


def test_unknown_station_or_street_and_missing_point_are_refused(small):
    with pytest.raises(EditRefused) as exc:
        small.apply([Edit("remove", facility_id=99)])
    assert exc.value.field == "edits.0.facility_id" and exc.value.status == 422
    assert exc.value.message.startswith("第 1 项修改：站点编号")
    with pytest.raises(EditRefused) as exc:
        small.apply([Edit("remove", facility_id=10), Edit("remove", facility_id=10)])  # removed already
    assert exc.value.field == "edits.1.facility_id"
    with pytest.raises(EditRefused) as exc:
        small.apply([Edit("close_street", street_id=7)])
    assert exc.value.field == "edits.0.street_id"
    with pytest.raises(EditRefused) as exc:
        small.apply([Edit("add")])
    assert exc.value.field == "edits.0.lon"
    street = int(next(iter(k for k in np.unique(small.edge_street) if k > 0)))
    with pytest.raises(EditRefused) as exc:  # the same street closed twice: said, not silently ignored
        small.apply([Edit("close_street", street_id=street), Edit("close_street", street_id=street)])
    assert exc.value.field == "edits.1.street_id" and "已在第 1 项关闭" in exc.value.message


# -- identity with a full recomputation on the sample --------------------------------------------------

@pytest.fixture(scope="module")
def sample_inputs(sample) -> PlanningInputs:
    return PlanningInputs(units=sample["admin_units"], streets=sample["streets"].assign(
                              id=lambda d: np.arange(1, len(d) + 1)),
                          plates=sample["door_plates"], facilities=sample["facilities"].assign(
                              id=lambda d: np.arange(1, len(d) + 1)),
                          linear_features=sample["linear_features"], graves=sample["graves"])


def _lonlat(xy: tuple[float, float]) -> shapely.Point:
    return C.from_metric(shapely.points([xy]))[0]


def _edited(inputs: PlanningInputs, edits: list[Edit]) -> PlanningInputs:
    """Return the inputs as the edits leave them (what a planner would load after making them)."""
    fac, streets = inputs.facilities.copy(), inputs.streets.copy()
    for e in edits:
        if e.op in ("remove", "move"):
            row = fac.index[fac["id"] == e.facility_id][0]
            if e.op == "remove":
                fac = fac.drop(row)
            else:
                fac.loc[row, "geometry"] = _lonlat(e.xy_m)
        elif e.op == "add":
            new = fac[fac["kind"] == "elder_care_station"].iloc[[0]].copy()
            new["id"] = 100_000 + len(fac)
            new = new.set_geometry(gpd.GeoSeries([_lonlat(e.xy_m)], crs=fac.crs, index=new.index))
            fac = pd.concat([fac, new], ignore_index=True)
        else:
            streets = streets[streets["id"] != e.street_id]
    return PlanningInputs(units=inputs.units, streets=streets.reset_index(drop=True), plates=inputs.plates,
                          facilities=fac.reset_index(drop=True), linear_features=inputs.linear_features,
                          graves=inputs.graves)


def test_random_edits_equal_a_full_run_on_the_edited_inputs(sample_inputs):
    run = run_planning(sample_inputs, WalkParams())
    w = WhatIf.from_run(run)
    care_ids = run.care_facilities["id"].to_numpy()
    walkable = sample_inputs.streets.loc[sample_inputs.streets["walkable"], "id"].to_numpy()
    plate_xy = points_xy(sample_inputs.plates)
    rng = np.random.default_rng(18)
    ops_seen = set()
    for _trial in range(6):
        edits: list[Edit] = []
        for _ in range(int(rng.integers(1, 5))):
            op = str(rng.choice(["add", "move", "remove", "close_street"]))
            free = [int(i) for i in care_ids if all(e.facility_id != i for e in edits)]
            at = tuple(plate_xy[rng.integers(len(plate_xy))] + rng.normal(0, 120, 2))
            edits.append(Edit("add", xy_m=at) if op == "add" else
                         Edit("move", xy_m=at, facility_id=int(rng.choice(free))) if op == "move" else
                         Edit("remove", facility_id=int(rng.choice(free))) if op == "remove" else
                         Edit("close_street", street_id=int(rng.choice(walkable))))
            ops_seen.add(op)
        got = w.apply(edits, keep_plates=True)
        full = run_planning(_edited(sample_inputs, edits), WalkParams())
        covered = (full.access["status"] == "covered").to_numpy()
        assert np.array_equal(got.covered_after, covered), edits
        assert np.allclose(got.dist_after_m[covered], full.access["distance_m"].to_numpy()[covered], atol=1e-6)
        district = full.coverage[full.coverage["level"] == "district"].iloc[0]
        assert got.covered_households_before + got.households == pytest.approx(district["covered_households"])
        assert got.covered_60plus_before + got.residents_60plus == pytest.approx(district["covered_60plus"])
        units = got.units.set_index("code")
        for row in full.coverage.itertuples():
            assert units.loc[row.code, "covered_households"] + units.loc[row.code, "delta_households"] == \
                pytest.approx(row.covered_households), (row.code, edits)
    assert ops_seen == {"add", "move", "remove", "close_street"}


# -- the API --------------------------------------------------------------------------------------------

def _token(base: str, role: str) -> dict[str, str]:
    name, password = USERS[role]
    r = httpx.post(f"{base}/api/auth/login", json={"username": name, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _stations(base: str, headers: dict[str, str]) -> list[int]:
    r = httpx.get(f"{base}/api/planning/coverage/plates", params={"status": "covered", "limit": 5}, headers=headers,
                  timeout=120)
    assert r.status_code == 200, r.text
    return sorted({p["facility"] for p in r.json()["plates"]})


# A point in the sample's urban core (inside the district).
CORE = (111.70, 40.83)


def test_api_refuses_without_login_or_role_and_names_bad_fields(live_server):
    body = {"edits": [{"op": "add", "lon": CORE[0], "lat": CORE[1]}]}
    assert httpx.post(f"{live_server}/api/planning/whatif", json=body).status_code == 401
    r = httpx.post(f"{live_server}/api/planning/whatif", json=body, headers=_token(live_server, "placename_officer"))
    assert r.status_code == 403
    planner = _token(live_server, "planner")
    add = {"op": "add", "lon": CORE[0], "lat": CORE[1]}
    for bad, field in (({"edits": [{"op": "build", "lon": 1, "lat": 2}]}, "edits.0.op"),
                       ({"edits": []}, "edits"),
                       ({"edits": [add] * 21}, "edits"),
                       ({"edits": [{"op": "add", "lat": CORE[1]}]}, "edits.0.lon"),
                       ({"edits": [add, {"op": "add", "lon": 111.3, "lat": 40.5}]}, "edits.1.lon"),  # outside
                       ({"edits": [{"op": "remove"}]}, "edits.0.facility_id"),
                       ({"edits": [{"op": "remove", "facility_id": 999999}]}, "edits.0.facility_id"),
                       ({"edits": [{"op": "close_street", "street_id": 999999}]}, "edits.0.street_id"),
                       ({"edits": [{"op": "add", "lon": "east", "lat": CORE[1]}]}, "edits.0.lon")):
        r = httpx.post(f"{live_server}/api/planning/whatif", json=bad, headers=planner, timeout=120)
        assert r.status_code == 422, (bad, r.text)
        answer = r.json()
        assert answer["field"] == field, (bad, answer)
        chinese, sep, english = answer["message"].partition(" · ")   # Chinese first, English beside it
        assert sep and re.search(r"[\u4e00-\u9fff]", chinese) and english, answer["message"]


def test_api_answers_as_a_full_run_on_the_edited_data_and_writes_nothing(live_server, sample_store):
    planner = _token(live_server, "planner")
    before = sample_store.data_version()
    station = _stations(live_server, planner)[0]
    body = {"edits": [{"op": "add", "lon": CORE[0], "lat": CORE[1]}, {"op": "remove", "facility_id": station}]}
    r = httpx.post(f"{live_server}/api/planning/whatif", json=body, headers=planner, timeout=120)
    assert r.status_code == 200, r.text
    answer = r.json()
    d = answer["district"]
    inputs = PlanningInputs.load(sample_store)
    x, y = C.from_storage([CORE[0]], [CORE[1]], C.METRIC_CRS)
    full = run_planning(_edited(inputs, [Edit("add", xy_m=(float(x[0]), float(y[0]))),
                                         Edit("remove", facility_id=station)]), WalkParams(), ELDER_CARE_KINDS)
    district = full.coverage[full.coverage["level"] == "district"].iloc[0]
    assert d["covered_households_after"] == pytest.approx(district["covered_households"])
    assert d["covered_60plus_after"] == round(district["covered_60plus"])  # whole people
    assert d["household_share_after"] == pytest.approx(district["household_share"], abs=1e-6)
    assert d["covered_households_after"] == pytest.approx(d["covered_households_before"] + d["delta_households"])
    if answer["plates_gained"] <= 200 and answer["plates_lost"] <= 200:
        listed = sum(p["households"] for p in answer["gained"]) - sum(p["households"] for p in answer["lost"])
        assert listed == pytest.approx(d["delta_households"])
    assert sample_store.data_version() == before


# -- the page in Chromium ---------------------------------------------------------------------------------

@pytest.mark.parametrize("sample_store", ["sqlite"], indirect=True)
def test_page_drag_shows_the_apis_answer(live_server):
    from tests.browser import ARTIFACTS, OFFLINE
    from tests.test_offline_pages import OfflineChromium

    b = OfflineChromium(width=1200, height=800, extra_flags=OFFLINE)
    try:
        for domain in ("Network", "Log", "Runtime", "Page"):
            b.send(f"{domain}.enable")
        b.log_in(live_server, "planner")
        b.goto(f"{live_server}/maps/whatif", wait_s=120)
        deadline = time.time() + 60
        while time.time() < deadline and not b.run("!!(window.whatif && window.whatif.pending)"):
            time.sleep(0.2)
        # wait for the answer where the page put the candidate; then drag it through Leaflet's own API
        # (move it, then the dragend a drag ends with) and wait for that answer
        seen = json.loads(b.run(f"""(async () => {{
            await window.whatif.pending;
            const first = document.getElementById('d-hh').textContent;
            const opening = {{status: document.getElementById('status').className,
                              said: document.getElementById('status').textContent}};
            const c = window.whatif.candidates[0];
            c.setLatLng([{CORE[1]}, {CORE[0]}]);
            c.fire('dragend');
            await window.whatif.pending;
            return JSON.stringify({{first, opening, last: window.whatifLast, error: window.whatifError || null,
                                    text: document.getElementById('d-hh').textContent}});
        }})()"""))
        first, shown, error, text = seen["first"], seen["last"], seen["error"], seen["text"]
        # click the street nearest the candidate: the page closes it and asks again with both edits
        closed = json.loads(b.run(f"""(async () => {{
            const here = L.latLng({CORE[1]}, {CORE[0]});
            let best = null, gap = Infinity;
            for (const [id, line] of Object.entries(window.whatif.streetLines)) {{
                const d = line.getLatLngs().flat().reduce((m, p) => Math.min(m, here.distanceTo(p)), Infinity);
                if (d < gap) {{ gap = d; best = id; }}
            }}
            window.whatif.streetLines[best].fire('click');
            await window.whatif.pending;
            return JSON.stringify({{last: window.whatifLast, streets: Object.keys(window.whatif.streetLines).length,
                                    colour: window.whatif.streetLines[best].options.color}});
        }})()"""))
        legend = b.run("document.querySelector('.map-legend summary').innerText")
        problems = b.problems()
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "whatif_page.png").write_bytes(base64.b64decode(b.send("Page.captureScreenshot",
                                                                             format="png")["data"]))
    finally:
        b.close()
    assert problems == [], problems
    assert error is None, error
    assert seen["opening"]["status"] == "", seen["opening"]  # the first candidate starts among homes, on a street
    assert legend.startswith("图例")
    assert shown["edits"] == [{"op": "add", "lon": CORE[0], "lat": CORE[1]}]
    api = httpx.post(f"{live_server}/api/planning/whatif", json={"edits": shown["edits"], "list_plates": 500},
                     headers=_token(live_server, "planner"), timeout=120).json()
    assert shown["answer"]["district"] == api["district"]
    expected = api["district"]["delta_households"]
    assert text == ("+" if expected > 0 else "") + f"{expected:.0f}"
    assert expected > 0 and text != first
    # the streets are drawn, a clicked one is shown closed and the page's answer is the API's for both edits
    assert closed["streets"] > 100 and closed["colour"] == "#d1242f"
    both = closed["last"]["edits"]
    assert both[0] == shown["edits"][0] and both[1]["op"] == "close_street"
    api_both = httpx.post(f"{live_server}/api/planning/whatif", json={"edits": both, "list_plates": 500},
                          headers=_token(live_server, "planner"), timeout=120).json()
    assert closed["last"]["answer"]["district"] == api_both["district"]


# -- the CLI ----------------------------------------------------------------------------------------------

def test_cli_prints_the_change_and_refuses_bad_edits_with_exit_2(sample_db):  # noqa: F811 - the CLI's fixture
    from geo.store import Store
    from tests.test_cli import run

    db, _ = sample_db
    ok = run("whatif", "--add", f"{CORE[0]},{CORE[1]}", "--json", db=db)
    assert ok.returncode == 0, ok.stderr
    d = json.loads(ok.stdout)["district"]
    store = Store.open(f"sqlite:///{db}")
    try:
        inputs = PlanningInputs.load(store)
    finally:
        store.close()
    x, y = C.from_storage([CORE[0]], [CORE[1]], C.METRIC_CRS)
    full = run_planning(_edited(inputs, [Edit("add", xy_m=(float(x[0]), float(y[0])))]), WalkParams())
    district = full.coverage[full.coverage["level"] == "district"].iloc[0]
    assert d["covered_households_after"] == pytest.approx(district["covered_households"]) and d["delta_households"] > 0
    table = run("whatif", "--add", f"{CORE[0]},{CORE[1]}", db=db)
    assert table.returncode == 0 and f"{d['delta_households']:+,.0f}" in table.stdout, table.stdout
    assert "覆盖户数变化" in table.stdout
    for args, words in ((["--move", "12"], "--move"), (["--add", "111.3,40.5"], "不在新城区范围内"), ([], "至少")):
        bad = run("whatif", *args, db=db)
        assert bad.returncode == 2 and words in bad.stderr, (args, bad.stderr)


def test_page_answer_needs_the_login_cookie_and_the_pages_csrf_token(live_server):
    from tests.test_map_pages import _session

    body = {"edits": [{"op": "add", "lon": CORE[0], "lat": CORE[1]}]}
    assert httpx.post(f"{live_server}/maps/whatif/answer", json=body).status_code == 401
    cookie = {"xc_token": _session(live_server, "planner")}
    page = httpx.get(f"{live_server}/maps/whatif", cookies=cookie, timeout=120)
    assert page.status_code == 200 and "即时推演" in page.text
    token = re.search(r"name='csrf-token' content='([^']+)'", page.text).group(1)
    refused = httpx.post(f"{live_server}/maps/whatif/answer", json=body, cookies=cookie, timeout=120)
    assert refused.status_code == 403 and refused.json()["field"] == "csrf_token"
    cross = httpx.post(f"{live_server}/maps/whatif/answer", json=body, cookies=cookie, timeout=120,
                       headers={"X-CSRF-Token": token, "Origin": "https://elsewhere.example"})
    assert cross.status_code == 403
    ok = httpx.post(f"{live_server}/maps/whatif/answer", json=body, cookies=cookie, timeout=120,
                    headers={"X-CSRF-Token": token, "Origin": live_server})
    assert ok.status_code == 200 and ok.json()["district"]["delta_households"] > 0
