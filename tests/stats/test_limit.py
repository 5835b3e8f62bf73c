"""Large analyses: the ``limit`` largest rows per level and one « Autres (n) » row summing the
rest to the cent, subtotals and the grand total unchanged; the screen, the API and the exports
(every row); the statements counted."""

import io
from decimal import Decimal

import openpyxl
import pytest

from lmb import roles
from lmb.errors import InvalidInput
from stats import queries
from stats import spec as specs
from stats.spec import parse, parse_limit
from tests.helpers import page_text
from tests.stats.test_queries import ALL, analyse, known  # noqa: F401 - the fixture

D = Decimal


def test_the_rest_is_one_others_row_to_the_cent(known, shop):  # noqa: F811
    whole = analyse(levels="product,customer")
    cut = queries.run(parse({"start": "2025-01-01", "end": "2025-02-28", "measures": ALL, "levels": "product,customer"}), limit=1)
    mug, others = cut.rows
    assert mug.key == shop.mug.pk and mug.values == whole.rows[0].values and mug.others == 0
    # The fitting (60,00 € HT, 20 % VAT, sold to Le Bihan) beyond the limit: summed, not dropped.
    assert (others.key, others.label, others.others, others.children) == (None, "Autres (1)", 1, [])
    assert others.values["net"] == D("60.00") and others.values["vat"] == D("12.00") and others.values["gross"] == D("72.00")
    fitting = whole.rows[1].values
    assert {name: value for name, value in others.values.items() if name not in ("documents", "basket")} == {
        name: value for name, value in fitting.items() if name not in ("documents", "basket")
    }
    assert others.values["documents"] is None and others.values["basket"] is None  # documents do not add up
    assert cut.total == whole.total  # the grand total is exact
    assert sum(row.values["net"] for row in cut.rows) == cut.total["net"] == D("134.25")


def test_under_each_row_and_with_the_comparison(known, shop):  # noqa: F811
    params = {"start": "2025-01-01", "end": "2025-02-28", "measures": "net,quantity", "levels": "month,product"}
    cut = queries.run(parse({**params, "compare": "previous"}), limit=1)
    january, february = cut.rows  # months are never cut, in time order
    assert [row.label for row in january.children] == [f"{shop.mug.reference} {shop.mug.designation}"]
    fitting, others = february.children
    assert fitting.key == shop.fitting.pk and fitting.values["net"] == D("60.00")
    # February's rest: the January mug credited on 10 February; compared with December's mug.
    assert others.label == "Autres (1)" and others.values == {"net": D("-8.25"), "quantity": D("-1.000")}
    assert others.compare == {"net": D("8.25"), "quantity": D("1.000")}
    assert february.values["net"] == fitting.values["net"] + others.values["net"] == D("51.75")  # subtotal exact
    whole = queries.run(parse({**params, "compare": "previous"}))
    assert (cut.total, cut.total_compare) == (whole.total, whole.total_compare)


def test_the_limit_parameter_is_checked():
    assert parse_limit({}) == specs.API_LIMIT and parse_limit({"limit": "7"}) == 7
    for bad in ("0", "201", "abc", "1.5"):
        with pytest.raises(InvalidInput) as refused:
            parse_limit({"limit": bad})
        assert "La limite (lignes par niveau) est un nombre entier de 1 à 200." in refused.value.errors["limit"]


def test_the_screen_shows_the_others_row_and_the_export_every_row(role_client, known, shop, monkeypatch):  # noqa: F811
    monkeypatch.setattr(specs, "SCREEN_LIMIT", 1)
    client = role_client(roles.SALES)
    params = {"level1": "customer", "start": "2025-01-01", "end": "2025-02-28", "measures": ["net", "documents"]}
    response = client.get("/stats/", params)
    text = page_text(response)
    assert shop.bakery.name in text and "Autres (1)" in text and known["bihan"].name not in text
    assert "134,25" in text  # the grand total
    export = client.get("/stats/analysis/export.xlsx", {"levels": "customer", **params})
    rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active.iter_rows(values_only=True))
    names = [row[0] for row in rows]
    assert shop.bakery.name in names and known["bihan"].name in names and "Autres (1)" not in names


def test_the_api_limit_and_its_errors(api_client, known, shop, django_assert_max_num_queries):  # noqa: F811
    client = api_client(roles.ACCOUNTANT)
    params = {"levels": "customer,product", "start": "2025-01-01", "end": "2025-02-28", "measures": "net,margin"}
    client.get("/api/v1/stats/analysis/", params)
    # Sessions, permissions; the grand total, one ranked GROUP BY per level, one label query per level.
    with django_assert_max_num_queries(9):
        body = client.get("/api/v1/stats/analysis/", {**params, "limit": "1"}).json()
    bakery, others = body["rows"]
    assert bakery["label"] == shop.bakery.name and bakery["values"]["net"] == "74.25"
    expected = {"net": "60.00", "margin": "60.00"}
    assert others == {"level": "customer", "key": None, "label": "Autres (1)", "values": expected, "others": 1}
    assert body["total"]["net"] == "134.25"
    refused = client.get("/api/v1/stats/analysis/", {**params, "limit": "1000"})
    assert refused.status_code == 400 and "limit" in refused.json()
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "Autres (n)" in schema


def test_three_levels_ranked_by_a_ratio(known, shop):  # noqa: F811
    params = {"start": "2025-01-01", "end": "2025-02-28", "levels": "category,product,customer"}
    cut = queries.run(parse({**params, "measures": "margin_rate,net"}), limit=1)
    (home,) = cut.rows
    assert home.values["net"] == D("134.25")
    # The fitting (no cost: 100 %) ranks before the mug (62,42 %, less the credit): the mug summed.
    fitting, others = home.children
    assert fitting.key == shop.fitting.pk and [child.label for child in fitting.children] == [known["bihan"].name]
    assert others.others == 1 and others.values["net"] == D("74.25") and others.children == []
    assert (
        others.values["margin_rate"]
        == queries.run(parse({**params, "measures": "margin_rate,net"})).rows[0].children[1].values["margin_rate"]
    )


def test_few_valued_levels_are_cut_after_one_group_by_as_the_database_would(known, django_assert_max_num_queries):  # noqa: F811
    spec = parse({"start": "2025-01-01", "end": "2025-02-28", "levels": "category", "category_depth": "1", "measures": "net"})
    with django_assert_max_num_queries(2):  # one GROUP BY, the categories' names
        cut = queries.run(spec, limit=1)
    assert [(row.label, row.values["net"], row.others) for row in cut.rows] == [
        ("Maison > Cuisine", D("74.25"), 0),
        ("Autres (1)", D("60.00"), 1),
    ]
    # The same rows as the database's ranking, for any levels.
    for levels, measures in (("product,customer", "net,documents"), ("customer,category", "margin_rate,net")):
        spec = parse({"start": "2025-01-01", "end": "2025-02-28", "levels": levels, "measures": measures})
        grouped = queries._grouped(spec, spec.start, spec.end, "default")
        in_python = queries._cut(spec, grouped, 1)
        by_database = queries._ranked(spec, spec.start, spec.end, "default", 1)
        assert [list(by_key) for by_key in in_python[0][1:]] == [list(by_key) for by_key in by_database[0][1:]]
        assert in_python[1] == by_database[1]


def _by_path(analysis) -> dict:
    found, path = {}, []
    for depth, row in analysis.walk():
        path[depth:] = [row.label]
        found[tuple(path)] = row
    return found


@pytest.mark.parametrize(
    "levels",
    ["customer", "customer,product", "month,customer", "product,customer,channel", "category,customer"],
)
def test_a_cut_comparison_reads_the_groups_shown_and_agrees_with_the_whole(facts, levels):
    """Rows cut to the largest: the compared period is read for the groups shown only, and every
    row shown, each « Autres » row and the totals compare as they do in the whole analysis."""
    spec = parse(
        {"start": "2025-07-01", "end": "2025-12-31", "levels": levels, "measures": "net,quantity,margin", "compare": "previous"}
    )
    whole, cut = _by_path(queries.run(spec)), queries.run(spec, limit=1)
    assert any(row.others for _path, row in _by_path(cut).items()), "the fixture has rows beyond the limit"
    for path, row in _by_path(cut).items():
        if row.others:
            parent = whole[path[:-1]] if len(path) > 1 else None
            shown = [r for p, r in _by_path(cut).items() if p[:-1] == path[:-1] and not r.others]
            siblings_compare = (parent.compare if parent else queries.run(spec).total_compare)["net"]
            assert row.compare["net"] == siblings_compare - sum(r.compare["net"] for r in shown)
            continue
        assert (row.values, row.compare) == (whole[path].values, whole[path].compare), path
    assert cut.total_compare == queries.run(spec).total_compare
