"""Migration operations that only make sense on PostgreSQL (the production database); on SQLite,
the embedded default, they do nothing."""

from django.db import migrations


class PostgresOnlySQL(migrations.RunSQL):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def trigram_indexes(table: str, columns: list[str]) -> PostgresOnlySQL:
    """GIN trigram indexes on ``lmb_search_text(column)``, the expression of the ``__matches``
    lookup (lmb.text_search): a search inside 100,000 names stays an index scan."""
    forwards = [
        f"CREATE INDEX IF NOT EXISTS {table}_{column}_trgm ON {table} USING gin (lmb_search_text({column}::text) gin_trgm_ops)"
        for column in columns
    ]
    backwards = [f"DROP INDEX IF EXISTS {table}_{column}_trgm" for column in columns]
    return PostgresOnlySQL(sql=forwards, reverse_sql=backwards)


def immutable_rows(table: str, message: str) -> PostgresOnlySQL:
    """A PostgreSQL trigger refusing any UPDATE or DELETE of the table's rows: what the model
    layer refuses, a raw SQL statement cannot do either. (TRUNCATE, used by test teardown, is a
    table operation and not concerned.)"""
    function = f"{table}_immutable"
    return PostgresOnlySQL(
        sql=[
            f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{message} (id %)', OLD.id USING ERRCODE = 'integrity_constraint_violation';
            END $$""",
            f"CREATE TRIGGER {function} BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()",
        ],
        reverse_sql=[f"DROP TRIGGER IF EXISTS {function} ON {table}", f"DROP FUNCTION IF EXISTS {function}()"],
    )


def frozen_unless_draft(table: str, message: str, *, parent: tuple[str, str] | None = None) -> PostgresOnlySQL:
    """A PostgreSQL trigger for legal documents: a row whose status is no longer 'draft' refuses
    UPDATE and DELETE. With ``parent=(parent_table, column)``, the trigger guards a child table
    (lines, links, schedule): no insert, change or removal once the parent is not a draft."""
    function = f"{table}_frozen"
    if parent is None:
        body = f"""
            IF OLD.status <> 'draft' THEN
                RAISE EXCEPTION '{message} (id %)', OLD.id USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;"""
        events = "UPDATE OR DELETE"
    else:
        parent_table, column = parent
        body = f"""
            IF TG_OP IN ('UPDATE', 'DELETE') AND EXISTS (
                SELECT 1 FROM {parent_table} WHERE id = OLD.{column} AND status <> 'draft') THEN
                RAISE EXCEPTION '{message} (id %)', OLD.{column} USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') AND EXISTS (
                SELECT 1 FROM {parent_table} WHERE id = NEW.{column} AND status <> 'draft') THEN
                RAISE EXCEPTION '{message} (id %)', NEW.{column} USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;"""
        events = "INSERT OR UPDATE OR DELETE"
    return PostgresOnlySQL(
        sql=[
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} END $$",
            f"CREATE TRIGGER {function} BEFORE {events} ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()",
        ],
        reverse_sql=[f"DROP TRIGGER IF EXISTS {function} ON {table}", f"DROP FUNCTION IF EXISTS {function}()"],
    )
