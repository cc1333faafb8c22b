"""audit log numbered in commit order: the change feed and the cache version read seq

Revision 0006 (schema version 6). Frozen: ``audit_log.seq`` and what numbers it, as they were at
version 6. Never import geo.store.schema here.

Ids are taken at insert and transactions commit in any order, so a reader paging on the id can
pass a row that commits later with a smaller id and never see it. ``seq`` is given at commit
instead, under a lock held until the transaction ends, so numbers are in commit order: a reader
that has seen number k has seen every number below k.

* PostgreSQL: a deferred constraint trigger fires at COMMIT. Its first firing in a transaction
  takes a transaction-level advisory lock (two int4 keys: ``hashtext('xincheng.audit_log.seq')``
  and ``hashtext(current_schema())``, a lock space apart from the migrations' single-bigint
  lock), then numbers all of the transaction's unnumbered rows in id order from
  ``max(nextval(audit_log_commit_seq), max(seq) + 1)`` and moves the sequence to the last number.
  Concurrent writers wait for one another only for that moment at commit. ``nextval`` is outside
  MVCC, so the numbers are right under any isolation level; ``max(seq)`` keeps them above rows a
  restore brought in. The function keeps the search_path it was created with.
* SQLite: writers are serialised by the database lock, so an ordinary AFTER INSERT trigger gives
  each row ``max(seq) + 1``.
* Rows already stored get their id as their number (old feed cursors stay valid); a unique index
  on ``seq`` and a partial index on unnumbered rows keep reads and numbering fast.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COMMON = (
    "UPDATE audit_log SET seq = id WHERE seq IS NULL",
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_audit_log_seq ON audit_log (seq)",
    "CREATE INDEX IF NOT EXISTS ix_audit_log_unsequenced ON audit_log (id) WHERE seq IS NULL",
)

POSTGRESQL = (
    "CREATE SEQUENCE IF NOT EXISTS audit_log_commit_seq AS bigint",
    "SELECT setval('audit_log_commit_seq', "
    "(SELECT coalesce(max(seq), 0) + 1 FROM audit_log), false)",
    """CREATE OR REPLACE FUNCTION audit_log_stamp_seq() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    base bigint;
    last bigint;
BEGIN
    -- One firing numbers all of the transaction's rows; the others find theirs done.
    IF EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id AND seq IS NOT NULL) THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('xincheng.audit_log.seq'), hashtext(current_schema()));
    base := greatest(nextval('audit_log_commit_seq'),
                     (SELECT coalesce(max(seq), 0) + 1 FROM audit_log));
    WITH numbered AS (
        UPDATE audit_log AS a SET seq = base + p.rn - 1
          FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn
                  FROM audit_log WHERE seq IS NULL) AS p
         WHERE a.id = p.id
        RETURNING a.seq)
    SELECT max(seq) INTO last FROM numbered;
    IF last IS NOT NULL THEN
        PERFORM setval('audit_log_commit_seq', last);
    END IF;
    RETURN NULL;
END $$""",
    "DROP TRIGGER IF EXISTS audit_log_commit_seq ON audit_log",
    """CREATE CONSTRAINT TRIGGER audit_log_commit_seq AFTER INSERT ON audit_log
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.seq IS NULL)
EXECUTE FUNCTION audit_log_stamp_seq()""",
)

SQLITE = (
    """CREATE TRIGGER IF NOT EXISTS audit_log_commit_seq AFTER INSERT ON audit_log
WHEN NEW.seq IS NULL BEGIN
UPDATE audit_log SET seq = (SELECT coalesce(max(seq), 0) + 1 FROM audit_log) WHERE id = NEW.id;
END""",
)


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("seq", sa.BigInteger))
    bind = op.get_bind()
    for ddl in COMMON + (POSTGRESQL if bind.dialect.name == "postgresql" else SQLITE):
        bind.exec_driver_sql(ddl)


def downgrade() -> None:
    raise NotImplementedError("迁移不回退: 请恢复升级前的备份 · migrations are not reversed: "
                              "restore the backup taken before the upgrade")
