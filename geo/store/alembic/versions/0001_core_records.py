"""core records: units, names, streets, boundaries, facilities, plates, users, audit

Revision 0001 (schema version 1). Frozen: the tables as they were at version 1, written out here,
with the spatial indexes (SQLite R*Tree tables filled by triggers; PostGIS GiST) and the
``schema_migrations`` history table. Never import geo.store.schema here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.types import UserDefinedType

revision = "0001"
down_revision = None
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


def _table(name: str, *columns: sa.Column | sa.Constraint, spatial: bool = False) -> None:
    op.create_table(name, *_common(), *columns, *(_spatial() if spatial else []))
    op.create_index(f"ix_{name}_adcode", name, ["adcode"])
    if spatial:
        _spatial_index(name)


def upgrade() -> None:
    op.create_table(
        "schema_migrations",
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("description", T, nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
    )
    _table(
        "admin_units",
        sa.Column("code", S(12), nullable=False, unique=True),
        sa.Column("name", T, nullable=False), sa.Column("name_mong", T),
        sa.Column("level", S(16), nullable=False), sa.Column("parent_code", S(12)),
        sa.Column("households", sa.Integer), sa.Column("residents", sa.Integer),
        sa.Column("residents_60plus", sa.Integer),
        sa.Column("status", S(16), server_default="active"),
        spatial=True,
    )
    _table(
        "place_names",
        sa.Column("place_code", S(32), unique=True),
        sa.Column("standard_name", T, nullable=False), sa.Column("specific", T),
        sa.Column("generic", T), sa.Column("romanization", T), sa.Column("pinyin_toned", T),
        sa.Column("sign_text", T), sa.Column("name_mong", T),
        sa.Column("language_of_origin", S(8)), sa.Column("category_code", S(5)),
        sa.Column("category_name", T), sa.Column("admin_code", S(12)),
        sa.Column("meaning", T), sa.Column("origin", T), sa.Column("history", T),
        sa.Column("description", T), sa.Column("status", S(16), server_default="in_force"),
        sa.Column("status_date", sa.Date),
        sa.Column("protected", sa.Boolean, server_default=sa.false()),
        sa.Column("approval_authority", T), sa.Column("approval_doc_no", T),
        sa.Column("approval_date", sa.Date), sa.Column("source", T),
        spatial=True,
    )
    _table(
        "streets",
        sa.Column("name", T, nullable=False), sa.Column("place_name_id", sa.Integer),
        sa.Column("street_class", S(16)),
        sa.Column("numbering_start", S(8), server_default="start"),
        sa.Column("odd_side", S(8), server_default="left"),
        sa.Column("grade", sa.Integer, server_default="0"),
        sa.Column("walkable", sa.Boolean, server_default=sa.true()),
        spatial=True,
    )
    _table(
        "boundary_lines",
        sa.Column("line_code", S(8), nullable=False, unique=True),
        sa.Column("name", T, nullable=False),
        sa.Column("left_adcode", S(12)), sa.Column("right_adcode", S(12)),
        sa.Column("agreement_ref", T), sa.Column("length_m", sa.Float),
        spatial=True,
    )
    _table(
        "boundary_markers",
        sa.Column("marker_no", S(16), nullable=False, unique=True),
        sa.Column("line_code", S(8)), sa.Column("seq", sa.Integer),
        sa.Column("type_code", S(1)), sa.Column("marker_type", S(8)),
        sa.Column("status", S(16), server_default="active"), sa.Column("material", T),
        sa.Column("installed_on", sa.Date), sa.Column("managing_adcode", S(12)),
        spatial=True,
    )
    _table(
        "inspection_campaigns",
        sa.Column("name", T, nullable=False), sa.Column("campaign_type", S(16)),
        sa.Column("line_codes", T), sa.Column("start_date", sa.Date),
        sa.Column("end_date", sa.Date), sa.Column("required_accuracy_m", sa.Float),
        sa.Column("filed_date", sa.Date), sa.Column("status", S(16), server_default="open"),
    )
    _table(
        "inspections",
        sa.Column("client_id", S(64), nullable=False, unique=True),
        sa.Column("campaign_id", sa.Integer), sa.Column("marker_id", sa.Integer, nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True)), sa.Column("inspector", T),
        sa.Column("condition", S(16)), sa.Column("gnss_accuracy_m", sa.Float),
        sa.Column("fixes", sa.Integer), sa.Column("displacement_m", sa.Float),
        sa.Column("action", S(24)), sa.Column("remarks", T), sa.Column("party_adcodes", T),
        spatial=True,
    )
    _table(
        "facilities",
        sa.Column("kind", S(40), nullable=False), sa.Column("name", T, nullable=False),
        sa.Column("community_code", S(12)), sa.Column("floor_area_m2", sa.Float),
        sa.Column("beds", sa.Integer), sa.Column("nursing_beds", sa.Integer),
        sa.Column("status", S(16), server_default="active"), sa.Column("operator", T),
        spatial=True,
    )
    _table(
        "door_plates",
        sa.Column("plate_uid", S(16), nullable=False, unique=True),
        sa.Column("street_id", sa.Integer), sa.Column("street_name", T),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("suffix", S(16), server_default=""),
        sa.Column("side", S(8)), sa.Column("building_name", T), sa.Column("households", sa.Integer),
        sa.Column("community_code", S(12)), sa.Column("status", S(16), server_default="active"),
        sa.Column("qr_token", S(64)), sa.Column("decision_body", T),
        sa.Column("decision_doc_no", T), sa.Column("decision_date", sa.Date),
        spatial=True,
    )
    _table(
        "linear_features",
        sa.Column("kind", S(16), nullable=False), sa.Column("name", T, nullable=False),
        spatial=True,
    )
    _table(
        "graves",
        sa.Column("status", S(16), nullable=False), sa.Column("near_feature", T),
        spatial=True,
    )
    _table(
        "users",
        sa.Column("username", S(64), nullable=False, unique=True),
        sa.Column("password_hash", T, nullable=False), sa.Column("role", S(24), nullable=False),
        sa.Column("display_name", T), sa.Column("active", sa.Boolean, server_default=sa.true()),
        sa.Column("dev_only", sa.Boolean, server_default=sa.false()),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("adcode", S(12), nullable=False),
        sa.Column("table_name", S(40), nullable=False),
        sa.Column("record_id", sa.Integer), sa.Column("action", S(24), nullable=False),
        sa.Column("actor", T, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("before", T), sa.Column("after", T), sa.Column("note", T),
    )
    op.create_index("ix_audit_log_table_name", "audit_log", ["table_name"])
    op.create_index("ix_audit_log_record_id", "audit_log", ["record_id"])


def downgrade() -> None:
    raise NotImplementedError("迁移不回退: 请恢复升级前的备份 · migrations are not reversed: "
                              "restore the backup taken before the upgrade")
