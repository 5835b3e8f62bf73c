from django.db import migrations

from lmb.migration_operations import PostgresOnlySQL
from lmb.text_search import POSTGRES_FUNCTION


class Migration(migrations.Migration):
    """pg_trgm and unaccent are trusted extensions: the database owner may create them."""

    dependencies = [("lmb", "0002_roles")]

    operations = [
        PostgresOnlySQL(
            sql=["CREATE EXTENSION IF NOT EXISTS pg_trgm", "CREATE EXTENSION IF NOT EXISTS unaccent", POSTGRES_FUNCTION],
            reverse_sql=["DROP FUNCTION IF EXISTS lmb_search_text(text)"],
        )
    ]
