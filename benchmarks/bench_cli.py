"""How long the planner waits for the ``xincheng`` command, timed as whole processes.

``xincheng --help`` and every subcommand's ``--help`` against ``python -c pass`` in the same run
(goal ≤ 0.3 s each), then ``xincheng siting --k 3`` and ``xincheng report plan.html`` on a fresh
sample database (goal ≤ 2 s each). Each figure is the median of --repeat runs; the CPU time the
process used (user + system) is shown beside the wall time, since wall time on a busy machine
includes waiting for a core. Last, the same report as a planner fetches it from the running service
(``GET /api/planning/report?format=html&k=5``, `xincheng serve` in its own process): the first request
after the server starts, then the median of --repeat more, against the command's median.

Run: .venv/bin/python -m benchmarks.bench_cli [--repeat 5] [--database-url sqlite:///var/xincheng.db]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file (python benchmarks/bench_cli.py): find the sibling module
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HELP_GOAL_S = 0.3
PLANNING_GOAL_S = 2.0


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run ``command`` once; return (wall seconds, CPU seconds of the child); fail loudly if it fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}): {result.stderr[-500:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def median_of(command: list[str], env: dict[str, str], repeat: int) -> tuple[float, float]:
    """Return the median wall and CPU seconds of ``repeat`` runs."""
    runs = [timed(command, env) for _ in range(repeat)]
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)


def subcommands(env: dict[str, str]) -> list[list[str]]:
    """Return every command path (``["gazetteer", "search"]`` …) of the ``xincheng`` group."""
    code = ("import click, json; from api.cli import main\n"
            "def walk(group, prefix):\n"
            "    for name, cmd in sorted(group.commands.items()):\n"
            "        yield prefix + [name]\n"
            "        if isinstance(cmd, click.Group):\n"
            "            yield from walk(cmd, prefix + [name])\n"
            "print(json.dumps(list(walk(main, []))))")
    import json

    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return [list(p) for p in json.loads(out.stdout)]


def row(name: str, wall: float, cpu: float, *, reference: float, goal: float) -> str:
    """Return one printed line: wall, CPU, the ratio to the reference and to the goal."""
    verdict = "ok" if wall <= goal else "over"
    return (f"  {name:<34} {wall:7.3f} s  cpu {cpu:6.3f} s  {wall / reference:6.1f}x python -c pass  "
            f"{wall / goal:5.2f}x goal {verdict}")


def main() -> None:
    """Time the help pages, then the two planning commands; print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default=None,
                        help="database for siting and report (default: a fresh sample SQLite file)")
    parser.add_argument("--skip-planning", action="store_true")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("XINCHENG_")}
    cli = [sys.executable, "-m", "api.cli"]
    reference, reference_cpu = median_of([sys.executable, "-c", "pass"], env, args.repeat)
    print(f"medians of {args.repeat} runs; python -c pass: {reference:.3f} s (cpu {reference_cpu:.3f} s); "
          f"goals: --help ≤ {HELP_GOAL_S} s, siting and report ≤ {PLANNING_GOAL_S} s")
    worst = 0.0
    for path in [[], *subcommands(env)]:
        wall, cpu = median_of([*cli, *path, "--help"], env, args.repeat)
        worst = max(worst, wall)
        print(row(" ".join(["xincheng", *path, "--help"]), wall, cpu, reference=reference, goal=HELP_GOAL_S))
    print(f"  slowest --help: {worst:.3f} s = {worst / HELP_GOAL_S:.2f}x the goal")
    if args.skip_planning:
        return
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        run_env = {**env, "XINCHENG_DATABASE_URL": url, "XINCHENG_DEV_MODE": "1"}
        if args.database_url is None:
            subprocess.run([*cli, "init"], env=run_env, check=True, capture_output=True)
        walls = {}
        for name, command in (("xincheng siting --k 3", ["siting", "--k", "3"]),
                              ("xincheng report plan.html", ["report", str(Path(tmp) / "plan.html")])):
            wall, cpu = median_of([*cli, *command], run_env, args.repeat)
            walls[name] = wall
            print(row(name, wall, cpu, reference=reference, goal=PLANNING_GOAL_S))
        served(url, env, repeat=args.repeat, command_s=walls["xincheng report plan.html"])


def served(url: str, env: dict[str, str], *, repeat: int, command_s: float) -> None:
    """Time the report as the service answers it to a planner: first request, then the median of ``repeat``."""
    import httpx

    from benchmarks.servers import running_server

    name, password = "bench-planner", "bench-planner-password-1"
    subprocess.run([sys.executable, "-m", "api.cli", "--database-url", url, "user", "add", name, "--role", "planner",
                    "--password-stdin"], input=password, env=env, text=True, check=True, capture_output=True)
    with running_server(url) as base:
        login = httpx.post(f"{base}/api/auth/login", json={"username": name, "password": password}, timeout=60)
        login.raise_for_status()
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}

        def fetch() -> float:
            start = time.perf_counter()
            answer = httpx.get(f"{base}/api/planning/report", params={"format": "html", "k": 5}, headers=headers,
                               timeout=300)
            answer.raise_for_status()
            return time.perf_counter() - start

        first = fetch()
        warm = statistics.median(fetch() for _ in range(repeat))
    for label, wall in (("served report, first request", first), ("served report, again (median)", warm)):
        print(f"  {label:<34} {wall:7.3f} s  {wall / command_s:5.2f}x the command  "
              f"{wall / PLANNING_GOAL_S:5.2f}x goal {'ok' if wall <= PLANNING_GOAL_S else 'over'}")


if __name__ == "__main__":
    main()
