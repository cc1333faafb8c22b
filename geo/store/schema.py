"""Table definitions: every record carries the district adcode, a version and timestamps.

Spatial tables also carry ``geom`` (EPSG:4490) and its envelope (``minx..maxy``), which feeds
SQLite's R*Tree through triggers; PostGIS indexes ``geom`` with GiST.
"""

from __future__ import annotations

import sqlalchemy as sa

from geo.store.spatial_sql import Geometry, UTCDateTime

metadata = sa.MetaData()

SPATIAL_TABLES: list[str] = []


def _common() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("adcode", sa.String(12), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def _spatial() -> list[sa.Column]:
    return [
        sa.Column("geom", Geometry()),
        sa.Column("minx", sa.Float), sa.Column("miny", sa.Float),
        sa.Column("maxx", sa.Float), sa.Column("maxy", sa.Float),
    ]


def _table(name: str, *columns: sa.Column | sa.Constraint, spatial: bool = False) -> sa.Table:
    cols: list[sa.Column | sa.Constraint] = [*_common(), *columns, *(_spatial() if spatial else [])]
    if spatial:
        SPATIAL_TABLES.append(name)
    return sa.Table(name, metadata, *cols)


S = sa.String
T = sa.Text

admin_units = _table(
    "admin_units",
    sa.Column("code", S(12), nullable=False, unique=True),
    sa.Column("name", T, nullable=False), sa.Column("name_mong", T),
    sa.Column("level", S(16), nullable=False), sa.Column("parent_code", S(12)),
    sa.Column("households", sa.Integer), sa.Column("residents", sa.Integer),
    sa.Column("residents_60plus", sa.Integer), sa.Column("status", S(16), server_default="active"),
    spatial=True,
)

place_names = _table(
    "place_names",
    sa.Column("place_code", S(32), unique=True),
    sa.Column("standard_name", T, nullable=False), sa.Column("specific", T), sa.Column("generic", T),
    sa.Column("romanization", T), sa.Column("pinyin_toned", T), sa.Column("sign_text", T),
    sa.Column("name_mong", T), sa.Column("language_of_origin", S(8)),
    sa.Column("category_code", S(5)), sa.Column("category_name", T), sa.Column("admin_code", S(12)),
    sa.Column("meaning", T), sa.Column("origin", T), sa.Column("history", T),
    sa.Column("description", T), sa.Column("status", S(16), server_default="in_force"),
    sa.Column("status_date", sa.Date), sa.Column("protected", sa.Boolean, server_default=sa.false()),
    sa.Column("approval_authority", T), sa.Column("approval_doc_no", T),
    sa.Column("approval_date", sa.Date), sa.Column("source", T),
    spatial=True,
)

streets = _table(
    "streets",
    sa.Column("name", T, nullable=False), sa.Column("place_name_id", sa.Integer),
    sa.Column("street_class", S(16)), sa.Column("numbering_start", S(8), server_default="start"),
    sa.Column("odd_side", S(8), server_default="left"),
    sa.Column("grade", sa.Integer, server_default="0"),
    sa.Column("walkable", sa.Boolean, server_default=sa.true()),
    spatial=True,
)

boundary_lines = _table(
    "boundary_lines",
    sa.Column("line_code", S(8), nullable=False, unique=True), sa.Column("name", T, nullable=False),
    sa.Column("left_adcode", S(12)), sa.Column("right_adcode", S(12)),
    sa.Column("agreement_ref", T), sa.Column("length_m", sa.Float),
    spatial=True,
)

boundary_markers = _table(
    "boundary_markers",
    sa.Column("marker_no", S(16), nullable=False, unique=True), sa.Column("line_code", S(8)),
    sa.Column("seq", sa.Integer), sa.Column("type_code", S(1)), sa.Column("marker_type", S(8)),
    sa.Column("status", S(16), server_default="active"), sa.Column("material", T),
    sa.Column("installed_on", sa.Date), sa.Column("managing_adcode", S(12)),
    spatial=True,
)

inspection_campaigns = _table(
    "inspection_campaigns",
    sa.Column("name", T, nullable=False), sa.Column("campaign_type", S(16)),
    sa.Column("line_codes", T), sa.Column("start_date", sa.Date), sa.Column("end_date", sa.Date),
    sa.Column("required_accuracy_m", sa.Float), sa.Column("filed_date", sa.Date),
    sa.Column("status", S(16), server_default="open"),
)

inspections = _table(
    "inspections",
    sa.Column("client_id", S(64), nullable=False, unique=True),
    sa.Column("campaign_id", sa.Integer), sa.Column("marker_id", sa.Integer, nullable=False),
    sa.Column("observed_at", sa.DateTime(timezone=True)), sa.Column("inspector", T),
    sa.Column("condition", S(16)), sa.Column("gnss_accuracy_m", sa.Float),
    sa.Column("fixes", sa.Integer), sa.Column("displacement_m", sa.Float),
    sa.Column("action", S(24)), sa.Column("remarks", T), sa.Column("party_adcodes", T),
    spatial=True,
)

facilities = _table(
    "facilities",
    sa.Column("kind", S(40), nullable=False), sa.Column("name", T, nullable=False),
    sa.Column("community_code", S(12)), sa.Column("floor_area_m2", sa.Float),
    sa.Column("beds", sa.Integer), sa.Column("nursing_beds", sa.Integer),
    sa.Column("status", S(24), server_default="active"), sa.Column("operator", T),  # 24 since version 10
    spatial=True,
)

door_plates = _table(
    "door_plates",
    sa.Column("plate_uid", S(16), nullable=False, unique=True),
    sa.Column("street_id", sa.Integer), sa.Column("street_name", T),
    sa.Column("number", sa.Integer, nullable=False), sa.Column("suffix", S(16), server_default=""),
    sa.Column("side", S(8)), sa.Column("building_name", T), sa.Column("households", sa.Integer),
    sa.Column("community_code", S(12)), sa.Column("status", S(16), server_default="active"),
    sa.Column("qr_token", S(64)), sa.Column("decision_body", T), sa.Column("decision_doc_no", T),
    sa.Column("decision_date", sa.Date),
    spatial=True,
)

linear_features = _table(
    "linear_features",
    sa.Column("kind", S(16), nullable=False), sa.Column("name", T, nullable=False),
    spatial=True,
)

graves = _table(
    "graves",
    sa.Column("status", S(16), nullable=False), sa.Column("near_feature", T),
    spatial=True,
)

users = _table(
    "users",
    sa.Column("username", S(64), nullable=False, unique=True),
    sa.Column("password_hash", T, nullable=False), sa.Column("role", S(24), nullable=False),
    sa.Column("display_name", T), sa.Column("active", sa.Boolean, server_default=sa.true()),
    sa.Column("dev_only", sa.Boolean, server_default=sa.false()),
)

audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("adcode", S(12), nullable=False),
    sa.Column("table_name", S(40), nullable=False, index=True),
    sa.Column("record_id", sa.Integer, index=True), sa.Column("action", S(24), nullable=False),
    sa.Column("actor", T, nullable=False), sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("before", T), sa.Column("after", T), sa.Column("note", T),
)

schema_migrations = sa.Table(
    "schema_migrations", metadata,
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("description", T, nullable=False),
    sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
)

# Added by migration 2.
problem_reports = _table(
    "problem_reports",
    sa.Column("plate_uid", S(16)), sa.Column("kind", S(24), nullable=False),
    sa.Column("message", T), sa.Column("status", S(16), server_default="open"),
)

api_tokens = _table(
    "api_tokens",
    sa.Column("token_sha256", S(64), nullable=False, unique=True),
    sa.Column("user_id", sa.Integer, nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)

# Added by migration 3: the gazetteer's lifecycle, former names, and the plate reprint queue.
PLACE_NAME_COLUMNS_V3: tuple[sa.Column, ...] = (
    sa.Column("feature_class", S(24)), sa.Column("romanization_basis", T), sa.Column("override_reason", T),
    sa.Column("name_mong_pending", sa.Boolean, server_default=sa.false()), sa.Column("filed_date", sa.Date),
    sa.Column("announce_date", sa.Date), sa.Column("justification", T), sa.Column("search_key", T),
)
for _column in PLACE_NAME_COLUMNS_V3:
    place_names.append_column(_column)

place_name_events = _table(
    "place_name_events",
    sa.Column("place_name_id", sa.Integer, nullable=False, index=True),
    sa.Column("from_status", S(16)), sa.Column("to_status", S(16), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False), sa.Column("actor", T, nullable=False),
    sa.Column("comment", T), sa.Column("document_ref", T), sa.Column("warnings", T),
)

former_names = _table(
    "former_names",
    sa.Column("place_name_id", sa.Integer, nullable=False, index=True),
    sa.Column("name", T, nullable=False), sa.Column("romanization", T),
    sa.Column("valid_from", sa.Date), sa.Column("valid_to", sa.Date), sa.Column("reason", T),
)

plate_reprints = _table(
    "plate_reprints",
    sa.Column("plate_uid", S(16), nullable=False, index=True), sa.Column("reason", T, nullable=False),
    sa.Column("status", S(16), server_default="queued"),
)

# Added by migration 4: field inspections (photos, conflicts, joint sign-off).
INSPECTION_COLUMNS_V4: tuple[sa.Column, ...] = (
    sa.Column("classification", S(16)), sa.Column("conflict", sa.Boolean, server_default=sa.false()),
    sa.Column("team", T), sa.Column("payload_sha256", S(64)),
)
for _column in INSPECTION_COLUMNS_V4:
    inspections.append_column(_column)

CAMPAIGN_COLUMNS_V4: tuple[sa.Column, ...] = (sa.Column("teams", T),)
for _column in CAMPAIGN_COLUMNS_V4:
    inspection_campaigns.append_column(_column)

inspection_photos = _table(
    "inspection_photos",
    sa.Column("inspection_id", sa.Integer, nullable=False, index=True),
    sa.Column("sha256", S(64), nullable=False), sa.Column("content_type", S(32), nullable=False),
    sa.Column("size_bytes", sa.Integer, nullable=False), sa.Column("data", sa.LargeBinary, nullable=False),
)

campaign_signoffs = _table(
    "campaign_signoffs",
    sa.Column("campaign_id", sa.Integer, nullable=False, index=True),
    sa.Column("party_adcode", S(12), nullable=False), sa.Column("signed_by", T, nullable=False),
    sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("campaign_id", "party_adcode"),
)

# Added by migration 5: the districts a user acts for (comma-separated adcodes; sign-off is per side).
USER_COLUMNS_V5: tuple[sa.Column, ...] = (sa.Column("adcodes", T),)
for _column in USER_COLUMNS_V5:
    users.append_column(_column)

# Added by migration 6: the audit log's commit sequence (the change feed and the cache version read
# it; numbered in commit order by a trigger, see alembic/versions/0006_commit_sequence.py).
AUDIT_LOG_COLUMNS_V6: tuple[sa.Column, ...] = (sa.Column("seq", sa.BigInteger),)
# The action of the audit rows a restore writes, one per restored table (geo.store.backup): the restore on record,
# numbered above every number handed out before it; no record's change.
RESTORE_ACTION = "restore"
for _column in AUDIT_LOG_COLUMNS_V6:
    audit_log.append_column(_column)

# Added by migration 7: a resident's problem report is resolved by an officer, with a note
# (geo/plates/resident_reports.py).
PROBLEM_REPORT_COLUMNS_V7: tuple[sa.Column, ...] = (
    sa.Column("resolved_at", sa.DateTime(timezone=True)), sa.Column("resolved_by", T),
    sa.Column("resolution_note", T),
)
for _column in PROBLEM_REPORT_COLUMNS_V7:
    problem_reports.append_column(_column)

# Added by migration 8: what the public plate lookup answers from (geo/plates/lookup_table.py keeps it
# consistent with the audit feed). Derived data: written without audit rows, rebuilt at will.
plate_lookups = sa.Table(
    "plate_lookups", metadata,
    sa.Column("plate_uid", S(16), primary_key=True),
    sa.Column("plate_x", sa.Float), sa.Column("plate_y", sa.Float),  # door_plates.minx/miny computed from
    sa.Column("seq", sa.BigInteger, nullable=False),  # audit_log.seq the services reflect
    sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
    *(sa.Column(f"{kind}_{name}", type_) for kind in ("care", "centre") for name, type_ in (
        ("id", sa.Integer), ("name", T), ("kind", S(40)), ("distance_m", sa.Integer),
        ("minutes", sa.Float), ("minutes_elderly", sa.Float))),
    # the district whose refresh wrote it (revision 0015): a district's lookups, its deleted plates'
    # included, are found by this key, not by a read of every district's plates
    sa.Column("adcode", S(12), index=True),
)

plate_lookup_state = sa.Table(
    "plate_lookup_state", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.BigInteger, nullable=False, server_default="0"),  # the feed is processed up to here
    sa.Column("lease_owner", S(64)), sa.Column("lease_until", sa.DateTime(timezone=True)),
    sa.Column("refreshed_at", sa.DateTime(timezone=True)),
)

# Added by migration 9: boundary casework (geo/boundaries/: repairs BM-03, disputes BM-09, the
# archive BM-07, reference objects, survey details, the position source of a field observation).
MARKER_COLUMNS_V9: tuple[sa.Column, ...] = (sa.Column("elevation_m", sa.Float), sa.Column("coordinate_source", T))
for _column in MARKER_COLUMNS_V9:
    boundary_markers.append_column(_column)

LINE_COLUMNS_V9: tuple[sa.Column, ...] = (sa.Column("last_inspected_on", sa.Date),)
for _column in LINE_COLUMNS_V9:
    boundary_lines.append_column(_column)

INSPECTION_COLUMNS_V9: tuple[sa.Column, ...] = (sa.Column("position_source", S(16)), sa.Column("position_detail", T))
for _column in INSPECTION_COLUMNS_V9:
    inspections.append_column(_column)

marker_reference_objects = _table(
    "marker_reference_objects",
    sa.Column("marker_no", S(16), nullable=False, index=True),
    sa.Column("name", T, nullable=False), sa.Column("bearing_deg", sa.Float),
    sa.Column("distance_m", sa.Float), sa.Column("description", T),
)

marker_repairs = _table(
    "marker_repairs",
    sa.Column("marker_id", sa.Integer, nullable=False, index=True), sa.Column("repaired_on", sa.Date, nullable=False),
    sa.Column("repairing_adcode", S(12), nullable=False), sa.Column("neighbour_adcode", S(12), nullable=False),
    sa.Column("neighbour_present", sa.Boolean, nullable=False),
    sa.Column("our_representative", T, nullable=False), sa.Column("neighbour_representative", T, nullable=False),
    sa.Column("work", T, nullable=False), sa.Column("reset", sa.Boolean, server_default=sa.false()),
    sa.Column("new_marker_id", sa.Integer), sa.Column("inspection_id", sa.Integer), sa.Column("remarks", T),
)

boundary_disputes = _table(
    "boundary_disputes",
    sa.Column("case_no", S(32), nullable=False, unique=True), sa.Column("line_code", S(8), nullable=False, index=True),
    sa.Column("title", T, nullable=False), sa.Column("state", S(16), nullable=False, server_default="open"),
    sa.Column("raised_by_adcode", S(12)), sa.Column("assigned_to", T),
    sa.Column("opened_on", sa.Date, nullable=False), sa.Column("resolved_on", sa.Date),
    sa.Column("resolution", T), sa.Column("decision_doc", T), sa.Column("marker_nos", T),
    sa.Column("area_m2", sa.Float), sa.Column("remarks", T),
    spatial=True,
)

boundary_attachments = _table(
    "boundary_attachments",
    sa.Column("record_table", S(32), nullable=False), sa.Column("record_id", sa.Integer, nullable=False),
    sa.Column("kind", S(16), nullable=False), sa.Column("title", T), sa.Column("document_no", T),
    sa.Column("issued_on", sa.Date), sa.Column("sha256", S(64), nullable=False),
    sa.Column("content_type", S(64), nullable=False), sa.Column("size_bytes", sa.Integer, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
)
sa.Index("ix_boundary_attachments_record", boundary_attachments.c.record_table, boundary_attachments.c.record_id)

# Added by migration 10: planning in depth (geo/planning/: rural norms and 四同步 estates, cemetery
# zoning CM-01/CM-02 and burial figures, siting premises, indicator history).
UNIT_COLUMNS_V10: tuple[sa.Column, ...] = (sa.Column("settlement_type", S(24)),
                                           sa.Column("registered_residents", sa.Integer))
for _column in UNIT_COLUMNS_V10:
    admin_units.append_column(_column)

FACILITY_COLUMNS_V10: tuple[sa.Column, ...] = (
    sa.Column("opened_on", sa.Date), sa.Column("closed_on", sa.Date), sa.Column("planned_open_on", sa.Date),
    sa.Column("eco_burial", sa.Boolean),
)
for _column in FACILITY_COLUMNS_V10:
    facilities.append_column(_column)

GRAVE_COLUMNS_V10: tuple[sa.Column, ...] = (sa.Column("cleared_on", sa.Date),)
for _column in GRAVE_COLUMNS_V10:
    graves.append_column(_column)

ban_zone_areas = _table(
    "ban_zone_areas",
    sa.Column("kind", S(24), nullable=False, index=True), sa.Column("name", T, nullable=False),
    sa.Column("source", T), sa.Column("source_date", sa.Date),
    spatial=True,
)

premises = _table(
    "premises",
    sa.Column("name", T, nullable=False), sa.Column("community_code", S(12)),
    sa.Column("floor_area_m2", sa.Float), sa.Column("owner", T), sa.Column("available_from", sa.Date),
    sa.Column("status", S(16), server_default="available"), sa.Column("remarks", T),
    spatial=True,
)

new_estates = _table(
    "new_estates",
    sa.Column("name", T, nullable=False), sa.Column("community_code", S(12)),
    sa.Column("households", sa.Integer), sa.Column("care_floor_area_m2", sa.Float),
    sa.Column("housing_planned_on", sa.Date), sa.Column("care_planned_on", sa.Date),
    sa.Column("housing_built_on", sa.Date), sa.Column("care_built_on", sa.Date),
    sa.Column("housing_inspected_on", sa.Date), sa.Column("care_inspected_on", sa.Date),
    sa.Column("housing_handed_over_on", sa.Date), sa.Column("care_handed_over_on", sa.Date),
    sa.Column("remarks", T),
    spatial=True,
)

cemetery_plot_types = _table(
    "cemetery_plot_types",
    sa.Column("facility_id", sa.Integer, nullable=False, index=True), sa.Column("plot_type", S(24), nullable=False),
    sa.Column("area_m2", sa.Float, nullable=False), sa.Column("plots", sa.Integer),
    sa.Column("eco", sa.Boolean, server_default=sa.false()),
    sa.UniqueConstraint("facility_id", "plot_type"),
)

burial_statistics = _table(
    "burial_statistics",
    sa.Column("year", sa.Integer, nullable=False), sa.Column("unit_code", S(12), nullable=False),
    sa.Column("deaths", sa.Integer), sa.Column("cremations", sa.Integer),
    sa.Column("burials", sa.Integer), sa.Column("eco_burials", sa.Integer), sa.Column("source", T),
    sa.UniqueConstraint("year", "unit_code"),
)

indicator_snapshots = _table(
    "indicator_snapshots",
    sa.Column("label", T, nullable=False), sa.Column("kind", S(16), nullable=False),
    sa.Column("as_of", sa.Date, nullable=False, index=True),
    sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("taken_by", T, nullable=False), sa.Column("data_seq", sa.BigInteger),
    sa.Column("params", T), sa.Column("indicators", T, nullable=False),
)

# Added by migration 11: the rest of the place-name work (standard addresses below the plate, street
# signs, division changes and code history, never-reused codes, the heritage list, the national sync).
PLATE_COLUMNS_V11: tuple[sa.Column, ...] = (sa.Column("successor_plate_uid", S(16)),)
for _column in PLATE_COLUMNS_V11:
    door_plates.append_column(_column)

UNIT_COLUMNS_V11: tuple[sa.Column, ...] = (sa.Column("valid_from", sa.Date), sa.Column("valid_to", sa.Date))
for _column in UNIT_COLUMNS_V11:
    admin_units.append_column(_column)

addresses = _table(
    "addresses",
    sa.Column("address_uid", S(20), nullable=False, unique=True),
    sa.Column("level", S(12), nullable=False),  # building, unit, floor, room
    sa.Column("plate_uid", S(16), nullable=False, index=True), sa.Column("parent_uid", S(20), index=True),
    sa.Column("building", T), sa.Column("unit", T), sa.Column("floor", sa.Integer), sa.Column("room", T),
    sa.Column("standard_address", T), sa.Column("romanized", T),
    sa.Column("status", S(16), server_default="active"), sa.Column("qr_token", S(64)),
    sa.Column("source", T), sa.Column("retired_on", sa.Date),
    spatial=True,
)

street_signs = _table(
    "street_signs",
    sa.Column("sign_uid", S(16), nullable=False, unique=True),
    sa.Column("street_id", sa.Integer, index=True), sa.Column("place_name_id", sa.Integer),
    sa.Column("side", S(8)), sa.Column("sign_type", S(16), nullable=False),
    sa.Column("shows_name", T), sa.Column("shows_romanization", T), sa.Column("shows_mong", T),
    sa.Column("number_from", sa.Integer), sa.Column("number_to", sa.Integer), sa.Column("direction", S(8)),
    sa.Column("installed_on", sa.Date), sa.Column("inspected_on", sa.Date), sa.Column("damaged_on", sa.Date),
    sa.Column("replaced_on", sa.Date), sa.Column("condition", S(16)),
    sa.Column("status", S(24), server_default="active"), sa.Column("successor_sign_uid", S(16)),
    sa.Column("qr_token", S(64)), sa.Column("remarks", T),
    spatial=True,
)

division_changes = _table(
    "division_changes",
    sa.Column("change_type", S(16), nullable=False),  # create, split, merge, rename, recode, retire
    sa.Column("decision_body", T, nullable=False), sa.Column("decision_doc_no", T, nullable=False),
    sa.Column("decision_date", sa.Date, nullable=False), sa.Column("effective_on", sa.Date),
    sa.Column("units_before", T), sa.Column("units_after", T), sa.Column("summary", T),
    sa.Column("made_by", T),
)

unit_code_history = _table(
    "unit_code_history",
    sa.Column("change_id", sa.Integer), sa.Column("old_code", S(12), index=True),
    sa.Column("new_code", S(12), index=True), sa.Column("old_name", T), sa.Column("new_name", T),
    sa.Column("changed_on", sa.Date, nullable=False),
)

code_counters = _table(
    "code_counters",
    sa.Column("scheme", S(24), nullable=False), sa.Column("prefix", S(32), nullable=False),
    sa.Column("last_serial", sa.Integer, nullable=False),
    sa.UniqueConstraint("scheme", "prefix"),
)

name_protections = _table(
    "name_protections",
    sa.Column("place_name_id", sa.Integer, nullable=False, index=True),
    sa.Column("decision_body", T), sa.Column("decision_doc_no", T), sa.Column("listed_on", sa.Date),
    sa.Column("reason", T), sa.Column("category", S(24)),
    sa.Column("lifted_on", sa.Date), sa.Column("lift_doc_no", T), sa.Column("lift_reason", T),
    sa.Column("status", S(16), server_default="listed"),
)

sync_batches = _table(
    "sync_batches",
    sa.Column("year", sa.Integer, nullable=False), sa.Column("batch_no", sa.Integer, nullable=False),
    sa.Column("from_seq", sa.BigInteger), sa.Column("to_seq", sa.BigInteger),
    sa.Column("record_count", sa.Integer), sa.Column("file_format", S(16)),
    sa.Column("checksum_sha256", S(64)), sa.Column("payload", T),
    sa.Column("made_by", T), sa.Column("sent_at", sa.DateTime(timezone=True)),
    sa.Column("acknowledged_at", sa.DateTime(timezone=True)), sa.Column("ack_ref", T),
    sa.UniqueConstraint("year", "batch_no"),
)

# Added by migration 13: each district's stored 15-minute elder-care coverage per unit, with the walking
# parameters and the planning data version it was computed from (geo/planning/refresh.py, `xincheng refresh`).
# Derived data: a refresh replaces a district's rows in one transaction, without audit rows.
coverage_results = sa.Table(
    "coverage_results", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("adcode", S(12), nullable=False),
    sa.Column("unit_code", S(12), nullable=False),
    sa.Column("unit_name", T), sa.Column("level", S(16)), sa.Column("parent_code", S(12)),
    sa.Column("households", sa.Float), sa.Column("covered_households", sa.Float),
    sa.Column("household_share", sa.Float),  # NULL: a unit without households (undefined, not 0)
    sa.Column("residents_60plus", sa.Float), sa.Column("covered_60plus", sa.Float),
    sa.Column("share_60plus", sa.Float),
    sa.Column("care_floor_area_m2", sa.Float), sa.Column("care_per100_m2", sa.Float),
    sa.Column("minutes", sa.Float, nullable=False), sa.Column("speed_m_per_s", sa.Float, nullable=False),
    sa.Column("max_attach_m", sa.Float, nullable=False), sa.Column("kinds", T, nullable=False),
    sa.Column("data_seq", sa.BigInteger, nullable=False),  # audit_log.seq of the planning data read
    sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("computed_by", T, nullable=False),
    sa.UniqueConstraint("adcode", "unit_code"),
)

# Tables derived from the records and rebuilt from them (geo/plates/lookup_table.py, geo/planning/refresh.py):
# not records of the district, not in backups; a restore empties them and they are computed again.
DERIVED_TABLES = frozenset({plate_lookups.name, plate_lookup_state.name, coverage_results.name})

# The lookup's one read checks the newest change of a table (audit_log by table, newest seq) and
# joins the plate's street by its standard name.
sa.Index("ix_audit_log_table_seq", audit_log.c.table_name, audit_log.c.seq)
sa.Index("ix_place_names_standard_name", place_names.c.standard_name)
# One district's newest change of a table and its data version (its own feed in a database of many
# districts), and PN-07's read of the names it compares with: the same text or key (revision 0015).
sa.Index("ix_audit_log_district_feed", audit_log.c.adcode, audit_log.c.table_name, audit_log.c.seq)
sa.Index("ix_audit_log_district_seq", audit_log.c.adcode, audit_log.c.seq)
sa.Index("ix_place_names_search_key", place_names.c.search_key)
# A plate written is checked against its own street's plates only (DP-04), read by this (revision 0018).
sa.Index("ix_door_plates_street_name", door_plates.c.street_name)


def _utc_datetimes() -> None:
    """Make every ``DateTime(timezone=True)`` column come back aware, in UTC, on both backends.

    Keep this call last: a column added below it would come back naive on SQLite.
    """
    for table in metadata.tables.values():
        for column in table.columns:
            if isinstance(column.type, sa.DateTime) and column.type.timezone:
                column.type = UTCDateTime()


_utc_datetimes()
