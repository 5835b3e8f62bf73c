"""Numbers bounded by what their column, and every amount computed from them, can hold (issue #17,
item 1): a quote line of 99 999 999 999 lamps answered 500 on SQLite, was saved anyway, and the
quote and /sales/quotes/ then answered 500 for everyone. Marked smoke: SQLite is where it broke."""

from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse

from lmb.errors import InvalidInput
from sales import services
from sales.models import Order, Quote, QuoteLine
from tests.helpers import page_text

pytestmark = pytest.mark.django_db

HUGE = "99999999999"  # fits a quantity's column (11 digits before the comma), not what it makes


def _draft_quote(shop):
    return services.create_quote(customer=shop.bakery, channel=shop.b2b)


@pytest.mark.smoke
def test_a_quote_line_too_large_is_refused_naming_the_quantity_and_every_page_still_opens(shop, admin_client):
    quote = _draft_quote(shop)
    response = admin_client.post(
        reverse("sales:quote_line_add", args=[quote.pk]), {"code": shop.lamp.reference, "quantity": HUGE, "kind": "product"}
    )
    page = page_text(response)
    assert "Quantité : trop grand, le montant de la ligne « Lampe Breizh »" in page, page[-3000:]
    assert not QuoteLine.objects.exists()
    quote.refresh_from_db()
    assert quote.total_incl_tax == 0
    assert admin_client.get(reverse("sales:quote_detail", args=[quote.pk])).status_code == 200
    assert admin_client.get(reverse("sales:quote_list")).status_code == 200


@pytest.mark.smoke
def test_the_last_guard_refuses_any_write_a_column_cannot_hold(shop):
    """Whatever path forgot to check (an update, a bulk write), nothing too large reaches the
    database: SQLite would store it and never read it back."""
    quote = services.create_quote(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug, "quantity": 1}])
    line = quote.lines.get()
    too_large = Decimal("1000000000000.00")  # 13 digits before the comma: AMOUNT holds 12
    with pytest.raises(InvalidInput) as error, transaction.atomic():
        QuoteLine.objects.filter(pk=line.pk).update(net_amount=too_large)
    message = error.value.errors["net_amount"][0].replace("\u202f", " ")
    assert message == "Montant HT : 1 000 000 000 000 est trop grand (999 999 999 999,99 au plus)."
    line.net_amount = too_large
    with pytest.raises(InvalidInput), transaction.atomic():
        QuoteLine.objects.bulk_update([line], ["net_amount"])
    with pytest.raises(InvalidInput), transaction.atomic():
        line.save()
    with pytest.raises(InvalidInput), transaction.atomic():
        Quote.objects.bulk_create([Quote(channel=quote.channel, customer=quote.customer, total_incl_tax=too_large)])
    assert list(Quote.objects.values_list("total_incl_tax", flat=True)) == [Decimal("9.90")]
    assert QuoteLine.objects.get().net_amount == Decimal("8.25")


def test_the_api_refuses_it_naming_the_quantity(shop, api_client):
    api = api_client()
    quote = _draft_quote(shop)
    response = api.post("/api/v1/quote-lines/", {"document": quote.pk, "product": shop.lamp.pk, "quantity": HUGE}, format="json")
    assert response.status_code == 400 and "trop grand" in response.json()["quantity"][0]
    response = api.post(
        "/api/v1/orders/",
        {"customer": shop.bakery.pk, "channel": shop.b2b.pk, "lines": [{"product": shop.lamp.pk, "quantity": HUGE}]},
        format="json",
    )
    assert response.status_code == 400 and "trop grand" in response.json()["quantity"][0]
    assert not QuoteLine.objects.exists() and not Order.objects.exists()


def test_a_change_of_quantity_or_price_is_refused_too(shop):
    quote = services.create_quote(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug, "quantity": 1}])
    line = quote.lines.get()
    with pytest.raises(InvalidInput) as error:
        services.change_line(line, quantity=Decimal(HUGE), unit_price=Decimal("9999.99"))
    assert "le montant de la ligne « Mug triskell »" in error.value.errors["quantity"][0]
    line.refresh_from_db()
    assert line.quantity == 1


def test_a_price_too_large_for_the_line_is_refused_naming_the_price(shop, api_client):
    """The quantity was there before: the price just typed makes the amount too large."""
    quote = services.create_quote(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug, "quantity": 1000}])
    line = quote.lines.get()
    with pytest.raises(InvalidInput) as error:
        services.change_line(line, quantity=Decimal("1000"), unit_price=Decimal("9999999999"), discount_percent=Decimal("0"))
    assert list(error.value.errors) == ["unit_price"]
    assert error.value.errors["unit_price"][0].startswith("Prix unitaire : trop grand, le montant de la ligne « Mug triskell »")

    response = api_client().patch(f"/api/v1/quote-lines/{line.pk}/", {"unit_price": "9999999999"}, format="json")
    assert response.status_code == 400 and response.json()["unit_price"][0].startswith("Prix unitaire : trop grand")
    line.refresh_from_db()
    assert line.unit_price != Decimal("9999999999")


def test_the_line_editor_names_the_field_refused(shop, admin_client):
    quote = services.create_quote(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug, "quantity": 1000}])
    line = quote.lines.get()
    url = reverse("sales:quote_line_change", args=[quote.pk, line.pk])
    response = admin_client.post(url, {"quantity": "1000", "unit_price": "9 999 999 999", "discount_percent": "0"}, follow=True)
    assert "Prix unitaire : trop grand, le montant de la ligne « Mug triskell »" in page_text(response)
    response = admin_client.post(url, {"quantity": "1000", "unit_price": "8,25", "discount_percent": "150"}, follow=True)
    assert "Ligne non modifiée — Remise % :" in page_text(response)
    line.refresh_from_db()
    assert line.discount_percent == 0


def test_lines_that_fit_one_by_one_but_not_together_are_refused_naming_the_total(shop):
    lines = [{"product": shop.mug, "quantity": "60000000000", "unit_price": "10.00"}] * 2  # 600 000 000 000 each
    with pytest.raises(InvalidInput) as error:
        services.create_quote(customer=shop.bakery, channel=shop.b2b, lines=lines)
    assert "le total des lignes HT" in error.value.errors["quantity"][0]
    assert not Quote.objects.exists()


def test_money_refuses_numbers_beyond_any_column():
    from lmb import money

    for value in ("1e30", "NaN", Decimal("Infinity")):
        with pytest.raises(ValueError):
            money.quantity(value)


# --- A payment far beyond what is due asks for a confirmation ---------------------------------------


def _issued_invoice(shop):
    order = services.confirm_order(
        services.create_order(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.lamp, "quantity": 15}])
    )
    services.ship_delivery_note(services.create_delivery_note(order))
    return services.issue_invoice(services.invoice_order(order))


@pytest.mark.parametrize(("amount", "asks"), [("99999999999.00", True), ("1000.00", True), ("800.00", False)])
def test_the_service_asks_for_a_confirmation_far_beyond_what_is_due(shop, amount, asks):
    invoice = _issued_invoice(shop)
    assert invoice.amount_due == Decimal("757.50")  # 15 lamps: beyond 10 % more (833,25 €), it asks
    if asks:
        with pytest.raises(services.ExcessPayment) as error:
            services.record_payment(customer=shop.bakery, amount=amount, method="transfer", invoices=[invoice])
        assert "757,50" in error.value.errors["amount"][0] and "crédit" in error.value.errors["amount"][0]
        assert not invoice.allocations.exists()
    payment = services.record_payment(
        customer=shop.bakery, amount=amount, method="transfer", invoices=[invoice], confirm_excess=True
    )
    assert payment.amount == Decimal(amount) and invoice.allocations.get().amount == Decimal("757.50")


def test_the_api_refuses_it_unless_confirmed(shop, api_client):
    invoice = _issued_invoice(shop)
    api = api_client()
    payload = {"amount": "99999999999.00", "method": "transfer"}
    response = api.post(f"/api/v1/invoices/{invoice.pk}/pay/", payload, format="json")
    assert response.status_code == 400 and "757,50" in response.json()["amount"][0]
    assert not invoice.allocations.exists()
    response = api.post(f"/api/v1/invoices/{invoice.pk}/pay/", {**payload, "confirm_excess": True}, format="json")
    assert response.status_code == 201
    response = api.post("/api/v1/payments/", {**payload, "customer": shop.bakery.pk, "invoices": [invoice.pk]}, format="json")
    assert response.status_code == 400 and "amount" in response.json()


def test_the_form_shows_a_box_to_confirm_it(shop, admin_client):
    invoice = _issued_invoice(shop)
    url = reverse("sales:invoice_action", args=[invoice.pk, "pay"])
    data = {"amount": "99 999 999 999,00", "method": "transfer", "payment_date": invoice.invoice_date.isoformat()}
    response = admin_client.post(url, data)
    page = page_text(response)
    assert response.status_code == 400 and "757,50" in page
    assert 'type="checkbox" name="confirm_excess"' in page and not invoice.allocations.exists()
    response = admin_client.post(url, {**data, "confirm_excess": "on"})
    assert response.status_code == 302
    assert invoice.allocations.get().amount == Decimal("757.50")


def test_an_integer_beyond_any_column_is_refused_not_a_500(shop, api_client):
    invoice = _issued_invoice(shop)
    response = api_client().post(
        f"/api/v1/invoices/{invoice.pk}/credit/", {"reason": "Casse", "lines": [{"invoice_line": 2**70}]}, format="json"
    )
    assert response.status_code == 400 and "invoice_line" in str(response.json())
