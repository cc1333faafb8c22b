"""planning depth: rural norms, 四同步 estates, cemetery zoning, plots and burial figures, premises, history

Revision 0010 (schema version 10). Frozen: the columns and tables as they were at version 10.
Never import geo.store.schema here.

* ``admin_units.settlement_type`` (a village's or community's class for the rural norms: 城中村,
  城郊村, 中心村, 传统村落, …) and ``registered_residents`` (户籍人口; the plan's 60+ share is of it).
* ``facilities.status`` widened to 24 characters (``under_construction``);
* ``facilities``: ``opened_on``/``closed_on`` (a facility counts from the day it opens: indicator
  history) and ``planned_open_on`` (planned and under-construction facilities), ``eco_burial``
  (a cemetery or project for 节地生态安葬).
* ``graves.cleared_on``: when a scattered grave was cleared (indicator #7 over time).
* ``ban_zone_areas``: the 七区 as polygons (farmland, forest, grassland, parks, scenic areas, cultural
  relics, water-source and nature protection areas, built-up residential areas), CM-01.
* ``premises``: available premises a station could move into (siting candidates).
* ``new_estates``: a new estate's housing and elder-care milestones (四同步: planned, built,
  inspected, handed over together).
* ``cemetery_plot_types``: a cemetery's plot types with their area (CM-02).
* ``burial_statistics``: deaths, cremations, burials and eco-burials per year and unit.
* ``indicator_snapshots``: the plan's indicators as computed for a date, with the data version used.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.types import UserDefinedType

revision = "0010"
down_revision = "0009"
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
    op.add_column("admin_units", sa.Column("settlement_type", S(24)))
    op.add_column("admin_units", sa.Column("registered_residents", sa.Integer))
    # "under_construction" is 18 characters. SQLite keeps any length but declares the type, so the
    # table is rebuilt there (batch mode copies the rows and ids); its R*Tree rows stay, keyed by id,
    # and the triggers that feed them, dropped with the old table, are made again.
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("facilities", "status", type_=S(24), existing_type=S(16))
    else:
        with op.batch_alter_table("facilities", recreate="always") as batch:
            batch.alter_column("status", type_=S(24), existing_type=S(16))
        _spatial_index("facilities")
    op.add_column("facilities", sa.Column("opened_on", sa.Date))
    op.add_column("facilities", sa.Column("closed_on", sa.Date))
    op.add_column("facilities", sa.Column("planned_open_on", sa.Date))
    op.add_column("facilities", sa.Column("eco_burial", sa.Boolean))
    op.add_column("graves", sa.Column("cleared_on", sa.Date))
    _table(
        "ban_zone_areas",
        sa.Column("kind", S(24), nullable=False), sa.Column("name", T, nullable=False),
        sa.Column("source", T), sa.Column("source_date", sa.Date),
        spatial=True, indexed=("kind",),
    )
    _table(
        "premises",
        sa.Column("name", T, nullable=False), sa.Column("community_code", S(12)),
        sa.Column("floor_area_m2", sa.Float), sa.Column("owner", T), sa.Column("available_from", sa.Date),
        sa.Column("status", S(16), server_default="available"), sa.Column("remarks", T),
        spatial=True,
    )
    _table(
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
    _table(
        "cemetery_plot_types",
        sa.Column("facility_id", sa.Integer, nullable=False), sa.Column("plot_type", S(24), nullable=False),
        sa.Column("area_m2", sa.Float, nullable=False), sa.Column("plots", sa.Integer),
        sa.Column("eco", sa.Boolean, server_default=sa.false()),
        sa.UniqueConstraint("facility_id", "plot_type"),
        indexed=("facility_id",),
    )
    _table(
        "burial_statistics",
        sa.Column("year", sa.Integer, nullable=False), sa.Column("unit_code", S(12), nullable=False),
        sa.Column("deaths", sa.Integer), sa.Column("cremations", sa.Integer),
        sa.Column("burials", sa.Integer), sa.Column("eco_burials", sa.Integer), sa.Column("source", T),
        sa.UniqueConstraint("year", "unit_code"),
    )
    _table(
        "indicator_snapshots",
        sa.Column("label", T, nullable=False), sa.Column("kind", S(16), nullable=False),
        sa.Column("as_of", sa.Date, nullable=False), sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_by", T, nullable=False), sa.Column("data_seq", sa.BigInteger),
        sa.Column("params", T), sa.Column("indicators", T, nullable=False),
        indexed=("as_of",),
    )


def downgrade() -> None:
    raise NotImplementedError("迁移不回退: 请恢复升级前的备份 · migrations are not reversed: "
                              "restore the backup taken before the upgrade")
