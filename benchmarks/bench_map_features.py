"""Drawing the planning report's maps: layers handed to folium as ``feature_collection`` dicts against the frames
themselves, in the same run.

The report (``xincheng report``, ``/maps/coverage/report``) draws three maps whose GeoJSON layers folium used to
build from each frame (``__geo_interface__``: one ``shapely.mapping`` and one pandas row per feature);
``maps.layers.feature_collection`` builds the same dict column by column. The reference is the same report with
``feature_collection`` swapped for handing folium the frame (what every layer did before): both pages are
compared, with folium's random element ids and the run times blanked, before anything is timed. Each figure is the
median of ``--repeat`` renders of the whole report page (``maps.report.report_html``) of the sample district.
Run: .venv/bin/python -m benchmarks.bench_map_features [--repeat 7]
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

from benchmarks.servers import sample_database
from geo.planning.coverage import WalkParams, service_areas
from geo.planning.norms_settings import load_norms
from geo.planning.run import ELDER_CARE_KINDS, PlanningInputs, run_planning, run_siting
from geo.store import Store
from maps import ban_zones, coverage_map, layers
from maps.report import report_html

_DRAWING = (layers, ban_zones, coverage_map)  # the modules whose layers call feature_collection
_VARYING = re.compile(r"_[0-9a-f]{32}|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d|<td[^>]*>\d+\.\d\d</td>|nonce=\S+")


@contextmanager
def frames_to_folium() -> Any:
    """Let every layer hand folium its frame, as before ``feature_collection`` (the reference)."""
    kept = [module.feature_collection for module in _DRAWING]
    for module in _DRAWING:
        module.feature_collection = lambda frame: frame  # type: ignore[assignment,attr-defined]
    try:
        yield
    finally:
        for module, original in zip(_DRAWING, kept, strict=True):
            module.feature_collection = original  # type: ignore[attr-defined]


def _median(render: Callable[[], str], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        render()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with sample_database("sqlite") as url:
        store = Store.open(url)
        run = run_planning(PlanningInputs.load(store), WalkParams(), ELDER_CARE_KINDS, norms=load_norms())
        siting, sites = run_siting(run, k=5, target_share=None)
        areas = service_areas(run.network, run.care_facilities, run.params)
        store.close()

    def render() -> str:
        return report_html(run, sites=sites, areas=areas, siting=siting, basemap=None)

    with frames_to_folium():
        reference_page = render()
    page = render()
    assert _VARYING.sub("", page) == _VARYING.sub("", reference_page), "the two pages differ"
    timings = {}
    for _ in range(2):  # alternate, so neither gets the quieter minutes
        with frames_to_folium():
            timings.setdefault("frames", []).append(_median(render, args.repeat))
        timings.setdefault("dicts", []).append(_median(render, args.repeat))
    frames_s, dicts_s = min(timings["frames"]), min(timings["dicts"])
    print(f"report page of the sample district ({len(page) / 1e6:.2f} MB), median of {args.repeat} renders "
          f"(the lower of two alternating rounds): frames to folium {frames_s:.3f} s, feature_collection "
          f"{dicts_s:.3f} s: {dicts_s / frames_s:.2f}x the time")


if __name__ == "__main__":
    main()
