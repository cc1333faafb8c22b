"""place-name work: standard addresses below the plate, street signs, division changes, codes, heritage, sync

Revision 0011 (schema version 11). Frozen: the columns and tables as they were at version 11.
Never import geo.store.schema here.

* ``addresses``: standard addresses below a door plate (building 楼/幢, unit 单元, floor, room 室),
  each with a lifetime ``address_uid``, its parent (``plate_uid`` for a building, ``parent_uid`` for
  the rest), the standard address string and its romanized form, and a QR token like a plate's.
* ``street_signs``: street name signs (路牌) along a street: position, side, type, the name,
  romanization and Mongolian they show, number ranges and direction, installed / inspected /
  damaged / replaced dates, the sign that replaced it.
* ``division_changes``: a decision that creates, splits, merges, renames or re-codes communities,
  villages or sub-districts, with the units before and after (JSON lists of codes).
* ``unit_code_history``: old code → new code (and name), dated, per change; former names and codes
  stay searchable.
* ``code_counters``: the last serial handed out per code scheme and prefix, so a code (地名代码, a
  unit code, a sign id) is never handed out twice, even after its record is retired.
* ``name_protections``: the heritage protection list (地名文化遗产保护名录): decision, reason, dates,
  and the decision that lifted it.
* ``sync_batches``: the annual exchange with the national place-name database: each batch's year,
  sequence range, file, checksum, and when it was sent and acknowledged.
* ``door_plates.successor_plate_uid``: a replaced plate links to the plate that replaced it.
* ``admin_units.valid_from`` / ``valid_to``: a unit's life (a retired unit keeps its code).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.types import UserDefinedType

revision = "0011"
down_revision = "0010"
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
    op.add_column("door_plates", sa.Column("successor_plate_uid", S(16)))
    op.add_column("admin_units", sa.Column("valid_from", sa.Date))
    op.add_column("admin_units", sa.Column("valid_to", sa.Date))
    _table(
        "addresses",
        sa.Column("address_uid", S(20), nullable=False, unique=True),
        sa.Column("level", S(12), nullable=False),  # building, unit, floor, room
        sa.Column("plate_uid", S(16), nullable=False), sa.Column("parent_uid", S(20)),
        sa.Column("building", T), sa.Column("unit", T), sa.Column("floor", sa.Integer), sa.Column("room", T),
        sa.Column("standard_address", T), sa.Column("romanized", T),
        sa.Column("status", S(16), server_default="active"), sa.Column("qr_token", S(64)),
        sa.Column("source", T), sa.Column("retired_on", sa.Date),
        spatial=True, indexed=("plate_uid", "parent_uid"),
    )
    _table(
        "street_signs",
        sa.Column("sign_uid", S(16), nullable=False, unique=True),
        sa.Column("street_id", sa.Integer), sa.Column("place_name_id", sa.Integer),
        sa.Column("side", S(8)), sa.Column("sign_type", S(16), nullable=False),
        sa.Column("shows_name", T), sa.Column("shows_romanization", T), sa.Column("shows_mong", T),
        sa.Column("number_from", sa.Integer), sa.Column("number_to", sa.Integer), sa.Column("direction", S(8)),
        sa.Column("installed_on", sa.Date), sa.Column("inspected_on", sa.Date), sa.Column("damaged_on", sa.Date),
        sa.Column("replaced_on", sa.Date), sa.Column("condition", S(16)),
        sa.Column("status", S(24), server_default="active"), sa.Column("successor_sign_uid", S(16)),
        sa.Column("qr_token", S(64)), sa.Column("remarks", T),
        spatial=True, indexed=("street_id",),
    )
    _table(
        "division_changes",
        sa.Column("change_type", S(16), nullable=False),  # create, split, merge, rename, recode, retire
        sa.Column("decision_body", T, nullable=False), sa.Column("decision_doc_no", T, nullable=False),
        sa.Column("decision_date", sa.Date, nullable=False), sa.Column("effective_on", sa.Date),
        sa.Column("units_before", T), sa.Column("units_after", T), sa.Column("summary", T),
        sa.Column("made_by", T),
    )
    _table(
        "unit_code_history",
        sa.Column("change_id", sa.Integer), sa.Column("old_code", S(12)), sa.Column("new_code", S(12)),
        sa.Column("old_name", T), sa.Column("new_name", T), sa.Column("changed_on", sa.Date, nullable=False),
        indexed=("old_code", "new_code"),
    )
    _table(
        "code_counters",
        sa.Column("scheme", S(24), nullable=False), sa.Column("prefix", S(32), nullable=False),
        sa.Column("last_serial", sa.Integer, nullable=False),
        sa.UniqueConstraint("scheme", "prefix"),
    )
    _table(
        "name_protections",
        sa.Column("place_name_id", sa.Integer, nullable=False),
        sa.Column("decision_body", T), sa.Column("decision_doc_no", T), sa.Column("listed_on", sa.Date),
        sa.Column("reason", T), sa.Column("category", S(24)),
        sa.Column("lifted_on", sa.Date), sa.Column("lift_doc_no", T), sa.Column("lift_reason", T),
        sa.Column("status", S(16), server_default="listed"),
        indexed=("place_name_id",),
    )
    _table(
        "sync_batches",
        sa.Column("year", sa.Integer, nullable=False), sa.Column("batch_no", sa.Integer, nullable=False),
        sa.Column("from_seq", sa.BigInteger), sa.Column("to_seq", sa.BigInteger),
        sa.Column("record_count", sa.Integer), sa.Column("file_format", S(16)),
        sa.Column("checksum_sha256", S(64)), sa.Column("payload", T),
        sa.Column("made_by", T), sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True)), sa.Column("ack_ref", T),
        sa.UniqueConstraint("year", "batch_no"),
    )


def downgrade() -> None:
    raise NotImplementedError("迁移不回退: 请恢复升级前的备份 · migrations are not reversed: "
                              "restore the backup taken before the upgrade")
