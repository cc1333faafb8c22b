"""Reliability on both backends: concurrent writers, and processes killed mid-write or mid-import.

Each test prints its figures (writers, attempts, conflicts, 5xx, records lost) so a CI log shows
what was tried, not only that it passed.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
import shapely
import sqlalchemy as sa

from geo.store import Store, schema
from geo.users import create_user
from tests.conftest import report_figure, running_server, server_settings
from tests.xincheng_cli import invoke

# Every test here also runs on PostGIS by default (both_backends, see tests/conftest.py):
# concurrent writers and killed processes: locks and transactions differ per backend.
pytestmark = pytest.mark.both_backends

WRITERS, ATTEMPTS, RECORDS = 16, 12, 3


def _seed(store: Store) -> list[int]:
    create_user(store, "rel-admin", "rel-admin-password-1", "admin", actor="test")
    return store.insert("graves", [{"status": "found", "near_feature": f"r{i}",
                                    "geometry": shapely.Point(111.70 + i * 1e-3, 40.85)} for i in range(RECORDS)],
                        actor="test")


def _token(base: str) -> dict[str, str]:
    r = httpx.post(f"{base}/api/auth/login", json={"username": "rel-admin", "password": "rel-admin-password-1"})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _updates_in_audit(store: Store, fid: int) -> int:
    return sum(1 for a in store.audit_rows("graves", fid) if a["action"] == "update")


def _write_loop(base: str, headers: dict, ids: list[int], w: int, outcomes: Counter, acked: dict, stop=None):
    """Read-modify-write with the version read; count each outcome; remember acknowledged versions."""
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        for i in range(ATTEMPTS if stop is None else 10**6):
            if stop is not None and stop.is_set():
                return
            fid = ids[(w + i) % len(ids)]
            try:
                version = client.get(f"/api/layers/graves/features/{fid}").json()["properties"]["version"]
                r = client.patch(f"/api/layers/graves/features/{fid}",
                                 json={"version": version, "properties": {"near_feature": f"w{w}-{i}"}})
            except (httpx.TransportError, ValueError, KeyError):
                outcomes["transport"] += 1
                if stop is not None:
                    return
                continue
            outcomes[r.status_code] += 1
            if r.status_code == 200:
                new = r.json()["properties"]["version"]
                acked[fid] = max(acked.get(fid, 0), new)
            # a creation per attempt as well: every acknowledged create must be there afterwards
            try:
                c = client.post("/api/layers/graves/features", json={
                    "properties": {"status": "found", "near_feature": f"new-{w}-{i}"},
                    "geometry": {"type": "Point", "coordinates": [111.75 + w * 1e-4, 40.86 + i * 1e-5]}})
            except httpx.TransportError:
                outcomes["transport"] += 1
                if stop is not None:
                    return
                continue
            outcomes[f"create {c.status_code}"] += 1
            if c.status_code == 201:
                acked.setdefault("created", set()).add(f"new-{w}-{i}")


def test_a_write_behind_a_lock_held_elsewhere_waits_at_most_the_bound_then_is_unavailable(database_url, monkeypatch):
    """A transaction left open elsewhere (psql, a hung client) holding a record's lock: a write to that record waits
    at most the busy bound, on PostgreSQL as on SQLite (lock_timeout), then fails as *unavailable* (HTTP 503, try
    again), where PostgreSQL waited without end. The bound is shortened to 1 s here; the store's is 30 s."""
    from geo.store import store as store_module
    from geo.store.availability import database_unavailable

    monkeypatch.setattr(store_module, "SQLITE_BUSY_TIMEOUT_S", 1)
    store = Store.open(database_url)
    store.migrate()
    [grave_id] = store.insert("graves", [{"status": "found", "near_feature": "锁 lock",
                                          "geom": shapely.Point(111.70, 40.84)}], actor="test")
    grave = store.get("graves", grave_id)
    holder = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with holder.connect() as other:
            if store.dialect == "sqlite":
                other.exec_driver_sql("BEGIN IMMEDIATE")  # SQLite locks the file for writing
            other.execute(sa.text("UPDATE graves SET near_feature = 'held' WHERE id = :id"), {"id": grave["id"]})
            start = time.monotonic()
            with pytest.raises(sa.exc.OperationalError) as failed:
                store.update("graves", grave["id"], {"near_feature": "等待 waiting"},
                             expected_version=grave["version"], actor="test")
            waited_s = time.monotonic() - start
            other.rollback()
        assert database_unavailable(failed.value), failed.value
        assert 0.9 <= waited_s < 10, waited_s
        assert store.get("graves", grave["id"])["near_feature"] == "锁 lock"
    finally:
        holder.dispose()
        store.close()


def test_a_second_migration_waits_for_the_first_longer_than_the_lock_bound(database_url, monkeypatch):
    """Only the migration lock is waited on without the bound: a second ``migrate`` (or a restore) started while
    one runs waits for it to finish, however long, instead of failing after the busy bound."""
    from geo.store import migrations
    from geo.store import store as store_module

    monkeypatch.setattr(store_module, "SQLITE_BUSY_TIMEOUT_S", 1)
    first, second = Store.open(database_url), Store.open(database_url)
    first.migrate()
    holding, waited = threading.Event(), {}

    def hold() -> None:
        with migrations.exclusive(first.whole()):
            holding.set()
            time.sleep(2.5)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(30)
        start = time.monotonic()
        with migrations.exclusive(second.whole()) as conn:
            waited["s"] = time.monotonic() - start
            assert conn.exec_driver_sql("SELECT 1").scalar() == 1
    finally:
        holder.join()
        first.close()
        second.close()
    assert 1.5 <= waited["s"] < 20, waited


def test_concurrent_writers_on_the_same_records_lose_nothing(store):
    ids = _seed(store)
    outcomes: Counter = Counter()
    acked: dict = {}
    with running_server(server_settings(store)) as base:
        headers = _token(base)
        threads = [threading.Thread(target=_write_loop, args=(base, headers, ids, w, outcomes, acked))
                   for w in range(WRITERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    ok, conflicts = outcomes[200], outcomes[409]
    five = sum(n for k, n in outcomes.items() if isinstance(k, int) and k >= 500)
    lost = 0
    for fid in ids:
        rec = store.get("graves", fid)
        updates = _updates_in_audit(store, fid)
        lost += max(0, acked.get(fid, 1) - rec["version"])
        assert rec["version"] == 1 + updates, (fid, rec["version"], updates)  # every version change audited
    created = {r["near_feature"] for r in store.select("graves") if r["near_feature"].startswith("new-")}
    lost += len(acked.get("created", set()) - created)
    report_figure(f"concurrency [{store.dialect}]: {WRITERS} writers × {ATTEMPTS} read-modify-writes on "
                  f"{RECORDS} records: {ok} saved, {conflicts} conflicts (409), {five} 5xx, "
                  f"{outcomes['create 201']} creates; records lost: {lost}")
    assert ok + conflicts == WRITERS * ATTEMPTS and five == 0 and outcomes["transport"] == 0
    assert ok == sum(_updates_in_audit(store, fid) for fid in ids)  # each 200 is one stored, audited update
    assert conflicts > 0  # the writers really did collide
    assert outcomes["create 201"] == WRITERS * ATTEMPTS and lost == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cli(*args: str, url: str, **popen) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XINCHENG_")}
    env["XINCHENG_SECRET_KEY"] = "k" * 48
    return subprocess.Popen([sys.executable, "-m", "api.cli", "--database-url", url, *args], env=env, **popen)


def _start_server(url: str) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    proc = _cli("serve", "--port", str(port), url=url, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            httpx.get(f"{base}/api/health")
            return proc, base
        except httpx.TransportError:
            assert time.time() < deadline and proc.poll() is None, "the server did not start"
            time.sleep(0.2)


def _consistent(store: Store) -> None:
    """SQLite's own check, and the R*Tree index holding exactly the table's rows."""
    if store.dialect == "sqlite":
        with store.reading() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            for table in schema.SPATIAL_TABLES:
                rows = conn.execute(sa.select(sa.func.count()).select_from(schema.metadata.tables[table])).scalar()
                indexed = conn.exec_driver_sql(f"SELECT count(*) FROM rtree_{table}").scalar()
                assert rows == indexed, table


def test_a_server_killed_during_writes_keeps_every_acknowledged_write(database_url):
    store = Store.open(database_url)
    store.migrate()
    ids = _seed(store)
    proc, base = _start_server(database_url)
    outcomes: Counter = Counter()
    acked: dict = {}
    stop = threading.Event()
    try:
        headers = _token(base)
        threads = [threading.Thread(target=_write_loop, args=(base, headers, ids, w, outcomes, acked, stop))
                   for w in range(8)]
        for t in threads:
            t.start()
        deadline = time.time() + 30
        while outcomes[200] < 20 and time.time() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)  # no shutdown, no cleanup: as a power cut is to the process
        proc.wait(timeout=10)
        stop.set()
        for t in threads:
            t.join(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    _consistent(store)
    lost = 0
    for fid in ids:
        rec = store.get("graves", fid)
        assert rec["version"] == 1 + _updates_in_audit(store, fid)
        lost += max(0, acked.get(fid, 1) - rec["version"])
    created = {r["near_feature"] for r in store.select("graves") if r["near_feature"].startswith("new-")}
    lost += len(acked.get("created", set()) - created)
    report_figure(f"kill -9 during writes [{store.dialect}]: {outcomes[200]} updates and "
                  f"{outcomes['create 201']} creates acknowledged, {outcomes[409]} conflicts, "
                  f"{outcomes['transport']} cut off by the kill; records lost: {lost}")
    assert outcomes[200] >= 20 and lost == 0
    proc, base = _start_server(database_url)  # and it starts again and takes edits
    try:
        headers = _token(base)
        fid = ids[0]
        version = httpx.get(f"{base}/api/layers/graves/features/{fid}", headers=headers).json()["properties"]["version"]
        r = httpx.patch(f"{base}/api/layers/graves/features/{fid}", headers=headers,
                        json={"version": version, "properties": {"status": "cleared", "cleared_on": "2024-05-01"}})
        assert r.status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    store.close()


def _plates_file(path: Path, n: int) -> Path:
    features = [{"type": "Feature", "properties": {"plate_uid": "K" + "".join("23456789AB"[int(d)] for d in f"{i:07d}"),
                                                   "street_name": "测试大街",
                                                   "number": i + 1, "households": 2},
                 "geometry": {"type": "Point", "coordinates": [111.70 + (i % 300) * 1e-4, 40.84 + (i // 300) * 1e-4]}}
                for i in range(n)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
                    encoding="utf-8")
    return path


def test_an_import_killed_part_way_leaves_nothing_and_can_be_run_again(database_url, tmp_path):
    store = Store.open(database_url)
    store.migrate()
    store.insert("streets", [{"name": "测试大街", "geometry": shapely.LineString([(111.70, 40.85), (111.73, 40.85)])}],
                 actor="test")
    store.insert("place_names", [{"standard_name": "测试大街", "feature_class": "street", "status": "in_force",
                                  "geometry": shapely.LineString([(111.70, 40.85), (111.73, 40.85)])}], actor="test")
    n = 20_000  # four batches of 5,000 (geo/io/importer.py): the kill lands after the first, with three to go
    src = _plates_file(tmp_path / "plates.geojson", n)
    before = store.count("door_plates")
    audit_before = len(store.audit_rows("door_plates"))
    proc = _cli("import", str(src), "--layer", "door_plates", "--crs", "EPSG:4490", url=database_url,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    written, buffer = 0, b""
    deadline = time.time() + 120
    while proc.poll() is None and time.time() < deadline:
        buffer += os.read(proc.stderr.fileno(), 4096)
        counts = re.findall(rb"(\d+)feature \[", buffer)  # tqdm's count, not its rate
        written = int(counts[-1]) if counts else 0
        if 0 < written < n:
            proc.send_signal(signal.SIGKILL)  # half-way through writing the features
            break
    proc.wait(timeout=30)
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL, f"the import ended before it could be killed ({written} written)"
    _consistent(store)
    assert store.count("door_plates") == before and len(store.audit_rows("door_plates")) == audit_before
    report_figure(f"kill -9 during import [{store.dialect}]: killed after {written:,} of {n:,} features were written; "
          f"stored afterwards: {store.count('door_plates') - before} (all or nothing)")
    # Run again (its click command in this process, tests/xincheng_cli.py: only the kill needed a process).
    again = invoke(["--database-url", database_url, "import", str(src), "--layer", "door_plates",
                    "--crs", "EPSG:4490"])
    assert again.returncode == 0, again.stderr[-2000:]
    assert store.count("door_plates") == before + n
    _consistent(store)
    store.close()
