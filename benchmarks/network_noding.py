"""Walking-network build time: noding by distance tolerance against the grid rounding it replaced (#18).

Times :func:`geo.planning.network.build_walk_network` on the sample district's walkable streets, a
generated 100,000-edge grid and a 1,000,000-edge grid, and the reference: the same build with the
rule before issue #18 (vertices rounded to a 1 cm grid, one node per grid cell), run on the same
lines in the same run. The generated grids sit at real EPSG:4546 magnitudes with every crossing moved
by up to 0.5 m at random, so their vertices fall anywhere within the cells. Goal: ours / reference
≤ 1.10 (medians of samples timed in turn). It also prints how many nodes each rule made (equal unless
vertices lie within 1 cm of each other or of a grid-cell edge).

Run: .venv/bin/python benchmarks/network_noding.py [--repeat 7] [--skip-scale]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import shapely

if __package__ in (None, ""):  # run as a file: find the project's packages
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data.sample_district import make_sample_district
from geo import crs as C
from geo.planning.network import NODE_SNAP_M, build_walk_network


def _interleaved_s(funcs: list[Callable[[], object]], repeat: int) -> list[np.ndarray]:
    """Return ``repeat`` samples of seconds per call for each of ``funcs``, timed in turn within each sample.

    Interleaving makes both rules meet the same load on a shared machine, so their ratio per sample
    is steadier than the ratio of two separate medians.
    """
    numbers = []
    for func in funcs:
        func()  # warm-up
        t0 = time.perf_counter()
        func()
        numbers.append(max(1, int(0.05 / max(time.perf_counter() - t0, 1e-6))))  # sub-ms calls: several per sample
    times: list[list[float]] = [[] for _ in funcs]
    for _ in range(repeat):
        for func, number, out in zip(funcs, numbers, times, strict=True):
            t0 = time.perf_counter()
            for _ in range(number):
                func()
            out.append((time.perf_counter() - t0) / number)
    return [np.array(t) for t in times]


def grid_rounding_build(lines_m: np.ndarray, *, snap_m: float = NODE_SNAP_M) -> tuple[int, int, sp.csr_matrix]:
    """Reference: the build before issue #18 (one node per 1 cm grid cell); return (nodes, edges, graph)."""
    coords, line_idx = shapely.get_coordinates(lines_m, return_index=True)
    keys = np.round(coords / snap_m).astype(np.int64)
    keys -= keys.min(axis=0)
    span = int(keys[:, 1].max()) + 1
    uniq, node_of = np.unique(keys[:, 0] * span + keys[:, 1], return_inverse=True)
    node_of = node_of.ravel()
    node_xy = np.zeros((len(uniq), 2))
    node_xy[node_of] = coords
    same_line = line_idx[:-1] == line_idx[1:]
    u, v = node_of[:-1][same_line], node_of[1:][same_line]
    length = np.hypot(*(coords[1:][same_line] - coords[:-1][same_line]).T)
    keep = u != v
    u, v, length = u[keep], v[keep], length[keep]
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    order = np.lexsort((length, hi, lo))
    lo, hi, length = lo[order], hi[order], length[order]
    first = np.ones(len(lo), dtype=bool)
    first[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
    lo, hi, length = lo[first], hi[first], length[first]
    n = len(uniq)
    graph = sp.csr_matrix((np.concatenate([length, length]), (np.concatenate([lo, hi]), np.concatenate([hi, lo]))),
                          shape=(n, n))
    return n, len(lo), graph


def jittered_grid(n: int, spacing_m: float, *, seed: int = 3) -> np.ndarray:
    """Return n rows and n columns of streets crossing at shared, randomly moved vertices (EPSG:4546 scale)."""
    rng = np.random.default_rng(seed)
    base = np.arange(n) * spacing_m
    x = 480_000.0 + base[None, :] + rng.uniform(-0.5, 0.5, (n, n))
    y = 4_520_000.0 + base[:, None] + rng.uniform(-0.5, 0.5, (n, n))
    xy = np.stack([x, y], axis=-1)  # xy[i, j]: the crossing of row i and column j
    rows = shapely.linestrings(xy)
    cols = shapely.linestrings(xy.transpose(1, 0, 2))
    return np.concatenate([rows, cols])


def compare(label: str, lines: np.ndarray, repeat: int) -> None:
    """Print both rules' medians and node/edge counts on ``lines``."""
    net = build_walk_network(lines)
    n_ref, m_ref, _graph = grid_rounding_build(lines)
    ours, ref = _interleaved_s([lambda: build_walk_network(lines), lambda: grid_rounding_build(lines)], repeat)
    t_ours, t_ref = statistics.median(ours), statistics.median(ref)
    print(f"  [{label}: {len(lines):,} lines, {net.n_nodes:,} nodes / {net.n_edges:,} edges "
          f"(grid rounding: {n_ref:,} / {m_ref:,})]")
    print(f"    build: ours {t_ours * 1e3:.2f} ms, grid rounding {t_ref * 1e3:.2f} ms: "
          f"ours / reference = {t_ours / t_ref:.2f}x, median of per-sample ratios "
          f"{statistics.median(ours / ref):.2f}x (target <= 1.10x)")


def main() -> None:
    """Run the comparisons and print medians and ratios."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--skip-scale", action="store_true", help="leave out the 1,000,000-edge grid")
    args = parser.parse_args()
    d = make_sample_district()
    streets = d["streets"][d["streets"]["walkable"]]
    lines = shapely.get_parts(C.to_metric(np.asarray(streets.geometry.values, dtype=object)))
    print(f"walking-network build, tolerance {NODE_SNAP_M * 100:g} cm, medians of {args.repeat}")
    compare("sample district", np.asarray(lines, dtype=object), args.repeat)
    compare("jittered grid 224 x 224", jittered_grid(224, 60.0), args.repeat)
    if not args.skip_scale:
        compare("jittered grid 708 x 708", jittered_grid(708, 60.0), max(3, args.repeat // 2))


if __name__ == "__main__":
    main()
