"""Accent- and case-insensitive search: "theiere" finds "Théière", "oeuf" finds "Œuf".

The lookup ``field__matches="word"`` compares ``lmb_search_text(field)`` with the same function
of the word (the field contains it); ``field__same_text="cpe-0002"`` is the whole value, for codes
typed or scanned ("cpe-0002" is the reference "CPÉ-0002"). On PostgreSQL ``lmb_search_text`` is
``upper(unaccent(...))``, declared IMMUTABLE so that trigram GIN indexes can be built on it (see
``migration_operations.trigram_indexes``); on SQLite the same function is registered in Python
for each connection.
"""

import unicodedata

from django.db.models import CharField, F, Lookup, TextField
from django.db.models.functions import Coalesce

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION lmb_search_text(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT upper(public.unaccent('public.unaccent'::regdictionary, value)) $$
"""


def search_text(value: str | None) -> str | None:
    """Python twin of the SQL function: no accents, no ligatures, upper case."""
    if value is None:
        return None
    decomposed = unicodedata.normalize("NFKD", str(value).translate(_LIGATURES))
    return "".join(char for char in decomposed if not unicodedata.combining(char)).upper()


class Matches(Lookup):
    """``name__matches="théière"``: the field contains the words, ignoring accents and case."""

    lookup_name = "matches"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        params = [f"%{connection.ops.prep_for_like_query(param)}%" for param in rhs_params]
        if connection.vendor == "postgresql":
            return f"lmb_search_text(({lhs})::text) LIKE lmb_search_text({rhs})", [*lhs_params, *params]
        return f"lmb_search_text({lhs}) LIKE lmb_search_text({rhs}) ESCAPE '\\'", [*lhs_params, *params]


class SameText(Lookup):
    """``reference__same_text="cpe-0002"``: the field is the value, ignoring accents and case (a
    code typed without its accents). PostgreSQL answers it from the same trigram index as
    ``matches`` (pg_trgm indexes equality since PostgreSQL 14)."""

    lookup_name = "same_text"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        if connection.vendor == "postgresql":
            lhs = f"({lhs})::text"
        return f"lmb_search_text({lhs}) = lmb_search_text({rhs})", [*lhs_params, *rhs_params]


for lookup in (Matches, SameText):
    CharField.register_lookup(lookup)
    TextField.register_lookup(lookup)


def register_sqlite_function(sender, connection, **kwargs):
    """``connection_created`` receiver: SQLite gets ``lmb_search_text`` as a Python function."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("lmb_search_text", 1, search_text, deterministic=True)


def ordering_for_search(orderings):
    """The same ordering, written so PostgreSQL does not walk a b-tree index to produce it.

    With a search, the fast plan reads the matches from the trigram indexes, then sorts them. But
    when the sort column has a b-tree index, the planner often prefers walking that index and
    testing every row until it has a page of matches — seconds when the matches sit at the far end
    of the alphabet. ``COALESCE(column, column)`` sorts the same rows the same way, and no index
    can produce it.
    """
    expressions = []
    for ordering in orderings:
        if not isinstance(ordering, str) or ordering.lstrip("-") == "pk":
            expressions.append(ordering)
            continue
        expression = unindexed(ordering.lstrip("-"))
        expressions.append(expression.desc() if ordering.startswith("-") else expression.asc())
    return expressions


def unindexed(name):
    """The column's value, written so that no b-tree index can produce it (see ``ordering_for_search``)."""
    return Coalesce(F(name), F(name))
