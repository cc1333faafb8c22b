"""Public door-plate lookup under concurrent load on the real server (loopback), vs /api/health.

Starts `xincheng serve` in its own process on a fresh sample database, then sends a bounded number
of requests from a thread pool: the JSON plate lookup and, in the same run, the trivial health
endpoint. Prints throughput, p50 and p99 latency, and their ratios.
Run: .venv/bin/python benchmarks/bench_lookup.py [--requests 3000] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np

from geo.plates.codes import PlateSigner
from geo.store import Store

SECRET = "benchmark-secret-" + "x" * 32


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _load(base: str, paths: list[str], concurrency: int) -> tuple[float, np.ndarray, int]:
    """Send every path once from ``concurrency`` threads; return (seconds, latencies, errors)."""
    lat = np.zeros(len(paths))
    errors = 0

    def one(i_path):
        i, path = i_path
        t0 = time.perf_counter()
        r = client.get(path)
        lat[i] = time.perf_counter() - t0
        return r.status_code

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    with httpx.Client(base_url=base, limits=limits, timeout=30) as client, ThreadPoolExecutor(concurrency) as pool:
        for _ in pool.map(one, list(enumerate(paths[: concurrency * 2]))):  # warm-up connections
            pass
        t0 = time.perf_counter()
        codes = list(pool.map(one, list(enumerate(paths))))
        elapsed = time.perf_counter() - t0
    errors = sum(c != 200 for c in codes)
    return elapsed, lat, errors


def main() -> None:
    """Run the load and print throughput and latency for lookup and health."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{Path(tmp) / 'bench.db'}"
        env = {**os.environ, "XINCHENG_DATABASE_URL": db, "XINCHENG_SECRET_KEY": SECRET,
               "XINCHENG_PUBLIC_RATE_PER_MINUTE": "100000000"}
        cli = [sys.executable, "-m", "api.cli"]
        subprocess.run([*cli, "init"], env=env, check=True, capture_output=True)
        store = Store.open(db)
        uids = [p["plate_uid"] for p in store.select("door_plates", limit=5000)]
        store.close()
        signer = PlateSigner.from_setting("", fallback_secret=SECRET)
        rng = np.random.default_rng(1)
        lookups = [f"/api/plates/lookup/{signer.code(uids[i])}" for i in rng.integers(len(uids), size=args.requests)]
        port = _port()
        server = subprocess.Popen([*cli, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 60
            while True:
                try:
                    if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.time() > deadline:
                    raise RuntimeError("the server did not start")
                time.sleep(0.2)
            httpx.get(base + lookups[0], timeout=60)  # build the lookup context once
            results = {}
            for name, paths in (("health", ["/api/health"] * args.requests), ("lookup", lookups)):
                results[name] = _load(base, paths, args.concurrency)
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"real server on loopback, 1 worker, {args.requests} requests each, {args.concurrency} concurrent clients")
    for name, (elapsed, lat, errors) in results.items():
        print(f"  {name:7s}: {args.requests / elapsed:7.0f} req/s, p50 {1e3 * np.percentile(lat, 50):6.2f} ms, "
              f"p99 {1e3 * np.percentile(lat, 99):6.2f} ms, errors {errors}")
    (th, lh, _), (tl, ll, _) = results["health"], results["lookup"]
    print(f"  lookup / health: throughput {th / tl:.2f} (lookup req/s over health req/s), "
          f"p50 latency {np.percentile(ll, 50) / np.percentile(lh, 50):.2f}x, "
          f"p99 latency {np.percentile(ll, 99) / np.percentile(lh, 99):.2f}x")


if __name__ == "__main__":
    main()
