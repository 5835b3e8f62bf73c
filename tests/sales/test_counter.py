"""A counter sale rung up in one step — stock out, invoice issued, payment recorded, change given
in cash only — always in a till session (POS-01): outside one it is refused, and the old counter
page leads to the till."""

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


@pytest.fixture
def session(counter_session):
    return counter_session


def _checkout(order, session, tenders, **options):
    return services.checkout_at_counter(order, tenders=tenders, session=session, user=session.opened_by, **options)


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
def test_cash_beyond_the_total_is_change_given_back_not_credit(shop, session):
    sale = _checkout(_basket(shop), session, [{"method": PaymentMethod.CASH, "amount": "20"}])
    assert sale.invoice.status == Invoice.Status.ISSUED and sale.invoice.total_incl_tax == Decimal("12.60")
    assert sale.change == Decimal("7.40")
    assert Payment.objects.get().amount == Decimal("12.60")  # the till keeps what the sale costs
    assert queries.invoice_balance(sale.invoice) == 0 and queries.customer_credit(shop.walk_in) == 0
    assert _on_hand(shop.jam, shop.warehouse) == 97


@pytest.mark.django_db
def test_a_voucher_then_a_card_pay_one_sale(shop, session):
    voucher = services.sell_voucher(amount="5", method=PaymentMethod.CASH, customer=shop.walk_in)
    sale = _checkout(
        _basket(shop),
        session,
        [
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
def test_a_refused_checkout_changes_nothing(shop, session, tenders, message):
    order = _basket(shop)
    with pytest.raises(InvalidInput, match=message) as refused:
        _checkout(order, session, tenders)
    assert "amount" in refused.value.errors
    order.refresh_from_db()
    assert order.status == Order.Status.DRAFT and order.number is None
    assert not Invoice.objects.exists() and not Payment.objects.exists()
    assert not Sequence.objects.filter(code="invoice", last_value__gt=0).exists()  # no number consumed
    assert _on_hand(shop.jam, shop.warehouse) == 100


@pytest.mark.django_db
def test_a_banknote_gives_change_without_a_question(shop, session):
    """A 200 € note for a 12,60 € sale: change is the till's everyday business."""
    sale = _checkout(_basket(shop), session, [{"method": PaymentMethod.CASH, "amount": "200"}])
    assert sale.change == Decimal("187.40")


@pytest.mark.django_db
def test_change_beyond_a_banknote_asks_for_a_confirmation(shop, session):
    """212,61 € for 12,60 €: 200,01 € of change, more than any banknote can explain."""
    with pytest.raises(services.ExcessPayment, match="rendre 200,01"):
        _checkout(_basket(shop), session, [{"method": PaymentMethod.CASH, "amount": "212.61"}])
    assert not Invoice.objects.exists() and not Payment.objects.exists()


@pytest.mark.django_db
def test_cash_far_beyond_the_total_asks_for_a_confirmation(shop, session):
    order = _basket(shop)
    tenders = [{"method": PaymentMethod.CASH, "amount": "99999999999"}]
    with pytest.raises(services.ExcessPayment) as asked:
        _checkout(order, session, tenders)
    message = _plain(asked.value.errors["amount"][0])
    assert "99 999 999 999,00" in message and "12,60" in message and "rendre 99 999 999 986,40" in message
    assert asked.value.confirmation_field == "confirm_excess"
    order.refresh_from_db()
    assert order.status == Order.Status.DRAFT and not Invoice.objects.exists() and not Payment.objects.exists()

    sale = _checkout(order, session, tenders, confirm_excess=True)
    assert sale.change == Decimal("99999999986.40") and Payment.objects.get().amount == Decimal("12.60")


@pytest.mark.django_db
@pytest.mark.parametrize("method", [PaymentMethod.CARD, PaymentMethod.CHEQUE])
def test_a_card_or_cheque_beyond_the_total_is_refused_even_confirmed(shop, session, method):
    order = _basket(shop)
    with pytest.raises(InvalidInput, match="Seules les espèces"):
        _checkout(order, session, [{"method": method, "amount": "99999999999"}], confirm_excess=True)
    assert not Invoice.objects.exists() and not Payment.objects.exists()


@pytest.mark.django_db
def test_only_counter_sales_are_rung_up_at_the_till(shop, session):
    order = services.create_order(customer=shop.bakery, channel=shop.phone, lines=[{"product": shop.mug}])
    with pytest.raises(InvalidInput, match="comptoir"):
        _checkout(order, session, [{"method": PaymentMethod.CASH, "amount": "20"}])


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["checkout", "sell"])
def test_a_counter_sale_outside_a_session_is_refused_and_changes_nothing(shop, how):
    """POS-01: every consumer payment belongs to a till session and a user."""
    order = _basket(shop)
    with pytest.raises(InvalidInput) as refused:
        if how == "checkout":
            services.checkout_at_counter(order, tenders=[{"method": PaymentMethod.CASH, "amount": "20"}], session=None)
        else:
            services.sell_at_counter(
                channel=shop.counter,
                lines=[{"product": shop.jam, "quantity": 1}],
                tenders=[{"method": PaymentMethod.CASH, "amount": "20"}],
                session=None,
            )
    assert "session de caisse" in refused.value.errors["session"][0]
    order.refresh_from_db()
    assert order.status == Order.Status.DRAFT and Order.objects.count() == 1
    assert not Invoice.objects.exists() and not Payment.objects.exists()
    assert _on_hand(shop.jam, shop.warehouse) == 100


@pytest.mark.django_db
def test_the_old_counter_page_leads_to_the_till_and_the_order_editor_does_not_ring_up(role_client, shop):
    """The counter page started sales outside any session: its address now leads to the till; a
    counter draft's page sends to the till instead of offering « Encaisser »."""
    client = role_client(roles.SALES)
    response = client.get(reverse("sales:counter"))
    assert response.status_code == 301 and response["Location"] == reverse("sales:till_home")

    order = _basket(shop)
    page = page_text(client.get(order.get_absolute_url()))
    assert "Encaisser" not in page and 'id="counter-sale-hint"' in page and reverse("sales:till_home") in page
    response = client.post(reverse("sales:order_action", args=[order.pk, "checkout"]), {"method": "cash", "amount": "20"})
    assert response.status_code == 404
    order.refresh_from_db()
    assert order.status == Order.Status.DRAFT and not Invoice.objects.exists() and not Payment.objects.exists()

    phone_order = services.create_order(customer=shop.bakery, channel=shop.phone, lines=[{"product": shop.mug}])
    assert 'id="counter-sale-hint"' not in page_text(client.get(phone_order.get_absolute_url()))
