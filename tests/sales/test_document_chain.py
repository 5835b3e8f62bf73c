"""The chain quote → order → delivery notes → invoices → credit notes through the services: every
transition, every refused one, partial deliveries and backorders, invoicing never more than
delivered, deposits (including the year-end case), credit notes with goods back in stock."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from lmb.errors import Conflict, InvalidInput, TransitionNotAllowed
from sales import queries, services, tasks
from sales.models import CreditNote, DeliveryNote, Invoice, Order, PaymentMethod, Quote
from stock.models import StockLevel, StockMove

PARIS = ZoneInfo("Europe/Paris")


def level(product, warehouse):
    return StockLevel.objects.get(product=product, warehouse=warehouse)


def confirmed_order(shop, customer=None, channel=None, lines=None):
    order = services.create_order(
        customer=customer or shop.bakery,
        channel=channel or shop.b2b,
        lines=lines or [{"product": shop.mug, "quantity": 10}, {"product": shop.lamp, "quantity": 3}],
    )
    return services.confirm_order(order)


def ship(order, quantities=None):
    note = services.create_delivery_note(order, quantities=quantities)
    return services.ship_delivery_note(note, carrier="Colissimo", tracking_number="6A123")


@pytest.mark.django_db
def test_quote_accepted_becomes_a_confirmed_order_that_reserves_its_goods(shop):
    quote = services.create_quote(
        customer=shop.bakery,
        channel=shop.b2b,
        lines=[{"code": shop.mug.reference, "quantity": 10}, {"product": shop.lamp, "quantity": 3}],
    )
    assert quote.number is None and quote.status == Quote.Status.DRAFT
    quote = services.send_quote(quote)
    assert re.fullmatch(r"DE\d{4}-000001", quote.number) and quote.valid_until > quote.quote_date

    order = services.accept_quote(quote)
    quote.refresh_from_db()
    assert quote.status == Quote.Status.ACCEPTED and order.quote == quote
    assert order.total_incl_tax == quote.total_incl_tax and order.lines.count() == quote.lines.count() == 3  # + eco line
    assert order.prices_include_tax is False  # the B2B channel sells tax excluded

    order = services.confirm_order(order)
    assert order.status == Order.Status.CONFIRMED and order.number.startswith("CO")
    assert level(shop.mug, shop.warehouse).reserved == 10
    assert level(shop.lamp, shop.warehouse).reserved == 3


@pytest.mark.django_db
def test_refused_transitions_say_why(shop):
    quote = services.send_quote(services.create_quote(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug}]))
    with pytest.raises(TransitionNotAllowed, match="Envoyé"):
        services.send_quote(quote)
    services.refuse_quote(quote, reason="Trop cher")
    with pytest.raises(TransitionNotAllowed, match="Refusé"):
        services.accept_quote(quote)

    order = services.create_order(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug, "quantity": 2}])
    with pytest.raises(TransitionNotAllowed, match="Brouillon"):
        services.create_delivery_note(order)
    services.confirm_order(order)
    with pytest.raises(TransitionNotAllowed, match="Confirmée"):
        services.confirm_order(order)
    with pytest.raises(TransitionNotAllowed, match="plus un brouillon"):
        services.add_line(order, product=shop.jam)
    note = ship(order)
    with pytest.raises(TransitionNotAllowed, match="Expédié"):
        services.ship_delivery_note(note)
    with pytest.raises(TransitionNotAllowed):
        services.cancel_order(order)  # delivered: no longer cancellable
    invoice = services.issue_invoice(services.invoice_order(order))
    with pytest.raises(TransitionNotAllowed, match="Émise"):
        services.issue_invoice(invoice)
    with pytest.raises(TransitionNotAllowed):
        services.delete_draft_invoice(invoice)
    with pytest.raises(TransitionNotAllowed):
        services.add_line(invoice, product=shop.jam)


@pytest.mark.django_db
def test_an_empty_document_is_neither_sent_nor_confirmed(shop):
    quote = services.create_quote(customer=shop.bakery, channel=shop.b2b)
    with pytest.raises(InvalidInput) as error:
        services.send_quote(quote)
    assert error.value.field == "lines"
    order = services.create_order(customer=shop.bakery, channel=shop.b2b)
    with pytest.raises(InvalidInput):
        services.confirm_order(order)
    assert Order.objects.get(pk=order.pk).number is None


@pytest.mark.django_db
def test_partial_delivery_leaves_a_backorder_and_writes_delivery_moves(shop):
    order = confirmed_order(shop)
    mug_line = order.lines.get(product=shop.mug)
    note = ship(order, quantities={mug_line.pk: 6})
    order.refresh_from_db()
    assert note.status == DeliveryNote.Status.SHIPPED and note.number.startswith("BL")
    assert order.status == Order.Status.PARTIALLY_DELIVERED
    mug_line.refresh_from_db()
    assert (mug_line.delivered_quantity, mug_line.backorder_quantity) == (6, 4)
    assert list(queries.backorders()) == [mug_line, order.lines.get(product=shop.lamp, kind="product")]

    move = StockMove.objects.get(product=shop.mug, kind=StockMove.Kind.DELIVERY)
    assert move.quantity == -6 and move.reference == note.number
    mug_level = level(shop.mug, shop.warehouse)
    assert (mug_level.on_hand, mug_level.reserved) == (94, 4)  # the reservation shrank by what left

    with pytest.raises(InvalidInput, match="4"):
        services.create_delivery_note(order, quantities={mug_line.pk: 5})  # only 4 left to ship
    ship(order)
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED and not list(queries.backorders())
    assert level(shop.mug, shop.warehouse).reserved == 0 and level(shop.lamp, shop.warehouse).on_hand == 97


@pytest.mark.django_db
def test_cancelling_or_closing_an_order_releases_its_reservations(shop):
    order = confirmed_order(shop)
    services.cancel_order(order, reason="Client injoignable")
    assert Order.objects.get(pk=order.pk).status == Order.Status.CANCELLED
    assert level(shop.mug, shop.warehouse).reserved == 0 and level(shop.lamp, shop.warehouse).reserved == 0

    order = confirmed_order(shop)
    ship(order, quantities={order.lines.get(product=shop.mug).pk: 4})
    services.close_backorder(order)
    assert Order.objects.get(pk=order.pk).status == Order.Status.DELIVERED
    assert level(shop.mug, shop.warehouse).reserved == 0 and level(shop.lamp, shop.warehouse).reserved == 0


@pytest.mark.django_db
def test_invoice_is_made_from_what_was_delivered_and_never_more(shop):
    order = confirmed_order(shop, lines=[{"product": shop.mug, "quantity": 10}, {"product": shop.fitting, "quantity": 1}])
    first_note = ship(order, quantities={order.lines.get(product=shop.mug).pk: 6})
    invoice = services.create_invoice(delivery_notes=[first_note])
    quantities = {line.product.designation: line.quantity for line in invoice.lines.all()}
    assert quantities == {"Mug triskell": 6, "Pose et réglage": 1}  # the service is invoiced when performed
    assert invoice.number is None  # a draft has no number

    other_draft = services.create_invoice(delivery_notes=[first_note])  # a second draft of the same goods
    invoice = services.issue_invoice(invoice)
    assert re.fullmatch(r"FA\d{4}-000001", invoice.number) and invoice.status == Invoice.Status.ISSUED
    assert invoice.delivery_date == first_note.shipped_at.astimezone(PARIS).date()
    with pytest.raises(Conflict, match="livré"):
        services.issue_invoice(other_draft)
    assert Invoice.objects.get(pk=other_draft.pk).number is None  # refused: no number taken
    with pytest.raises(InvalidInput, match="déjà facturé"):
        services.invoice_order(order)

    ship(order)
    second = services.issue_invoice(services.invoice_order(order))
    assert [(line.product, line.quantity) for line in second.lines.all()] == [(shop.mug, 4)]
    assert second.number.endswith("000002")
    assert all(line.invoiced_quantity == line.quantity for line in order.lines.all())


@pytest.mark.django_db
def test_an_undelivered_delivery_note_cannot_be_invoiced(shop):
    order = confirmed_order(shop)
    note = services.create_delivery_note(order)
    with pytest.raises(Conflict, match="pas expédié"):
        services.create_invoice(delivery_notes=[note])


@pytest.mark.django_db
def test_a_monthly_invoice_groups_the_delivery_notes_of_one_customer(shop):
    notes = [ship(confirmed_order(shop, lines=[{"product": shop.mug, "quantity": n}])) for n in (1, 2, 3)]
    invoice = services.issue_invoice(services.create_invoice(delivery_notes=notes))
    assert sum(line.quantity for line in invoice.lines.all()) == 6 and invoice.orders.count() == 3
    consumer = ship(confirmed_order(shop, customer=shop.walk_in, channel=shop.phone, lines=[{"product": shop.mug}]))
    with pytest.raises(InvalidInput, match="même client"):
        services.create_invoice(delivery_notes=[ship(confirmed_order(shop, lines=[{"product": shop.mug}])), consumer])


@pytest.mark.django_db
def test_issuing_sets_due_date_from_payment_terms_and_schedule(shop):
    order = confirmed_order(shop, lines=[{"product": shop.mug, "quantity": 10}])
    ship(order)
    invoice = services.issue_invoice(services.invoice_order(order))
    assert invoice.due_date == services.due_date_for("net_30", None, invoice.invoice_date)
    assert [(i.due_date, i.amount) for i in invoice.installments.all()] == [(invoice.due_date, invoice.amount_due)]
    assert services.due_date_for("eom_45", None, date(2026, 1, 20)) == date(2026, 3, 31)  # 6 March → end of March
    assert services.due_date_for("on_receipt", None, date(2026, 1, 20)) == date(2026, 1, 20)

    order = confirmed_order(shop, lines=[{"product": shop.mug, "quantity": 10}])
    ship(order)
    draft = services.invoice_order(order)
    today = draft_day = date.today()
    half = draft.total_incl_tax / 2
    with pytest.raises(InvalidInput, match="totalisent"):
        services.issue_invoice(draft, installments=[(draft_day, half)])
    with pytest.raises(InvalidInput, match="60 jours"):
        services.issue_invoice(draft, installments=[(today, half), (date.fromordinal(today.toordinal() + 75), half)])
    issued = services.issue_invoice(draft, installments=[(today, half), (date.fromordinal(today.toordinal() + 30), half)])
    assert issued.installments.count() == 2 and issued.due_date == date.fromordinal(today.toordinal() + 30)


@pytest.mark.django_db
def test_deposit_is_invoiced_on_receipt_and_deducted_from_the_final_invoice(shop):
    order = confirmed_order(
        shop,
        customer=shop.walk_in,
        channel=shop.phone,
        lines=[{"product": shop.lamp, "quantity": 2}, {"product": shop.jam, "quantity": 5}],
    )
    # 49.90 TTC per lamp, plus its eco-participation of 0.50 HT (0.60 TTC), never discounted.
    assert order.total_incl_tax == 2 * (Decimal("49.90") + Decimal("0.60")) + 5 * Decimal("4.20")
    deposit = services.receive_deposit(order, amount=Decimal("50.00"), method=PaymentMethod.CARD)
    assert deposit.kind == Invoice.Kind.DEPOSIT and deposit.status == Invoice.Status.ISSUED
    assert deposit.total_incl_tax == Decimal("50.00") and deposit.total_vat > 0  # VAT due on receipt (VAT-20)
    assert {group["rate"] for group in deposit.vat_breakdown} == {"20", "5.5"}  # split like the order
    assert queries.invoice_balance(deposit) == 0

    with pytest.raises(InvalidInput, match="dépasser"):
        services.receive_deposit(order, amount=order.total_incl_tax, method=PaymentMethod.CARD)

    ship(order)
    invoice = services.issue_invoice(services.invoice_order(order))
    assert list(invoice.deducted_deposits.all()) == [deposit]
    assert invoice.deposits_total == Decimal("50.00")
    assert invoice.amount_due == invoice.total_incl_tax - Decimal("50.00")
    assert invoice.total_incl_tax == order.total_incl_tax  # the final invoice is the whole sale
    assert queries.invoice_balance(invoice) == invoice.amount_due


@pytest.mark.django_db
def test_year_end_web_order_paid_in_december_and_shipped_in_january(shop):
    """YE-04: paid in full at checkout on 30 December, shipped on 5 January."""
    with time_machine.travel(datetime(2025, 12, 30, 15, 0, tzinfo=PARIS), tick=False):
        order = confirmed_order(shop, customer=shop.walk_in, channel=shop.web, lines=[{"product": shop.lamp, "quantity": 1}])
        deposit = services.receive_deposit(order, amount=order.total_incl_tax, method=PaymentMethod.CARD)
    with time_machine.travel(datetime(2026, 1, 5, 10, 0, tzinfo=PARIS), tick=False):
        ship(order)
        invoice = services.issue_invoice(services.invoice_order(order))
    assert (deposit.number, deposit.invoice_date) == ("FA2025-000001", date(2025, 12, 30))
    assert deposit.total_vat == Decimal("8.42")  # 50.50 TTC at 20 %: VAT in the December return
    assert (invoice.number, invoice.invoice_date) == ("FA2026-000001", date(2026, 1, 5))
    assert invoice.total_incl_tax == Decimal("50.50") and invoice.deposits_total == Decimal("50.50")
    assert invoice.amount_due == 0 and not invoice.installments.exists()


@pytest.mark.django_db
def test_credit_note_with_goods_returned_to_stock_at_their_cost(shop):
    order = confirmed_order(shop, lines=[{"product": shop.lamp, "quantity": 3}])
    ship(order)
    invoice = services.issue_invoice(services.invoice_order(order))
    lamp_line = invoice.lines.get(kind="product")
    credit_note = services.create_credit_note(
        invoice, reason="Lampe défectueuse", lines=[{"invoice_line": lamp_line.pk, "quantity": 1, "return_to_stock": True}]
    )
    assert credit_note.lines.count() == 2  # the lamp and its eco-participation
    credit_note = services.issue_credit_note(credit_note)
    assert re.fullmatch(r"AV\d{4}-000001", credit_note.number) and credit_note.status == CreditNote.Status.ISSUED
    assert credit_note.total_incl_tax == invoice.total_incl_tax / 3
    returned = StockMove.objects.get(kind=StockMove.Kind.CUSTOMER_RETURN)
    delivered = StockMove.objects.get(kind=StockMove.Kind.DELIVERY)
    assert returned.quantity == 1 and returned.unit_cost == delivered.unit_cost and returned.reference == credit_note.number
    assert level(shop.lamp, shop.warehouse).on_hand == 98
    # The invoice was unpaid: the credit settles part of it.
    assert queries.invoice_balance(invoice) == invoice.amount_due - credit_note.total_incl_tax

    with pytest.raises(InvalidInput, match="entre 0 et 2"):
        services.create_credit_note(invoice, reason="Encore", lines=[{"invoice_line": lamp_line.pk, "quantity": 3}])
    rest = services.issue_credit_note(services.create_credit_note(invoice, reason="Annulation du solde"))
    assert rest.total_incl_tax + credit_note.total_incl_tax == invoice.total_incl_tax
    assert queries.invoice_balance(invoice) == 0
    with pytest.raises(InvalidInput, match="déjà crédité"):
        services.create_credit_note(invoice, reason="Une fois de trop")


@pytest.mark.django_db
def test_credit_note_on_a_paid_invoice_is_refunded_or_becomes_a_voucher(shop):
    order = confirmed_order(shop, customer=shop.walk_in, channel=shop.phone, lines=[{"product": shop.mug, "quantity": 4}])
    ship(order)
    invoice = services.issue_invoice(services.invoice_order(order))
    services.record_payment(customer=shop.walk_in, amount=invoice.amount_due, method=PaymentMethod.CARD, invoices=[invoice])
    assert queries.invoice_balance(invoice) == 0
    line = invoice.lines.get()

    voucher_note = services.issue_credit_note(
        services.create_credit_note(
            invoice,
            reason="Geste commercial",
            settlement=CreditNote.Settlement.VOUCHER,
            lines=[{"invoice_line": line.pk, "quantity": 1}],
        )
    )
    voucher = voucher_note.vouchers.get()
    assert voucher.amount == voucher.balance == voucher_note.total_incl_tax and voucher.customer == shop.walk_in

    refund_note = services.create_credit_note(
        invoice, reason="Retour", settlement=CreditNote.Settlement.REFUND, lines=[{"invoice_line": line.pk, "quantity": 1}]
    )
    with pytest.raises(InvalidInput, match="remboursé"):
        services.issue_credit_note(refund_note)
    refund_note = services.issue_credit_note(refund_note, refund_method=PaymentMethod.CARD)
    refund = refund_note.refunds.get()
    assert refund.amount == refund_note.total_incl_tax and refund.method == PaymentMethod.CARD
    assert queries.customer_credit(shop.walk_in) == 0


@pytest.mark.django_db
def test_a_counter_sale_is_delivered_invoiced_and_paid_at_once(shop, counter_session):
    invoice = services.sell_at_counter(
        session=counter_session,
        user=counter_session.opened_by,
        channel=shop.counter,
        lines=[{"code": shop.jam.ean13, "quantity": 3}],
        tenders=[{"method": PaymentMethod.CASH, "amount": "12.60"}],
    )
    assert invoice.status == Invoice.Status.ISSUED and invoice.customer == shop.walk_in
    assert invoice.total_incl_tax == Decimal("12.60") and queries.invoice_balance(invoice) == 0
    assert level(shop.jam, shop.warehouse).on_hand == 97


@pytest.mark.django_db
def test_quotes_past_their_validity_expire_every_night(shop):
    quote = services.send_quote(services.create_quote(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug}]))
    Quote.objects.filter(pk=quote.pk).update(valid_until=timezone.localdate() - timedelta(days=1))
    assert tasks.expire_quotes.delay().get() == 1
    quote.refresh_from_db()
    assert quote.status == Quote.Status.EXPIRED
    assert PeriodicTask.objects.get(task="sales.tasks.expire_quotes").crontab.hour == "0"


@pytest.mark.django_db
def test_what_the_deposits_of_an_order_still_stand_for_is_read_in_one_statement(shop, django_assert_num_queries):
    order = confirmed_order(shop, customer=shop.walk_in, channel=shop.phone, lines=[{"product": shop.lamp, "quantity": 2}])
    with django_assert_num_queries(1):
        assert queries.deposits_received(order) == Decimal("0.00")
    first = services.receive_deposit(order, amount=Decimal("30.00"), method=PaymentMethod.CARD)
    services.receive_deposit(order, amount=Decimal("20.00"), method=PaymentMethod.CASH)
    assert queries.deposits_received(order) == Decimal("50.00")
    # A refunded deposit (its credit note issued) no longer counts, and a new one fits again.
    services.issue_credit_note(services.create_credit_note(first, reason="Remboursement"))
    deposits = Invoice.objects.filter(orders=order, kind=Invoice.Kind.DEPOSIT)
    assert queries.deposits_received(order) == sum(queries.deposit_value(deposit) for deposit in deposits) == Decimal("20.00")
    services.receive_deposit(order, amount=order.total_incl_tax - Decimal("20.00"), method=PaymentMethod.CARD)
