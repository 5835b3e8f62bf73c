"""Accent- and case-insensitive search: "theiere" finds "Théière", "oeuf" finds "Œuf".

The lookup ``field__matches="word"`` compares ``lmb_search_text(field)`` with the same function
of the word (the field contains it); ``field__same_text="cpe-0002"`` is the whole value, for codes
typed or scanned ("cpe-0002" is the reference "CPÉ-0002"). On PostgreSQL ``lmb_search_text`` is
``upper(unaccent(...))``, declared IMMUTABLE so that trigram GIN indexes can be built on it (see
``migration_operations.trigram_indexes``); on SQLite the same function is registered in Python
for each connection.
"""

import unicodedata
from functools import reduce
from operator import and_, or_

from django.core.exceptions import FieldDoesNotExist
from django.db.models import BooleanField, CharField, Expression, F, Lookup, Q, Subquery, TextField
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


class AnyOf(Expression):
    """``column = ANY(ARRAY(subquery))``: the rows whose foreign key is among the subquery's ids.

    Written this way rather than ``column IN (subquery)`` because PostgreSQL runs the subquery
    once (an InitPlan) and then reads ``column = ANY($1)`` from the column's b-tree index, which
    it can OR with the table's own trigram indexes (a BitmapOr). ``IN (subquery)`` inside an OR
    becomes a filter tested on every row: a search for « dupont » read all 200,000 invoices."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, column, queryset):
        super().__init__()
        self.column, self.subquery = F(column), Subquery(queryset)

    def get_source_expressions(self):
        return [self.column, self.subquery]

    def set_source_expressions(self, expressions):
        self.column, self.subquery = expressions

    def as_sql(self, compiler, connection):
        column_sql, column_params = compiler.compile(self.column)
        subquery_sql, subquery_params = compiler.compile(self.subquery)
        if connection.vendor == "postgresql":
            return f"{column_sql} = ANY(ARRAY{subquery_sql})", [*column_params, *subquery_params]
        return f"{column_sql} IN {subquery_sql}", [*column_params, *subquery_params]


def word_in_some_field(model, word: str, paths):
    """The condition "``word`` is in one of the fields at ``paths``". The fields behind one
    foreign key (``customer__code``, ``customer__name``) are searched together in the related
    table, by its own trigram indexes, and joined back by the key (``AnyOf``): no join, so the
    table's own searched fields keep their indexes."""
    conditions, behind = [], {}
    for path in paths:
        head, _, rest = path.partition("__")
        field = _forward_key(model, head) if rest else None
        if field is None:
            conditions.append(Q(**{f"{path}__matches": word}))
        else:
            behind.setdefault(field, []).append(rest)
    for field, rests in behind.items():
        related = field.related_model._base_manager.filter(word_in_some_field(field.related_model, word, rests)).order_by()
        conditions.append(Q(AnyOf(field.attname, related.values(field.target_field.attname))))
    return reduce(or_, conditions)


def _forward_key(model, name):
    """The foreign key (or one-to-one) ``name`` of ``model``, else None."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if field.is_relation and (field.many_to_one or field.one_to_one) and field.concrete else None


def every_word_in_some_field(model, words, fields):
    """Every word appears in at least one of the fields (the search box's rule)."""
    return reduce(and_, [word_in_some_field(model, word, fields) for word in words])
