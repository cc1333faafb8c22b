"""Administrative boundary lines and markers (界线、界桩) and their joint inspections (联检).

Rules: 行政区域界线管理条例 (art.12 joint inspections every five years), marker numbering and
displacement classes. Use cases, each one transaction: :func:`add_marker`, :func:`move_marker`,
:func:`decommission_marker`, :func:`create_campaign`, :func:`submit` (a field record),
:func:`sign_off` (both sides, every marker recorded). Pure: :func:`topology_report` and
:func:`shared_boundary` (lines derived from unit polygons), :func:`displacement_m`.

Reads: :func:`boundary_report` (lines checked against the unit polygons) and :func:`compare_boundary`
(another version of a line or polygon against ours).

Casework: :func:`record_repair` (BM-03: by the managing side, the neighbour present; a re-set moves the
marker through BM-04), :func:`open_dispute`, :func:`assign_dispute`, :func:`add_dispute_document`,
:func:`resolve_dispute`, :func:`withdraw_dispute` (BM-09: recorded, never decided); reads
:func:`overdue_lines` (BM-06: five-year cadence; pure rule :func:`inspection_due`) and
:func:`casework_summary`.

Modules: ``lines`` (pure geometry), ``markers`` (the registry), ``inspections`` (campaigns),
``report``, ``compare``, ``repairs``, ``cadence``, ``disputes``, ``attachments`` (archived files, BM-07).
"""

from geo.boundaries.cadence import inspection_due, line_cadence, overdue_lines
from geo.boundaries.compare import BoundaryComparison, compare_boundary
from geo.boundaries.disputes import (
    add_dispute_document,
    assign_dispute,
    dispute_detail,
    list_disputes,
    open_dispute,
    resolve_dispute,
    withdraw_dispute,
)
from geo.boundaries.inspections import campaign_material, campaign_report, create_campaign, sign_off, submit
from geo.boundaries.lines import displacement_m, shared_boundary, topology_report
from geo.boundaries.markers import add_marker, decommission_marker, move_marker
from geo.boundaries.repairs import record_repair, repairs_done, repairs_of_marker
from geo.boundaries.report import Casework, LineReport, boundary_report, casework_summary

__all__ = ["BoundaryComparison", "Casework", "LineReport", "add_dispute_document", "add_marker", "assign_dispute",
           "boundary_report", "campaign_material", "campaign_report", "casework_summary", "compare_boundary",
           "create_campaign", "decommission_marker", "displacement_m", "dispute_detail", "inspection_due",
           "line_cadence", "list_disputes", "move_marker", "open_dispute", "overdue_lines", "record_repair",
           "repairs_done", "repairs_of_marker", "resolve_dispute", "shared_boundary", "sign_off", "submit",
           "topology_report", "withdraw_dispute"]
