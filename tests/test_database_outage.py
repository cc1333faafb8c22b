"""A database that cannot serve right now is answered 503 "try again later", not 500 "server error".

Before, a PostgreSQL server that dropped off the network or a SQLite file locked by a long writer past the
busy timeout answered 服务器出错 Server error (500), as a bug would, with no hint that the same request may
work in a minute. Now such a request is answered 503 with ``Retry-After`` (a page to a browser, JSON to a
client), the log says "database unavailable" in one line, and the service serves again as soon as the
database is back, without a restart. Errors that are not an outage (a missing table, bad SQL, a pool that
could never connect to a misnamed database is the exception: libpq cannot tell that from a refused
connection) keep their 500.

Everything here is real: the SQLite file and its lock, PostgreSQL behind a TCP relay the test closes, real
driver exceptions for the classification.
"""

from __future__ import annotations

import json
import logging
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress

import httpx
import pytest
import sqlalchemy as sa

from api.errors import UNAVAILABLE_RETRY_AFTER_S
from api.observability import JsonFormatter, configure_logging
from geo.store import Store
from geo.store.availability import database_read_only, database_unavailable
from geo.store.store import PG_CONNECT_ARGS, postgres_engine
from tests.conftest import USERS, running_server, server_settings
from tests.test_officer_pages import form_token, login
from tests.test_page_errors_everywhere import _assert_page
from tests.test_pages_leftovers import HTML, _main_text

TIMEOUT_S = 60


class Relay:
    """A TCP relay from a loopback port to PostgreSQL. Closing it is the database host dropping off the
    network: open connections break, new ones are refused. A new relay on the same port brings it back."""

    def __init__(self, host: str, port: int, *, listen_port: int = 0):
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", listen_port))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        with suppress(OSError):  # wakes the accepting thread (closing alone leaves the port listening on Linux)
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for end in self.sockets:
            with suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()


def _assert_unavailable_json(r: httpx.Response, where: str) -> None:
    assert r.status_code == 503, (where, r.status_code, r.text[:300])
    assert r.headers["content-type"] == "application/json", where
    assert r.headers["retry-after"] == str(UNAVAILABLE_RETRY_AFTER_S), where
    body = r.json()
    assert body["error"] == "database_unavailable" and body["status"] == 503, body
    assert body["message"].startswith("数据库暂时无法连接或正忙") and "try again" in body["message"], body
    assert body["request_id"] == r.headers["x-request-id"], body


@pytest.mark.parametrize("writable_sample_store", ["postgis"], indirect=True)
def test_a_postgresql_server_gone_from_the_network_is_503_and_served_again_when_back(writable_sample_store, caplog):
    url = writable_sample_store.engine.url
    relay = Relay(url.host or "127.0.0.1", url.port or 5432)
    through = url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    # Fewer failed logins allowed than the attempts made through the outage: none of those may count.
    settings = server_settings(writable_sample_store, database_url=through, login_max_failures=2)
    credentials = {"username": USERS["admin"][0], "password": USERS["admin"][1]}
    with (running_server(settings) as base, httpx.Client(base_url=base, timeout=TIMEOUT_S) as c,
          httpx.Client(base_url=base, timeout=TIMEOUT_S) as officer):
        token = c.post("/api/auth/login", json=credentials).json()["access_token"]
        me = {"Authorization": f"Bearer {token}"}
        assert c.get("/api/auth/me", headers=me).status_code == 200
        csrf = form_token(c)  # the login form as shown before the outage
        assert login(officer, credentials).status_code == 303  # a session cookie, checked on every page
        relay.close()
        for attempt in ("open connections broken", "new connections refused"):
            _assert_unavailable_json(c.get("/api/auth/me", headers=me), attempt)
        for attempt in range(4):  # a user retrying through the outage
            _assert_unavailable_json(c.post("/api/auth/login", json=credentials), f"logging in, try {attempt}")
        _assert_unavailable_json(c.get("/api/health"), "health")  # a monitor sees the outage
        page = officer.get("/officer/placenames", headers=HTML)  # drawn without the district's banner
        _assert_page(page, 503, "数据库暂时无法连接", "page during the outage")
        assert "<title>暂时无法服务" in page.text and "服务器出错" not in page.text
        assert page.headers["retry-after"] == str(UNAVAILABLE_RETRY_AFTER_S)
        assert page.headers["x-request-id"] in _main_text(page.text)
        refused = c.post("/officer/login", headers={**HTML, "Origin": base}, data={**credentials, "csrf_token": csrf})
        _assert_page(refused, 503, "秒后返回上一页重新提交", "login during the outage")
        assert "后退" not in refused.text and "刷新" not in refused.text  # a reload would resend the password
        outage_lines = [r.getMessage() for r in caplog.records if "database unavailable" in r.getMessage()]
        assert outage_lines and all("Traceback" not in line for line in outage_lines), outage_lines
        assert not [r for r in caplog.records if r.getMessage().startswith("unhandled")], "logged as a bug"
        relay = Relay(url.host or "127.0.0.1", url.port or 5432, listen_port=relay.port)  # the database is back
        try:
            answers = [c.get("/api/auth/me", headers=me).status_code for _ in range(3)]
            assert answers[-1] == 200, answers  # no restart of the service needed
            back = c.post("/api/auth/login", json=credentials)
            assert back.status_code == 200, back.text  # not 429: the outage's attempts were not failed logins
        finally:
            relay.close()


@contextmanager
def _sqlite_write_lock(path: str) -> Iterator[None]:
    """Hold SQLite's write lock on ``path`` (another process's long import, say) until the block ends."""
    with closing(sqlite3.connect(path, isolation_level=None)) as holder:
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")


AUTH_LOG = "xincheng.auth"


def _logins(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return the users of the "login" lines logged so far."""
    return [getattr(r, "username", "?") for r in caplog.records if r.name == AUTH_LOG and r.getMessage() == "login"]


@pytest.mark.parametrize("writable_sample_store", ["sqlite"], indirect=True)
def test_a_sqlite_file_locked_past_the_busy_timeout_refuses_writes_with_503_and_keeps_reading(
        writable_sample_store, monkeypatch, caplog):
    import geo.store.store

    monkeypatch.setattr(geo.store.store, "SQLITE_BUSY_TIMEOUT_S", 1)  # the service waits 30 s; the test 1 s
    path = writable_sample_store.engine.url.database
    assert path
    server_store = Store.open(f"sqlite:///{path}")  # opened under the shortened timeout
    try:
        settings = server_settings(server_store)
        with running_server(settings) as base, httpx.Client(base_url=base, timeout=TIMEOUT_S) as c:
            credentials = {"username": USERS["admin"][0], "password": USERS["admin"][1]}
            caplog.set_level(logging.INFO, logger=AUTH_LOG)
            with _sqlite_write_lock(path):
                _assert_unavailable_json(c.post("/api/auth/login", json=credentials), "JSON login while locked")
                form = c.post("/officer/login", headers={**HTML, "Origin": base},
                              data={**credentials, "csrf_token": form_token(c)})
                _assert_page(form, 503, "秒后返回上一页重新提交", "form login while locked")
                assert c.get("/api/health").status_code == 200  # reading goes on beside the writer (WAL)
            # The password was right but no session could be stored: no login is logged (it was, before)
            assert _logins(caplog) == [], _logins(caplog)
            assert c.post("/api/auth/login", json=credentials).status_code == 200  # the lock gone: served
            assert _logins(caplog) == [USERS["admin"][0]]
    finally:
        server_store.close()


@pytest.mark.parametrize("writable_sample_store", ["sqlite"], indirect=True)
def test_a_read_only_database_is_said_so_and_a_logout_still_forgets_the_session(writable_sample_store):
    """Review: served from a database that refuses writes (a read-only copy or mount, a PostgreSQL standby), every
    write said "busy, try again in 30 s", which never helps, and a logout kept the cookie and showed "退出 Log out"
    again: on a shared office computer the session could not be ended. Writes now say the database is read-only
    (tell the administrator); a logout forgets the session on this browser and says the server could not end it."""
    path = writable_sample_store.engine.url.database
    credentials = {"username": USERS["admin"][0], "password": USERS["admin"][1]}
    with running_server(server_settings(writable_sample_store)) as base, \
            httpx.Client(base_url=base, timeout=TIMEOUT_S) as c:  # logged in while it could be written
        assert login(c, {**credentials, "next": "/officer/placenames"}).status_code in (200, 303)
        session = c.cookies.get("xc_token")
    assert session
    read_only = Store.open(f"sqlite:///file:{path}?uri=true&mode=ro")
    try:
        with running_server(server_settings(read_only)) as base, \
                httpx.Client(base_url=base, timeout=TIMEOUT_S, cookies={"xc_token": session}) as c:
            r = c.post("/api/auth/login", json=credentials)
            assert r.status_code == 503 and r.json()["error"] == "database_read_only", r.text[:300]
            assert "retry-after" not in r.headers  # no time to wait is known (second review)
            assert r.json()["message"].startswith("数据库当前只读") and "administrator" in r.json()["message"]
            page = c.post("/officer/login", headers={**HTML, "Origin": base},
                          data={**credentials, "csrf_token": form_token(c)})
            _assert_page(page, 503, "数据库当前只读", "form login on a read-only database")
            assert "秒后" not in _main_text(page.text)  # no "try again in 30 s": waiting does not help
            assert c.get("/officer/placenames", headers=HTML).status_code == 200  # reading goes on
            token = form_token(c, "/officer/placenames")
            out = c.post("/officer/logout", headers={**HTML, "Origin": base}, data={"csrf_token": token})
            _assert_page(out, 503, "本机已退出登录", "logout on a read-only database")
            forgotten = [h for h in out.headers.get_list("set-cookie") if h.startswith("xc_token=")]
            assert forgotten and ("Max-Age=0" in forgotten[0] or "max-age=0" in forgotten[0].lower()), forgotten
            assert "退出 Log out" not in out.text and "480 分钟" in _main_text(out.text)
    finally:
        read_only.close()


def _run(engine: sa.engine.Engine, sql: str) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(sql)


def test_only_a_database_that_cannot_serve_now_counts_as_unavailable(tmp_path, postgis_server):
    """The classification on real driver errors: busy, refused, dropped and pool timeouts are outages; a
    missing table, bad SQL and a refused value are not."""
    seen: dict[str, bool] = {}
    read_only: set[str] = set()

    def outcome(name: str, action) -> None:
        with pytest.raises(sa.exc.SQLAlchemyError) as caught:
            action()
        seen[name] = database_unavailable(caught.value)
        if database_read_only(caught.value):
            read_only.add(name)

    db = tmp_path / "x.db"
    lite = sa.create_engine(f"sqlite:///{db}", connect_args={"timeout": 0})
    try:
        _run(lite, "CREATE TABLE t (n INTEGER NOT NULL)")
        with _sqlite_write_lock(str(db)):
            outcome("sqlite busy", lambda: _run(lite, "INSERT INTO t VALUES (1)"))
        outcome("sqlite no such table", lambda: _run(lite, "SELECT * FROM missing"))
        outcome("sqlite not null", lambda: _run(lite, "INSERT INTO t VALUES (NULL)"))
    finally:
        lite.dispose()
    opened_read_only = sa.create_engine(f"sqlite:///file:{db}?mode=ro&uri=true")  # a file system remounted read-only
    try:
        outcome("sqlite read-only", lambda: _run(opened_read_only, "INSERT INTO t VALUES (2)"))
    finally:
        opened_read_only.dispose()

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    refused = sa.create_engine(sa.make_url(postgis_server).set(host="127.0.0.1", port=closed_port))
    outcome("postgresql refused", lambda: _run(refused, "SELECT 1"))
    refused.dispose()
    pg = sa.create_engine(postgis_server, pool_size=1, max_overflow=0, pool_timeout=0.2)
    other = sa.create_engine(postgis_server)
    try:
        outcome("postgresql bad sql", lambda: _run(pg, "SELEC 1"))
        outcome("postgresql read-only", lambda: _run(pg, "SET TRANSACTION READ ONLY; CREATE TABLE zz_ro (n int)"))
        outcome("postgresql statement timeout", lambda: _run(pg, "SET LOCAL statement_timeout = 10; "
                                                               "SELECT pg_sleep(1)"))
        with pg.connect() as held:
            outcome("pool exhausted", lambda: _run(pg, "SELECT 1"))
            pid = held.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            _run(other, f"SELECT pg_terminate_backend({int(pid)})")
            outcome("postgresql connection terminated", lambda: held.exec_driver_sql("SELECT 1"))
    finally:
        pg.dispose()
        other.dispose()
    assert seen == {"sqlite busy": True, "sqlite no such table": False, "sqlite not null": False,
                    "sqlite read-only": True, "postgresql refused": True, "postgresql bad sql": False,
                    "postgresql read-only": True, "postgresql statement timeout": False, "pool exhausted": True,
                    "postgresql connection terminated": True}, seen
    assert not database_unavailable(RuntimeError("not a database's"))
    assert read_only == {"sqlite read-only", "postgresql read-only"}  # said as read-only, not "busy, try again"


def test_a_postgresql_host_that_accepts_but_never_answers_fails_in_bounded_time(postgis_server):
    """A hung host (the connection accepted, nothing said) made a request wait without end: connections now
    carry libpq's bounds (PG_CONNECT_ARGS), here the URL's own shorter connect_timeout, and the failure is an
    outage."""
    silent = socket.create_server(("127.0.0.1", 0))  # accepts into its backlog, never answers
    try:
        url = sa.make_url(postgis_server).set(host="127.0.0.1", port=silent.getsockname()[1])
        engine = postgres_engine(url.update_query_dict({"connect_timeout": "1"}))
        started = time.monotonic()
        with pytest.raises(sa.exc.OperationalError) as caught, engine.connect():
            pass
        assert time.monotonic() - started < 15 and database_unavailable(caught.value)
        engine.dispose()
    finally:
        silent.close()
    store = Store.open(postgis_server)  # the service's own engine: the bounds are set on every connection
    try:
        with store.engine.connect() as conn:
            given = conn.connection.dbapi_connection.info.get_parameters()  # type: ignore[union-attr]
    finally:
        store.close()
    assert {k: given.get(k) for k in PG_CONNECT_ARGS} == {k: str(v) for k, v in PG_CONNECT_ARGS.items()}, given


def test_the_lookup_refresher_logs_an_outage_in_one_line_and_a_bug_with_its_stack(caplog, postgis_server):
    """The server's background refresh wrote a full traceback for every outage (once a minute); an outage is now one
    warning line, while anything else keeps its stack."""
    from geo.plates.lookup_table import LookupRefresher

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    refused = sa.create_engine(sa.make_url(postgis_server).set(host="127.0.0.1", port=closed_port))
    with pytest.raises(sa.exc.OperationalError) as caught:
        _run(refused, "SELECT 1")
    refused.dispose()
    caplog.set_level(logging.INFO, logger="geo.plates.lookup_table")
    LookupRefresher._log_failure(caught.value, "", 0.0)
    LookupRefresher._log_failure(RuntimeError("a bug"), "", 0.0)
    outage, bug = caplog.records[-2:]
    assert outage.levelno == logging.WARNING and outage.exc_info is None, outage.getMessage()
    assert "waits for the database" in outage.getMessage() and "Connection refused" in outage.getMessage()
    assert bug.levelno == logging.ERROR and bug.exc_info is not None
    configure_logging()  # as the server does: the refresher's lines are JSON like every other line of its log
    (handler,) = [h for h in logging.getLogger("geo").handlers if isinstance(h.formatter, JsonFormatter)]
    line = json.loads(handler.format(outage))
    assert line["level"] == "WARNING" and line["message"].startswith("plate lookup refresh waits"), line


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_refresh_whose_lease_a_restore_took_is_no_error_in_the_log(store, caplog, monkeypatch):
    """Third review: every restore while serving logged "plate lookup refresh failed" with a LeaseLost stack, as a
    bug; operators' alerts fired on each restore. A lease taken meanwhile (a restore empties the refresh state, or
    a refresher outlived its lease) is one line at INFO: the results are dropped and computed again next round."""
    import geo.plates.lookup_table as lookup_table
    from geo.store.plate_lookups import LeaseLost

    rounds: list[str] = []

    def taken(district_store, **_options):
        rounds.append(district_store.adcode)
        raise LeaseLost("refresher-1")

    monkeypatch.setattr(lookup_table, "refresh_plate_lookups", taken)
    monkeypatch.setattr(lookup_table, "held_districts", lambda _store: [store.adcode])
    caplog.set_level(logging.INFO, logger="geo.plates.lookup_table")
    refresher = lookup_table.LookupRefresher(store, interval_s=0.05).start()
    deadline = time.monotonic() + 10
    while len(rounds) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    refresher.stop()
    assert len(rounds) >= 2  # it went on polling
    mine = [r for r in caplog.records if r.name == "geo.plates.lookup_table"]
    assert mine and all(r.levelno == logging.INFO and r.exc_info is None for r in mine), \
        [(r.levelname, r.getMessage()) for r in mine]
    assert "lease was taken meanwhile" in mine[0].getMessage()
