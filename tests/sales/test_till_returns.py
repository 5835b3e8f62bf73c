"""A return at the till against an earlier ticket: a credit note of the returned lines, the goods
back into the register's warehouse, the money refunded or turned into a voucher, a return ticket
in the session and a line in the journal. More than was sold (less what came back already) is
refused with the line named, and changes nothing."""

from decimal import Decimal

import pytest

from lmb.errors import InvalidInput
from sales.models import CreditNote, Payment, PaymentMethod, Voucher
from sales.till import queries
from sales.till import services as till_services
from sales.till.models import Ticket, TillEvent
from stock.models import StockMove
from tests.sales.till_fixtures import on_hand, sell


@pytest.fixture
def sale(till):
    """3 jars (12,60) and 2 mugs (19,80) sold at register 1 for 32,40 in cash."""
    session = till_services.open_session(register=till.register, user=till.cashier, opening_float="100")
    return sell(till, session, [{"product": till.shop.jam, "quantity": 3}, {"product": till.shop.mug, "quantity": 2}])


def line_of(sale, product):
    return sale.invoice.lines.get(product=product)


@pytest.mark.django_db
def test_a_return_refunded_in_cash_puts_the_goods_back_and_takes_the_cash_out(till, sale):
    session = sale.ticket.session
    returned = till_services.return_at_counter(
        session=session,
        user=till.cashier,
        ticket=sale.ticket,
        lines=[{"invoice_line": line_of(sale, till.shop.mug).pk, "quantity": 1}],
        refund_method=PaymentMethod.CASH,
    )
    assert (returned.kind, returned.session, returned.user) == ("return", session, till.cashier)
    credit_note = returned.credit_note
    assert credit_note.status == CreditNote.Status.ISSUED and credit_note.invoice == sale.invoice
    assert credit_note.total_incl_tax == Decimal("9.90")
    assert on_hand(till.shop.mug, till.boutique) == 49  # 50 − 2 sold + 1 back
    assert StockMove.objects.filter(kind="customer_return", warehouse=till.boutique, product=till.shop.mug).count() == 1
    refund = Payment.objects.get(purpose=Payment.Purpose.REFUND)
    assert (refund.method, refund.amount, refund.credit_note) == ("cash", Decimal("9.90"), credit_note)
    assert queries.session_figures(session).expected_cash == Decimal("122.50")  # 100 + 32,40 − 9,90
    event = TillEvent.objects.get(kind="return")
    assert event.details["credit_note"] == credit_note.number and event.details["total"] == "9.90"


@pytest.mark.django_db
def test_a_return_turned_into_a_voucher_gives_no_cash(till, sale):
    session = sale.ticket.session
    returned = till_services.return_at_counter(
        session=session,
        user=till.cashier,
        ticket=sale.ticket,
        lines=[{"invoice_line": line_of(sale, till.shop.jam).pk, "quantity": 2}],
        settlement=CreditNote.Settlement.VOUCHER,
    )
    voucher = Voucher.objects.get()
    assert (voucher.credit_note, voucher.amount, voucher.balance) == (returned.credit_note, Decimal("8.40"), Decimal("8.40"))
    assert not Payment.objects.filter(purpose=Payment.Purpose.REFUND).exists()
    assert on_hand(till.shop.jam, till.boutique) == 49
    figures = queries.session_figures(session)
    assert figures.vouchers_issued == Decimal("8.40") and figures.expected_cash == Decimal("132.40")


@pytest.mark.django_db
def test_the_goods_come_back_into_the_returning_registers_warehouse(till, sale):
    """Sold at register 1 (the boutique), brought back to register 2 (the main warehouse)."""
    other = till_services.open_session(register=till.other_register, user=till.other_cashier, opening_float="50")
    till_services.return_at_counter(
        session=other,
        user=till.other_cashier,
        ticket=sale.ticket,
        lines=[{"invoice_line": line_of(sale, till.shop.jam).pk, "quantity": 1}],
        refund_method=PaymentMethod.CARD,
    )
    assert on_hand(till.shop.jam, till.shop.warehouse) == 101 and on_hand(till.shop.jam, till.boutique) == 47
    assert Ticket.objects.get(kind="return").session == other
    assert queries.session_figures(other).refunds == {"card": Decimal("4.20")}


@pytest.mark.django_db
def test_a_return_of_more_than_was_sold_is_refused_naming_the_line_and_changes_nothing(till, sale):
    session = sale.ticket.session
    jam = line_of(sale, till.shop.jam)
    till_services.return_at_counter(
        session=session, user=till.cashier, ticket=sale.ticket, lines=[{"invoice_line": jam.pk, "quantity": 2}]
    )
    before = (CreditNote.objects.count(), Ticket.objects.count(), TillEvent.objects.count(), Payment.objects.count())
    with pytest.raises(InvalidInput, match="Confiture de fraises") as refused:
        till_services.return_at_counter(
            session=session, user=till.cashier, ticket=sale.ticket, lines=[{"invoice_line": jam.pk, "quantity": 2}]
        )
    assert "entre 0 et 1" in refused.value.errors["lines[0].quantity"][0]  # 3 sold, 2 already back
    after = (CreditNote.objects.count(), Ticket.objects.count(), TillEvent.objects.count(), Payment.objects.count())
    assert after == before
    assert on_hand(till.shop.jam, till.boutique) == 49


@pytest.mark.django_db
def test_a_return_needs_a_sale_ticket_and_a_known_settlement(till, sale):
    session = sale.ticket.session
    jam = line_of(sale, till.shop.jam)
    with pytest.raises(InvalidInput, match="remboursé ou transformé"):
        till_services.return_at_counter(
            session=session, user=till.cashier, ticket=sale.ticket, lines=[{"invoice_line": jam.pk}], settlement="balance"
        )
    with pytest.raises(InvalidInput, match="espèces, par carte"):
        till_services.return_at_counter(
            session=session, user=till.cashier, ticket=sale.ticket, lines=[{"invoice_line": jam.pk}], refund_method="voucher"
        )
    assert not CreditNote.objects.exists()
