"""stored public plate lookups, their refresher's state, and the indexes of the lookup's one read

Revision 0008 (schema version 8). Frozen: the tables as they were at version 8. Never import
geo.store.schema here.

* ``plate_lookups``: per plate, the nearest elder-care station and community service centre on
  foot (id, name, kind, metres, minutes at 1.0 and 0.9 m/s), the plate position they were computed
  from and the audit ``seq`` they reflect. Derived data, kept by geo/plates/lookup_table.py.
* ``plate_lookup_state``: one row, made by the first refresh: how far the audit feed has been
  processed, and the lease that lets one refresher run at a time across processes.
* ``ix_audit_log_table_seq`` answers "newest change of this table" from the index;
  ``ix_place_names_standard_name`` joins a plate to its street's name record.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _services(kind: str) -> list[sa.Column]:
    return [sa.Column(f"{kind}_id", sa.Integer), sa.Column(f"{kind}_name", sa.Text),
            sa.Column(f"{kind}_kind", sa.String(40)), sa.Column(f"{kind}_distance_m", sa.Integer),
            sa.Column(f"{kind}_minutes", sa.Float), sa.Column(f"{kind}_minutes_elderly", sa.Float)]


def upgrade() -> None:
    op.create_table(
        "plate_lookups",
        sa.Column("plate_uid", sa.String(16), primary_key=True),
        sa.Column("plate_x", sa.Float), sa.Column("plate_y", sa.Float),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        *_services("care"), *_services("centre"),
    )
    op.create_table(
        "plate_lookup_state",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("lease_owner", sa.String(64)), sa.Column("lease_until", sa.DateTime(timezone=True)),
        sa.Column("refreshed_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_audit_log_table_seq", "audit_log", ["table_name", "seq"])
    op.create_index("ix_place_names_standard_name", "place_names", ["standard_name"])


def downgrade() -> None:
    raise NotImplementedError("迁移不回退: 请恢复升级前的备份 · migrations are not reversed: "
                              "restore the backup taken before the upgrade")
