"""The read replica for the public path (#19 item 3), against a real streaming hot standby.

A second PostgreSQL cluster is made by ``pg_basebackup -R`` from the test server (tests/replica_cluster.py)
and the service runs over both: public lookups, name search and OGC reads are answered by the replica
(proved by a stale answer while its replay is paused, and by the service's own read counters), the
primary answers when the replica is past its lag bound or down, a client reads its own writes, and
stopping the replica in the middle of a burst of lookups costs no request an error.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa

from api.settings import Settings
from geo.addresses.codes import address_code
from geo.errors import InputError
from geo.plates.codes import PlateSigner
from geo.signs.printed import sign_signer
from geo.store import Store
from geo.store.replica import ReadRouter, open_replica
from geo.store.store import normalise_url
from tests.conftest import USERS, _create_database, report_figure, running_server, server_settings
from tests.replica_cluster import Replica, ReplicaUnavailable, make_replica

pytestmark = [pytest.mark.postgis, pytest.mark.xdist_group("replica")]
SECRET = "x" * 40


@pytest.fixture(scope="module")
def replica() -> Iterator[Replica]:
    """A hot standby of the test server on a free port (skipped, with the reason, when it cannot be made)."""
    url = os.environ.get("XINCHENG_TEST_POSTGIS_URL")
    if not url:
        pytest.skip("no PostGIS server (set XINCHENG_TEST_POSTGIS_URL)")
    try:
        made = make_replica(url)
    except ReplicaUnavailable as exc:
        if os.environ.get("XINCHENG_REQUIRE_POSTGIS") == "1":  # CI (scripts/test.sh): a replica must be made
            pytest.fail(f"XINCHENG_REQUIRE_POSTGIS=1 but no replica of the test server could be made: {exc}")
        pytest.skip(f"cannot make a replica of the test server: {exc}")
    yield made
    made.remove()


@pytest.fixture(scope="module")
def databases(replica, sample_templates) -> Iterator[tuple[Store, str]]:
    """The sample district in a database of its own on the primary (xincheng_replica_test_…), and the
    replica's URL of it once the replica has replayed it."""
    template = sample_templates("postgis")
    url, drop = _create_database(template.admin_url, "xincheng_replica_test", template=template.source)
    primary = Store.open(url)
    replica_url = replica.url(sa.make_url(url).database or "")
    _wait_caught_up(primary, replica_url)
    yield primary, replica_url
    primary.close()
    drop()


def _wait_caught_up(primary: Store, replica_url: str, *, timeout_s: float = 30.0) -> None:
    """Wait until the replica answers for the database and has replayed the primary's WAL up to now."""
    with primary.engine.connect() as conn:
        target = int(conn.exec_driver_sql("SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint").scalar())
    engine = sa.create_engine(normalise_url(replica_url))
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            try:
                with engine.connect() as conn:
                    replayed = conn.exec_driver_sql(
                        "SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint").scalar()
                if replayed is not None and int(replayed) >= target:
                    return
            except sa.exc.OperationalError:
                pass  # the database is not there yet
            if time.monotonic() > deadline:
                raise AssertionError("the replica did not catch up")
            time.sleep(0.1)
    finally:
        engine.dispose()


def _replay(replica_url: str, what: str) -> None:
    """Pause or resume WAL replay on the replica (``what``: pause, resume)."""
    engine = sa.create_engine(normalise_url(replica_url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"SELECT pg_wal_replay_{what}()")
            if what == "pause":
                for _ in range(100):
                    if conn.exec_driver_sql("SELECT pg_get_wal_replay_pause_state()").scalar() == "paused":
                        break
                    time.sleep(0.05)
    finally:
        engine.dispose()


def _settings(primary: Store, replica_url: str, **overrides) -> Settings:
    return server_settings(primary, replica_url=replica_url, public_rate_per_minute=1_000_000, **overrides)


def _reads(base: str) -> dict[str, float]:
    """Return the service's replica read counters from /metrics (loopback may read them)."""
    found = {}
    for line in httpx.get(f"{base}/metrics").text.splitlines():
        if line.startswith(("xincheng_replica_reads_total", "xincheng_replica_fallbacks_total")):
            name, value = line.rsplit(" ", 1)
            found[name.replace("xincheng_replica_reads_total", "reads")] = float(value)
    return found


def _login(base: str, role: str) -> dict[str, str]:
    name, password = USERS[role]
    r = httpx.post(f"{base}/api/auth/login", json={"username": name, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _a_street(primary: Store) -> dict:
    return primary.select("streets", limit=1)[0]


def _plate_codes(primary: Store, n: int) -> list[tuple[str, str]]:
    signer = PlateSigner.from_setting("", fallback_secret=SECRET)
    return [(p["plate_uid"], signer.code(p["plate_uid"]))
            for p in primary.select("door_plates", where={"status": "active"}, limit=n)]


def test_settings_refuse_a_bad_replica():
    pg = "postgresql://u@db1/x"
    ok = Settings.from_env({"XINCHENG_DATABASE_URL": pg, "XINCHENG_REPLICA_URL": "postgresql://u@db2/x",
                            "XINCHENG_REPLICA_MAX_LAG_S": "2.5"}, require_secret=False)
    assert (ok.replica_url, ok.replica_max_lag_s) == ("postgresql://u@db2/x", 2.5)
    cases = [({"XINCHENG_REPLICA_URL": "postgresql://u@db2/x"}, "replica_url", "PostgreSQL"),  # a SQLite primary
             ({"XINCHENG_DATABASE_URL": pg, "XINCHENG_REPLICA_URL": pg}, "replica_url", "主库"),
             ({"XINCHENG_REPLICA_MAX_LAG_S": "soon"}, "replica_max_lag_s", "须为数字"),
             ({"XINCHENG_REPLICA_MAX_LAG_S": "0"}, "replica_max_lag_s", "0.1 至 3600"),
             ({"XINCHENG_REPLICA_MAX_LAG_S": "nan"}, "replica_max_lag_s", "0.1 至 3600")]
    for env, field, words in cases:
        with pytest.raises(InputError) as err:
            Settings.from_env(env, require_secret=False)
        assert err.value.field == field and words in err.value.message and " · " in err.value.message


def test_replica_store_is_bound_to_its_district(databases):
    """A district transaction on the hot standby takes the district role and adcode, as on the primary."""
    primary, replica_url = databases
    replica = open_replica(replica_url, adcode=primary.adcode)
    try:
        assert replica.binds_districts()
        with replica.reading() as conn:
            who, adcode, standby = conn.exec_driver_sql(
                "SELECT current_user, current_setting('xincheng.adcode'), pg_is_in_recovery()").one()
        assert (who, adcode, standby) == ("xincheng_district", primary.adcode, True)
        assert replica.count("door_plates") == primary.count("door_plates") > 0
    finally:
        replica.close()


def _until(check, *, timeout_s: float = 20.0, every_s: float = 0.1):
    """Return ``check()``'s first true answer, polling; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not (answer := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(every_s)
    return answer


def test_lag_is_measured_from_wal_positions(databases):
    """Caught up is no lag, however long ago the last commit was; with replay paused, lag grows from the
    first write the replica lacks, and a writer's mark keeps the writer on the primary at once."""
    primary, replica_url = databases
    bound_s = 2.0
    router = ReadRouter(primary, open_replica(replica_url, adcode=primary.adcode), max_lag_s=bound_s,
                        check_every_s=0.0)
    try:
        first = _until(lambda: (s := router.state()).reason == "ok" and s)
        assert first.lag_s is not None and first.lag_s <= bound_s and first.replay_lsn, first
        _replay(replica_url, "pause")
        try:
            street = _a_street(primary)
            primary.update("streets", street["id"], {"grade": (street["grade"] or 0) + 1},
                           expected_version=street["version"], actor="test")
            mark = router.write_mark()
            assert mark is not None and not router.use_replica(after_lsn=mark)  # not for the writer, ever
            behind = _until(lambda: (s := router.state()).reason == "behind" and s, timeout_s=bound_s + 5)
            assert behind.lag_s > bound_s and behind.lag_bytes > 0 and not router.use_replica(), behind
            assert behind.replay_lsn < mark
        finally:
            _replay(replica_url, "resume")
        _until(lambda: router.state().reason == "ok")  # within the bound: not yet past the mark, perhaps
        assert _until(lambda: router.use_replica(after_lsn=mark))  # then replayed past the writer's mark
    finally:
        router.close()


def test_a_write_first_seen_after_an_idle_spell_counts_as_old_as_the_spell(databases):
    """Outside review #19-3: nobody asked for a while, replay is paused and a write lands; the first check
    after the spell must not call the replica current (the write may be as old as the spell)."""
    primary, replica_url = databases
    bound_s = 1.0
    router = ReadRouter(primary, open_replica(replica_url, adcode=primary.adcode), max_lag_s=bound_s,
                        check_every_s=0.0)
    try:
        _until(lambda: router.state().reason == "ok")
        _replay(replica_url, "pause")
        try:
            street = _a_street(primary)
            primary.update("streets", street["id"], {"grade": (street["grade"] or 0) + 1},
                           expected_version=street["version"], actor="test")
            time.sleep(bound_s + 1.5)  # idle: no check sees the write come in
            after_spell = router.state()
            assert after_spell.reason == "behind" and after_spell.lag_s > bound_s, after_spell
            assert not router.use_replica()
        finally:
            _replay(replica_url, "resume")
        _until(lambda: router.state().reason == "ok")
    finally:
        router.close()


def test_a_replica_url_naming_another_database_is_not_used(databases):
    """Outside review #19-4: a standby's other database (here ``postgres``) is no copy of this one: not used."""
    primary, replica_url = databases
    elsewhere = sa.make_url(replica_url).set(database="postgres").render_as_string(hide_password=False)
    router = ReadRouter(primary, open_replica(elsewhere, adcode=primary.adcode), max_lag_s=5.0, check_every_s=0.0)
    try:
        state = router.state()
        assert state.reason == "not_this_database" and not router.use_replica(), state
        assert state.message().startswith("只读副本不是本库的副本") and "XINCHENG_REPLICA_URL" in state.message()
    finally:
        router.close()


def test_public_reads_come_from_the_replica_and_fall_back_past_the_bound(databases):
    """Reads are the replica's: while its replay is paused they show the old value (bound 60 s) until
    the bound is passed (bound 1 s: the primary's new value at once)."""
    primary, replica_url = databases
    street = _a_street(primary)
    item = f"/ogc/collections/streets/items/{street['id']}"
    (_uid, code), = _plate_codes(primary, 1)
    signer = PlateSigner.from_setting("", fallback_secret=SECRET)
    address = address_code(signer, primary.select("addresses", limit=1)[0]["qr_token"])
    sign = sign_signer(signer).code(primary.select("street_signs", limit=1)[0]["sign_uid"])
    with running_server(_settings(primary, replica_url, replica_max_lag_s=60.0)) as patient, \
            running_server(_settings(primary, replica_url, replica_max_lag_s=1.0)) as strict:
        for base in (patient, strict):  # caught up: each server's lookup refresher writes its lease at start,
            deadline = time.monotonic() + 20  # which the replica replays a moment later (1.44 s once, under load)
            while not (health := httpx.get(f"{base}/api/health").json()["replica"])["serving_reads"] \
                    and time.monotonic() < deadline:
                time.sleep(0.2)
            assert health["serving_reads"] and health["state"] == "ok", health
        before = _reads(patient)
        answers = [httpx.get(f"{patient}{path}", params=params) for path, params in (
            (item, {}), ("/ogc/collections/streets/items", {"limit": 5}), ("/ogc/collections", {}),
            (f"/api/plates/lookup/{code}", {}), (f"/p/{code}", {}), (f"/a/{address}", {}),
            (f"/api/standard-addresses/lookup/{address}", {}), (f"/s/{sign}", {}),
            ("/api/placenames/search", {"q": street["name"][:2]}), ("/api/divisions/units/search", {"q": "新城"}),
            ("/api/placenames/at", {"lonlat": "111.70,40.84"}), (item, {"district": primary.adcode}))]
        assert [a.status_code for a in answers] == [200] * len(answers), [a.text[:200] for a in answers]
        after = _reads(patient)
        assert after['reads{served_by="replica"}'] - before['reads{served_by="replica"}'] == len(answers)
        assert after['reads{served_by="primary"}'] == before['reads{served_by="primary"}']

        _replay(replica_url, "pause")
        try:
            renamed = f"{street['name']}（副本测试）"
            primary.update("streets", street["id"], {"name": renamed}, expected_version=street["version"],
                           actor="test")  # straight to the primary: no client of the service wrote it
            stale = httpx.get(f"{patient}{item}").json()["properties"]["name"]
            assert stale == street["name"]  # the replica's answer: proof the read went there
            deadline = time.monotonic() + 10
            while httpx.get(f"{strict}/api/health").json()["replica"]["state"] != "behind":
                assert time.monotonic() < deadline, "the strict server never saw the lag"
                time.sleep(0.2)
            assert httpx.get(f"{strict}{item}").json()["properties"]["name"] == renamed  # past 1 s: the primary
            health = httpx.get(f"{strict}/api/health").json()["replica"]
            assert not health["serving_reads"] and health["lag_seconds"] > 1.0 and health["lag_bytes"] > 0
            assert "超过上限" in health["message"]
            assert httpx.get(f"{patient}{item}").json()["properties"]["name"] == street["name"]  # still within 60 s
        finally:
            _replay(replica_url, "resume")
            primary.update("streets", street["id"], {"name": street["name"]}, expected_version=street["version"] + 1,
                           actor="test")
        _wait_caught_up(primary, replica_url)
        metrics = httpx.get(f"{strict}/metrics").text
        assert "xincheng_replica_lag_seconds" in metrics and "xincheng_replica_serving" in metrics


def test_a_client_reads_its_own_writes_while_replay_is_paused(databases):
    """An officer who proposed a name finds it at once, by token, by a second login's token (the same
    user), by cookie or by the header sent back, though the replica has not replayed it; another
    officer's token reads the replica's past."""
    primary, replica_url = databases
    with running_server(_settings(primary, replica_url, replica_max_lag_s=60.0)) as base:
        writer, second, other = (_login(base, "placename_officer"), _login(base, "placename_officer"),
                                 _login(base, "admin"))
        _wait_caught_up(primary, replica_url)  # the logins' tokens too
        _replay(replica_url, "pause")
        try:
            body = {"properties": {"standard_name": "副本测试路", "feature_class": "street", "meaning": "测试",
                                   "admin_code": "150102003000", "name_mong_pending": True},
                    "geometry": {"type": "LineString", "coordinates": [[111.70, 40.86], [111.71, 40.86]]},
                    "justification": "测试"}
            written = httpx.post(f"{base}/api/placenames", json=body, headers=writer)
            assert written.status_code == 201, written.text
            mark = written.headers["x-xincheng-lsn"]
            assert int(mark) > 0 and written.cookies.get("xc_lsn") == mark

            def found(headers=None, cookies=None) -> bool:
                r = httpx.get(f"{base}/api/placenames/search", params={"q": "副本测试路"}, headers=headers,
                              cookies=cookies)
                assert r.status_code == 200, r.text
                return any(h["standard_name"] == "副本测试路" for h in r.json())

            assert found(writer)  # the writer's token: this worker remembers its write
            assert found(second)  # the same officer on another device: the route knows the user
            assert not found(other)  # another client: the replica, which has not replayed it
            assert found({**other, "X-Xincheng-Lsn": mark})  # the mark sent back (several workers)
            assert found(other, cookies={"xc_lsn": mark})  # a browser's cookie
            assert not found({**other, "X-Xincheng-Lsn": "not-a-mark"})
        finally:
            _replay(replica_url, "resume")
        _wait_caught_up(primary, replica_url)
        deadline = time.monotonic() + 5
        while not found(other):  # replayed: every client sees it
            assert time.monotonic() < deadline
            time.sleep(0.2)


def test_stopping_the_replica_mid_burst_costs_no_request(databases, replica):
    """Lookups from four clients while the replica is stopped: every answer right, none a 5xx; the
    primary answers meanwhile and the replica serves again once it is back."""
    primary, replica_url = databases
    plates = _plate_codes(primary, 8)
    expected = {code: uid for uid, code in plates}
    with running_server(_settings(primary, replica_url, replica_max_lag_s=30.0)) as base:
        statuses: Counter[int] = Counter()
        wrong: list[str] = []
        stop = threading.Event()

        def burst(offset: int) -> None:
            with httpx.Client(base_url=base, timeout=30) as client:
                i = offset
                while not stop.is_set():
                    uid_code = plates[i % len(plates)][1]
                    r = client.get(f"/api/plates/lookup/{uid_code}")
                    statuses[r.status_code] += 1
                    if r.status_code == 200 and r.json()["plate_uid"] != expected[uid_code]:
                        wrong.append(uid_code)
                    if i % 5 == 0:
                        s = client.get("/ogc/collections/streets/items", params={"limit": 3})
                        statuses[s.status_code] += 1
                    i += 1

        threads = [threading.Thread(target=burst, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        try:
            # The replica serves the burst before it is stopped (on a busy machine its first lag reading
            # may take more than a second): wait for its first reads, at most 30 s.
            deadline = time.monotonic() + 30
            while True:
                time.sleep(0.5)
                before_stop = _reads(base)
                if before_stop.get('reads{served_by="replica"}', 0) > 0 or time.monotonic() > deadline:
                    break
            replica.stop(mode="fast")
            time.sleep(2.0)
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=30)
        during = _reads(base)
        total = sum(statuses.values())
        errors = sum(n for status, n in statuses.items() if status >= 500)
        report_figure(f"replica stopped mid-burst: {total} requests, {errors} 5xx, "
                      f"{int(during['xincheng_replica_fallbacks_total'])} reads failed over to the primary")
        assert errors == 0 and set(statuses) == {200} and not wrong, (statuses, wrong[:3])
        assert before_stop['reads{served_by="replica"}'] > 0
        assert during['reads{served_by="primary"}'] > before_stop['reads{served_by="primary"}']
        assert httpx.get(f"{base}/api/health").json()["replica"]["state"] == "down"

        replica.start()
        deadline = time.monotonic() + 20  # the back-off (5 s), then the next check
        while not httpx.get(f"{base}/api/health").json()["replica"]["serving_reads"]:
            assert time.monotonic() < deadline, "the replica was not used again"
            time.sleep(0.25)
        again = _reads(base)
        assert httpx.get(f"{base}/api/plates/lookup/{plates[0][1]}").status_code == 200
        assert _reads(base)['reads{served_by="replica"}'] == again['reads{served_by="replica"}'] + 1


def test_write_marks_stay_within_their_bound_when_every_client_is_new():
    """Outside review #19-15: marks of many live clients (any Authorization header on a write makes one)
    never grow past the bound; the newest client's mark is kept."""
    from api.write_marks import WriteMarks

    now = [0.0]
    marks = WriteMarks(60, max_keys=1000, clock=lambda: now[0])
    for i in range(20_000):
        marks.note(f"token:{i}", i + 1)
        assert len(marks._marks) <= 1000
    assert marks.get("token:19999") == 20_000 and marks.get("token:0") is None
    now[0] = 61.0  # all expired: none is answered, and a full table clears them before evicting a live one
    assert marks.get("token:19999") is None
    for i in range(1000):
        marks.note(f"late:{i}", 7)
    assert len(marks._marks) <= 1000 and all(marks.get(f"late:{i}") == 7 for i in range(1000))
