"""Invoices made automatically (issue #22, INV-18): at shipment for web and counter orders, grouped
at the end of the month (or week) for business customers; refusals wait in the « à facturer »
queue with their reason and never undo a shipment."""

import multiprocessing
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connections

from accounting import services as accounting
from accounting.models import Period
from crm.models import Address
from lmb.models import InvoicingPolicy
from sales import chain, pdfs, services
from sales.invoicing import queries as invoicing_queries
from sales.invoicing import services as invoicing
from sales.models import DeliveryNote, DocumentEvent, ExchangeRate, Invoice, InvoiceMailing, InvoicingHold, PaymentMethod
from tests.sales.conftest import customer
from tests.sales.facturx_validation import assert_valid_factur_x
from tests.sales.test_concurrency import _forget_inherited_connections, postgres_only

PARIS = ZoneInfo("Europe/Paris")


def at(day: date, hour=10):
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, tzinfo=PARIS), tick=False)


def web_order(shop, who=None, lines=None):
    lines = lines or [
        {"product": shop.lamp, "quantity": 2},
        {"product": shop.jam, "quantity": 3},
        {"kind": "shipping", "description": "Colissimo", "unit_price": "6.90", "quantity": 1},
    ]
    who = who or customer("Durand", business=False)
    return services.confirm_order(services.create_order(customer=who, channel=shop.web, lines=lines))


def ship(order, quantities=None):
    """Ship a delivery note and run what subscribes to the shipment, as after a real commit."""
    note = services.create_delivery_note(order, quantities=quantities)
    return services.ship_delivery_note(note)


def goods_lines(order):
    return {line.product_id: line for line in order.lines.all() if line.is_goods}


def invoices_of(order):
    return list(Invoice.objects.filter(orders=order, kind=Invoice.Kind.INVOICE).order_by("number"))


@pytest.mark.django_db
def test_a_web_order_shipped_in_two_parcels_gives_two_invoices_of_what_each_held(shop, django_capture_on_commit_callbacks):
    order = web_order(shop)
    lines = goods_lines(order)
    with django_capture_on_commit_callbacks(execute=True):
        first = ship(order, {lines[shop.lamp.pk].pk: 1, lines[shop.jam.pk].pk: 3})
    with django_capture_on_commit_callbacks(execute=True):
        second = ship(order)
    one, two = invoices_of(order)
    assert one.status == two.status == Invoice.Status.ISSUED
    held = {
        invoice.pk: sorted((line.description, line.quantity) for line in invoice.lines.all() if line.kind != "eco")
        for invoice in (one, two)
    }
    assert held[one.pk] == sorted(
        [("Lampe Breizh", Decimal("1.000")), ("Confiture de fraises", Decimal("3.000")), ("Colissimo", 1)]
    )
    assert held[two.pk] == [("Lampe Breizh", Decimal("1.000"))]  # shipping on the first invoice only
    assert {line.delivery_line.delivery_note_id for line in one.lines.exclude(delivery_line=None)} == {first.pk}
    assert {line.delivery_line.delivery_note_id for line in two.lines.exclude(delivery_line=None)} == {second.pk}
    assert one.due_date and two.due_date
    order.refresh_from_db()
    assert sum(invoice.total_incl_tax for invoice in (one, two)) == order.total_incl_tax
    assert not invoicing_queries.notes_to_invoice().exists()
    assert chain.verify()[1] is None


@pytest.mark.django_db
def test_a_web_order_paid_at_checkout_deducts_its_deposit_once_over_its_parcels(shop, django_capture_on_commit_callbacks):
    order = web_order(shop)
    deposit = services.receive_deposit(order, amount=order.total_incl_tax, method=PaymentMethod.CARD)
    lines = goods_lines(order)
    with django_capture_on_commit_callbacks(execute=True):
        ship(order, {lines[shop.jam.pk].pk: 3})
    with django_capture_on_commit_callbacks(execute=True):
        ship(order)
    one, two = invoices_of(order)
    assert one.deposits_total == one.total_incl_tax and one.amount_due == 0  # jam and shipping, paid
    assert two.deposits_total == two.total_incl_tax and two.amount_due == 0  # the lamps, paid
    assert one.deposits_total + two.deposits_total == deposit.total_incl_tax  # deducted once, in full
    assert [line.description for line in one.lines.all()] == ["Confiture de fraises", "Colissimo"]
    for invoice in (one, two):
        assert_valid_factur_x(invoice)


@pytest.mark.django_db
def test_the_counter_still_issues_at_once_and_the_shipment_adds_nothing(
    shop, counter_session, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invoice = services.sell_at_counter(
            session=counter_session,
            user=counter_session.opened_by,
            channel=shop.counter,
            lines=[{"product": shop.mug, "quantity": 2}],
            tenders=[{"method": PaymentMethod.CASH, "amount": "20.00"}],
        )
    assert Invoice.objects.filter(kind=Invoice.Kind.INVOICE).count() == 1
    assert invoice.status == Invoice.Status.ISSUED
    assert not InvoicingHold.objects.exists()


@pytest.mark.django_db
def test_a_manual_policy_leaves_the_note_in_the_queue_with_why(shop, django_capture_on_commit_callbacks):
    who = customer("Martin", business=False, invoicing_policy=InvoicingPolicy.MANUAL)
    order = web_order(shop, who)
    with django_capture_on_commit_callbacks(execute=True):
        note = ship(order)
    assert not invoices_of(order)
    waiting = invoicing_queries.notes_to_invoice().get()
    assert (waiting.pk, waiting.policy) == (note.pk, InvoicingPolicy.MANUAL)
    invoicing.sweep_invoicing(now=note.shipped_at + timedelta(hours=1))
    assert not invoices_of(order)  # the sweeper invoices only « à l'expédition »


def business_notes(shop, who, days, channel=None):
    """One order per day, shipped that day, for a business customer on the B2B channel (monthly)."""
    notes = []
    for day in days:
        with at(day):
            order = services.confirm_order(
                services.create_order(
                    customer=who, channel=channel or shop.b2b, lines=[{"product": shop.mug, "quantity": day.day}]
                )
            )
            notes.append(ship(order))
    return notes


@pytest.mark.django_db
def test_a_business_month_gives_one_invoice_on_the_last_day_and_none_twice(shop, django_capture_on_commit_callbacks):
    assert shop.b2b.invoicing_policy == InvoicingPolicy.MONTHLY  # the migration's default for B2B channels
    notes = business_notes(shop, shop.bakery, [date(2026, 11, 3), date(2026, 11, 17), date(2026, 11, 28)])
    other = customer("Crêperie du Port", siren="552100554")
    business_notes(shop, other, [date(2026, 11, 5)])
    with at(date(2026, 11, 29), 23):
        assert invoicing.run_grouped_invoicing().invoices == []  # the month is not over
    with at(date(2026, 11, 30), 23):
        result = invoicing.run_grouped_invoicing()
        again = invoicing.run_grouped_invoicing()
    assert again.invoices == [] and result.customers == 2
    invoice = Invoice.objects.get(customer=shop.bakery)
    assert invoice.periodic and invoice.invoice_date == date(2026, 11, 30)
    assert invoice.due_date <= date(2026, 11, 30) + timedelta(days=45)  # PAY-02: a periodic invoice's term
    assert sorted(line.quantity for line in invoice.lines.all()) == [Decimal(3), Decimal(17), Decimal(28)]
    assert {line.delivery_line.delivery_note_id for line in invoice.lines.all()} == {note.pk for note in notes}
    assert Invoice.objects.filter(kind=Invoice.Kind.INVOICE).count() == 2
    history = DocumentEvent.objects.get(document_type="invoice", document_id=invoice.pk, action="grouped")
    assert all(note.number in history.detail for note in notes)
    html = pdfs.document_html(invoice)  # the printed invoice names the deliveries it bills
    assert "Facture périodique — Livraisons : " in html
    assert all(f"{note.number} du {note.shipped_at.astimezone(PARIS):%d/%m/%Y}" in html for note in notes)
    assert_valid_factur_x(invoice)


@pytest.mark.django_db
def test_a_missed_month_end_is_caught_up_by_the_next_run_and_the_current_month_waits(shop):
    business_notes(shop, shop.bakery, [date(2026, 10, 30), date(2026, 11, 2)])
    with at(date(2026, 11, 3), 23):
        invoicing.run_grouped_invoicing()
    invoice = Invoice.objects.get()
    assert invoice.invoice_date == date(2026, 11, 3)  # never back-dated into the series
    assert [line.quantity for line in invoice.lines.all()] == [Decimal(30)]  # October's note only


@pytest.mark.django_db
def test_a_weekly_customer_is_invoiced_on_sunday(shop):
    weekly = customer("Traiteur Hamon", siren="775672272", invoicing_policy=InvoicingPolicy.WEEKLY)
    business_notes(shop, weekly, [date(2026, 11, 16), date(2026, 11, 19)])  # Monday, Thursday
    with at(date(2026, 11, 21), 23):
        assert invoicing.run_grouped_invoicing().invoices == []
    with at(date(2026, 11, 22), 23):  # Sunday
        (invoice,) = invoicing.run_grouped_invoicing().invoices
    assert invoice.periodic and invoice.lines.count() == 2


@pytest.mark.django_db
def test_notes_that_cannot_share_an_invoice_are_split_and_say_why(shop):
    shop.bakery.invoicing_policy = InvoicingPolicy.MONTHLY
    shop.bakery.save()
    business_notes(shop, shop.bakery, [date(2026, 11, 3)])
    business_notes(shop, shop.bakery, [date(2026, 11, 4)], channel=shop.web)  # prices incl. tax
    with at(date(2026, 11, 30), 23):
        result = invoicing.run_grouped_invoicing()
    assert len(result.invoices) == 2
    assert {invoice.prices_include_tax for invoice in result.invoices} == {True, False}
    assert all("prix" in result.splits[invoice.pk] for invoice in result.invoices)
    for invoice in result.invoices:
        history = DocumentEvent.objects.get(document_type="invoice", document_id=invoice.pk, action="grouped")
        assert "Facturé à part" in history.detail


@pytest.mark.django_db
def test_notes_in_two_currencies_make_two_invoices_each_in_its_currency(shop):
    geneva = customer("Genève SA", country="CH", postal_code="1201")
    for day, currency in ((date(2026, 11, 9), "CHF"), (date(2026, 11, 10), "EUR")):
        ExchangeRate.objects.create(day=day, currency="CHF", rate=Decimal("0.931200"))
        with at(day):
            order = services.confirm_order(
                services.create_order(
                    customer=geneva, channel=shop.b2b, lines=[{"product": shop.mug, "quantity": 4}], currency=currency
                )
            )
            ship(order)
    with at(date(2026, 11, 30), 23):
        result = invoicing.run_grouped_invoicing()
    assert sorted(invoice.currency for invoice in result.invoices) == ["CHF", "EUR"]
    assert all(invoice.vat_treatment == "export" for invoice in result.invoices)
    assert all("devise" in result.splits[invoice.pk] for invoice in result.invoices)
    for invoice in result.invoices:
        assert_valid_factur_x(invoice)


@pytest.mark.django_db
def test_notes_under_two_vat_treatments_make_two_invoices_and_say_why(shop):
    geneva_depot = Address.objects.create(
        third_party=shop.bakery,
        kind=Address.Kind.DELIVERY,
        line1="Rue du Rhône 1",
        postal_code="1204",
        city="Genève",
        country="CH",
        is_default=False,  # the bakery ships to Rennes; this order only to its Geneva shop
    )
    business_notes(shop, shop.bakery, [date(2026, 11, 9)])
    with at(date(2026, 11, 10)):
        order = services.create_order(
            customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug, "quantity": 2}], delivery_address=geneva_depot
        )
        ship(services.confirm_order(order))
    with at(date(2026, 11, 30), 23):
        result = invoicing.run_grouped_invoicing()
    assert sorted(invoice.vat_treatment for invoice in result.invoices) == ["export", "france"]
    assert all("régime de TVA" in result.splits[invoice.pk] for invoice in result.invoices)
    export = next(invoice for invoice in result.invoices if invoice.vat_treatment == "export")
    assert export.total_vat == 0 and export.lines.get().quantity == 2


def close_until(day: date):
    accounting.fiscal_year_for(day)
    for period in Period.objects.filter(start__lte=day).order_by("start"):
        accounting.close_period(period)


@pytest.mark.django_db
def test_a_closed_period_holds_the_invoice_and_keeps_the_shipment(shop, django_capture_on_commit_callbacks):
    with at(date(2026, 11, 20)):
        close_until(date(2026, 11, 20))
        order = web_order(shop)
        with django_capture_on_commit_callbacks(execute=True):
            note = ship(order)
    note.refresh_from_db()
    assert note.status == DeliveryNote.Status.SHIPPED and not invoices_of(order)
    hold = InvoicingHold.objects.get(delivery_note=note)
    assert "clôturée" in hold.reason
    assert invoicing_queries.notes_to_invoice().get().pk == note.pk
    with time_machine.travel(datetime(2026, 11, 20, 10, 30, tzinfo=PARIS), tick=False):
        assert invoicing.sweep_invoicing()["invoiced"] == 0  # refused half an hour ago: not tried yet
    hold.refresh_from_db()
    assert hold.attempts == 1
    with at(date(2026, 11, 20), 12):
        invoicing.sweep_invoicing()  # still closed: the hold counts the attempt
    hold.refresh_from_db()
    assert hold.attempts == 2
    with at(date(2026, 12, 1)):  # December is open: the sweeper invoices it and clears the hold
        assert invoicing.sweep_invoicing()["invoiced"] == 1
    assert len(invoices_of(order)) == 1 and not InvoicingHold.objects.exists()


@pytest.mark.django_db
def test_each_new_invoice_is_emailed_once_when_the_channel_says_so(shop, django_capture_on_commit_callbacks):
    shop.web.email_invoices = True
    shop.web.save()
    who = customer("Lemoine", business=False, email="lemoine@example.fr")
    order = web_order(shop, who)
    with django_capture_on_commit_callbacks(execute=True):
        ship(order)
    (invoice,) = invoices_of(order)
    assert [message.to for message in mail.outbox] == [["lemoine@example.fr"]]
    assert mail.outbox[0].attachments[0][0].endswith(".pdf")
    mailing = InvoiceMailing.objects.get(invoice=invoice)
    assert mailing.status == InvoiceMailing.Status.SENT
    invoicing.on_invoice_issued(invoice_id=invoice.pk, kind=invoice.kind)  # told twice
    invoicing.sweep_invoicing(now=mailing.created_at + timedelta(hours=1))
    assert len(mail.outbox) == 1
    assert who.timeline_entries.filter(subject__contains=invoice.number).count() == 1


def _run_in_a_process(on, start, failures):
    try:
        _forget_inherited_connections()
        start.wait(timeout=60)
        with at(on, 23):
            invoicing.run_grouped_invoicing()
    except Exception as exc:
        failures.put(repr(exc))
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_invoice_each_note_once(shop):
    postgres_only()
    customers = [customer(f"Client {n}", siren="") for n in range(6)]
    for who in customers:
        business_notes(shop, who, [date(2026, 11, 2), date(2026, 11, 9)])
    connections.close_all()
    context = multiprocessing.get_context("fork")
    start, failures = context.Event(), context.Queue()
    processes = [context.Process(target=_run_in_a_process, args=(date(2026, 11, 30), start, failures)) for _ in range(3)]
    for process in processes:
        process.start()
    start.set()
    for process in processes:
        process.join(timeout=120)
    assert failures.empty(), failures.get()
    assert Invoice.objects.filter(kind=Invoice.Kind.INVOICE).count() == len(customers)
    numbers = sorted(int(number[-6:]) for number in Invoice.objects.values_list("number", flat=True))
    assert numbers == list(range(numbers[0], numbers[0] + len(customers)))  # no gap
    assert not invoicing_queries.notes_to_invoice().exists()
