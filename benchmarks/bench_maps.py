"""First-load bytes of the map pages, at the sample district's scale and with ten times its plates.

A first load is the page (/maps/district or /maps/coverage, Leaflet inlined) plus what its script
fetches for the first view: the district map asks ``/maps/data/{layer}?bbox=&zoom=`` for its
streets and door plates (maps/view.py); the coverage map carries its plates grouped in cells and
fetches nothing. The pages and view answers are built by the same functions the routes call
(api/routers/map_pages.py), from a fresh sample database; the first view is the district's extent
fitted to a 1280 × 800 window, as Leaflet's fitBounds does. At 10x every plate is copied ten times,
each copy moved up to 15 m (as tests/test_map_scale.py does). Goal (issue #15): ≤ 1 MB each.

Run: .venv/bin/python -m benchmarks.bench_maps [--database-url sqlite:///var/xincheng.db] [--width 1280 --height 800]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

if __package__ in (None, ""):  # run as a file (python benchmarks/bench_maps.py): find the sibling module
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.map_data import district_layers, view_data
from api.routers.map_pages import DATA_URL
from benchmarks.servers import sample_database
from geo.planning.coverage import ELDER_CARE_KINDS, WalkParams, service_areas
from geo.planning.run import PlanningInputs, run_planning
from geo.store import Store
from maps.csp import page_html
from maps.district_map import district_map
from maps.report import report_html
from maps.view_data import TILE_PX, ViewLayer, features_in_view, view_layer

GOAL_BYTES = 1_000_000
TIMES, JITTER_M = 10, 15.0


def _mercator_y(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def first_view(bounds: tuple[float, float, float, float], *, width_px: int, height_px: int
               ) -> tuple[tuple[float, float, float, float], int]:
    """Return the bbox and zoom Leaflet shows when it fits ``bounds`` (degrees) into the window."""
    west, south, east, north = bounds
    zoom = 0
    for z in range(0, 19):
        scale = TILE_PX * 2 ** z
        wide = (east - west) / 360 * scale
        tall = (_mercator_y(north) - _mercator_y(south)) / (2 * math.pi) * scale
        if wide <= width_px and tall <= height_px:
            zoom = z
    scale = TILE_PX * 2 ** zoom
    half_lon = width_px / scale * 180
    centre_y = (_mercator_y(north) + _mercator_y(south)) / 2
    half_y = height_px / scale * math.pi
    lat = [math.degrees(2 * math.atan(math.exp(centre_y + s * half_y)) - math.pi / 2) for s in (-1, 1)]
    centre_lon = (west + east) / 2
    return (centre_lon - half_lon, lat[0], centre_lon + half_lon, lat[1]), zoom


def tenfold(plates: gpd.GeoDataFrame, *, seed: int = 14) -> gpd.GeoDataFrame:
    """Return ``plates`` ten times over, each copy moved up to ``JITTER_M`` metres (seeded)."""
    rng = np.random.default_rng(seed)
    metric = plates.to_crs("EPSG:4546")
    copies = []
    for _ in range(TIMES):
        moved = metric.copy()
        moved.geometry = gpd.points_from_xy(
            moved.geometry.x + rng.uniform(-JITTER_M, JITTER_M, len(moved)),
            moved.geometry.y + rng.uniform(-JITTER_M, JITTER_M, len(moved)), crs="EPSG:4546")
        copies.append(moved)
    return gpd.GeoDataFrame(pd.concat(copies, ignore_index=True), crs="EPSG:4546").to_crs(plates.crs)


def _json_bytes(answer: dict) -> int:
    return len(json.dumps(answer, ensure_ascii=False).encode())


def _plates_view(plates: gpd.GeoDataFrame) -> ViewLayer:
    """Return plates ready to cut views from, with tooltips like the server's (api/map_data.view_data)."""
    return view_layer(plates, [[f"{s}{n}号", str(u)] for s, n, u in
                               zip(plates["street_name"], plates["number"], plates["plate_uid"], strict=True)],
                      points=True)


def measure(store: Store, *, width_px: int, height_px: int) -> list[tuple[str, str, int, int]]:
    """Return (page, scale, page bytes, bytes fetched for the first view) for both pages and scales."""
    layers = district_layers(store)
    units = layers["admin_units"]
    bounds = tuple(float(v) for v in units[units["level"] != "county"].total_bounds)
    bbox, zoom = first_view(bounds, width_px=width_px, height_px=height_px)  # type: ignore[arg-type]
    streets = view_data(store, "streets")
    run = run_planning(PlanningInputs.load(store), WalkParams(), ELDER_CARE_KINDS)
    areas = service_areas(run.network, run.care_facilities, run.params)
    rows = []
    for scale, plates in (("1x", layers["door_plates"]), ("10x", tenfold(layers["door_plates"]))):
        page = page_html(district_map(layers | {"door_plates": plates}, data_url=DATA_URL), None)
        plate_view = view_data(store, "door_plates") if scale == "1x" else _plates_view(plates)
        fetched = sum(_json_bytes(features_in_view(layer, bbox, zoom=zoom)) for layer in (streets, plate_view))
        rows.append(("/maps/district", scale, len(page.encode()), fetched))
        if scale == "1x":
            scaled = run
        else:
            inputs = replace(run.inputs, plates=tenfold(run.inputs.plates))
            access = pd.concat([run.access] * TIMES, ignore_index=True)
            access["plate_index"] = np.arange(len(access))
            scaled = replace(run, inputs=inputs, access=access)
        rows.append(("/maps/coverage", scale, len(report_html(scaled, areas=areas, nonce=None).encode()), 0))
    print(f"first view: bbox {', '.join(f'{v:.4f}' for v in bbox)} at zoom {zoom} ({width_px} × {height_px} px)")
    return rows


def main() -> None:
    """Print the first-load bytes of each page at each scale and the ratio to the 1 MB goal."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="a database holding the sample (default: a fresh one)")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=800)
    args = parser.parse_args()

    def report(url: str) -> None:
        store = Store.open(url)
        try:
            rows = measure(store, width_px=args.width, height_px=args.height)
        finally:
            store.close()
        print(f"  {'page':<15} {'scale':>5} {'page bytes':>11} {'view bytes':>11} {'first load':>11} {'/ 1 MB':>7}")
        for name, scale, page, fetched in rows:
            total = page + fetched
            verdict = "ok" if total <= GOAL_BYTES else "over"
            print(f"  {name:<15} {scale:>5} {page:>11,} {fetched:>11,} {total:>11,} {total / GOAL_BYTES:>6.2f}x "
                  f"{verdict}")

    if args.database_url:
        report(args.database_url)
    else:
        with sample_database("sqlite") as url:
            report(url)


if __name__ == "__main__":
    main()
