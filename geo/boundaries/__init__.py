"""Administrative boundary lines and markers (界线、界桩) and their joint inspections (联检).

Rules: 行政区域界线管理条例 (art.12 joint inspections every five years), marker numbering and
displacement classes. Use cases, each one transaction: :func:`add_marker`, :func:`move_marker`,
:func:`decommission_marker`, :func:`create_campaign`, :func:`submit` (a field record),
:func:`sign_off` (both sides, every marker recorded). Pure: :func:`topology_report` and
:func:`shared_boundary` (lines derived from unit polygons), :func:`displacement_m`.

Reads: :func:`boundary_report` (lines checked against the unit polygons) and :func:`compare_boundary`
(another version of a line or polygon against ours).

Modules: ``lines`` (pure geometry), ``markers`` (the registry), ``inspections`` (campaigns),
``report``, ``compare``.
"""

from geo.boundaries.compare import BoundaryComparison, compare_boundary
from geo.boundaries.inspections import campaign_material, campaign_report, create_campaign, sign_off, submit
from geo.boundaries.lines import displacement_m, shared_boundary, topology_report
from geo.boundaries.markers import add_marker, decommission_marker, move_marker
from geo.boundaries.report import LineReport, boundary_report

__all__ = ["BoundaryComparison", "LineReport", "add_marker", "boundary_report", "campaign_material", "campaign_report",
           "compare_boundary", "create_campaign", "decommission_marker", "displacement_m", "move_marker",
           "shared_boundary", "sign_off", "submit", "topology_report"]
