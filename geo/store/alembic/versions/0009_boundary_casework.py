"""boundary casework: repairs, disputes, attachments, reference objects, survey details

Revision 0009 (schema version 9). Frozen: the columns and tables as they were at version 9.
Never import geo.store.schema here.

* ``boundary_markers.elevation_m`` and ``coordinate_source``: a surveyed marker's height and where
  its registered coordinates came from (an RTK survey, a converted Beijing 1954 / Xi'an 1980 result).
* ``boundary_lines.last_inspected_on``: the last joint inspection before the service kept campaigns
  (BM-06 counts five years from the later of this and the newest filed periodic campaign).
* ``inspections.position_source`` / ``position_detail``: which receiver gave an observed position
  (the phone, an external RTK/GNSS receiver, NMEA pasted, typed) and what it said about the fix.
* ``marker_reference_objects``: a marker's 方位物 with bearing and distance.
* ``marker_repairs``: a repair done (BM-03): both sides, the date, the work, a re-set's new marker.
* ``boundary_disputes``: a dispute case (BM-09) with its state, the disputed geometry and decision.
* ``boundary_attachments``: photos and documents of repairs and disputes (BM-07 archive).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.types import UserDefinedType

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

S = sa.String
T = sa.Text


class _Geometry4490(UserDefinedType):
    cache_ok = True

    def get_col_spec(self, **kw: object) -> str:
        return "geometry(Geometry,4490)"


def _common() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("adcode", S(12), nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def _spatial() -> list[sa.Column]:
    return [
        sa.Column("geom", sa.LargeBinary().with_variant(_Geometry4490(), "postgresql")),
        sa.Column("minx", sa.Float), sa.Column("miny", sa.Float),
        sa.Column("maxx", sa.Float), sa.Column("maxy", sa.Float),
    ]


def _spatial_index(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE INDEX IF NOT EXISTS ix_{table}_geom ON {table} USING GIST (geom)")
        return
    rt = f"rtree_{table}"
    op.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {rt} USING rtree(id, minx, maxx, miny, maxy)")
    op.execute(f"""CREATE TRIGGER IF NOT EXISTS {table}_rtree_ins AFTER INSERT ON {table}
            WHEN NEW.minx IS NOT NULL BEGIN
            INSERT INTO {rt} VALUES (NEW.id, NEW.minx, NEW.maxx, NEW.miny, NEW.maxy); END""")
    op.execute(f"""CREATE TRIGGER IF NOT EXISTS {table}_rtree_upd
            AFTER UPDATE OF minx, miny, maxx, maxy ON {table}
            BEGIN DELETE FROM {rt} WHERE id = OLD.id;
            INSERT INTO {rt} SELECT NEW.id, NEW.minx, NEW.maxx, NEW.miny, NEW.maxy
            WHERE NEW.minx IS NOT NULL; END""")
    op.execute(f"""CREATE TRIGGER IF NOT EXISTS {table}_rtree_del AFTER DELETE ON {table}
            BEGIN DELETE FROM {rt} WHERE id = OLD.id; END""")


def _table(name: str, *columns: sa.Column | sa.Constraint, spatial: bool = False,
           indexed: tuple[str, ...] = ()) -> None:
    op.create_table(name, *_common(), *columns, *(_spatial() if spatial else []))
    op.create_index(f"ix_{name}_adcode", name, ["adcode"])
    for column in indexed:
        op.create_index(f"ix_{name}_{column}", name, [column])
    if spatial:
        _spatial_index(name)


def upgrade() -> None:
    op.add_column("boundary_markers", sa.Column("elevation_m", sa.Float))
    op.add_column("boundary_markers", sa.Column("coordinate_source", T))
    op.add_column("boundary_lines", sa.Column("last_inspected_on", sa.Date))
    op.add_column("inspections", sa.Column("position_source", S(16)))
    op.add_column("inspections", sa.Column("position_detail", T))
    _table(
        "marker_reference_objects",
        sa.Column("marker_no", S(16), nullable=False),
        sa.Column("name", T, nullable=False), sa.Column("bearing_deg", sa.Float),
        sa.Column("distance_m", sa.Float), sa.Column("description", T),
        indexed=("marker_no",),
    )
    _table(
        "marker_repairs",
        sa.Column("marker_id", sa.Integer, nullable=False), sa.Column("repaired_on", sa.Date, nullable=False),
        sa.Column("repairing_adcode", S(12), nullable=False), sa.Column("neighbour_adcode", S(12), nullable=False),
        sa.Column("neighbour_present", sa.Boolean, nullable=False),
        sa.Column("our_representative", T, nullable=False), sa.Column("neighbour_representative", T, nullable=False),
        sa.Column("work", T, nullable=False), sa.Column("reset", sa.Boolean, server_default=sa.false()),
        sa.Column("new_marker_id", sa.Integer), sa.Column("inspection_id", sa.Integer), sa.Column("remarks", T),
        indexed=("marker_id",),
    )
    _table(
        "boundary_disputes",
        sa.Column("case_no", S(32), nullable=False, unique=True), sa.Column("line_code", S(8), nullable=False),
        sa.Column("title", T, nullable=False), sa.Column("state", S(16), nullable=False, server_default="open"),
        sa.Column("raised_by_adcode", S(12)), sa.Column("assigned_to", T),
        sa.Column("opened_on", sa.Date, nullable=False), sa.Column("resolved_on", sa.Date),
        sa.Column("resolution", T), sa.Column("decision_doc", T), sa.Column("marker_nos", T),
        sa.Column("area_m2", sa.Float), sa.Column("remarks", T),
        spatial=True, indexed=("line_code",),
    )
    _table(
        "boundary_attachments",
        sa.Column("record_table", S(32), nullable=False), sa.Column("record_id", sa.Integer, nullable=False),
        sa.Column("kind", S(16), nullable=False), sa.Column("title", T), sa.Column("document_no", T),
        sa.Column("issued_on", sa.Date), sa.Column("sha256", S(64), nullable=False),
        sa.Column("content_type", S(64), nullable=False), sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_boundary_attachments_record", "boundary_attachments", ["record_table", "record_id"])


def downgrade() -> None:
    raise NotImplementedError("迁移不回退: 请恢复升级前的备份 · migrations are not reversed: "
                              "restore the backup taken before the upgrade")
