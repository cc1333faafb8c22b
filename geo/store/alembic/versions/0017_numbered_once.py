"""audit log numbering on PostgreSQL: the firings after a transaction's rows are numbered return at once

Revision 0017 (schema version 17). Frozen: the function as it was at version 17. Never import geo.store.schema here.

Revision 0006's deferred trigger fires once per audit row at ``COMMIT``. Its first firing numbers all of the
transaction's unnumbered rows; every later firing then asked the table whether its own row was numbered (an index
probe and a visit of the row, ~29 µs): 1.0 s of the commit of an upsert of the 34,710 sample plates, whose rows the
first firing had numbered already. The first firing now also notes, for the rest of the transaction, the highest id
it numbered (a transaction-local setting, ``xincheng.audit_numbered_to``, prefixed with the schema, since each
schema's audit_log has its own ids, and the transaction's id, so that a value set for the session by hand counts for
nothing), and a firing for a row at or below it returns without reading the table. A
statement inserting audit rows after that (after ``SET CONSTRAINTS … IMMEDIATE``, say, with any ids) clears the
mark (a statement-level trigger before it, once per statement), so its rows' firings ask the table and number them;
the numbering itself, its lock and its order are 0006's.
SQLite numbers each row as it is inserted: nothing changes there but the version.
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

FUNCTION = """CREATE OR REPLACE FUNCTION audit_log_stamp_seq() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    base bigint;
    last bigint;
    top bigint;
    mark text := current_schema() || ':' || txid_current() || ':';
    done text := current_setting('xincheng.audit_numbered_to', true);
    rest text := CASE WHEN starts_with(coalesce(done, ''), mark) THEN substr(done, length(mark) + 1) END;
    upto bigint := CASE WHEN rest ~ '^[0-9]{1,18}$' THEN rest::bigint END;
BEGIN
    -- One firing numbers all of the transaction's rows; the others find theirs done, most without a query.
    IF upto IS NOT NULL AND NEW.id <= upto THEN
        RETURN NULL;
    END IF;
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
        RETURNING a.id, a.seq)
    SELECT max(seq), max(id) INTO last, top FROM numbered;
    IF last IS NOT NULL THEN
        PERFORM setval('audit_log_commit_seq', last);
        PERFORM set_config('xincheng.audit_numbered_to', mark || greatest(top, coalesce(upto, 0))::text, true);
    END IF;
    RETURN NULL;
END $$"""

# Any insert after the numbering (an explicit id below the mark, or ids set back by a restore's setval, would
# otherwise be taken for numbered: review) clears the mark, once per statement and before its rows: their firings,
# at COMMIT or (after SET CONSTRAINTS … IMMEDIATE) at the statement's end, ask the table again (after the insert,
# the row firings of an immediate statement ran first and took the mark: recheck).
FORGET = (
    """CREATE OR REPLACE FUNCTION audit_log_forget_numbered() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('xincheng.audit_numbered_to', true), '') <> '' THEN
        PERFORM set_config('xincheng.audit_numbered_to', '', true);
    END IF;
    RETURN NULL;
END $$""",
    "DROP TRIGGER IF EXISTS audit_log_forget_numbered ON audit_log",
    "CREATE TRIGGER audit_log_forget_numbered BEFORE INSERT ON audit_log FOR EACH STATEMENT "
    "EXECUTE FUNCTION audit_log_forget_numbered()",
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    bind.exec_driver_sql(FUNCTION)
    for ddl in FORGET:
        bind.exec_driver_sql(ddl)


def downgrade() -> None:
    raise NotImplementedError("迁移不回退: 请恢复升级前的备份 · migrations are not reversed: "
                              "restore the backup taken before the upgrade")
