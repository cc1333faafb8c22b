"""residents' problem reports carry their resolution

Revision 0007 (schema version 7). Frozen: the columns an officer fills when resolving a report
from the public plate page (who, when, with what note), as they were at version 7. Never import
geo.store.schema here. ``problem_reports.status`` (open, resolved) exists since revision 0002.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("problem_reports", sa.Column("resolved_at", sa.DateTime(timezone=True)))
    op.add_column("problem_reports", sa.Column("resolved_by", sa.Text))
    op.add_column("problem_reports", sa.Column("resolution_note", sa.Text))
    op.execute("UPDATE problem_reports SET status = 'open' WHERE status IS NULL")


def downgrade() -> None:
    raise NotImplementedError("迁移不回退: 请恢复升级前的备份 · migrations are not reversed: "
                              "restore the backup taken before the upgrade")
