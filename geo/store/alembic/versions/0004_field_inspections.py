"""field inspections: photos, conflict flags, joint sign-off

Revision 0004 (schema version 4). Frozen: the columns added to ``inspections`` and
``inspection_campaigns`` and the new tables, as they were at version 4. Never import
geo.store.schema here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
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
        sa.Column("classification", S(16)),
        sa.Column("conflict", sa.Boolean, server_default=sa.false()),
        sa.Column("team", T), sa.Column("payload_sha256", S(64)),
    ):
        op.add_column("inspections", column)
    op.add_column("inspection_campaigns", sa.Column("teams", T))

    op.create_table(
        "inspection_photos", *_common(),
        sa.Column("inspection_id", sa.Integer, nullable=False),
        sa.Column("sha256", S(64), nullable=False),
        sa.Column("content_type", S(32), nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_inspection_photos_adcode", "inspection_photos", ["adcode"])
    op.create_index("ix_inspection_photos_inspection_id", "inspection_photos", ["inspection_id"])

    op.create_table(
        "campaign_signoffs", *_common(),
        sa.Column("campaign_id", sa.Integer, nullable=False),
        sa.Column("party_adcode", S(12), nullable=False),
        sa.Column("signed_by", T, nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("campaign_id", "party_adcode"),
    )
    op.create_index("ix_campaign_signoffs_adcode", "campaign_signoffs", ["adcode"])
    op.create_index("ix_campaign_signoffs_campaign_id", "campaign_signoffs", ["campaign_id"])


def downgrade() -> None:
    raise NotImplementedError("迁移不回退: 请恢复升级前的备份 · migrations are not reversed: "
                              "restore the backup taken before the upgrade")
