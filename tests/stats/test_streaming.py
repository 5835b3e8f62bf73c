"""The exports' streamed rows are the analysis' rows: the same groups under the same parents, the
same figures to the cent (comparisons included), parents before their children, read a chunk at
a time."""

from collections import Counter
from decimal import Decimal

import pytest

from stats import queries, streaming
from stats.spec import parse

SALES = "net,quantity,vat,gross,cost,margin,margin_rate,documents,basket"
YEAR = {"start": "2025-01-01", "end": "2025-12-31"}
SPECS = [
    {"levels": "month", "measures": SALES, "compare": "previous", "start": "2025-07-01", "end": "2025-12-31"},
    {"levels": "customer,product", "measures": SALES},
    {"levels": "quarter,customer", "measures": "margin_rate,net,documents", "compare": "last_year"},
    {"levels": "channel,country,vat_treatment", "measures": "documents,net,basket"},
    {"levels": "category,month,customer", "measures": "margin,net,documents", "compare": "previous",
     "start": "2025-04-01", "end": "2025-09-30"},
    {"levels": "week,product", "measures": "net,quantity", "compare": "previous", "start": "2025-03-01", "end": "2025-06-15"},
    {"mode": "orders", "levels": "customer_kind,channel", "measures": "net,documents,basket"},
    {"mode": "purchases", "levels": "supplier,product", "measures": "net_purchases,quantity_received,documents"},
]  # fmt: skip


def _key(values: dict | None):
    return None if values is None else tuple(sorted(values.items()))


def _in_memory(spec) -> Counter:
    analysis = queries.run(spec)
    found, path = Counter(), []
    for depth, row in analysis.walk():
        path[depth:] = [row.label]
        found[(tuple(path), _key(row.values), _key(row.compare))] += 1
    found[("TOTAL", _key(analysis.total), _key(analysis.total_compare))] += 1
    return found


def _streamed(spec) -> tuple[Counter, list]:
    rows = list(streaming.rows(spec))
    found, path, previous_depth = Counter(), [], -1
    for row in rows[:-1]:
        assert row.depth <= previous_depth + 1, "a row is written before its parent"
        path[row.depth :] = [row.label]
        found[(tuple(path), _key(row.values), _key(row.compare))] += 1
        previous_depth = row.depth
    total = rows[-1]
    assert total.level == ""
    found[("TOTAL", _key(total.values), _key(total.compare))] += 1
    return found, rows[:-1]


def _first_measure_never_grows_among_siblings(spec, rows):
    """Under one parent, rows of a level other than a period come largest first."""
    measure = spec.measures[0] if spec.measures[0] not in ("documents", "basket") else None
    last: dict[tuple, Decimal] = {}
    path: list = []
    for row in rows:
        path[row.depth :] = [row.label]
        if row.level in ("day", "week", "month", "quarter", "year"):
            continue
        value = row.values.get(measure) if measure else None
        parent = (row.depth, tuple(path[: row.depth]))
        if value is not None and parent in last:
            assert value <= last[parent], (row.label, value, last[parent])
        if value is not None:
            last[parent] = value


@pytest.mark.parametrize("params", SPECS, ids=lambda params: params["levels"])
def test_streamed_rows_are_the_analysis_rows(facts, params):
    spec = parse({**YEAR, **params})
    streamed, rows = _streamed(spec)
    assert streamed == _in_memory(spec)
    assert len(rows) > len(spec.levels)  # the fixture's year gives rows at every depth
    _first_measure_never_grows_among_siblings(spec, rows)


def test_rows_are_read_a_chunk_at_a_time(facts, monkeypatch):
    """A chunk smaller than the rows: the parents split across chunks stay written once."""
    monkeypatch.setattr(streaming, "CHUNK", 2)
    spec = parse({**YEAR, "levels": "customer,product", "measures": "net,documents", "compare": "last_year"})
    streamed, _rows = _streamed(spec)
    assert streamed == _in_memory(spec)


def test_an_analysis_of_nothing_is_its_grand_total_of_zeros(facts):
    spec = parse({"start": "2030-01-01", "end": "2030-12-31", "levels": "customer,product", "measures": "net,documents"})
    (total,) = list(streaming.rows(spec))
    assert (total.level, total.values, total.compare) == ("", {"net": Decimal("0.00"), "documents": 0}, None)
    assert total.values == queries.run(spec).total
