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
