"""Cemetery endpoints: the ban-zone settings, plot types (CM-02) and burial statistics.

For planners and admins. The zones themselves and the site check are planning results
(``GET /api/planning/ban-zones``, ``POST /api/planning/cemetery-site-check``); the indicators built
from these records are in ``GET /api/planning/indicators``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field, StrictInt

from api.deps import StoreDep, UserDep, needs_role
from geo.layers import ADMIN, PLANNER
from geo.planning.ban_zone_settings import PLOT_TYPES, basis_text, load_ban_zone_settings, plot_label
from geo.planning.burial import (
    CEMETERY_KIND,
    over_limit,
    plot_types_frame,
    record_plot_type,
    record_statistics,
    statistics_frame,
    update_plot_type,
    update_statistics,
)
from geo.planning.norms_settings import shown_settings_path

ROLES = frozenset({ADMIN, PLANNER})
MAX_ID = 2**31 - 1
MAX_COUNT = 10_000_000
RecordId = Annotated[int, Path(ge=1, le=MAX_ID)]
Count = Annotated[StrictInt | None, Field(ge=0, le=MAX_COUNT)]
router = APIRouter(prefix="/api/cemeteries", tags=["cemeteries 殡葬"],
                   dependencies=[Depends(needs_role(ROLES, "cemetery records"))])


def _records(frame: Any) -> list[dict[str, Any]]:
    return [{k: (None if v != v else v) for k, v in r.items()} for r in frame.to_dict("records")]  # NaN → None


@router.get("/settings", summary="禁葬区缓冲与墓位限值 Ban-zone buffers and plot limits (CM-01, CM-02)")
def get_settings(user: UserDep) -> dict[str, Any]:
    """Return every buffer and plot limit with its basis (assumed or sourced) and source."""
    s = load_ban_zone_settings()
    rule = [{"group": group, "kind": r.kind, "buffer_m": r.buffer_m, "basis": r.basis,
             "basis_text": basis_text(r.basis), "source": r.source}
            for group, rules in (("linear", s.linear), ("area", s.areas)) for r in rules.values()]
    plots = [{"plot_type": p.plot_type, "label": str(plot_label(p.plot_type)), "max_area_m2": p.max_area_m2,
              "eco": p.eco, "basis": p.basis, "basis_text": basis_text(p.basis), "source": p.source}
             for p in s.plots.values()]
    return {"file": shown_settings_path(s.path), "zones": rule, "plots": plots}


class PlotTypeIn(BaseModel):
    """One plot type of a public cemetery (CM-02)."""

    facility_id: StrictInt = Field(ge=1, le=MAX_ID)
    plot_type: Annotated[str, Field(description="one of " + ", ".join(PLOT_TYPES), max_length=24)]
    area_m2: float = Field(description="m² per plot, > 0 and ≤ 1000", allow_inf_nan=False)
    plots: Count = None


class PlotTypeChange(BaseModel):
    """A change to a plot type's area or number of plots, based on the version read."""

    area_m2: float | None = Field(default=None, allow_inf_nan=False)
    plots: Count = None
    version: StrictInt = Field(ge=1, le=MAX_ID)


@router.get("/plot-types", summary="墓位类型 Plot types and the CM-02 check")
def get_plot_types(store: StoreDep, user: UserDep) -> dict[str, Any]:
    """Return every plot type and those larger than their limit (CM-02), with the limit's source."""
    plots = plot_types_frame(store)
    cemeteries = store.read_frame("facilities", where={"kind": CEMETERY_KIND})
    return {"plot_types": _records(plots), "over_limit": over_limit(plots, cemeteries, load_ban_zone_settings())}


@router.post("/plot-types", status_code=201, summary="记录墓位类型 Record a plot type")
def post_plot_type(body: PlotTypeIn, store: StoreDep, user: UserDep) -> dict[str, Any]:
    """Record one plot type of a public cemetery; eco follows the settings file."""
    return record_plot_type(store, body.model_dump(), settings=load_ban_zone_settings(), actor=user["username"])


@router.patch("/plot-types/{record_id}", summary="修改墓位类型 Change a plot type")
def patch_plot_type(record_id: RecordId, body: PlotTypeChange, store: StoreDep, user: UserDep) -> dict[str, Any]:
    """Change a plot type's area or plots (409 when the version is stale)."""
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    return update_plot_type(store, record_id, changes, expected_version=body.version,
                            settings=load_ban_zone_settings(), actor=user["username"])


class StatisticsIn(BaseModel):
    """Deaths, cremations, burials and eco burials of one year in one unit."""

    year: StrictInt = Field(ge=1949, le=2100)
    unit_code: Annotated[str, Field(max_length=12)]
    deaths: Count = None
    cremations: Count = None
    burials: Count = None
    eco_burials: Count = None
    source: Annotated[str | None, Field(max_length=500)] = None


class StatisticsChange(BaseModel):
    """A change to one statistics row, based on the version read."""

    deaths: Count = None
    cremations: Count = None
    burials: Count = None
    eco_burials: Count = None
    source: Annotated[str | None, Field(max_length=500)] = None
    version: StrictInt = Field(ge=1, le=MAX_ID)


@router.get("/burial-statistics", summary="殡葬统计 Burial statistics")
def get_statistics(store: StoreDep, user: UserDep) -> dict[str, Any]:
    """Return every burial-statistics row (year, unit, deaths, cremations, burials, eco burials)."""
    return {"statistics": _records(statistics_frame(store))}


@router.post("/burial-statistics", status_code=201, summary="记录殡葬统计 Record burial statistics")
def post_statistics(body: StatisticsIn, store: StoreDep, user: UserDep) -> dict[str, Any]:
    """Record one year's figures for one unit (409 if that year and unit are recorded)."""
    done = record_statistics(store, [body.model_dump()], actor=user["username"])
    return store.get("burial_statistics", done.written[0])


@router.patch("/burial-statistics/{record_id}", summary="修改殡葬统计 Change burial statistics")
def patch_statistics(record_id: RecordId, body: StatisticsChange, store: StoreDep, user: UserDep) -> dict[str, Any]:
    """Change one row's counts or source (409 when the version is stale)."""
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    return update_statistics(store, record_id, changes, expected_version=body.version, actor=user["username"])
