"""The planning run: load the layers from the store once, then run every pure computation on them.

One :func:`run_planning` attaches plates and facilities to one walking network and computes
coverage, floor area, burial-ban zones and the plan's indicators; siting and the 2SFCA scores
reuse that run (its network and attachments) instead of building their own. The service caches
runs per data version (``api.cache.cached_run``); the CLI runs once per command.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import crs as C
from geo import messages as msg
from geo.errors import InputError
from geo.layers import FACILITY_KINDS
from geo.location_rules import current_codes
from geo.messages import label, labels
from geo.planning.accessibility import facility_supply, scores_by_unit, two_step_fca
from geo.planning.ban_zone_settings import BanZoneSettings, load_ban_zone_settings
from geo.planning.burial_indicators import burial_indicators
from geo.planning.cemeteries import ban_zones, graves_along_transport
from geo.planning.coverage import (
    ELDER_CARE_KINDS,
    WalkParams,
    attach_facilities,
    coverage_by_unit,
    plate_access,
    plate_households,
    plate_residents_60plus,
    points_xy,
    walk_network_from_streets,
)
from geo.planning.floor_area import floor_area_by_unit, norms_from_settings
from geo.planning.indicators import Indicator, compute_indicators
from geo.planning.network import Attachment, WalkNetwork, attach_points, reach_matrix
from geo.planning.norms_settings import PlanningNorms, load_norms
from geo.planning.siting import grid_candidates, node_attachment
from geo.planning.siting_capacity import M2_PER_PERSON_60PLUS, siting_capacities
from geo.planning.siting_compare import DEFAULT_TIME_LIMIT_S, SitingComparison, check_options, compare_siting
from geo.store import Store
from geo.store.contents import held_records, missing_layers_error

WEIGHTS = ("households", "residents_60plus")
# Without any of these, coverage and the indicators would read as facts about a district they
# know nothing of (every plate "unattached", 0 m² per 100 households): refused instead.
PLANNING_LAYERS = ("admin_units", "streets", "door_plates", "facilities")
PURPOSE_ZH = "步行覆盖、规划指标与选址"
PURPOSE_EN = "coverage, the plan's indicators and siting"


@dataclass
class PlanningInputs:
    """The layers planning needs, as GeoDataFrames in EPSG:4490."""

    units: gpd.GeoDataFrame
    streets: gpd.GeoDataFrame
    plates: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    linear_features: gpd.GeoDataFrame
    graves: gpd.GeoDataFrame
    data_version: int | None = None     # the store's data version read before the layers, for reports
    loaded_at: datetime | None = None   # when the layers were read (UTC), for reports
    # Every facility whatever its status (planned, under construction, closed too): planned-vs-existing
    # listings and the indicators as of a past date (geo.planning.as_of) read these; coverage and the
    # indicators of today count ``facilities`` (the active ones) only. ``None``: same as ``facilities``.
    all_facilities: gpd.GeoDataFrame | None = None
    # Cemetery zoning and burial (CM-01, CM-02): the 七区 polygons, plot types, burial statistics and the
    # buffers/limits file (None: empty, and the bundled data/planning/ban_zones.toml).
    ban_zone_areas: gpd.GeoDataFrame | None = None
    plot_types: pd.DataFrame | None = None
    burial_statistics: pd.DataFrame | None = None
    ban_zone_settings: BanZoneSettings | None = None
    # Each code a division change retired, with the code its unit holds now (the code history followed to its end):
    # a settings file naming a 镇 by its code keeps meaning it after 撤镇设街道 re-codes it.
    unit_successors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, store: Store) -> PlanningInputs:
        """Read the layers from the store (active plates and facilities only).

        A missing layer is refused with what to load: the sample only into an empty database.
        """
        missing = [name for name in PLANNING_LAYERS if not store.count(name)]
        if missing:
            raise missing_layers_error(missing, database_empty=not held_records(store),
                                       purpose_zh=PURPOSE_ZH, purpose_en=PURPOSE_EN, store=store)
        version, loaded_at = store.data_version(), datetime.now(UTC)

        def read(table_name: str) -> gpd.GeoDataFrame:  # no computation reads when a record was written
            return store.read_frame(table_name, bookkeeping=False)

        plates = read("door_plates")
        facilities = read("facilities")
        units = read("admin_units")  # a unit retired by a division change is history:
        units = units[units["status"] != "retired"].reset_index(drop=True)  # not a row of any per-unit table
        return cls(units=units, streets=read("streets"),
                   plates=plates[plates["status"] == "active"].reset_index(drop=True),
                   facilities=facilities[facilities["status"] == "active"].reset_index(drop=True),
                   linear_features=read("linear_features"), graves=read("graves"),
                   data_version=version, loaded_at=loaded_at, all_facilities=facilities,
                   ban_zone_areas=read("ban_zone_areas"),
                   plot_types=read("cemetery_plot_types"),
                   burial_statistics=read("burial_statistics"),
                   unit_successors=current_codes(store.select("unit_code_history")))


def _names_with_former_codes(inputs: PlanningInputs) -> dict[str, str]:
    """Return each unit's name by code, a code retired by a division change named as the unit that holds its land
    now ("保合少街道（原 150102100000）"): the burial statistics of the years before 撤镇设街道 keep the old code."""
    names = dict(zip(inputs.units["code"], inputs.units["name"], strict=True))
    return {**names, **{old: f"{names[new]}（原 {old}）" for old, new in inputs.unit_successors.items()
                        if new in names and old not in names}}


@dataclass
class PlanningRun:
    """Everything a planner sees for one set of walking parameters."""

    params: WalkParams
    kinds: tuple[str, ...]
    inputs: PlanningInputs
    network: WalkNetwork
    access: pd.DataFrame
    coverage: pd.DataFrame
    floor: dict[str, pd.DataFrame]
    zones: gpd.GeoDataFrame
    graves_in_zones: gpd.GeoDataFrame
    indicators: list[Indicator]
    plate_att: Attachment      # where each plate joins the network, for siting and catchments
    care_att: Attachment       # the same for the facilities whose coverage is computed
    unattached_facilities: list[int] = field(default_factory=list)
    plate_xy: np.ndarray | None = None  # the plates in metres (EPSG:4546), projected once per run
    norms: PlanningNorms | None = None  # the norms settings the floor area and indicators were judged by

    @property
    def care_facilities(self) -> gpd.GeoDataFrame:
        """Return the facilities whose coverage is computed."""
        f = self.inputs.facilities
        return f[f["kind"].isin(self.kinds)].reset_index(drop=True)


def parse_kinds(text: str | None) -> tuple[str, ...]:
    """Return facility kinds from a comma list (default: elder-care stations and centres)."""
    if not text:
        return ELDER_CARE_KINDS
    kinds = tuple(k.strip() for k in text.split(",") if k.strip())
    bad = [k for k in kinds if k not in FACILITY_KINDS]
    if bad or not kinds:
        raise InputError(msg.text("planning.kinds", field=label("kinds"), allowed=", ".join(FACILITY_KINDS),
                                  value=repr(bad[0] if bad else text)), field="kinds")
    return kinds


def walk_params(preset: str = "default", minutes: float | None = None, speed_m_per_s: float | None = None,
                max_attach_m: float | None = None) -> WalkParams:
    """Return walking parameters from a preset with optional overrides."""
    overrides = {k: v for k, v in {"minutes": minutes, "max_attach_m": max_attach_m}.items() if v is not None}
    params = WalkParams.preset(preset, **overrides)
    if speed_m_per_s is not None:
        params = WalkParams(minutes=params.minutes, speed_m_per_s=speed_m_per_s, max_attach_m=params.max_attach_m)
    return params


def run_planning(inputs: PlanningInputs, params: WalkParams, kinds: tuple[str, ...] = ELDER_CARE_KINDS, *,
                 norms: PlanningNorms | None = None) -> PlanningRun:
    """Compute coverage, floor area, ban zones and indicators from the loaded layers.

    ``norms``: the floor-area norms, village norms and indicator scopes (default: the plan's, read
    from ``data/planning/norms.toml``).
    """
    norms = norms if norms is not None else load_norms()
    frames = {"admin_units": inputs.units, "streets": inputs.streets, "door_plates": inputs.plates,
              "facilities": inputs.facilities}
    missing = [name for name in PLANNING_LAYERS if frames[name].empty]
    if missing:
        empty = all(f.empty for f in (*frames.values(), inputs.linear_features, inputs.graves))
        raise missing_layers_error(missing, database_empty=empty, purpose_zh=PURPOSE_ZH,
                                   purpose_en=PURPOSE_EN)
    network = walk_network_from_streets(inputs.streets)
    care = inputs.facilities[inputs.facilities["kind"].isin(kinds)].reset_index(drop=True)
    plate_xy = points_xy(inputs.plates)
    plate_att = attach_points(network, plate_xy, max_attach_m=params.max_attach_m)
    care_att = attach_facilities(network, care, params)
    access = plate_access(network, inputs.plates, care, params, plate_att=plate_att, fac_att=care_att)
    coverage = coverage_by_unit(access, inputs.plates, inputs.units)
    floor = {key: floor_area_by_unit(inputs.facilities, inputs.units, norm, rural=norms)
             for key, norm in norms_from_settings(norms).items()}
    zone_settings = inputs.ban_zone_settings or load_ban_zone_settings()
    zones = ban_zones(inputs.linear_features, inputs.ban_zone_areas, settings=zone_settings)
    graves = graves_along_transport(inputs.graves, zones)
    indicators = compute_indicators(units=inputs.units, facilities=inputs.facilities,
                                    community_floor=floor["community_service"], coverage=coverage,
                                    graves_in_zones=graves, walk_text=params.describe(), norms=norms,
                                    unit_successors=inputs.unit_successors)
    indicators += burial_indicators(
        facilities=inputs.facilities, all_facilities=inputs.all_facilities,
        statistics=inputs.burial_statistics if inputs.burial_statistics is not None else pd.DataFrame(
            columns=["year", "unit_code", "deaths", "cremations", "burials", "eco_burials"]),
        plot_types=inputs.plot_types if inputs.plot_types is not None else pd.DataFrame(
            columns=["facility_id", "plot_type", "plots", "eco"]),
        settings=zone_settings, unit_names=_names_with_former_codes(inputs))
    return PlanningRun(params=params, kinds=kinds, inputs=inputs, network=network, access=access, coverage=coverage,
                       floor=floor, zones=zones, graves_in_zones=graves, indicators=indicators, plate_att=plate_att,
                       care_att=care_att, unattached_facilities=[int(i) for i in care.loc[~care_att.attached, "id"]],
                       plate_xy=plate_xy, norms=norms)


MAX_SITING_REACH_M = 3000.0  # 50 min at 1.0 m/s: far beyond any walking circle the plan speaks of


def run_siting(run: PlanningRun, *, k: int | None, target_share: float | None, weight: str | None = None,
               candidates: gpd.GeoDataFrame | None = None, spacing_m: float = 250.0, method: str = "both",
               time_limit_s: float = DEFAULT_TIME_LIMIT_S, capacity: bool = False,
               m2_per_person: float = M2_PER_PERSON_60PLUS) -> tuple[SitingComparison, gpd.GeoDataFrame]:
    """Choose new station sites by greedy, MILP or both; return the answers and the proposed sites (EPSG:4490).

    ``candidates`` (points, e.g. available premises or a file; ``floor_area_m2`` or ``capacity``
    columns are read with ``capacity``) replace the grid of street nodes. ``weight`` defaults to
    households, and to residents 60+ with ``capacity`` (geo.planning.siting_capacity).
    """
    weight = check_siting(run, k=k, target_share=target_share, weight=weight, method=method,
                          time_limit_s=time_limit_s, capacity=capacity, m2_per_person=m2_per_person)
    net, p = run.network, run.params
    if candidates is None:
        plate_xy = run.plate_xy if run.plate_xy is not None else points_xy(run.inputs.plates)
        nodes = grid_candidates(net, plate_xy, spacing_m=spacing_m)
        cand_att = node_attachment(net, nodes)
        cand_xy = net.node_xy[nodes]
    else:
        cand_xy = points_xy(candidates)
        cand_att = attach_points(net, cand_xy, max_attach_m=p.max_attach_m)
        if len(cand_xy) and not cand_att.attached.any():
            raise InputError(msg.text("siting.none_attached", count=len(cand_xy), max_m=f"{p.max_attach_m:g}"),
                             field="candidates")
    w = (plate_households(run.inputs.plates) if weight == "households"
         else plate_residents_60plus(run.inputs.plates, run.inputs.units))
    caps = siting_capacities(run.care_facilities, candidates, n_candidates=len(cand_xy),
                             m2_per_person=m2_per_person) if capacity else None
    result = compare_siting(net, run.plate_att, w, run.care_att, cand_att, reach_m=p.reach_m, k=k,
                            target_share=target_share, method=method, time_limit_s=time_limit_s, capacity=caps)
    picked = result.chosen["candidate"].to_numpy(dtype=int)
    pts = C.from_metric(shapely.points(cand_xy[picked])) if len(picked) else []
    table = result.chosen.copy()
    if candidates is not None:
        for column in ("id", "name", "floor_area_m2"):
            if column in candidates:
                table[column if column != "id" else "candidate_id"] = candidates[column].to_numpy()[picked]
    sites = gpd.GeoDataFrame(table, geometry=gpd.GeoSeries(list(pts), crs="EPSG:4490"), crs="EPSG:4490")
    return result, sites


def check_siting(run: PlanningRun, *, k: int | None, target_share: float | None, weight: str | None = None,
                 method: str = "both", time_limit_s: float = DEFAULT_TIME_LIMIT_S, capacity: bool = False,
                 m2_per_person: float = M2_PER_PERSON_60PLUS) -> str:
    """Refuse what :func:`run_siting` would refuse before it reads a candidate (naming the field); return the
    weight it uses. Checked at once, so a report refuses a wrong option before drawing anything."""
    weight = weight or ("residents_60plus" if capacity else "households")
    if weight not in WEIGHTS:
        raise InputError(msg.text("planning.choice", field=label("weight"), value=repr(weight),
                                  allowed=labels(WEIGHTS)), field="weight")
    if capacity and weight != "residents_60plus":
        raise InputError(msg.text("siting.capacity_weight", field="capacity", value=repr(weight)), field="weight")
    if not (np.isfinite(m2_per_person) and m2_per_person > 0):
        raise InputError(msg.text("siting.m2_per_person", field="m2_per_person", value=m2_per_person),
                         field="m2_per_person")
    if run.params.reach_m > MAX_SITING_REACH_M:  # every candidate would reach most plates: a matrix of millions
        raise InputError(msg.text("siting.reach_too_far", reach_m=f"{run.params.reach_m:g}",
                                  most=f"{MAX_SITING_REACH_M:g}", field=label("minutes")), field="minutes")
    check_options(k=k, target_share=target_share, method=method, time_limit_s=time_limit_s)
    return weight


def siting_in_background(run: PlanningRun, **options: Any) -> Future[tuple[SitingComparison, gpd.GeoDataFrame]]:
    """Start :func:`run_siting` (``options`` as it takes them) in a thread of its own; return its future answer.

    HiGHS solves without holding Python's lock (most of a report's siting), so a report draws its other
    maps meanwhile on the other core. The thread is a daemon: a report stopped with Ctrl-C exits at once
    instead of waiting for the solver's time limit. A wrong option is refused here, at once
    (:func:`check_siting`); the future re-raises what ``run_siting`` raised.
    """
    check_siting(run, **{name: value for name, value in options.items() if name not in ("candidates", "spacing_m")})
    answer: Future[tuple[SitingComparison, gpd.GeoDataFrame]] = Future()
    answer.set_running_or_notify_cancel()

    def solve() -> None:
        try:
            answer.set_result(run_siting(run, **options))
        except BaseException as exc:  # handed to the waiting caller, who raises it as its own
            answer.set_exception(exc)

    threading.Thread(target=solve, name="siting", daemon=True).start()
    return answer


@dataclass(frozen=True)
class Accessibility:
    """2SFCA results for one supply column: per unit, per facility, and what was missing."""

    supply: str
    units: pd.DataFrame
    facilities: pd.DataFrame
    missing_supply: int


def run_accessibility(run: PlanningRun, supply: str = "floor_area_m2") -> Accessibility:
    """Score every plate by the facility supply within walking reach, shared among residents 60+."""
    care = run.care_facilities
    values, missing = facility_supply(care, supply)
    reach = reach_matrix(run.network, run.care_att, run.plate_att, run.params.reach_m)
    demand = plate_residents_60plus(run.inputs.plates, run.inputs.units)
    scores = two_step_fca(reach, values, demand)
    units = scores_by_unit(scores, demand, run.inputs.plates["community_code"].to_numpy(), run.inputs.units)
    facilities = pd.DataFrame({"id": care["id"].to_numpy(), "name": care["name"].to_numpy(),
                               "kind": care["kind"].to_numpy(), supply: values,
                               "residents_60plus_in_reach": scores.catchment_demand,
                               "per100_60plus": 100 * scores.facility_ratio})
    return Accessibility(supply, units, facilities, missing)
