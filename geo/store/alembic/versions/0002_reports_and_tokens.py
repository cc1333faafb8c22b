"""problem reports from the public; login tokens

Revision 0002 (schema version 2). Frozen: the tables as they were at version 2, written out here.
Never import geo.store.schema here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
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
    op.create_table(
        "problem_reports", *_common(),
        sa.Column("plate_uid", S(16)), sa.Column("kind", S(24), nullable=False),
        sa.Column("message", T), sa.Column("status", S(16), server_default="open"),
    )
    op.create_index("ix_problem_reports_adcode", "problem_reports", ["adcode"])
    op.create_table(
        "api_tokens", *_common(),
        sa.Column("token_sha256", S(64), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_api_tokens_adcode", "api_tokens", ["adcode"])


def downgrade() -> None:
    raise NotImplementedError("迁移不回退: 请恢复升级前的备份 · migrations are not reversed: "
                              "restore the backup taken before the upgrade")
