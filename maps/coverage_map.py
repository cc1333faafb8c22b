"""Planning maps: plates by walking time, service areas, communities by floor area, new sites.

The map goes into a report (a file, or a page's sandboxed frame), so it carries its data: door
plates come grouped into square cells of :data:`CELL_M` metres (one dot per cell, coloured by the
state of most of its plates, sized by how many; its tooltip counts them per state and gives the
walking times), and service areas are simplified to :data:`AREA_TOLERANCE_DEG`; the page's size
then follows the district's area, not its number of plates.
"""

from __future__ import annotations

import branca.colormap as cm
import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from geo.crs import METRIC_CRS
from geo.layers import LEAF_LEVELS, TOWNSHIP_LEVELS
from maps.labels import code_label, field_label, legend_text
from maps.layers import (
    Basemap,
    add_html,
    add_legend,
    base_map,
    feature_collection,
    json_safe,
    points_layer,
    units_layer,
)
from maps.view import CellLayer, finish

STATUS_COLOURS = {"covered": "#1a9850", "beyond": "#d73027", "unreachable": "#7b3294",
                  "unattached": "#999999"}
STATUS_LABELS = {k: code_label("coverage", k) or k for k in STATUS_COLOURS}
CELL_M = 300.0  # side of a plate cell on the map, metres (EPSG:4546)
AREA_TOLERANCE_DEG = 3e-4  # service areas drawn simplified to ~25 m (their reach is ~900 m)
AREA_COLOUR, STATION_COLOUR, SITE_COLOUR = "#1a9850", "#08519c", "#ff7f00"


def plate_cells(plates: gpd.GeoDataFrame, access: pd.DataFrame, *, cell_m: float = CELL_M,
                metric_xy: np.ndarray | None = None) -> gpd.GeoDataFrame:
    """Return the plates grouped into square cells of ``cell_m`` metres: per cell its mean
    position (EPSG:4490), how many plates it holds (``plates``) and of each status (one column
    per status), the state of most of them (``state``) and the walk in minutes (``walk``,
    shortest–longest, to 0.1 min). ``metric_xy`` are the plates already projected to
    EPSG:4546 (a planning run's ``plate_xy``), so they are not projected again."""
    if metric_xy is None:
        metric = plates.geometry.to_crs(METRIC_CRS)
        x, y = metric.x.to_numpy(), metric.y.to_numpy()
    else:
        x, y = np.asarray(metric_xy, dtype=float).reshape(-1, 2).T
    frame = pd.DataFrame({"kx": np.floor(x / cell_m), "ky": np.floor(y / cell_m), "x": x, "y": y,
                          "status": access["status"].to_numpy(), "minutes": access["minutes"].to_numpy()})
    frame = frame[np.isfinite(frame["x"]) & np.isfinite(frame["y"])]
    keys = ["kx", "ky"]
    counts = pd.crosstab([frame["kx"], frame["ky"]], frame["status"]).reindex(
        columns=list(STATUS_COLOURS), fill_value=0)
    where = frame.groupby(keys)[["x", "y"]].mean().loc[counts.index]
    walk = frame.groupby(keys)["minutes"].agg(["min", "max"]).loc[counts.index]
    walks = [f"{lo:.1f}–{hi:.1f}" if np.isfinite(lo) else "—" for lo, hi in zip(walk["min"], walk["max"], strict=True)]
    cells = gpd.GeoDataFrame(
        {"plates": counts.sum(axis=1).to_numpy(), **{k: counts[k].to_numpy() for k in STATUS_COLOURS},
         "state": counts.columns.to_numpy()[counts.to_numpy().argmax(axis=1)], "walk": walks},
        geometry=gpd.points_from_xy(where["x"], where["y"]), crs=METRIC_CRS)
    return cells.to_crs(plates.crs or "EPSG:4490").reset_index(drop=True)


def plates_by_status_layer(plates: gpd.GeoDataFrame, access: pd.DataFrame, *,
                           metric_xy: np.ndarray | None = None) -> tuple[CellLayer, ...]:
    """Return the door plates by coverage status, grouped into cells (:func:`plate_cells`): one
    layer per state of most plates in a cell, named with how many plates have that state; a
    cell's dot grows with its plates and its tooltip counts them per state (for
    :func:`maps.view.finish`). ``metric_xy``: as :func:`plate_cells` takes it."""
    cells = plate_cells(plates, access, metric_xy=metric_xy).to_crs("EPSG:4326")
    status = access["status"].to_numpy()
    labels = [field_label("plates"), *(f"{STATUS_LABELS[k]}" for k in STATUS_COLOURS), "步行 walk（分钟 min）"]
    layers = []
    for state, colour in STATUS_COLOURS.items():
        mine = cells[cells["state"].to_numpy() == state]
        if not len(mine):
            continue
        xy = np.round(np.column_stack([mine.geometry.x, mine.geometry.y]), 5)
        rows: list[list[float | int | str | None]] = [
            [float(x), float(y), int(n), *(int(v) for v in counts), walk]
            for (x, y), n, counts, walk in zip(xy, mine["plates"], mine[list(STATUS_COLOURS)].to_numpy(),
                                                mine["walk"], strict=True)]
        layers.append(CellLayer(f"门牌 Plates: {STATUS_LABELS[state]} ({int((status == state).sum()):,})",
                                colour, rows, labels, counted=1 + len(STATUS_COLOURS)))
    return tuple(layers)


def service_area_layer(areas: gpd.GeoDataFrame, m: folium.Map) -> folium.Map:
    """Add the facilities' walking service areas (drawn simplified, see the module doc)."""
    drawn = areas[areas.geometry.notna()]
    drawn = drawn.set_geometry(drawn.geometry.simplify(AREA_TOLERANCE_DEG))
    data = json_safe(drawn, ["name", "reach_m"], labelled=("reach_m",))
    data = data.set_geometry(shapelyish_precision(data.geometry), crs=data.crs)
    folium.GeoJson(feature_collection(data), name="服务范围 Service areas",
                   style_function=lambda _f: {"color": AREA_COLOUR, "weight": 1, "fillOpacity": 0.12},
                   tooltip=folium.GeoJsonTooltip(["name", "reach_m"],
                                                 aliases=["设施 facility", field_label("reach_m")])).add_to(m)
    return m


def shapelyish_precision(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """Return ``geoms`` with coordinates to 5 decimals (~1 m), enough for a 10 m drawing."""
    return geoms.set_precision(1e-5)


def floor_area_layer(units: gpd.GeoDataFrame, floor: pd.DataFrame, m: folium.Map, *,
                     norm_per100: float, title: str) -> folium.Map:
    """Shade communities and villages by floor area per 100 households against the norm."""
    leaf = units[units["level"].isin(LEAF_LEVELS)].merge(
        floor[["code", "per100_m2", "shortfall_m2"]], on="code", how="left")
    colours = ["#d73027", "#fee08b", "#1a9850"]
    caption = f"{title}: m² / 100 户 (norm {norm_per100:g})"
    scale = cm.LinearColormap(colours, vmin=0, vmax=2 * norm_per100, caption=caption)
    data = json_safe(leaf, ["name", "code", "per100_m2", "shortfall_m2"], labelled=("per100_m2", "shortfall_m2"))
    raw = leaf["per100_m2"].to_numpy()

    def style(feature):
        v = raw[int(feature["id"])]
        colour = "#cccccc" if v is None or v != v else scale(min(v, 2 * norm_per100))
        return {"fillColor": colour, "color": "#555", "weight": 0.5, "fillOpacity": 0.6}

    folium.GeoJson(feature_collection(data.reset_index(drop=True)), name=title, style_function=style,
                   tooltip=folium.GeoJsonTooltip(["name", "per100_m2", "shortfall_m2"],
                                                 aliases=["社区 community", field_label("per100_m2"),
                                                          field_label("shortfall_m2")])).add_to(m)
    # The legend is plain HTML: branca's own draws with d3, which the offline maps do not carry.
    add_html(m, "scale_legend.html", caption=caption, colours=colours, low="0",
             high=f"{2 * norm_per100:g}")
    return m


def planning_map(run, *, sites: gpd.GeoDataFrame | None = None,
                 areas: gpd.GeoDataFrame | None = None,
                 basemap: Basemap | None = None) -> folium.Map:
    """Return the planning map of a :class:`geo.planning.run.PlanningRun`-like object."""
    units = run.inputs.units
    own = units[units["level"] != "county"]
    m = base_map(own, basemap)
    units_layer(own[own["level"].isin(["district", *TOWNSHIP_LEVELS])], m)
    floor_area_layer(own, run.floor["community_service"], m, norm_per100=30,
                     title="社区服务设施面积 Service floor area")
    if areas is not None:
        service_area_layer(areas, m)
    cells = plates_by_status_layer(run.inputs.plates, run.access, metric_xy=getattr(run, "plate_xy", None))
    points_layer(run.care_facilities, m, name="养老服务站 Elder-care stations", color=STATION_COLOUR,
                 fields=("name", "kind"), radius=5)
    legend = [(STATUS_COLOURS[k], STATUS_LABELS[k], "dot") for k in STATUS_COLOURS]
    legend.insert(0, ("#fff", legend_text("plate_cells", cell_m=f"{CELL_M:g}"), "none"))
    if areas is not None:
        legend.append((AREA_COLOUR, legend_text("service_areas"), "area"))
    legend.append((STATION_COLOUR, legend_text("stations"), "dot"))
    if sites is not None and len(sites):
        points_layer(sites.assign(name=[f"建议站点 #{o}" for o in sites["order"]]), m,
                     name="建议新站点 Proposed stations", color=SITE_COLOUR, fields=("name", "gain"),
                     radius=7)
        legend.append((SITE_COLOUR, legend_text("proposed"), "dot"))
    add_legend(m, legend)
    return finish(m, cells=cells)
