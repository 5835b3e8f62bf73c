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
from django.db.models import CharField, Exists, F, Lookup, OuterRef, Q, TextField
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


# A word found in more related rows than this (« modèle » in every product's designation) is
# looked for by a subquery; below, by the ids read first (see ``word_in_some_field``).
RELATED_IDS_LIMIT = 2_000


def word_in_some_field(model, word: str, paths, *, few_rows=False):
    """The condition "``word`` is in one of the fields at ``paths``".

    The fields behind one foreign key (``customer__code``, ``customer__name``) are searched in the
    related table first, by its own trigram indexes, and the list keeps the rows whose key is
    among the ids found — no join, so the list's own searched fields keep their indexes and
    PostgreSQL ORs them (a BitmapOr), knowing how many ids it looks for. A word found in more than
    ``RELATED_IDS_LIMIT`` related rows is not selective: the key is then tested against a
    subquery (a hash of its ids, one probe per row read), as the rows are read in the list's order
    — or, when another condition already leaves ``few_rows`` to test, the related row of each is
    looked at (cheaper than listing 100,000 products holding « modèle »).
    """
    own, behind = _own_and_related_fields(model, paths)
    # Said beside a related table's, « in the move's reference, or its product among these »,
    # PostgreSQL tests both on every row it reads until it has enough; the key's condition alone is
    # a join it plans from the related rows (« théière »: the 83,940 moves of 8,394 products read by
    # the product's index — the count's 15 ms instead of 115).
    in_own_rows = not (behind and _known_in_no_own_row(model, own, word))
    conditions = [Q(**{f"{path}__matches": word}) for path in own] if in_own_rows else []
    for field, rests in behind.items():
        related = field.related_model._base_manager.filter(word_in_some_field(field.related_model, word, rests))
        conditions.append(_key_among(field, related, each_row=few_rows))
    return reduce(or_, conditions)


def _in_own_fields(own_paths, word):
    """``word`` in one of the table's own fields (with none, a condition no row meets)."""
    return reduce(or_, [Q(**{f"{path}__matches": word}) for path in own_paths], Q(pk__in=[]))


def _known_in_no_own_row(model, own_paths, word) -> bool:
    """Whether no row holds ``word`` in the table's own fields, asked of their trigram indexes in
    one small query. A word of one or two letters has no trigram: it is not asked (asking could
    read the whole table), nor are a list's annotations (the till's closures search their rank as
    text), which the table alone does not have — False, not known."""
    if not own_paths:
        return True
    if len(search_text(word)) < 3 or not all(_is_column(model, path) for path in own_paths):
        return False
    return not model._base_manager.filter(_in_own_fields(own_paths, word)).exists()


def _is_column(model, name) -> bool:
    try:
        return model._meta.get_field(name).concrete
    except FieldDoesNotExist:
        return False


def _own_and_related_fields(model, paths):
    """``paths`` split into the model's own fields and, per foreign key, the paths behind it."""
    own, behind = [], {}
    for path in paths:
        head, _, rest = path.partition("__")
        field = _forward_key(model, head) if rest else None
        if field is None:
            own.append(path)
        else:
            behind.setdefault(field, []).append(rest)
    return own, behind


def _key_among(field, related, *, each_row=False):
    """The rows whose foreign key ``field`` points to one of the ``related`` rows: by their ids,
    read now, when there are at most ``RELATED_IDS_LIMIT``; beyond, by a subquery — hashed once,
    or (``each_row``) run for each row tested."""
    ids = _ids_if_few(related, field.target_field.attname)
    if ids is not None:
        return Q(**{f"{field.attname}__in": ids})
    if each_row:
        return Q(Exists(related.filter(**{field.target_field.attname: OuterRef(field.attname)})))
    return Q(**{f"{field.attname}__in": related.order_by().values_list(field.target_field.attname, flat=True)})


def _ids_if_few(rows, column):
    """The ``column`` of ``rows``, read now, when there are at most ``RELATED_IDS_LIMIT`` of them;
    else None."""
    ids = list(rows.order_by().values_list(column, flat=True)[: RELATED_IDS_LIMIT + 1])
    return ids if len(ids) <= RELATED_IDS_LIMIT else None


def _forward_key(model, name):
    """The foreign key (or one-to-one) ``name`` of ``model``, else None."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if field.is_relation and (field.many_to_one or field.one_to_one) and field.concrete else None


def every_word_in_some_field(model, words, fields):
    """Every word appears in at least one of the fields (the search box's rule)."""
    if len(words) > 1:
        through_related_row = _only_through_the_related_row(model, words, fields)
        if through_related_row is not None:
            return through_related_row
    narrowed = _rows_worth_reading(model, words, fields) if len(words) > 1 else None
    if narrowed is None:
        return reduce(and_, [word_in_some_field(model, word, fields) for word in words])
    candidates, holding_every_word = narrowed
    each_word = reduce(and_, [word_in_some_field(model, word, fields, few_rows=True) for word in words])
    # A row whose related row holds every word matches: the test of each word is left for the
    # others (PostgreSQL tests an OR's terms in turn and stops at the first true one).
    return candidates & (holding_every_word | each_word)


def _only_through_the_related_row(model, words, fields):
    """The condition when the long words can only be in the related row — or None.

    « nappe grès modèle 0 » on the stock moves: no move's own reference holds « nappe », « grès »
    or « modèle » (one small trigram query each tells), so a move matches when its product holds
    the three — a few hundred products, read by their indexes — and each short word (« 0 », no
    trigram to find it by) is in the move's own fields or in that product. The products are
    read once, not each word's (« modèle » is in every product), and a short word is looked for
    among them only. None when the search has no such shape (fields behind two keys, no long
    word, a long word in some row's own fields, too many products to list)."""
    own, behind = _own_and_related_fields(model, fields)
    long_words = [word for word in words if len(search_text(word)) >= 3]
    short_words = [word for word in words if word not in long_words]
    if len(behind) != 1 or not long_words or not all(_known_in_no_own_row(model, own, word) for word in long_words):
        return None
    ((field, rests),) = behind.items()
    related, key, target = field.related_model._base_manager, field.attname, field.target_field.attname
    holding_long_words = _ids_if_few(related.filter(every_word_in_some_field(field.related_model, long_words, rests)), target)
    if holding_long_words is None:
        return None
    condition = Q(**{f"{key}__in": holding_long_words})
    for word in short_words:
        holding_it = related.filter(word_in_some_field(field.related_model, word, rests), **{f"{target}__in": holding_long_words})
        condition &= _in_own_fields(own, word) | Q(**{f"{key}__in": _ids_if_few(holding_it, target)})
    return condition


def _rows_worth_reading(model, words, fields):
    """For the fields behind a single foreign key: the rows worth testing, by a condition every
    match meets and indexes can answer, and the rows known to match, whose related row holds
    every word — or None when there is no such shortcut.

    For « nappe grès modèle 0 » on the stock moves, each word alone matches thousands of products
    (« 0 » all of them), but the products holding the three long words are few. A row in which
    no word is found in the table's own fields holds every word in the related row, so it is
    among the related rows that hold them all (read first, by their indexes); any other row has
    a word in its own fields. Said as an extra condition, it changes no result and lets
    PostgreSQL read the few candidates from indexes instead of testing each word on every row.
    (With two foreign keys, words may be split across them: no such condition.)"""
    own, behind = _own_and_related_fields(model, fields)
    # A word of one or two letters has no trigram: no index finds it, so the candidates are read
    # by the long words (the condition holds for any subset of the words).
    long_words = [word for word in words if len(search_text(word)) >= 3]
    if len(behind) != 1 or not long_words:
        return None
    ((field, rests),) = behind.items()

    def holding(some_words):
        related = field.related_model._base_manager
        return _key_among(field, related.filter(every_word_in_some_field(field.related_model, some_words, rests)))

    holding_long_words = holding(long_words)
    in_own_fields = [Q(**{f"{path}__matches": word}) for path in own for word in long_words]
    candidates = reduce(or_, in_own_fields, holding_long_words)
    holding_every_word = holding_long_words if len(long_words) == len(words) else holding(words)
    return candidates, holding_every_word
