"""Stored public plate lookups: the same answers as the full walking computation, kept current by the
audit feed, untouched by residents' reports, refreshed by one refresher at a time (SQLite, PostGIS)."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import shapely

from geo.planning.coverage import (
    ELDER_CARE_KINDS,
    WalkParams,
    attach_facilities,
    nearest_by_walking,
    plate_access,
    walk_network_from_streets,
)
from geo.plates.codes import PlateSigner
from geo.plates.lookup import SHOWN_FIELDS, stored_plate_view
from geo.plates.lookup_table import refresh_plate_lookups
from geo.plates.nearby import PUBLIC_LIMIT_M
from geo.store import Store, schema
from geo.store import plate_lookups as stored
from tests.conftest import running_server, server_settings

# Every test here also runs on PostGIS by default (both_backends, see tests/conftest.py):
# the stored plate lookups are computed in SQL (PostGIS functions on PostGIS).
pytestmark = pytest.mark.both_backends


def _full_computation(store: Store, uids: list[str] | None = None) -> dict[str, tuple[dict | None, dict | None]]:
    """Today's path for each plate: the network and facilities as the old lookup built them, then
    ``nearest_by_walking`` per plate and service."""
    network = walk_network_from_streets(store.read_frame("streets"))
    facilities = store.read_frame("facilities")
    facilities = facilities[facilities["status"] == "active"]
    care = facilities[facilities["kind"].isin(ELDER_CARE_KINDS)].reset_index(drop=True)
    centres = facilities[facilities["kind"] == "community_service_centre"].reset_index(drop=True)
    care_att, centre_att = attach_facilities(network, care), attach_facilities(network, centres)
    plates = store.select("door_plates", where={"plate_uid": uids} if uids else None)
    return {p["plate_uid"]: (
        nearest_by_walking(network, p["geometry"], care, limit_m=PUBLIC_LIMIT_M, sources=care_att),
        nearest_by_walking(network, p["geometry"], centres, limit_m=PUBLIC_LIMIT_M, sources=centre_att))
        for p in plates}


def _shown(row: tuple, service: int) -> dict | None:
    """The stored answer of a service as the page shows it (``stored_lookups`` column order)."""
    width = len(stored.SERVICE_FIELDS)
    values = dict(zip(stored.SERVICE_FIELDS, row[2 + service * width: 2 + (service + 1) * width], strict=True))
    return None if values["id"] is None else {f: values[f] for f in SHOWN_FIELDS}


def _planning_computation(store: Store) -> dict[str, tuple[dict | None, dict | None]]:
    """Every plate at once through the planning path (``plate_access``, a 5 km reach at 1.0 m/s):
    another caller of the walking engine, with its own attachment and facility bookkeeping."""
    network = walk_network_from_streets(store.read_frame("streets"))
    plates = store.read_frame("door_plates")
    facilities = store.read_frame("facilities")
    facilities = facilities[facilities["status"] == "active"]
    params = WalkParams(minutes=PUBLIC_LIMIT_M / 60.0)
    names = dict(zip(facilities["id"], facilities["name"], strict=True))
    out: dict[str, list] = {uid: [] for uid in plates["plate_uid"]}
    for chosen in (facilities[facilities["kind"].isin(ELDER_CARE_KINDS)],
                   facilities[facilities["kind"] == "community_service_centre"]):
        access = plate_access(network, plates, chosen.reset_index(drop=True), params)
        for uid, d, fid in zip(plates["plate_uid"], access["distance_m"], access["facility"], strict=True):
            out[uid].append(None if not (d <= PUBLIC_LIMIT_M) else {
                "id": int(fid), "name": names[fid], "distance_m": round(float(d)),
                "minutes": round(float(d) / 60.0, 1), "minutes_elderly": round(float(d) / 0.9 / 60.0, 1)})
    return {uid: (care, centre) for uid, (care, centre) in out.items()}


EVERY_PLATE = os.environ.get("XINCHENG_TEST_EVERY_PLATE") == "1"


def test_every_stored_lookup_equals_the_full_computation(writable_sample_store):
    """All 34,710 plates of the sample: stored lookup == the planning path's answer, per service; and
    == today's per-plate ``nearest_by_walking`` for every 25th plate (every plate with
    XINCHENG_TEST_EVERY_PLATE=1: 69,420 calls, about a minute idle, several under load).
    """
    store = writable_sample_store
    with store.writing() as conn:  # the sample arrives with its lookups computed: compute them afresh
        conn.execute(schema.plate_lookups.delete())
        conn.execute(schema.plate_lookup_state.delete())
    started = time.perf_counter()
    done = refresh_plate_lookups(store)
    took_s = time.perf_counter() - started
    assert done is not None and done.full and done.computed == done.written == store.count("door_plates")
    rows = stored.stored_lookups(store)
    planning = _planning_computation(store)
    assert rows.keys() == planning.keys()
    wrong = [uid for uid, answers in planning.items() if (_shown(rows[uid], 0), _shown(rows[uid], 1)) != answers]
    assert wrong == []
    assert sum(care is None for care, _c in planning.values()) < len(planning) / 2  # the check has teeth
    uids = sorted(planning)
    per_plate = _full_computation(store, None if EVERY_PLATE else uids[::25])
    assert len(per_plate) == (len(uids) if EVERY_PLATE else len(uids[::25]))
    wrong = [uid for uid, answers in per_plate.items() if (_shown(rows[uid], 0), _shown(rows[uid], 1)) != answers]
    assert wrong == []
    print(f"full refresh of {done.computed} plates: {took_s:.2f} s")
    assert took_s < 30  # generous for a loaded CI machine; a second or two on an idle one
    view = stored_plate_view(store, uids[0])
    assert view is not None and not view.services_stale and view.services_as_of == done.seq
    assert refresh_plate_lookups(store) is None  # nothing changed: nothing is computed again


def _pick_plate_near_a_centre(store: Store) -> tuple[dict, dict]:
    """A plate whose nearest service centre is some centre; return (plate, that centre)."""
    view = None
    for plate in store.select("door_plates", limit=200):
        view = stored_plate_view(store, plate["plate_uid"])
        if view and view.nearest_service_centre:
            return plate, store.get("facilities", view.nearest_service_centre["id"])
    raise AssertionError("no plate with a centre nearby")


def test_a_facility_or_plate_edit_marks_its_lookups_stale_until_refreshed(writable_sample_store):
    store = writable_sample_store
    refresh_plate_lookups(store)
    plate, centre = _pick_plate_near_a_centre(store)
    uid = plate["plate_uid"]
    before = stored_plate_view(store, uid)
    assert before is not None and not before.services_stale

    store.update("facilities", centre["id"], {"status": "closed"}, expected_version=centre["version"], actor="t")
    stale = stored_plate_view(store, uid)
    assert stale is not None and stale.services_stale
    assert stale.nearest_service_centre == before.nearest_service_centre  # old answer, flagged
    done = refresh_plate_lookups(store)
    assert done is not None and done.full and 0 < done.written < done.computed  # only changed rows written
    fresh = stored_plate_view(store, uid)
    assert fresh is not None and not fresh.services_stale and fresh.services_as_of == done.seq
    assert fresh.nearest_service_centre != before.nearest_service_centre
    assert (fresh.nearest_elder_care, fresh.nearest_service_centre) == _full_computation(store, [uid])[uid]

    # A facility moved to the plate's door: it becomes the nearest.
    care = store.select("facilities", where={"kind": list(ELDER_CARE_KINDS), "status": "active"}, limit=1)[0]
    store.update("facilities", care["id"], {"geometry": plate["geometry"]}, expected_version=care["version"],
                 actor="t")
    assert stored_plate_view(store, uid).services_stale
    refresh_plate_lookups(store)
    moved = stored_plate_view(store, uid)
    assert not moved.services_stale and moved.nearest_elder_care["id"] == care["id"]
    assert (moved.nearest_elder_care, moved.nearest_service_centre) == _full_computation(store, [uid])[uid]

    # A plate moved: only its lookup is stale and only it is computed again.
    other = store.select("door_plates", limit=1, offset=500)[0]
    other_before = stored_plate_view(store, other["plate_uid"])
    new_at = shapely.Point(plate["geometry"].x + 0.0003, plate["geometry"].y)
    store.update("door_plates", other["id"], {"geometry": new_at}, expected_version=other["version"], actor="t")
    assert stored_plate_view(store, other["plate_uid"]).services_stale
    assert not stored_plate_view(store, uid).services_stale
    done = refresh_plate_lookups(store)
    assert done is not None and not done.full and done.computed == done.written == 1
    after = stored_plate_view(store, other["plate_uid"])
    assert not after.services_stale and after.nearest_elder_care != other_before.nearest_elder_care
    assert (after.nearest_elder_care, after.nearest_service_centre) == \
        _full_computation(store, [other["plate_uid"]])[other["plate_uid"]]

    # A new plate answers its address at once, its services pending until the refresher reaches it.
    store.insert("door_plates", [{**{k: other[k] for k in ("street_name", "community_code", "side")},
                                              "plate_uid": "XCTEST01", "number": 9999, "geometry": new_at}],
                             actor="t")
    pending = stored_plate_view(store, "XCTEST01")
    assert pending.address_zh == f"{other['street_name']}9999号" and pending.services_stale
    assert pending.services_as_of is None and pending.nearest_elder_care is None
    refresh_plate_lookups(store)
    assert stored_plate_view(store, "XCTEST01").nearest_elder_care == after.nearest_elder_care


def test_after_a_restore_no_cache_takes_the_restored_data_for_the_history_it_replaced(writable_sample_store,
                                                                                      tmp_path):
    """Review: a restore set the commit numbers back to the backup's, so the first change after restoring an older
    backup was numbered as a change of the replaced history had been. A server's caches, keyed on those numbers,
    then took the data of a later restore for that other history: 2,504 plates showed services computed on another
    history's facilities, not marked stale and kept after a restart; the coverage answer was the other history's.
    Here history B moves one station and is backed up, history A (restored from before) moves another, and the
    server's caches see A; after B's backup is restored they must see B: the restore numbers its own audit rows
    above every number handed out before, so every table's newest number moves past anything a cache holds."""
    from api.cache import DataCache
    from geo.plates.lookup_table import SourcesCache
    from geo.store.backup import restore_backup, write_backup

    store = writable_sample_store
    sources, plans, built = SourcesCache(), DataCache(), []

    def plan() -> int:
        built.append(store.data_version())
        return len(built)

    refresh_plate_lookups(store, cache=sources)
    first, second = store.select("facilities", where={"kind": list(ELDER_CARE_KINDS), "status": "active"}, limit=2)
    door_b, door_a = store.select("door_plates", limit=2, offset=1000)
    write_backup(store, tmp_path / "before.zip")
    store.update("facilities", first["id"], {"geometry": door_b["geometry"]}, expected_version=first["version"],
                 actor="t")  # history B
    write_backup(store, tmp_path / "history_b.zip")
    seen = [store.data_version()]
    restore_backup(store, tmp_path / "before.zip", replace=True)
    second = store.get("facilities", second["id"])
    store.update("facilities", second["id"], {"geometry": door_a["geometry"]}, expected_version=second["version"],
                 actor="t")  # history A, seen by the server's caches
    refresh_plate_lookups(store, cache=sources)
    assert plans.get(store, "plan", plan) == 1
    seen.append(store.data_version())

    restore_backup(store, tmp_path / "history_b.zip", replace=True)
    assert store.data_version() > max(seen)  # never a number handed out before
    refresh_plate_lookups(store, cache=sources)  # the same server's refresher, its cache kept
    rows = stored.stored_lookups(store)
    planning = _planning_computation(store)
    wrong = [uid for uid, answers in planning.items() if (_shown(rows[uid], 0), _shown(rows[uid], 1)) != answers]
    assert wrong == []
    view = stored_plate_view(store, door_b["plate_uid"])
    assert view is not None and not view.services_stale and view.nearest_elder_care["id"] == first["id"]
    assert plans.get(store, "plan", plan) == 2  # built again on B's data, not A's kept


def test_a_problem_report_leaves_the_lookup_untouched(writable_sample_store):
    """The stored lookups, and the server's cached planning runs, map pages and name indexes (review: one anonymous
    report emptied those, the next coverage answer 32 → 714 ms): a change to the data still builds them afresh."""
    from api.cache import DataCache

    store = writable_sample_store
    refresh_plate_lookups(store)
    plate = store.select("door_plates", limit=1, offset=42)[0]
    rows, view = stored.stored_lookups(store), stored_plate_view(store, plate["plate_uid"])
    cache, builds = DataCache(), []
    cache.get(store, "run", lambda: builds.append(1))
    store.insert("problem_reports", [{"plate_uid": plate["plate_uid"], "kind": "damaged_plate", "message": "旧"}],
                 actor="public")
    assert stored_plate_view(store, plate["plate_uid"]) == view and not view.services_stale
    assert refresh_plate_lookups(store) is None  # nothing to do, nothing written
    assert stored.stored_lookups(store) == rows
    cache.get(store, "run", lambda: builds.append(1))
    assert len(builds) == 1  # kept through the report
    facility = store.select("facilities", limit=1)[0]
    store.update("facilities", facility["id"], {"name": facility["name"] + "新"}, expected_version=facility["version"],
                 actor="t")
    cache.get(store, "run", lambda: builds.append(1))
    assert len(builds) == 2  # a change to the data: built again


def test_two_refreshers_at_once_compute_once_and_agree(writable_sample_store):
    store = writable_sample_store
    refresh_plate_lookups(store)
    centre = store.select("facilities", where={"kind": "community_service_centre"}, limit=1)[0]
    store.update("facilities", centre["id"], {"status": "closed"}, expected_version=centre["version"], actor="t")
    url = store.engine.url.render_as_string(hide_password=False)
    results: list[Any] = []
    go = threading.Barrier(2)

    def run() -> None:
        other = Store.open(url)  # its own engine and connections, as another worker process has
        try:
            go.wait()
            results.append(refresh_plate_lookups(other, wait=True))
        finally:
            other.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    done = [r for r in results if r is not None]
    assert len(results) == 2 and len(done) == 1 and done[0].full  # the waiter found the work done
    assert stored.processed_seq(store) == done[0].seq
    sample = [p["plate_uid"] for p in store.select("door_plates", limit=300)]
    reference = _full_computation(store, sample)
    rows = stored.stored_lookups(store)
    assert all((_shown(rows[uid], 0), _shown(rows[uid], 1)) == reference[uid] for uid in sample)

    # While another holds the lease, a poller's round skips; a lease left by a crash expires.
    assert stored.claim(store, "someone-else", now=datetime.now(UTC), lease_s=60) is not None
    store.update("facilities", centre["id"], {"status": "active"}, expected_version=centre["version"] + 1,
                 actor="t")
    assert refresh_plate_lookups(store, wait=False) is None
    assert stored_plate_view(store, sample[0]).services_stale
    with store.writing() as conn:  # the other holder crashed a minute ago
        conn.execute(stored.schema.plate_lookup_state.update().values(lease_until=datetime(2000, 1, 1, tzinfo=UTC)))
    assert refresh_plate_lookups(store, wait=False).full
    assert not stored_plate_view(store, sample[0]).services_stale


def _fresh_json(base: str, code: str, *, within_s: float = 60) -> dict:
    deadline = time.monotonic() + within_s
    while True:
        body = httpx.get(f"{base}/api/plates/lookup/{code}").json()
        if not body["services_stale"] or time.monotonic() > deadline:
            return body
        time.sleep(0.2)


def test_the_server_keeps_lookups_current_and_says_when_they_are_not(writable_sample_store):
    """The server's own refresher fills and refreshes the lookups; the JSON and page say when stale."""
    store = writable_sample_store
    settings = server_settings(store)
    plate = store.select("door_plates", where={"street_name": "新华大街"}, limit=1)[0]
    code = PlateSigner.from_setting("", fallback_secret=settings.secret_key).code(plate["plate_uid"])
    with running_server(settings) as base:
        body = _fresh_json(base, code)
        assert not body["services_stale"] and body["services_as_of"] > 0
        expected = _full_computation(store, [plate["plate_uid"]])[plate["plate_uid"]]
        assert (body["nearest_elder_care"], body["nearest_service_centre"]) == expected
        page = httpx.get(f"{base}/p/{code}").text
        assert "正在更新" not in page and expected[0]["name"] in page

        # Hold the refresher's lease (as a busy refresher would), then close the plate's centre.
        assert stored.claim(store, "test-holder", now=datetime.now(UTC), lease_s=60) is not None
        centre = store.get("facilities", expected[1]["id"])
        store.update("facilities", centre["id"], {"status": "closed"}, expected_version=centre["version"], actor="t")
        time.sleep(1.5)  # a poller round or more: it must not run while the lease is held
        stale = httpx.get(f"{base}/api/plates/lookup/{code}").json()
        assert stale["services_stale"] and stale["nearest_service_centre"] == expected[1]
        page = httpx.get(f"{base}/p/{code}").text
        assert "附近服务信息正在更新" in page and "Nearby services are being updated" in page
        # how old the answer shown is (review: the page said only "being updated"), in Beijing time as every page
        computed = datetime.fromisoformat(stale["services_computed_at"])
        assert computed.tzinfo is not None and computed <= datetime.now(UTC)
        shown = (computed + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
        assert f"以下为 {shown}（北京时间）计算的结果" in page, page[page.find("正在更新") - 50:][:300]
        stored.release(store, "test-holder")
        fresh = _fresh_json(base, code)
        assert not fresh["services_stale"] and fresh["services_as_of"] > stale["services_as_of"]
        assert (fresh["nearest_elder_care"], fresh["nearest_service_centre"]) == \
            _full_computation(store, [plate["plate_uid"]])[plate["plate_uid"]]
        assert "正在更新" not in httpx.get(f"{base}/p/{code}").text


def test_the_lookup_is_one_indexed_read(store):
    """The request's statement uses an index for every table it reads (SQLite's plan names them)."""
    if store.dialect != "sqlite":
        pytest.skip("the plan is read on SQLite")
    query = stored._lookup_query().params(**stored.lookup_parameters(store, "XCV87EZX"))
    sql = str(query.compile(store.engine, compile_kwargs={"literal_binds": True}))
    with store.engine.connect() as conn:
        plan = [row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")]
    assert not [step for step in plan if step.startswith("SCAN")], plan
    # plate, street, its name, community, sub-district, the district's name, two services
    assert sum(step.startswith("SEARCH") for step in plan) == 8, plan


def test_the_lookup_json_is_the_whole_view_and_its_own_copy(sample_store):
    # to_dict builds the JSON without dataclasses.asdict's deep copy: the same content, nothing shared.
    from dataclasses import asdict

    plates = sample_store.select("door_plates", limit=300)
    views = [v for p in plates if (v := stored_plate_view(sample_store, p["plate_uid"])) is not None]
    assert any(v.nearest_elder_care and v.nearest_service_centre for v in views)
    for view in views:
        answer = view.to_dict()
        assert answer == asdict(view)
        answer["emergency"][0]["number"] = "999"
        for kind in ("nearest_elder_care", "nearest_service_centre"):
            if answer[kind] is not None:
                answer[kind]["name"] = "changed"
        assert view.emergency[0]["number"] == "110"
        assert "changed" not in {(view.nearest_elder_care or {}).get("name"),
                                 (view.nearest_service_centre or {}).get("name")}
