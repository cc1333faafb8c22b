"""users carry the districts they act for

Revision 0005 (schema version 5). Frozen: ``users.adcodes`` (comma-separated adcodes; sign-off is
per side), as it was at version 5. Never import geo.store.schema here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("adcodes", sa.Text))


def downgrade() -> None:
    raise NotImplementedError("迁移不回退: 请恢复升级前的备份 · migrations are not reversed: "
                              "restore the backup taken before the upgrade")
