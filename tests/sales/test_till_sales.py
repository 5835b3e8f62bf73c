"""Selling in a till session: the one counter write path (checkout_at_counter) given the session
takes the goods from the register's warehouse, records the ticket with the session and the
user in the same transaction, gives change to the cent, and keeps discounts within the
register's limit unless a manager grants them (logged)."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from lmb.errors import Conflict, InvalidInput
from sales import services
from sales.models import Invoice, Order, Payment, PaymentMethod
from sales.till import queries
from sales.till import services as till_services
from sales.till.models import Ticket, TillEvent
from tests.sales.till_fixtures import on_hand, sell


@pytest.mark.django_db
def test_a_sale_in_a_session_leaves_the_registers_warehouse_and_records_its_ticket(till):
    session = till_session(till)
    sale = sell(till, session, [{"code": till.shop.jam.ean13, "quantity": 3}, {"product": till.shop.mug, "quantity": 1}])
    assert on_hand(till.shop.jam, till.boutique) == 47 and on_hand(till.shop.mug, till.boutique) == 49
    assert on_hand(till.shop.jam, till.shop.warehouse) == 100  # the default warehouse is untouched
    order = Order.objects.get()
    assert order.warehouse == till.boutique
    ticket = Ticket.objects.get()
    assert ticket == sale.ticket
    assert (ticket.session, ticket.user, ticket.kind, ticket.invoice) == (session, till.cashier, "sale", sale.invoice)
    assert ticket.reprints == 0


@pytest.mark.django_db
def test_tenders_and_change_to_the_cent(till):
    session = till_session(till, "50")
    # 3 jars (12,60) + a mug (9,90) = 22,50: 10,01 by card, then a 20 € note → 7,51 of change
    sale = sell(
        till,
        session,
        [{"product": till.shop.jam, "quantity": 3}, {"product": till.shop.mug, "quantity": 1}],
        tenders=[{"method": PaymentMethod.CARD, "amount": "10.01"}, {"method": PaymentMethod.CASH, "amount": "20"}],
    )
    assert sale.invoice.total_incl_tax == Decimal("22.50")
    assert sale.change == Decimal("7.51")
    assert sorted(Payment.objects.values_list("method", "amount")) == [("card", Decimal("10.01")), ("cash", Decimal("12.49"))]
    assert sale.ticket.tendered == [{"method": "card", "amount": "10.01"}, {"method": "cash", "amount": "20.00"}]
    assert sale.ticket.change == Decimal("7.51")
    figures = queries.session_figures(session)
    assert figures.tenders == {"card": Decimal("10.01"), "cash": Decimal("12.49")}
    assert figures.expected_cash == Decimal("62.49")  # 50 float + 20 received − 7,51 handed back
    assert (figures.sales_count, figures.sales_total) == (1, Decimal("22.50"))


@pytest.mark.django_db
def test_a_voucher_and_a_cheque_pay_a_sale_and_leave_the_drawer_alone(till):
    session = till_session(till, "30")
    voucher = services.issue_voucher(amount="5", customer=till.shop.walk_in)
    sale = sell(
        till,
        session,
        [{"product": till.shop.jam, "quantity": 3}],
        tenders=[
            {"method": PaymentMethod.VOUCHER, "amount": "5", "voucher_code": voucher.code},
            {"method": PaymentMethod.CHEQUE, "amount": "7.60"},
        ],
    )
    assert sale.change == 0
    figures = queries.session_figures(session)
    assert figures.tenders == {"voucher": Decimal("5.00"), "cheque": Decimal("7.60")}
    assert figures.expected_cash == Decimal("30.00")


@pytest.mark.django_db
def test_a_discount_over_the_registers_limit_is_refused_to_a_cashier_and_changes_nothing(till):
    session = till_session(till)
    order = services.create_order(
        customer=till.shop.walk_in,
        channel=till.shop.counter,
        lines=[{"product": till.shop.mug, "quantity": 2, "discount_percent": "15"}],
    )
    events = TillEvent.objects.count()
    with pytest.raises(InvalidInput, match="plafond") as refused:
        services.checkout_at_counter(
            order, tenders=[{"method": PaymentMethod.CASH, "amount": "100"}], user=till.cashier, session=session
        )
    message = refused.value.errors["lines[0].discount_percent"][0]
    assert "Mug triskell" in message and "15 %" in message and "10 %" in message
    order.refresh_from_db()
    assert order.status == Order.Status.DRAFT and order.number is None
    assert not Invoice.objects.exists() and not Payment.objects.exists() and not Ticket.objects.exists()
    assert TillEvent.objects.count() == events
    assert on_hand(till.shop.mug, till.boutique) == 50


@pytest.mark.django_db
def test_a_ticket_discount_over_the_limit_is_refused_too(till):
    session = till_session(till)
    with pytest.raises(InvalidInput) as refused:
        services.sell_at_counter(
            channel=till.shop.counter,
            lines=[{"product": till.shop.jam, "quantity": 1}],
            tenders=[{"method": PaymentMethod.CASH, "amount": "10"}],
            user=till.cashier,
            session=session,
            discount_percent="12",
        )
    assert "remise sur le ticket" in refused.value.errors["discount_percent"][0]
    assert not Invoice.objects.exists() and not Order.objects.exists()


@pytest.mark.django_db
def test_a_manager_grants_a_discount_beyond_the_limit_and_the_journal_keeps_it(till):
    session = till_session(till)
    sale = sell(till, session, [{"product": till.shop.mug, "quantity": 2, "discount_percent": "15"}], user=till.manager)
    assert sale.invoice.status == Invoice.Status.ISSUED and sale.ticket.user == till.manager
    event = TillEvent.objects.get(kind="discount_over_threshold")
    assert event.user == till.manager and event.session == session
    assert event.details["limit"] == "10.00" and event.details["discounts"][0]["percent"] == "15.00"


@pytest.mark.django_db
def test_within_the_limit_a_cashier_discounts_without_a_trace(till):
    session = till_session(till)
    sell(till, session, [{"product": till.shop.mug, "quantity": 2, "discount_percent": "10"}])
    assert not TillEvent.objects.filter(kind="discount_over_threshold").exists()


@pytest.mark.django_db
def test_no_sale_in_a_closed_session(till):
    session = till_session(till)
    till_services.close_session(session, user=till.cashier, counted_cash={"50": 2})
    with pytest.raises(Conflict, match="clôturée"):
        sell(till, session, [{"product": till.shop.jam, "quantity": 1}])
    assert not Invoice.objects.exists()


@pytest.mark.django_db
def test_a_ticket_started_at_a_register_is_a_draft_for_the_walk_in_customer_from_its_warehouse(till):
    session = till_session(till)
    order = till_services.start_sale(session=session, user=till.cashier)
    assert (order.status, order.customer, order.channel, order.warehouse) == (
        Order.Status.DRAFT,
        till.shop.walk_in,
        till.shop.counter,
        till.boutique,
    )
    services.add_line(order, code=till.shop.jam.ean13, quantity=2)
    sale = services.checkout_at_counter(
        order, tenders=[{"method": PaymentMethod.CASH, "amount": "10"}], user=till.cashier, session=session
    )
    assert sale.change == Decimal("1.60") and on_hand(till.shop.jam, till.boutique) == 48


@pytest.mark.django_db
def test_a_line_removed_before_payment_is_logged(till):
    session = till_session(till)
    order = till_services.start_sale(session=session, user=till.cashier)
    services.add_line(order, product=till.shop.jam, quantity=1)
    services.add_line(order, product=till.shop.mug, quantity=1)
    mug_line = order.lines.get(product=till.shop.mug)
    till_services.remove_ticket_line(mug_line, session=session, user=till.cashier)
    assert list(order.lines.values_list("product", flat=True)) == [till.shop.jam.pk]
    event = TillEvent.objects.get(kind="line_deleted")
    assert event.user == till.cashier and event.session == session
    assert event.details["description"] == "Mug triskell" and event.details["quantity"] == "1.000"


@pytest.mark.django_db
def test_a_reprint_is_counted_under_lock_and_logged(till):
    session = till_session(till)
    ticket = sell(till, session, [{"product": till.shop.jam, "quantity": 1}]).ticket
    assert till_reprint(ticket, till.cashier) == 1
    assert till_reprint(ticket, till.manager) == 2
    ticket.refresh_from_db()
    assert ticket.reprints == 2
    events = list(TillEvent.objects.filter(kind="reprint").order_by("sequence"))
    assert [(event.user, event.details["duplicate"]) for event in events] == [(till.cashier, 1), (till.manager, 2)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE sales_ticket SET change = 100 WHERE id = {ticket}",
        "UPDATE sales_ticket SET reprints = 0, user_id = user_id WHERE id = {ticket}",
        "DELETE FROM sales_ticket WHERE id = {ticket}",
    ],
)
def test_postgresql_lets_a_ticket_change_only_its_reprint_counter_upwards(till, statement):
    if connection.vendor != "postgresql":
        pytest.skip("the triggers are PostgreSQL's")
    session = till_session(till)
    ticket = sell(till, session, [{"product": till.shop.jam, "quantity": 1}]).ticket
    till_reprint(ticket, till.cashier)
    with pytest.raises(IntegrityError, match="ticket"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement.format(ticket=ticket.pk))
    ticket.refresh_from_db()
    assert (ticket.reprints, ticket.change) == (1, 0)


def till_session(till_, opening_float="100"):
    return till_services.open_session(register=till_.register, user=till_.cashier, opening_float=opening_float)


def till_reprint(ticket, user):
    return till_services.reprint_ticket(ticket, user=user)
