"""Every row of an analysis, streamed for the exports: constant memory however many rows.

The screen and the API show the 50 largest rows under each row (``queries.run`` with a limit);
an export gives every row — customer × product over a year is hundreds of thousands of them.
Built as ``queries.run`` would build them, they would all be held at once. Here one statement
reads the finest groups through a server-side cursor, in the order they are written:

- the compared period is read by the same statement (conditional sums over both periods, the
  compared period's period keys moved onto the analysed period as ``queries._compare_keys`` moves
  them: truncated, shifted, truncated again);
- each parent's subtotals are window sums over its children (``SUM(…) OVER (PARTITION BY …)``),
  so a subtotal row is written just before its first child;
- rows are ordered as the screen orders them: periods in time order, other levels by the first
  measure of the group, largest first, then by key. A count of documents does not add up across
  children, so when the first measure is the number of documents or the average basket, the rows
  are ordered by net sales (the screen, which holds its rows, orders them by the measure itself).

What is kept in memory: the number of documents of each parent group, when that measure is asked
(one COUNT(DISTINCT) per depth: parents are far fewer than rows) — and one chunk of rows.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connections
from django.db.models import Case, Count, DateField, F, Func, Q, When
from django.db.models.functions import TruncMonth, TruncQuarter, TruncWeek, TruncYear

from . import queries
from . import spec as specs

CHUNK = 5000  # rows read at a time (and one label query per level per chunk)
TRUNCATIONS = {"week": TruncWeek, "month": TruncMonth, "quarter": TruncQuarter, "year": TruncYear}


@dataclass(frozen=True)
class StreamedRow:
    depth: int  # 0 for the first level; the grand total has depth 0 and level ""
    level: str
    label: str
    values: dict
    compare: dict | None


class AddMonths(Func):
    """``day`` + n months, the day clamped to the month's last (31 January + 1 month = 28 or 29
    February), as ``spec.add_months`` does."""

    output_field = DateField()

    def __init__(self, expression, months: int):
        super().__init__(expression)
        self.months = int(months)

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(({sql}) + make_interval(months => {self.months}))::date", params

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        # SQLite rolls 31 January + 1 month over to 3 March: take the month's last day instead.
        after, last = f"'{self.months:+d} months'", f"'{self.months + 1:+d} months'"
        clamped = f"MIN(date({sql}, {after}), date({sql}, 'start of month', {last}, '-1 day'))"
        return clamped, [*params, *params]


class AddDays(Func):
    """``day`` + n days, a date on both databases (Django's date + timedelta is a timestamp)."""

    output_field = DateField()

    def __init__(self, expression, days: int):
        super().__init__(expression)
        self.days = int(days)

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(({sql})::date + {self.days})", params

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"date({sql}, '{self.days:+d} days')", params


def _shifted(spec: specs.Spec, day):
    """The expression moving a compared day onto the analysed period."""
    if spec.compare == "last_year":
        return AddMonths(day, 12)
    months = specs.whole_months(spec.start, spec.end)
    if months:
        return AddMonths(day, months)
    return AddDays(day, (spec.end - spec.start).days + 1)


def _truncated(level: str, day):
    if level == "day":
        return day
    return TRUNCATIONS[level](day, output_field=DateField())


def _key_expressions(spec: specs.Spec, comparing: bool) -> dict:
    expressions = {}
    for index, level in enumerate(spec.levels):
        expression = queries.level_expression(level, spec.category_depth)
        if comparing and level in specs.PERIOD_LEVELS:
            moved = _truncated(level, _shifted(spec, _truncated(level, F("day"))))
            expression = Case(When(day__lt=spec.start, then=moved), default=expression, output_field=DateField())
        expressions[f"k{index}"] = expression
    return expressions


def _within(aggregate, condition: Q):
    clone = aggregate.copy()
    clone.filter = condition if clone.filter is None else clone.filter & condition
    return clone


def _sums(spec: specs.Spec, comparing: bool) -> dict:
    """The conditional sums of the statement: ``a_name`` for the analysed period, ``c_name`` for the
    compared one, and ``n`` (facts of the analysed period) to tell a group that exists now. (A sum
    named as its column would be taken for the column by the compared period's sum.)"""
    aggregates = queries.asked_aggregates(spec)
    if not comparing:  # every fact read is of the analysed period: plain sums
        return {**{f"a_{name}": aggregate for name, aggregate in aggregates.items()}, "n": Count("pk")}
    now, before = Q(day__gte=spec.start), Q(day__lt=spec.start)
    sums = {f"a_{name}": _within(aggregate, now) for name, aggregate in aggregates.items()}
    sums["n"] = Count("pk", filter=now)
    sums.update({f"c_{name}": _within(aggregate, before) for name, aggregate in aggregates.items()})
    return sums


def _facts(spec: specs.Spec, using: str):
    period = spec.comparison_period()
    if period is None:
        return queries.filtered_facts(spec, spec.start, spec.end, using)
    both = Q(day__range=(spec.start, spec.end)) | Q(day__range=period)
    return queries.filtered_facts(spec, period[0], spec.end, using).filter(both)


def _order_expression(spec: specs.Spec, column) -> str:
    """SQL ordering the groups by the first measure from their sums (``column(name)`` names a
    sum); by the amount (net sales or purchases) when it is a count of documents or a basket."""
    net, cost = column("a_net"), column("a_cost")
    match spec.measures[0]:
        case "margin":
            return f"{net} - {cost}"
        case "margin_rate":
            return f"({net} - {cost}) / NULLIF({net}, 0)"
        case "documents" | "basket":
            return column("a_net_purchases" if spec.mode == "purchases" else "a_net")
    return column(f"a_{spec.measures[0]}")


def _statement(spec: specs.Spec, using: str) -> tuple[str, list, list[str], list[str]]:
    """The finest groups with their parents' window sums, in the order written. Returns the SQL,
    its parameters, the names of the finest sums and of those summed for the parents (the window
    sums ``p<depth>_<name>``: every sum but the counts of documents)."""
    comparing = spec.comparison_period() is not None
    keys = _key_expressions(spec, comparing)
    sums = _sums(spec, comparing)
    inner = _facts(spec, using).annotate(**keys).values(*keys).annotate(**sums).order_by()
    sql, params = inner.query.get_compiler(using).as_sql()
    quote = connections[using].ops.quote_name
    aliases = list(keys)
    additive = [name for name in sums if not name.endswith("documents")]
    windows = []
    for depth in range(len(aliases)):  # depth 0: the grand total, over every group
        partition = ", ".join(f"t.{quote(alias)}" for alias in aliases[:depth])
        over = f"PARTITION BY {partition}" if partition else ""
        for name in additive:
            windows.append(f"SUM(t.{quote(name)}) OVER ({over}) AS {quote(f'p{depth}_{name}')}")
    with_windows = f"SELECT t.*{''.join(', ' + window for window in windows)} FROM ({sql}) t"  # noqa: S608
    ordering = []
    for depth, level in enumerate(spec.levels, start=1):
        key = f"w.{quote(aliases[depth - 1])}"
        if level in specs.PERIOD_LEVELS:
            ordering.append(f"{key} ASC NULLS LAST")
            continue
        prefix = f"p{depth}_" if depth < len(aliases) else ""

        def column(name, prefix=prefix):
            return f"w.{quote(prefix + name)}"

        ordering.append(f"{_order_expression(spec, column)} DESC NULLS LAST")
        ordering.append(f"{key} ASC NULLS LAST")
    query = f"SELECT * FROM ({with_windows}) w ORDER BY {', '.join(ordering)}"  # noqa: S608
    return query, list(params), list(sums), additive


def _parent_documents(spec: specs.Spec, using: str) -> list[dict]:
    """{key tuple: (documents now, documents compared)} of each parent depth (1 … levels − 1),
    when the number of documents is asked."""
    if not queries.counts_documents(spec) or len(spec.levels) < 2:
        return []
    comparing = spec.comparison_period() is not None
    keys = _key_expressions(spec, comparing)
    count = queries.aggregates_of(spec.mode)["documents"]
    counts = {"a_documents": _within(count, Q(day__gte=spec.start))}
    if comparing:
        counts["c_documents"] = _within(count, Q(day__lt=spec.start))
    by_depth = []
    for depth in range(1, len(spec.levels)):
        names = list(keys)[:depth]
        rows = _facts(spec, using).annotate(**{n: keys[n] for n in names}).values(*names).annotate(**counts).order_by()
        by_depth.append(
            {
                tuple(queries.as_key(row[n], level) for n, level in zip(names, spec.levels, strict=False)): (
                    row["a_documents"],
                    row.get("c_documents"),
                )
                for row in rows
            }
        )
    return by_depth


def _total_documents(spec: specs.Spec, using: str) -> tuple | None:
    """(documents now, documents compared) of the whole analysis, when that measure is asked."""
    if not queries.counts_documents(spec):
        return None
    count = queries.aggregates_of(spec.mode)["documents"]
    counts = {"a": _within(count, Q(day__gte=spec.start)), "c": _within(count, Q(day__lt=spec.start))}
    raw = _facts(spec, using).aggregate(**counts)
    return raw["a"], raw["c"]


def rows(spec: specs.Spec, *, using: str | None = None) -> Iterator[StreamedRow]:
    """Every row of the analysis, parents before their children, the grand total last."""
    using = using or queries.read_alias()
    comparing = spec.comparison_period() is not None
    query, params, finest_sums, parent_sums = _statement(spec, using)
    parent_documents = _parent_documents(spec, using)
    width = len(spec.levels)
    written: list = [object()] * width  # the parent keys written so far, per depth
    last = None  # the last group read

    def figures(record: dict, prefix: str = "", documents=None):
        """A group's measures from its sums (a parent's: its window sums and its ``documents``)."""
        names = parent_sums if prefix else finest_sums
        now = {name[2:]: queries.as_number(record[prefix + name]) for name in names if name.startswith("a_")}
        before = {name[2:]: queries.as_number(record[prefix + name]) for name in names if name.startswith("c_")}
        if documents is not None:
            now["documents"], before["documents"] = documents
        values = queries.measures_of(now, spec.measures)
        return values, (queries.measures_of(before, spec.measures) if comparing else None)

    connection = connections[using]
    with connection.chunked_cursor() as cursor:
        cursor.execute(query, params)
        columns = [column[0] for column in cursor.description]
        while chunk := cursor.fetchmany(CHUNK):
            records = [dict(zip(columns, record, strict=True)) for record in chunk]
            for record in records:
                record["key"] = tuple(queries.as_key(record[f"k{i}"], level) for i, level in enumerate(spec.levels))
            shown = [[record["key"][: depth + 1] for record in records] for depth in range(width)]
            labels = queries.labels_of(spec, shown, using)
            for record in records:
                key, last = record["key"], record
                for depth in range(width - 1):
                    if key[: depth + 1] == written[depth]:
                        continue
                    written[depth] = key[: depth + 1]
                    written[depth + 1 :] = [object()] * (width - depth - 1)
                    if not record[f"p{depth + 1}_n"]:
                        continue  # a parent found only in the compared period: not shown
                    documents = parent_documents[depth].get(key[: depth + 1], (0, 0)) if parent_documents else None
                    values, compare = figures(record, f"p{depth + 1}_", documents)
                    level = spec.levels[depth]
                    yield StreamedRow(depth, level, labels[level].get(key[depth], ""), values, compare)
                if not record["n"]:
                    continue  # a group of the compared period only: it counts in its parents' comparison
                values, compare = figures(record)
                level = spec.levels[-1]
                yield StreamedRow(width - 1, level, labels[level].get(key[-1], ""), values, compare)
    # The grand total: the window sums over every group, read on the last one (none: zeros).
    sums = last if last is not None else {f"p0_{name}": None for name in parent_sums}
    total, total_compare = figures(sums, "p0_", _total_documents(spec, using))
    yield StreamedRow(0, "", "", total, total_compare)
