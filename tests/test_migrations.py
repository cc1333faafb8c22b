"""Schema migrations: frozen Alembic revisions upgrade a real database from every earlier version
and keep its data; a database from before Alembic is recognised; two processes never migrate at
once (advisory lock on PostGIS, file lock on SQLite)."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import pytest
import shapely
import sqlalchemy as sa

from geo.errors import Conflict, InputError
from geo.store import Store, migrations, schema
from geo.store.migrations import LATEST_VERSION
from geo.store.partitions import partitioned_tables
from tests.conftest import _fresh_url

# Every test here also runs on PostGIS by default (both_backends, see tests/conftest.py):
# migrations: the DDL, its lock and the upgrade of stored data differ per backend.
pytestmark = pytest.mark.both_backends

REPO = Path(__file__).resolve().parents[1]
VERSIONS = REPO / "geo" / "store" / "alembic" / "versions"
T0 = "2026-11-01 08:00:00"


# -- rows written by raw SQL, each valid for the revision that created its table ----------------

def _geom(dialect: str, wkt: str) -> str:
    """A SQL literal of a CGCS2000 geometry as the backend stores it (WKB blob, PostGIS)."""
    if dialect == "postgresql":
        return f"ST_GeomFromText('{wkt}', 4490)"
    return f"X'{shapely.to_wkb(shapely.from_wkt(wkt), hex=True)}'"


def _spatial(dialect: str, wkt: str) -> str:
    x0, y0, x1, y1 = shapely.from_wkt(wkt).bounds
    return f"{_geom(dialect, wkt)}, {x0}, {y0}, {x1}, {y1}"


COMMON = "adcode, created_at, updated_at"
NOW = f"'150102', '{T0}', '{T0}'"
ENVELOPE = "geom, minx, miny, maxx, maxy"
PLATE_AT = "POINT(111.6861 40.8512)"

# table -> (revision that created it, INSERT statement in that revision's columns)
ROWS_BY_REVISION: dict[str, tuple[int, str]] = {
    "admin_units": (1, f"INSERT INTO admin_units ({COMMON}, code, name, level, households, "
                       f"{ENVELOPE}) VALUES ({NOW}, '150102001000', '海拉尔东路街道', "
                       "'subdistrict', 5120, {poly})"),
    "place_names": (1, f"INSERT INTO place_names ({COMMON}, standard_name, romanization, "
                       f"category_code, {ENVELOPE}) VALUES ({NOW}, '新华大街', 'Xinhua Dajie', "
                       "'12130', {line})"),
    "streets": (1, f"INSERT INTO streets ({COMMON}, name, street_class, {ENVELOPE}) "
                   f"VALUES ({NOW}, '新华大街', 'arterial', {{line}})"),
    "boundary_markers": (1, f"INSERT INTO boundary_markers ({COMMON}, marker_no, line_code, seq, "
                            f"{ENVELOPE}) VALUES ({NOW}, '1501020001', 'L1', 1, {{point}})"),
    "inspection_campaigns": (1, f"INSERT INTO inspection_campaigns ({COMMON}, name, campaign_type) "
                                f"VALUES ({NOW}, '2026年联检', 'joint')"),
    "inspections": (1, f"INSERT INTO inspections ({COMMON}, client_id, campaign_id, marker_id, "
                       f"condition, {ENVELOPE}) VALUES ({NOW}, 'c-1', 1, 1, 'intact', {{point}})"),
    "door_plates": (1, f"INSERT INTO door_plates ({COMMON}, plate_uid, street_name, number, "
                       f"households, {ENVELOPE}) VALUES ({NOW}, 'XC0000001', '新华大街', 12, 8, "
                       "{point})"),
    "users": (1, f"INSERT INTO users ({COMMON}, username, password_hash, role) "
                 f"VALUES ({NOW}, 'officer', '$argon2id$x', 'placename_officer')"),
    "audit_log": (1, "INSERT INTO audit_log (adcode, table_name, record_id, action, actor, at, "
                     f"after) VALUES ('150102', 'streets', 1, 'create', 'test', '{T0}', "
                     "'created')"),
    "problem_reports": (2, f"INSERT INTO problem_reports ({COMMON}, plate_uid, kind, message) "
                           f"VALUES ({NOW}, 'XC0000001', 'damaged_plate', '字迹模糊')"),
    "api_tokens": (2, f"INSERT INTO api_tokens ({COMMON}, token_sha256, user_id, expires_at) "
                      f"VALUES ({NOW}, '{'a' * 64}', 1, '{T0}')"),
    "place_name_events": (3, f"INSERT INTO place_name_events ({COMMON}, place_name_id, "
                             f"to_status, at, actor) VALUES ({NOW}, 1, 'in_force', '{T0}', 't')"),
    "former_names": (3, f"INSERT INTO former_names ({COMMON}, place_name_id, name) "
                        f"VALUES ({NOW}, 1, '旧街')"),
    "plate_reprints": (3, f"INSERT INTO plate_reprints ({COMMON}, plate_uid, reason) "
                          f"VALUES ({NOW}, 'XC0000001', 'renamed')"),
    "inspection_photos": (4, f"INSERT INTO inspection_photos ({COMMON}, inspection_id, sha256, "
                             f"content_type, size_bytes, data) VALUES ({NOW}, 1, '{'b' * 64}', "
                             "'image/jpeg', 3, {blob})"),
    "campaign_signoffs": (4, f"INSERT INTO campaign_signoffs ({COMMON}, campaign_id, "
                             f"party_adcode, signed_by, signed_at) VALUES ({NOW}, 1, '150102', "
                             f"'officer', '{T0}')"),
}

# Columns added after a table was created: (revision, table, column, value the upgrade gives
# the rows already stored).
ADDED_COLUMNS = [
    (3, "place_names", "name_mong_pending", False), (3, "place_names", "search_key", None),
    (4, "inspections", "conflict", False), (4, "inspections", "team", None),
    (4, "inspection_campaigns", "teams", None), (5, "users", "adcodes", None),
]


def write_rows_at(conn: sa.Connection, revision: int) -> list[str]:
    """Write one row into every table that exists at ``revision``, by raw SQL; return the tables."""
    dialect = conn.dialect.name
    shapes = {"poly": _spatial(dialect, "POLYGON((111.68 40.85, 111.69 40.85, 111.69 40.86, "
                                        "111.68 40.86, 111.68 40.85))"),
              "line": _spatial(dialect, "LINESTRING(111.68 40.851, 111.70 40.851)"),
              "point": _spatial(dialect, PLATE_AT),
              "blob": "'\\x010203'::bytea" if dialect == "postgresql" else "X'010203'"}
    written = []
    for table, (created, sql) in ROWS_BY_REVISION.items():
        if created <= revision:
            conn.exec_driver_sql(sql.format(**shapes))
            written.append(table)
    return written


def raw_rows(conn: sa.Connection, tables: list[str]) -> dict[str, list[dict]]:
    """Every stored value of ``tables`` exactly as the driver returns it (no type processing)."""
    out = {}
    for table in tables:
        result = conn.exec_driver_sql(f"SELECT * FROM {table} ORDER BY id")
        out[table] = [dict(row) for row in result.mappings()]
    return out


def _history(conn: sa.Connection) -> tuple[list[int], list[str]]:
    versions = conn.exec_driver_sql("SELECT version FROM schema_migrations ORDER BY version")
    have_alembic = sa.inspect(conn).has_table("alembic_version")
    heads = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all() \
        if have_alembic else []
    return list(versions.scalars()), list(heads)


# -- the revisions themselves -------------------------------------------------------------------

def test_revisions_are_numbered_linear_and_frozen():
    files = sorted(p for p in VERSIONS.glob("*.py") if p.name != "__init__.py")
    assert [int(p.name[:4]) for p in files] == list(range(1, LATEST_VERSION + 1))
    chain = {s.revision: s.down_revision for s in migrations.scripts().walk_revisions()}
    assert chain == {migrations.revision_of(v): (migrations.revision_of(v - 1) if v > 1 else None)
                     for v in range(1, LATEST_VERSION + 1)}
    for path in files:
        source = path.read_text(encoding="utf-8")
        # Frozen: a revision never reads today's schema module (or any of the project's code).
        assert not re.search(r"^\s*(from|import)\s+(geo|api|maps|data)\b", source, re.M), path.name
    assert set(migrations.descriptions()) == set(range(1, LATEST_VERSION + 1))
    # LATEST_VERSION is read from the file names (no Alembic import at start-up): it is Alembic's head.
    assert migrations.version_of(migrations.scripts().get_current_head()) == LATEST_VERSION


def _reflect(conn: sa.Connection) -> dict:
    declared = {i.name for t in schema.metadata.tables.values() for i in t.indexes}
    out = {}
    with warnings.catch_warnings():  # reflection does not know PostGIS's geometry type
        warnings.simplefilter("ignore", sa.exc.SAWarning)
        inspector = sa.inspect(conn)
        for name in schema.metadata.tables:
            columns = [(c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                       for c in inspector.get_columns(name)]
            uniques = sorted(tuple(u["column_names"])
                             for u in inspector.get_unique_constraints(name))
            indexes = sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                             for i in inspector.get_indexes(name) if i["name"] in declared)
            out[name] = (sorted(columns), uniques, indexes,
                         inspector.get_pk_constraint(name)["constrained_columns"])
    return out


def test_head_builds_what_the_schema_module_describes(database_url, request, tmp_path_factory):
    """The revisions at head make every table, column, default, unique and index of schema.py.

    Databases made by the releases before Alembic were built from schema.py, so this is also
    what lets them be stamped and go on."""
    backend = request.node.callspec.params["database_url"]
    other_url, drop = _fresh_url(backend, request, tmp_path_factory)
    migrated, reference = Store.open(database_url), Store.open(other_url)
    try:
        migrated.migrate()
        with reference.writing() as conn:
            schema.metadata.create_all(conn)
        with migrated.reading() as a, reference.reading() as b:
            assert _reflect(a) == _with_district_keys(_reflect(b), partitioned_tables(a))
    finally:
        migrated.close()
        reference.close()
        drop()


def _with_district_keys(reflected: dict, partitioned: list[str]) -> dict:
    """schema.py's keys as revision 0014 makes them on PostgreSQL: a table partitioned by district has
    ``adcode`` in its primary and unique keys (a partitioned table's keys must hold its partition column)."""
    def keyed(columns):
        return (*columns, "adcode") if "adcode" not in columns else tuple(columns)

    out = dict(reflected)
    for name in partitioned:
        columns, uniques, indexes, pk = reflected[name]
        out[name] = (columns, sorted(keyed(u) for u in uniques), indexes, list(keyed(pk)))
    return out


# -- upgrading a real database from each earlier revision ---------------------------------------

@pytest.mark.parametrize("start", range(1, LATEST_VERSION))
def test_upgrade_from_each_revision_keeps_the_data(database_url, start):
    store = Store.open(database_url)
    try:
        assert store.migrate(target=start) == list(range(1, start + 1))
        assert store.schema_version() == start
        with store.writing() as conn:
            tables = write_rows_at(conn, start)
        with store.reading() as conn:
            before = raw_rows(conn, tables)

        assert store.migrate() == list(range(start + 1, LATEST_VERSION + 1))
        assert store.schema_version() == LATEST_VERSION
        with store.reading() as conn:
            after = raw_rows(conn, tables)
            assert _history(conn) == (list(range(1, LATEST_VERSION + 1)),
                                      [migrations.revision_of(LATEST_VERSION)])
        for table in tables:  # every stored value survives, column for column
            assert [{k: row[k] for k in before[table][0]} for row in after[table]] == before[table]

        for added, table, column, value in ADDED_COLUMNS:
            if added > start:
                assert store.select(table)[0][column] == value, (table, column)
        if "seq" in schema.audit_log.c:  # revision 6 numbers the stored audit rows by their id
            assert all(r["seq"] == r["id"] for r in store.select("audit_log"))
        # The spatial index (R*Tree filled by triggers / GiST) holds the rows written at `start`.
        near = shapely.from_wkt(PLATE_AT).buffer(1e-3).bounds
        assert [r["plate_uid"] for r in store.select("door_plates", bbox=near)] == ["XC0000001"]
        assert store.select("streets", bbox=near)[0]["name"] == "新华大街"
        # And the upgraded database takes new records through the store.
        (new_id,) = store.insert("problem_reports", [{"kind": "damaged_plate", "message": "新"}],
                                 actor="public")
        assert store.get("problem_reports", new_id)["message"] == "新"
    finally:
        store.close()


@pytest.mark.parametrize("legacy_version", [1, 5])
def test_a_database_from_before_alembic_is_stamped_and_upgraded(database_url, legacy_version):
    """Releases before Alembic kept only ``schema_migrations``; such a database at version N is
    stamped at revision N (its history kept) and upgraded from there."""
    store = Store.open(database_url)
    try:
        store.migrate(target=legacy_version)
        with store.writing() as conn:
            tables = write_rows_at(conn, legacy_version)
            conn.exec_driver_sql("DROP TABLE alembic_version")  # as the old release left it
        with store.reading() as conn:
            before = raw_rows(conn, tables)
            assert _history(conn) == (list(range(1, legacy_version + 1)), [])
        assert store.schema_version() == legacy_version

        assert store.migrate() == list(range(legacy_version + 1, LATEST_VERSION + 1))
        with store.reading() as conn:
            assert _history(conn) == (list(range(1, LATEST_VERSION + 1)),
                                      [migrations.revision_of(LATEST_VERSION)])
            after = raw_rows(conn, tables)
        for table in tables:
            assert [{k: row[k] for k in before[table][0]} for row in after[table]] == before[table]
        assert store.migrate() == []
    finally:
        store.close()


def test_an_empty_history_left_by_a_failed_first_migration_is_started_over(database_url):
    store = Store.open(database_url)
    try:
        with store.writing() as conn:  # what the old release made before migration 1 failed
            conn.exec_driver_sql("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
                                 "description TEXT NOT NULL, applied_at TIMESTAMP NOT NULL)")
        assert store.schema_version() == 0
        assert store.migrate() == list(range(1, LATEST_VERSION + 1))
        assert store.count("streets") == 0
    finally:
        store.close()


def test_migrate_twice_is_a_no_op(store: Store):
    assert store.migrate() == []
    assert store.schema_version() == LATEST_VERSION


def test_migrate_never_goes_back_and_refuses_what_it_does_not_know(store: Store):
    assert store.migrate(target=1) == []  # no downgrades: the database stays where it is
    assert store.schema_version() == LATEST_VERSION
    with pytest.raises(InputError) as err:
        store.migrate(target=LATEST_VERSION + 1)
    assert err.value.field == "target" and "没有结构版本" in err.value.message
    for revision in (migrations.revision_of(LATEST_VERSION + 1), "ae1027a6acf"):
        with store.writing() as conn:
            conn.exec_driver_sql(f"UPDATE alembic_version SET version_num = '{revision}'")
        with pytest.raises(Conflict) as err:
            store.migrate()
        assert err.value.field == "schema_version" and "install" in err.value.message
    with store.writing() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = "
                             f"'{migrations.revision_of(LATEST_VERSION)}'")


# -- two processes ------------------------------------------------------------------------------

_MIGRATE = """
import json, os, sys, time
from geo.store import Store
go = sys.argv[2]
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.005)
store = Store.open(sys.argv[1])
print(json.dumps(store.migrate()), flush=True)
store.close()
"""


def _start_migrate(url: str, go: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", _MIGRATE, url, str(go)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    return proc


def _applied(proc: subprocess.Popen) -> list[int]:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def test_two_processes_started_together_migrate_once(database_url, tmp_path):
    go = tmp_path / "go"
    procs = [_start_migrate(database_url, go) for _ in range(2)]
    go.touch()  # both start migrating at once
    try:
        results = sorted(_applied(p) for p in procs)
    finally:  # a failed process must not leave the other running, nor their pipes open for later tests
        for proc in procs:
            proc.kill()
            proc.communicate()
    assert results == [[], list(range(1, LATEST_VERSION + 1))]
    store = Store.open(database_url)
    try:
        with store.reading() as conn:
            assert _history(conn) == (list(range(1, LATEST_VERSION + 1)),
                                      [migrations.revision_of(LATEST_VERSION)])
    finally:
        store.close()


def test_a_new_sqlite_file_enters_wal_once_another_connection_lets_go(tmp_path):
    """Two processes opening a new file at once: the second's switch to WAL is refused at once ("database
    is locked", without the busy handler) while the first holds the file; it is tried again, not raised."""
    from geo.store.store import _enter_wal

    path = tmp_path / "new.db"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    opener = sqlite3.connect(path, isolation_level=None, timeout=0)  # no busy wait: refused at once
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            _enter_wal(opener.cursor(), wait_s=0.2)  # never let go: refused once the wait is over
        release = threading.Timer(0.3, lambda: holder.execute("COMMIT"))
        release.start()
        _enter_wal(opener.cursor(), wait_s=10)
        release.join()
        assert opener.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        opener.close()
        holder.close()


def _waiting_for_the_lock(store: Store, proc: subprocess.Popen) -> bool:
    if store.dialect == "postgresql":
        with store.engine.connect() as conn:
            return bool(conn.exec_driver_sql(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            ).scalar())
    lock = Path(store.engine.url.database).resolve()
    inode = os.stat(lock.with_name(lock.name + ".migrate.lock")).st_ino
    return any("->" in line and f" {proc.pid} " in line and f":{inode} " in line
               for line in Path("/proc/locks").read_text().splitlines())


def test_a_second_migrate_waits_for_the_lock(database_url, tmp_path):
    """While one process holds the migration lock, another's migrate waits and changes nothing."""
    store = Store.open(database_url)
    go = tmp_path / "go"
    try:
        with migrations.exclusive(store):
            go.touch()
            proc = _start_migrate(database_url, go)
            for _ in range(6000):  # until the other process is seen queued on the lock
                if _waiting_for_the_lock(store, proc) or proc.poll() is not None:
                    break
                time.sleep(0.01)
            assert proc.poll() is None, proc.communicate()
            assert _waiting_for_the_lock(store, proc)
            assert store.schema_version() == 0  # it has not migrated behind the lock's back
        assert _applied(proc) == list(range(1, LATEST_VERSION + 1))
        assert store.schema_version() == LATEST_VERSION
    finally:
        store.close()


def test_revision_15_gives_each_stored_lookup_its_plates_district_and_drops_those_of_no_plate(database_url):
    """Outside review (#19 slice 2): the lookups stored before revision 15 get their plate's district, and
    a lookup of no plate (a derived row of nothing) is dropped."""
    store = Store.open(database_url)
    try:
        store.migrate(target=14)
        with store.writing() as conn:
            write_rows_at(conn, 14)  # a door plate XC0000001 of 150102 among the rest
            for uid in ("XC0000001", "GONE0001"):
                conn.execute(sa.text("INSERT INTO plate_lookups (plate_uid, seq, computed_at) "
                                     "VALUES (:u, 1, CURRENT_TIMESTAMP)"), {"u": uid})
        store.migrate()
        with store.reading() as conn:
            rows = conn.execute(sa.text("SELECT plate_uid, adcode FROM plate_lookups")).all()
        assert [tuple(r) for r in rows] == [("XC0000001", "150102")]
    finally:
        store.close()
