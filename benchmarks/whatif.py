"""Instant what-if speed: one edit answered incrementally (geo/planning/whatif.py) vs a full recomputation.

On the sample district and on the generated 1M-edge grid (benchmarks/bench_coverage.py's generator),
for each kind of edit (add, remove, move a station; close a street): the median time of
``WhatIf.apply([edit])`` against, in the same run, the full recomputation on the edited inputs —
``run_planning`` (sample) and the coverage alone (network, attachments, ``plate_access``); on the grid
the solve over the existing network (``nearest_source`` from every station, plates attached once) and,
for a closed street, the network rebuilt without it. Each pair is checked for the same covered plates.
Run: .venv/bin/python benchmarks/whatif.py [--repeat 5] [--skip-scale]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from benchmarks.bench_coverage import _grid_lines
from data.sample_district import make_sample_district
from geo import crs as C
from geo.planning.coverage import (
    ELDER_CARE_KINDS,
    WalkParams,
    attach_facilities,
    coverage_by_unit,
    plate_access,
    points_xy,
    walk_network_from_streets,
)
from geo.planning.network import attach_points, build_walk_network, nearest_source
from geo.planning.run import PlanningInputs, run_planning
from geo.planning.whatif import Edit, WhatIf

TARGET_RATIO = 4.0


def _median(func: Callable[[], object], repeat: int) -> float:
    func()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _line(label: str, edit: str, t_inc: float, refs: dict[str, float], same: bool) -> bool:
    parts = [f"{name} {t * 1e3:,.1f} ms ({t / t_inc:,.1f}x)" for name, t in refs.items()]
    worst = min(t / t_inc for t in refs.values())
    print(f"  [{label}] {edit:<13} what-if {t_inc * 1e3:,.2f} ms vs " + "; ".join(parts)
          + f"  identical: {same}  (target >= {TARGET_RATIO:g}x: {'ok' if worst >= TARGET_RATIO else 'MISSED'})")
    return same and worst >= TARGET_RATIO


def _lonlat(xy: tuple[float, float]) -> shapely.Point:
    return C.from_metric(shapely.points([xy]))[0]


def _edited(inputs: PlanningInputs, edit: Edit) -> PlanningInputs:
    fac, streets = inputs.facilities, inputs.streets
    if edit.op == "remove":
        fac = fac[fac["id"] != edit.facility_id]
    elif edit.op == "move":
        fac = fac.copy()
        fac.loc[fac["id"] == edit.facility_id, "geometry"] = _lonlat(edit.xy_m)
    elif edit.op == "add":
        new = fac[fac["kind"] == "elder_care_station"].iloc[[0]].copy()
        new["id"] = int(fac["id"].max()) + 1
        new = new.set_geometry(gpd.GeoSeries([_lonlat(edit.xy_m)], crs=fac.crs, index=new.index))
        fac = pd.concat([fac, new], ignore_index=True)
    else:
        streets = streets[streets["id"] != edit.street_id]
    return PlanningInputs(units=inputs.units, streets=streets.reset_index(drop=True), plates=inputs.plates,
                          facilities=fac.reset_index(drop=True), linear_features=inputs.linear_features,
                          graves=inputs.graves)


def _coverage_only(inputs: PlanningInputs, params: WalkParams) -> np.ndarray:
    """The coverage part of a run on ``inputs``: network, attachments, plate_access, sums per unit."""
    net = walk_network_from_streets(inputs.streets)
    care = inputs.facilities[inputs.facilities["kind"].isin(ELDER_CARE_KINDS)].reset_index(drop=True)
    plate_att = attach_points(net, points_xy(inputs.plates), max_attach_m=params.max_attach_m)
    access = plate_access(net, inputs.plates, care, params, plate_att=plate_att,
                          fac_att=attach_facilities(net, care, params))
    coverage_by_unit(access, inputs.plates, inputs.units)
    return (access["status"] == "covered").to_numpy()


def bench_sample(repeat: int) -> bool:
    """One edit of each kind on the sample district: what-if vs run_planning and vs coverage alone."""
    d = make_sample_district()
    inputs = PlanningInputs(units=d["admin_units"], streets=d["streets"].assign(id=lambda f: np.arange(1, len(f) + 1)),
                            plates=d["door_plates"], facilities=d["facilities"].assign(
                                id=lambda f: np.arange(1, len(f) + 1)),
                            linear_features=d["linear_features"], graves=d["graves"])
    params = WalkParams()
    run = run_planning(inputs, params)
    w = WhatIf.from_run(run)
    station = int(run.care_facilities["id"].iloc[len(run.care_facilities) // 2])
    plate_xy = points_xy(inputs.plates)
    # a busy street: the one with the most covered plates attached to it
    busy = np.bincount(w.edge_street[run.plate_att.edge[w.covered]]).argmax() if w.edge_street is not None else 1
    spot = tuple(plate_xy[len(plate_xy) // 3] + np.array([40.0, 25.0]))
    edits = [Edit("add", xy_m=spot), Edit("remove", facility_id=station),
             Edit("move", xy_m=spot, facility_id=station), Edit("close_street", street_id=int(busy))]
    print(f"sample district: {len(inputs.plates):,} plates, {len(run.care_facilities)} stations, "
          f"{run.network.n_edges:,} edges")
    ok = True
    for edit in edits:
        edited = _edited(inputs, edit)
        t_inc = _median(lambda e=edit: w.apply([e]), max(repeat * 4, 20))
        t_run = _median(lambda ed=edited: run_planning(ed, params), repeat)
        t_cov = _median(lambda ed=edited: _coverage_only(ed, params), repeat)
        got = w.apply([edit], keep_plates=True).covered_after
        same = bool(np.array_equal(got, _coverage_only(edited, params)))
        ok &= _line("sample", edit.op, t_inc, {"run_planning": t_run, "coverage alone": t_cov}, same)
    return ok


def bench_grid(repeat: int) -> bool:
    """One edit of each kind on the ~1M-edge grid with 100,000 plates and 50 stations."""
    n, spacing = 708, 60.0
    lines = _grid_lines(n, spacing)
    rng = np.random.default_rng(5)
    extent = (n - 1) * spacing
    plate_xy = rng.uniform(0, extent, (100_000, 2))
    fac_xy = rng.uniform(0, extent, (50, 2))
    reach, max_attach = WalkParams().reach_m, WalkParams().max_attach_m
    net = build_walk_network(lines)
    plate_att = attach_points(net, plate_xy, max_attach_m=max_attach)
    fac_att = attach_points(net, fac_xy, max_attach_m=max_attach)
    households = np.ones(len(plate_xy))
    w = WhatIf(net, plate_xy=plate_xy, plate_att=plate_att, fac_xy=fac_xy, fac_att=fac_att,
               fac_ids=np.arange(1, 51), reach_m=reach, max_attach_m=max_attach, households=households,
               residents_60plus=households * 0.4, edge_street=net.edge_line.astype(np.int64))
    print(f"1M-edge grid: {net.n_edges:,} edges, {net.n_nodes:,} nodes, {len(plate_xy):,} plates, 50 stations")

    def solve(xy: np.ndarray, network=net, p_att=plate_att) -> np.ndarray:
        f_att = attach_points(network, xy, max_attach_m=max_attach)
        dist, _ = nearest_source(network, f_att, p_att, limit_m=reach)
        return p_att.attached & (dist <= reach)

    spot = (extent / 2 + 17.0, extent / 3 + 5.0)
    street = int(net.edge_line[plate_att.edge[np.flatnonzero(w.covered)[0]]])
    kept = np.array([line for i, line in enumerate(lines) if i != street], dtype=object)

    def rebuilt() -> np.ndarray:
        network = build_walk_network(kept)
        p_att = attach_points(network, plate_xy, max_attach_m=max_attach)
        return solve(fac_xy, network, p_att)

    cases = [(Edit("add", xy_m=spot), lambda: solve(np.vstack([fac_xy, spot])), "solve"),
             (Edit("remove", facility_id=7), lambda: solve(np.delete(fac_xy, 6, axis=0)), "solve"),
             (Edit("move", xy_m=spot, facility_id=7),
              lambda: solve(np.vstack([np.delete(fac_xy, 6, axis=0), spot])), "solve"),
             (Edit("close_street", street_id=street), rebuilt, "rebuild + attach + solve")]
    ok = True
    for edit, full, name in cases:
        t_inc = _median(lambda e=edit: w.apply([e]), repeat * 2)
        t_full = _median(full, repeat)
        same = bool(np.array_equal(w.apply([edit], keep_plates=True).covered_after, full()))
        ok &= _line("1M grid", edit.op, t_inc, {name: t_full}, same)
    return ok


def main() -> None:
    """Run the benchmarks; print medians, ratios and whether the answers are identical."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-scale", action="store_true")
    args = parser.parse_args()
    ok = bench_sample(args.repeat)
    if not args.skip_scale:
        ok &= bench_grid(args.repeat)
    print("all targets met, all answers identical" if ok else "SOME TARGET MISSED OR ANSWER DIFFERENT")


if __name__ == "__main__":
    main()
