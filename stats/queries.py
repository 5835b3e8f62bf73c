"""The analysis engine: a checked ``Spec`` → nested rows with subtotals and a grand total.

One GROUP BY per depth of nesting (grand total, level 1, levels 1–2, levels 1–3) over one fact
table: each subtotal is computed by the database, so measures that do not add up (the number of
documents, the average basket, the margin rate) are right at every level. The same queries run on
PostgreSQL and SQLite. Reads go to ``read_alias()``: the read replica when ``DATABASE_READ_URL``
is set (``settings.READ_DATABASE_ALIAS``), else the default database.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import Count, DateField, F, Q, Sum
from django.db.models.functions import Substr, TruncMonth, TruncQuarter, TruncWeek, TruncYear
from django.utils.translation import gettext as _

from catalog.models import Category, Product
from crm.models import CustomerCategory, ThirdParty
from lmb import money
from lmb.countries import country_name
from lmb.formats import decimal_fr
from sales.models import Channel, VatTreatment
from stock.models import Warehouse

from . import spec as specs
from .models import OrderFact, PurchaseFact, SaleFact

FACTS = {"sales": SaleFact, "orders": OrderFact, "purchases": PurchaseFact}
PATH_SEGMENT = 7  # "000012/": catalog's category paths
MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
HUNDRED = Decimal(100)


def read_alias() -> str:
    """The database analyses read from: the replica when one is configured."""
    return getattr(settings, "READ_DATABASE_ALIAS", "default")


# --- Levels and measures ------------------------------------------------------------------------


def level_expression(level: str, depth: int):
    match level:
        case "day":
            return F("day")
        case "week":
            return TruncWeek("day", output_field=DateField())
        case "month":
            return TruncMonth("day", output_field=DateField())
        case "quarter":
            return TruncQuarter("day", output_field=DateField())
        case "year":
            return TruncYear("day", output_field=DateField())
        case "category":
            return Substr("category_path", 1, PATH_SEGMENT * (depth + 1))
        case "product" | "customer" | "channel" | "sales_rep" | "supplier" | "warehouse":
            return F(f"{level}_id")
        case _:
            return F(level)


def aggregates_of(mode: str) -> dict:
    if mode == "purchases":
        return {
            "quantity_received": Sum("quantity_received"),
            "net_purchases": Sum("net_purchases"),
            "documents": Count("document_id", distinct=True, filter=Q(source=PurchaseFact.Source.SUPPLIER_INVOICE)),
        }
    sums = {"quantity": Sum("quantity"), "net": Sum("net"), "vat": Sum("vat"), "gross": Sum("gross")}
    if mode == "sales":
        sums["cost"] = Sum("cost")
        sums["documents"] = Count("document_id", distinct=True, filter=Q(source=SaleFact.Source.INVOICE))
    else:
        sums["documents"] = Count("document_id", distinct=True)
    return sums


def counts_documents(spec: specs.Spec) -> bool:
    """Whether the analysis asks for a count of documents (the number, or the average basket)."""
    return bool({"documents", "basket"} & set(spec.measures))


def asked_aggregates(spec: specs.Spec) -> dict:
    """The sums of the mode, and the count of documents only when asked: a COUNT(DISTINCT) makes
    PostgreSQL sort the rows rather than hash them."""
    aggregates = aggregates_of(spec.mode)
    if not counts_documents(spec):
        aggregates.pop("documents", None)
    return aggregates


def measures_of(raw: dict, measures) -> dict:
    """The asked measures from one group's sums (the ratios computed on the group's own sums)."""
    net = _cents(raw.get("net"))
    cost = _cents(raw.get("cost"))
    documents = raw.get("documents") or 0
    values = {}
    for measure in measures:
        match measure:
            case "margin":
                values[measure] = net - cost
            case "margin_rate":
                values[measure] = money.amount((net - cost) * HUNDRED / net) if net else None
            case "basket":
                values[measure] = money.amount(net / documents) if documents else None
            case "documents":
                values[measure] = documents
            case "quantity" | "quantity_received":
                value = raw.get(measure)
                if not value:
                    value = Decimal("0.000")
                elif not (isinstance(value, Decimal) and value.as_tuple().exponent == -3):
                    value = money.quantity(value)
                values[measure] = value
            case "net":
                values[measure] = net
            case "cost":
                values[measure] = cost
            case _:
                values[measure] = _cents(raw.get(measure))
    return values


def _cents(value) -> Decimal:
    """A sum of amounts to the cent (SQLite's SUM does not keep the columns' two places)."""
    if not value:
        return Decimal("0.00")
    if isinstance(value, Decimal) and value.as_tuple().exponent == -2:
        return value
    return money.amount(value)


# --- The answer ---------------------------------------------------------------------------------


@dataclass
class Row:
    level: str
    key: object
    label: str
    values: dict
    compare: dict | None = None
    children: list = field(default_factory=list)
    others: int = 0  # an « Autres (n) » row: the n rows beyond the limit, summed

    def as_dict(self) -> dict:
        data = {"level": self.level, "key": _json_key(self.key), "label": self.label, "values": _json_values(self.values)}
        if self.others:
            data["others"] = self.others
        if self.compare is not None:
            data["compare"] = _json_values(self.compare)
        if self.children:
            data["children"] = [child.as_dict() for child in self.children]
        return data


@dataclass
class Analysis:
    spec: specs.Spec
    total: dict
    rows: list
    total_compare: dict | None = None
    compare_period: tuple | None = None

    def columns(self) -> list[dict]:
        return [{"measure": m, "label": str(specs.MEASURES[m])} for m in self.spec.measures]

    def as_dict(self) -> dict:
        data = {
            "spec": self.spec.as_dict(),
            "columns": self.columns(),
            "levels": [{"level": level, "label": str(specs.LEVELS[level])} for level in self.spec.levels],
            "total": _json_values(self.total),
            "rows": [row.as_dict() for row in self.rows],
        }
        if self.total_compare is not None:
            data["total_compare"] = _json_values(self.total_compare)
            data["compare_period"] = {"start": self.compare_period[0].isoformat(), "end": self.compare_period[1].isoformat()}
        return data

    def walk(self):
        """(depth, row) of every row, parents before their children (exports, the screen)."""

        def visit(rows, depth):
            for row in rows:
                yield depth, row
                yield from visit(row.children, depth + 1)

        yield from visit(self.rows, 0)


def _json_key(key):
    return key.isoformat() if isinstance(key, date) else key


def _json_values(values: dict) -> dict:
    return {name: (str(value) if isinstance(value, Decimal) else value) for name, value in values.items()}


# --- Running an analysis ------------------------------------------------------------------------


def filtered_facts(spec: specs.Spec, start: date, end: date, using: str):
    queryset = FACTS[spec.mode].objects.using(using).filter(day__gte=start, day__lte=end)
    for level, values in spec.filters.items():
        if level == "category":
            paths = list(Category.objects.using(using).filter(pk__in=[int(v) for v in values]).values_list("path", flat=True))
            condition = Q(pk__in=[])
            for path in paths:
                condition |= Q(category_path__startswith=path)
            queryset = queryset.filter(condition)
        elif level in specs.ID_LEVELS:
            queryset = queryset.filter(**{f"{level}_id__in": [int(v) for v in values]})
        elif level == "country":
            queryset = queryset.filter(country__in=[v.upper() for v in values])
        else:
            queryset = queryset.filter(**{f"{level}__in": values})
    return queryset


def _grouped(spec: specs.Spec, start: date, end: date, using: str) -> list[dict]:
    """[{keys tuple: sums}] for depth 0 (grand total) … len(levels).

    One GROUP BY at the finest depth gives every additive sum; the subtotals and the grand total
    of those are added up here from its rows (the table is read once). The number of documents
    does not add up (a document spans several products, months never, but customers × products
    do): when it is asked (or the average basket), each coarser depth has its own COUNT(DISTINCT)
    statement."""
    queryset = filtered_facts(spec, start, end, using)
    aggregates = asked_aggregates(spec)
    counts_needed = counts_documents(spec)
    aliases = [f"k{i}" for i in range(len(spec.levels))]
    depth = spec.category_depth
    expressions = {alias: level_expression(level, depth) for alias, level in zip(aliases, spec.levels, strict=True)}
    finest = queryset.annotate(**expressions).values(*aliases).annotate(**aggregates).order_by()
    additive = [name for name in aggregates if name != "documents"]
    results = [defaultdict(dict) for _ in range(len(aliases) + 1)]
    for row in finest:
        key = tuple(row[alias] for alias in aliases)
        results[-1][key] = {name: row[name] for name in aggregates}
        for cut in range(len(aliases)):
            target = results[cut][key[:cut]]
            for name in additive:
                target[name] = (target.get(name) or 0) + (row[name] or 0)
    if counts_needed and "documents" in aggregates:
        count = {"documents": aggregates["documents"]}
        results[0][()]["documents"] = queryset.aggregate(**count)["documents"]
        for cut in range(1, len(aliases)):
            names = aliases[:cut]
            rows = queryset.annotate(**{n: expressions[n] for n in names}).values(*names).annotate(**count).order_by()
            for row in rows:
                results[cut][tuple(row[n] for n in names)]["documents"] = row["documents"]
    return [dict(by_key) for by_key in results]


def _grouped_shown(spec: specs.Spec, period: tuple[date, date], shown: list[dict], using: str) -> list[dict]:
    """``_grouped`` over ``period`` for the groups ``shown`` only (rows were cut to the largest):
    one GROUP BY per depth, restricted to the keys shown at that depth on every level but the
    periods (never cut; their keys are the analysed period's). A restriction on a group's own
    keys leaves its sums whole, so a parent's sums stay exact for its « Autres » row; and with
    the (customer, day) and (product, day) indexes, the 50 customers shown are read, not the year."""
    queryset = filtered_facts(spec, period[0], period[1], using)
    aggregates = asked_aggregates(spec)
    aliases = [f"k{i}" for i in range(len(spec.levels))]
    expressions = {a: level_expression(level, spec.category_depth) for a, level in zip(aliases, spec.levels, strict=True)}
    results = [{(): queryset.aggregate(**aggregates)}]
    for depth in range(1, len(aliases) + 1):
        names = aliases[:depth]
        rows = queryset.annotate(**{name: expressions[name] for name in names})
        for position, name in enumerate(names):
            if spec.levels[position] in specs.PERIOD_LEVELS:
                continue
            values = {key[position] for key in shown[depth]}
            condition = Q(**{f"{name}__in": [value for value in values if value is not None]})
            if None in values:
                condition |= Q(**{f"{name}__isnull": True})
            rows = rows.filter(condition)
        results.append(
            {
                tuple(as_key(row[name], level) for name, level in zip(names, spec.levels, strict=False)): {
                    aggregate: row[aggregate] for aggregate in aggregates
                }
                for row in rows.values(*names).annotate(**aggregates).order_by()
            }
        )
    return results


ORDER_OF = {
    "margin": "t.net - t.cost",
    "margin_rate": "(t.net - t.cost) / NULLIF(t.net, 0)",
    "basket": "t.net / NULLIF(t.documents, 0)",
}


def as_key(value, level: str):
    """A key read by plain SQL as the ORM would give it (a period a date)."""
    if level in specs.PERIOD_LEVELS and value is not None and not isinstance(value, date):
        return date.fromisoformat(str(value)[:10])
    if isinstance(value, datetime):
        return value.date()
    return value


def as_number(value):
    """A sum read by plain SQL: SQLite's SUM of decimal columns is a float (the ORM would make it
    a Decimal with the column's places; ``measures_of`` rounds it to the cent or the thousandth)."""
    return Decimal(repr(value)) if isinstance(value, float) else value


def _ranked(spec: specs.Spec, start: date, end: date, using: str, limit: int):
    """The groups shown when at most ``limit`` rows are shown under each row, the ranking done by
    the database: one statement per depth (grouped by its levels, restricted to the parents
    shown), ``ROW_NUMBER() OVER (PARTITION BY the parent ORDER BY the first measure DESC)`` keeping
    the ``limit`` first and ``COUNT(*) OVER`` telling how many were not kept. Returns
    (grouped [{key: sums}] per depth, the grand total at depth 0; rest {(depth, parent): n})."""
    queryset = filtered_facts(spec, start, end, using)
    aggregates = asked_aggregates(spec)
    aliases = [f"k{i}" for i in range(len(spec.levels))]
    depth_of_category = spec.category_depth
    expressions = {a: level_expression(level, depth_of_category) for a, level in zip(aliases, spec.levels, strict=True)}
    first = spec.measures[0]
    order = ORDER_OF.get(first, f"t.{first}")
    # Without a count of documents, the grand total is the sum of the first level's groups
    # (a window over them): one scan of the facts fewer.
    totals = [name for name in aggregates if name != "documents"] if "documents" not in aggregates else []
    grouped: list[dict] = [{(): {} if totals else queryset.aggregate(**aggregates)}]
    rest: dict[tuple, int] = {}
    parents: list[tuple] = [()]
    connection = connections[using]
    quote = connection.ops.quote_name
    for depth in range(1, len(spec.levels) + 1):
        names, level = aliases[:depth], spec.levels[depth - 1]
        inner = queryset.annotate(**{name: expressions[name] for name in names})
        for position, name in enumerate(names[:-1]):
            values = {parent[position] for parent in parents}
            condition = Q(**{f"{name}__in": [value for value in values if value is not None]})
            if None in values:
                condition |= Q(**{f"{name}__isnull": True})
            inner = inner.filter(condition)
        inner = inner.values(*names).annotate(**aggregates).order_by()
        sql, params = inner.query.get_compiler(using).as_sql()
        columns = [*names, *aggregates]
        summed = totals if depth == 1 else []
        total_columns = "".join(f", SUM(t.{quote(name)}) OVER () AS {quote('total_' + name)}" for name in summed)
        columns_out = [*columns, *(f"total_{name}" for name in summed)]
        partition = ", ".join(f"t.{quote(name)}" for name in names[:-1])
        over = f"PARTITION BY {partition}" if partition else ""
        if level in specs.PERIOD_LEVELS:  # periods are never cut
            query = f"SELECT {', '.join(f't.{quote(c)}' for c in columns)}{total_columns}, 0 AS siblings FROM ({sql}) t"  # noqa: S608
        else:
            ranked = (
                f"SELECT t.*, ROW_NUMBER() OVER ({over} ORDER BY {order} DESC NULLS LAST, t.{quote(names[-1])}) AS rank_,"
                f" COUNT(*) OVER ({over}) AS siblings{total_columns} FROM ({sql}) t"
            )
            chosen = ", ".join(f"r.{quote(c)}" for c in columns_out)
            query = f"SELECT {chosen}, r.siblings FROM ({ranked}) r WHERE r.rank_ <= %s"  # noqa: S608
            params = (*params, limit)
        shown_parents = set(parents)
        here: dict[tuple, dict] = {}
        kept: dict[tuple, int] = defaultdict(int)
        siblings: dict[tuple, int] = {}
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            for record in cursor.fetchall():
                key = tuple(as_key(value, lvl) for value, lvl in zip(record[:depth], spec.levels, strict=False))
                if key[:-1] not in shown_parents:
                    continue
                sums = record[depth : depth + len(aggregates)]
                here[key] = dict(zip(aggregates, map(as_number, sums), strict=True))
                if summed:
                    grouped[0][()] = dict(zip(summed, map(as_number, record[depth + len(aggregates) : -1]), strict=True))
                kept[key[:-1]] += 1
                siblings[key[:-1]] = record[-1]
        for parent, count in kept.items():
            if siblings[parent] > count:
                rest[(depth, parent)] = siblings[parent] - count
        grouped.append(here)
        parents = list(here)
    return grouped, rest


def truncate(day: date, grain: str) -> date:
    match grain:
        case "week":
            return day - timedelta(days=day.weekday())
        case "month":
            return day.replace(day=1)
        case "quarter":
            return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        case "year":
            return date(day.year, 1, 1)
    return day


def _shift_forward(spec: specs.Spec):
    """How a period key of the compared period maps onto the analysed one."""
    if spec.compare == "last_year":
        return lambda day: specs.add_years(day, 1)
    months = specs.whole_months(spec.start, spec.end)
    if months:
        return lambda day: specs.add_months(day, months)
    length = spec.end - spec.start + timedelta(days=1)
    return lambda day: day + length


def _compare_keys(spec: specs.Spec, grouped: list[dict]) -> list[dict]:
    shift = _shift_forward(spec)
    period_positions = [i for i, level in enumerate(spec.levels) if level in specs.PERIOD_LEVELS]
    if not period_positions:
        return grouped
    moved = []
    for by_key in grouped:
        out = defaultdict(dict)
        for key, sums in by_key.items():
            key = list(key)
            for i in period_positions:
                if i < len(key) and key[i] is not None:
                    key[i] = truncate(shift(key[i]), spec.levels[i])
            target = out[tuple(key)]
            for name, value in sums.items():
                if name.startswith("k") and name[1:].isdigit():
                    continue
                target[name] = (target.get(name) or 0) + (value or 0)  # two weeks may land on one
        moved.append(dict(out))
    return moved


# Levels with as many rows as a shop has products, customers or suppliers: with one of them, the
# database ranks the rows (``_ranked``); the other levels have few values (months, categories,
# channels, countries…): one GROUP BY at the finest depth, the rows cut here (``_cut``).
UNBOUNDED_LEVELS = {"product", "customer", "supplier"}


def _first_value(raw: dict, measure: str):
    """The first measure of one group's sums, for ranking (a ratio of nothing ranks last)."""
    value = measures_of(raw, (measure,))[measure]
    return Decimal("-Infinity") if value is None else value


def _cut(spec: specs.Spec, grouped: list[dict], limit: int):
    """``_ranked``'s answer from every group: the ``limit`` largest under each row kept (as the
    database ranks them: the first measure descending, then the key), the rest counted."""
    first, rest, out = spec.measures[0], {}, [grouped[0]]
    for depth in range(1, len(spec.levels) + 1):
        under = defaultdict(list)
        for key in grouped[depth]:
            if key[:-1] in out[-1] or depth == 1:
                under[key[:-1]].append(key)
        here = {}
        for parent, keys in under.items():
            if spec.levels[depth - 1] not in specs.PERIOD_LEVELS and len(keys) > limit:
                keys.sort(key=lambda key: (key[-1] is None, key[-1] if key[-1] is not None else 0))
                keys.sort(key=lambda key: _first_value(grouped[depth][key], first), reverse=True)
                rest[(depth, parent)] = len(keys) - limit
                keys = keys[:limit]
            here.update((key, grouped[depth][key]) for key in keys)
        out.append(here)
    return out, rest


def run(spec: specs.Spec, *, using: str | None = None, limit: int | None = None) -> Analysis:
    """The analysis ``spec`` asks for, with its comparison when one is asked.

    ``limit``: under each row (and at the first level), only the ``limit`` largest rows by the
    first measure, ranked by the database (``_ranked``), the rest summed into one « Autres (n) »
    row (``Row.others`` = n: the parent's sums less the rows shown) — so every subtotal and the
    grand total stay exact and the screen or the API do not build tens of thousands of rows
    (customer × product over a year). Period levels are never cut: they stay whole, in time
    order. The number of documents of an « Autres » row (and its average basket) is not given
    (null): documents do not add up. ``None`` (the exports): every row, one GROUP BY."""
    using = using or read_alias()
    if limit is not None and set(spec.levels) & UNBOUNDED_LEVELS:
        grouped, rest = _ranked(spec, spec.start, spec.end, using, limit)
    else:
        grouped, rest = _grouped(spec, spec.start, spec.end, using), {}
        if limit is not None:
            grouped, rest = _cut(spec, grouped, limit)
    compared, period = None, spec.comparison_period()
    if period is not None and rest:
        compared = _compare_keys(spec, _grouped_shown(spec, period, grouped, using))
    elif period is not None:
        compared = _compare_keys(spec, _grouped(spec, period[0], period[1], using))
    labels = labels_of(spec, grouped[1:], using)

    def values(depth, key):
        return measures_of(grouped[depth].get(key, {}), spec.measures)

    def compare(depth, key):
        if compared is None:
            return None
        return measures_of(compared[depth].get(key, {}), spec.measures)

    def remainder(by_key: dict, parent: tuple, shown: list) -> dict:
        sums = {name: value for name, value in by_key[0].get(parent, {}).items() if name != "documents"}
        for key in shown:
            for name, value in by_key[1].get(key, {}).items():
                if name != "documents":
                    sums[name] = (sums.get(name) or 0) - (value or 0)
        figures = measures_of(sums, spec.measures)
        for name in ("documents", "basket"):
            if name in figures:
                figures[name] = None
        return figures

    nodes: dict[tuple, Row] = {(): Row("", None, "", {})}
    for depth in range(1, len(spec.levels) + 1):
        level = spec.levels[depth - 1]
        shown_under = defaultdict(list)
        for key in grouped[depth]:
            if key[:-1] not in nodes:
                continue
            row = Row(level, key[-1], labels[level].get(key[-1], ""), values(depth, key), compare(depth, key))
            nodes[key] = row
            nodes[key[:-1]].children.append(row)
            shown_under[key[:-1]].append(key)
        for (at, parent), count in rest.items():
            if at != depth or parent not in nodes:
                continue
            before = None
            if compared is not None:
                before = remainder((compared[depth - 1], compared[depth]), parent, shown_under[parent])
            label = _("Autres (%(count)s)") % {"count": decimal_fr(count, 0)}
            now = remainder((grouped[depth - 1], grouped[depth]), parent, shown_under[parent])
            nodes[parent].children.append(Row(level, None, label, now, before, others=count))
    top = nodes[()].children
    _sort(top, spec, spec.measures[0])
    return Analysis(
        spec=spec,
        total=values(0, ()),
        rows=top,
        total_compare=compare(0, ()),
        compare_period=period,
    )


def _sort(rows: list[Row], spec: specs.Spec, measure: str):
    """Periods in time order; other levels by the first measure, largest first, then by label;
    an « Autres » row last."""
    if not rows:
        return
    if rows[0].level in specs.PERIOD_LEVELS:
        rows.sort(key=lambda row: (row.key is None, row.key or date.min))
    else:
        rows.sort(key=lambda row: (row.others > 0, -(row.values.get(measure) or 0), row.label))
    for row in rows:
        _sort(row.children, spec, measure)


# --- Labels -----------------------------------------------------------------------------------


def period_label(day: date | None, grain: str) -> str:
    if day is None:
        return ""
    match grain:
        case "week":
            year, week, _weekday = day.isocalendar()
            return f"S{week:02d} {year}"
        case "month":
            return f"{MONTHS[day.month - 1]} {day.year}"
        case "quarter":
            return f"T{(day.month - 1) // 3 + 1} {day.year}"
        case "year":
            return str(day.year)
    return day.strftime("%d/%m/%Y")


def labels_of(spec: specs.Spec, shown: list, using: str) -> dict[str, dict]:
    """{level: {key: label}} of the keys shown (``shown[depth - 1]``: the key tuples of a depth)."""
    keys = defaultdict(set)
    for depth, tuples in enumerate(shown, start=1):
        for key in tuples:
            keys[spec.levels[depth - 1]].add(key[-1])
    return {level: label_of(level, keys[level], using) for level in spec.levels}


def label_of(level: str, keys, using: str = "default") -> dict:
    """{key: label} of one level's keys (one query per level at most)."""
    ids = [key for key in keys if key is not None]
    none = _("(non renseigné)")
    if level in specs.PERIOD_LEVELS:
        labels = {key: period_label(key, level) for key in ids}
    elif level == "product":
        labels = {
            pk: f"{reference} {designation}"
            for pk, reference, designation in Product.objects.using(using)
            .filter(pk__in=ids)
            .values_list("pk", "reference", "designation")
        }
    elif level == "category":
        names = dict(Category.objects.using(using).filter(path__in=ids).values_list("path", "full_name"))
        labels = {path: names.get(path, path) for path in ids}
        none = _("Sans catégorie")
    elif level in ("customer", "supplier"):
        labels = dict(ThirdParty.objects.using(using).filter(pk__in=ids).values_list("pk", "name"))
    elif level == "channel":
        labels = dict(Channel.objects.using(using).filter(pk__in=ids).values_list("pk", "name"))
    elif level == "warehouse":
        labels = dict(Warehouse.objects.using(using).filter(pk__in=ids).values_list("pk", "name"))
    elif level == "sales_rep":
        labels = {
            user.pk: user.get_full_name() or user.get_username()
            for user in get_user_model().objects.using(using).filter(pk__in=ids)
        }
        none = _("Sans commercial")
    elif level == "customer_category":
        labels = {key: str(dict(CustomerCategory.choices).get(key, key)) for key in ids}
    elif level == "customer_kind":
        labels = {key: str(dict(ThirdParty.Kind.choices).get(key, key)) for key in ids}
    elif level == "vat_treatment":
        labels = {key: str(dict(VatTreatment.choices).get(key, key)) for key in ids}
    elif level == "country":
        labels = {key: country_name(key) or key for key in ids}
    else:
        labels = {key: str(key) for key in ids}
    for key in keys:
        if key is None or key == "":
            labels[key] = none
    return labels
