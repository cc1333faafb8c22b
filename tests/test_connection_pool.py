"""A busy worker keeps its database connections: it handles ``request_threads`` requests at once over
as many pooled connections, instead of opening and closing a connection per request (on PostgreSQL a
new server process each time; under load the health check's 99th percentile passed a second)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import event

from api.app import create_app
from api.settings import Settings
from geo.errors import InputError
from tests.conftest import running_server, server_settings

CLIENTS = 12
REQUESTS_EACH = 25


class PoolWatch:
    """Count the connections an engine opens and the most it has checked out at once."""

    def __init__(self, engine) -> None:
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
        with httpx.Client(base_url=base, timeout=30) as http:
            return [http.get("/api/health").status_code for _ in range(REQUESTS_EACH)]

    with ThreadPoolExecutor(CLIENTS) as pool:
        return [status for statuses in pool.map(client, range(CLIENTS)) for status in statuses]


def test_a_busy_worker_reuses_its_pooled_connections_and_handles_request_threads_at_once(store) -> None:
    settings: Settings = server_settings(store, request_threads=2)
    app = create_app(settings)
    with running_server(settings, app=app) as base:
        watch = PoolWatch(app.state.store.engine)
        statuses = _load(base)
    assert statuses == [200] * (CLIENTS * REQUESTS_EACH)
    kept = settings.request_threads + 1  # the request threads and the lookup refresher
    # Twelve clients at once: two requests at a time reach the database (the refresher may hold one more) ...
    assert 1 <= watch.most_out <= kept, watch.most_out
    # ... over connections the pool keeps, opened once: not one per request beyond the pool.
    assert watch.opened <= kept, f"{watch.opened} connections opened for {len(statuses)} requests"


def test_request_threads_must_be_positive() -> None:
    with pytest.raises(InputError) as refused:
        Settings.from_env({"XINCHENG_REQUEST_THREADS": "0"}, require_secret=False)
    assert refused.value.field == "request_threads"
