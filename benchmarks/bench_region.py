"""A region in one PostGIS database (#19 item 6): N synthetic districts against the one sample district.

In one run, on this machine, with the same code:

1. **Load**: a fresh database, ``xincheng region load --districts N --plates-per-district P`` (the normal
   import path, one transaction per district): seconds, plates, database size; the one-district
   reference is ``xincheng init`` of the sample.
2. **QR lookups under load**: ``xincheng serve`` on loopback and Debian's ``wrk`` (another process,
   scripts/ensure-loadgen.sh) asking ``/api/plates/lookup/{code}`` for plates picked at random from every
   district (a city-wide scan: the server's own district is one of N), against the same on the
   one-district database. Goal: p99 within 1.5x.
3. **City-wide name search**: PN-07's duplicate check of a name reads the names of that text or key among
   the streets, residential areas and buildings of every district of the city (``xincheng_city_names``):
   p50/p99 of that read for one name from a district's transaction, and the name search endpoint under
   wrk. Goal: p99 ≤ 10 ms.
4. **OGC bbox**: ``/ogc/collections/door_plates/items?bbox=…&district=…`` for boxes of ~500 m in random
   districts, under wrk, against the same on the one-district database.
5. **Refresh**: ``xincheng refresh`` of every district on a LocalCluster of 1 and of 2 Dask workers (goal:
   ≥ 1.7x on 2 cores) and the projection to a national run (~2,850 districts) on W machines.
6. **Memory**: one API worker's resident memory idle, after lookups in every district, and after the
   coverage of several districts, against the same on one district. Goal: ≤ 1.5x.

Figures are medians over --repeat runs. At the defaults (100 districts, ~35,000 plates each, ~3.5M
plates) the load takes the longest (tens of minutes); ``--reuse NAME`` measures an already loaded
database (``--keep`` keeps the one made).

Run: scripts/ensure-loadgen.sh && .venv/bin/python -m benchmarks.bench_region
     [--postgis postgresql://postgres@127.0.0.1:5432/postgres] [--districts 100] [--plates-per-district 35000]
     [--duration 10] [--repeat 3] [--keep] [--reuse xc_bench_region] [--skip-refresh]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import sqlalchemy as sa

if __package__ in (None, ""):  # run as a file: find the sibling modules
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_lookup import WRK_SCRIPT
from benchmarks.servers import CLI, SECRET, postgis_database, postgis_reachable, server_env, serving_process
from geo.errors import Conflict
from geo.placenames.lifecycle import names_to_compare
from geo.plates.codes import PlateSigner
from geo.store import Store
from geo.users import create_user

P99_GOAL = 1.5           # region lookup p99 over the one district's, at most
SEARCH_P99_GOAL_MS = 10  # city-wide name read, p99
SPEED_UP_GOAL = 1.7      # 2 Dask workers over 1
MEMORY_GOAL = 1.5        # API worker RSS, region over one district
NATIONAL_DISTRICTS = 2850
PLANNER = ("bench-planner", "bench-planner-password-1")


# -- databases ------------------------------------------------------------------------------------

def timed_cli(url: str, *args: str) -> float:
    """Run ``xincheng ARGS`` against ``url`` (its progress bars to this terminal); return its seconds."""
    started = time.perf_counter()
    subprocess.run([*CLI, *args], env=server_env(url), check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def database_facts(url: str) -> dict[str, float]:
    """Return the plates, districts and size (MB) of the database at ``url`` (read as the owner)."""
    engine = sa.create_engine(sa.make_url(url).set(drivername="postgresql+psycopg"))
    with engine.connect() as conn:
        plates = conn.exec_driver_sql("SELECT count(*) FROM door_plates").scalar_one()
        districts = conn.exec_driver_sql(
            "SELECT count(*) FROM admin_units WHERE code = adcode || '000000' AND status <> 'neighbour'").scalar_one()
        size = conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar_one()
    engine.dispose()
    return {"plates": plates, "districts": districts, "size_mb": size / 2**20}


def districts_of(url: str) -> list[str]:
    """The districts held, by code."""
    engine = sa.create_engine(sa.make_url(url).set(drivername="postgresql+psycopg"))
    with engine.connect() as conn:
        codes = list(conn.exec_driver_sql(
            "SELECT adcode FROM admin_units WHERE code = adcode || '000000' AND status <> 'neighbour' "
            "ORDER BY adcode").scalars())
    engine.dispose()
    return codes


def add_planner(url: str, home: str, districts: list[str]) -> None:
    """A planner account acting for every district (for the coverage requests of the memory figure)."""
    store = Store.open(url, adcode=home)
    try:
        create_user(store, PLANNER[0], PLANNER[1], "planner", actor="benchmark", adcodes=districts)
    except Conflict:
        pass  # a kept database measured again (--reuse): the account is there
    finally:
        store.close()


# -- requests -------------------------------------------------------------------------------------

def lookup_paths(url: str, *, limit: int = 20000, seed: int = 7) -> list[str]:
    """Signed lookup paths of up to ``limit`` active plates picked at random from every district."""
    engine = sa.create_engine(sa.make_url(url).set(drivername="postgresql+psycopg"))
    with engine.connect() as conn:
        uids = list(conn.exec_driver_sql(
            f"SELECT plate_uid FROM door_plates WHERE status = 'active' ORDER BY random() LIMIT {limit}").scalars())
    engine.dispose()
    random.Random(seed).shuffle(uids)
    signer = PlateSigner.from_setting("", fallback_secret=SECRET)
    return [f"/api/plates/lookup/{signer.code(uid)}" for uid in uids]


def bbox_paths(url: str, *, count: int = 2000, seed: int = 11, half_deg: float = 0.0025) -> list[str]:
    """OGC item paths for boxes of ~500 m around random plates of random districts, naming the district."""
    engine = sa.create_engine(sa.make_url(url).set(drivername="postgresql+psycopg"))
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            f"SELECT adcode, minx, miny FROM door_plates ORDER BY random() LIMIT {count}").all()
    engine.dispose()
    picked = [tuple(r) for r in rows]
    random.Random(seed).shuffle(picked)
    return [f"/ogc/collections/door_plates/items?bbox={x - half_deg:.5f},{y - half_deg:.5f},"
            f"{x + half_deg:.5f},{y + half_deg:.5f}&limit=100&district={adcode}" for adcode, x, y in picked]


def search_paths(url: str, *, count: int = 2000, seed: int = 13) -> list[str]:
    """Name search paths: a street name's first two characters, in its own district."""
    engine = sa.create_engine(sa.make_url(url).set(drivername="postgresql+psycopg"))
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            f"SELECT adcode, standard_name FROM place_names WHERE feature_class = 'street' "
            f"ORDER BY random() LIMIT {count}").all()
    engine.dispose()
    picked = [tuple(r) for r in rows]
    random.Random(seed).shuffle(picked)
    return [f"/api/placenames/search?q={quote(name[:2])}&district={adcode}" for adcode, name in picked if name]


def city_names_latency_ms(url: str, districts: list[str], *, calls: int = 300) -> dict[str, float]:
    """p50/p99 (ms) of PN-07's read for one name (geo.placenames.lifecycle.names_to_compare: the
    district's names of that text or key, and the city's other districts' through
    ``xincheng_city_names``), for street names of random districts checked in random districts."""
    rng = random.Random(5)
    engine = sa.create_engine(sa.make_url(url).set(drivername="postgresql+psycopg"))
    with engine.connect() as conn:
        names = list(conn.exec_driver_sql(
            f"SELECT standard_name FROM place_names WHERE feature_class = 'street' "
            f"ORDER BY random() LIMIT {calls}").scalars())
    engine.dispose()
    times = []
    store = Store.open(url, adcode=districts[0])
    try:
        stores = {d: store.for_district(d) for d in districts}
        for name in names:
            district = stores[rng.choice(districts)]
            started = time.perf_counter()
            names_to_compare(district, name)
            times.append((time.perf_counter() - started) * 1000)
    finally:
        store.close()
    times.sort()
    return {"p50_ms": statistics.median(times), "p99_ms": times[int(0.99 * (len(times) - 1))]}


def rss_mb(pid: int) -> float:
    """Resident memory (MB) of process ``pid``."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# The lookup benchmark's script, with the bearer token of BENCH_AUTH (if set) on every request.
AUTHORISED_WRK_SCRIPT = WRK_SCRIPT.replace(
    "function request()",
    'local auth = os.getenv("BENCH_AUTH")\nif auth and auth ~= "" then wrk.headers["Authorization"] = auth end\n'
    "function request()", 1)


def run_wrk(base: str, paths_file: Path, script: Path, *, connections: int, duration_s: int,
            auth: str = "") -> dict[str, float]:
    """Run wrk once; return requests per second, p50 and p99 in ms, and the errors (socket and non-2xx)."""
    result = subprocess.run(
        ["wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d", f"{duration_s}s", "--timeout", "10s",
         "-s", str(script), base],
        env={"BENCH_PATHS": str(paths_file), "BENCH_AUTH": auth, "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, check=True)
    raw = json.loads(next(x for x in result.stdout.splitlines() if x.startswith("{")))
    return {"rps": raw["requests"] / (raw["duration_us"] / 1e6), "p50_ms": raw["p50_us"] / 1e3,
            "p99_ms": raw["p99_us"] / 1e3, "errors": raw["socket_errors"] + raw["non_2xx"]}


def wrk_median(base: str, paths: list[str], *, connections: int, duration_s: int, repeat: int,
               auth: str = "") -> dict[str, float]:
    """Median of ``repeat`` wrk runs over ``paths`` (requests/s, p50 and p99 in ms, errors)."""
    with tempfile.TemporaryDirectory() as folder:
        listed, script = Path(folder) / "paths.txt", Path(folder) / "pick.lua"
        listed.write_text("\n".join(paths) + "\n", encoding="utf-8")
        script.write_text(AUTHORISED_WRK_SCRIPT, encoding="utf-8")
        runs = [run_wrk(base, listed, script, connections=connections, duration_s=duration_s, auth=auth)
                for _ in range(repeat)]
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def planner_token(base: str) -> str:
    """The planner's bearer header (the OGC API's plates are for staff)."""
    answer = httpx.post(f"{base}/api/auth/login", json={"username": PLANNER[0], "password": PLANNER[1]}, timeout=30)
    answer.raise_for_status()
    return f"Bearer {answer.json()['access_token']}"


def memory_walk(base: str, districts: list[str], lookups: list[str], *, coverage_districts: int) -> None:
    """Ask for lookups across the districts, then for the coverage of several districts (as a planner)."""
    with httpx.Client(base_url=base, timeout=600) as client:
        for path in lookups[:2000]:
            client.get(path)
        headers = {"Authorization": planner_token(base)}
        for district in districts[:coverage_districts]:
            answer = client.get("/api/planning/coverage", headers={**headers, "X-Xincheng-District": district})
            if answer.status_code != 200:
                raise RuntimeError(f"coverage of {district}: HTTP {answer.status_code} {answer.text[:200]}")


# -- the run --------------------------------------------------------------------------------------

def measure_database(url: str, home: str, districts: list[str], args: argparse.Namespace) -> dict[str, Any]:
    """Every figure of one database: lookups, search, OGC under wrk; memory of one API worker."""
    lookups, boxes, searches = lookup_paths(url), bbox_paths(url), search_paths(url)
    out: dict[str, Any] = {"city_names": city_names_latency_ms(url, districts)}
    add_planner(url, home, districts)
    with serving_process(url, XINCHENG_DISTRICT=home, timeout_s=180) as (base, pid):
        time.sleep(2)
        out["rss_idle_mb"] = rss_mb(pid)
        auth = planner_token(base)
        for name, paths, token in (("lookup", lookups, ""), ("search", searches, ""), ("ogc_bbox", boxes, auth)):
            out[name] = wrk_median(base, paths, connections=args.connections, duration_s=args.duration,
                                   repeat=args.repeat, auth=token)
        out["rss_after_lookups_mb"] = rss_mb(pid)
        memory_walk(base, districts, lookups, coverage_districts=args.coverage_districts)
        out["rss_after_coverage_mb"] = rss_mb(pid)
    return out


def refresh_figures(url: str, districts: list[str], repeat: int) -> dict[str, float]:
    """Full refresh of every district on 1 and on 2 Dask workers (medians, start-up excluded)."""
    from benchmarks.bench_refresh import _on_workers

    one_start, one = _on_workers(url, districts, 1, repeat)
    two_start, two = _on_workers(url, districts, 2, repeat)
    return {"one_worker_s": one, "two_workers_s": two, "startup_s": max(one_start, two_start),
            "per_district_s": one / len(districts)}


def _row(name: str, one: float, many: float, unit: str, goal: str = "") -> str:
    ratio = many / one if one else float("nan")
    return f"{name:<34} {one:>12,.2f} {many:>12,.2f} {unit:<6} {ratio:>7.2f}x  {goal}"


def main() -> None:
    """Load, measure and print the region against the one district."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgis", default=os.environ.get("XINCHENG_TEST_POSTGIS_URL",
                                                             "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--districts", type=int, default=100)
    parser.add_argument("--plates-per-district", type=int, default=35000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--coverage-districts", type=int, default=10,
                        help="districts whose coverage the memory figure asks for")
    parser.add_argument("--keep", action="store_true", help="keep the region database")
    parser.add_argument("--reuse", help="measure this already loaded region database (its name)")
    parser.add_argument("--skip-refresh", action="store_true")
    args = parser.parse_args()
    problem = postgis_reachable(args.postgis)
    if problem:
        raise SystemExit(problem)
    if not shutil.which("wrk"):
        raise SystemExit("wrk not found: run scripts/ensure-loadgen.sh")

    with postgis_database(args.postgis, "xc_bench_one") as one_url:
        one_load_s = timed_cli(one_url, "init", "--sample")
        one_facts = database_facts(one_url)
        one = measure_database(one_url, "150102", ["150102"], args)
        one_refresh = {} if args.skip_refresh else refresh_figures(one_url, ["150102"], args.repeat)

    with ExitStack() as stack:
        if args.reuse:
            region_url = sa.make_url(args.postgis).set(database=args.reuse).render_as_string(hide_password=False)
            region_load_s = float("nan")
        else:
            region_url = stack.enter_context(postgis_database(args.postgis, "xc_bench_region", keep=args.keep))
            region_load_s = timed_cli(region_url, "region", "load", "--districts", str(args.districts),
                                      "--plates-per-district", str(args.plates_per_district), "--seed", str(args.seed))
        facts = database_facts(region_url)
        districts = districts_of(region_url)
        many = measure_database(region_url, districts[0], districts, args)
        refresh = {} if args.skip_refresh else refresh_figures(region_url, districts, 1)

    print(f"\n区域规模基准 · region scale benchmark ({facts['districts']:.0f} districts, "
          f"{facts['plates']:,.0f} plates; "
          f"one district: {one_facts['plates']:,.0f} plates); medians of {args.repeat} runs, wrk "
          f"{args.connections} connections × {args.duration} s\n")
    print(f"{'figure':<34} {'1 district':>12} {'region':>12} {'unit':<6} {'ratio':>8}  goal")
    print(_row("load (init / region load)", one_load_s, region_load_s, "s"))
    print(_row("database size", one_facts["size_mb"], facts["size_mb"], "MB"))
    print(_row("load per 1,000 plates", one_load_s / one_facts["plates"] * 1000,
               region_load_s / facts["plates"] * 1000, "s"))
    for name in ("lookup", "search", "ogc_bbox"):
        a, b = one[name], many[name]
        goal = f"≤ {P99_GOAL}x" if name == "lookup" else ""
        print(_row(f"{name} requests/s", a["rps"], b["rps"], "req/s"))
        print(_row(f"{name} p99", a["p99_ms"], b["p99_ms"], "ms", goal))
        if a["errors"] or b["errors"]:
            print(f"  ! {name}: {a['errors']:.0f} / {b['errors']:.0f} requests failed (socket errors or non-2xx)")
    a_city, b_city = one["city_names"], many["city_names"]
    print(_row("PN-07 city-wide names p50", a_city["p50_ms"], b_city["p50_ms"], "ms"))
    print(_row("PN-07 city-wide names p99", a_city["p99_ms"], b_city["p99_ms"], "ms", f"≤ {SEARCH_P99_GOAL_MS} ms"))
    for key in ("rss_idle_mb", "rss_after_lookups_mb", "rss_after_coverage_mb"):
        print(_row(f"API worker {key.removeprefix('rss_').removesuffix('_mb')}", one[key], many[key], "MB",
                   f"≤ {MEMORY_GOAL}x" if key == "rss_after_coverage_mb" else ""))
    if refresh:
        print(_row("refresh, 1 Dask worker", one_refresh["one_worker_s"], refresh["one_worker_s"], "s"))
        print(_row("refresh, 2 Dask workers", one_refresh["two_workers_s"], refresh["two_workers_s"], "s"))
        speed_up = refresh["one_worker_s"] / refresh["two_workers_s"]
        print(f"{'speed-up of 2 workers over 1':<34} {speed_up:>38.2f}x  ≥ {SPEED_UP_GOAL}x")
        per = refresh["per_district_s"]
        print(f"\n全国推算 · national projection: {NATIONAL_DISTRICTS:,} districts × {per:.2f} s per district "
              f"(this machine's one-worker figure, districts of ~{facts['plates'] / facts['districts']:,.0f} plates)")
        for machines, cores in ((1, 2), (10, 8), (50, 16)):
            hours = NATIONAL_DISTRICTS * per / (machines * cores * min(1.0, speed_up / 2)) / 3600
            print(f"  {machines:>3} machines × {cores:>2} cores: ~{hours:,.2f} h "
                  f"(parallel efficiency {min(1.0, speed_up / 2):.0%} as measured here; the database serving "
                  f"{machines * cores} writers at once is assumed not to be the bottleneck)")
    print("\n" + json.dumps({"one": one, "region": many, "refresh": refresh, "one_refresh": one_refresh}, default=str))


if __name__ == "__main__":
    main()
