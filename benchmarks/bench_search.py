"""Gazetteer search latency on the sample gazetteer and on one 10x larger: median and p99.

The reference is a plain dictionary lookup of the exact name, timed on the same queries in the
same run. Queries mix exact Chinese, prefixes, full pinyin, initials and typos.
Run: .venv/bin/python benchmarks/bench_search.py
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from data.sample_district import make_sample_district
from geo.placenames.romanize import initials, toneless_key
from geo.placenames.search import NameIndex

SUFFIXES = ("", "东", "西", "南", "北", "新", "前", "后", "中", "上")


def _gazetteer(scale: int) -> list[dict]:
    base = make_sample_district()["place_names"]["standard_name"].tolist()
    names = []
    for k in range(scale):
        for n in base:
            name = n if k == 0 else n[:-1] + SUFFIXES[k] + n[-1]
            names.append({"id": len(names) + 1, "standard_name": name, "status": "in_force"})
    return names


def _queries(names: list[dict], rng: np.random.Generator, count: int = 2000) -> list[str]:
    picks = [names[i]["standard_name"] for i in rng.integers(len(names), size=count)]
    out = []
    for i, n in enumerate(picks):
        kind = i % 5
        if kind == 0:
            out.append(n)
        elif kind == 1:
            out.append(n[:2])
        elif kind == 2:
            out.append(toneless_key(n))
        elif kind == 3:
            out.append(initials(n))
        else:
            key = toneless_key(n)
            j = int(rng.integers(1, max(2, len(key) - 1)))
            out.append(key[:j] + key[j + 1:])  # one letter dropped
    return out


def _latencies(func, queries: list[str]) -> np.ndarray:
    times = []
    for q in queries:
        t0 = time.perf_counter()
        func(q)
        times.append(time.perf_counter() - t0)
    return np.array(times)


def main() -> None:
    """Print median and p99 latency and the ratio to a dict lookup, for 1x and 10x gazetteers."""
    rng = np.random.default_rng(4)
    for scale in (1, 10):
        names = _gazetteer(scale)
        t0 = time.perf_counter()
        index = NameIndex(names)
        build = time.perf_counter() - t0
        exact = {n["standard_name"]: n["id"] for n in names}
        queries = _queries(names, rng)
        index.search(queries[0])
        ours = _latencies(lambda q, index=index: index.search(q, limit=10), queries)
        ref = _latencies(exact.get, queries)
        found = sum(bool(index.search(q, limit=10)) for q in queries) / len(queries)
        print(f"{len(names):,} names (x{scale}), index built in {build:.2f} s, {len(queries)} mixed queries, "
              f"{100 * found:.1f}% answered")
        print(f"  search: median {1e3 * statistics.median(ours):.3f} ms, p99 {1e3 * np.percentile(ours, 99):.3f} ms")
        print(f"  dict lookup of the exact name: median {1e6 * statistics.median(ref):.2f} µs, "
              f"p99 {1e6 * np.percentile(ref, 99):.2f} µs")
        print(f"  ratio (median): {statistics.median(ours) / statistics.median(ref):,.0f}x")


if __name__ == "__main__":
    main()
