"""one plate checked against its own street: the street's plates read by index

Revision 0018 (schema version 18). Frozen: the index as it was at version 18. Never import geo.store.schema here.

Since the narrow read (``geo.plates.rules.load_plate_context(for_records=…)``), creating, moving or replacing a
plate reads the plates of its own street only (DP-04: a number is taken once per street). Without an index on
``door_plates.street_name`` that read still scanned every plate of the district (34,710 in the sample) to return a
street's few dozen. ``ix_door_plates_street_name`` makes it one index range per street. On PostgreSQL the index is
made on the partitioned table, so every district's partition has its own, and a partition made later gets one.
PostgreSQL then analyses the table: an upgraded database whose partitions had no statistics yet planned the read as
a bitmap AND with the district's index (every entry of it read, 1.26 ms a read) instead of the index alone (0.56 ms).
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_door_plates_street_name", "door_plates", ["street_name"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ANALYZE door_plates")


def downgrade() -> None:
    raise NotImplementedError("迁移不回退: 请恢复升级前的备份 · migrations are not reversed: "
                              "restore the backup taken before the upgrade")
