"""A busy worker keeps its database connections: ``database_connections`` of them, opened once and never
more (before, SQLAlchemy's default pool kept 5 and under load opened and closed others per request: on
PostgreSQL a new server process each time, and the health check's 99th percentile passed a second). A request
beyond them waits for one; requests that need no database go on meanwhile."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy import event

from api.app import create_app
from api.settings import Settings
from geo.errors import InputError
from geo.store import Store
from geo.users import create_user
from tests.conftest import USERS, running_server, server_settings

CLIENTS = 12
REQUESTS_EACH = 25


class PoolWatch:
    """Count the connections an engine opens and the most it has checked out at once."""

    def __init__(self, engine: sa.Engine) -> None:
        self.opened = 0
        self.out = 0
        self.most_out = 0
        self._lock = threading.Lock()
        event.listen(engine, "connect", self._connect)
        event.listen(engine, "checkout", self._checkout)
        event.listen(engine, "checkin", self._checkin)

    def _connect(self, *_args) -> None:
        with self._lock:
            self.opened += 1

    def _checkout(self, *_args) -> None:
        with self._lock:
            self.out += 1
            self.most_out = max(self.most_out, self.out)

    def _checkin(self, *_args) -> None:
        with self._lock:
            self.out -= 1


def _load(base: str) -> list[int]:
    """Ask ``CLIENTS`` clients at once for the health check ``REQUESTS_EACH`` times each; return the statuses."""
    def client(_: int) -> list[int]:
        with httpx.Client(base_url=base, timeout=60) as http:
            return [http.get("/api/health").status_code for _ in range(REQUESTS_EACH)]

    with ThreadPoolExecutor(CLIENTS) as pool:
        return [status for statuses in pool.map(client, range(CLIENTS)) for status in statuses]


def test_a_busy_worker_keeps_its_connections_and_opens_no_more(store) -> None:
    settings: Settings = server_settings(store, database_connections=3)
    app = create_app(settings)
    with running_server(settings, app=app) as base:
        engine = app.state.store.engine
        watch = PoolWatch(engine)
        statuses = _load(base)
        kept = engine.pool.size()
    assert statuses == [200] * (CLIENTS * REQUESTS_EACH)
    assert kept == 3
    # Twelve clients at once: at most three requests at a time hold a connection ...
    assert 1 <= watch.most_out <= 3, watch.most_out
    # ... and those are the pool's own, opened once: not one per request beyond the pool.
    assert watch.opened <= 3, f"{watch.opened} connections opened for {len(statuses)} requests"


@contextmanager
def _writes_locked(store: Store) -> Iterator[None]:
    """Hold the database's write lock (SQLite) or the login tokens' table lock (PostgreSQL) from outside."""
    if store.dialect == "sqlite":
        other = sqlite3.connect(store.engine.url.database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
        return
    with store.engine.connect() as conn, conn.begin():
        conn.exec_driver_sql("LOCK TABLE api_tokens IN ACCESS EXCLUSIVE MODE")
        yield


def test_requests_that_need_no_database_answer_while_every_connection_waits_on_a_lock(store) -> None:
    """Five logins wait on a lock (on the pool's three connections, or for one); the API's conformance page,
    the bundled map script and the metrics, which need no database, still answer at once."""
    settings: Settings = server_settings(store, database_connections=3)
    name, password = USERS["admin"]
    create_user(store, name, password, "admin", actor="test")
    app = create_app(settings)
    with running_server(settings, app=app) as base:
        engine = app.state.store.engine
        watch = PoolWatch(engine)
        with ThreadPoolExecutor(5) as pool, _writes_locked(store):
            logins = [pool.submit(httpx.post, f"{base}/api/auth/login", json={"username": name, "password": password},
                                  timeout=60) for _ in range(5)]
            deadline = time.monotonic() + 20
            # every connection taken (by the logins waiting on the lock, or one by the lookup refresher)
            while engine.pool.checkedout() < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert engine.pool.checkedout() == 3, engine.pool.checkedout()
            for path in ("/ogc/conformance", "/static/leaflet/leaflet.js", "/metrics"):
                started = time.monotonic()
                answer = httpx.get(base + path, timeout=10)
                assert answer.status_code == 200, (path, answer.status_code)
                assert time.monotonic() - started < 5, path
            assert not any(login.done() for login in logins)  # still waiting: the lock is held
        assert [login.result().status_code for login in logins] == [200] * 5  # the lock gone, all logged in
    assert watch.opened <= 3


@pytest.mark.parametrize("raw, says", [("0", "须在 1 至 100 之间"), ("101", "须在 1 至 100 之间"),
                                       ("abc", "须为整数"), ("1.5", "须为整数")])
def test_database_connections_are_refused_outside_their_range_naming_the_variable(raw, says) -> None:
    with pytest.raises(InputError) as refused:
        Settings.from_env({"XINCHENG_DATABASE_CONNECTIONS": raw}, require_secret=False)
    assert refused.value.field == "database_connections"
    assert refused.value.message.startswith("XINCHENG_DATABASE_CONNECTIONS ") and says in refused.value.message


def test_an_in_memory_sqlite_database_still_opens() -> None:
    store = Store.open("sqlite://", connections=3)
    try:
        with store.reading() as conn:
            assert conn.exec_driver_sql("SELECT 1").scalar() == 1
    finally:
        store.close()
