"""The issued invoices still owed (``OpenInvoice``), kept by the services that issue and allocate:
the « Impayées » filter reads them, and a command compares them with the allocations."""

import re
from decimal import Decimal

import pytest
from django.core.management import call_command

from sales import queries, services
from sales.models import Invoice, OpenInvoice, PaymentMethod
from tests.helpers import page_text
from tests.sales.test_payments import invoice_of

pytestmark = pytest.mark.django_db


def kept(invoice):
    row = OpenInvoice.objects.filter(invoice=invoice).first()
    return row.balance if row else None


def test_an_invoice_is_owed_from_its_issue_until_it_is_settled(shop):
    invoice = invoice_of(shop, shop.bakery, 10)  # 99.00 TTC
    assert kept(invoice) == Decimal("99.00")
    services.record_payment(customer=shop.bakery, amount="40", method=PaymentMethod.CHEQUE, invoices=[invoice])
    assert kept(invoice) == Decimal("59.00")
    services.record_payment(customer=shop.bakery, amount="59", method=PaymentMethod.TRANSFER, invoices=[invoice])
    assert kept(invoice) is None  # settled: no longer listed
    other = invoice_of(shop, shop.bakery, 1)
    services.record_payment(customer=shop.bakery, amount="5", method=PaymentMethod.CARD)  # on account
    services.apply_customer_credit(other)
    assert kept(other) == other.amount_due - Decimal("5")
    assert queries.open_invoice_differences() == []


def test_a_credit_note_set_against_the_invoice_settles_it(shop):
    invoice = invoice_of(shop, shop.bakery, 10)
    services.issue_credit_note(services.create_credit_note(invoice, reason="Casse"))
    assert kept(invoice) is None
    assert queries.open_invoice_differences() == []


def shown_numbers(response) -> list[str]:
    return sorted(re.findall(r">(FA\d{4}-\d+)<", page_text(response)))


def test_the_unpaid_filter_lists_the_owed_invoices_without_summing_allocations(shop, admin_client):
    paid, owed = invoice_of(shop, shop.bakery, 1), invoice_of(shop, shop.bakery, 2)
    services.record_payment(customer=shop.bakery, amount=paid.amount_due, method=PaymentMethod.CARD, invoices=[paid])
    assert shown_numbers(admin_client.get("/sales/invoices/?unpaid=true")) == [owed.number]
    assert shown_numbers(admin_client.get("/sales/invoices/?unpaid=false")) == [paid.number]
    api = admin_client.get("/api/v1/invoices/?unpaid=true").json()
    assert [row["number"] for row in api["results"]] == [owed.number]
    api = admin_client.get("/api/v1/invoices/?unpaid=false").json()
    assert [row["number"] for row in api["results"]] == [paid.number]
    assert "sales_allocation" not in str(queries.owed(Invoice.objects.all()).query)  # a short list joined, no sums


def test_the_check_command_reports_a_difference_and_fixes_it(shop, capsys):
    invoice = invoice_of(shop, shop.bakery, 3)
    call_command("check_open_invoices")
    assert "Aucun écart" in capsys.readouterr().out
    OpenInvoice.objects.filter(invoice=invoice).update(balance=Decimal("1.00"))  # written outside the application
    with pytest.raises(SystemExit):
        call_command("check_open_invoices", "--fix")
    output = capsys.readouterr().out
    assert invoice.number in output and "1 écart" in output
    assert kept(invoice) == invoice.amount_due
    OpenInvoice.objects.filter(invoice=invoice).delete()
    assert queries.open_invoice_differences() == [(invoice.pk, Decimal("0"), invoice.amount_due)]
