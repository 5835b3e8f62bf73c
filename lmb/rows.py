"""Reading and writing rows on the hot paths without the ORM's query compiler.

Issuing an invoice runs the same few statements thousands of times a day: the document under a
row lock, its lines, the company, then the issued document's update and its history entry.
Django compiles every query anew, and for a table of fifty columns that compilation costs
several times what PostgreSQL spends running the statement. Here the SQL of such a statement is
built once per model (and set of columns) and reused. Rows come back as model instances through
``Model.from_db`` with the backend's converters applied, exactly as the ORM would give them
(dates, decimals and JSON on SQLite too); values go out through each field's ``pre_save`` and
``get_db_prep_save``, as ``Model.save`` sends them.

The writes are for models whose ``save`` adds nothing and that no signal receiver listens to:
they skip both, by design.
"""

from functools import cache

from django.db import connections, router


@cache
def _select(model, using: str, vendor: str) -> tuple[str, tuple[str, ...], tuple]:
    """``SELECT <every column> FROM <table>``, the attribute names, and the converters of the
    columns that need some: (position, column, functions)."""
    connection = connections[using]
    fields = model._meta.concrete_fields
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(f"{table}.{quote(field.column)}" for field in fields)
    converters = []
    for position, field in enumerate(fields):
        column = field.get_col(model._meta.db_table)
        functions = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if functions:  # most columns need none on PostgreSQL
            converters.append((position, column, tuple(functions)))
    return f"SELECT {columns} FROM {table}", tuple(field.attname for field in fields), tuple(converters)


def _instances(model, using: str, sql: str, params: list) -> list:
    connection = connections[using]
    _base, attnames, converters = _select(model, using, connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    instances = []
    for row in rows:
        values = list(row)
        for position, column, functions in converters:
            for convert in functions:
                values[position] = convert(values[position], column, connection)
        instances.append(model.from_db(using, attnames, values))
    return instances


def get_row(model, pk, *, for_update: bool = False):
    """``model.objects.get(pk=pk)`` (``select_for_update()`` with ``for_update``), compiled once.
    Raises ``model.DoesNotExist`` like the ORM."""
    using = router.db_for_write(model) if for_update else router.db_for_read(model)
    connection = connections[using]
    base, _attnames, _converters = _select(model, using, connection.vendor)
    sql = f"{base} WHERE {connection.ops.quote_name(model._meta.pk.column)} = %s"
    if for_update and connection.features.has_select_for_update:  # SQLite locks the whole database instead
        sql += " FOR UPDATE"
    found = _instances(model, using, sql, [pk])
    if not found:
        raise model.DoesNotExist(f"{model._meta.object_name} {pk} does not exist.")
    return found[0]


def rows_where(model, column: str, value, *, order_by: tuple[str, ...] = ()) -> list:
    """Every row whose ``column`` equals ``value``, ordered by the given columns (ascending)."""
    using = router.db_for_read(model)
    connection = connections[using]
    base, _attnames, _converters = _select(model, using, connection.vendor)
    quote = connection.ops.quote_name
    sql = f"{base} WHERE {quote(column)} = %s"
    if order_by:
        sql += " ORDER BY " + ", ".join(quote(name) for name in order_by)
    return _instances(model, using, sql, [value])


@cache
def _update(model, names: tuple[str, ...], using: str, vendor: str) -> tuple[str, tuple]:
    connection = connections[using]
    quote = connection.ops.quote_name
    fields = tuple(model._meta.get_field(name) for name in names)
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    return f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(model._meta.pk.column)} = %s", fields


def _update_statement(instance, names, using: str) -> tuple[str, list]:
    """The UPDATE of ``names`` on the instance's row and its parameters, as ``save`` sends them."""
    connection = connections[using]
    sql, fields = _update(type(instance), tuple(names), using, connection.vendor)
    return sql, [*(field.get_db_prep_save(field.pre_save(instance, False), connection) for field in fields), instance.pk]


def update_fields(instance, names) -> None:
    """``instance.save(update_fields=names)``, compiled once per model and columns (no ``save``
    override, no signals: see the module's docstring)."""
    using = router.db_for_write(type(instance), instance=instance)
    sql, parameters = _update_statement(instance, names, using)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, parameters)


@cache
def _insert(model, using: str, vendor: str) -> tuple[str, tuple]:
    connection = connections[using]
    quote = connection.ops.quote_name
    fields = tuple(field for field in model._meta.concrete_fields if not field.primary_key)
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    return f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) RETURNING {pk}", fields


def _insert_statement(instance, using: str) -> tuple[str, list]:
    """The INSERT of the instance's row (returning its primary key) and its parameters."""
    connection = connections[using]
    sql, fields = _insert(type(instance), using, connection.vendor)
    return sql, [field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields]


def _saved(instance, pk, using: str):
    instance.pk = pk
    instance._state.adding, instance._state.db = False, using
    return instance


def insert(instance):
    """``instance.save()`` of a new row with an automatic primary key, compiled once per model
    (no ``save`` override, no signals: see the module's docstring). Sets the primary key."""
    using = router.db_for_write(type(instance), instance=instance)
    sql, parameters = _insert_statement(instance, using)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, parameters)
        return _saved(instance, cursor.fetchone()[0], using)


def save_together(*, update: tuple | None = None, inserts=()) -> None:
    """``update_fields(*update)`` and ``insert(instance)`` of each of ``inserts``, in one statement
    on PostgreSQL (data-modifying WITH queries: one round trip instead of one per row, which counts
    where the caller holds a lock every other writer waits for). Other databases run them one by one."""
    inserts = list(inserts)
    first = update[0] if update else next(iter(inserts), None)
    if first is None:
        return
    using = router.db_for_write(type(first), instance=first)
    if connections[using].vendor != "postgresql":
        if update:
            update_fields(*update)
        for instance in inserts:
            insert(instance)
        return
    parts, parameters = [], []
    if update:
        sql, values = _update_statement(*update, using)
        parts.append(f"updated AS ({sql} RETURNING 1)")
        parameters += values
    for index, instance in enumerate(inserts):
        sql, values = _insert_statement(instance, using)
        parts.append(f"inserted_{index} AS ({sql})")
        parameters += values
    pk_columns = ", ".join(f"(SELECT * FROM inserted_{index})" for index in range(len(inserts))) or "1"
    with connections[using].cursor() as cursor:
        cursor.execute(f"WITH {', '.join(parts)} SELECT {pk_columns}", parameters)
        primary_keys = cursor.fetchone()
    for instance, pk in zip(inserts, primary_keys, strict=False):  # "1" stands alone without inserts
        _saved(instance, pk, using)
