"""The analysis engine on a few known documents: every measure to the cent at every level,
credit notes subtracting, the margin at the cost of the sale, comparisons, bad input refused."""

from datetime import date
from decimal import Decimal

import pytest

from catalog import services as catalog_services
from lmb.errors import InvalidInput
from sales import services
from sales.models import CreditNote
from stats import queries
from stats import services as stats_services
from stats.spec import parse
from tests.sales.conftest import customer
from tests.stats.conftest import on, sell

D = Decimal


@pytest.fixture
def known(shop):
    """Mugs at 8,25 € HT (cost 3,10 €), the fitting service at 60,00 € HT, all at 20 % on the B2B
    channel: Jan 2024 4 mugs (bakery); Dec 2024 1 mug (bakery); Jan 2025 10 mugs (bakery);
    Feb 2025 the fitting (Le Bihan); 10 Feb 2025 one mug of January credited."""
    home = catalog_services.create_category(name="Maison")
    kitchen = catalog_services.create_category(name="Cuisine", parent=home)
    catalog_services.update_product(shop.mug, category=kitchen)
    catalog_services.update_product(shop.fitting, category=home)
    bihan = customer("Le Bihan", business=False)
    mug = [{"product": shop.mug, "quantity": 4}]
    sell(shop, shop.bakery, shop.b2b, mug, date(2024, 1, 20))
    sell(shop, shop.bakery, shop.b2b, [{"product": shop.mug, "quantity": 1}], date(2024, 12, 5))
    january = sell(shop, shop.bakery, shop.b2b, [{"product": shop.mug, "quantity": 10}], date(2025, 1, 15))
    sell(shop, bihan, shop.b2b, [{"product": shop.fitting, "quantity": 1}], date(2025, 2, 3))
    with on(date(2025, 2, 10)):
        line = january.lines.get(product=shop.mug)
        note = services.create_credit_note(
            january,
            reason="Mug ébréché",
            lines=[{"invoice_line": line.pk, "quantity": 1}],
            settlement=CreditNote.Settlement.BALANCE,
        )
        services.issue_credit_note(note, issue_date=date(2025, 2, 10))
    stats_services.refresh_facts()
    return {"home": home, "kitchen": kitchen, "bihan": bihan}


ALL = "quantity,net,vat,gross,cost,margin,margin_rate,documents,basket"


def analyse(**params):
    params = {"start": "2025-01-01", "end": "2025-02-28", "measures": ALL, **params}
    return queries.run(parse(params))


def values(**figures):
    return {name: (D(value) if isinstance(value, str) else value) for name, value in figures.items()}


def test_every_measure_by_month_to_the_cent(known):
    analysis = analyse(levels="month")
    january, february = analysis.rows
    assert (january.key, january.label, february.label) == (date(2025, 1, 1), "janvier 2025", "février 2025")
    assert january.values == values(
        quantity="10", net="82.50", vat="16.50", gross="99.00", cost="31.00", margin="51.50",
        margin_rate="62.42", documents=1, basket="82.50",
    )  # fmt: skip
    # February: the fitting sold, one January mug credited (its cost comes back at 3,10 €).
    assert february.values == values(
        quantity="0", net="51.75", vat="10.35", gross="62.10", cost="-3.10", margin="54.85",
        margin_rate="105.99", documents=1, basket="51.75",
    )  # fmt: skip
    assert analysis.total == values(
        quantity="10", net="134.25", vat="26.85", gross="161.10", cost="27.90", margin="106.35",
        margin_rate="79.22", documents=2, basket="67.13",
    )  # fmt: skip


def test_nested_levels_with_subtotals(known, shop):
    analysis = analyse(levels="category,product,customer", measures="net,quantity,documents")
    home = analysis.rows[0]
    assert home.label == "Maison" and home.values == values(net="134.25", quantity="10", documents=2)
    kitchen, fitting = home.children[0], home.children[1]  # kitchen's 74,25 before the fitting's 60
    assert kitchen.level == "product" and kitchen.key == shop.mug.pk and kitchen.values["net"] == D("74.25")
    assert fitting.key == shop.fitting.pk and fitting.children[0].label == known["bihan"].name
    assert kitchen.children[0].values == values(net="74.25", quantity="9", documents=1)


def test_category_at_a_chosen_depth(known):
    by_leaf = analyse(levels="category", category_depth="1", measures="net")
    assert {row.label: row.values["net"] for row in by_leaf.rows} == {"Maison > Cuisine": D("74.25"), "Maison": D("60.00")}


def test_filters_on_a_level(known, shop):
    analysis = analyse(levels="customer", measures="net,documents", filter_category=str(known["kitchen"].pk))
    assert [(row.label, row.values["net"]) for row in analysis.rows] == [(shop.bakery.name, D("74.25"))]
    assert analysis.total == values(net="74.25", documents=1)
    other = analyse(levels="country", measures="net", filter_customer=str(known["bihan"].pk))
    assert [(row.key, row.label, row.values["net"]) for row in other.rows] == [("FR", "France", D("60.00"))]


def test_every_level_sums_to_the_total(known):
    for level in ("day", "week", "quarter", "year", "product", "category", "customer", "customer_category",
                  "customer_kind", "country", "channel", "sales_rep", "supplier", "warehouse", "vat_treatment"):  # fmt: skip
        analysis = analyse(levels=level, measures="net,cost")
        assert sum(row.values["net"] for row in analysis.rows) == D("134.25"), level
        assert sum(row.values["cost"] for row in analysis.rows) == D("27.90"), level


def test_compared_with_the_same_period_last_year(known):
    analysis = analyse(levels="month", measures="net,quantity", compare="last_year")
    january, february = analysis.rows
    assert january.compare == values(net="33.00", quantity="4")
    assert february.compare == values(net="0.00", quantity="0.000")
    assert analysis.total_compare == values(net="33.00", quantity="4")
    assert analysis.compare_period == (date(2024, 1, 1), date(2024, 2, 29))


def test_compared_with_the_previous_period(known):
    analysis = analyse(levels="month", measures="net", compare="previous")
    assert analysis.compare_period == (date(2024, 11, 1), date(2024, 12, 31))
    january, february = analysis.rows
    assert (january.compare, february.compare) == (values(net="0.00"), values(net="8.25"))  # December → February


def test_orders_and_purchases_modes(known, shop):
    orders = analyse(mode="orders", levels="month", measures="net,quantity,documents")
    assert [row.values for row in orders.rows] == [
        values(net="82.50", quantity="10", documents=1),
        values(net="60.00", quantity="1", documents=1),
    ]
    purchases = queries.run(parse({"mode": "purchases", "levels": "product", "start": "2020-01-01", "end": "2030-12-31"}))
    assert purchases.total == {"net_purchases": D("0.00")}  # the shop's stock came in without supplier invoices


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"levels": "galaxy"}, "levels", "Niveau d'analyse inconnu"),
        ({"levels": "month,product,customer,channel"}, "levels", "Trois niveaux"),
        ({"levels": "month", "start": "2025-03-01", "end": "2025-01-01"}, "end", "précède son début"),
        ({"levels": "month", "measures": "happiness"}, "measures", "Mesure inconnue"),
        ({"levels": "month", "start": "2025-02-30"}, "start", "n'est pas une date"),
        ({"levels": "customer", "mode": "purchases", "measures": ""}, "levels", "Niveau d'analyse inconnu"),
        ({"levels": "month", "compare": "tomorrow"}, "compare", "Comparaison inconnue"),
        ({"levels": "month", "filter_customer": "abc"}, "filter_customer", "identifiants"),
        ({"levels": "month", "category_depth": "-1"}, "category_depth", "profondeur"),
    ],
)
def test_bad_input_is_refused_naming_the_field(db, params, field, words):
    with pytest.raises(InvalidInput) as refused:
        parse({"start": "2025-01-01", "end": "2025-02-28", **params})
    assert words in refused.value.errors[field][0]


def test_query_count_is_fixed(known, django_assert_max_num_queries):
    # Three levels and a comparison: 4 GROUP BYs per period, one label query per level.
    with django_assert_max_num_queries(11):
        analyse(levels="month,category,product", compare="last_year")


def test_additive_measures_read_the_facts_once(known, django_assert_max_num_queries):
    # One GROUP BY at the finest depth (the subtotals added up from it), one label query each for
    # categories and products; months need none.
    with django_assert_max_num_queries(3):
        analysis = analyse(levels="month,category,product", measures="net,cost,margin,margin_rate")
    assert analysis.total["margin"] == D("106.35")
    assert analysis.rows[0].children[0].values["net"] == D("82.50")
