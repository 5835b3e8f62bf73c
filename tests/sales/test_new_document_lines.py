"""A document made with its lines stores them exactly as adding them one by one would, in fewer
statements: numbered in order, eco-participation linked to its article, amounts and totals."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sales import services
from sales.models import OrderLine

LINES = [
    {"product": "lamp", "quantity": 2, "discount_percent": "5"},  # brings an eco-participation line
    {"description": "Gravure", "quantity": 1, "unit_price": "12.50", "kind": "text"},
    {"product": "jam", "quantity": 3},
    {"description": "Frais de port", "quantity": 1, "unit_price": "6.90", "kind": "shipping", "vat_rate": "20"},
]
COMPARED = ("position", "kind", "product_id", "description", "quantity", "unit", "unit_price", "discount_percent")
AMOUNTS = ("vat_rate", "vat_category", "vat_exemption_code", "net_amount", "gross_amount")


def _lines(shop):
    return [{**line, "product": getattr(shop, line["product"])} if "product" in line else line for line in LINES]


def _stored(order):
    lines = list(OrderLine.objects.filter(document=order).order_by("position"))
    positions = {line.pk: line.position for line in lines}
    return [
        (*(getattr(line, name) for name in COMPARED + AMOUNTS), positions.get(line.parent_id))  # parent by position
        for line in lines
    ]


def _totals(order):
    return (order.lines_total, order.total_excl_tax, order.total_vat, order.total_incl_tax, order.vat_breakdown)


@pytest.mark.django_db
@pytest.mark.parametrize("channel", ["b2b", "web"])  # prices tax excluded, tax included
def test_lines_given_at_creation_are_stored_as_lines_added_one_by_one(shop, channel):
    channel = getattr(shop, channel)
    at_once = services.create_order(customer=shop.bakery, channel=channel, lines=_lines(shop), discount_percent="3")
    one_by_one = services.create_order(customer=shop.bakery, channel=channel, discount_percent="3")
    for line in _lines(shop):
        services.add_line(one_by_one, **line)
    one_by_one.refresh_from_db()
    assert _stored(at_once) == _stored(one_by_one)
    assert _stored(at_once)[1][1] == OrderLine.Kind.ECO and _stored(at_once)[1][-1] == 1
    assert _totals(at_once) == _totals(one_by_one)


@pytest.mark.django_db
def test_the_lines_of_a_new_document_cost_two_inserts_whatever_their_number(shop):
    with CaptureQueriesContext(connection) as queries:
        services.create_order(customer=shop.bakery, channel=shop.b2b, lines=_lines(shop))
    line_statements = [query["sql"] for query in queries if OrderLine._meta.db_table in query["sql"]]
    assert len(line_statements) == 2  # the lines, then the eco-participation linked to its article
    assert all(sql.startswith("INSERT") for sql in line_statements)


@pytest.mark.django_db
def test_a_bad_line_refuses_the_whole_document_naming_the_field(shop):
    from lmb.errors import InvalidInput
    from sales.models import Order

    with pytest.raises(InvalidInput) as refused:
        services.create_order(customer=shop.bakery, channel=shop.b2b, lines=[{"description": "x", "unit_price": "-1"}])
    assert "unit_price" in refused.value.errors
    assert not Order.objects.exists()
