"""stored coverage results: each district's 15-minute elder-care coverage per administrative unit

Revision 0013 (schema version 13). Frozen: the table as it was at version 13.
Never import geo.store.schema here.

* ``coverage_results``: per district (``adcode``) and per unit (district, sub-district or town,
  community or village), the households and residents 60+ within the walk of an elder-care
  facility and in all, the shares, the elder-care floor area and its m² per 100 households, with
  the walking parameters, the facility kinds, the district's planning data version (``data_seq``)
  they were computed from, when and by whom. Derived data (geo/planning/refresh.py, ``xincheng
  refresh``): a refresh replaces a district's rows in one transaction; no audit rows, not in backups.
  One row per unit of a district: unique (adcode, unit_code).

On PostgreSQL the table is a district table like those of revision 0012: row-level security with the
policy ``district_rows`` (a transaction sees and writes the rows of the district named by
``xincheng.adcode`` only), and the role ``xincheng_district`` may read and write it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ROLE = "xincheng_district"
TABLE = "coverage_results"
_OWN = "adcode = current_setting('xincheng.adcode', true)"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("adcode", sa.String(12), nullable=False),
        sa.Column("unit_code", sa.String(12), nullable=False),
        sa.Column("unit_name", sa.Text), sa.Column("level", sa.String(16)), sa.Column("parent_code", sa.String(12)),
        sa.Column("households", sa.Float), sa.Column("covered_households", sa.Float),
        sa.Column("household_share", sa.Float),
        sa.Column("residents_60plus", sa.Float), sa.Column("covered_60plus", sa.Float),
        sa.Column("share_60plus", sa.Float),
        sa.Column("care_floor_area_m2", sa.Float), sa.Column("care_per100_m2", sa.Float),
        sa.Column("minutes", sa.Float, nullable=False), sa.Column("speed_m_per_s", sa.Float, nullable=False),
        sa.Column("max_attach_m", sa.Float, nullable=False), sa.Column("kinds", sa.Text, nullable=False),
        sa.Column("data_seq", sa.BigInteger, nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("computed_by", sa.Text, nullable=False),
        sa.UniqueConstraint("adcode", "unit_code"),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    # Revision 0012 made the role and its default privileges; granted here as well, so the table is the
    # district's whoever owns the schema.
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {TABLE} TO {ROLE}")
    op.execute(f"""
        DO $$ BEGIN
            EXECUTE format('GRANT USAGE, SELECT, UPDATE ON SEQUENCE %s TO {ROLE}',
                           pg_get_serial_sequence('{TABLE}', 'id'));
        END $$""")
    op.execute(f"ALTER TABLE {TABLE} ENABLE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY district_rows ON {TABLE} TO {ROLE} USING ({_OWN}) WITH CHECK ({_OWN})")


def downgrade() -> None:
    raise NotImplementedError("迁移不回退: 请恢复升级前的备份 · migrations are not reversed: "
                              "restore the backup taken before the upgrade")
