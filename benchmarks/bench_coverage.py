"""15-minute coverage speed: the whole sample district, the solver core, attachment, and 1M edges.

Prints medians and ratios against references run on the same data in the same run:
scipy.sparse.csgraph's multi-source Dijkstra (same graph, same cut-off), networkx including its
graph building, and a plain shapely nearest-edge + line_locate_point loop for attachment.
Run: .venv/bin/python benchmarks/bench_coverage.py [--repeat 5] [--skip-scale]
"""

from __future__ import annotations

import argparse
import statistics
import time

import networkx as nx
import numpy as np
import shapely
from scipy.sparse.csgraph import dijkstra

from data.sample_district import make_sample_district
from geo import crs as C
from geo.planning.coverage import (
    ELDER_CARE_KINDS,
    WalkParams,
    coverage_by_unit,
    plate_access,
    walk_network_from_streets,
)
from geo.planning.network import (
    attach_points,
    build_walk_network,
    edge_lines,
    nearest_source,
    node_distances,
)
from geo.planning.network.nearest import augmented

REACH_M = WalkParams().reach_m


def _median(func, repeat: int, number: int = 1) -> float:
    """Return the median over ``repeat`` samples of the time per call, each sample timing ``number`` calls."""
    func()  # warm-up: first-touch allocations and imports are not what is measured
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            func()
        times.append((time.perf_counter() - t0) / number)
    return statistics.median(times)


def _calls_per_sample(func, seconds: float = 0.05) -> int:
    """Return how many calls make a sample of about ``seconds``, so sub-millisecond calls time steadily."""
    t0 = time.perf_counter()
    func()
    return max(1, int(seconds / max(time.perf_counter() - t0, 1e-6)))


def _xy(frame) -> np.ndarray:
    return shapely.get_coordinates(C.to_metric(np.asarray(frame.geometry.values, dtype=object)))


def _networkx_solve(lines, net, src, tgt) -> np.ndarray:
    """Reference: networkx graph built from the same lines (noded at shared vertices), same cut-off."""
    g = nx.Graph()
    for line in lines:
        c = np.round(shapely.get_coordinates(line) / 0.01).astype(np.int64)
        xy = shapely.get_coordinates(line)
        for i in range(len(c) - 1):
            a, b = (int(c[i, 0]), int(c[i, 1])), (int(c[i + 1, 0]), int(c[i + 1, 1]))
            w = float(np.hypot(*(xy[i + 1] - xy[i])))
            if a != b and (not g.has_edge(a, b) or g[a][b]["weight"] > w):
                g.add_edge(a, b, weight=w)
    def key(n: int) -> tuple[int, int]:
        return tuple(np.round(net.node_xy[n] / 0.01).astype(np.int64).tolist())

    sources = []
    for i in np.flatnonzero(src.attached):
        e = src.edge[i]
        g.add_edge(("s", i), key(net.edge_u[e]), weight=src.offset_m[i] + src.t[i] * net.edge_len_m[e])
        g.add_edge(("s", i), key(net.edge_v[e]), weight=src.offset_m[i] + (1 - src.t[i]) * net.edge_len_m[e])
        sources.append(("s", i))
    dist = nx.multi_source_dijkstra_path_length(g, sources, cutoff=REACH_M, weight="weight")
    e = tgt.edge[tgt.attached]
    du = np.array([dist.get(key(n), np.inf) for n in net.edge_u[e]])
    dv = np.array([dist.get(key(n), np.inf) for n in net.edge_v[e]])
    return np.minimum(du + tgt.t[tgt.attached] * net.edge_len_m[e], dv + (1 - tgt.t[tgt.attached]) * net.edge_len_m[e])


def _core_vs_scipy(label: str, net, src, tgt, repeat: int) -> None:
    """Core (augment with partial-edge sources + Dijkstra) vs scipy's multi-source Dijkstra on the same graph.

    Both answer the same question: distance and nearest source per node (return_predecessors=True).
    """
    idx = np.flatnonzero(src.attached)
    graph, virtual = augmented(net, src, idx)

    def core() -> None:
        node_distances(net, src, idx, limit_m=REACH_M)

    def scipy_alone() -> None:
        dijkstra(graph, directed=True, indices=virtual, min_only=True, limit=REACH_M, return_predecessors=True)

    number = _calls_per_sample(scipy_alone)
    t_core = _median(core, repeat, number)
    t_scipy = _median(scipy_alone, repeat, number)
    t_all = _median(lambda: nearest_source(net, src, tgt, limit_m=REACH_M), repeat)
    print(f"  [{label}: {net.n_edges:,} edges, {int(tgt.attached.sum()):,} plates, {len(idx)} stations]")
    print(f"    shortest-path core {t_core * 1e3:.3f} ms vs scipy multi-source Dijkstra {t_scipy * 1e3:.3f} ms "
          f"(same graph, same cut-off): ratio {t_core / t_scipy:.2f}x (target <= 1.5x); "
          f"with per-plate resolution {t_all * 1e3:.1f} ms")


def compare_solvers(label: str, lines, src_xy, tgt_xy, repeat: int) -> None:
    """Print ours vs scipy alone (same augmented graph, same cut-off) and vs networkx with building."""
    net = build_walk_network(lines)
    src = attach_points(net, src_xy, max_attach_m=150)
    tgt = attach_points(net, tgt_xy, max_attach_m=150)
    _core_vs_scipy(label, net, src, tgt, repeat)
    t_build = _median(lambda: nearest_source(build_walk_network(lines), src, tgt, limit_m=REACH_M), repeat)
    t_nx = _median(lambda: _networkx_solve(lines, net, src, tgt), max(1, repeat // 2))
    print(f"    with graph building from the lines: ours {t_build * 1e3:.1f} ms, networkx {t_nx * 1e3:.1f} ms: "
          f"networkx / ours = {t_nx / t_build:.1f}x (target >= 20x)")


def bench_district(repeat: int) -> None:
    """Time the whole district; compare the solver with scipy and networkx on it and a bigger grid."""
    d = make_sample_district()
    plates, units = d["door_plates"], d["admin_units"]
    f = d["facilities"]
    care = f[f["kind"].isin(ELDER_CARE_KINDS)].reset_index(drop=True)

    def whole() -> None:
        net = walk_network_from_streets(d["streets"])
        acc = plate_access(net, plates, care)
        coverage_by_unit(acc, plates, units)

    t_whole = _median(whole, repeat)
    print(f"sample district: {len(plates)} plates, {len(care)} stations")
    print(f"  whole district (network, attach every plate, solve, aggregate): {t_whole:.3f} s  (target < 1 s)")
    lines = shapely.get_parts(C.to_metric(np.asarray(d["streets"][d["streets"]["walkable"]].geometry.values,
                                                      dtype=object)))
    compare_solvers("sample district", lines, _xy(care), _xy(plates), repeat)
    rng = np.random.default_rng(9)
    grid = _grid_lines(224, 60.0)
    extent = 223 * 60.0
    compare_solvers("generated grid", grid, rng.uniform(0, extent, (20, 2)), rng.uniform(0, extent, (50_000, 2)),
                    repeat)


def bench_attach(repeat: int) -> None:
    """Attach 100,000 points: vectorised vs a plain shapely nearest + line_locate_point loop."""
    d = make_sample_district()
    net = walk_network_from_streets(d["streets"])
    rng = np.random.default_rng(1)
    pts = net.node_xy[rng.integers(net.n_nodes, size=100_000)] + rng.normal(0, 30, (100_000, 2))
    t_ours = _median(lambda: attach_points(net, pts, max_attach_m=150), repeat)
    lines = edge_lines(net)
    tree = shapely.STRtree(lines)
    sample = pts[:10_000]

    def loop() -> None:
        for x, y in sample:
            p = shapely.Point(x, y)
            line = lines[tree.nearest(p)]
            line.line_locate_point(p)
            p.distance(line)

    t_loop = _median(loop, max(1, repeat // 2)) * 10
    print(f"attach 100,000 points: ours {t_ours:.3f} s (target < 0.3 s); shapely loop {t_loop:.2f} s "
          f"(timed on 10,000, scaled); loop / ours = {t_loop / t_ours:.1f}x")


def _grid_lines(n: int, spacing: float) -> np.ndarray:
    xs = np.arange(n) * spacing
    rows = [shapely.LineString(np.column_stack([xs, np.full(n, y)])) for y in xs]
    cols = [shapely.LineString(np.column_stack([np.full(n, x), xs])) for x in xs]
    return np.array(rows + cols, dtype=object)


def bench_scale(repeat: int) -> None:
    """A generated network of about 1,000,000 edges with 100,000 plates and 50 stations, end to end."""
    n = 708
    lines = _grid_lines(n, 60.0)
    rng = np.random.default_rng(5)
    extent = (n - 1) * 60.0
    plates = rng.uniform(0, extent, (100_000, 2))
    stations = rng.uniform(0, extent, (50, 2))

    def end_to_end() -> None:
        net = build_walk_network(lines)  # a fresh network: its edge index is built inside attach
        src = attach_points(net, stations, max_attach_m=150)
        tgt = attach_points(net, plates, max_attach_m=150)
        dist, _ = nearest_source(net, src, tgt, limit_m=REACH_M)
        (dist <= REACH_M).mean()

    net = build_walk_network(lines)
    t = _median(end_to_end, repeat)
    print(f"scale: {net.n_edges:,} edges, {net.n_nodes:,} nodes, 100,000 plates, 50 stations: "
          f"end to end {t:.2f} s (target < 2 s)")
    _core_vs_scipy("1M-edge grid", net, attach_points(net, stations, max_attach_m=150),
                   attach_points(net, plates, max_attach_m=150), repeat)


def main() -> None:
    """Run every benchmark and print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-scale", action="store_true")
    args = parser.parse_args()
    bench_district(args.repeat)
    bench_attach(args.repeat)
    if not args.skip_scale:
        bench_scale(args.repeat)


if __name__ == "__main__":
    main()
