"""${message}

Revision ${up_revision} (schema version ${int(up_revision)}), after ${down_revision}. Frozen: write
the DDL out as it is at this version (op.create_table / op.add_column with explicit columns);
never import geo.store.schema here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = None
depends_on = None


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    raise NotImplementedError("迁移不回退: 请恢复升级前的备份 · migrations are not reversed: "
                              "restore the backup taken before the upgrade")
