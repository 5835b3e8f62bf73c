"""The till: a sale started for the walk-in customer, its articles scanned into the order editor,
then rung up in one step — stock out, invoice issued, payment recorded, change given in cash only."""

from decimal import Decimal

import pytest
from django.urls import reverse

from lmb import roles
from lmb.errors import InvalidInput
from lmb.models import Sequence
from sales import queries, services
from sales.models import Invoice, Order, Payment, PaymentMethod
from stock.models import StockLevel
from tests.helpers import page_text

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "document-lines"}


def _basket(shop, **fields):
    """A counter sale of 3 jars of jam (12,60 € tax included)."""
    return services.create_order(
        customer=shop.walk_in, channel=shop.counter, lines=[{"code": shop.jam.ean13, "quantity": 3}], **fields
    )


def _plain(text: str) -> str:
    """French amounts group digits with narrow no-break spaces: read them as plain spaces."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def _on_hand(product, warehouse):
    return StockLevel.objects.get(product=product, warehouse=warehouse).on_hand


@pytest.mark.django_db
def test_cash_beyond_the_total_is_change_given_back_not_credit(shop):
    sale = services.checkout_at_counter(_basket(shop), tenders=[{"method": PaymentMethod.CASH, "amount": "20"}])
    assert sale.invoice.status == Invoice.Status.ISSUED and sale.invoice.total_incl_tax == Decimal("12.60")
    assert sale.change == Decimal("7.40")
    assert Payment.objects.get().amount == Decimal("12.60")  # the till keeps what the sale costs
    assert queries.invoice_balance(sale.invoice) == 0 and queries.customer_credit(shop.walk_in) == 0
    assert _on_hand(shop.jam, shop.warehouse) == 97


@pytest.mark.django_db
def test_a_voucher_then_a_card_pay_one_sale(shop):
    voucher = services.sell_voucher(amount="5", method=PaymentMethod.CASH, customer=shop.walk_in)
    sale = services.checkout_at_counter(
        _basket(shop),
        tenders=[
            {"method": PaymentMethod.VOUCHER, "amount": "5", "voucher_code": voucher.code},
            {"method": PaymentMethod.CARD, "amount": "7.60"},
        ],
    )
    assert sale.change == 0 and queries.invoice_balance(sale.invoice) == 0
    voucher.refresh_from_db()
    assert voucher.balance == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("tenders", "message"),
    [
        ([{"method": PaymentMethod.CARD, "amount": "20"}], "Seules les espèces"),
        ([{"method": PaymentMethod.CASH, "amount": "10"}], "Il manque 2,60"),
        ([], "Indiquez ce que le client paie"),
    ],
)
def test_a_refused_checkout_changes_nothing(shop, tenders, message):
    order = _basket(shop)
    with pytest.raises(InvalidInput, match=message) as refused:
        services.checkout_at_counter(order, tenders=tenders)
    assert "amount" in refused.value.errors
    order.refresh_from_db()
    assert order.status == Order.Status.DRAFT and order.number is None
    assert not Invoice.objects.exists() and not Payment.objects.exists()
    assert not Sequence.objects.filter(code="invoice", last_value__gt=0).exists()  # no number consumed
    assert _on_hand(shop.jam, shop.warehouse) == 100


@pytest.mark.django_db
def test_a_banknote_gives_change_without_a_question(shop):
    """A 200 € note for a 12,60 € sale: change is the till's everyday business."""
    sale = services.checkout_at_counter(_basket(shop), tenders=[{"method": PaymentMethod.CASH, "amount": "200"}])
    assert sale.change == Decimal("187.40")


@pytest.mark.django_db
def test_change_beyond_a_banknote_asks_for_a_confirmation(shop):
    """212,61 € for 12,60 €: 200,01 € of change, more than any banknote can explain."""
    with pytest.raises(services.ExcessPayment, match="rendre 200,01"):
        services.checkout_at_counter(_basket(shop), tenders=[{"method": PaymentMethod.CASH, "amount": "212.61"}])
    assert not Invoice.objects.exists() and not Payment.objects.exists()


@pytest.mark.django_db
def test_cash_far_beyond_the_total_asks_for_a_confirmation(shop):
    order = _basket(shop)
    tenders = [{"method": PaymentMethod.CASH, "amount": "99999999999"}]
    with pytest.raises(services.ExcessPayment) as asked:
        services.checkout_at_counter(order, tenders=tenders)
    message = _plain(asked.value.errors["amount"][0])
    assert "99 999 999 999,00" in message and "12,60" in message and "rendre 99 999 999 986,40" in message
    assert asked.value.confirmation_field == "confirm_excess"
    order.refresh_from_db()
    assert order.status == Order.Status.DRAFT and not Invoice.objects.exists() and not Payment.objects.exists()

    sale = services.checkout_at_counter(order, tenders=tenders, confirm_excess=True)
    assert sale.change == Decimal("99999999986.40") and Payment.objects.get().amount == Decimal("12.60")


@pytest.mark.django_db
@pytest.mark.parametrize("method", [PaymentMethod.CARD, PaymentMethod.CHEQUE])
def test_a_card_or_cheque_beyond_the_total_is_refused_even_confirmed(shop, method):
    order = _basket(shop)
    with pytest.raises(InvalidInput, match="Seules les espèces"):
        services.checkout_at_counter(order, tenders=[{"method": method, "amount": "99999999999"}], confirm_excess=True)
    assert not Invoice.objects.exists() and not Payment.objects.exists()


@pytest.mark.django_db
def test_only_counter_sales_are_rung_up_at_the_till(shop):
    order = services.create_order(customer=shop.bakery, channel=shop.phone, lines=[{"product": shop.mug}])
    with pytest.raises(InvalidInput, match="comptoir"):
        services.checkout_at_counter(order, tenders=[{"method": PaymentMethod.CASH, "amount": "20"}])


@pytest.mark.django_db
def test_the_till_from_new_sale_to_receipt(role_client, shop):
    client = role_client(roles.SALES)
    response = client.post(reverse("sales:counter_start", args=[shop.counter.pk]))
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.customer == shop.walk_in and order.channel == shop.counter
    client.post(
        reverse("sales:order_line_add", args=[order.pk]), {"code": shop.jam.ean13, "quantity": "3", "kind": "product"}, **HTMX
    )

    page = page_text(client.get(order.get_absolute_url()))
    assert "Encaisser" in page
    checkout = reverse("sales:order_action", args=[order.pk, "checkout"])
    assert "12,60" in page_text(client.get(checkout))  # the amount proposed is the total

    refused = client.post(checkout, {"method": PaymentMethod.CARD, "amount": "50"})
    assert refused.status_code == 400 and "Seules les espèces" in page_text(refused)

    asked = client.post(checkout, {"method": PaymentMethod.CASH, "amount": "99 999 999 999,00"})
    page = _plain(page_text(asked))
    assert asked.status_code == 400 and "il faudrait rendre 99 999 999 986,40" in page
    assert 'type="checkbox" name="confirm_excess"' in asked.content.decode() and not Invoice.objects.exists()

    response = client.post(checkout, {"method": PaymentMethod.CASH, "amount": "50"}, follow=True)
    invoice = Invoice.objects.get()
    assert response.redirect_chain[-1][0] == invoice.get_absolute_url()
    text = page_text(response)
    assert invoice.number in text and "Rendu monnaie : 37,40" in text

    # the counter page no longer adds up every channel's payments of the day: the takings are read
    # on the till home, per register session (tests/sales/test_till_screens.py)
    till = page_text(client.get(reverse("sales:counter")))
    assert "12,60" not in till and reverse("sales:till_home") in till


@pytest.mark.django_db
def test_the_checkout_button_is_only_on_counter_orders(role_client, shop):
    client = role_client(roles.SALES)
    phone_order = services.create_order(customer=shop.bakery, channel=shop.phone, lines=[{"product": shop.mug}])
    assert "Encaisser" not in page_text(client.get(phone_order.get_absolute_url()))
    response = client.post(reverse("sales:order_action", args=[phone_order.pk, "checkout"]), {"method": "cash", "amount": "20"})
    assert response.status_code == 400 and "canal comptoir" in page_text(response)
    phone_order.refresh_from_db()
    assert phone_order.status == Order.Status.DRAFT
