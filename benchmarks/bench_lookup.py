"""Public door-plate lookup under load from wrk (outside Python), against /api/health in the same run.

For each backend (SQLite; PostGIS with --postgis URL) a fresh sample database is loaded and
`xincheng serve --workers W` started on loopback (W = 1 and 2). Debian's ``wrk`` (installed by
scripts/ensure-loadgen.sh) then runs for --duration seconds per measurement against (a)
``/api/health`` and (b) the JSON plate lookup, each request a plate picked at random from the
signed codes of every active plate (a Lua script), at 16 and 64 connections. Each figure is the
median over --repeat runs. Goals (issue #15): lookup throughput ≥ 0.8x health's, lookup p99 ≤
1.5x health's.

Run: scripts/ensure-loadgen.sh && .venv/bin/python -m benchmarks.bench_lookup
     [--duration 10] [--repeat 3] [--connections 16,64] [--workers 1,2]
     [--postgis postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

if __package__ in (None, ""):  # run as a file (python benchmarks/bench_lookup.py): find the sibling module
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.servers import SECRET, postgis_reachable, running_server, sample_database
from geo.plates.codes import PlateSigner
from geo.store import Store

LOOKUP_GOAL_THROUGHPUT = 0.8   # lookup req/s over health req/s, at least
LOOKUP_GOAL_P99 = 1.5          # lookup p99 over health p99, at most

# Each wrk thread reads the list of paths, then asks for one at random per request; `done` prints
# one JSON line with the totals and the latency percentiles (microseconds).
WRK_SCRIPT = r"""
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end
function init(args)
  math.randomseed(tonumber(seed) or 1)
end
function request()
  return wrk.format("GET", paths[math.random(#paths)])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "socket_errors": %d, "non_2xx": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def lookup_paths(database_url: str) -> list[str]:
    """Return the JSON lookup path of every active plate, with the code a printed QR carries."""
    store = Store.open(database_url)
    try:
        uids = [p["plate_uid"] for p in store.select("door_plates", where={"status": "active"})]
    finally:
        store.close()
    signer = PlateSigner.from_setting("", fallback_secret=SECRET)
    return [f"/api/plates/lookup/{signer.code(uid)}" for uid in uids]


def run_wrk(base: str, paths_file: Path, script: Path, *, connections: int, duration_s: int) -> dict[str, float]:
    """Run wrk once; return requests per second, p50 and p99 in ms, and the errors."""
    threads = min(2, connections)
    result = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration_s}s", "--timeout", "10s",
         "-s", str(script), base],
        env={"BENCH_PATHS": str(paths_file), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True, check=True)
    line = next(x for x in result.stdout.splitlines() if x.startswith("{"))
    raw = json.loads(line)
    return {"rps": raw["requests"] / (raw["duration_us"] / 1e6), "p50_ms": raw["p50_us"] / 1e3,
            "p99_ms": raw["p99_us"] / 1e3, "errors": raw["socket_errors"] + raw["non_2xx"]}


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]}


def measure(base: str, paths: list[str], *, connections: list[int], duration_s: int, repeat: int,
            folder: Path) -> list[tuple[int, dict[str, float], dict[str, float]]]:
    """Return, per connection count, the median health and lookup figures (health and lookup alternate)."""
    script = folder / "pick.lua"
    script.write_text(WRK_SCRIPT, encoding="utf-8")
    files = {"health": folder / "health.txt", "lookup": folder / "lookup.txt"}
    files["health"].write_text("/api/health\n", encoding="utf-8")
    files["lookup"].write_text("\n".join(paths) + "\n", encoding="utf-8")
    for path in paths[:200]:  # warm the server: first touches, caches, connections
        httpx.get(base + path, timeout=60)
    rows = []
    for c in connections:
        runs: dict[str, list[dict[str, float]]] = {"health": [], "lookup": []}
        for _ in range(repeat):
            for name in ("health", "lookup"):
                runs[name].append(run_wrk(base, files[name], script, connections=c, duration_s=duration_s))
        rows.append((c, _median(runs["health"]), _median(runs["lookup"])))
    return rows


def print_table(title: str, rows: list[tuple[int, dict[str, float], dict[str, float]]]) -> None:
    """Print health and lookup side by side and the ratios against the goals."""
    print(title)
    print(f"  {'conns':>5} | {'health req/s':>12} {'p50 ms':>7} {'p99 ms':>7} | {'lookup req/s':>12} {'p50 ms':>7} "
          f"{'p99 ms':>7} | {'thr ratio':>9} {'p99 ratio':>9} | errors")
    for c, h, lk in rows:
        thr, p99 = lk["rps"] / h["rps"], lk["p99_ms"] / h["p99_ms"]
        ok = "ok" if thr >= LOOKUP_GOAL_THROUGHPUT and p99 <= LOOKUP_GOAL_P99 else "MISSES GOAL"
        print(f"  {c:>5} | {h['rps']:>12.0f} {h['p50_ms']:>7.1f} {h['p99_ms']:>7.1f} | {lk['rps']:>12.0f} "
              f"{lk['p50_ms']:>7.1f} {lk['p99_ms']:>7.1f} | {thr:>8.2f}x {p99:>8.2f}x | "
              f"{int(h['errors'])}/{int(lk['errors'])} {ok}")


def main() -> None:
    """Measure every backend and worker count asked for; print one table each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the median is shown)")
    parser.add_argument("--connections", default="16,64")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--postgis", default=None, help="PostgreSQL server URL (a database is created and dropped)")
    parser.add_argument("--backends", default="sqlite,postgis")
    parser.add_argument("--reuse-port", action="store_true",
                        help="serve with --reuse-port (each worker listening on a socket of its own)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: run scripts/ensure-loadgen.sh")
    connections = [int(c) for c in args.connections.split(",")]
    workers = [int(w) for w in args.workers.split(",")]
    print(f"wrk on loopback, {args.duration} s per run, median of {args.repeat}; goals: lookup throughput "
          f"≥ {LOOKUP_GOAL_THROUGHPUT}x health's, lookup p99 ≤ {LOOKUP_GOAL_P99}x health's; "
          f"{'each worker on its own socket (--reuse-port)' if args.reuse_port else 'workers sharing one socket'}")
    for backend in args.backends.split(","):
        if backend == "postgis" and (why := postgis_reachable(args.postgis)):
            print(f"[{backend}] skipped: {why}")
            continue
        with sample_database(backend, postgis_url=args.postgis) as url, tempfile.TemporaryDirectory() as tmp:
            paths = lookup_paths(url)
            for w in workers:
                with running_server(url, workers=w, serve_args=("--reuse-port",) if args.reuse_port else ()) as base:
                    rows = measure(base, paths, connections=connections, duration_s=args.duration,
                                   repeat=args.repeat, folder=Path(tmp))
                print_table(f"[{backend}] {w} worker(s), lookups over {len(paths):,} different plates", rows)


if __name__ == "__main__":
    main()
