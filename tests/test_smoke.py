"""The subset that also runs on the embedded SQLite default (what `make demo` uses): migrations,
the demo data and the main pages must keep working there."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Count, F
from django.urls import reverse
from django.utils import timezone

from catalog.models import Product
from crm.models import ThirdParty
from dunning.models import InvoiceDispute, Reminder
from dunning.queries import aged_balance
from purchasing.models import Reception, SupplierOrder
from sales.invoicing.queries import notes_to_invoice
from sales.models import DepositDeduction, Installment, Invoice, InvoicingHold
from sales.till import chain as till_chain
from sales.till.models import CashMovement, Closure, Register, Ticket, TillSession
from stock.models import StockLevel

pytestmark = [pytest.mark.smoke, pytest.mark.django_db]

MAIN_PAGES = [
    "home",
    "catalog:product_list",
    "catalog:category_list",
    "catalog:pricelist_list",
    "crm:thirdparty_list",
    "crm:agenda",
    "crm:incident_list",
    "crm:thirdparty_create",
    "catalog:product_create",
    "company",
    "account",
    "crm:task_list",
    "catalog:vatrate_list",
    "stock:level_list",
    "stock:move_list",
    "stock:inventory_list",
    "stock:warehouse_list",
    "stock:valuation",
    "stock:exit",
    "stock:transfer",
    "stock:label_create",
    "purchasing:order_list",
    "purchasing:reception_list",
    "purchasing:invoice_list",
    "purchasing:replenishment",
    "sales:quote_list",
    "sales:order_list",
    "sales:order_create",
    "sales:delivery_list",
    "sales:backorder_list",
    "sales:invoice_list",
    "sales:credit_note_list",
    "sales:payment_list",
    "sales:payment_create",
    "sales:voucher_list",
]


def test_demo_data_loads_and_every_main_page_answers(client):
    call_command("seed_demo", verbosity=0)
    assert Product.objects.count() >= 300
    assert ThirdParty.objects.filter(is_customer=True).count() >= 150
    assert ThirdParty.objects.filter(is_supplier=True).count() >= 20
    countries = set(ThirdParty.objects.values_list("addresses__country", flat=True))
    assert {"FR", "DE", "BE", "IT", "CH"} <= countries
    assert ThirdParty.objects.filter(addresses__postal_code__startswith="97").exists()  # overseas departments
    assert client.login(username="admin", password="demo-lmb-2026")
    for name in MAIN_PAGES:
        assert client.get(reverse(name)).status_code == 200, name
    product = Product.objects.exclude(ean13=None).first()
    assert client.get(reverse("search"), {"q": product.ean13})["Location"].endswith(f"/products/{product.pk}/")
    third_party = ThirdParty.objects.first()
    assert client.get(third_party.get_absolute_url()).status_code == 200
    assert client.get(reverse("catalog:product_list"), {"export": "xlsx"}).status_code == 200
    assert client.get("/api/v1/products/").status_code == 200
    assert client.get("/health/").json()["status"] == "ok"
    order = SupplierOrder.objects.exclude(status="draft").first()
    assert client.get(order.get_absolute_url()).status_code == 200
    assert Reception.objects.filter(status="validated").exists() and StockLevel.objects.filter(on_hand__gt=0).exists()
    call_command("check_stock_levels", verbosity=0)  # the demo's books agree with its ledger (exit 1 otherwise)
    invoice = Invoice.objects.filter(status=Invoice.Status.ISSUED, orders__isnull=False).order_by("-chain_position").first()
    assert client.get(invoice.get_absolute_url()).status_code == 200
    assert client.get(invoice.orders.first().get_absolute_url()).status_code == 200
    call_command("verify_chain", verbosity=0)  # the demo's year of invoices is one intact chain (exit 1 otherwise)
    # Automatic invoicing (issue #22): web orders invoiced at shipment, business customers by month,
    # this month's business notes waiting for its end, a note on request in the queue, a prepaid
    # order shipped in parts whose invoices each deduct part of its deposit.
    assert Invoice.objects.filter(channel__kind="web", kind=Invoice.Kind.INVOICE).exists()
    assert Invoice.objects.filter(periodic=True, channel__kind="b2b").exists()
    waiting = list(notes_to_invoice().values_list("policy", flat=True))
    assert waiting.count("monthly") >= 1 and waiting.count("manual") >= 1, waiting
    partial = DepositDeduction.objects.filter(amount__lt=F("deposit__total_incl_tax"), invoice__status="issued")
    assert partial.exists()
    assert not InvoicingHold.objects.exists()  # nothing refused
    # Dunning (issue #23): reminders sent at several steps of the plans, some waiting for validation,
    # an aged balance with customers late (a consumer among them), a disputed invoice, a schedule.
    sent = Reminder.objects.filter(status=Reminder.Status.SENT)
    assert sent.filter(position=1).exists() and sent.filter(position__gte=2).exists()
    late = [row for row in aged_balance(as_of=timezone.localdate()) if row.days_late > 0]
    assert late and "consumer" in {row.customer_category for row in late}, late
    assert InvoiceDispute.objects.exists()
    assert Installment.objects.values("invoice").annotate(count=Count("pk")).filter(count__gte=3).exists()  # a schedule
    body = client.get("/api/v1/aged-balance/").json()
    assert any(row["days_late"] > 0 for row in body["results"])
    _assert_demo_till(client)


def _assert_demo_till(client):
    """The till in the demo (issue #20): every counter sale in a session of the shop's register
    (POS-01), each day it sold closed with its Z (tickets dated on that day), each month and year
    left behind closed, today's session open by the seller, the chains intact."""
    register = Register.objects.get(code="CAISSE1")
    assert (register.name, register.channel.kind, register.warehouse.code) == ("Caisse boutique", "counter", "BOUTIQUE")
    assert register.max_discount_percent == 10
    today = timezone.localdate()
    closed = list(register.sessions.filter(status=TillSession.Status.CLOSED).order_by("opened_at"))
    assert len(closed) >= 5
    days = {closure.period_start: closure for closure in register.closures.filter(kind=Closure.Kind.DAY)}
    assert {timezone.localtime(session.opened_at).date() for session in closed} == set(days)
    assert max(days) < today
    for day, closure in days.items():  # each Z counts the tickets made on its day
        tickets = Ticket.objects.filter(session__register=register, created_at__date=day)
        assert closure.ticket_count == tickets.count() >= (4 if day >= today - timedelta(days=7) else 1), day
    counter_sales = Invoice.objects.filter(channel__kind="counter", kind=Invoice.Kind.INVOICE, status=Invoice.Status.ISSUED)
    assert counter_sales.count() == Ticket.objects.filter(kind=Ticket.Kind.SALE, invoice__in=counter_sales).count() > 100
    months = {day.replace(day=1) for day in days if day.replace(day=1) < today.replace(day=1)}
    month_closures = register.closures.filter(kind=Closure.Kind.MONTH)
    assert set(month_closures.values_list("period_start", flat=True)) == months
    for month in month_closures:  # a month's Z sums its days'
        in_month = [closure for day, closure in days.items() if day.replace(day=1) == month.period_start]
        assert month.sales_total == sum(closure.sales_total for closure in in_month)
    years = {month.year for month in months if month.year < today.year}
    assert {closure.period_start.year for closure in register.closures.filter(kind=Closure.Kind.YEAR)} == years
    assert [session.difference_reason for session in closed if session.difference] == [
        "Erreur de rendu de monnaie sur un ticket payé en espèces"
    ]
    tickets = Ticket.objects.filter(session__register=register)
    assert tickets.filter(kind=Ticket.Kind.RETURN).exists()
    tenders = {tender["method"] for ticket in tickets.filter(kind=Ticket.Kind.SALE) for tender in ticket.tendered}
    assert {"cash", "card", "voucher"} <= tenders
    assert tickets.filter(change__gt=0).exists()
    assert CashMovement.objects.filter(session__register=register, kind=CashMovement.Kind.BANK_DEPOSIT).exists()
    if min(days).month != today.month:  # the previous month's days are all closed: so is the month
        assert register.closures.filter(kind=Closure.Kind.MONTH, period_start=min(days).replace(day=1)).exists()
    session = register.sessions.get(status=TillSession.Status.OPEN)
    assert session.opened_by.username == "ventes" and session.opening_float > 0
    assert session.tickets.filter(kind=Ticket.Kind.SALE).count() >= 2
    assert timezone.localtime(session.opened_at).date() == today
    assert till_chain.verify_events()[1] is None and till_chain.verify_closures()[1] is None
    call_command("verify_chain", verbosity=0)
    client.login(username="ventes", password="demo-lmb-2026")
    assert client.get(reverse("sales:till_home")).status_code == 200


def test_seed_demo_twice_does_not_duplicate(client):
    call_command("seed_demo", verbosity=0)
    count = Product.objects.count()
    call_command("seed_demo", verbosity=0)
    assert Product.objects.count() == count
