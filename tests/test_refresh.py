"""Coverage refresh of many districts on a Dask cluster (#19 item 4), against a real PostgreSQL.

The districts: a synthetic region of three (``data.synthetic_region.load_region``, small districts of
2,000 plates), stored once per module and copied for each test (``CREATE DATABASE … TEMPLATE``).

* ``xincheng refresh --in-process`` and the same on a 2-worker LocalCluster store the same rows, row for
  row, and the figures are the planning run's (what ``xincheng coverage`` prints); progress is shown;
* each district is one transaction: a district whose write fails keeps its previous rows and is named
  in a Chinese-first summary (exit status 1) while the others are stored; a district whose data is
  refused likewise;
* through ``--scheduler tcp://…`` (a running cluster's scheduler) the same rows; a worker process killed
  (SIGKILL) while it runs a district: the scheduler runs it again elsewhere and every district is stored
  with the same rows;
* only the districts named are refreshed; a district's transaction sees and writes its own rows only;
  the command's mistakes are said Chinese first;
* SQLite holds one district: the refresh runs in this process.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd
import pytest
import shapely
import sqlalchemy as sa

from api.cli.common import CLI_ACTOR
from geo.planning.coverage import WalkParams
from geo.planning.refresh import FIGURES, stored_coverage
from geo.planning.refresh_cluster import local_cluster, refresh_in_process, refresh_on_cluster
from geo.planning.run import PlanningInputs, run_planning
from geo.store import Store, schema
from tests.conftest import _admin_url, _create_database
from tests.xincheng_cli import invoke

# One pytest-xdist worker runs this module (scripts/test.sh: --dist loadgroup),
# so the region (region) is loaded once, not once per worker.
pytestmark = pytest.mark.xdist_group("refresh_region")

OUTLINE_ONLY = "150121"  # 土默特左旗: held by its outline alone (no streets, plates or facilities)
HAN = re.compile(r"[\u4e00-\u9fff]")
VOLATILE = ["id", "computed_at"]  # what differs between two refreshes of the same data


@dataclass
class Region:
    """A copy of the module's region database: its URL, the districts it holds and an open store."""

    url: str
    adcodes: list[str]
    store: Store

    def rows(self, adcode: str | None = None) -> pd.DataFrame:
        """The stored rows of one district (default: every district of the region) without what differs
        between refreshes, by district and unit code."""
        frames = [stored_coverage(self.store.for_district(a)) for a in ([adcode] if adcode else self.adcodes)]
        frame = pd.concat(frames, ignore_index=True) if any(len(f) for f in frames) else frames[0]
        return frame.drop(columns=VOLATILE).sort_values(["adcode", "unit_code"]).reset_index(drop=True)

    def computed_at(self, adcode: str) -> set:
        return set(stored_coverage(self.store.for_district(adcode))["computed_at"])

    def refresh(self, *args: str):
        return invoke(["--database-url", self.url, "refresh", *args])


@pytest.fixture(scope="session")  # not "module": the worker may run another module's test in between
def region_template() -> Iterator[tuple[str, list[str]]]:
    """Store the synthetic region once for this module (kept until the worker ends: a module fixture is torn
    down whenever the worker runs another module's test in between); yield the template database's name and
    its districts."""
    from data.synthetic_region import load_region

    url, drop = _create_database(_admin_url(), "xincheng_region_template")
    store = Store.open(url)
    try:
        store.migrate()
        adcodes = load_region(store, districts=3, seed=7, plates_per_district=2000)
    finally:
        store.close()
    yield sa.make_url(url).database or "", adcodes
    drop()


@pytest.fixture
def region(region_template) -> Iterator[Region]:
    """This test's own copy of the region."""
    name, adcodes = region_template
    url, drop = _create_database(_admin_url(), "xincheng_region", template=name)
    store = Store.open(url, adcode=adcodes[0])
    yield Region(url=url, adcodes=adcodes, store=store)
    store.close()
    drop()


@pytest.mark.postgis
def test_in_process_and_a_two_worker_cluster_store_the_same_rows(region: Region) -> None:
    first = region.refresh("--in-process")
    assert first.returncode == 0, first.stderr
    reference = region.rows()
    assert list(reference.groupby("adcode").size()) == [96, 96, 96]
    assert list(reference["adcode"].unique()) == region.adcodes
    # The figures are the planning run's own (what `xincheng coverage` prints for the district).
    one = region.adcodes[1]
    run = run_planning(PlanningInputs.load(region.store.for_district(one)), WalkParams())
    mine = region.rows(one)
    expected = run.coverage.sort_values("code").reset_index(drop=True)
    assert list(mine["unit_code"]) == list(expected["code"])
    for column in ("households", "covered_households", "household_share", "residents_60plus", "covered_60plus",
                   "share_60plus"):
        pd.testing.assert_series_equal(mine[column], expected[column], check_names=False)
    care = run.floor["elder_care"].set_index("code").loc[mine["unit_code"]]
    assert list(mine["care_per100_m2"].fillna(-1)) == list(care["per100_m2"].fillna(-1))
    assert set(reference["kinds"]) == {"elder_care_station,comprehensive_elder_care_centre"}
    assert (reference["minutes"] == 15).all() and (reference["speed_m_per_s"] == 1.0).all()
    before = {a: region.computed_at(a) for a in region.adcodes}

    second = region.refresh("--workers", "2")
    assert second.returncode == 0, second.stderr
    assert "在本机集群的 2 个计算进程上刷新 3 个区县" in second.stderr
    assert all(region.computed_at(a) != before[a] for a in region.adcodes)  # replaced, not left as they were
    pd.testing.assert_frame_equal(region.rows(), reference)
    for out in (first, second):  # a progress bar as districts finish, and the summary Chinese first
        assert re.search(r"刷新覆盖结果 · refreshing coverage: 100%.*3/3", out.stderr), out.stderr
        assert "已刷新 3/3 个区县的覆盖结果，共 288 个单位" in out.stdout


@pytest.mark.postgis
def test_failed_districts_keep_their_previous_rows_and_are_named(region: Region) -> None:
    a, b, c = region.adcodes
    assert region.refresh("--in-process").returncode == 0
    before, before_at = region.rows(b), region.computed_at(b)
    # The database refuses one unit's row of district b: its write fails after its old rows were deleted.
    refused = before["unit_code"].iloc[5]
    with region.store.whole().writing() as conn:
        conn.exec_driver_sql(f"ALTER TABLE coverage_results ADD CONSTRAINT refuse_one "
                             f"CHECK (unit_code <> '{refused}') NOT VALID")  # new rows only
    # And the database holds a fourth district by its outline alone: its data is refused.
    outline = shapely.MultiPolygon([shapely.box(110.2, 40.5, 110.6, 40.8)])
    region.store.for_district(OUTLINE_ONLY).insert(
        "admin_units", [{"code": f"{OUTLINE_ONLY}000000", "name": "土默特左旗", "level": "district",
                         "status": "active", "geometry": outline}], actor="test")
    out = region.refresh("--in-process", "--minutes", "10", "--retries", "1")
    assert out.returncode == 1
    failed = f"{b}、{OUTLINE_ONLY}" if b < OUTLINE_ONLY else f"{OUTLINE_ONLY}、{b}"
    assert re.search(rf"^Error: 2 个区县刷新失败（其原有结果保持不变）：{failed} · 2 districts failed", out.stderr,
                     re.M)
    assert re.search(rf"^  {b}: 计算 2 次均失败：IntegrityError", out.stderr, re.M)  # run again, then given up
    reason = re.search(rf"^  {OUTLINE_ONLY}: ([^\n]*)", out.stderr, re.M)
    assert reason and HAN.match(reason[1]) and "streets" in reason[1]  # why, Chinese first: what to import
    # ... into that district: the command and the request to copy name it, not the default district
    assert f"xincheng --district {OUTLINE_ONLY} import streets.gpkg" in reason[1], reason[1]
    assert f"POST /api/layers/streets/import?district={OUTLINE_ONLY}" in reason[1], reason[1]
    assert "已刷新 2/4 个区县" in out.stdout
    pd.testing.assert_frame_equal(region.rows(b), before)  # every row still the previous refresh's
    assert region.computed_at(b) == before_at
    assert set(region.rows(a)["minutes"]) == set(region.rows(c)["minutes"]) == {10.0}  # the others stored


@pytest.mark.postgis
def test_only_the_districts_named_are_refreshed_each_in_its_own_rows(region: Region) -> None:
    a, b, c = region.adcodes
    assert region.refresh("--in-process").returncode == 0
    at = {d: region.computed_at(d) for d in region.adcodes}
    theirs = region.rows(b)
    out = region.refresh("--in-process", "--districts", f"{c},{a}")
    assert out.returncode == 0 and "已刷新 2/2 个区县" in out.stdout and b not in out.stdout
    assert region.computed_at(b) == at[b]  # not touched
    pd.testing.assert_frame_equal(region.rows(b), theirs)
    assert region.computed_at(a) != at[a] and region.computed_at(c) != at[c]
    # Row-level security (revision 0013): a district's transaction neither sees nor writes another's rows.
    row = {"adcode": b, "unit_code": f"{b}999999", "minutes": 15.0, "speed_m_per_s": 1.0, "max_attach_m": 150.0,
           "kinds": "elder_care_station", "data_seq": 1, "computed_by": "test",
           "computed_at": pd.Timestamp("2026-12-01", tz="UTC").to_pydatetime()}
    with pytest.raises(sa.exc.ProgrammingError, match="row-level security"), \
            region.store.for_district(a).writing() as conn:
        conn.execute(schema.coverage_results.insert(), [row])  # district a writing a row of b
    with region.store.for_district(a).reading() as conn:
        table = schema.coverage_results
        assert set(conn.execute(sa.select(table.c.adcode).distinct()).scalars()) == {a}
    assert "coverage_results" in schema.DERIVED_TABLES  # derived: left out of backups, emptied by a restore


def _kill_a_worker_running_a_refresh(client, killed: list[int], stop: threading.Event) -> None:
    """Kill (SIGKILL) a worker process as soon as it is running a refresh task."""
    while not stop.is_set():
        for address, keys in client.processing().items():
            if any("refresh-coverage-" in str(k) for k in keys):
                pid = client.run(os.getpid, workers=[address])[address]
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                return
        time.sleep(0.005)


def _runs_sent(client) -> int:
    """How many times the scheduler has sent a refresh task to a worker (its transitions to processing)."""
    return client.run_on_scheduler(lambda dask_scheduler: sum(
        1 for t in dask_scheduler.transition_log if "refresh-coverage-" in str(t[0]) and t[2] == "processing"))


@pytest.mark.postgis
def test_a_killed_workers_districts_run_again_with_the_same_rows(region: Region) -> None:
    params = WalkParams()
    assert refresh_in_process(region.url, region.adcodes, params=params, actor=CLI_ACTOR).failed == []
    reference = region.rows()
    with local_cluster(workers=2) as client:
        # Production's way in, `--scheduler tcp://…`, to this cluster's scheduler: the same rows.
        client.wait_for_workers(2)
        address = client.scheduler.address
        out = region.refresh("--scheduler", address)
        assert out.returncode == 0, out.stderr
        assert f"在调度器 {address} 的 2 个计算进程上刷新 3 个区县" in out.stderr
        pd.testing.assert_frame_equal(region.rows(), reference)
        for _attempt in range(3):  # the kill must land while a task runs
            pids = set(client.run(os.getpid).values())
            sent = _runs_sent(client)
            killed: list[int] = []
            stop = threading.Event()
            killer = threading.Thread(target=_kill_a_worker_running_a_refresh, args=(client, killed, stop))
            killer.start()
            seen: list = []
            try:
                report = refresh_on_cluster(client, region.url, region.adcodes, params=params, actor=CLI_ACTOR,
                                            progress=seen.append)
            finally:
                stop.set()
                killer.join()
            assert report.failed == [] and sorted(o.adcode for o in seen) == sorted(region.adcodes)
            assert len(killed) == 1 and killed[0] in pids
            # One task more than districts: the killed worker's, sent again to a worker that stored it.
            if _runs_sent(client) - sent > len(region.adcodes):
                break
        else:
            pytest.fail("no kill landed while a task ran")
    pd.testing.assert_frame_equal(region.rows(), reference)


@pytest.mark.postgis
def test_the_commands_mistakes_are_said_chinese_first(region: Region) -> None:
    held = "、".join(region.adcodes)
    cases = [
        (["--scheduler", "localhost:8786"], 2, "调度器地址 --scheduler 须形如 tcp://主机:端口"),
        (["--scheduler", "tcp://127.0.0.1:8786", "--workers", "2"], 2, "同时给出了 --workers 与 --scheduler"),
        (["--in-process", "--workers", "2"], 2, "同时给出了 --workers 与 --in-process"),
        (["--districts", "15010x"], 2, "须为 6 位区县级行政区划代码"),
        (["--districts", "999999"], 2, "GB/T 2260"),  # no province has it (review)
        (["--districts", "150102"], 1, f"本库没有区县 150102（现有：{held}）"),  # the settings' default
        (["--districts", f"{region.adcodes[0]},{region.adcodes[0]}"], 2, "区县列表 --districts 重复列出"),
        (["--districts", " , "], 2, "区县列表 --districts 为空"),
        (["--workers", "0"], 2, "--workers"),
        (["--minutes", "-1"], 2, "--minutes"),
    ]
    for args, status, words in cases:
        out = region.refresh(*args)
        assert out.returncode == status, (args, out.stdout, out.stderr)
        message = out.stderr.split("Error: ", 1)[1]
        chinese, english = message.split(" · ", 1)  # Chinese first (an option's name may lead), English beside
        assert HAN.search(chinese) and not HAN.search(english) and words in chinese, (args, message)
        assert "Traceback" not in out.stderr
    assert region.rows().empty  # none of them wrote anything


def test_sqlite_refreshes_its_one_district_in_this_process(sample_templates) -> None:
    url, drop = sample_templates("sqlite").copy()
    try:
        # a database that refuses writes: said once per district, not tried again (review: three tries, each
        # "attempt to write a readonly database", and on a cluster every worker's stack in the log)
        read_only = f"sqlite:///file:{url.removeprefix('sqlite:///')}?uri=true&mode=ro"
        refused = invoke(["--database-url", read_only, "refresh"])
        assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
        assert "150102: 数据库只读，无法写入该区县的结果（未重试）" in refused.stderr, refused.stderr
        assert "次均失败" not in refused.stderr
        out = invoke(["--database-url", url, "refresh"])
        assert out.returncode == 0, out.stderr
        assert "SQLite 只存一个区县：在本进程刷新" in out.stderr and "本机集群" not in out.stderr
        store = Store.open(url)
        try:
            stored = stored_coverage(store)
            assert len(stored) == 96 and set(stored["adcode"]) == {"150102"}
            assert stored[list(FIGURES)].notna().any().all()
        finally:
            store.close()
        remote = invoke(["--database-url", url, "refresh", "--scheduler", "tcp://127.0.0.1:8786"])
        assert remote.returncode == 2 and "Error: SQLite 数据库文件在本机，集群的计算进程打不开它" in remote.stderr
    finally:
        drop()


def test_a_planner_reads_the_stored_coverage_and_whether_it_is_current(sample_templates) -> None:
    """GET /api/planning/coverage/stored: the last refresh's rows as stored (nothing computed), for planners
    only; ``current`` turns false once the planning data changes after the refresh."""
    import httpx

    from geo.planning.refresh import refresh_coverage
    from tests.conftest import USERS, running_server, server_settings

    url, drop = sample_templates("sqlite").copy()
    store = Store.open(url)
    try:
        with running_server(server_settings(store)) as base:
            name, password = USERS["planner"]
            token = httpx.post(f"{base}/api/auth/login", json={"username": name, "password": password}).json()
            planner = {"Authorization": f"Bearer {token['access_token']}"}
            assert httpx.get(f"{base}/api/planning/coverage/stored").status_code == 401
            before = httpx.get(f"{base}/api/planning/coverage/stored", headers=planner).json()
            assert before["units"] == [] and before["current"] is False  # never refreshed
            refresh_coverage(store, WalkParams(), actor="test")
            after = httpx.get(f"{base}/api/planning/coverage/stored", headers=planner).json()
            assert len(after["units"]) == 96 and after["current"] is True
            assert after["data_seq"] == after["current_data_seq"]
            stored = stored_coverage(store).set_index("unit_code")
            district = next(u for u in after["units"] if u["unit_code"] == "150102000000")
            assert district["covered_households"] == stored.loc["150102000000", "covered_households"]
            assert district["level"] == "district" and district["computed_by"] == "test"
            store.insert("facilities", [{"kind": "elder_care_station", "name": "新开站", "floor_area_m2": 120.0,
                                         "geometry": shapely.Point(111.70, 40.85)}], actor="test")
            stale = httpx.get(f"{base}/api/planning/coverage/stored", headers=planner).json()
            assert stale["current"] is False and stale["current_data_seq"] > stale["data_seq"]
            assert stale["units"] == after["units"]  # the stored rows until the next refresh
    finally:
        store.close()
        drop()


def test_two_clusters_at_once_each_start_without_a_warning() -> None:
    """Two refreshes on one machine at the same time (two operators, or the tests' two workers): each cluster's
    scheduler serves its HTTP on a free loopback port; with the default port the second warned (an error here)."""
    import socket
    from contextlib import suppress

    with socket.socket() as held:  # the default port taken, as by another cluster
        with suppress(OSError):  # taken already: by another cluster, which is the case under test too
            held.bind(("127.0.0.1", 8787))
        with local_cluster(workers=1) as first, local_cluster(workers=1) as second:
            ports = {c.cluster.scheduler.http_server.port for c in (first, second)}  # type: ignore[union-attr]
            assert len(ports) == 2 and 8787 not in ports
            assert first.submit(sum, [1, 2]).result() == 3 and second.submit(sum, [3, 4]).result() == 7


def test_this_modules_tests_are_sent_to_one_worker(request: pytest.FixtureRequest) -> None:
    """scripts/test.sh runs ``--dist loadgroup``: the module's tests (its xdist_group) share one worker, and so the
    region the worker builds once. pytest 9.2 with pytest-xdist 3.8 dropped every group without a word."""
    if not os.environ.get("PYTEST_XDIST_WORKER") or not getattr(request.config.option, "loadgroup", False):
        pytest.skip("only under pytest-xdist with --dist loadgroup (scripts/test.sh)")
    assert request.node.nodeid.endswith("@refresh_region"), request.node.nodeid
