"""Scan = quantity + 1 (issue #20): on a counter sale, an article scanned again increases its line
(its eco-participation line follows) instead of adding a second one; a typed quantity adds that
many; anything else typed, another price, or a document of another channel gives a line of its own."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lmb import roles
from lmb.errors import InvalidInput
from sales import services
from sales.models import Order
from tests.helpers import page_text

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "document-lines"}


def _sale(shop):
    return services.create_order(customer=shop.walk_in, channel=shop.counter)


def _lines(order):
    return [(line.kind, line.product_id, line.quantity, line.parent_id is not None) for line in order.lines.order_by("position")]


@pytest.mark.django_db
def test_scanning_twice_gives_one_line_of_quantity_two_and_the_eco_line_follows(shop):
    order = _sale(shop)
    for code in (shop.lamp.ean13, shop.jam.ean13, shop.lamp.ean13, shop.jam.reference):
        services.add_line(order, code=code)
    assert _lines(order) == [
        ("product", shop.lamp.pk, Decimal("2"), False),
        ("eco", shop.lamp.pk, Decimal("2"), True),
        ("product", shop.jam.pk, Decimal("2"), False),
    ]
    order.refresh_from_db()
    # Tax included at the counter: 2 × (49,90 + 0,50 HT of eco = 0,60 TTC) = 101,00 at 20 %;
    # 2 × 4,20 = 8,40 at 5,5 %.
    assert order.total_incl_tax == Decimal("109.40")
    by_rate = {Decimal(group["rate"]): group for group in order.vat_breakdown}
    assert Decimal(by_rate[Decimal("20")]["base"]) == Decimal("84.17")
    assert Decimal(by_rate[Decimal("20")]["vat"]) == Decimal("16.83")
    assert Decimal(by_rate[Decimal("5.5")]["base"]) == Decimal("7.96")
    assert Decimal(by_rate[Decimal("5.5")]["vat"]) == Decimal("0.44")
    assert order.total_excl_tax == Decimal("92.13") and order.total_vat == Decimal("17.27")
    assert order.eco_participation_total == Decimal("1.20")
    lamp = order.lines.get(kind="product", product=shop.lamp)
    assert (lamp.gross_amount, order.lines.get(parent=lamp).gross_amount) == (Decimal("99.80"), Decimal("1.20"))


@pytest.mark.django_db
def test_the_same_basket_scanned_line_by_line_or_typed_at_once_costs_the_same(shop):
    scanned = _sale(shop)
    for _ in range(3):
        services.add_line(scanned, code=shop.lamp.ean13)
    typed = services.create_order(customer=shop.walk_in, channel=shop.counter, lines=[{"product": shop.lamp, "quantity": 3}])
    scanned.refresh_from_db()
    assert (scanned.total_excl_tax, scanned.total_vat, scanned.total_incl_tax) == (
        typed.total_excl_tax,
        typed.total_vat,
        typed.total_incl_tax,
    )
    assert scanned.total_incl_tax == Decimal("151.50")


@pytest.mark.django_db
def test_a_typed_quantity_adds_that_many_and_the_increased_line_is_returned(shop):
    order = _sale(shop)
    first = services.add_line(order, code=shop.jam.ean13)
    again = services.add_line(order, code=shop.jam.ean13, quantity=3)
    assert again.pk == first.pk and again.quantity == Decimal("4")
    assert order.lines.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "typed",
    [{"unit_price": Decimal("3.90")}, {"discount_percent": Decimal("10")}, {"description": "Confiture offerte"}],
)
def test_a_price_discount_or_designation_typed_gives_a_line_of_its_own(shop, typed):
    order = _sale(shop)
    services.add_line(order, code=shop.jam.ean13)
    services.add_line(order, code=shop.jam.ean13, **typed)
    assert [line.quantity for line in order.lines.order_by("position")] == [1, 1]


@pytest.mark.django_db
def test_a_line_whose_price_was_changed_is_not_increased_by_a_scan(shop):
    order = _sale(shop)
    line = services.add_line(order, code=shop.jam.ean13)
    services.change_line(line, unit_price=Decimal("3.00"))
    services.add_line(order, code=shop.jam.ean13)
    assert sorted((line.unit_price, line.quantity) for line in order.lines.all()) == [
        (Decimal("3.00"), 1),
        (Decimal("4.20"), 1),
    ]
    order.refresh_from_db()
    assert order.total_incl_tax == Decimal("7.20")


@pytest.mark.django_db
def test_the_last_line_of_the_article_is_the_one_increased(shop):
    order = _sale(shop)
    services.add_line(order, code=shop.jam.ean13)
    services.add_line(order, code=shop.jam.ean13, discount_percent=Decimal("50"))  # its own line
    services.add_line(order, code=shop.mug.ean13)
    services.add_line(order, code=shop.jam.ean13)
    assert [(line.product_id, line.discount_percent, line.quantity) for line in order.lines.order_by("position")] == [
        (shop.jam.pk, 0, 2),
        (shop.jam.pk, 50, 1),
        (shop.mug.pk, 0, 1),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("channel", ["b2b", "phone"])
def test_outside_the_counter_a_second_scan_is_a_second_line(shop, channel):
    """The choice documented on ``add_line``: a B2B quote or a phone order may want the article twice."""
    order = services.create_order(customer=shop.bakery, channel=getattr(shop, channel))
    services.add_line(order, code=shop.lamp.ean13)
    services.add_line(order, code=shop.lamp.ean13)
    assert order.lines.filter(kind="product").count() == 2 and order.lines.filter(kind="eco").count() == 2


@pytest.mark.django_db
def test_a_quantity_too_large_for_the_line_is_refused_and_changes_nothing(shop):
    order = _sale(shop)
    line = services.add_line(order, code=shop.mug.ean13, quantity=Decimal("99999999999"))
    order.refresh_from_db()
    before = order.total_incl_tax
    with pytest.raises(InvalidInput) as refused:
        services.add_line(order, code=shop.mug.ean13)
    assert "quantity" in refused.value.errors
    line.refresh_from_db()
    order.refresh_from_db()
    assert line.quantity == Decimal("99999999999") and order.total_incl_tax == before and order.lines.count() == 1


@pytest.mark.django_db
def test_the_scan_box_answers_the_lines_block_with_one_line_and_a_pinned_query_count(role_client, shop):
    client = role_client(roles.SALES)
    order = _sale(shop)
    add = reverse("sales:order_line_add", args=[order.pk])
    with CaptureQueriesContext(connection) as first_scan:
        first = client.post(add, {"code": shop.lamp.ean13, "kind": "product"}, **HTMX)
    assert first.status_code == 200
    assert len(first_scan) <= 24, [query["sql"][:120] for query in first_scan.captured_queries]
    with CaptureQueriesContext(connection) as captured:
        again = client.post(add, {"code": shop.lamp.ean13, "kind": "product"}, **HTMX)
    assert again.status_code == 200
    text = page_text(again)
    assert 'id="document-lines-table"' in text and "<html" not in text  # the block alone
    assert "Ajouté : Lampe Breizh (quantité 2)" in text and "101,00\u00a0€" in text
    assert _lines(Order.objects.get(pk=order.pk)) == [
        ("product", shop.lamp.pk, Decimal("2"), False),
        ("eco", shop.lamp.pk, Decimal("2"), True),
    ]
    # Pinned: the session and rights, the draft locked, the product by its code and its price,
    # the line found and its eco line, both updated, the totals, then the block re-read; a first
    # scan looks for the line too, but builds the new one only once.
    assert len(captured) <= 25, [query["sql"][:120] for query in captured.captured_queries]


@pytest.mark.django_db
def test_a_quantity_typed_before_the_code_in_the_scan_box_adds_that_many(role_client, shop):
    client = role_client(roles.SALES)
    order = _sale(shop)
    add = reverse("sales:order_line_add", args=[order.pk])
    client.post(add, {"code": shop.jam.ean13, "kind": "product"}, **HTMX)
    response = client.post(add, {"code": f"3*{shop.jam.ean13}", "kind": "product"}, **HTMX)
    assert response.status_code == 200
    assert "Ajouté : Confiture de fraises (quantité 4)" in page_text(response)
    assert [line.quantity for line in order.lines.all()] == [Decimal("4")]

    both = client.post(add, {"code": f"2*{shop.jam.ean13}", "quantity": "5", "kind": "product"}, **HTMX)
    assert both.status_code == 422 and "pas les deux" in page_text(both)
    assert [line.quantity for line in order.lines.all()] == [Decimal("4")]
