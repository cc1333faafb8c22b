"""Fixtures: a store per backend (SQLite file, PostGIS schema), the sample district, a live server.

PostGIS runs when XINCHENG_TEST_POSTGIS_URL names a server database where this user may create
databases (scripts/test.sh sets it); with XINCHENG_REQUIRE_POSTGIS=1 a missing server is an error,
not a skip, so CI can never pass on SQLite alone.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from api.settings import Settings
from geo.store import Store
from geo.store.store import normalise_url

BACKENDS = ["sqlite", "postgis"]


FIGURES: list[str] = []


def report_figure(line: str) -> None:
    """Keep a measured figure (cases tried, 5xx seen, conflicts, records lost) for the end-of-run summary."""
    FIGURES.append(line)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Print the reliability and security figures after the test results, in every run."""
    if FIGURES:
        terminalreporter.section("reliability and security figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


def pytest_collection_modifyitems(config, items):
    """Mark every test that runs on PostGIS, so ``-m 'not postgis'`` runs the SQLite half."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "postgis" in callspec.params.values():
            item.add_marker(pytest.mark.postgis)


@pytest.fixture(scope="session")
def postgis_server() -> Iterator[str]:
    """Create a throw-away database with PostGIS for this test session; yield its URL."""
    url = os.environ.get("XINCHENG_TEST_POSTGIS_URL")
    if not url:
        if os.environ.get("XINCHENG_REQUIRE_POSTGIS") == "1":
            pytest.fail("XINCHENG_REQUIRE_POSTGIS=1 but XINCHENG_TEST_POSTGIS_URL is not set")
        pytest.skip("no PostGIS server (set XINCHENG_TEST_POSTGIS_URL)")
    admin = sa.create_engine(normalise_url(url), isolation_level="AUTOCOMMIT")
    name = f"xincheng_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    db_url = sa.make_url(normalise_url(url)).set(database=name)
    engine = sa.create_engine(db_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")
    engine.dispose()
    yield db_url.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.dispose()


def _fresh_url(backend: str, request: pytest.FixtureRequest, tmp_path_factory) -> tuple[str, callable]:
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("db") / "xincheng.db"
        return f"sqlite:///{path}", lambda: None
    server = request.getfixturevalue("postgis_server")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")

    def drop() -> None:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        engine.dispose()

    sep = "&" if "?" in server else "?"
    return f"{server}{sep}options=-csearch_path%3D{schema},public", drop


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path_factory) -> Iterator[str]:
    """Yield the URL of an empty database on each backend."""
    url, drop = _fresh_url(request.param, request, tmp_path_factory)
    yield url
    drop()


@pytest.fixture
def store(database_url) -> Iterator[Store]:
    """Yield a migrated, empty store on each backend."""
    s = Store.open(database_url)
    s.migrate()
    yield s
    s.close()


@pytest.fixture(scope="session")
def sample():
    """The sample district, built once per session."""
    from data.sample_district import make_sample_district

    return make_sample_district()


def load_sample(store: Store, sample) -> None:
    """Write every layer of the sample district into ``store``."""
    from geo.io.importer import prepare_records, write_records
    from geo.placenames import link_streets

    with store.writing() as conn:
        for name, frame in sample.layers.items():
            records, _ = prepare_records(frame, name, source_crs="EPSG:4490")
            write_records(store, name, records, actor="test", conn=conn)
        link_streets(conn)


@pytest.fixture(scope="session", params=BACKENDS)
def sample_store(request, tmp_path_factory, sample) -> Iterator[Store]:
    """Yield a store holding the whole sample district (read-only use!), per backend."""
    url, drop = _fresh_url(request.param, request, tmp_path_factory)
    s = Store.open(url)
    s.migrate()
    load_sample(s, sample)
    yield s
    s.close()
    drop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


USERS = {role: (f"t-{role}", f"{role}-password-123") for role in
         ("admin", "placename_officer", "boundary_inspector", "planner")}


@contextmanager
def running_server(settings: Settings, app=None) -> Iterator[str]:
    """Run the real app (or ``app``) under uvicorn on a free loopback port; yield its base URL."""
    import uvicorn

    from api.app import create_app

    server = uvicorn.Server(uvicorn.Config(app or create_app(settings), host="127.0.0.1", port=_free_port(),
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started:
        if time.time() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def server_settings(store: Store, **overrides) -> Settings:
    """Settings for a test server over ``store``."""
    base = dict(database_url=str(store.engine.url.render_as_string(hide_password=False)), secret_key="x" * 40,
                max_upload_bytes=2_000_000, max_page_size=500, cookie_secure=False,
                public_base_url="https://mp.xincheng.example",
                login_max_failures=1000)  # many tests log in from 127.0.0.1; test_security tests the throttle
    return Settings(**{**base, **overrides})


@pytest.fixture(scope="session")
def live_server(sample_store) -> Iterator[str]:
    """Run the real server (uvicorn) on loopback over the sample store; yield its base URL."""
    from geo.users import create_user

    for role, (name, password) in USERS.items():
        if not sample_store.count("users", where={"username": name}):
            create_user(sample_store, name, password, role, actor="test")
    with running_server(server_settings(sample_store)) as url:
        yield url
