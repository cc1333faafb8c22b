"""gazetteer lifecycle: place-name events, former names, plate reprint queue

Revision 0003 (schema version 3). Frozen: the columns added to ``place_names`` and the new
tables, as they were at version 3. Never import geo.store.schema here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

S = sa.String
T = sa.Text


def _common() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("adcode", S(12), nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    for column in (
        sa.Column("feature_class", S(24)), sa.Column("romanization_basis", T),
        sa.Column("override_reason", T),
        sa.Column("name_mong_pending", sa.Boolean, server_default=sa.false()),
        sa.Column("filed_date", sa.Date), sa.Column("announce_date", sa.Date),
        sa.Column("justification", T), sa.Column("search_key", T),
    ):
        op.add_column("place_names", column)

    op.create_table(
        "place_name_events", *_common(),
        sa.Column("place_name_id", sa.Integer, nullable=False),
        sa.Column("from_status", S(16)), sa.Column("to_status", S(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", T, nullable=False),
        sa.Column("comment", T), sa.Column("document_ref", T), sa.Column("warnings", T),
    )
    op.create_index("ix_place_name_events_adcode", "place_name_events", ["adcode"])
    op.create_index("ix_place_name_events_place_name_id", "place_name_events", ["place_name_id"])

    op.create_table(
        "former_names", *_common(),
        sa.Column("place_name_id", sa.Integer, nullable=False),
        sa.Column("name", T, nullable=False), sa.Column("romanization", T),
        sa.Column("valid_from", sa.Date), sa.Column("valid_to", sa.Date),
        sa.Column("reason", T),
    )
    op.create_index("ix_former_names_adcode", "former_names", ["adcode"])
    op.create_index("ix_former_names_place_name_id", "former_names", ["place_name_id"])

    op.create_table(
        "plate_reprints", *_common(),
        sa.Column("plate_uid", S(16), nullable=False), sa.Column("reason", T, nullable=False),
        sa.Column("status", S(16), server_default="queued"),
    )
    op.create_index("ix_plate_reprints_adcode", "plate_reprints", ["adcode"])
    op.create_index("ix_plate_reprints_plate_uid", "plate_reprints", ["plate_uid"])


def downgrade() -> None:
    raise NotImplementedError("迁移不回退: 请恢复升级前的备份 · migrations are not reversed: "
                              "restore the backup taken before the upgrade")
