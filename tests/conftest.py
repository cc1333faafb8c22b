"""Fixtures: a store per backend (SQLite file, PostGIS schema), the sample district, a live server.

The sample district is built once per backend as a template (once per run: pytest-xdist workers share
it, see ``_shared_template``); the shared ``sample_store`` (and the ``live_server`` over it) is a
read-only copy, checked after every test that uses it, and a test that writes takes its own copy,
``writable_sample_store`` (and ``writable_server`` over it). ``cli_sample`` is the sample as
``xincheng init`` builds it, once per worker, for the CLI tests to copy.

PostGIS runs when XINCHENG_TEST_POSTGIS_URL names a server database where this user may create
databases (scripts/test.sh sets it); with XINCHENG_REQUIRE_POSTGIS=1 a missing server is an error,
not a skip, so CI can never pass on SQLite alone.
"""

from __future__ import annotations

import ast
import fcntl
import functools
import inspect
import json
import os
import shutil
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from api.settings import Settings
from geo.store import Store, schema
from geo.store.store import normalise_url
from tests import scratch_tablespace

BACKENDS = ["sqlite", "postgis"]

# Every test talks plain HTTP to 127.0.0.1, and each ``httpx.get``/``httpx.post`` (a client of its own) builds an
# SSL context: loading the CA bundle named by SSL_CERT_FILE (or certifi's) costs ~20 ms of CPU each time, ~9 % of
# an HTTP-heavy part of the suite. httpx reads an empty SSL_CERT_FILE as unset and then SSL_CERT_DIR, whose
# certificates load only when a TLS handshake needs them: none does here (the suite runs with no internet).
_NO_CERTS = Path(__file__).resolve().parent / "no-tls-certificates"
os.environ["SSL_CERT_FILE"] = ""
os.environ["SSL_CERT_DIR"] = str(_NO_CERTS)


FIGURES: list[str] = []


def report_figure(line: str) -> None:
    """Keep a measured figure (cases tried, 5xx seen, conflicts, records lost) for the end-of-run summary."""
    FIGURES.append(line)


# Why this run's PostgreSQL databases are not in the tablespace in memory (tests/scratch_tablespace.py), if not,
# or what went wrong dropping the ones it left there.
SCRATCH_TABLESPACE_MISSING: list[str] = []
_SCRATCH_KEY = pytest.StashKey[str]()  # the tablespace's name, in the process that made it


def pytest_sessionstart(session: pytest.Session) -> None:
    """In the process that starts the run (not a pytest-xdist worker, which inherits both from it): give the run
    its token and find or make the tablespace in memory every database the tests create goes into
    (``_create_database``; tests/scratch_tablespace.py)."""
    url = os.environ.get("XINCHENG_TEST_POSTGIS_URL")
    if os.environ.get("PYTEST_XDIST_WORKER") or os.environ.get(scratch_tablespace.ENV_NAME):
        return
    scratch_tablespace.run_token()
    if not url:
        return
    try:
        name, why_not = scratch_tablespace.make_scratch_tablespace(normalise_url(url))
    except (sa.exc.SQLAlchemyError, OSError) as error:  # no server: the tests that need it say so themselves
        name, why_not = None, str(error).splitlines()[0]
    if name is None:
        SCRATCH_TABLESPACE_MISSING.append(why_not)
    else:
        os.environ[scratch_tablespace.ENV_NAME] = name
        session.config.stash[_SCRATCH_KEY] = name


@pytest.hookimpl(trylast=True)  # without pytest-xdist, after the session's fixtures have dropped their databases
def pytest_sessionfinish(session: pytest.Session) -> None:
    """In a pytest-xdist worker, hand this worker's figures to the controller, which prints them; in the
    controller, drop the sample template the workers shared; in the process that started the run, drop the
    databases it left in the tablespace in memory (a test that failed before dropping its own). A server gone
    by then is said at the end (the next run drops them by their age), not a traceback in place of the summary."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["figures"] = list(FIGURES)
        workeroutput["extended_left_out"] = len(EXTENDED_LEFT_OUT)
        return
    try:
        if session.config.pluginmanager.hasplugin("dsession"):  # the controller of pytest-xdist workers
            _drop_shared_templates(session.config)
        if session.config.stash.get(_SCRATCH_KEY, None) is not None:
            scratch_tablespace.drop_run_databases(_admin_url())
    except sa.exc.SQLAlchemyError as error:
        SCRATCH_TABLESPACE_MISSING.append(f"this run's databases were not dropped: {str(error).splitlines()[0]}")
    os.environ.pop(scratch_tablespace.ENV_NAME, None)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """In the pytest-xdist controller, keep the figures a finished worker measured (see above)."""
    FIGURES.extend(getattr(node, "workeroutput", {}).get("figures", []))
    EXTENDED_LEFT_OUT_BY_WORKERS.append(getattr(node, "workeroutput", {}).get("extended_left_out", 0))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Print the reliability and security figures after the test results, in every run; and, in a default
    run, how many PostGIS variants the extended tier adds and how to run them."""
    if FIGURES:
        terminalreporter.section("reliability and security figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
    left_out = max([len(EXTENDED_LEFT_OUT), *EXTENDED_LEFT_OUT_BY_WORKERS])
    if left_out:
        terminalreporter.write_line(
            f"extended tier: {left_out} PostGIS variants of HTTP/page/browser/CLI tests were not run (they ran on "
            "SQLite); run them with `bash scripts/test.sh --all-backends` (everything) or "
            "`bash scripts/test.sh --all-backends -m extended` (only them)", yellow=True, bold=True)
    for problem in SCRATCH_TABLESPACE_MISSING:
        terminalreporter.write_line(f"PostgreSQL test databases, tablespace in memory (tests/scratch_tablespace.py): "
                                    f"{problem}", yellow=True)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--all-backends", action="store_true", default=False,
        help="run the extended tier too: the PostGIS variant of every HTTP/page/browser/CLI test (by default "
             "those run on SQLite only; store-level tests and tests marked both_backends run on both); "
             "`--all-backends -m extended` runs only that tier")


# The tiering (see _http_level): by default a test that drives the service from outside (a server over
# HTTP, a browser, the CLI) runs on SQLite only; its PostGIS variant is marked ``extended`` and runs with
# --all-backends. Store-level and use-case tests, and tests marked both_backends, run on both backends.
_HTTP_FIXTURES = {"live_server", "writable_server"}
# Modules whose use makes a test HTTP/page/browser/CLI-level, and names that do wherever they come from.
_HTTP_MODULES = ("httpx", "uvicorn", "schemathesis", "websocket", "fastapi.testclient",
                 "starlette.testclient", "click.testing", "api.cli", "tests.browser", "tests.cdp", "tests.xincheng_cli")
_HTTP_NAMES = {"running_server", "live_server", "writable_server"}
# A subprocess counts when it runs the CLI (``python -m api.cli``), not when it runs ogrinfo or pdfinfo.
_CLI_STRINGS = {"api.cli"}
_TESTS_DIR = Path(__file__).resolve().parent
EXTENDED_LEFT_OUT: list[str] = []          # node ids this process left for the extended tier
EXTENDED_LEFT_OUT_BY_WORKERS: list[int] = []  # in the pytest-xdist controller: each worker's count


def _imports_http(node: ast.AST) -> bool:
    if isinstance(node, ast.Import):
        return any(alias.name.startswith(_HTTP_MODULES) for alias in node.names)
    return (isinstance(node, ast.ImportFrom) and node.level == 0 and bool(node.module)
            and str(node.module).startswith(_HTTP_MODULES))


def _reads(node: ast.AST) -> tuple[set[str], bool]:
    """Every plain name ``node`` reads (for ``a.b.c``, ``a``), and whether it imports an HTTP module (or
    names the CLI's module, to run it in a process)."""
    names, imports = set(), False
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            names.add(n.id)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            imports = imports or _imports_http(n)
        elif isinstance(n, ast.Constant) and n.value in _CLI_STRINGS:
            imports = True
    return names, imports


@functools.cache
def _module_info(path: str) -> tuple[frozenset[str], dict[int, tuple[set[str], bool]]]:
    """For the Python file ``path``: its module-level names that reach a server, a browser or the CLI
    (imported from an HTTP module or as such a name of another tests/ module, or a function or class that
    uses one), and, per function (by its first line, decorators included), what it reads and whether it
    imports an HTTP module."""
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    http: set[str] = set(_HTTP_NAMES)
    for node in tree.body:
        if isinstance(node, ast.Import):
            http |= {alias.asname or alias.name.split(".")[0] for alias in node.names
                     if alias.name.startswith(_HTTP_MODULES)}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                if node.module.startswith(_HTTP_MODULES) or f"{node.module}.{alias.name}".startswith(_HTTP_MODULES):
                    http.add(alias.asname or alias.name)
                elif node.module.startswith("tests."):
                    other = _TESTS_DIR / (node.module.split(".", 1)[1].replace(".", "/") + ".py")
                    if other.exists() and alias.name in _module_info(str(other))[0]:
                        http.add(alias.asname or alias.name)
    defs: dict[str, tuple[set[str], bool]] = {}
    functions: dict[int, tuple[set[str], bool]] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defs[node.name] = _reads(node)
        inner = node.body if isinstance(node, ast.ClassDef) else [node]  # test classes' methods too
        for function in inner:
            if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = min([function.lineno, *(d.lineno for d in function.decorator_list)])
                functions[first] = _reads(function)
    http |= {name for name, (_, imports) in defs.items() if imports}
    changed = True
    while changed:  # a helper that calls a helper that starts a server
        changed = False
        for name, (used, _) in defs.items():
            if name not in http and used & http:
                http.add(name)
                changed = True
    return frozenset(http), functions


@functools.cache
def _uses_http(func: Callable) -> bool:
    """Whether the test or fixture function ``func`` (defined under tests/) reaches a server, browser or CLI."""
    func = inspect.unwrap(func)
    code = getattr(func, "__code__", None)
    path = code.co_filename if code is not None else None
    if path is None or _TESTS_DIR not in Path(path).resolve().parents:
        return False
    http, functions = _module_info(path)
    used, imports = functions.get(code.co_firstlineno, (set(), False))
    return imports or bool(used & http)


def _http_level(item: pytest.Item) -> bool:
    """Whether ``item`` tests the service from outside: a server (``live_server``, ``writable_server``,
    ``running_server``, httpx), a browser (Chromium, CDP) or the CLI (tests.xincheng_cli, click's runner,
    ``python -m api.cli`` in a subprocess), in the test itself, a module helper it calls (also one imported
    from another test module) or a fixture it uses. Session-scoped fixtures other than the
    servers (the sample as ``xincheng init`` builds it, its backup) only make inputs and do not count."""
    if _HTTP_FIXTURES & set(item.fixturenames):
        return True
    function = getattr(item, "function", None)
    if function is None:
        return False
    if _uses_http(function):
        return True
    definitions = item._fixtureinfo.name2fixturedefs  # type: ignore[attr-defined]
    return any(_uses_http(defs[-1].func) for name in item.fixturenames
               if (defs := definitions.get(name)) and defs[-1].scope != "session")


def _postgis_from_fixture(item: pytest.Item) -> bool:
    """Whether ``item`` is the PostGIS variant made by a backend fixture's own params (``database_url``,
    ``sample_store`` ...), not by the test's explicit ``parametrize`` (those stay as written)."""
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return False
    explicit: set[str] = set()
    for mark in item.iter_markers("parametrize"):
        names = mark.args[0] if mark.args else mark.kwargs.get("argnames", ())
        explicit |= {n.strip() for n in names.split(",")} if isinstance(names, str) else set(names)
    return any(value == "postgis" and name not in explicit for name, value in callspec.params.items())


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark every test that runs on PostGIS, so ``-m 'not postgis'`` runs the SQLite half; mark the PostGIS
    variant of every HTTP/page/browser/CLI test ``extended`` and, without --all-backends, leave it out."""
    keep, left_out = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "postgis" in callspec.params.values():
            item.add_marker(pytest.mark.postgis)
        if (_postgis_from_fixture(item) and item.get_closest_marker("both_backends") is None
                and _http_level(item)):
            item.add_marker(pytest.mark.extended)
            if not config.getoption("all_backends"):
                left_out.append(item)
                continue
        keep.append(item)
    if left_out:
        EXTENDED_LEFT_OUT.extend(item.nodeid for item in left_out)
        config.hook.pytest_deselected(items=left_out)
        items[:] = keep


def _admin_url() -> str:
    """Return the PostgreSQL server URL the tests may create databases through (skip or fail without one)."""
    url = os.environ.get("XINCHENG_TEST_POSTGIS_URL")
    if not url:
        if os.environ.get("XINCHENG_REQUIRE_POSTGIS") == "1":
            pytest.fail("XINCHENG_REQUIRE_POSTGIS=1 but XINCHENG_TEST_POSTGIS_URL is not set")
        pytest.skip("no PostGIS server (set XINCHENG_TEST_POSTGIS_URL)")
    return normalise_url(url)


def _database_url(admin_url: str, name: str) -> str:
    return sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _create_database(admin_url: str, prefix: str, template: str | None = None) -> tuple[str, Callable[[], None]]:
    """Create a database on the test server (a copy of ``template``, or a new one with PostGIS), in the run's
    tablespace in memory when it has one (tests/scratch_tablespace.py); return its URL and a function that
    drops it."""
    name = f"{prefix}_{scratch_tablespace.run_token()}_{uuid.uuid4().hex[:8]}"  # the run's: dropped at its end
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    tablespace = os.environ.get(scratch_tablespace.ENV_NAME)  # the run's, in memory (pytest_sessionstart)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else "")
                             + (f" TABLESPACE {tablespace}" if tablespace else ""))
    url = _database_url(admin_url, name)
    if template is None:
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")
        engine.dispose()

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()

    return url, drop


@pytest.fixture(scope="session")
def postgis_server() -> Iterator[str]:
    """Create a throw-away database with PostGIS for this test session; yield its URL.

    Empty stores (``database_url``, ``store``) are schemas in it, one per test.
    """
    url, drop = _create_database(_admin_url(), "xincheng_test")
    yield url
    drop()


def _fresh_url(backend: str, request: pytest.FixtureRequest, tmp_path_factory) -> tuple[str, Callable[[], None]]:
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
    """Yield the URL of an empty database on each backend.

    For a test that takes ``store`` (which migrates the database first thing) it is migrated already: a copy
    of the run's migrated template (``migrated_templates``), where migrating anew took ~1.5 s a test on
    PostgreSQL and ~0.15 s on SQLite. A test that migrates by itself gets a database with nothing in it.
    """
    if "store" in request.fixturenames:
        url, drop = request.getfixturevalue("migrated_templates")(request.param).copy()
    else:
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
    """Write every layer of the sample district into the empty ``store`` and compute the plates' stored
    lookups and give its standard names their 地名代码, as ``xincheng init`` does (so a server started on
    it has nothing to refresh)."""
    from geo.io.importer import load_layers
    from geo.placenames.codes import assign_missing
    from geo.plates.lookup_table import refresh_plate_lookups

    load_layers(store, sample.layers, actor="test", reference_objects=getattr(sample, "reference_objects", ()),
                plot_types=getattr(sample, "plot_types", None),
                burial_statistics=getattr(sample, "burial_statistics", None),
                addresses=getattr(sample, "addresses", None), street_signs=getattr(sample, "street_signs", None))
    assign_missing(store, actor="test")
    refresh_plate_lookups(store)


USERS = {role: (f"t-{role}", f"{role}-password-123") for role in
         ("admin", "placename_officer", "boundary_inspector", "planner")}


def _cheap_test_hashes(store: Store) -> None:
    """Rehash the test ``USERS``' passwords with argon2's cheapest parameters.

    The suite logs these accounts in thousands of times, and each verification with the service's own
    parameters (:data:`geo.users._HASHER`: 64 MiB, 3 passes, 4 lanes) costs ~0.1 s of both cores. argon2 reads
    the parameters from the stored hash, so the same login code verifies these in microseconds; accounts a
    test creates itself are hashed as the service hashes every account."""
    from argon2 import PasswordHasher

    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    users = schema.metadata.tables["users"]
    with store.writing() as conn:
        for name, password in USERS.values():
            conn.execute(sa.update(users).where(users.c.username == name).values(password_hash=cheap.hash(password)))


@dataclass(frozen=True)
class SampleTemplate:
    """A database stored once per backend and never opened again: the sample district and the test ``USERS``,
    or a migrated database with no rows (``migrated_templates``).

    Every sample store (and every ``store``) of the session is a copy of one, so a copy is cheap and always pristine: on
    SQLite a copy of the database file (its WAL checkpointed into it before the first copy), on
    PostgreSQL ``CREATE DATABASE ... TEMPLATE`` (which needs the template to be a database of its
    own with no one connected, hence not a schema).
    """

    backend: str
    source: str          # SQLite: the database file; PostgreSQL: the template database's name
    admin_url: str = ""  # PostgreSQL: where databases are created and dropped
    folder: Path | None = None

    def copy(self) -> tuple[str, Callable[[], None]]:
        """Make a copy; return its URL and a function that removes it."""
        if self.backend == "postgis":
            return _create_database(self.admin_url, "xincheng_copy", template=self.source)
        assert self.folder is not None
        path = self.folder / f"copy_{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(self.source, path)

        def remove() -> None:
            for leftover in (path, *(path.with_name(path.name + end) for end in ("-wal", "-shm", ".migrate.lock"))):
                leftover.unlink(missing_ok=True)

        return f"sqlite:///{path}", remove


def _build_template(backend: str, tmp_path_factory: pytest.TempPathFactory, sample) -> tuple[SampleTemplate,
                                                                                              Callable[[], None]]:
    """Store the sample district and the test users once for ``backend`` (``sample`` None: migrate only, no
    rows); return it and how to drop it."""
    from geo.users import create_user

    kind = "sample" if sample is not None else "migrated"
    if backend == "sqlite":
        folder = tmp_path_factory.mktemp(kind)
        path = folder / "template.db"
        url, drop = f"sqlite:///{path}", (lambda: None)
    else:
        admin_url = _admin_url()
        url, drop = _create_database(admin_url, f"xincheng_{kind}_template")
    s = Store.open(url)
    try:
        s.migrate()
        if sample is not None:
            load_sample(s, sample)
            for role, (name, password) in USERS.items():
                create_user(s, name, password, role, actor="test")
            _cheap_test_hashes(s)
    except BaseException:
        s.close()
        drop()
        raise
    s.close()
    if backend == "sqlite":
        with closing(sqlite3.connect(path)) as conn:  # everything in the main file: copying it copies it all
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return SampleTemplate("sqlite", str(path), folder=folder), drop
    return SampleTemplate("postgis", sa.make_url(url).database or "", admin_url=admin_url), drop


def _run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for this test run: with pytest-xdist, the one every worker's base temp folder is in."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _shared_template(backend: str, tmp_path_factory: pytest.TempPathFactory,
                     sample: Callable[[], object], *, kind: str = "sample") -> tuple[SampleTemplate,
                                                                                     Callable[[], None]]:
    """Return ``backend``'s template of ``kind`` (``sample``; ``migrated``: ``sample`` gives None), built by
    the first pytest-xdist worker that needs it and recorded (``sample_templates/<kind>-<backend>.json`` in
    the run's folder) for the others, which wait on a lock meanwhile: it is stored once per run, not once
    per worker. Without xdist, build it here."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return _build_template(backend, tmp_path_factory, sample())
    folder = _run_folder(tmp_path_factory) / "sample_templates"
    folder.mkdir(exist_ok=True)
    record = folder / f"{kind}-{backend}.json"
    with open(folder / f"{kind}-{backend}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        if not record.exists():
            template, _drop = _build_template(backend, tmp_path_factory, sample())
            record.write_text(json.dumps({**asdict(template), "folder": str(template.folder or "")}))
        fields = json.loads(record.read_text())
    template = SampleTemplate(**{**fields, "folder": Path(fields["folder"]) if fields["folder"] else None})
    return template, (lambda: None)  # the controller drops a shared PostgreSQL template (pytest_sessionfinish)


def _drop_shared_templates(config: pytest.Config) -> None:
    """In the pytest-xdist controller, after every worker has finished: drop the PostgreSQL template the
    workers shared (its SQLite file goes with the run's temporary folders)."""
    factory = getattr(config, "_tmp_path_factory", None)
    if factory is None:
        return
    for record in (factory.getbasetemp() / "sample_templates").glob("*-postgis.json"):
        fields = json.loads(record.read_text())
        admin = sa.create_engine(fields["admin_url"], isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {fields['source']} WITH (FORCE)")
        admin.dispose()


def _templates(tmp_path_factory: pytest.TempPathFactory, sample: Callable[[], object], *,
               kind: str) -> Iterator[Callable[[str], SampleTemplate]]:
    """Yield ``backend -> SampleTemplate`` of ``kind``: each backend's is built on first use, once per run
    (shared by the pytest-xdist workers, see ``_shared_template``); drop what was built here at the end."""
    built: dict[str, tuple[SampleTemplate, Callable[[], None]]] = {}

    def template(backend: str) -> SampleTemplate:
        if backend not in built:
            built[backend] = _shared_template(backend, tmp_path_factory, sample, kind=kind)
        return built[backend][0]

    yield template
    for _template, drop in built.values():
        drop()


@pytest.fixture(scope="session")
def sample_templates(tmp_path_factory, request) -> Iterator[Callable[[str], SampleTemplate]]:
    """Yield ``backend -> SampleTemplate`` of the sample district and the test users."""
    yield from _templates(tmp_path_factory, lambda: request.getfixturevalue("sample"), kind="sample")


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory) -> Iterator[Callable[[str], SampleTemplate]]:
    """Yield ``backend -> SampleTemplate`` of a migrated database with no rows (what ``store`` starts from)."""
    yield from _templates(tmp_path_factory, lambda: None, kind="migrated")


@dataclass(frozen=True)
class CliSample:
    """The sample district as ``xincheng init`` builds it into a SQLite file, once per session, and how
    long that took; tests take copies (``copy``), so each module starts from the same pristine file."""

    path: Path
    elapsed_s: float
    stdout: str

    def copy(self, folder: Path) -> Path:
        """Copy the database file into ``folder``; return the copy's path."""
        target = folder / self.path.name
        shutil.copyfile(self.path, target)
        return target


def _build_cli_sample(folder: Path) -> CliSample:
    from tests.xincheng_cli import run

    path = folder / "xincheng.db"
    start = time.perf_counter()
    result = run("init", db=path)
    elapsed_s = time.perf_counter() - start
    assert result.returncode == 0, result.stderr
    with closing(sqlite3.connect(path)) as conn:  # everything in the main file: copying it copies it all
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return CliSample(path, elapsed_s, result.stdout)


@pytest.fixture(scope="session")
def cli_sample(tmp_path_factory) -> CliSample:
    """Run ``xincheng init`` (in this process: tests/xincheng_cli.py) once per run into a SQLite file: with
    pytest-xdist the first worker that needs it builds it and records it (``cli_sample/sample.json`` in the
    run's folder, as ``_shared_template`` does) and the others wait on a lock and use the same file; tests
    only read it or copy it (``CliSample.copy``)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return _build_cli_sample(tmp_path_factory.mktemp("cli_sample"))
    folder = _run_folder(tmp_path_factory) / "cli_sample"
    folder.mkdir(exist_ok=True)
    record = folder / "sample.json"
    with open(folder / "sample.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        if not record.exists():
            built = _build_cli_sample(folder)
            record.write_text(json.dumps({**asdict(built), "path": str(built.path)}))
        fields = json.loads(record.read_text())
    return CliSample(Path(fields["path"]), fields["elapsed_s"], fields["stdout"])


# Tables whose rows a read-only test may add: logging in stores a token.
_AUTH_STATE = {"api_tokens"}


@pytest.fixture(scope="session")
def sample_backup(cli_sample, tmp_path_factory) -> Path:
    """A backup of the sample district (``xincheng init``'s file), written once for the session."""
    from geo.store.backup import write_backup

    folder = tmp_path_factory.mktemp("sample_backup")
    source = Store.open(f"sqlite:///{cli_sample.copy(folder)}")
    try:
        write_backup(source, folder / "good.zip")
    finally:
        source.close()
    return folder / "good.zip"


@pytest.fixture(scope="session")
def small_sample_backup(sample_backup, tmp_path_factory) -> Path:
    """The sample backup with one door plate in twenty kept (and every plate another row names, and each
    community's first; the audit log kept whole, so it still counts the plates of the whole sample): the same
    tables and references at a tenth of the rows, for the tests that
    restore a backup only to see it refused (the whole district's restore is ~5 s on PostgreSQL; the
    untouched sample itself is restored by tests/test_review17_recheck.py and tests/test_backup.py)."""
    import hashlib
    import zipfile

    with zipfile.ZipFile(sample_backup) as archive:
        tables = {name: archive.read(name) for name in archive.namelist()}
    named: set[str] = set()
    for table in ("addresses", "problem_reports", "plate_reprints"):
        named |= {json.loads(line).get("plate_uid") for line in tables[f"{table}.jsonl"].splitlines()}
    plates = [json.loads(line) for line in tables["door_plates.jsonl"].splitlines()]
    successors = {p["plate_uid"]: p.get("successor_plate_uid") for p in plates}
    communities: set[str] = set()
    kept: set[str] = set()
    for i, plate in enumerate(plates):
        if i % 20 == 0 or plate["plate_uid"] in named or plate.get("community_code") not in communities:
            communities.add(plate.get("community_code"))
            uid = plate["plate_uid"]
            while uid and uid not in kept:  # a kept plate's successor is kept with it
                kept.add(uid)
                uid = successors.get(uid)
    lines = [line for plate, line in zip(plates, tables["door_plates.jsonl"].splitlines(keepends=True), strict=True)
             if plate["plate_uid"] in kept]
    tables["door_plates.jsonl"] = b"".join(lines)
    manifest = json.loads(tables.pop("manifest.json"))
    manifest["tables"]["door_plates"] = {"rows": len(lines),
                                         "sha256": hashlib.sha256(tables["door_plates.jsonl"]).hexdigest()}
    small = tmp_path_factory.mktemp("small_sample_backup") / "small.zip"
    with zipfile.ZipFile(small, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in tables.items():
            archive.writestr(name, data)
        archive.writestr("manifest.json", json.dumps(manifest))
    return small


def _fingerprint(store: Store) -> dict[str, tuple[int, int | None]]:
    """Return (rows, highest id) per table, logins' tokens aside; any write changes the audit log's."""
    parts = [sa.select(sa.literal(t.name).label("t"), sa.func.count().label("n"),
                       sa.func.max(t.c.id).label("top") if "id" in t.c else sa.null().label("top"))
             .select_from(t) for t in schema.metadata.sorted_tables if t.name not in _AUTH_STATE]
    with store.reading() as conn:
        return {name: (rows, top) for name, rows, top in conn.execute(sa.union_all(*parts))}


# The tests that failed for writing to a shared sample store, per store.
_SHARED_WRITERS: dict[int, list[str]] = {}


def _changes(before: dict, after: dict) -> str:
    return ", ".join(f"{t}: {before.get(t)} -> {after[t]} (rows, highest id)" for t in after
                     if before.get(t) != after[t])


@pytest.fixture(scope="session", params=BACKENDS)
def sample_store(request, sample_templates) -> Iterator[Store]:
    """Yield the session's store holding the whole sample district, per backend: READ-ONLY.

    Every test that uses it is checked (see ``_shared_sample_stays_unchanged``); a test that writes
    takes ``writable_sample_store`` (and ``writable_server``) instead.
    """
    url, drop = sample_templates(request.param).copy()
    s = Store.open(url)
    try:
        at_start = _fingerprint(s)
        yield s
        at_end = _fingerprint(s)
    finally:
        s.close()
        drop()
    caught = _SHARED_WRITERS.get(id(s), [])  # those tests have failed already, each naming itself
    if at_end != at_start and not caught:
        pytest.fail(f"the shared read-only sample_store [{request.param}] was written during the session, "
                    f"outside any test's own run: {_changes(at_start, at_end)}", pytrace=False)


@pytest.fixture(autouse=True)
def _shared_sample_stays_unchanged(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test that writes to the shared sample store (itself or through ``live_server``), naming it."""
    if "sample_store" not in request.fixturenames:
        yield
        return
    shared = request.getfixturevalue("sample_store")
    before = _fingerprint(shared)
    yield
    after = _fingerprint(shared)
    if after != before:
        _SHARED_WRITERS.setdefault(id(shared), []).append(request.node.nodeid)
        pytest.fail(f"{request.node.nodeid} wrote to the shared, read-only sample_store: {_changes(before, after)}. "
                    "A test that writes takes writable_sample_store / writable_server (its own copy).",
                    pytrace=False)


@pytest.fixture(params=BACKENDS)
def writable_sample_store(request, sample_templates) -> Iterator[Store]:
    """Yield this test's own copy of the sample district store (with the test users), per backend."""
    url, drop = sample_templates(request.param).copy()
    s = Store.open(url)
    yield s
    s.close()
    drop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_server(settings: Settings, app=None) -> Iterator[str]:
    """Run the real app (or ``app``) under uvicorn on a free loopback port; yield its base URL.

    The port is bound here and the bound socket handed to uvicorn, so no other test (another
    pytest-xdist worker, or a client's outgoing connection) can take the port in between.
    """
    import uvicorn

    from api.app import create_app

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(app or create_app(settings), host="127.0.0.1", port=port,
                                               log_level="warning", lifespan="on"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        try:
            deadline = time.time() + 20
            while not server.started:
                if time.time() > deadline or not thread.is_alive():
                    raise RuntimeError("the test server did not start")
                time.sleep(0.05)
            yield f"http://127.0.0.1:{port}"
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
    """Run the real server (uvicorn) on loopback over the shared, read-only sample store; yield its base URL.

    Logging in is fine; a test that writes through the server takes ``writable_server``.
    """
    with running_server(server_settings(sample_store)) as url:
        yield url


@pytest.fixture
def writable_server(writable_sample_store) -> Iterator[str]:
    """Run the real server over this test's own copy of the sample store (``writable_sample_store``)."""
    with running_server(server_settings(writable_sample_store)) as url:
        yield url
