"""Where an inspection campaign stands, marker by marker: what the field pages show an inspector.

Reads only. A campaign's markers are the markers in service on its lines (as
:func:`geo.boundaries.inspections.campaign_report` counts them); each has a state taken from the
campaign's records: not yet visited, recorded (with the latest record's condition and judgement), or
flagged when two records of it disagree. :func:`next_marker` picks where to walk after a record: the
nearest marker not yet visited, or the next by number when the position is unknown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

import shapely

from geo import crs as C
from geo.boundaries.inspections import latest_by_marker
from geo.errors import NotFound
from geo.messages import text
from geo.store import Store

MarkerState = Literal["not_visited", "recorded", "flagged"]


@dataclass(frozen=True)
class MarkerProgress:
    """One marker of a campaign: its registered position (CGCS2000 lon/lat) and its state."""

    marker_no: str
    line_code: str
    seq: int
    lon: float
    lat: float
    state: MarkerState
    condition: str | None = None
    classification: str | None = None
    displacement_m: float | None = None
    records: int = 0


@dataclass(frozen=True)
class CampaignProgress:
    """A campaign with its markers in number order (line, then sequence, then marker number)."""

    campaign_id: int
    name: str
    status: str
    line_codes: tuple[str, ...]
    required_accuracy_m: float
    markers: tuple[MarkerProgress, ...]

    @property
    def is_open(self) -> bool:
        """Whether the campaign still takes field records."""
        return self.status == "open"

    def count(self, state: MarkerState) -> int:
        """Return how many markers are in ``state``."""
        return sum(1 for m in self.markers if m.state == state)


def _campaign(store: Store, campaign_id: int) -> dict[str, Any]:
    try:
        return store.get("inspection_campaigns", campaign_id)
    except NotFound:
        raise NotFound(text("field.campaign_not_found", campaign_id=campaign_id), field="campaign_id") from None


def _order(marker: dict[str, Any]) -> tuple[str, int, str]:
    return (marker["line_code"] or "", marker["seq"] or 0, marker["marker_no"])


def campaign_progress(store: Store, campaign_id: int) -> CampaignProgress:
    """Return the campaign ``campaign_id`` and the state of each of its markers in service.

    Raises :class:`geo.errors.NotFound` (Chinese first) for an unknown campaign.
    """
    campaign = _campaign(store, campaign_id)
    codes = tuple(json.loads(campaign["line_codes"] or "[]"))
    markers = sorted(store.select("boundary_markers", where={"line_code": list(codes), "status": "active"}),
                     key=_order)
    records = store.select("inspections", where={"campaign_id": campaign_id})
    latest = latest_by_marker(records)
    flagged = {r["marker_id"] for r in records if r.get("conflict")}
    counts: dict[int, int] = {}
    for r in records:
        counts[r["marker_id"]] = counts.get(r["marker_id"], 0) + 1
    out = []
    for m in markers:
        last = latest.get(m["id"])
        state: MarkerState = ("flagged" if m["id"] in flagged else "recorded") if last else "not_visited"
        out.append(MarkerProgress(
            marker_no=m["marker_no"], line_code=m["line_code"], seq=m["seq"] or 0, lon=m["geometry"].x,
            lat=m["geometry"].y, state=state, condition=last["condition"] if last else None,
            classification=last["classification"] if last else None,
            displacement_m=last["displacement_m"] if last else None, records=counts.get(m["id"], 0)))
    return CampaignProgress(campaign_id=campaign["id"], name=campaign["name"], status=campaign["status"],
                            line_codes=codes, required_accuracy_m=float(campaign["required_accuracy_m"]),
                            markers=tuple(out))


def list_campaigns(store: Store) -> list[CampaignProgress]:
    """Return every campaign with its markers' states, open ones first, newest first within each."""
    out = [campaign_progress(store, c["id"]) for c in store.select("inspection_campaigns")]
    return sorted(out, key=lambda p: (not p.is_open, -p.campaign_id))


def campaign_marker(store: Store, campaign_id: int, marker_no: str) -> tuple[CampaignProgress, MarkerProgress]:
    """Return the campaign and one of its markers, for the record form.

    Raises :class:`geo.errors.NotFound` (Chinese first) for an unknown campaign, an unknown marker
    number, a marker on none of the campaign's lines or a decommissioned marker: each would be a
    form whose record the service refuses or does not count.
    """
    progress = campaign_progress(store, campaign_id)
    for m in progress.markers:
        if m.marker_no == marker_no:
            return progress, m
    found = store.select("boundary_markers", where={"marker_no": marker_no}, limit=1)
    if not found:
        raise NotFound(text("field.marker_not_found", marker_no=marker_no), field="marker_no")
    if found[0]["line_code"] in progress.line_codes:
        raise NotFound(text("field.marker_out_of_service", marker_no=marker_no), field="marker_no")
    raise NotFound(text("field.marker_not_on_campaign", marker_no=marker_no, lines="、".join(progress.line_codes)),
                   field="marker_no")


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Return the distance in metres between two CGCS2000 lon/lat points (in EPSG:4546)."""
    pa, pb = C.to_metric(shapely.Point(*a)), C.to_metric(shapely.Point(*b))
    return float(pa.distance(pb))


def next_marker(progress: CampaignProgress, *, after: str, position: tuple[float, float] | None
                ) -> MarkerProgress | None:
    """Return where to walk after recording marker ``after``: the nearest marker not yet visited
    to ``position`` (CGCS2000 lon/lat), or, when the position is unknown, the next one not yet
    visited by number after ``after`` (wrapping round). ``None`` when every marker has a record."""
    waiting = [m for m in progress.markers if m.state == "not_visited" and m.marker_no != after]
    if not waiting:
        return None
    if position is not None:
        return min(waiting, key=lambda m: distance_m(position, (m.lon, m.lat)))
    order = [m.marker_no for m in progress.markers]
    start = order.index(after) if after in order else -1
    later = [m for m in waiting if order.index(m.marker_no) > start]
    return (later or waiting)[0]
